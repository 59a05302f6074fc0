/**
 * Drop-in model formats for real: tiny YOLO-shaped ONNX graphs (built by scripts/models/make_tiny_onnx.py,
 * committed under test/fixtures/models) run through onnxruntime-node with the production loader, tiling,
 * batching, decoding, NMS and masks.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxEntries, parseManifest } from '../../services/detect/manifest.ts';
import { ModelLoadError, OnnxModel } from '../../services/detect/onnxModel.ts';
import { REPO_ROOT } from '../../services/runtime.ts';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'models');
const loaded: OnnxModel[] = [];

async function load(yaml: string): Promise<OnnxModel> {
  const entry = onnxEntries(
    parseManifest('test.yaml', `version: 1\nmodels:\n  - ${yaml.trim().split('\n').join('\n    ')}\n`),
  )[0]!;
  const m = await OnnxModel.load(entry, FIXTURES);
  loaded.push(m);
  return m;
}

/** 200×64 RGB frame, black with a white band from x = 136 to the right edge. */
function frame(width = 200, height = 64, whiteFrom = 136) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = whiteFrom; x < width; x++) data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

afterAll(async () => {
  await Promise.all(loaded.map((m) => m.close()));
});

describe('YOLO and classifier models through onnxruntime-node', () => {
  it('v8 layout: reads size and dynamic batch from the graph, tiles, batches, decodes, maps back, NMS', async () => {
    const m = await load(`name: v8
kind: yolo
file: yolo_v8.onnx
labels: [fire, smoke]
threshold: 0.5
maxBatch: 4`);
    expect(m.spec).toMatchObject({
      kind: 'yolo',
      inputSize: { width: 64, height: 64 },
      layout: 'nchw',
      batch: 4,
      types: ['hotspot', 'smoke'],
    });
    const r = await m.detect(frame());
    expect(r.tiled).toBe(true);
    expect(r.views).toBe(4); // x = 0, 48, 96, 136
    expect(r.detections).toHaveLength(1);
    expect(r.detections[0]).toMatchObject({ type: 'hotspot', box: { x: 160, y: 24, w: 16, h: 16 } });
    expect(r.detections[0]!.score).toBeCloseTo(1, 5);
  });

  it('v5 layout with a fixed batch of 1 runs tiles sequentially; masks skip tiles and drop detections', async () => {
    const m = await load(`name: v5
kind: yolo
file: yolo_v5.onnx
labels: [fire, smoke]
threshold: 0.5`);
    expect(m.spec.batch).toBe(1);
    const r = await m.detect(frame());
    expect(r.detections.map((d) => [d.type, d.box.x])).toEqual([['hotspot', 160]]);
    const mask: [number, number][] = [
      [0.6, 0],
      [1, 0],
      [1, 1],
      [0.6, 1],
    ];
    const masked = await m.detect(frame(), { masks: [mask] });
    expect(masked.views).toBe(3);
    expect(masked.detections).toEqual([]);
  });

  it('a classifier turns positive tiles into boxes', async () => {
    const m = await load(`name: cls
kind: classifier
file: classifier.onnx
labels: [background, smoke]
activation: none
threshold: 0.9`);
    const r = await m.detect(frame(100, 32, 68));
    expect(r.detections).toEqual([
      { type: 'smoke', score: expect.closeTo(1, 5) as number, box: { x: 68, y: 0, w: 32, h: 32 } },
    ]);
  });

  it('refuses a model whose graph does not match its declaration, naming the file', async () => {
    await expect(
      load(`name: bad-size
kind: yolo
file: yolo_v8.onnx
labels: [fire, smoke]
threshold: 0.5
inputSize: { width: 32, height: 32 }`),
    ).rejects.toThrow(/yolo_v8\.onnx: input size 64x64 \(from the graph\) != declared inputSize 32x32/);
    await expect(
      load(`name: bad-labels
kind: yolo
file: yolo_v8.onnx
labels: [fire, smoke, dust]
threshold: 0.5`),
    ).rejects.toThrow(ModelLoadError);
    await expect(
      load(`name: bad-channels
kind: yolo
file: yolo_v8.onnx
labels: [fire, smoke]
channels: 1
normalize: { mean: [0], std: [1] }
threshold: 0.5`),
    ).rejects.toThrow(/3 channels \(nchw\), declared 1/);
    await expect(
      load(`name: missing
kind: yolo
file: nope.onnx
labels: [fire]
threshold: 0.5`),
    ).rejects.toThrow(/nope\.onnx: file not found/);
  });
});
