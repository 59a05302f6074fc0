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
