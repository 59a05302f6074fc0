/**
 * Shared helpers of the capacity bench: /proc sampling of child processes, percentiles, markdown tables, the
 * machine description, bench clip generation, and the BENCHMARKS.md section writer.
 * Linux only (reads /proc). Every loop here is bounded; nothing talks to anything but 127.0.0.1.
 */
import type { AlertListQuery } from '../../services/schemas/api.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FrameNeed } from '../../services/capture/ffmpegArgs.ts';
import { loadManifest } from '../../services/detect/manifest.ts';
import { ModelSpec } from '../../services/schemas/model.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Generated clips are cached here (git-ignored `.tmp/`). */
export const CACHE_DIR = path.join(REPO_ROOT, '.tmp', 'bench');
export const BENCHMARKS_MD = path.join(REPO_ROOT, 'BENCHMARKS.md');

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const PAGE_KB = 4;

/** Result of one bench step: what is printed and written into BENCHMARKS.md. */
export interface StepResult<T = unknown> {
  /** Section id in BENCHMARKS.md (`decode`, `capacity`, …). */
  id: string;
  title: string;
  /** Markdown body: tables and notes. */
  markdown: string;
  /** Machine-readable numbers (asserted on by the smoke test). */
  data: T;
}

export interface BenchOptions {
  quick: boolean;
  /** Print progress lines. */
  verbose: boolean;
  /** Capacity step: run only the series whose name contains this text (`--series`). */
  series?: string;
  /** Capacity step: camera counts to try instead of the series' own levels (`--levels 50,60`). */
  levels?: number[];
  /** Models directory with its manifest.yaml (`--models DIR`; default the repo's models/), e.g. a copy with a cadence. */
  modelsDir?: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function log(o: BenchOptions, msg: string): void {
  if (o.verbose) process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ---------------------------------------------------------------- /proc

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  comm: string;
  /** Process state (`R`, `S`, `D`, `Z` for a zombie: exited, not yet reaped by its parent, …). */
  state: string;
  /** utime + stime, seconds. */
  cpuS: number;
  rssKb: number;
}

/** Parses /proc/<pid>/stat; null when the process is gone. */
export function readProcStat(pid: number): ProcStat | null {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = s.lastIndexOf(')');
  const comm = s.slice(s.indexOf('(') + 1, close);
  const f = s.slice(close + 2).split(' ');
  // f[0] = state (field 3); field n is f[n - 3].
  const num = (n: number) => Number(f[n - 3] ?? 0);
  return {
    pid,
    ppid: num(4),
    pgid: num(5),
    comm,
    state: f[0] ?? '?',
    cpuS: (num(14) + num(15)) / CLK_TCK,
    rssKb: num(24) * PAGE_KB,
  };
}

export function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * One scan of `/proc`: every process's stat. A scan costs ~8 ms of CPU with ~150 processes on this kind of host
 * (measured 2026-12-01), so the bench's samplers take one per tick and share it (`procSampler.ts`).
 */
export function procTable(): ProcStat[] {
  const all: ProcStat[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = readProcStat(Number(d));
    if (st) all.push(st);
  }
  return all;
}

/** Every process whose parent is `ppid` (in `table`, a fresh scan by default). */
export function childrenOf(ppid: number, table: readonly ProcStat[] = procTable()): ProcStat[] {
  return table.filter((p) => p.ppid === ppid);
}

/**
 * Every descendant of `pid` (children, grandchildren, …) in `table` (a fresh scan by default): capture ffmpegs are
 * children of the spawn host.
 */
export function descendantsOf(pid: number, table: readonly ProcStat[] = procTable()): ProcStat[] {
  const out: ProcStat[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table)
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
  }
  return out;
}

/** Proportional set size (shared libraries split between the processes mapping them), KiB; NaN if gone. */
export function readPssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * This process's resident memory split as the kernel counts it (`/proc/self/status`, MiB): `anon` (heap,
 * malloc arenas, thread stacks — where a leak shows), `file` (mapped files such as shared libraries, which
 * grow as code paths are first touched and then stay) and `shmem` (shared memory, e.g. SQLite's WAL index).
 * Zeros where the fields are missing (non-Linux).
 */
export function rssSplit(): { anon: number; file: number; shmem: number } {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024, shmem: kb('RssShmem') / 1024 };
}

