import { describe, expect, it } from 'vitest';
import { isFlatFrame, lumaStdDev, updateBadRatio } from './frameQuality.ts';

const img = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data.fill(f(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, data };
};

describe('frame quality', () => {
  it('flags uniform frames and passes textured ones', () => {
    expect(isFlatFrame(img(64, 48, () => 128))).toBe(true);
    expect(isFlatFrame(img(64, 48, (x, y) => ((x ^ y) & 8 ? 200 : 40)))).toBe(false);
    expect(lumaStdDev(img(2, 1, (x) => (x ? 255 : 0)))).toBeCloseTo(127.5, 1);
  });
  it('rejects a misaligned buffer', () => {
    expect(() => lumaStdDev({ width: 1366, height: 767, data: Buffer.alloc(1366 * 768 * 3) })).toThrow(
      RangeError,
    );
  });
  it('marks degraded when most recent frames are bad', () => {
    let h: boolean[] = [];
    let d = false;
    for (let i = 0; i < 10; i++) ({ history: h, degraded: d } = updateBadRatio(h, i % 3 === 0));
    expect(d).toBe(false);
    for (let i = 0; i < 15; i++) ({ history: h, degraded: d } = updateBadRatio(h, true));
    expect(d).toBe(true);
    expect(h).toHaveLength(20);
  });
});
