/**
 * A FIFO async mutex: `run(fn)` starts `fn` once every earlier `fn` has settled, and resolves/rejects with its
 * result. A rejected section does not block later ones. Not re-entrant: a section that awaits another section
 * of the same mutex deadlocks.
 */
export type Mutex = <T>(fn: () => Promise<T> | T) => Promise<T>;

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
