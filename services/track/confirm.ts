/**
 * Pure multi-frame confirmation with tracking, one group per camera + preset + detection type. No IO, no clock:
 * time comes in with each observation.
 *
 * Per frame the group's detections are associated with its tracks (greedy, open tracks first, by IoU then
 * centre distance); a track opens an alert when it was hit on `confirmN` of its last `confirmM` frames
 * (Pyronear-style N-of-M confirmation) and closes after `closeAfterMs` without a hit.
 *
 * - **Hysteresis**: an open track counts detections down to `thresholds.keep`; a new or unconfirmed track needs
 *   `thresholds.enter` (see services/detect/sensitivity.ts for the mapping from preset sensitivity).
 * - **One fire = one alert**: a detection near an existing track (inside its association gate) that was not
 *   matched to it — a second blob of the same plume, a split heatmap component — never starts a new track.
 *   Two separate fires (outside each other's gates) are two tracks and two alerts.
 */
import type { Box } from '../schemas/api.ts';
import type { AlertingConfig } from '../schemas/config.ts';

/** Score thresholds for one group (from the model threshold and the preset sensitivity). */
export interface Thresholds {
  enter: number;
  keep: number;
}

/** Association parameters (engineering defaults, not tuned on held-out data). */
export interface AssociationConfig {
  /** Minimum IoU for a match by overlap (default 0.1). */
  matchIou: number;
  /**
   * Centre-distance gate = max(`gateMinPx`, `gateFactor` × the larger side of either box), px (defaults 2.0 and
   * 24): a distant target's box jitters by its own size between 2 s samples.
   */
  gateFactor: number;
  gateMinPx: number;
}

export const DEFAULT_ASSOCIATION: AssociationConfig = { matchIou: 0.1, gateFactor: 2, gateMinPx: 24 };

export interface Observation {
  /** Server UTC time of the frame, epoch ms. */
  at: number;
  /** Detections of this group's type on the frame (frame px), any order, all with score ≥ thresholds.keep. */
  detections: readonly { score: number; box: Box }[];
}

export interface Track {
  /** Unique within the group (`t1`, `t2`, …). */
  id: string;
  /** Box of the last detection counted, frame px. */
  box: Box;
  /** Hit flags of the last ≤ M frames since the track started, oldest first. */
  window: boolean[];
  open: boolean;
  firstHitAt: number;
  lastHitAt: number;
  /** Frames with a hit counted toward this track. */
  hits: number;
  peakScore: number;
  peakBox: Box;
}

export interface GroupState {
  tracks: Track[];
  nextId: number;
}

export type ConfirmAction =
  /** N of the last M frames had a hit: open an alert for this track with its best detection. */
  | { kind: 'open'; trackId: string; score: number; box: Box; at: number; hits: number }
  /** A further hit on an open track; `peak` is true when the score beat the previous peak. */
  | { kind: 'update'; trackId: string; score: number; box: Box; at: number; hits: number; peak: boolean }
  /** No hit for `closeAfterMs`: close the track's alert. */
  | { kind: 'close'; trackId: string; at: number };

export const initialGroupState = (): GroupState => ({ tracks: [], nextId: 1 });

const cx = (b: Box) => b.x + b.w / 2;
const cy = (b: Box) => b.y + b.h / 2;

function overlap(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const u = a.w * a.h + b.w * b.h - ix * iy;
  return u > 0 ? (ix * iy) / u : 0;
}

/** Match quality of a track box and a detection box, or null when outside the gate. */
export function associationScore(
  t: Box,
  d: Box,
  a: AssociationConfig = DEFAULT_ASSOCIATION,
): { iou: number; dist: number } | null {
  const i = overlap(t, d);
  const dist = Math.hypot(cx(t) - cx(d), cy(t) - cy(d));
  const gate = Math.max(a.gateMinPx, a.gateFactor * Math.max(t.w, t.h, d.w, d.h));
  return i >= a.matchIou || dist <= gate ? { iou: i, dist } : null;
}

/**
 * Advances a group with one frame's detections.
 * @returns the next state (input not modified) and the actions, open/update/close, in track order.
 */
