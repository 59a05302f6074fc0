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

import { cropRgb, pasteRgb, rgbToTensor } from './preprocess.ts';

describe('tile pixels', () => {
  const frame = { width: 3, height: 2, data: Buffer.from(Array.from({ length: 18 }, (_, i) => i)) };
  it('crops a rectangle', () => {
    expect(Array.from(cropRgb(frame, { x: 1, y: 1, w: 2, h: 1 }))).toEqual([12, 13, 14, 15, 16, 17]);
    expect(() => cropRgb(frame, { x: 2, y: 0, w: 2, h: 1 })).toThrow(RangeError);
  });
  it('pastes with padding', () => {
    const out = pasteRgb(Uint8Array.from([1, 2, 3]), 1, 1, { width: 2, height: 1 }, 1, 0, 9);
    expect(Array.from(out)).toEqual([9, 9, 9, 1, 2, 3]);
  });
  it('converts to luma and NHWC', () => {
    expect(Array.from(rgbToTensor(Uint8Array.from([255, 255, 255]), 1, 1, 1, [0], [1], 'nchw'))).toEqual([1]);
    const t = rgbToTensor(Uint8Array.from([255, 0, 0, 0, 255, 0]), 2, 1, 3, [0, 0, 0], [1, 1, 1], 'nhwc');
    expect(Array.from(t)).toEqual([1, 0, 0, 0, 1, 0]);
  });
});
