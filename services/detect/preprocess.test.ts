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

describe('copy-free paths', () => {
  const frame = { width: 3, height: 2, data: Buffer.from(Array.from({ length: 18 }, (_, i) => i)) };
  it('returns whole-row crops as views of the frame, other crops as copies', () => {
    const whole = cropRgb(frame, { x: 0, y: 0, w: 3, h: 2 });
    expect(whole.buffer).toBe(frame.data.buffer);
    expect(Array.from(whole)).toEqual(Array.from(frame.data));
    const row = cropRgb(frame, { x: 0, y: 1, w: 3, h: 1 });
    expect(Array.from(row)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(cropRgb(frame, { x: 1, y: 0, w: 2, h: 1 }).buffer).not.toBe(frame.data.buffer);
  });
  it('writes the tensor into a given slot, the same values as a fresh array', () => {
    const px = new Uint8Array(cropRgb(frame, { x: 0, y: 0, w: 3, h: 2 }));
    const fresh = rgbToTensor(px, 3, 2, 3, [0.5, 0.4, 0.3], [0.2, 0.2, 0.2], 'nchw');
    const batch = new Float32Array(2 * 18).fill(7);
    const slot = batch.subarray(18, 36);
    expect(rgbToTensor(px, 3, 2, 3, [0.5, 0.4, 0.3], [0.2, 0.2, 0.2], 'nchw', slot)).toBe(slot);
    expect(Array.from(slot)).toEqual(Array.from(fresh));
    expect(batch[0]).toBe(7); // the other slot is untouched
    expect(() => rgbToTensor(px, 3, 2, 3, [0, 0, 0], [1, 1, 1], 'nchw', new Float32Array(5))).toThrow(
      RangeError,
    );
  });
});
