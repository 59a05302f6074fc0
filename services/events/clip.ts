/**
 * Evidence clips: a per-camera ring of the last sampled frames (JPEG), the per-alert frame list, and the ffmpeg
 * adapter that turns them into a short browser-playable MP4 (H.264, yuv420p, +faststart).
 *
 * Sampled frames come every `sampleIntervalMs` (2 s by default), so the clip is a time-lapse: frames are shown
 * at `fps` (default 2) regardless of their capture spacing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSupervised } from '../capture/processes.ts';

export interface ClipFrame {
  /** Capture time, epoch ms. */
  at: number;
  jpeg: Buffer;
}

/** Fixed-size ring of the most recent frames (oldest dropped first). */
export class FrameRing<T = ClipFrame> {
  private readonly frames: T[] = [];
  constructor(readonly capacity: number) {}
  push(f: T): void {
    this.frames.push(f);
    if (this.frames.length > this.capacity) this.frames.shift();
  }
  /** Oldest first (a copy). */
  snapshot(): T[] {
    return [...this.frames];
  }
}

/**
 * Appends a frame to an alert's list, keeping memory bounded: the pre-roll (`pre` frames) and the first
 * `keepFirst` frames of the alert are kept, and beyond `max` frames the oldest frame after those is dropped
 * (so the clip shows the start and the most recent part of a long alert).
 */
export function appendCapped(
  frames: ClipFrame[],
  f: ClipFrame,
  pre: number,
  max = 48,
  keepFirst = 12,
): ClipFrame[] {
  const out = [...frames, f];
  if (out.length > max) out.splice(Math.min(out.length - 1, pre + keepFirst), 1);
  return out;
}

/** Per-output encoding options: width capped at 1280 px, even sides, H.264 veryfast CRF 26, +faststart. */
const CLIP_OUTPUT_OPTIONS = [
  '-vf',
  'scale=trunc(min(iw\\,1280)/2)*2:-2',
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '26',
  '-pix_fmt',
  'yuv420p',
  '-movflags',
  '+faststart',
  '-an',
];

/**
 * ffmpeg arguments: numbered JPEGs in `dir` → `out` MP4. Width capped at 1280 px, both sides even (yuv420p
 * needs even sizes), H.264 (libx264, veryfast, CRF 26), `+faststart` so a browser starts playing at once.
 */
export function clipFfmpegArgs(dir: string, fps: number, out: string): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-framerate',
    String(fps),
    '-i',
    path.join(dir, '%05d.jpg'),
    ...CLIP_OUTPUT_OPTIONS,
    out,
  ];
}

/** One clip of a batch: a directory of numbered JPEGs, its frame rate and its output file. */
export interface ClipJob {
  dir: string;
  fps: number;
  out: string;
}

/**
 * ffmpeg arguments encoding several clips in one process: input i is job i's JPEGs, output i (`-map i:v`) its
 * MP4 with the same options as {@link clipFfmpegArgs}, one x264 thread each (`-threads 1`: clips are a few
 * dozen frames; thread pools per output cost more than they save). One job gives {@link clipFfmpegArgs}'s
 * encode. Why batch: starting ffmpeg costs more CPU than encoding a short clip — Debian's ffmpeg loads ~200
 * shared libraries, and with 80 cameras opening alerts, the dynamic loader (`ld.so`) was 18 % of all CPU of
 * this 2-core machine (`perf record -a`, 2026-11-30).
 * @throws RangeError when `jobs` is empty.
 */
export function clipBatchFfmpegArgs(jobs: readonly ClipJob[]): string[] {
  if (jobs.length === 0) throw new RangeError('no clip jobs');
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  for (const j of jobs) args.push('-framerate', String(j.fps), '-i', path.join(j.dir, '%05d.jpg'));
  jobs.forEach((j, i) => args.push('-map', `${i}:v`, ...CLIP_OUTPUT_OPTIONS, '-threads', '1', j.out));
  return args;
}

export interface ClipEncoder {
  /**
   * Encodes frames (oldest first) into an MP4.
   * @throws Error when there are no frames or ffmpeg fails (message carries ffmpeg's stderr).
   */
  encode(frames: readonly ClipFrame[], fps: number): Promise<Buffer>;
}

/**
 * Nice increment of clip encoders over TowerWatch: evidence is batch work; at full priority one alert storm (20 cameras opening
 * alerts in the same second in BENCHMARKS.md §2) starts 20 libx264 encodes that take the CPU from capture.
 */
export const CLIP_ENCODER_NICENESS = 10;

/** Most clips encoded by one ffmpeg process ({@link ffmpegClipEncoder}). */
export const CLIP_BATCH_MAX = 16;

interface PendingClip {
  frames: readonly ClipFrame[];
  fps: number;
  resolve: (mp4: Buffer) => void;
  reject: (e: Error) => void;
}

/**
 * The ffmpeg adapter (child process in its own group, killed with the service, niced by
 * {@link CLIP_ENCODER_NICENESS}; times out after `timeoutMs`). One ffmpeg runs at a time: clips asked for while
 * it runs wait and then go together into the next one (up to {@link CLIP_BATCH_MAX},
 * {@link clipBatchFfmpegArgs}), so a lone clip starts at once and an alert storm costs a few process starts,
 * not one per alert. When a batch of several fails, each of its clips is retried alone, so one bad clip
 * never fails the others.
 */
export function ffmpegClipEncoder(ffmpegPath = 'ffmpeg', timeoutMs = 60_000): ClipEncoder {
  const queue: PendingClip[] = [];
  let running = false;

  /** Runs ffmpeg on the jobs; resolves with each job's MP4. @throws Error with ffmpeg's stderr. */
  const run = async (jobs: readonly PendingClip[]): Promise<Buffer[]> => {
    const dirs = jobs.map(() => mkdtempSync(path.join(tmpdir(), 'tw-clip-')));
    try {
      const specs: ClipJob[] = jobs.map((j, i) => {
        const dir = dirs[i]!;
        j.frames.forEach((f, k) =>
          writeFileSync(path.join(dir, `${String(k + 1).padStart(5, '0')}.jpg`), f.jpeg),
        );
        return { dir, fps: j.fps, out: path.join(dir, 'clip.mp4') };
      });
      const child = spawnSupervised(ffmpegPath, clipBatchFfmpegArgs(specs), {
        niceness: CLIP_ENCODER_NICENESS,
      });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      if (code !== 0) throw new Error(`ffmpeg exited ${String(code)}: ${stderr.trim()}`);
      return specs.map((s) => readFileSync(s.out));
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  };

  const settle = async (batch: PendingClip[]): Promise<void> => {
    try {
      const out = await run(batch);
      batch.forEach((j, i) => j.resolve(out[i]!));
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      for (const j of batch) await settle([j]);
    }
  };

  const pump = (): void => {
    if (running || queue.length === 0) return;
    running = true;
    void settle(queue.splice(0, CLIP_BATCH_MAX)).finally(() => {
      running = false;
      pump();
    });
  };

  return {
    encode(frames, fps) {
      if (frames.length === 0) return Promise.reject(new Error('no frames for the clip'));
      return new Promise<Buffer>((resolve, reject) => {
        queue.push({ frames, fps, resolve, reject });
        pump();
      });
    },
  };
}
