import { describe, expect, it } from 'vitest';
import { CameraConfig, type DetectionType } from '../schemas/config.ts';
import { captureOutputSize } from '../capture/ffmpegArgs.ts';
import type { SampledFrame } from '../capture/cameraWorker.ts';
import type { TypeObservation } from '../events/alertService.ts';
import { silentLogger } from '../util/logger.ts';
import { cadenceDue, DetectLoop, frameNeedsFor, type AlertSink, type Detector } from './detectLoop.ts';
import { DustDetector } from './dustDetector.ts';
import { DustParams } from './dust.ts';

const det = (
  name: string,
  type: DetectionType,
  inputSize?: { width: number; height: number },
  mode?: 'auto' | 'always' | 'never',
): Detector => ({
  spec: { name, type, ...(inputSize ? { inputSize } : {}), ...(mode ? { tiling: { mode } } : {}) },
  detect: () => Promise.reject(new Error('not used')),
});

const cam = (over: Record<string, unknown>) =>
  CameraConfig.parse({ id: 'c', name: 'c', url: 'rtsp://h/x', channel: 'visible', ...over });

describe('frameNeedsFor', () => {
  const smoke = det('smoke', 'smoke', { width: 640, height: 480 }, 'never');
  const hotspot = det('hotspot', 'hotspot', { width: 320, height: 256 }, 'auto');
  const detectors = new Map<DetectionType, Detector>([
    ['smoke', smoke],
    ['hotspot', hotspot],
  ]);

  it('lists each used model once, whole-frame models without native scale', () => {
    expect(frameNeedsFor(cam({ detectors: ['smoke'] }), detectors)).toEqual([
      { input: { width: 640, height: 480 }, nativeScale: false },
    ]);
  });

  it('includes preset detectors and marks tiling models as native scale', () => {
    const c = cam({
      detectors: ['smoke'],
      presets: [{ id: 'p1', name: 'p1', detectors: ['hotspot'] }],
    });
    expect(frameNeedsFor(c, detectors)).toEqual([
      { input: { width: 640, height: 480 }, nativeScale: false },
      { input: { width: 320, height: 256 }, nativeScale: true },
    ]);
  });

  it('treats a detector without a declared input as needing native frames', () => {
    const d = new Map<DetectionType, Detector>([['smoke', det('fake', 'smoke')]]);
    expect(frameNeedsFor(cam({ detectors: ['smoke'] }), d)[0]?.nativeScale).toBe(true);
    expect(frameNeedsFor(cam({ detectors: ['dust'] }), d)).toEqual([]);
  });

  it('lets a smoke + dust camera be downscaled to the smoke model size (dust works at its workWidth)', () => {
    const dust = new DustDetector({ name: 'dust', threshold: 0.2, params: DustParams.parse({}) });
    const d = new Map<DetectionType, Detector>([
      ['smoke', smoke],
      ['dust', dust],
    ]);
    const needs = frameNeedsFor(cam({ detectors: ['smoke', 'dust'] }), d);
    expect(needs).toEqual([
      { input: { width: 640, height: 480 }, nativeScale: false },
      { input: { width: 320, height: 0 }, nativeScale: false },
    ]);
    expect(captureOutputSize({ width: 1920, height: 1080 }, needs)).toEqual({ width: 854, height: 480 });
  });
});

describe('cadenceDue', () => {
  it('runs every frame at cadence 1, every Nth frame of a quiet view, and every frame while tracking', () => {
    expect([0, 1, 2, 3].map((n) => cadenceDue(n, 1, false))).toEqual([true, true, true, true]);
    const pattern = (runs: boolean[]) => runs.map((r) => (r ? 'x' : '.')).join('');
    expect(pattern([0, 1, 2, 3, 4, 5, 6].map((n) => cadenceDue(n, 3, false)))).toBe('x..x..x');
    expect([1, 2, 4, 5].map((n) => cadenceDue(n, 3, true))).toEqual([true, true, true, true]);
  });
});