export function observe(
  s: GroupState,
  o: Observation,
  th: Thresholds,
  cfg: AlertingConfig,
  assoc: AssociationConfig = DEFAULT_ASSOCIATION,
): { state: GroupState; actions: ConfirmAction[] } {
  const dets = o.detections.filter((d) => d.score >= Math.min(th.keep, th.enter));
  const tracks = s.tracks.map((t) => ({ ...t, window: [...t.window] }));
  // Candidate pairs: open tracks first, then higher IoU, then shorter distance.
  const pairs: { ti: number; di: number; open: boolean; iou: number; dist: number }[] = [];
  tracks.forEach((t, ti) =>
    dets.forEach((d, di) => {
      if (d.score < (t.open ? th.keep : th.enter)) return;
      const m = associationScore(t.box, d.box, assoc);
      if (m) pairs.push({ ti, di, open: t.open, ...m });
    }),
  );
  pairs.sort((a, b) => Number(b.open) - Number(a.open) || b.iou - a.iou || a.dist - b.dist);
  const trackHit = new Map<number, number>();
  const detUsed = new Set<number>();
  for (const p of pairs) {
    if (trackHit.has(p.ti) || detUsed.has(p.di)) continue;
    trackHit.set(p.ti, p.di);
    detUsed.add(p.di);
  }
  const actions: ConfirmAction[] = [];
  const next: Track[] = [];
  let nextId = s.nextId;
  for (const [ti, t] of tracks.entries()) {
    const di = trackHit.get(ti);
    t.window = [...t.window, di !== undefined].slice(-cfg.confirmM);
    if (di === undefined) {
      if (t.open && o.at - t.lastHitAt >= cfg.closeAfterMs) {
        actions.push({ kind: 'close', trackId: t.id, at: o.at });
        continue;
      }
      if (!t.open && (!t.window.includes(true) || o.at - t.lastHitAt >= cfg.closeAfterMs)) continue;
      next.push(t);
      continue;
    }
    const d = dets[di]!;
    t.box = d.box;
    t.lastHitAt = o.at;
    t.hits++;
    const peak = d.score > t.peakScore;
    if (peak) {
      t.peakScore = d.score;
      t.peakBox = d.box;
    }
    if (t.open) {
      actions.push({
        kind: 'update',
        trackId: t.id,
        score: d.score,
        box: d.box,
        at: o.at,
        hits: t.hits,
        peak,
      });
    } else if (t.window.filter(Boolean).length >= cfg.confirmN) {
      t.open = true;
      actions.push({
        kind: 'open',
        trackId: t.id,
        score: t.peakScore,
        box: t.peakBox,
        at: o.at,
        hits: t.hits,
      });
    }
    next.push(t);
  }
  // New tracks from unmatched detections above `enter`, unless inside the gate of an existing track (same fire).
  const born: Track[] = [];
  dets
    .map((d, di) => ({ d, di }))
    .filter(({ d, di }) => !detUsed.has(di) && d.score >= th.enter)
    .sort((a, b) => b.d.score - a.d.score)
    .forEach(({ d }) => {
      if ([...next, ...born].some((t) => associationScore(t.box, d.box, assoc))) return;
      const t: Track = {
        id: `t${nextId++}`,
        box: d.box,
        window: [true],
        open: false,
        firstHitAt: o.at,
        lastHitAt: o.at,
        hits: 1,
        peakScore: d.score,
        peakBox: d.box,
      };
      if (cfg.confirmN <= 1) {
        t.open = true;
        actions.push({ kind: 'open', trackId: t.id, score: d.score, box: d.box, at: o.at, hits: 1 });
      }
      born.push(t);
    });
  return { state: { tracks: [...next, ...born], nextId }, actions };
}

/**
 * Closes open tracks with no hit for `closeAfterMs` and forgets stale unconfirmed ones (call on a timer, so
 * alerts also close when the camera stops delivering frames or moves to another preset).
 */
export function tick(
  s: GroupState,
  now: number,
  cfg: AlertingConfig,
): { state: GroupState; actions: ConfirmAction[] } {
  const actions: ConfirmAction[] = [];
  const tracks = s.tracks.filter((t) => {
    if (now - t.lastHitAt < cfg.closeAfterMs) return true;
    if (t.open) actions.push({ kind: 'close', trackId: t.id, at: now });
    return false;
  });
  return tracks.length === s.tracks.length ? { state: s, actions } : { state: { ...s, tracks }, actions };
}
