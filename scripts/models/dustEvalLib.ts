/**
 * Synthetic validation of the physics-based dust detector (services/detect/dust.ts), shared by
 * scripts/models/dust_synth.ts (the card's numbers), `npm run eval` and test/medium/dustSynth.test.ts.
 *
 * Base frames are REAL clear frames: HPWREN tower frames (smoke-hpwren; the labelled smoke boxes, enlarged, are
 * passed as preset masks and plumes are placed away from them) and the first frame of each FIgLib demo clip.
 * Split by camera: `tune` = smoke-hpwren/train, `eval` = smoke-hpwren/test + the demo clips, minus every eval frame
 * whose thumbnail correlates > 0.9 with any tuning frame (same camera view).
 *
 * Per base frame the background is learned from `WARMUP` noisy copies (sensor noise σ 1.5 grey levels, gain
 * jitter 1 %), then each scenario is replayed from a copy of that state for `SEQ` frames (2 s apart) through
 * the detector core and the production tracker (track/confirm.ts, default 2-of-3 confirmation):
 * - positives: Koschmieder-composited dust plumes (3 sizes × 5 opacities, drifting 2 px/frame, opacity ±10 %);
 *   "detected" = an alert opens whose box overlaps the plume (IoU ≥ 0.1 or one box's centre inside the other);
 * - negatives: global white haze, global yellow (dust-coloured) haze, exposure drop/rise, gamma change, a moving
 *   cloud shadow, a white and a grey smoke-coloured plume, and an unchanged scene; any alert is a false alarm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RgbImage } from '../../services/capture/ppmStream.ts';
import type { Box } from '../../services/schemas/api.ts';
import { AlertingConfig, type NormPolygon } from '../../services/schemas/config.ts';
import { analyseDust, cloneDustState, createDustState, type DustParams, type DustState } from '../../services/detect/dust.ts';
import { DustDetector } from '../../services/detect/dustDetector.ts';
import { thresholdsFor } from '../../services/detect/sensitivity.ts';
import { initialGroupState, observe, type GroupState } from '../../services/track/confirm.ts';
import * as S from './dustSynthLib.ts';
import { readRgb, sample, SHARED_DATA } from './evalLib.ts';

export const INTERVAL_MS = 2000;
export const WARMUP = 12;
export const SEQ = 4;
export const OPACITIES = [0.15, 0.25, 0.35, 0.5, 0.7] as const;
/** Plume height as a fraction of the frame height (width = 0.6–1.2 × height). */
export const SIZES = { small: 0.08, medium: 0.16, large: 0.3 } as const;
export type SizeName = keyof typeof SIZES;
export const NEGATIVES = [
  'static',
  'haze-white',
  'haze-yellow',
  'exposure-down',
  'exposure-up',
  'gamma',
  'cloud-shadow',
  'smoke-white',
  'smoke-grey',
] as const;
export type NegativeName = (typeof NEGATIVES)[number];

export interface BaseFrame {
  id: string;
  image: RgbImage;
  /** Preset masks (smoke areas, enlarged) and the boxes plumes must avoid, frame px. */
  masks: NormPolygon[];
  avoid: Box[];
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const DEMO_CLIPS = ['hpwren-figlib-1528757406.mp4', 'hpwren-figlib-1530901681.mp4', 'hpwren-figlib-1559167385.mp4'].map(
  (f) => path.join(ROOT, 'camera-config/demo/clips', f),
);

/** Decodes every frame of a clip to RGB24. */
export function decodeClip(file: string): RgbImage[] {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  });
  const [width = 0, height = 0] = probe.stdout.trim().split(',').map(Number);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 2 ** 31 });
  const size = width * height * 3;
  const out: RgbImage[] = [];
  for (let o = 0; size > 0 && o + size <= r.stdout.length; o += size)
    out.push({ width, height, data: Buffer.from(r.stdout.subarray(o, o + size)) });
  if (out.length === 0) throw new Error(`${file}: no frames decoded (${r.stderr.toString().trim()})`);
  return out;
}