/** Total and idle jiffies of the whole machine (/proc/stat `cpu` line). */
export function machineCpu(): { total: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { total: v.reduce((a, b) => a + b, 0), idle };
}

/**
 * Accounts CPU seconds of a changing set of processes over a window: samples every `everyMs`, remembers the
 * last value seen per pid (a process that exits between samples loses at most one interval of CPU), and
 * reports the CPU used since `start()` (a pid born after start counts from 0).
 */
export class CpuAccountant {
  private base = new Map<number, number>();
  private last = new Map<number, ProcStat>();
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  readonly rssSamples: number[] = [];

  /** `everyMs` null: no timer of its own; the owner calls `sample()` (several accountants sharing one scan). */
  constructor(
    private readonly select: () => ProcStat[],
    private readonly everyMs: number | null = 1000,
  ) {}

  /** Takes one sample now. */
  sample(): void {
    const procs = this.select();
    for (const p of procs) this.last.set(p.pid, p);
    if (this.started && procs.length > 0) this.rssSamples.push(procs.reduce((a, p) => a + p.rssKb, 0));
  }

  /** Starts the window now. */
  start(): void {
    this.sample();
    this.base = new Map([...this.last].map(([pid, p]) => [pid, p.cpuS]));
    this.started = true;
    if (this.everyMs !== null) {
      this.timer = setInterval(() => this.sample(), this.everyMs);
      this.timer.unref();
    }
  }

  /** Ends the window. @returns CPU seconds used in it and the pids seen. */
  stop(): { cpuS: number; pids: number; meanRssKb: number; lastProcs: ProcStat[] } {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    let cpu = 0;
    for (const [pid, p] of this.last) cpu += p.cpuS - (this.base.get(pid) ?? 0);
    const lastProcs = this.select();
    return { cpuS: cpu, pids: this.last.size, meanRssKb: mean(this.rssSamples), lastProcs };
  }
}

// ---------------------------------------------------------------- numbers

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toFixed(digits);
}

/** A GitHub-flavoured markdown table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- machine

export function machineDescription(): string {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'n/a';
    }
  };
  const lscpu = sh('lscpu', []).split('\n');
  const field = (name: string) =>
    lscpu
      .find((l) => l.startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  // "AMD EPYC" alone does not tell hosts apart: the family/model/stepping and the widest SIMD do (onnxruntime's
  // kernels differ between AVX2 and AVX-512/VNNI hosts, so inference cost does too).
  const flags = new Set((field('Flags') ?? '').split(/\s+/));
  const simd =
    ['avx512_vnni', 'avx512f', 'avx_vnni', 'avx2'].filter((f) => flags.has(f)).join(', ') || 'no AVX2';
  const model = `${field('Model name') ?? os.cpus()[0]?.model ?? 'n/a'} (family ${field('CPU family') ?? '?'}, model ${
    field('Model') ?? '?'
  }, stepping ${field('Stepping') ?? '?'}; ${simd})`;
  const mem = sh('free', ['-h']).split('\n')[1]?.trim().split(/\s+/)[1] ?? 'n/a';
  const ffmpegVersion = sh('ffmpeg', ['-hide_banner', '-version']).split('\n')[0] ?? 'n/a';
  return [
    `\`nproc\` = ${sh('nproc', [])}; CPU: ${model}; memory (\`free -h\` total): ${mem}`,
    `Node ${process.version}; ${ffmpegVersion}; load average at start ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  ].join('  \n');
}

// ---------------------------------------------------------------- clips

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export interface BenchClip {
  name: string;
  file: string;
  description: string;
  /** Clip length, s: the demo server plays it once per client (file mode), so a run must end before. */
  seconds: number;
}

/**
 * Synthetic 1080p25 H.264 clip (`testsrc2`, GOP 50 = 2 s, no scene-cut keyframes), cached.
 * @param seconds clip length (looped by the server).
 */
