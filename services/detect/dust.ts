/**
 * Physics-based dust detector (pure core, no IO, no clock). **Unvalidated on real dust**: no real dust footage
 * was available; it is built from the optics of haze and checked only on synthetic composites (models/dust/card.md).
 *
 * ## Model
 * Koschmieder's law (Koschmieder 1924; the haze imaging model used by He, Sun & Tang, "Single image haze removal
 * using dark channel prior", CVPR 2009):
 *
 *     I(x) = J(x)·t(x) + A·(1 − t(x))
 *
 * with I the observed colour, J the scene without dust (our per-cell background), t ∈ (0, 1] the transmission
 * of the dust layer and A its airlight (sunlit dust colour). Over one analysis cell A and t are ~constant, so
 *
 * - mean:        μ_I = t·μ_J + (1 − t)·A             → colour shift Δ = μ_I − μ_J = (1 − t)·(A − μ_J)
 * - RMS contrast: σ_I = t·σ_J                        → contrast loss  1 − t = 1 − σ_I / σ_J
 * - airlight:     A = μ_J + Δ / (1 − t)              → must be bright and yellow-brown for dust
 *
 * A gain/exposure change or a cloud shadow (I = k·J) also lowers σ but implies A ≈ 0 (dark) and moves the colour
 * toward black, so it fails the airlight test; white/grey cloud, fog and smoke imply a neutral or bluish A and fail
 * the colour test.
 *
 * ## Weather normalisation (a dust plume is local; whole-frame change is weather)
 * Before the per-cell test the frame is explained by a global model fitted to all analysed cells, robustly
 * (least squares, then refitted on the 70 % best-fitting cells):
 *
 *     μ_I,c ≈ (a0_c + a1_c·y)·μ_J,c + (b0_c + b1_c·y)     per channel c, y = cell row in −1..1
 *     σ_I   ≈ (g0 + g1·y)·σ_J
 *
 * Uniform haze or fog (t, A constant: a = t, b = (1 − t)·A), haze thickening toward the horizon (linear in the
 * row), exposure, gain and white-balance changes are all exactly of this form, so they leave no residual. Only
 * the residual Δ = μ_I − P (P = the global prediction) and the contrast ratio σ_I / (g·σ_J) are scored. A plume
 * covering more than ~30 % of the analysed cells is partly explained away as weather (documented limit).
 *
 * ## Per-cell score (0..1, ≈ the local dust opacity 1 − t, times colour evidence)
 * - textured cell (background σ_J·g ≥ `sigmaMin`): o_t = 1 − σ_I / (g·σ_J); airlight Â = P + Δ / o_t;
 *   score = o_t · dustColour(Â) · brightOk(Â) · colourLineFit (when the colour-line fit is defined).
 * - flat cell (sky, smooth walls; no contrast to lose): the colour-line fit, Δ ≈ s·(A_ref − P) for the best
 *   of the reference dust colours, s = opacity, airlight Â = P + Δ / s;
 *   score = min(s, 1) · fitQuality · dustColour(Â) · brightOk(Â) · `flatWeight` (and 0 for s ≥ 1.5).
 * - both gated by z = |Δ| / the cell's own temporal noise (learned), so waving trees and traffic do not fire.
 *
 * A cell fires when its score ≥ threshold on `persistFrames` consecutive frames (the tracker then adds its own
 * N-of-M confirmation); 8-connected firing cells form one box.
 *
 * ## Background learning
 * Per camera + preset: per-cell mean RGB, luma RMS contrast and residual variance. The first `warmupFrames`
 * frames are averaged (no detection meanwhile); afterwards each cell follows an exponential moving average with
 * time constant `tauFrames` frames (default 150 = 5 min at the default 2 s sampling interval), updated only for
 * cells that are not part of (or next to) a detection, so a persistent plume is not absorbed. A cell that stays
 * frozen for `maxFrozenFrames` (default 900 = 30 min at 2 s) resumes learning at 1/10 of the rate so a permanent
 * scene change (a new building) eventually stops alerting. A scene change over most of the frame (camera moved)
 * restarts the warm-up.
 */
