/**
 * Evidence clips: a per-camera ring of the last sampled frames (JPEG, or the camera's own H.264 keyframe), the
 * per-alert frame list, and the ffmpeg adapter that turns them into a short browser-playable MP4 (H.264,
 * yuv420p, +faststart).
 *
 * Sampled frames come every `sampleIntervalMs` (2 s by default), so the clip is a time-lapse: frames are shown
 * at `fps` (default 2) regardless of their capture spacing.
 *
 * Frames captured by the built-in RTSP client carry the keyframe they were decoded from. When that keyframe is
 * browser-playable H.264 ({@link clipCopyable}), the clip is those keyframes muxed into MP4 as they are (`-c:v
 * copy`: no JPEG encode in Node, no decode or x264 encode in ffmpeg; an all-intra time-lapse, bigger than an
 * x264 one — BENCHMARKS.md §2 has the CPU and size).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSupervised } from '../capture/processes.ts';
import type { CodedKeyframe } from '../capture/rtsp/depay.ts';
import { h264SpsInfo } from '../capture/rtsp/sps.ts';

/** One clip frame: exactly one of `jpeg` and `h264` is set. */
export interface ClipFrame {
  /** Capture time, epoch ms. */
  at: number;
  /** JPEG of the frame at its display size. */
  jpeg?: Buffer;
  /** The camera's keyframe, Annex B with its SPS first (only when {@link clipCopyable}). */
  h264?: Buffer;
}

/** Widest keyframe muxed into a clip as it is, px (the width x264 clips are scaled down to). */
export const CLIP_COPY_MAX_WIDTH = 1280;

/** The SPS NAL unit at the head of an Annex B access unit (after a 4-byte start code), or null. */
function leadingSps(annexB: Buffer): Buffer | null {
  if (annexB.length < 5 || annexB.readUInt32BE(0) !== 1 || (annexB[4]! & 0x1f) !== 7) return null;
  const next = annexB.indexOf(Buffer.from([0, 0, 0, 1]), 4);
  return annexB.subarray(4, next < 0 ? annexB.length : next);
}

/**
 * True when a keyframe can go into a clip without re-encoding: H.264 that every browser plays (Baseline, Main or
 * High profile — 4:2:0, 8 bit; not High 10, 4:2:2 or 4:4:4, which Chrome and Firefox refuse) and no wider than
 * {@link CLIP_COPY_MAX_WIDTH} (wider main streams would make clips of several MB of intra frames).
 */
export function clipCopyable(k: CodedKeyframe, maxWidth = CLIP_COPY_MAX_WIDTH): boolean {
  if (k.codec !== 'h264') return false;
  const sps = leadingSps(k.annexB);
  if (!sps) return false;
  try {
    const i = h264SpsInfo(sps);
    return (
      [66, 77, 100].includes(i.profileIdc) &&
      i.chromaFormatIdc === 1 &&
      i.bitDepth === 8 &&
      i.width <= maxWidth
    );
  } catch {
    return false;
  }
}

/**
 * Splits a clip's frames into runs that one ffmpeg input can read: consecutive JPEGs, or consecutive keyframes
 * with the same SPS (same size and coding parameters).
 */
export function clipRuns(frames: readonly ClipFrame[]): { kind: 'jpeg' | 'h264'; frames: ClipFrame[] }[] {
  const runs: { kind: 'jpeg' | 'h264'; key: string; frames: ClipFrame[] }[] = [];
  for (const f of frames) {
    const kind = f.h264 ? 'h264' : 'jpeg';
    const key = f.h264 ? (leadingSps(f.h264)?.toString('hex') ?? '') : '';
    const last = runs.at(-1);
    if (last && last.kind === kind && last.key === key) last.frames.push(f);
    else runs.push({ kind, key, frames: [f] });
  }
  return runs.map(({ kind, frames: fs }) => ({ kind, frames: fs }));
}

/** An access unit delimiter (H.264 NAL type 9, any picture type). */
const AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);

/**
 * The keyframes of a run as one Annex B stream, each after an access unit delimiter: two sampled IDR pictures
 * may carry the same `idr_pic_id` (not consecutive in the camera's stream), and without a delimiter a parser
 * may take them for one picture (H.264 §7.4.1.2.4).
 */
function annexBFile(frames: readonly ClipFrame[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => [AUD, f.h264!]));
}

/** Width and height of a baseline or progressive JPEG (its SOF marker), px; null when not found. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } | null {
  let off = 2;
  while (off + 9 < jpeg.length) {
    if (jpeg[off] !== 0xff) return null;
    const marker = jpeg[off + 1]!;
    const len = jpeg.readUInt16BE(off + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: jpeg.readUInt16BE(off + 5), width: jpeg.readUInt16BE(off + 7) };
    off += 2 + len;
  }
  return null;
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

/**
 * One clip of a batch: a directory of numbered JPEGs (`kind` jpeg, the default), or an Annex B file of
 * keyframes with one SPS (`kind` copy: muxed, not encoded), its frame rate and its output file.
 */
