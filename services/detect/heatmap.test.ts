import { describe, expect, it } from 'vitest';
import { heatmapToDetections } from './heatmap.ts';

function grid(rows: string[]): Float32Array {
  return Float32Array.from(rows.join('').split(''), (c) => (c === '.' ? 0 : Number(c) / 10));
}

describe('heatmapToDetections', () => {
  it('groups 8-connected cells into boxes scaled to frame pixels, best score first', () => {
    const heat = grid(['9.....', '.6....', '....7.', '....77']);
    const d = heatmapToDetections(heat, { width: 6, height: 4, scaleX: 8, scaleY: 4 }, 0.5);
    expect(d).toEqual([
      { box: { x: 0, y: 0, w: 16, h: 8 }, score: expect.closeTo(0.9, 5) as number },
      { box: { x: 32, y: 8, w: 16, h: 8 }, score: expect.closeTo(0.7, 5) as number },
    ]);
  });

  it('applies the threshold and the minimum area', () => {
    const heat = grid(['4.9', '...']);
    expect(heatmapToDetections(heat, { width: 3, height: 2, scaleX: 2, scaleY: 2 }, 0.5)).toHaveLength(1);
    expect(heatmapToDetections(heat, { width: 3, height: 2, scaleX: 2, scaleY: 2 }, 0.3)).toHaveLength(2);
    expect(heatmapToDetections(heat, { width: 3, height: 2, scaleX: 2, scaleY: 2 }, 0.3, 5)).toHaveLength(0);
  });

  it('rejects a heatmap that does not match its geometry', () => {
    expect(() =>
      heatmapToDetections(new Float32Array(5), { width: 2, height: 2, scaleX: 1, scaleY: 1 }, 0.5),
    ).toThrow(RangeError);
  });
});
