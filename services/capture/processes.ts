/**
 * Child-process adapter. Every child runs in its own process group (so the whole group can be signalled) and,
 * on Linux, under `setpriv --pdeathsig SIGKILL` so that it dies with TowerWatch even if TowerWatch is killed
 * with SIGKILL and cannot clean up.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = process.platform === 'linux' && existsSync(SETPRIV);

/** Every child started through {@link spawnSupervised} and not yet exited. */
const live = new Set<ChildProcess>();

/** Spawns `cmd args` in a new process group, tied to this process's life. */
export function spawnSupervised(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const [file, argv] = hasSetpriv ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Sends `signal` to the child's process group; ignores a group that is already gone. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already exited */
  }
}

/**
 * Stops a child: SIGTERM to its group, SIGKILL after `graceMs`. Resolves when it has exited.
 */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    signalGroup(child, 'SIGTERM');
  });
}

/** Synchronously SIGKILLs every live child group (last resort, from a process 'exit' handler). */
export function killAllChildrenSync(): void {
  for (const c of live) signalGroup(c, 'SIGKILL');
}

/** Number of live supervised children (for health and leak tests). */
export function liveChildren(): number {
  return live.size;
}