export interface ClipJob {
  kind?: 'jpeg' | 'copy';
  /** Directory of `%05d.jpg` (jpeg) or the Annex B file (copy). */
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
  for (const j of jobs)
    if (j.kind === 'copy') args.push('-framerate', String(j.fps), '-f', 'h264', '-i', j.dir);
    else args.push('-framerate', String(j.fps), '-i', path.join(j.dir, '%05d.jpg'));
  jobs.forEach((j, i) =>
    j.kind === 'copy'
      ? args.push(
          ...['-map', `${i}:v`, '-c:v', 'copy'],
          // A raw H.264 input of intra pictures carries no timestamps: number the frames at the clip's rate.
          ...['-bsf:v', `setts=ts=N/(${j.fps}*TB)`, '-movflags', '+faststart', '-an', j.out],
        )
      : args.push('-map', `${i}:v`, ...CLIP_OUTPUT_OPTIONS, '-threads', '1', j.out),
  );
  return args;
}

/**
 * ffmpeg arguments for a clip whose frames are not all of one kind (JPEGs and keyframes, or keyframes of two
 * SPSs: the camera's receiver or resolution changed during the alert): each run ({@link clipRuns}) is one input,
 * scaled and padded to `size` (the first frame's display size, width capped at 1280 px, even), concatenated,
 * and encoded like {@link clipFfmpegArgs}.
 * @param inputs per run: a JPEG directory or an Annex B file.
 * @throws RangeError when there is no input.
 */
export function clipMixedFfmpegArgs(
  inputs: readonly { kind: 'jpeg' | 'h264'; path: string }[],
  fps: number,
  size: { width: number; height: number },
  out: string,
): string[] {
  if (inputs.length === 0) throw new RangeError('no clip inputs');
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  for (const i of inputs)
    if (i.kind === 'h264') args.push('-framerate', String(fps), '-f', 'h264', '-i', i.path);
    else args.push('-framerate', String(fps), '-i', path.join(i.path, '%05d.jpg'));
  const scale = Math.min(1, 1280 / size.width);
  const w = 2 * Math.max(1, Math.round((size.width * scale) / 2));
  const h = 2 * Math.max(1, Math.round((size.height * scale) / 2));
  const chains = inputs.map(
    (_, k) =>
      // setpts: a raw H.264 input of intra pictures carries no timestamps (concat would wait forever).
      `[${k}:v]setpts=N/(${fps}*TB),scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p[v${k}]`,
  );
  const concat = `${inputs.map((_, k) => `[v${k}]`).join('')}concat=n=${inputs.length}:v=1:a=0[out]`;
  const encode = CLIP_OUTPUT_OPTIONS.slice(2); // without its -vf: the filter graph scales
  args.push(
    '-filter_complex',
    [...chains, concat].join(';'),
    '-map',
    '[out]',
    '-r',
    String(fps),
    ...encode,
    out,
  );
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

  /** Runs one ffmpeg; resolves once it exited 0. @throws Error with ffmpeg's stderr. */
  const ffmpeg = async (args: string[]): Promise<void> => {
    const child = spawnSupervised(ffmpegPath, args, { niceness: CLIP_ENCODER_NICENESS });
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
  };

  const writeJpegs = (dir: string, frames: readonly ClipFrame[]) =>
    frames.forEach((f, k) => writeFileSync(path.join(dir, `${String(k + 1).padStart(5, '0')}.jpg`), f.jpeg!));

  /**
   * Encodes the jobs; resolves with each job's MP4. Clips of one kind go into one ffmpeg together; a mixed clip
   * ({@link clipMixedFfmpegArgs}) is only ever run alone (settle retries a failed batch clip by clip).
   * @throws Error with ffmpeg's stderr.
   */
  const run = async (jobs: readonly PendingClip[]): Promise<Buffer[]> => {
    const dirs = jobs.map(() => mkdtempSync(path.join(tmpdir(), 'tw-clip-')));
    try {
      const runs = jobs.map((j) => clipRuns(j.frames));
      const mixed = runs.findIndex((r) => r.length > 1);
      if (mixed >= 0 && jobs.length === 1) {
        const dir = dirs[0]!;
        const inputs = runs[0]!.map((r, k) => {
          const p = path.join(dir, `run${k}${r.kind === 'h264' ? '.h264' : ''}`);
          if (r.kind === 'h264') writeFileSync(p, annexBFile(r.frames));
          else {
            mkdirSync(p);
            writeJpegs(p, r.frames);
          }
          return { kind: r.kind, path: p };
        });
        const first = jobs[0]!.frames[0]!;
        const size = first.jpeg
          ? jpegSize(first.jpeg)
          : (() => {
              const sps = leadingSps(first.h264!);
              return sps ? h264SpsInfo(sps) : null;
            })();
        const out = path.join(dir, 'clip.mp4');
        await ffmpeg(clipMixedFfmpegArgs(inputs, jobs[0]!.fps, size ?? { width: 1280, height: 720 }, out));
        return [readFileSync(out)];
      }
      if (mixed >= 0) throw new Error('a mixed clip is encoded alone'); // settle() retries one by one
      const specs: ClipJob[] = jobs.map((j, i) => {
        const dir = dirs[i]!;
        const out = path.join(dir, 'clip.mp4');
        if (runs[i]![0]!.kind === 'h264') {
          const file = path.join(dir, 'keyframes.h264');
          writeFileSync(file, annexBFile(j.frames));
          return { kind: 'copy', dir: file, fps: j.fps, out };
        }
        writeJpegs(dir, j.frames);
        return { dir, fps: j.fps, out };
      });
      await ffmpeg(clipBatchFfmpegArgs(specs));
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
