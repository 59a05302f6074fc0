/**
 * Pure frame sanity checks. A decoder that lost its reference frames emits flat grey or green frames; a camera
 * with a dead sensor sends black. Such frames are dropped before detection and counted.
 */
import type { RgbImage } from './ppmStream.ts';

/**
 * Standard deviation of luma (BT.601: 0.299 R + 0.587 G + 0.114 B) over a sparse grid of ≈ 4096 pixels, 0..255.
 * @throws RangeError when `data` does not hold width×height×3 bytes (a misaligned buffer must never pass).
 */
export function lumaStdDev(img: RgbImage): number {
  const { width: w, height: h, data } = img;
  if (data.length !== w * h * 3) throw new RangeError(`frame buffer ${data.length} B != ${w}x${h}x3`);
  const step = Math.max(1, Math.floor(Math.sqrt((w * h) / 4096)));
  let n = 0,
    sum = 0,
    sum2 = 0;
  for (let y = 0; y < h; y += step) {
    for (let x = 0; x < w; x += step) {
      const i = (y * w + x) * 3;
      const l = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      sum += l;
      sum2 += l * l;
      n++;
    }
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sum2 / n - mean * mean));
}

/** Below this luma standard deviation a frame carries no scene (grey/black/green decoder output). */
export const FLAT_FRAME_STDDEV = 2;

/** True when the frame is unusable for detection. */
export function isFlatFrame(img: RgbImage): boolean {
  return lumaStdDev(img) < FLAT_FRAME_STDDEV;
}

/**
 * Sliding-window ratio of bad frames (pure state update). `degraded` when more than `maxRatio` of the last
 * `window` frames were bad.
 */
export function updateBadRatio(
  history: boolean[],
  bad: boolean,
  window = 20,
  maxRatio = 0.5,
): { history: boolean[]; degraded: boolean } {
  const next = [...history, bad].slice(-window);
  const ratio = next.filter(Boolean).length / next.length;
  return { history: next, degraded: next.length >= Math.min(window, 5) && ratio > maxRatio };
}