import { z } from 'zod';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { NormPolygon } from '../schemas/config.ts';
import type { Detection } from './detection.ts';
import { heatmapToDetections } from './heatmap.ts';
import { pointInPolygon } from './regions.ts';

const Rgb = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)]);

/** Parameters of the dust detector (models/manifest.yaml `params`; defaults documented in models/dust/card.md). */
export const DustParams = z
  .object({
    /** Frames are area-averaged to about this width before analysis, px. */
    workWidth: z.number().int().min(64).max(1920).default(320),
    /** Analysis cell size at the working resolution, px (a cell = cellPx·f frame px, f = frame width / workWidth). */
    cellPx: z.number().int().min(4).max(64).default(8),
    /** Frames averaged into the background before detection starts. */
    warmupFrames: z.number().int().min(1).max(10_000).default(10),
    /** Background EMA time constant, frames (α = 1/tauFrames). */
    tauFrames: z.number().min(2).max(1_000_000).default(150),
    /** Frames a cell may stay frozen (under a detection) before it resumes learning at α/10. */
    maxFrozenFrames: z.number().int().min(1).default(900),
    /** Minimum background luma RMS contrast (0..1) for a cell to count as textured. */
    sigmaMin: z.number().positive().default(0.02),
    /** Minimum contrast loss o_t used to estimate the airlight (below it the estimate is noise). */
    minLoss: z.number().min(0).max(1).default(0.12),
    /** Reference airlight colours of dust (sRGB 0..1): beige, tan, ochre, brown. */
    dustColours: z
      .array(Rgb)
      .min(1)
      .default([
        [0.8, 0.75, 0.64],
        [0.74, 0.63, 0.48],
        [0.7, 0.52, 0.36],
        [0.6, 0.46, 0.33],
      ]),
    /** Dust chroma test on the airlight: normalised Cb' = 0.564·(B − Y)/Y must be ≤ −cbMin (yellow side). */
    cbMin: z.number().min(0).max(1).default(0.04),
    /** … fully dust-coloured at Cb' ≤ −cbFull. */
    cbFull: z.number().min(0).max(1).default(0.09),
    /** Normalised Cr' = 0.713·(R − Y)/Y must be ≥ crMin (not green). */
    crMin: z.number().min(-1).max(1).default(-0.02),
    /** Airlight luma (0..1) range; below it the change is a shadow/exposure drop, not scattered sunlight. */
    airMin: z.number().min(0).max(2).default(0.3),
    airMax: z.number().min(0).max(3).default(1.3),
    /** Colour-line fit: relative residual |Δ − s·d| / |Δ| at which fit quality is 1 (good) and 0 (max). */
    fitGood: z.number().min(0).max(1).default(0.15),
    fitMax: z.number().min(0).max(1).default(0.35),
    /** Minimum |A_ref − P| (RGB distance, 0..√3) for the colour-line fit to be defined. */
    minSeparation: z.number().min(0).max(2).default(0.08),
    /** Weight of the colour-only evidence on flat cells. */
    flatWeight: z.number().min(0).max(1).default(0.7),
    /** Residual z-score (|Δ| over the cell's temporal noise) at which a cell starts to count, and counts fully at 2×. */
    zMin: z.number().min(0).default(3),
    /** Noise floor of |Δ| (RGB 0..1) added to the learned temporal noise. */
    noiseFloor: z.number().min(0).default(0.012),
    /** Consecutive frames a cell must score ≥ threshold (core persistence, before the tracker's N of M). */
    persistFrames: z.number().int().min(1).max(10).default(2),
    /** Minimum cells in a box. */
    minCells: z.number().int().min(1).default(2),
    /** Cells whose current mean in any channel exceeds this (0..1) are saturated and not scored. */
    saturated: z.number().min(0.5).max(1).default(0.96),
    /** A gap between frames longer than this (s; a PTZ tour left the preset) resets the persistence counters. */
    maxGapS: z.number().positive().default(60),
    /** Median |Δ| (RGB 0..1) over the frame above which the scene is taken as changed and the warm-up restarts. */
    sceneChange: z.number().positive().default(0.12),
    /** … or above which fraction of the spread of the frame's cell colours the global model leaves unexplained. */
    sceneUnexplained: z.number().positive().max(1).default(0.25),
  })
  .strict();