export function syntheticClip(seconds = 90, size = '1920x1080'): BenchClip {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `synth-${size}-${seconds}s-g50-bf0.mp4`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.part.mp4`; // per process: two benches may build the same clip at once
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=25`,
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '50',
      '-keyint_min',
      '50',
      '-sc_threshold',
      '0',
      '-bf',
      '0',
      '-pix_fmt',
      'yuv420p',
      tmp,
    ]);
    renameSync(tmp, file);
  }
  return {
    name: 'synthetic',
    file,
    seconds,
    description: `testsrc2 ${size} 25 fps, libx264 veryfast High profile, no B-frames (like most IP cameras), GOP 50 (2 s), ${seconds} s`,
  };
}

/**
 * Real-content clip: the three HPWREN demo clips (1280×960, 2 fps) concatenated, upscaled to 1080p, repeated to
 * 25 fps with light temporal noise (a real sensor never sends two identical frames; without it the repeated
 * frames would be free to decode and flatter full decoding), GOP 50 (2 s). Cached.
 */
export function realClip(seconds = 60, height: 1080 | 720 | 360 = 1080): BenchClip {
  mkdirSync(CACHE_DIR, { recursive: true });
  const width = { 1080: 1920, 720: 1280, 360: 640 }[height];
  const file = path.join(CACHE_DIR, `hpwren-${height}p-${seconds}s-g50-bf0.mp4`);
  const dir = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips');
  const inputs = readdirSync(dir)
    .filter((f) => f.startsWith('hpwren-') && f.endsWith('.mp4'))
    .sort()
    .map((f) => path.join(dir, f));
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.part.mp4`; // per process: two benches may build the same clip at once
    const n = inputs.length;
    const chains = inputs
      .map((_, i) => `[${i}:v]scale=${width}:${height}:flags=bicubic,setsar=1,fps=25[v${i}]`)
      .join(';');
    const cat = `${inputs.map((_, i) => `[v${i}]`).join('')}concat=n=${n}:v=1:a=0,noise=alls=6:allf=t[out]`;
    ffmpeg([
      ...inputs.flatMap((f) => ['-stream_loop', '-1', '-t', String(Math.ceil(seconds / n) + 1), '-i', f]),
      '-filter_complex',
      `${chains};${cat}`,
      '-map',
      '[out]',
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '50',
      '-keyint_min',
      '50',
      '-sc_threshold',
      '0',
      '-bf',
      '0',
      '-pix_fmt',
      'yuv420p',
      tmp,
    ]);
    renameSync(tmp, file);
  }
  return {
    name: height === 1080 ? 'real (HPWREN)' : `real (HPWREN) ${height}p`,
    file,
    seconds,
    description: `HPWREN demo clips (1280 px wide) ${width > 1280 ? 'upscaled' : width < 1280 ? 'downscaled' : 'scaled'} to ${width}x${height}, their 2 fps content repeated to 25 fps with temporal noise, libx264 veryfast, no B-frames, GOP 50 (2 s), ${seconds} s`,
  };
}

// ---------------------------------------------------------------- BENCHMARKS.md

const HEADER = `# TowerWatch benchmarks

Generated by \`npm run bench\` (\`scripts/bench/index.ts\`). Each section below is rewritten independently by
its step (\`npm run bench -- <step>\`); the text between the \`<!-- bench:… -->\` markers is generated, edit
outside them. Every ratio is measured in the same run as its baseline. The machine is shared: other processes
(tests, builds) may have been running during a run — the load average at the start of each step is recorded.
`;

/** Replaces (or appends) the section `id` of BENCHMARKS.md. */
export function writeSection(id: string, body: string, file = BENCHMARKS_MD): void {
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}

/** Formats a step for BENCHMARKS.md: title, command, machine, body. */
export function sectionBody(r: StepResult, command: string, machine: string, wallS: number): string {
  return [
    `## ${r.title}`,
    '',
    `Command: \`${command}\` — run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, step took ${wallS.toFixed(0)} s.  `,
    machine,
    '',
    r.markdown.trim(),
  ].join('\n');
}

/**
 * Synthetic 1080p25 H.265 clip (`testsrc2`, libx265 ultrafast, GOP 50 = 2 s, no B-frames, no scene-cut
 * keyframes), cached: the H.265 row of the decode step.
 */
export function syntheticHevcClip(seconds = 90): BenchClip {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `synth-hevc-1920x1080-${seconds}s-g50-bf0.mp4`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.part.mp4`; // per process: two benches may build the same clip at once
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-t', String(seconds)],
      ...['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1'],
      ...['-x265-params', 'keyint=50:min-keyint=50:scenecut=0:bframes=0:log-level=error'],
      tmp,
    ]);
    renameSync(tmp, file);
  }
  return {
    name: 'synthetic H.265',
    file,
    seconds,
    description: `testsrc2 1920x1080 25 fps, libx265 ultrafast, no B-frames, GOP 50 (2 s), ${seconds} s`,
  };
}

/**
 * Thermal camera clip: the FLAME-T site E demo clip (320×256 radiometric-style white-hot, 2 fps, with fire
 * hot spots) looped, repeated to 9 fps (the common export-free thermal core rate) with light temporal noise,
 * libx264 GOP 18 (2 s), cached. Its hot spots make the hotspot model open real alerts (latency step).
 */
export function thermalClip(seconds = 90): BenchClip {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `thermal-320x256-${seconds}s-g18.mp4`);
  const src = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips', 'thermal-siteE-a35.mp4');
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.part.mp4`; // per process: two benches may build the same clip at once
    ffmpeg([
      ...['-stream_loop', '-1', '-i', src, '-t', String(seconds)],
      ...['-vf', 'fps=9,noise=alls=3:allf=t', '-c:v', 'libx264', '-preset', 'veryfast'],
      ...['-g', '18', '-keyint_min', '18', '-sc_threshold', '0', '-bf', '0', '-pix_fmt', 'yuv420p'],
      tmp,
    ]);
    renameSync(tmp, file);
  }
  return {
    name: 'thermal (FLAME-T)',
    file,
    seconds,
    description: `FLAME-T site E thermal clip 320x256, 2 fps content repeated to 9 fps with temporal noise, libx264 veryfast, no B-frames, GOP 18 (2 s), ${seconds} s`,
  };
}

