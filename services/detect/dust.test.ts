import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../capture/ppmStream.ts';
import * as S from '../../scripts/models/dustSynthLib.ts';
import {
  airlightScore,
  analyseDust,
  createDustState,
  DEFAULT_DUST_PARAMS,
  DustParams,
  type DustState,
} from './dust.ts';
import type { AlertService } from '../events/alertService.ts';
import { CameraConfig } from '../schemas/config.ts';
import { silentLogger } from '../util/logger.ts';
import { DetectLoop, type Detector } from './detectLoop.ts';
import { DustDetector } from './dustDetector.ts';
import type { DetectOptions } from './onnxModel.ts';
import { parseManifest } from './manifest.ts';

const W = 320,
  H = 240;
const TH = 0.3;
const base = S.proceduralScene(W, H, 7);
const plume = { x: 150, y: 120, w: 70, h: 90 };
const plumeMap = S.plumeMap(W, H, plume, S.rng(3));
const TAN: [number, number, number] = [196, 170, 128];

/** Background learned from `n` noisy copies of the base scene. */
function learned(seed = 1, n = DEFAULT_DUST_PARAMS.warmupFrames + 2): { st: DustState; r: () => number } {
  const st = createDustState();
  const r = S.rng(seed);
  for (let k = 0; k < n; k++)
    analyseDust(
      st,
      noisy((f) => f, r),
      { threshold: TH },
    );
  return { st, r };
}
function noisy(mod: (f: RgbImage) => RgbImage | void, r: () => number): RgbImage {
  let f = S.cloneImage(base);
  f = mod(f) ?? f;
  S.noise(f, 1.5, r);
  return f;
}
const overlapsPlume = (b: { x: number; y: number; w: number; h: number }) =>
  b.x < plume.x + plume.w && plume.x < b.x + b.w && b.y < plume.y + plume.h && plume.y < b.y + b.h;

