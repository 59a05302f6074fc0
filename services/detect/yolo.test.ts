import { describe, expect, it } from 'vitest';
import { classifierProbs, decodeYolo, labelToType, yoloLayout } from './yolo.ts';

/** Builds a v8 tensor [1, 4+nc, N] from anchors given as [cx, cy, w, h, ...classScores]. */
function v8(anchors: number[][], nc: number): { data: Float32Array; dims: number[] } {
  const n = anchors.length;
  const data = new Float32Array((4 + nc) * n);
  anchors.forEach((a, i) => a.forEach((v, k) => (data[k * n + i] = v)));
  return { data, dims: [1, 4 + nc, n] };
}
/** v5 tensor [1, N, 5+nc] from [cx, cy, w, h, obj, ...classProbs]. */
function v5(anchors: number[][], nc: number): { data: Float32Array; dims: number[] } {
  return { data: Float32Array.from(anchors.flat()), dims: [1, anchors.length, 5 + nc] };
}

const types = ['hotspot', 'smoke'] as const;

describe('yoloLayout', () => {
  it('infers v8 and v5, and refuses ambiguous or unfitting dims', () => {
    expect(yoloLayout([1, 6, 8400], 2)).toBe('v8');
    expect(yoloLayout([1, 25200, 7], 2)).toBe('v5');
    expect(() => yoloLayout([1, 6, 7], 2)).toThrow(/ambiguous/);
    expect(yoloLayout([1, 6, 7], 2, 'v5')).toBe('v5');
    expect(() => yoloLayout([1, 9, 9], 2)).toThrow(/neither/);
  });
});

describe('decodeYolo', () => {
  it('decodes v8: max class score, threshold, class mapping, NMS', () => {
    const { data, dims } = v8(
      [
        [100, 100, 20, 10, 0.9, 0.1], // hotspot 0.9
        [102, 101, 20, 10, 0.8, 0.0], // duplicate, suppressed
        [300, 50, 40, 40, 0.2, 0.7], // smoke 0.7
        [500, 50, 40, 40, 0.1, 0.2], // below threshold
      ],
      2,
    );
    const d = decodeYolo(data, dims, {
      layout: 'v8',
      classTypes: [...types],
      confThreshold: 0.25,
      iouThreshold: 0.45,
    });
    expect(d).toEqual([
      { box: { x: 90, y: 95, w: 20, h: 10 }, score: expect.closeTo(0.9, 5) as number, type: 'hotspot' },
      { box: { x: 280, y: 30, w: 40, h: 40 }, score: expect.closeTo(0.7, 5) as number, type: 'smoke' },
    ]);
  });
  it('decodes v5: confidence = objectness × class probability', () => {
    const { data, dims } = v5(
      [
        [50, 50, 10, 10, 0.8, 0.1, 0.9], // smoke 0.72
        [60, 60, 10, 10, 0.3, 0.9, 0.1], // hotspot 0.27 < 0.3
      ],
      2,
    );
    const d = decodeYolo(data, dims, {
      layout: 'v5',
      classTypes: [...types],
      confThreshold: 0.3,
      iouThreshold: 0.45,
    });
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ type: 'smoke', box: { x: 45, y: 45, w: 10, h: 10 } });
    expect(d[0]!.score).toBeCloseTo(0.72, 5);
  });
  it('ignores unmapped classes and merges fire with hotspot in NMS', () => {
    const { data, dims } = v8(
      [
        [100, 100, 20, 20, 0.9, 0, 0],
        [101, 100, 20, 20, 0, 0.95, 0],
        [300, 300, 20, 20, 0, 0, 0.99],
      ],
      3,
    );
    const classTypes = ['fire', 'hotspot', 'person'].map((l) => labelToType(l));
    const d = decodeYolo(data, dims, { layout: 'v8', classTypes, confThreshold: 0.25, iouThreshold: 0.45 });
    expect(d).toHaveLength(1);
    expect(d[0]!.score).toBeCloseTo(0.95, 5);
  });
  it('reads the right image of a batch and rejects a bad length', () => {
    const a = v8([[10, 10, 4, 4, 0.9, 0]], 2).data;
    const b = v8([[50, 50, 4, 4, 0, 0.8]], 2).data;
    const data = Float32Array.from([...a, ...b]);
    const d = decodeYolo(data, [2, 6, 1], {
      layout: 'v8',
      classTypes: [...types],
      confThreshold: 0.5,
      iouThreshold: 0.45,
      batchIndex: 1,
    });
    expect(d).toEqual([
      { box: { x: 48, y: 48, w: 4, h: 4 }, score: expect.closeTo(0.8, 5) as number, type: 'smoke' },
    ]);
    expect(() =>
      decodeYolo(new Float32Array(5), [1, 6, 1], {
        layout: 'v8',
        classTypes: [...types],
        confThreshold: 0.5,
        iouThreshold: 0.45,
      }),
    ).toThrow(RangeError);
  });
});

describe('labels and classifiers', () => {
  it('maps labels to alert types', () => {
    expect(labelToType('Fire')).toBe('hotspot');
    expect(labelToType('smoke')).toBe('smoke');
    expect(labelToType('cloud')).toBeNull();
    expect(labelToType('cloud', { cloud: 'ignore' })).toBeNull();
    expect(labelToType('plume', { plume: 'smoke' })).toBe('smoke');
  });
  it('applies softmax / sigmoid', () => {
    const p = classifierProbs([0, Math.log(3)], 2, 0, 'softmax');
    expect(p[1]).toBeCloseTo(0.75, 9);
    expect(classifierProbs([9, 9, 0, 0], 2, 1, 'sigmoid')).toEqual([0.5, 0.5]);
  });
});