/**
 * What a committed model needs from frames (its `model.json` input size and its manifest tiling mode), without
 * loading onnxruntime: the capture-only fleets use it to scale frames exactly as the runtime would.
 */
export function modelNeed(name: string, modelsDir = path.join(REPO_ROOT, 'models')): FrameNeed {
  const manifest = loadManifest(path.join(modelsDir, 'manifest.yaml'));
  const e = manifest.models.find((m) => m.name === name);
  if (!e || e.kind !== 'heatmap') throw new Error(`no heatmap model "${name}" in ${modelsDir}/manifest.yaml`);
  const spec = ModelSpec.parse(JSON.parse(readFileSync(path.join(modelsDir, e.dir, 'model.json'), 'utf8')));
  // heatmap models always stretch (onnxModel.ts)
  return { input: spec.inputSize, nativeScale: e.tiling.mode !== 'never', resize: 'stretch' };
}

/** Runs `fn` `runs` times back to back. @returns p50/p95 wall time, ms, and the row count of the last run. */
export async function timeRuns(
  runs: number,
  fn: () => number | Promise<number>,
): Promise<{ p50Ms: number; p95Ms: number; rows: number }> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = await fn();
    ms.push(performance.now() - t);
  }
  return { p50Ms: percentile(ms, 50), p95Ms: percentile(ms, 95), rows };
}

/** The console's three alert-list queries through an alert store, `runs` times each (§4, both backends). */
export async function timeConsoleQueries(
  store: { listAlerts(q: AlertListQuery): Promise<unknown[]> },
  runs: number,
): Promise<{ name: string; runs: number; p50Ms: number; p95Ms: number; rows: number }[]> {
  const queries: [string, AlertListQuery][] = [
    ["listAlerts({status:'open', limit:100}) (console queue)", { status: 'open', limit: 100 }],
    ['listAlerts({limit:100}) (all, newest first)', { limit: 100 }],
    ["listAlerts({cameraId:'cam-7', limit:100})", { cameraId: 'cam-7', limit: 100 }],
  ];
  const out = [];
  for (const [name, q] of queries)
    out.push({ name, runs, ...(await timeRuns(runs, async () => (await store.listAlerts(q)).length)) });
  return out;
}
