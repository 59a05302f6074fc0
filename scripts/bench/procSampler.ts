/**
 * The bench's CPU accounting of child processes, run in a process of its own.
 *
 * Accounting the capture ffmpegs, the spawn host, clip encoders and the camera simulator means scanning `/proc`
 * once a second (processes come and go: each restart is a new pid). One scan costs ~8 ms of CPU with ~150
 * processes; the fleet step used to run four such scans a second inside the bench's Node process, which is also
 * the process whose CPU is reported as "Node CPU per camera": ~1 CPU-s per minute of the bench's own work was
 * counted as the cameras'. That inflated the cheap keyframe path far more than full decode (BENCHMARKS.md §1).
 * Here one child process takes one scan per tick for all four groups; its CPU is nobody's camera cost.
 *
 * Protocol (IPC): parent → `{ type: 'start', root, serverPid, everyMs }`; child → `{ type: 'started' }` after
 * the baseline sample; parent → `{ type: 'stop' }`; child → `{ type: 'result', groups }` and exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  childrenOf,
  CpuAccountant,
  descendantsOf,
  procTable,
  readCmdline,
  readProcStat,
  type ProcStat,
} from './common.ts';

const cmdCache = new Map<number, string>();
/** `/proc/<pid>/cmdline`, cached per pid: call it only once the process has exec'd (its `comm` is final). */
function cmdline(pid: number): string {
  let c = cmdCache.get(pid);
  if (c === undefined) cmdCache.set(pid, (c = readCmdline(pid)));
  return c;
}

function isCaptureFfmpeg(p: ProcStat): boolean {
  return p.comm === 'ffmpeg' && cmdline(p.pid).includes('image2pipe');
}

/** Capture ffmpegs (`image2pipe` output) under `root` in `table` (defaults: this process, a fresh scan). */
export function captureFfmpegs(root = process.pid, table: readonly ProcStat[] = procTable()): ProcStat[] {
  return descendantsOf(root, table).filter(isCaptureFfmpeg);
}

/** TowerWatch's other ffmpeg children under `root` in `table`: evidence clip encoders (and probes). */
export function otherFfmpegs(root: number, table: readonly ProcStat[]): ProcStat[] {
  const below = descendantsOf(root, table);
  // The simulator's own ffmpegs (live-mode feeders) are not TowerWatch's.
  const sim = new Set(
    below
      .filter((p) => p.comm.startsWith('python') && cmdline(p.pid).includes('rtsp_server.py'))
      .flatMap((p) => descendantsOf(p.pid, table).map((d) => d.pid)),
  );
  return below.filter((p) => p.comm === 'ffmpeg' && !isCaptureFfmpeg(p) && !sim.has(p.pid));
}

/** TowerWatch's spawn host process under `root` (its CPU is TowerWatch's, counted into "Node total"). */
export function spawnHostProcs(root: number, table: readonly ProcStat[]): ProcStat[] {
  return childrenOf(root, table).filter((p) => p.comm === 'node' && cmdline(p.pid).includes('spawnHost.cjs'));
}

/** The process groups accounted: capture ffmpegs, spawn host, other ffmpegs (clip encoders), the simulator. */
export type SampledGroup = 'ffmpeg' | 'host' | 'clip' | 'server';

/** One group's figures over the window. */
export interface GroupCpu {
  /** utime + stime used in the window, s (a pid that exited between samples loses at most one tick). */
  cpuS: number;
  /** Distinct pids seen in the window. */
  pids: number;
  /** Mean over the ticks of the group's summed RSS, KiB (NaN when no tick saw a process). */
  meanRssKb: number;
  /** Pids of the group at the end of the window. */
  lastPids: number[];
}

type StartMessage = { type: 'start'; root: number; serverPid: number | null; everyMs: number };
type ParentMessage = StartMessage | { type: 'stop' };
type ChildMessage =
  { type: 'started' } | { type: 'result'; groups: Record<SampledGroup, GroupCpu>; samplerCpuS: number };