function thumb(img: RgbImage): Float64Array {
  const tw = 32,
    th = 24;
  const t = new Float64Array(tw * th);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const o = (Math.floor(((y + 0.5) * img.height) / th) * img.width + Math.floor(((x + 0.5) * img.width) / tw)) * 3;
      t[y * tw + x] = 0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!;
    }
  const m = t.reduce((a, b) => a + b, 0) / t.length;
  let n = 0;
  for (let i = 0; i < t.length; i++) {
    t[i] = t[i]! - m;
    n += t[i]! ** 2;
  }
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < t.length; i++) t[i] = t[i]! / n;
  return t;
}
const corr = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

async function hpwrenBase(split: 'train' | 'test', f: string): Promise<BaseFrame> {
  const dir = path.join(SHARED_DATA, 'smoke-hpwren', split);
  const image = await readRgb(path.join(dir, 'images', f));
  const lbl = path.join(dir, 'labels_yolo', f.replace(/\.[a-z]+$/, '.txt'));
  const avoid: Box[] = [];
  if (existsSync(lbl))
    for (const line of readFileSync(lbl, 'utf8').split('\n')) {
      const v = line.trim().split(/\s+/).map(Number);
      if (v.length < 5) continue;
      const [, cx = 0, cy = 0, w = 0, h = 0] = v;
      // Smoke box enlarged 1.5× plus 24 px on every side (faint plume edges outside the label).
      const bw = w * image.width * 1.5 + 48,
        bh = h * image.height * 1.5 + 48;
      avoid.push({ x: cx * image.width - bw / 2, y: cy * image.height - bh / 2, w: bw, h: bh });
    }
  const n = (v: number, d: number) => Math.min(1, Math.max(0, v / d));
  const masks = avoid.map((b): NormPolygon => [
    [n(b.x, image.width), n(b.y, image.height)],
    [n(b.x + b.w, image.width), n(b.y, image.height)],
    [n(b.x + b.w, image.width), n(b.y + b.h, image.height)],
    [n(b.x, image.width), n(b.y + b.h, image.height)],
  ]);
  return { id: `hpwren-${split}/${f}`, image, masks, avoid };
}

/**
 * Loads the tuning and evaluation base frames (every k-th file so that about `n` are taken).
 * @returns the two sets and how many eval frames were dropped as near-duplicates of tuning views.
 */
export async function loadBases(o: { tune: number; eval: number; clips?: boolean }): Promise<{
  tune: BaseFrame[];
  eval: BaseFrame[];
  dropped: number;
}> {
  const pick = (split: 'train' | 'test', n: number) => {
    const dir = path.join(SHARED_DATA, 'smoke-hpwren', split, 'images');
    const all = sample(dir, 1);
    return n <= 0 ? [] : sample(dir, Math.max(1, Math.floor(all.length / n)), n);
  };
  const tune = await Promise.all(pick('train', o.tune).map((f) => hpwrenBase('train', f)));
  const tuneThumbs = tune.map((b) => thumb(b.image));
  const cand = await Promise.all(pick('test', o.eval).map((f) => hpwrenBase('test', f)));
  if (o.clips !== false)
    for (const c of DEMO_CLIPS)
      if (existsSync(c)) cand.push({ id: `clip/${path.basename(c)}`, image: decodeClip(c)[0]!, masks: [], avoid: [] });
  const ev = cand.filter((b) => {
    const t = thumb(b.image);
    return !tuneThumbs.some((u) => corr(t, u) > 0.9);
  });
  return { tune, eval: ev, dropped: cand.length - ev.length };
}

/** Noise + gain jitter in one pass (σ in grey levels), using a precomputed Gaussian table. */
const NOISE = (() => {
  const r = S.rng(12345);
  const t = new Float32Array(1 << 20);
  for (let i = 0; i < t.length; i++) t[i] = S.gauss(r);
  return t;
})();
function sensor(img: RgbImage, r: () => number, sigma = 1.5, gainJitter = 0.01): void {
  const g = 1 + gainJitter * S.gauss(r);
  const off = Math.floor(r() * NOISE.length);
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]! * g + sigma * NOISE[(off + i) & (NOISE.length - 1)]!;
    d[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
}

