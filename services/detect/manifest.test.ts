import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest } from './manifest.ts';

const ok = `version: 1
models:
  - { name: hotspot, kind: heatmap, dir: hotspot }
  - name: fire-yolo
    kind: yolo
    file: fire/best.onnx
    labels: [fire, smoke, person]
    threshold: 0.35
`;

describe('parseManifest', () => {
  it('applies defaults', () => {
    const m = parseManifest('m.yaml', ok);
    expect(m.models[0]).toMatchObject({
      kind: 'heatmap',
      enabled: true,
      tiling: { mode: 'auto', overlap: 0.25, factor: 1.5 },
      everyNthFrame: 1,
    });
    expect(m.models[1]).toMatchObject({
      kind: 'yolo',
      iou: 0.45,
      channels: 3,
      resize: 'letterbox',
      normalize: { mean: [0, 0, 0] },
    });
  });
  it('names the file, line, path and reason', () => {
    const bad = ok.replace('threshold: 0.35', 'threshold: 1.5');
    expect(() => parseManifest('models/manifest.yaml', bad)).toThrow(ManifestError);
    expect(() => parseManifest('models/manifest.yaml', bad)).toThrow(
      /models\/manifest.yaml:8: models\.1\.threshold: /,
    );
    expect(() => parseManifest('m.yaml', ok.replace('[fire, smoke, person]', '[person, car]'))).toThrow(
      /models\.1\.labels: no label maps/,
    );
    expect(() => parseManifest('m.yaml', ok.replace('fire-yolo', 'hotspot'))).toThrow(/duplicate model name/);
    expect(() =>
      parseManifest('m.yaml', ok.replace('dir: hotspot }', 'dir: hotspot, everyNthFrame: 0 }')),
    ).toThrow(/m.yaml:3: models\.0\.everyNthFrame: /);
    expect(
      parseManifest('m.yaml', ok.replace('dir: hotspot }', 'dir: hotspot, everyNthFrame: 2 }')).models[0],
    ).toMatchObject({ everyNthFrame: 2 });
    expect(() => parseManifest('m.yaml', 'version: 1\nmodels: [\n')).toThrow(/m.yaml:\d+: \(yaml\)/);
    expect(() =>
      parseManifest('m.yaml', ok.replace('dir: hotspot', 'dir: hotspot, tiling: { overlap: 0.1 }')),
    ).toThrow(/models\.0\.tiling\.overlap/);
  });
});