/** What a window's sampling found, plus the sampler process's own CPU over the window (s: the bench's cost). */
export interface SamplerResult {
  groups: Record<SampledGroup, GroupCpu>;
  samplerCpuS: number;
}

/** Parent side: a running sampler child for one measurement window. */
export class ProcSampler {
  private constructor(private readonly child: ChildProcess) {}

  /**
   * Forks the sampler (a Node process with the tsx loader) and waits until it took the window's baseline
   * sample.
   * @param root the bench process whose descendants are accounted
   * @param serverPid the camera simulator's pid (its whole tree is the "server" group), if any
   * @throws Error when the child exits or does not answer within 30 s
   */
  static async start(root: number, serverPid: number | undefined, everyMs = 1000): Promise<ProcSampler> {
    // `--import tsx` (not this process's flags): under vitest the parent has no TypeScript loader of its own.
    const child = fork(fileURLToPath(import.meta.url), ['--proc-sampler'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const s = new ProcSampler(child);
    const msg: StartMessage = { type: 'start', root, serverPid: serverPid ?? null, everyMs };
    child.send(msg);
    await s.next('started');
    return s;
  }

  /** Ends the window. @returns each group's figures and the sampler's own CPU; the child exits. */
  async stop(): Promise<SamplerResult> {
    this.child.send({ type: 'stop' } satisfies ParentMessage);
    const m = await this.next('result');
    if (m.type !== 'result') throw new Error('proc sampler: no result');
    return { groups: m.groups, samplerCpuS: m.samplerCpuS };
  }

  /** Kills the child if it still runs (a window that ended in an error); a no-op after `stop()`. */
  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  private next(type: ChildMessage['type']): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`proc sampler: no '${type}' within 30 s`)), 30_000);
      const onMessage = (m: ChildMessage) => {
        if (m.type === type) done(null, m);
      };
      const onExit = (code: number | null) =>
        done(new Error(`proc sampler exited (${code}) before '${type}'`));
      const done = (err: Error | null, m?: ChildMessage) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (err) {
          this.child.kill();
          reject(err);
        } else resolve(m!);
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
    });
  }
}

/** Child side: one `/proc` scan per tick, shared by the four groups' accountants. */
function runChild(): void {
  let table: readonly ProcStat[] = [];
  let accountants: Record<SampledGroup, CpuAccountant> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let cpu0 = process.cpuUsage();
  const send = (m: ChildMessage) => process.send?.(m);
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'start' && accountants === null) {
      const { root, serverPid } = m;
      const server = (): ProcStat[] => {
        const s = serverPid === null ? null : readProcStat(serverPid);
        return s && serverPid !== null ? [s, ...descendantsOf(serverPid, table)] : [];
      };
      accountants = {
        ffmpeg: new CpuAccountant(() => captureFfmpegs(root, table), null),
        host: new CpuAccountant(() => spawnHostProcs(root, table), null),
        clip: new CpuAccountant(() => otherFfmpegs(root, table), null),
        server: new CpuAccountant(server, null),
      };
      const accs = Object.values(accountants);
      table = procTable();
      cpu0 = process.cpuUsage();
      for (const a of accs) a.start();
      timer = setInterval(() => {
        table = procTable();
        for (const a of accs) a.sample();
      }, m.everyMs);
      send({ type: 'started' });
    } else if (m.type === 'stop' && accountants !== null) {
      if (timer) clearInterval(timer);
      table = procTable();
      const groups = Object.fromEntries(
        Object.entries(accountants).map(([k, a]) => {
          const r = a.stop();
          return [
            k,
            { cpuS: r.cpuS, pids: r.pids, meanRssKb: r.meanRssKb, lastPids: r.lastProcs.map((p) => p.pid) },
          ];
        }),
      ) as Record<SampledGroup, GroupCpu>;
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'result', groups, samplerCpuS: (cpu.user + cpu.system) / 1e6 });
      process.disconnect?.();
    }
  });
  // The bench died: do not linger.
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--proc-sampler') && process.send) runChild();
