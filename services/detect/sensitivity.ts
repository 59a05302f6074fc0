/**
 * Per-preset sensitivity → score thresholds (pure).
 *
 * Mapping (documented in models/manifest.yaml too): sensitivity `s` in 0..1, 0.5 = the model's threshold `t0`
 * tuned on validation (see each model card). The threshold moves in logit space so it never leaves (0, 1)
 * and a step means the same at 0.6 and at 0.95:
 *
 *     logit(t) = logit(t0) − SPAN × (2s − 1),   SPAN = 2
 *
 * e.g. t0 = 0.8: s = 0 → 0.967, s = 0.25 → 0.916, s = 0.5 → 0.8, s = 0.75 → 0.596, s = 1 → 0.351.
 *
 * Hysteresis: a track that already raised an alert keeps counting detections down to the relaxed threshold
 * `logit(t_keep) = logit(t) − HYSTERESIS` (HYSTERESIS = 0.75; t = 0.8 → 0.65), so a fire that flickers around
 * the threshold neither closes nor re-opens its alert. Both constants are engineering choices, not tuned on
 * held-out data.
 */

export const SENSITIVITY_SPAN = 2;
export const HYSTERESIS_LOGIT = 0.75;

const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clampP = (p: number): number => Math.min(1 - 1e-6, Math.max(1e-6, p));

/** Score thresholds for one model on one preset. */
export interface Thresholds {
  /** A new (unconfirmed) track needs detections with score ≥ enter. */
  enter: number;
  /** An open track keeps counting detections with score ≥ keep (keep < enter). */
  keep: number;
}

/**
 * @param modelThreshold the model's tuned threshold, 0..1 exclusive.
 * @param sensitivity 0..1 (clamped); 0.5 returns `modelThreshold` as `enter`.
 */
export function thresholdsFor(modelThreshold: number, sensitivity = 0.5): Thresholds {
  const s = Math.min(1, Math.max(0, sensitivity));
  const l = logit(clampP(modelThreshold)) - SENSITIVITY_SPAN * (2 * s - 1);
  return { enter: sigmoid(l), keep: sigmoid(l - HYSTERESIS_LOGIT) };
}