const overlaps = (a: Box, b: Box): boolean => {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const u = a.w * a.h + b.w * b.h - ix * iy;
  const inside = (p: Box, q: Box) => {
    const cx = p.x + p.w / 2,
      cy = p.y + p.h / 2;
    return cx >= q.x && cx <= q.x + q.w && cy >= q.y && cy <= q.y + q.h;
  };
  return (u > 0 && (ix * iy) / u >= 0.1) || inside(a, b) || inside(b, a);
};

function placePlume(base: BaseFrame, hFrac: number, r: () => number): S.PlumeGeometry {
  const { width: W, height: H } = base.image;
  const h = Math.round(H * hFrac);
  const w = Math.round(h * (0.6 + 0.6 * r()));
  let g: S.PlumeGeometry = { x: 0, y: 0, w, h };
  for (let k = 0; k < 60; k++) {
    g = { x: Math.floor(r() * (W - w - 8)) + 4, y: Math.floor(r() * (H - h - 8)) + 4, w, h };
    const pad = { x: g.x - 8, y: g.y - 8, w: g.w + 16, h: g.h + 16 };
    if (!base.avoid.some((a) => overlaps(a, pad) || intersects(a, pad))) return g;
  }
  return g;
}
const intersects = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

type Effect = (img: RgbImage, k: number) => void;

interface SeqOutcome {
  /** Alerts opened on the target (positives) and elsewhere (false alarms). */
  hit: boolean;
  falseAlerts: number;
}

function runSequence(
  st0: DustState,
  base: BaseFrame,
  effect: Effect,
  target: Box | null,
  threshold: number,
  params: DustParams,
  r: () => number,
): SeqOutcome {
  const st = cloneDustState(st0);
  const th = thresholdsFor(threshold, 0.5);
  const alerting = AlertingConfig.parse({});
  let g: GroupState = initialGroupState();
  let hit = false,
    falseAlerts = 0;
  for (let k = 0; k < SEQ; k++) {
    const img = S.cloneImage(base.image);
    effect(img, k);
    sensor(img, r);
    const res = analyseDust(st, img, { threshold: th.keep, masks: base.masks }, params);
    const o = observe(g, { at: (WARMUP + k) * INTERVAL_MS, detections: res.detections }, th, alerting);
    g = o.state;
    for (const a of o.actions)
      if (a.kind === 'open') {
        if (target && overlaps(a.box, target)) hit = true;
        else falseAlerts++;
      }
  }
  return { hit, falseAlerts };
}

export interface SyntheticResult {
  bases: number;
  threshold: number;
  /** Detection rate by size and opacity (fraction of plumes with an alert on them within SEQ frames). */
  detection: Record<SizeName, Record<string, number>>;
  /** Fraction of negative sequences raising ≥ 1 alert, by kind. */
  negatives: Record<NegativeName, number>;
  /** False alerts away from the plume during positive sequences (total count). */
  strayAlerts: number;
  /** Alerts per hour over all weather/exposure/static negative sequences (not the smoke ones), at 2 s sampling. */
  weatherAlertsPerHour: number;
  sequences: number;
}

/**
 * Runs every scenario on every base frame.
 * @param threshold cell score threshold at sensitivity 0.5 (the manifest's `threshold`).
 */
