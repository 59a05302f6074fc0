/**
 * Perceptual difference hash (dHash, after N. Krawetz, "Kind of Like That", 2013) of an RGB frame: luma
 * block-averaged to 9×8, one bit per horizontal neighbour comparison → 64 bits. Two views of the same scene
 * differ by a few bits; different PTZ presets by many. Used to detect a PTZ camera that did not move.
 */
import type { RgbImage } from './ppmStream.ts';

/** 64-bit dHash as a bigint. @throws RangeError on a misaligned buffer. */
export function dHash(img: RgbImage): bigint {
  const { width: w, height: h, data } = img;
  if (data.length !== w * h * 3) throw new RangeError(`frame buffer ${data.length} B != ${w}x${h}x3`);
  const gw = 9,
    gh = 8;
  const cells = new Float64Array(gw * gh);
  for (let gy = 0; gy < gh; gy++) {
    const y0 = Math.floor((gy * h) / gh),
      y1 = Math.max(y0 + 1, Math.floor(((gy + 1) * h) / gh));
    for (let gx = 0; gx < gw; gx++) {
      const x0 = Math.floor((gx * w) / gw),
        x1 = Math.max(x0 + 1, Math.floor(((gx + 1) * w) / gw));
      let sum = 0,
        n = 0;
      const sy = Math.max(1, Math.floor((y1 - y0) / 8)),
        sx = Math.max(1, Math.floor((x1 - x0) / 8));
      for (let y = y0; y < y1; y += sy) {
        for (let x = x0; x < x1; x += sx) {
          const i = (y * w + x) * 3;
          sum += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
          n++;
        }
      }
      cells[gy * gw + gx] = sum / n;
    }
  }
  let hash = 0n;
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw - 1; gx++) {
      hash = (hash << 1n) | (cells[gy * gw + gx]! > cells[gy * gw + gx + 1]! ? 1n : 0n);
    }
  }
  return hash;
}

/** Number of differing bits. */
export function hamming(a: bigint, b: bigint): number {
  let x = a ^ b,
    n = 0;
  while (x) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

/** At or below this many differing bits (of 64), two frames show the same view (Krawetz suggests ≤ 10 for "similar"; we use 5 for "same"). */
export const SAME_VIEW_BITS = 5;
