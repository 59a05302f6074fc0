/**
 * Pure multi-frame alert confirmation (N of the last M frames, Pyronear-style), one state per
 * camera + preset + detection type. No IO, no clock: time comes in with each observation.
 */
import type { Box } from '../schemas/api.ts';
import type { AlertingConfig } from '../schemas/config.ts';

/** The best detection of one type on one sampled frame, or none. */
export interface Observation {
  /** Server UTC time of the frame, epoch ms. */
  at: number;
  hit: { score: number; box: Box } | null;
}

export interface ConfirmState {
  /** Hit flags of the last ≤ M frames, oldest first. */
  window: boolean[];
  open: boolean;
  /** Time of the last frame with a hit (epoch ms), or null. */
  lastHitAt: number | null;
  peakScore: number;
}

export type ConfirmAction =
  | { kind: 'none' }
  /** N of the last M frames had a hit: open an alert with this (the best) detection. */
  | { kind: 'open'; score: number; box: Box; at: number }
  /** A further hit on an open alert; `peak` is true when the score beat the previous peak. */
  | { kind: 'update'; score: number; box: Box; at: number; peak: boolean }
  /** No hit for `closeAfterMs`: close the open alert. */
  | { kind: 'close'; at: number };

export const initialConfirmState = (): ConfirmState => ({
  window: [],
  open: false,
  lastHitAt: null,
  peakScore: 0,
});

/**
 * Advances the state with one observation.
 * Opening: when `confirmN` of the last `confirmM` observations (this one included) are hits, and this one is
 * a hit (an alert opens on a detection, so it always has a box). Closing: see {@link tick}.
 */
export function observe(
  s: ConfirmState,
  o: Observation,
  cfg: AlertingConfig,
): { state: ConfirmState; action: ConfirmAction } {
  const window = [...s.window, o.hit !== null].slice(-cfg.confirmM);
  if (o.hit === null) {
    const next = { ...s, window };
    const closed = tick(next, o.at, cfg);
    return closed;
  }
  const { score, box } = o.hit;
  if (s.open) {
    const peak = score > s.peakScore;
    return {
      state: { window, open: true, lastHitAt: o.at, peakScore: Math.max(s.peakScore, score) },
      action: { kind: 'update', score, box, at: o.at, peak },
    };
  }
  const hits = window.filter(Boolean).length;
  if (hits >= cfg.confirmN) {
    return {
      state: { window, open: true, lastHitAt: o.at, peakScore: score },
      action: { kind: 'open', score, box, at: o.at },
    };
  }
  return { state: { ...s, window, lastHitAt: o.at }, action: { kind: 'none' } };
}

/**
 * Closes an open alert when nothing was seen for `closeAfterMs` (call on every frame and on a timer, so an
 * alert also closes when the camera stops delivering frames).
 */
export function tick(
  s: ConfirmState,
  now: number,
  cfg: AlertingConfig,
): { state: ConfirmState; action: ConfirmAction } {
  if (s.open && s.lastHitAt !== null && now - s.lastHitAt >= cfg.closeAfterMs) {
    return {
      state: { window: [], open: false, lastHitAt: s.lastHitAt, peakScore: 0 },
      action: { kind: 'close', at: now },
    };
  }
  return { state: s, action: { kind: 'none' } };
}
