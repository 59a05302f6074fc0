/**
 * Pure evaluation helpers, identical to scripts/models/common.py so TypeScript-runtime metrics are comparable
 * with the model cards: YOLO label parsing, box matching (a prediction matches a ground-truth box when
 * IoU ≥ 0.1 or the predicted centre lies inside it; greedy one-to-one in descending score) and P/R/F1.
 */
import type { Box } from '../schemas/api.ts';
import { centre, contains, iou } from './detection.ts';

/**
 * Parses YOLO label text (`cls cx cy w h`, normalised) into boxes in px.
 * @param classes keep only these class ids (all when omitted).
 */
export function parseYoloLabels(
  text: string,
  width: number,
  height: number,
  classes?: readonly number[],
): Box[] {
  const out: Box[] = [];
  for (const line of text.split('\n')) {
    const p = line.trim().split(/\s+/).map(Number);
    if (p.length < 5 || p.some((v) => Number.isNaN(v))) continue;
    const [c, x, y, w, h] = p as [number, number, number, number, number];
    if (classes && !classes.includes(Math.trunc(c))) continue;
    out.push({ x: (x - w / 2) * width, y: (y - h / 2) * height, w: w * width, h: h * height });
  }
  return out;
}

/** True when a predicted box matches a ground-truth box (IoU ≥ 0.1 or predicted centre inside it). */
export function boxMatch(pred: Box, gt: Box): boolean {
  const c = centre(pred);
  return contains(gt, c.x, c.y) || iou(pred, gt) >= 0.1;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

/** Greedy one-to-one matching in descending score order. */
export function matchCounts(preds: readonly { score: number; box: Box }[], gts: readonly Box[]): Counts {
  const used = new Array<boolean>(gts.length).fill(false);
  let tp = 0;
  for (const p of [...preds].sort((a, b) => b.score - a.score)) {
    const j = gts.findIndex((g, k) => !used[k] && boxMatch(p.box, g));
    if (j >= 0) {
      used[j] = true;
      tp++;
    }
  }
  return { tp, fp: preds.length - tp, fn: gts.length - tp };
}

/** Precision, recall, F1 (0 when undefined), rounded to 4 decimals like the Python scripts. */
export function prf(c: Counts): Counts & { precision: number; recall: number; f1: number } {
  const p = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const r = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
  const f = p + r ? (2 * p * r) / (p + r) : 0;
  const q = (v: number) => Math.round(v * 1e4) / 1e4;
  return { ...c, precision: q(p), recall: q(r), f1: q(f) };
}

export const addCounts = (a: Counts, b: Counts): Counts => ({
  tp: a.tp + b.tp,
  fp: a.fp + b.fp,
  fn: a.fn + b.fn,
});

/** A labelled event in a clip: one fire (or plume) at one place, from its first to its last labelled frame. */
export interface GtEvent {
  /** Clip time of the first / last labelled frame, ms. */
  startMs: number;
  endMs: number;
  /** Union of the event's labelled boxes, frame px. */
  box: Box;
}

/**
 * Groups per-frame ground-truth boxes into events: a box joins the event of the previous frames when it
 * matches that event's last box ({@link boxMatch} either way, or centres within `gatePx`), otherwise it starts
 * a new event. Frames must be in time order.
 * @param frames per frame: clip time (ms) and its ground-truth boxes (px)
 * @param gatePx centre distance that still counts as the same place (px, default 24: the tracker's minimum gate,
 *   services/track/confirm.ts DEFAULT_ASSOCIATION.gateMinPx)
 */
export function groupEvents(
  frames: readonly { atMs: number; boxes: readonly Box[] }[],
  gatePx = 24,
): GtEvent[] {
  const events: (GtEvent & { last: Box })[] = [];
  const near = (a: Box, b: Box) =>
    boxMatch(a, b) ||
    boxMatch(b, a) ||
    Math.hypot(centre(a).x - centre(b).x, centre(a).y - centre(b).y) <= gatePx;
  for (const f of frames)
    for (const b of f.boxes) {
      const e = events.find((ev) => near(ev.last, b));
      if (!e) {
        events.push({ startMs: f.atMs, endMs: f.atMs, box: { ...b }, last: b });
        continue;
      }
      const x2 = Math.max(e.box.x + e.box.w, b.x + b.w);
      const y2 = Math.max(e.box.y + e.box.h, b.y + b.h);
      e.box = { x: Math.min(e.box.x, b.x), y: Math.min(e.box.y, b.y), w: 0, h: 0 };
      e.box.w = x2 - e.box.x;
      e.box.h = y2 - e.box.y;
      e.endMs = f.atMs;
      e.last = b;
    }
  return events.map(({ startMs, endMs, box }) => ({ startMs, endMs, box }));
}

/** Event-level result of alerts against labelled events ("one fire = one alert"). */
export interface EventMatch {
  events: number;
  /** Events with at least one alert. */
  alerted: number;
  /** Events with more than one alert (duplicates of one fire). */
  duplicated: number;
  /** Alerts that match no event. */
  falseAlerts: number;
  /** Per alerted event: first alert's first-seen time − event start, ms, 0 when the alert was already open. */
  delaysMs: number[];
}

/**
 * Matches alerts to labelled events: an alert belongs to an event when its (best) box is near the event's box (as
 * in {@link groupEvents}) and its active span [first seen, last seen] overlaps [event start − `slackMs`, event
 * end + `slackMs`]; each alert is given to the nearest such event by start time. Several alerts on one event
 * count as a duplicate.
 * @param slackMs time slack, ms (default 2000: one sampling interval)
 */
export function matchEvents(
  alerts: readonly { firstSeenMs: number; lastSeenMs: number; box: Box }[],
  events: readonly GtEvent[],
  slackMs = 2000,
  gatePx = 24,
): EventMatch {
  const per = events.map(() => [] as number[]);
  let falseAlerts = 0;
  for (const a of alerts) {
    const near = (e: GtEvent) =>
      (boxMatch(a.box, e.box) ||
        boxMatch(e.box, a.box) ||
        Math.hypot(centre(a.box).x - centre(e.box).x, centre(a.box).y - centre(e.box).y) <= gatePx) &&
      a.lastSeenMs >= e.startMs - slackMs &&
      a.firstSeenMs <= e.endMs + slackMs;
    const dist = (e: GtEvent) => Math.abs(a.firstSeenMs - e.startMs);
    const best = events
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => near(e))
      .sort((x, y) => dist(x.e) - dist(y.e))[0];
    if (best) per[best.i]!.push(a.firstSeenMs);
    else falseAlerts++;
  }
  return {
    events: events.length,
    alerted: per.filter((p) => p.length > 0).length,
    duplicated: per.filter((p) => p.length > 1).length,
    falseAlerts,
    delaysMs: per.flatMap((p, i) => (p.length > 0 ? [Math.max(0, Math.min(...p) - events[i]!.startMs)] : [])),
  };
}
