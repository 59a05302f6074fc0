import { describe, expect, it } from 'vitest';
import { DEFAULT_TILING, mapDetections, planViews, shouldTile, tileStarts, viewToFrame } from './tiling.ts';

const input = { width: 640, height: 480 };

describe('tileStarts', () => {
  it('covers the range with the requested overlap and ends aligned', () => {
    expect(tileStarts(1280, 640, 0.25)).toEqual([0, 480, 640]);
    expect(tileStarts(960, 480, 0.25)).toEqual([0, 360, 480]);
    expect(tileStarts(500, 640, 0.25)).toEqual([0]);
    const s = tileStarts(3000, 640, 0.2);
    for (let i = 1; i < s.length; i++) expect(640 - (s[i]! - s[i - 1]!)).toBeGreaterThanOrEqual(0.2 * 640);
    expect(s.at(-1)! + 640).toBe(3000);
  });
  it('rejects a bad tile or overlap', () => {
    expect(() => tileStarts(100, 0, 0.2)).toThrow(RangeError);
    expect(() => tileStarts(100, 10, 1)).toThrow(RangeError);
  });
});

describe('planViews', () => {
  it('resizes once when the frame is not much larger than the input', () => {
    expect(shouldTile({ w: 900, h: 700 }, input, DEFAULT_TILING)).toBe(false);
    const { views, tiled } = planViews(800, 600, input, DEFAULT_TILING);
    expect(tiled).toBe(false);
    expect(views).toEqual([
      { src: { x: 0, y: 0, w: 800, h: 600 }, scaleX: 0.8, scaleY: 0.8, padX: 0, padY: 0 },
    ]);
  });
  it('letterboxes (centred) when asked', () => {
    const { views } = planViews(800, 400, input, { ...DEFAULT_TILING, resize: 'letterbox' });
    expect(views[0]).toEqual({
      src: { x: 0, y: 0, w: 800, h: 400 },
      scaleX: 0.8,
      scaleY: 0.8,
      padX: 0,
      padY: 80,
    });
  });
  it('tiles a large frame at native scale with overlap, every tile inside the frame', () => {
    const { views, tiled } = planViews(1280, 960, input, DEFAULT_TILING);
    expect(tiled).toBe(true);
    expect(views).toHaveLength(9);
    for (const v of views) {
      expect(v.scaleX).toBe(1);
      expect(v.src.x + v.src.w).toBeLessThanOrEqual(1280);
      expect(v.src.y + v.src.h).toBeLessThanOrEqual(960);
    }
  });
  it('tiles only the ROI bounding box and skips tiles fully inside a mask', () => {
    const roi = [
      [
        [0, 0.5],
        [1, 0.5],
        [1, 1],
        [0, 1],
      ] as [number, number][],
    ];
    const a = planViews(2560, 960, input, DEFAULT_TILING, [], roi);
    expect(a.views.every((v) => v.src.y >= 480)).toBe(true);
    expect(a.views).toHaveLength(5); // 1 row × 5 columns
    const leftHalf = [
      [
        [0, 0],
        [0.5, 0],
        [0.5, 1],
        [0, 1],
      ] as [number, number][],
    ];
    const b = planViews(2560, 960, input, DEFAULT_TILING, leftHalf, roi);
    expect(b.views.every((v) => v.src.x + v.src.w > 1280)).toBe(true);
    expect(b.views.length).toBeLessThan(a.views.length);
  });
  it('pads a tile when the region is smaller than the input on one axis', () => {
    const { views } = planViews(2000, 300, input, DEFAULT_TILING);
    expect(views[0]!.src.h).toBe(300);
    expect(views[0]!.scaleY).toBe(1);
  });
});

describe('viewToFrame', () => {
  it('maps tile px to frame px and clips to the tile', () => {
    const v = { src: { x: 480, y: 360, w: 640, h: 480 }, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
    expect(viewToFrame({ x: 10, y: 20, w: 5, h: 6 }, v)).toEqual({ x: 490, y: 380, w: 5, h: 6 });
    expect(viewToFrame({ x: 630, y: 0, w: 40, h: 6 }, v)).toEqual({ x: 1110, y: 360, w: 10, h: 6 });
  });
  it('undoes letterbox scale and padding, and drops boxes in the padding', () => {
    const v = { src: { x: 0, y: 0, w: 800, h: 400 }, scaleX: 0.8, scaleY: 0.8, padX: 0, padY: 80 };
    expect(viewToFrame({ x: 80, y: 160, w: 8, h: 8 }, v)).toEqual({ x: 100, y: 100, w: 10, h: 10 });
    expect(mapDetections([{ box: { x: 0, y: 0, w: 10, h: 10 }, score: 1 }], v)).toEqual([]);
  });
});