export type DustParams = z.infer<typeof DustParams>;
export const DEFAULT_DUST_PARAMS: DustParams = DustParams.parse({});

/** Background and short-term memory of one camera + preset. */
export interface DustState {
  /** Frame size the state was learned on, px (a different size resets the state). */
  width: number;
  height: number;
  /** Area-averaging factor frame px → working px. */
  f: number;
  /** Grid, cells. */
  gw: number;
  gh: number;
  /** Time of the last analysed frame, epoch ms (null before the first or when times are not given). */
  lastAt: number | null;
  /** Frames learned so far (warm-up counts up to params.warmupFrames). */
  frames: number;
  /** Per cell: background mean R, G, B (0..1), length 3·gw·gh. */
  mean: Float32Array;
  /** Per cell: background luma RMS contrast (0..1). */
  sigma: Float32Array;
  /** Per cell: EMA of the squared residual |Δ|² (temporal noise). */
  noise: Float32Array;
  /** Per cell: consecutive frames at or above threshold (for persistence). */
  streak: Uint16Array;
  /** Per cell: consecutive frames frozen (not learned because of a detection). */
  frozen: Uint32Array;
}

/** Per-frame analysis result. */
export interface DustFrameResult {
  /** Boxes in frame px, best first; empty during warm-up. */
  detections: Detection[];
  /** True while the background is still being learned (no detection possible). */
  warmingUp: boolean;
  /** Raw per-cell score (before persistence), row-major gw×gh; for tests and the synthetic evaluation. */
  score: Float32Array;
  /** Global model of this frame: contrast gain at the centre row and mean luma gain (1 = unchanged). */
  global: { contrastGain: number; gain: number; medianResidual: number };
}

/** Fresh (empty) state; the first frame sets its geometry. */
export function createDustState(): DustState {
  return {
    width: 0,
    height: 0,
    f: 1,
    gw: 0,
    gh: 0,
    lastAt: null,
    frames: 0,
    mean: new Float32Array(0),
    sigma: new Float32Array(0),
    noise: new Float32Array(0),
    streak: new Uint16Array(0),
    frozen: new Uint32Array(0),
  };
}

/** Deep copy of a state (the synthetic evaluation replays several scenarios from one learned background). */
export function cloneDustState(s: DustState): DustState {
  return {
    ...s,
    mean: s.mean.slice(),
    sigma: s.sigma.slice(),
    noise: s.noise.slice(),
    streak: s.streak.slice(),
    frozen: s.frozen.slice(),
  };
}

function resetState(s: DustState, width: number, height: number, p: DustParams): void {
  const f = Math.max(1, Math.round(width / p.workWidth));
  const gw = Math.floor(width / f / p.cellPx);
  const gh = Math.floor(height / f / p.cellPx);
  if (gw < 2 || gh < 2) throw new RangeError(`frame ${width}x${height} too small for dust analysis`);
  const n = gw * gh;
  Object.assign(s, {
    width,
    height,
    f,
    gw,
    gh,
    frames: 0,
    mean: new Float32Array(3 * n),
    sigma: new Float32Array(n),
    noise: new Float32Array(n),
    streak: new Uint16Array(n),
    frozen: new Uint32Array(n),
  });
}

const luma = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;
const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
/** 0 at `lo`, 1 at `hi`, linear between (lo < hi), or decreasing when lo > hi. */
const ramp = (v: number, lo: number, hi: number): number => clamp01((v - lo) / (hi - lo));

/**
 * Per-cell statistics of a frame: mean RGB (0..1) and the RMS contrast of luma at the working resolution
 * (frame area-averaged by `f`). @returns arrays sized like the state's grid.
 */