describe('analyseDust', () => {
  it('learns a background first and reports nothing during the warm-up', () => {
    const st = createDustState();
    const r = S.rng(2);
    for (let k = 0; k < DEFAULT_DUST_PARAMS.warmupFrames; k++) {
      const res = analyseDust(
        st,
        noisy((f) => S.blendAirlight(f, plumeMap, 0.7, TAN), r),
        { threshold: TH },
      );
      expect(res.warmingUp).toBe(true);
      expect(res.detections).toEqual([]);
    }
    expect(st.gw).toBe(40);
    expect(st.gh).toBe(30);
  });

  it('finds a dust plume after persistFrames frames, with a score close to its opacity', () => {
    const { st, r } = learned();
    const seen: number[] = [];
    for (let k = 0; k < 3; k++) {
      const res = analyseDust(
        st,
        noisy((f) => S.blendAirlight(f, plumeMap, 0.5, TAN), r),
        { threshold: TH },
      );
      seen.push(res.detections.length);
      if (k >= 1) {
        expect(res.detections.length).toBe(1);
        const d = res.detections[0]!;
        expect(overlapsPlume(d.box)).toBe(true);
        expect(d.score).toBeGreaterThan(0.4);
        expect(d.score).toBeLessThan(0.65);
      }
    }
    expect(seen[0]).toBe(0); // one frame is not enough (persistFrames 2)
  });

  it.each([
    ['uniform white haze', (f: RgbImage) => S.blendAirlight(f, null, 0.4, [205, 208, 212])],
    [
      'uniform dust-coloured haze (weather, not a plume)',
      (f: RgbImage) => S.blendAirlight(f, null, 0.35, TAN),
    ],
    ['exposure drop', (f: RgbImage) => S.exposure(f, 0.7)],
    ['exposure rise with clipping', (f: RgbImage) => S.exposure(f, 1.35)],
    ['gamma change', (f: RgbImage) => S.exposure(f, 1, 1.3)],
    ['cloud shadow', (f: RgbImage) => S.shadow(f, S.softEllipse(W, H, 180, 170, 90, 50), 0.6)],
    ['white smoke plume', (f: RgbImage) => S.blendAirlight(f, plumeMap, 0.6, [200, 202, 208])],
    ['grey smoke plume', (f: RgbImage) => S.blendAirlight(f, plumeMap, 0.6, [150, 152, 158])],
  ])('does not fire on %s', (_name, effect) => {
    const { st, r } = learned(3);
    for (let k = 0; k < 4; k++) {
      const res = analyseDust(st, noisy(effect, r), { threshold: TH });
      expect(res.detections).toEqual([]);
    }
  });

  it('ignores a plume inside a preset mask, and outside the ROI', () => {
    const mask = [
      [0.4, 0.4],
      [0.8, 0.4],
      [0.8, 1],
      [0.4, 1],
    ] as [number, number][];
    for (const opts of [
      { masks: [mask] },
      { roi: [mask.map(([x, y]) => [x - 0.4, y - 0.4] as [number, number])] },
    ]) {
      const { st, r } = learned(4);
      for (let k = 0; k < 4; k++) {
        const res = analyseDust(
          st,
          noisy((f) => S.blendAirlight(f, plumeMap, 0.6, TAN), r),
          { threshold: TH, ...opts },
        );
        expect(res.detections).toEqual([]);
      }
    }
  });

  it('does not absorb a persistent plume into the background', () => {
    const p = DustParams.parse({ tauFrames: 10 });
    const st = createDustState();
    const r = S.rng(5);
    for (let k = 0; k < p.warmupFrames; k++)
      analyseDust(
        st,
        noisy((f) => f, r),
        { threshold: TH },
        p,
      );
    let last = 0;
    for (let k = 0; k < 60; k++) {
      const res = analyseDust(
        st,
        noisy((f) => S.blendAirlight(f, plumeMap, 0.5, TAN), r),
        { threshold: TH },
        p,
      );
      last = res.detections.length;
    }
    // 60 frames = 6 time constants: an unprotected background would have absorbed it.
    expect(last).toBe(1);
    // Cells far from the plume kept learning: the frozen counter counts only the plume's neighbourhood.
    expect(st.frozen[0]).toBe(0);
    expect(Math.max(...st.frozen)).toBeGreaterThan(50);
  });

  it('restarts the warm-up on a scene change or a new frame size', () => {
    const { st, r } = learned(6);
    // The camera now looks elsewhere: here the same scene upside down (sky below, ground above).
    const other = S.cloneImage(base);
    for (let y = 0; y < H; y++) base.data.copy(other.data, (H - 1 - y) * W * 3, y * W * 3, (y + 1) * W * 3);
    S.noise(other, 1.5, r);
    expect(analyseDust(st, other, { threshold: TH }).warmingUp).toBe(true);
    expect(st.frames).toBe(1);
    const { st: st2 } = learned(6);
    expect(analyseDust(st2, S.proceduralScene(400, 300, 7), { threshold: TH }).warmingUp).toBe(true);
    expect(st2.width).toBe(400);
  });

  it('resets persistence after a gap (a PTZ tour coming back to the preset)', () => {
    const { st, r } = learned(8);
    const dusty = () => noisy((f) => S.blendAirlight(f, plumeMap, 0.5, TAN), r);
    expect(analyseDust(st, dusty(), { threshold: TH, at: 0 }).detections).toHaveLength(0);
    expect(analyseDust(st, dusty(), { threshold: TH, at: 600_000 }).detections).toHaveLength(0);
    expect(analyseDust(st, dusty(), { threshold: TH, at: 602_000 }).detections).toHaveLength(1);
  });

  it('rejects frames too small for the grid', () => {
    expect(() => analyseDust(createDustState(), S.proceduralScene(12, 12, 1), { threshold: TH })).toThrow(
      RangeError,
    );
  });
});