describe('DetectLoop cadence (manifest everyNthFrame)', () => {
  const frame = (seq: number, presetId: string | null = null): SampledFrame => ({
    cameraId: 'c',
    presetId,
    capturedAt: 1_000 * seq,
    seq,
    image: { width: 4, height: 4, data: Buffer.alloc(48) },
  });
  const counting = (name: string, type: DetectionType, everyNthFrame?: number) => {
    const calls: number[] = [];
    const d: Detector = {
      spec: { name, type, ...(everyNthFrame ? { everyNthFrame } : {}) },
      detect: (img, opts) => {
        calls.push(Date.parse(opts?.context?.capturedAt ?? ''));
        return Promise.resolve({ model: name, type, detections: [], views: 1, tiled: false, ms: 0 });
      },
    };
    return { d, calls };
  };
  const setup = () => {
    const smoke = counting('smoke', 'smoke', 3);
    const hot = counting('hotspot', 'hotspot');
    const tracking = new Set<string>();
    const observed: { seq: number; types: string[] }[] = [];
    const sink: AlertSink = {
      observeFrame: (f, obs: readonly TypeObservation[]) => {
        observed.push({ seq: (f as SampledFrame).seq, types: obs.map((o) => o.type) });
        return Promise.resolve();
      },
      idle: () => Promise.resolve(),
      tracking: (cameraId, presetId, type) => tracking.has(`${cameraId}|${presetId ?? ''}|${type}`),
    };
    const loop = new DetectLoop({
      cameras: new Map([['c', cam({ detectors: ['smoke', 'hotspot'] })]]),
      detectors: new Map<DetectionType, Detector>([
        ['smoke', smoke.d],
        ['hotspot', hot.d],
      ]),
      alerts: sink,
      log: silentLogger(),
    });
    const push = async (f: SampledFrame) => {
      loop.push(f);
      await loop.drain();
    };
    return { smoke, hot, tracking, observed, loop, push };
  };

  it('runs a cadence-3 model on frames 1, 4, 7 of a quiet view; other models and the frame count are unaffected', async () => {
    const t = setup();
    for (let i = 1; i <= 7; i++) await t.push(frame(i));
    expect(t.smoke.calls).toEqual([1_000, 4_000, 7_000]);
    expect(t.hot.calls).toHaveLength(7);
    expect(t.observed.map((o) => (o.types.includes('smoke') ? 'x' : '.')).join('')).toBe('x..x..x');
    expect(t.observed.every((o) => o.types.includes('hotspot'))).toBe(true);
    expect(t.loop.counts('c')).toEqual({ framesAnalysed: 7, framesDropped: 0 });
    expect(t.loop.modelRuns()).toEqual({ smoke: { ran: 3, skipped: 4 }, hotspot: { ran: 7, skipped: 0 } });
  });

  it('runs it on every frame while the view has a smoke track, and on the first frame of every preset visit', async () => {
    const t = setup();
    await t.push(frame(1)); // runs (first frame of the view)
    t.tracking.add('c||smoke');
    await t.push(frame(2));
    await t.push(frame(3));
    t.tracking.clear();
    await t.push(frame(4)); // 4th frame offered: 3 % 3 === 0, runs
    await t.push(frame(5)); // quiet again: skipped
    await t.push(frame(6, 'p1')); // another preset: the first frame of the visit runs
    await t.push(frame(7, 'p1')); // skipped
    await t.push(frame(8)); // back on the first view: a new visit, runs
    await t.push(frame(9)); // skipped
    expect(t.smoke.calls).toEqual([1_000, 2_000, 3_000, 4_000, 6_000, 8_000]);
  });
  it('keeps a separate count for two loaded copies of one model name (one per type)', async () => {
    const a = counting('fire-yolo', 'hotspot', 2);
    const b = counting('fire-yolo', 'smoke', 2);
    const sink: AlertSink = {
      observeFrame: () => Promise.resolve(),
      idle: () => Promise.resolve(),
      tracking: () => false,
    };
    const loop = new DetectLoop({
      cameras: new Map([['c', cam({ detectors: ['smoke', 'hotspot'] })]]),
      detectors: new Map<DetectionType, Detector>([
        ['hotspot', a.d],
        ['smoke', b.d],
      ]),
      alerts: sink,
      log: silentLogger(),
    });
    for (let i = 1; i <= 4; i++) {
      loop.push(frame(i));
      await loop.drain();
    }
    expect(a.calls).toEqual([1_000, 3_000]);
    expect(b.calls).toEqual([1_000, 3_000]);
  });
});