export function cellStats(
  img: RgbImage,
  f: number,
  cellPx: number,
  gw: number,
  gh: number,
): { mean: Float32Array; sigma: Float32Array } {
  const { width, data } = img;
  const mean = new Float32Array(3 * gw * gh);
  const sigma = new Float32Array(gw * gh);
  const inv = 1 / (255 * f * f);
  const k = cellPx * cellPx;
  for (let cy = 0; cy < gh; cy++)
    for (let cx = 0; cx < gw; cx++) {
      let sr = 0,
        sg = 0,
        sb = 0,
        sy = 0,
        syy = 0;
      for (let wy = 0; wy < cellPx; wy++)
        for (let wx = 0; wx < cellPx; wx++) {
          // One working pixel = the mean of an f×f block of frame pixels.
          let r = 0,
            g = 0,
            b = 0;
          const x0 = (cx * cellPx + wx) * f;
          const y0 = (cy * cellPx + wy) * f;
          for (let yy = 0; yy < f; yy++) {
            let o = ((y0 + yy) * width + x0) * 3;
            for (let xx = 0; xx < f; xx++, o += 3) {
              r += data[o]!;
              g += data[o + 1]!;
              b += data[o + 2]!;
            }
          }
          r *= inv;
          g *= inv;
          b *= inv;
          const y = luma(r, g, b);
          sr += r;
          sg += g;
          sb += b;
          sy += y;
          syy += y * y;
        }
      const i = cy * gw + cx;
      mean[3 * i] = sr / k;
      mean[3 * i + 1] = sg / k;
      mean[3 * i + 2] = sb / k;
      const m = sy / k;
      sigma[i] = Math.sqrt(Math.max(0, syy / k - m * m));
    }
  return { mean, sigma };
}

/** Cells whose centre lies outside every mask and inside the ROI (when set). */
export function cellsInScope(
  s: Pick<DustState, 'gw' | 'gh' | 'width' | 'height' | 'f'>,
  cellPx: number,
  masks: readonly NormPolygon[] = [],
  roi?: readonly NormPolygon[],
): Uint8Array {
  const out = new Uint8Array(s.gw * s.gh);
  const toPx = (p: NormPolygon) => p.map(([x, y]) => [x * s.width, y * s.height] as const);
  const mp = masks.map(toPx);
  const rp = roi && roi.length > 0 ? roi.map(toPx) : null;
  const cs = cellPx * s.f;
  for (let cy = 0; cy < s.gh; cy++)
    for (let cx = 0; cx < s.gw; cx++) {
      const x = (cx + 0.5) * cs;
      const y = (cy + 0.5) * cs;
      const masked = mp.some((m) => pointInPolygon(x, y, m));
      const inRoi = rp === null || rp.some((r) => pointInPolygon(x, y, r));
      out[cy * s.gw + cx] = !masked && inRoi ? 1 : 0;
    }
  return out;
}