describe('airlightScore', () => {
  it('accepts bright yellow-brown airlight and rejects grey, blue, green and dark ones', () => {
    const p = DEFAULT_DUST_PARAMS;
    expect(airlightScore(0.74, 0.63, 0.48, p)).toBeGreaterThan(0.9);
    expect(airlightScore(0.8, 0.8, 0.8, p)).toBe(0);
    expect(airlightScore(0.6, 0.7, 0.9, p)).toBe(0);
    expect(airlightScore(0.4, 0.6, 0.3, p)).toBe(0);
    expect(airlightScore(0.1, 0.08, 0.05, p)).toBe(0);
  });
});

describe('DustDetector', () => {
  it('keeps one background per camera + preset and reports dust boxes in frame px', async () => {
    const det = new DustDetector({ name: 'dust', threshold: TH, params: DEFAULT_DUST_PARAMS });
    const r = S.rng(9);
    const ctx = (cameraId: string, presetId: string | null, i: number) => ({
      cameraId,
      presetId,
      capturedAt: new Date(i * 2000).toISOString(),
    });
    for (let i = 0; i < 12; i++)
      await det.detect(
        noisy((f) => f, r),
        { context: ctx('cam-a', 'p1', i) },
      );
    // A second preset of the same camera has not learned anything yet: the plume is its background.
    const res: number[] = [];
    for (let i = 12; i < 15; i++) {
      const img = noisy((f) => S.blendAirlight(f, plumeMap, 0.6, TAN), r);
      const a = await det.detect(img, { context: ctx('cam-a', 'p1', i) });
      const b = await det.detect(img, { context: ctx('cam-a', 'p2', i) });
      res.push(a.detections.length, b.detections.length);
      expect(a.type).toBe('dust');
      for (const d of a.detections) expect(d.type).toBe('dust');
    }
    expect(det.views).toBe(2);
    expect(res).toEqual([0, 0, 1, 0, 1, 0]);
    await det.close();
    expect(det.views).toBe(0);
  });

  it('is declared in the manifest as kind dust with defaulted parameters', () => {
    const m = parseManifest(
      'm.yaml',
      'version: 1\nmodels:\n  - { name: dust, kind: dust, threshold: 0.3, params: { tauFrames: 300 } }\n',
    );
    expect(m.models[0]).toMatchObject({ kind: 'dust', enabled: true, params: { tauFrames: 300, cellPx: 8 } });
    expect(() =>
      parseManifest(
        'm.yaml',
        'version: 1\nmodels:\n  - { name: dust, kind: dust, threshold: 0.3, params: { tauFrame: 3 } }\n',
      ),
    ).toThrow(/m.yaml:3: models\.0\.params/);
    expect(() => parseManifest('m.yaml', 'version: 1\nmodels:\n  - { name: dust, kind: dust }\n')).toThrow(
      /threshold/,
    );
  });
});

describe('DetectLoop → stateful detectors', () => {
  it('passes the frame camera, preset and capture time as DetectOptions.context', async () => {
    const seen: (DetectOptions | undefined)[] = [];
    const fake: Detector = {
      spec: { name: 'fake', type: 'dust', threshold: 0.2 },
      detect: (_f, o) => {
        seen.push(o);
        return Promise.resolve({
          model: 'fake',
          type: 'dust',
          detections: [],
          views: 1,
          tiled: false,
          ms: 0,
        });
      },
    };
    const alerts = {
      observeFrame: () => Promise.resolve(),
      idle: () => Promise.resolve(),
    } as unknown as AlertService;
    const cam = CameraConfig.parse({
      id: 'cam-a',
      name: 'A',
      url: 'rtsp://127.0.0.1/a',
      channel: 'visible',
      detectors: ['dust'],
    });
    const loop = new DetectLoop({
      cameras: new Map([['cam-a', cam]]),
      detectors: new Map([['dust', fake]]),
      alerts,
      log: silentLogger(),
    });
    loop.push({
      cameraId: 'cam-a',
      presetId: 'p2',
      capturedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
      seq: 1,
      image: base,
    });
    await loop.drain();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.context).toEqual({
      cameraId: 'cam-a',
      presetId: 'p2',
      capturedAt: '2026-01-02T03:04:05.000Z',
    });
  });
});
