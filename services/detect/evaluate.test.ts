import { describe, expect, it } from 'vitest';
import { matchCounts, parseYoloLabels, prf } from './evaluate.ts';

describe('evaluation helpers', () => {
  it('parses YOLO labels, filtering classes', () => {
    expect(parseYoloLabels('1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.1 0.1\n', 100, 50, [1])).toEqual([
      { x: 40, y: 15, w: 20, h: 20 },
    ]);
  });
  it('matches by IoU ≥ 0.1 or centre inside, one to one, best score first', () => {
    const gts = [{ x: 0, y: 0, w: 10, h: 10 }];
    const preds = [
      { score: 0.5, box: { x: 2, y: 2, w: 2, h: 2 } },
      { score: 0.9, box: { x: 4, y: 4, w: 40, h: 40 } }, // centre outside, IoU < 0.1
    ];
    expect(matchCounts(preds, gts)).toEqual({ tp: 1, fp: 1, fn: 0 });
    expect(prf({ tp: 1, fp: 1, fn: 0 })).toMatchObject({ precision: 0.5, recall: 1, f1: 0.6667 });
  });
});