export function runSynthetic(bases: readonly BaseFrame[], threshold: number, params: DustParams, seed = 1): SyntheticResult {
  const det: Record<SizeName, Record<string, number>> = { small: {}, medium: {}, large: {} };
  const negCount = Object.fromEntries(NEGATIVES.map((n) => [n, 0])) as Record<NegativeName, number>;
  let stray = 0,
    weatherAlerts = 0,
    weatherSeqs = 0,
    sequences = 0;
  for (const [bi, base] of bases.entries()) {
    const r = S.rng(seed * 1000 + bi);
    const { width: W, height: H } = base.image;
    const st = createDustState();
    const th = thresholdsFor(threshold, 0.5);
    for (let k = 0; k < WARMUP; k++) {
      const img = S.cloneImage(base.image);
      sensor(img, r);
      analyseDust(st, img, { threshold: th.keep, masks: base.masks }, params);
    }
    for (const [size, hFrac] of Object.entries(SIZES) as [SizeName, number][]) {
      const g = placePlume(base, hFrac, r);
      const colour = S.SYNTH_DUST_COLOURS[Math.floor(r() * S.SYNTH_DUST_COLOURS.length)]!;
      const bright = 0.9 + 0.2 * r();
      const A = colour.map((c) => Math.min(255, c * bright)) as unknown as [number, number, number];
      const shapeSeed = Math.floor(r() * 1e9);
      const maps = Array.from({ length: SEQ }, (_, k) => S.plumeMap(W, H, { ...g, x: g.x + 2 * k }, S.rng(shapeSeed)));
      for (const op of OPACITIES) {
        const flicker = Array.from({ length: SEQ }, () => op * (0.9 + 0.2 * r()));
        const o = runSequence(st, base, (img, k) => S.blendAirlight(img, maps[k]!, flicker[k]!, A), g, threshold, params, r);
        sequences++;
        det[size][String(op)] = (det[size][String(op)] ?? 0) + (o.hit ? 1 : 0);
        stray += o.falseAlerts;
      }
    }
    const mg = placePlume(base, SIZES.medium, r);
    const smokeSeed = Math.floor(r() * 1e9);
    const smokeMaps = Array.from({ length: SEQ }, (_, k) => S.plumeMap(W, H, { ...mg, x: mg.x + 2 * k }, S.rng(smokeSeed)));
    const sx = r() * W,
      sy = H * (0.4 + 0.5 * r());
    const effects: Record<NegativeName, Effect> = {
      static: () => undefined,
      'haze-white': (img, k) => S.blendAirlight(img, null, 0.15 + 0.06 * k, [205, 208, 212]),
      'haze-yellow': (img, k) => S.blendAirlight(img, null, 0.12 + 0.05 * k, [196, 170, 128]),
      'exposure-down': (img, k) => S.exposure(img, 1 - 0.06 * (k + 1)),
      'exposure-up': (img, k) => S.exposure(img, 1 + 0.07 * (k + 1)),
      gamma: (img, k) => S.exposure(img, 1, 1 + 0.08 * (k + 1)),
      'cloud-shadow': (img, k) => S.shadow(img, S.softEllipse(W, H, sx + 12 * k, sy, W * 0.25, H * 0.15), 0.6),
      'smoke-white': (img, k) => S.blendAirlight(img, smokeMaps[k]!, 0.55, S.SYNTH_GREY_COLOURS[0]!),
      'smoke-grey': (img, k) => S.blendAirlight(img, smokeMaps[k]!, 0.55, S.SYNTH_GREY_COLOURS[1]!),
    };
    for (const n of NEGATIVES) {
      const o = runSequence(st, base, effects[n], null, threshold, params, r);
      sequences++;
      if (o.falseAlerts > 0) negCount[n]++;
      if (!n.startsWith('smoke')) {
        weatherAlerts += o.falseAlerts;
        weatherSeqs++;
      }
    }
  }
  const q = (v: number) => Math.round(v * 1000) / 1000;
  const nb = Math.max(1, bases.length);
  for (const s of Object.keys(det) as SizeName[]) for (const k of Object.keys(det[s])) det[s][k] = q(det[s][k]! / nb);
  return {
    bases: bases.length,
    threshold,
    detection: det,
    negatives: Object.fromEntries(NEGATIVES.map((n) => [n, q(negCount[n] / nb)])) as Record<NegativeName, number>,
    strayAlerts: stray,
    weatherAlertsPerHour: q(weatherAlerts / Math.max(1e-9, (weatherSeqs * SEQ * INTERVAL_MS) / 3_600_000)),
    sequences,
  };
}

/** Mean detection rate over sizes × opacities ≥ `minOpacity`. */
export function meanDetection(r: SyntheticResult, minOpacity = 0, sizes: readonly SizeName[] = ['small', 'medium', 'large']): number {
  const v = sizes.flatMap((s) => Object.entries(r.detection[s]).filter(([o]) => Number(o) >= minOpacity).map(([, d]) => d));
  return v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 1000) / 1000 : 0;
}

export interface ClipLoopResult {
  clip: string;
  samples: number;
  hours: number;
  alerts: number;
  alertsPerHour: number;
  /** Fraction of analysed samples with ≥ 1 raw (pre-confirmation) dust box. */
  rawBoxFrames: number;
}

