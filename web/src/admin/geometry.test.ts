import { describe, expect, it } from 'vitest';
import {
  deleteVertex,
  fitSize,
  hitVertex,
  insidePolygon,
  moveVertex,
  polygonAt,
  toNorm,
  toPixel,
  type NormPt,
} from './geometry.ts';

const square: NormPt[] = [
  [0.2, 0.2],
  [0.6, 0.2],
  [0.6, 0.6],
  [0.2, 0.6],
];

describe('mask editor geometry', () => {
  it('converts pixel <-> normalised, clamped to the frame and rounded to 4 decimals', () => {
    expect(toPixel([0.25, 0.5], 800, 400)).toEqual({ x: 200, y: 200 });
    expect(toNorm(200, 200, 800, 400)).toEqual([0.25, 0.5]);
    expect(toNorm(-5, 500, 800, 400)).toEqual([0, 1]);
    expect(toNorm(100, 100, 3, 7)).toEqual([1, 1]);
    expect(toNorm(1, 1, 3, 7)).toEqual([0.3333, 0.1429]);
    expect(toNorm(1, 1, 0, 0)).toEqual([0, 0]);
  });

  it('hit-tests the nearest vertex within the radius', () => {
    expect(hitVertex([square], 161, 81, 800, 400)).toEqual({ polygon: 0, vertex: 0 });
    expect(hitVertex([square], 480, 240, 800, 400)).toEqual({ polygon: 0, vertex: 2 });
    expect(hitVertex([square], 170, 90, 800, 400)).toBeNull();
    expect(hitVertex([square], 170, 90, 800, 400, 20)).toEqual({ polygon: 0, vertex: 0 });
    const other: NormPt[] = [
      [0.21, 0.21],
      [0.3, 0.21],
      [0.3, 0.3],
    ];
    // Nearest wins across polygons.
    expect(hitVertex([square, other], 168, 84, 800, 400)).toEqual({ polygon: 1, vertex: 0 });
  });

  it('finds the polygon under a point', () => {
    expect(insidePolygon([0.4, 0.4], square)).toBe(true);
    expect(insidePolygon([0.7, 0.4], square)).toBe(false);
    expect(polygonAt([square], 320, 160, 800, 400)).toBe(0);
    expect(polygonAt([square], 10, 10, 800, 400)).toBe(-1);
  });

  it('moves and deletes vertices immutably; a polygon under 3 points goes away', () => {
    const polys = [square.map((p) => [...p] as NormPt)];
    const moved = moveVertex(polys, 0, 1, [0.7, 0.1]);
    expect(moved[0]![1]).toEqual([0.7, 0.1]);
    expect(polys[0]![1]).toEqual([0.6, 0.2]);
    const fewer = deleteVertex(moved, 0, 0);
    expect(fewer[0]).toHaveLength(3);
    expect(deleteVertex(fewer, 0, 0)).toEqual([]);
  });

  it('fits the frame into the available width', () => {
    expect(fitSize(1920, 1080, 960)).toEqual({ width: 960, height: 540 });
    expect(fitSize(320, 256, 960)).toEqual({ width: 960, height: 768 });
    expect(fitSize(0, 0, 640)).toEqual({ width: 640, height: 360 });
  });
});
