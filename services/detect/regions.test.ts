import { describe, expect, it } from 'vitest';
import type { NormPolygon } from '../schemas/config.ts';
import { filterByRegions, pointInPolygon, rectFullyMasked, roiBounds } from './regions.ts';

const square = (x0: number, y0: number, x1: number, y1: number): NormPolygon => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];
// A "U" shape: concave, its notch is not masked.
const U: NormPolygon = [
  [0, 0],
  [0.3, 0],
  [0.3, 0.7],
  [0.7, 0.7],
  [0.7, 0],
  [1, 0],
  [1, 1],
  [0, 1],
];

describe('masks and ROI', () => {
  it('point in polygon', () => {
    expect(
      pointInPolygon(5, 5, [
        [0, 0],
        [10, 0],
        [10, 10],
        [0, 10],
      ]),
    ).toBe(true);
    expect(
      pointInPolygon(15, 5, [
        [0, 0],
        [10, 0],
        [10, 10],
        [0, 10],
      ]),
    ).toBe(false);
  });
  it('a rectangle is fully masked only when no mask edge cuts it', () => {
    expect(rectFullyMasked({ x: 10, y: 10, w: 20, h: 20 }, [square(0, 0, 0.5, 0.5)], 100, 100)).toBe(true);
    expect(rectFullyMasked({ x: 40, y: 10, w: 20, h: 20 }, [square(0, 0, 0.5, 0.5)], 100, 100)).toBe(false);
    // corners inside the U, but the notch crosses the rectangle
    expect(rectFullyMasked({ x: 10, y: 50, w: 80, h: 40 }, [U], 100, 100)).toBe(false);
    expect(rectFullyMasked({ x: 5, y: 75, w: 90, h: 20 }, [U], 100, 100)).toBe(true);
  });
  it('ROI bounds in px, whole frame without ROI', () => {
    expect(roiBounds(200, 100)).toEqual({ x: 0, y: 0, w: 200, h: 100 });
    expect(roiBounds(200, 100, [square(0.1, 0.2, 0.5, 0.6)])).toEqual({ x: 20, y: 20, w: 80, h: 40 });
  });
  it('drops detections centred in a mask or outside the ROI', () => {
    const d = (x: number, y: number) => ({ box: { x: x - 1, y: y - 1, w: 2, h: 2 }, score: 1 });
    const dets = [d(10, 10), d(60, 10), d(60, 60), d(90, 90)];
    const kept = filterByRegions(dets, 100, 100, [square(0, 0, 0.5, 0.5)], [square(0, 0, 0.8, 0.8)]);
    expect(kept.map((k) => k.box.x + 1)).toEqual([60, 60]);
  });
});