/**
 * The real visible demo clips (with their smoke plumes and passing clouds, no dust) looped the way the demo
 * RTSP server serves them and sampled every 2 s, through the runtime adapter (DustDetector) and the tracker.
 * @param samples frames per clip (1800 = one hour at 2 s).
 */
export async function runClipLoops(threshold: number, params: DustParams, samples = 1800): Promise<ClipLoopResult[]> {
  const out: ClipLoopResult[] = [];
  for (const file of DEMO_CLIPS) {
    if (!existsSync(file)) continue;
    const frames = decodeClip(file);
    const fps = 2;
    const dur = frames.length / fps;
    const detector = new DustDetector({ name: 'dust', threshold, params });
    const th = thresholdsFor(threshold, 0.5);
    const alerting = AlertingConfig.parse({});
    let g = initialGroupState();
    let alerts = 0,
      raw = 0;
    for (let i = 0; i < samples; i++) {
      const t = (i * INTERVAL_MS) / 1000;
      const img = frames[Math.min(frames.length - 1, Math.floor((t % dur) * fps))]!;
      const at = i * INTERVAL_MS;
      const res = await detector.detect(img, {
        threshold: th.keep,
        context: { cameraId: 'clip', presetId: null, capturedAt: new Date(at).toISOString() },
      });
      if (res.detections.length > 0) raw++;
      const o = observe(g, { at, detections: res.detections }, th, alerting);
      g = o.state;
      alerts += o.actions.filter((a) => a.kind === 'open').length;
    }
    const hours = (samples * INTERVAL_MS) / 3_600_000;
    out.push({
      clip: path.basename(file),
      samples,
      hours: Math.round(hours * 1000) / 1000,
      alerts,
      alertsPerHour: Math.round((alerts / hours) * 100) / 100,
      rawBoxFrames: Math.round((raw / samples) * 1000) / 1000,
    });
  }
  return out;
}

/** Defaults of the card's evaluation (`dust_synth.ts` and `npm run eval` use the same). */
export const CARD_RUN = { tuneN: 12, evalN: 60, hours: 0.5 } as const;

export interface DustEvaluation {
  threshold: number;
  tuneBases: number;
  evalBases: number;
  /** Eval candidates dropped as the same camera view as a tuning frame. */
  dropped: number;
  evaluation: SyntheticResult;
  clips: ClipLoopResult[];
}

/** Held-out synthetic evaluation at a fixed threshold plus the demo clip loops (no tuning). */
export async function dustEvaluation(o: {
  threshold: number;
  params: DustParams;
  tuneN?: number;
  evalN?: number;
  hours?: number;
}): Promise<DustEvaluation> {
  const bases = await loadBases({ tune: o.tuneN ?? CARD_RUN.tuneN, eval: o.evalN ?? CARD_RUN.evalN });
  const evaluation = runSynthetic(bases.eval, o.threshold, o.params, 2);
  const clips = await runClipLoops(o.threshold, o.params, Math.round(((o.hours ?? CARD_RUN.hours) * 3_600_000) / INTERVAL_MS));
  return { threshold: o.threshold, tuneBases: bases.tune.length, evalBases: bases.eval.length, dropped: bases.dropped, evaluation, clips };
}

/** Human-readable summary lines of a synthetic result. */
export function summarise(r: SyntheticResult): string {
  const rows = (Object.keys(r.detection) as SizeName[]).map(
    (s) => `    ${s.padEnd(6)} ${Object.entries(r.detection[s]).map(([o, d]) => `${o}:${d.toFixed(2)}`).join('  ')}`,
  );
  return [
    `  threshold ${r.threshold}, ${r.bases} base frames, ${r.sequences} sequences`,
    `  detection rate by size (rows) and peak opacity:`,
    ...rows,
    `  mean detection (all) ${meanDetection(r)}, opacity >= 0.35: ${meanDetection(r, 0.35)}`,
    `  negatives (fraction of sequences with an alert): ${JSON.stringify(r.negatives)}`,
    `  stray alerts during positives: ${r.strayAlerts}; weather/exposure/static alerts per hour: ${r.weatherAlertsPerHour}`,
  ].join('\n');
}
