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
    out,
  ];
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

/**
 * The ffmpeg adapter (child process in its own group, killed with the service, niced by
 * {@link CLIP_ENCODER_NICENESS}; times out after `timeoutMs`).
 */
export function ffmpegClipEncoder(ffmpegPath = 'ffmpeg', timeoutMs = 60_000): ClipEncoder {
  return {
    async encode(frames, fps) {
      if (frames.length === 0) throw new Error('no frames for the clip');
      const dir = mkdtempSync(path.join(tmpdir(), 'tw-clip-'));
      try {
        frames.forEach((f, i) =>
          writeFileSync(path.join(dir, `${String(i + 1).padStart(5, '0')}.jpg`), f.jpeg),
        );
        const out = path.join(dir, 'clip.mp4');
        const child = spawnSupervised(ffmpegPath, clipFfmpegArgs(dir, fps, out), {
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
        return readFileSync(out);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
