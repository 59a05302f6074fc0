/**
 * Child-process adapter. Every child runs in its own process group (so the whole group can be signalled) and,
 * on Linux, under `setpriv --pdeathsig SIGKILL` so that it dies with TowerWatch even if TowerWatch is killed
 * with SIGKILL and cannot clean up.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HostedChild, SpawnHost, type SupervisedChild } from './spawnHost.ts';

export type { SupervisedChild } from './spawnHost.ts';

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = process.platform === 'linux' && existsSync(SETPRIV);
const NICE = '/usr/bin/nice';
const hasNice = process.platform !== 'win32' && existsSync(NICE);

/** Options of {@link spawnSupervised}: node's, plus a scheduling priority. */
export interface SupervisedSpawnOptions extends SpawnOptions {
  /**
   * Raise the child's nice value by this much over this process's (coreutils `nice -n`, 1–19: lower priority;
   * the kernel caps the result at 19), for batch work such as evidence clip encoding that must not take CPU
   * from the capture pipeline. Ignored where `nice` is missing.
   */
  niceness?: number;
  /**
   * Start a child with a piped stdin through the spawn host too (its stdin is a socketpair end passed over).
   * Default false: such children are spawned directly, as before the host could pass stdin — the demo RTSP
   * server's sampled GOPs came out longer when it ran under the host (capture.test.ts, 2026-11-30; not
   * understood), so only the keyframe decoders, which are started often, opt in.
   */
  stdinViaHost?: boolean;
}

/**
 * The program and arguments actually executed: `setpriv --pdeathsig SIGKILL` (dies with this process) around
 * `nice -n N` (when asked) around `cmd args`. Pure (tested).
 * @throws RangeError for a niceness outside 1..19.
 */
export function supervisedCommand(
  cmd: string,
  args: readonly string[],
  o: { niceness?: number | undefined; setpriv: boolean; nice: boolean },
): [string, string[]] {
  let argv: string[] = [cmd, ...args];
  if (o.niceness !== undefined && o.niceness !== 0) {
    if (!Number.isInteger(o.niceness) || o.niceness < 1 || o.niceness > 19)
      throw new RangeError(`niceness must be an integer 1..19, got ${o.niceness}`);
    if (o.nice) argv = [NICE, '-n', String(o.niceness), ...argv];
  }
  if (o.setpriv) argv = [SETPRIV, '--pdeathsig', 'SIGKILL', '--', ...argv];
  return [argv[0]!, argv.slice(1)];
}

/** Every child started through {@link spawnSupervised} and not yet exited. */
const live = new Set<SupervisedChild>();

/** The process-wide spawn host, shared by every runtime/bench in this process (reference-counted). */
let host: SpawnHost | null = null;
let hostStart: Promise<SpawnHost> | null = null;
let hostRefs = 0;
let hostRestart: Promise<void> | null = null;

/**
 * Starts (or shares) the process-wide spawn host; every later {@link spawnSupervised} goes through it until the
 * last holder releases it. Acquire it at start-up, while this process is still small: spawning directly from
 * a large process blocks the event loop for the fork (see `spawnHost.cjs`).
 * @returns the release function (idempotent).
 * @throws Error when the host cannot be started (callers may go on spawning directly).
 */
export async function acquireSpawnHost(): Promise<() => void> {
  hostRefs++;
  try {
    if (host && !host.alive) hostStart = null; // died: start a new one rather than return the dead one
    hostStart ??= SpawnHost.start();
    host = await hostStart;
  } catch (e) {
    hostRefs--;
    hostStart = null;
    throw e;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--hostRefs === 0) {
      host?.close();
      host = null;
      hostStart = null;
    }
  };
}

type PipeOpt = 'ignore' | 'pipe';

/**
 * Spawns `cmd args` in a new process group, tied to this process's life (through the spawn host when one is
 * installed and alive and every stdio is 'ignore' or 'pipe'; other stdio set-ups are spawned directly).
 */
export function spawnSupervised(
  cmd: string,
  args: string[],
  supervised: SupervisedSpawnOptions = {},
): SupervisedChild {
  const { niceness, stdinViaHost, ...opts } = supervised;
  const [file, argv] = supervisedCommand(cmd, args, { niceness, setpriv: hasSetpriv, nice: hasNice });
  const stdio = (opts.stdio ?? ['ignore', 'pipe', 'pipe']) as unknown;
  const simple =
    Array.isArray(stdio) &&
    stdio.length === 3 &&
    (stdio[0] === 'ignore' || stdinViaHost === true) &&
    stdio.every((x) => x === 'ignore' || x === 'pipe');
  // A host that died (crash, OOM kill) is replaced in the background; until then children are spawned directly.
  if (host && !host.alive && hostRefs > 0 && !hostRestart)
    hostRestart = SpawnHost.start()
      .then((h) => {
        // Still wanted, and not replaced meanwhile (released to 0 and acquired again starts its own host).
        if (hostRefs > 0 && !host?.alive) {
          host = h;
          hostStart = Promise.resolve(h);
        } else h.close();
      })
      .catch(() => undefined)
      .finally(() => (hostRestart = null));
  const child: SupervisedChild =
    host?.alive && simple
      ? host.spawn(file, argv, {
          stdio: stdio as [PipeOpt, PipeOpt, PipeOpt],
          ...(typeof opts.cwd === 'string' ? { cwd: opts.cwd } : {}),
          ...(opts.env ? { env: opts.env } : {}),
        })
      : spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Sends `signal` to the child's process group; ignores a group that is already gone. */
export function signalGroup(child: SupervisedChild, signal: NodeJS.Signals): void {
  if (child instanceof HostedChild) return child.signalGroup(signal);
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
export async function stopChild(child: SupervisedChild, graceMs = 2000): Promise<void> {
  // A hosted child may not have its pid yet: wait for it (or for its spawn failure) first.
  if (child instanceof HostedChild) await child.spawned();
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
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

/** Pid of the spawn host in use, undefined when none (diagnostics and tests). */
export function spawnHostPid(): number | undefined {
  return host?.alive ? host.pid : undefined;
}

/** Number of live supervised children (for health and leak tests). */
export function liveChildren(): number {
  return live.size;
}