/** Solves the small dense system M·x = v in place (Gaussian elimination with partial pivoting). */
function solve(M: number[][], v: number[]): number[] | null {
  const n = v.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (Math.abs(M[p]![c]!) < 1e-12) return null;
    [M[c], M[p]] = [M[p]!, M[c]!];
    [v[c], v[p]] = [v[p]!, v[c]!];
    for (let r = c + 1; r < n; r++) {
      const k = M[r]![c]! / M[c]![c]!;
      for (let j = c; j < n; j++) M[r]![j]! -= k * M[c]![j]!;
      v[r]! -= k * v[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = v[r]!;
    for (let j = r + 1; j < n; j++) s -= M[r]![j]! * x[j]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

/**
 * Ridge-regularised least squares of `y ≈ θ·x` over the selected rows, pulled toward `prior` with weight λ·n
 * (keeps the fit sane when the background has little spread, e.g. an all-sky view).
 */
function fitLinear(
  rows: readonly number[],
  feats: (i: number) => number[],
  target: (i: number) => number,
  prior: readonly number[],
  lambda: number,
): number[] {
  const k = prior.length;
  const M = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const v = new Array<number>(k).fill(0);
  for (const i of rows) {
    const x = feats(i);
    const y = target(i);
    for (let a = 0; a < k; a++) {
      v[a]! += x[a]! * y;
      for (let b = 0; b < k; b++) M[a]![b]! += x[a]! * x[b]!;
    }
  }
  const l = lambda * Math.max(1, rows.length);
  for (let a = 0; a < k; a++) {
    M[a]![a]! += l;
    v[a]! += l * prior[a]!;
  }
  return solve(M, v) ?? [...prior];
}

/** Keeps the `keep` fraction of rows with the smallest error. */
function trim(rows: readonly number[], err: (i: number) => number, keep: number): number[] {
  const e = rows.map((i) => [i, err(i)] as const).sort((a, b) => a[1] - b[1]);
  return e.slice(0, Math.max(1, Math.ceil(e.length * keep))).map(([i]) => i);
}

function median(v: number[]): number {
  if (v.length === 0) return 0;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Dust-colour evidence 0..1 of an airlight estimate (RGB 0..1): yellow-brown, not green, bright enough. */
export function airlightScore(r: number, g: number, b: number, p: DustParams): number {
  const y = luma(r, g, b);
  if (y <= 1e-3) return 0;
  const cb = (0.564 * (b - y)) / y;
  const cr = (0.713 * (r - y)) / y;
  return (
    ramp(-cb, p.cbMin, p.cbFull) *
    ramp(cr, p.crMin - 0.03, p.crMin) *
    ramp(y, p.airMin * 0.75, p.airMin) *
    ramp(y, p.airMax * 1.25, p.airMax)
  );
}

/**
 * Analyses one frame and updates `state` in place (background learning, persistence counters).
 *
 * @param img RGB24 frame, any size ≥ 2 cells per axis (a size change resets the state).
 * @param opts.threshold score a cell needs (pass the hysteresis `keep` threshold; 0..1).
 * @param opts.at frame time, epoch ms (optional): a gap > `maxGapS` resets the persistence counters.
 * @param opts.masks / opts.roi normalised polygons of the preset: masked cells are neither scored nor learned
 *   and are excluded from the global (weather) fit.
 * @returns boxes in frame px (score = best persistent cell score inside, 0..1).
 * @throws RangeError when the frame is too small for two cells per axis.
 */
export function analyseDust(
  state: DustState,
  img: RgbImage,
  opts: { threshold: number; masks?: readonly NormPolygon[]; roi?: readonly NormPolygon[]; at?: number },
  p: DustParams = DEFAULT_DUST_PARAMS,
): DustFrameResult {
  if (state.width !== img.width || state.height !== img.height) resetState(state, img.width, img.height, p);
  if (opts.at !== undefined) {
    if (state.lastAt !== null && opts.at - state.lastAt > p.maxGapS * 1000) state.streak.fill(0);
    state.lastAt = opts.at;
  }
  const { gw, gh } = state;
  const n = gw * gh;
  const cur = cellStats(img, state.f, p.cellPx, gw, gh);
  const scope = cellsInScope(state, p.cellPx, opts.masks, opts.roi);
  const score = new Float32Array(n);
  const noGlobal = { contrastGain: 1, gain: 1, medianResidual: 0 };

  if (state.frames < p.warmupFrames) {
    // Warm-up: cumulative average of the first frames (noise from frame-to-frame differences).
    const k = 1 / (state.frames + 1);
    for (let i = 0; i < n; i++) {
      if (state.frames > 0) {
        let d2 = 0;
        for (let c = 0; c < 3; c++) d2 += (cur.mean[3 * i + c]! - state.mean[3 * i + c]!) ** 2;
        state.noise[i] = state.noise[i]! + (d2 - state.noise[i]!) / state.frames;
      }
      for (let c = 0; c < 3; c++)
        state.mean[3 * i + c]! += (cur.mean[3 * i + c]! - state.mean[3 * i + c]!) * k;
      state.sigma[i]! += (cur.sigma[i]! - state.sigma[i]!) * k;
    }
    state.frames++;
    state.streak.fill(0);
    return { detections: [], warmingUp: true, score, global: noGlobal };
  }

  // 1. Global (weather / exposure) model over the analysed cells.
  const rowY = (i: number) => (gh > 1 ? (2 * Math.floor(i / gw)) / (gh - 1) - 1 : 0);
  const cells: number[] = [];
  for (let i = 0; i < n; i++) if (scope[i]) cells.push(i);
  if (cells.length < 4) {
    state.streak.fill(0);
    return { detections: [], warmingUp: false, score, global: noGlobal };
  }
  const bg = state.mean;
  const fitChannels = (rows: number[]) =>
    [0, 1, 2].map((c) =>
      fitLinear(
        rows,
        (i) => {
          const y = rowY(i);
          const b = bg[3 * i + c]!;
          return [b, y * b, 1, y];
        },
        (i) => cur.mean[3 * i + c]!,
        [1, 0, 0, 0],
        1e-3,
      ),
    );
  const predict = (th: number[][], i: number, c: number) => {
    const y = rowY(i);
    const t = th[c]!;
    return (t[0]! + t[1]! * y) * bg[3 * i + c]! + t[2]! + t[3]! * y;
  };
  const resid = (th: number[][], i: number) => {
    let d2 = 0;
    for (let c = 0; c < 3; c++) d2 += (cur.mean[3 * i + c]! - predict(th, i, c)) ** 2;
    return Math.sqrt(d2);
  };
  let theta = fitChannels(cells);
  theta = fitChannels(trim(cells, (i) => resid(theta, i), 0.7));
  theta = fitChannels(trim(cells, (i) => resid(theta, i), 0.7));
  const residuals = cells.map((i) => resid(theta, i));
  const medianResidual = median(residuals);
  // Unexplained fraction of the spread of this frame's cell colours (1 − R²), when there is a spread.
  const m3 = [0, 1, 2].map((c) => cells.reduce((a, i) => a + cur.mean[3 * i + c]!, 0) / cells.length);
  const spread = cells.reduce(
    (a, i) => a + [0, 1, 2].reduce((b, c) => b + (cur.mean[3 * i + c]! - m3[c]!) ** 2, 0),
    0,
  );
  const unexplained = residuals.reduce((a, r) => a + r * r, 0) / Math.max(spread, 1e-9);
  if (
    medianResidual > p.sceneChange ||
    (spread / cells.length > 0.05 ** 2 && unexplained > p.sceneUnexplained)
  ) {
    // Most of the frame no longer matches the background under any weather/exposure model: the view changed.
    resetState(state, img.width, img.height, p);
    return analyseDust(state, img, opts, p);
  }
  // Contrast gain g(y) over textured cells, σ_I ≈ (g0 + g1·y)·σ_J.
  const textured = cells.filter((i) => state.sigma[i]! >= p.sigmaMin);
  let gfit = [1, 0];
  if (textured.length >= 6) {
    const f = (rows: number[]) =>
      fitLinear(
        rows,
        (i) => [state.sigma[i]!, rowY(i) * state.sigma[i]!],
        (i) => cur.sigma[i]!,
        [1, 0],
        1e-3,
      );
    gfit = f(textured);
    const e = (i: number) => Math.abs(cur.sigma[i]! - (gfit[0]! + gfit[1]! * rowY(i)) * state.sigma[i]!);
    gfit = f(trim(textured, e, 0.7));
  }
  const gain = (theta[0]![0]! + theta[1]![0]! + theta[2]![0]!) / 3;

  // 2. Per-cell score.
  for (const i of cells) {
    // The sensor clips at 1: a predicted value above it is read as 1. A (nearly) saturated cell cannot show
    // dust (its colour is clipped, e.g. a bright sky whose blue channel clips first looks yellow): skipped.
    const P = [
      Math.min(1, predict(theta, i, 0)),
      Math.min(1, predict(theta, i, 1)),
      Math.min(1, predict(theta, i, 2)),
    ] as const;
    if (Math.max(cur.mean[3 * i]!, cur.mean[3 * i + 1]!, cur.mean[3 * i + 2]!) > p.saturated) continue;
    const D = [cur.mean[3 * i]! - P[0], cur.mean[3 * i + 1]! - P[1], cur.mean[3 * i + 2]! - P[2]] as const;
    const dn = Math.hypot(D[0], D[1], D[2]);
    const z = dn / Math.sqrt(state.noise[i]! + p.noiseFloor ** 2);
    const zq = ramp(z, p.zMin, 2 * p.zMin);
    if (zq <= 0) continue;
    // Colour-line fit: Δ ≈ s·(A_ref − P) for the best reference dust colour.
    let fitS = 0,
      fitQ = 0,
      lineDefined = false;
    for (const A of p.dustColours) {
      const d = [A[0] - P[0], A[1] - P[1], A[2] - P[2]] as const;
      const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
      if (dd < p.minSeparation ** 2) continue;
      lineDefined = true;
      const s = (D[0] * d[0] + D[1] * d[1] + D[2] * d[2]) / dd;
      if (s <= 0) continue;
      const rho = Math.hypot(D[0] - s * d[0], D[1] - s * d[1], D[2] - s * d[2]) / Math.max(dn, 1e-6);
      const q = ramp(rho, p.fitMax, p.fitGood);
      if (q * Math.min(1, s) > fitQ * Math.min(1, fitS)) {
        fitQ = q;
        fitS = s;
      }
    }
    const g = gfit[0]! + gfit[1]! * rowY(i);
    const sigP = g * state.sigma[i]!;
    let sc: number;
    if (sigP >= p.sigmaMin) {
      const o = clamp01(1 - cur.sigma[i]! / sigP);
      if (o < p.minLoss) continue;
      const air = airlightScore(P[0] + D[0] / o, P[1] + D[1] / o, P[2] + D[2] / o, p);
      sc = o * air * (lineDefined ? fitQ : 1);
    } else if (fitS > 0) {
      // Opacity from the colour line; the implied airlight must itself be dust (a grey darkening of a white
      // wall or bright sky also lies near the line toward a brown reference, but implies a grey airlight), and an
      // opacity well above 1 is impossible.
      const o = Math.min(1, fitS);
      const air = airlightScore(P[0] + D[0] / o, P[1] + D[1] / o, P[2] + D[2] / o, p);
      sc = o * fitQ * air * ramp(fitS, 1.5, 1.2) * p.flatWeight;
    } else continue;
    score[i] = sc * zq;
  }

  // 3. Persistence, boxes.
  const persistent = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (score[i]! >= opts.threshold) state.streak[i] = Math.min(65535, state.streak[i]! + 1);
    else state.streak[i] = 0;
    if (state.streak[i]! >= p.persistFrames) persistent[i] = score[i]!;
  }
  const cs = p.cellPx * state.f;
  const detections = heatmapToDetections(
    persistent,
    { width: gw, height: gh, scaleX: cs, scaleY: cs },
    opts.threshold,
    p.minCells * cs * cs,
  ).filter((d) => {
    // minCells counts firing cells, not the bounding box area.
    let k = 0;
    for (let y = d.box.y / cs; y < (d.box.y + d.box.h) / cs; y++)
      for (let x = d.box.x / cs; x < (d.box.x + d.box.w) / cs; x++)
        if (persistent[y * gw + x]! >= opts.threshold) k++;
    return k >= p.minCells;
  });

  // 4. Background learning: not under (or next to) a firing cell, nor in the masks.
  const hold = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (score[i]! < opts.threshold && state.streak[i] === 0) continue;
    const x = i % gw,
      y = (i - x) / gw;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx,
          yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < gw && yy < gh) hold[yy * gw + xx] = 1;
      }
  }
  const alpha = 1 / p.tauFrames;
  for (let i = 0; i < n; i++) {
    if (!scope[i]) continue;
    let a = alpha;
    if (hold[i]) {
      state.frozen[i] = state.frozen[i]! + 1;
      if (state.frozen[i]! < p.maxFrozenFrames) continue;
      a = alpha / 10;
    } else state.frozen[i] = 0;
    const r = resid(theta, i);
    state.noise[i]! += (r * r - state.noise[i]!) * a;
    for (let c = 0; c < 3; c++) state.mean[3 * i + c]! += (cur.mean[3 * i + c]! - state.mean[3 * i + c]!) * a;
    state.sigma[i]! += (cur.sigma[i]! - state.sigma[i]!) * a;
  }
  state.frames++;
  return {
    detections,
    warmingUp: false,
    score,
    global: { contrastGain: gfit[0]!, gain, medianResidual },
  };
}
