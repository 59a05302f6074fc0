import { describe, expect, it } from 'vitest';
import { ios, iou, nms } from './detection.ts';

const b = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });

describe('iou / ios', () => {
  it('computes overlap ratios', () => {
    expect(iou(b(0, 0, 10, 10), b(5, 0, 10, 10))).toBeCloseTo(50 / 150, 9);
    expect(iou(b(0, 0, 10, 10), b(20, 20, 5, 5))).toBe(0);
    expect(ios(b(0, 0, 10, 10), b(2, 2, 4, 4))).toBe(1);
  });
});

describe('nms', () => {
  it('keeps the best of overlapping boxes of one type, and boxes of other types', () => {
    const d = [
      { box: b(0, 0, 10, 10), score: 0.6, type: 'smoke' as const },
      { box: b(1, 1, 10, 10), score: 0.9, type: 'smoke' as const },
      { box: b(1, 1, 10, 10), score: 0.5, type: 'hotspot' as const },
      { box: b(50, 50, 10, 10), score: 0.7, type: 'smoke' as const },
    ];
    expect(nms(d, 0.45).map((x) => x.score)).toEqual([0.9, 0.7, 0.5]);
  });
  it('merges a box cut by a tile border (intersection over smaller)', () => {
    const d = [
      { box: b(0, 0, 40, 10), score: 0.9 },
      { box: b(30, 0, 10, 10), score: 0.8 },
    ];
    expect(nms(d, 0.45)).toHaveLength(2);
    expect(nms(d, 0.45, 0.6)).toHaveLength(1);
  });
});
