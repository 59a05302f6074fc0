import { describe, expect, it } from 'vitest';
import { toNchwFloat } from './preprocess.ts';

describe('toNchwFloat', () => {
  it('de-interleaves HWC bytes into normalised CHW planes', () => {
    // 2×1 image: pixel0 = (255, 0, 51), pixel1 = (0, 255, 102)
    const px = Uint8Array.from([255, 0, 51, 0, 255, 102]);
    const out = toNchwFloat(px, 2, 1, 3, [0, 0.5, 0], [1, 0.5, 0.2]);
    expect(Array.from(out).map((v) => Number(v.toFixed(4)))).toEqual([1, 0, -1, 1, 1, 2]);
  });
  it('rejects a buffer of the wrong size', () => {
    expect(() => toNchwFloat(new Uint8Array(5), 2, 1, 3, [0, 0, 0], [1, 1, 1])).toThrow(RangeError);
  });
});
