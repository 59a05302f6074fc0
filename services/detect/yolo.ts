/**
 * Pure decoding of YOLO-style detector outputs (Ultralytics export conventions) into typed detections.
 *
 * - YOLOv8 / v11 (`layout: 'v8'`): output `[B, 4 + nc, N]`; per anchor `cx, cy, w, h` (input px) then `nc`
 *   class scores already passed through a sigmoid; confidence = max class score.
 * - YOLOv5 (`layout: 'v5'`): output `[B, N, 5 + nc]`; per anchor `cx, cy, w, h, objectness, nc class
 *   probabilities`; confidence = objectness × class probability (as in yolov5 `non_max_suppression`).
 */
import type { DetectionType } from '../schemas/config.ts';
import { nms, type TypedDetection } from './detection.ts';

export type YoloLayout = 'v5' | 'v8';

/**
 * Infers the layout from the output dims and the number of classes.
 * @throws Error when the dims fit neither layout, or fit both and no `declared` layout is given.
 */
export function yoloLayout(dims: readonly number[], nc: number, declared?: YoloLayout): YoloLayout {
  if (dims.length !== 3) throw new Error(`YOLO output must be rank 3, got [${dims.join(', ')}]`);
  const v8 = dims[1] === 4 + nc;
  const v5 = dims[2] === 5 + nc;
  if (declared) {
    if ((declared === 'v8' && !v8) || (declared === 'v5' && !v5))
      throw new Error(
        `YOLO output [${dims.join(', ')}] does not match layout ${declared} with ${nc} classes`,
      );
    return declared;
  }
  if (v8 && v5)
    throw new Error(`YOLO output [${dims.join(', ')}] is ambiguous for ${nc} classes: set layout`);
  if (v8) return 'v8';
  if (v5) return 'v5';
  throw new Error(
    `YOLO output [${dims.join(', ')}] fits neither [B, 4+${nc}, N] (v8/v11) nor [B, N, 5+${nc}] (v5)`,
  );
}

export interface YoloDecodeOptions {
  layout: YoloLayout;
  /** Alert type of each class index; null = class ignored. Length = nc. */
  classTypes: readonly (DetectionType | null)[];
  /** Minimum confidence 0..1. */
  confThreshold: number;
  /** NMS IoU threshold (Ultralytics default 0.45 / 0.7; we default to 0.45 in the manifest). */
  iouThreshold: number;
  /** Which image of the batch (default 0). */
  batchIndex?: number;
}

/**
 * Decodes one image of a YOLO output tensor into boxes in model-input px (top-left x, y, w, h), keeps the best
 * mapped class per anchor above `confThreshold`, and applies class-aware NMS (class = alert type, so `fire`
 * and `hotspot` labels merge).
 * @param data the output tensor's data (row-major, float32).
 * @param dims its dims `[B, 4+nc, N]` (v8) or `[B, N, 5+nc]` (v5).
 * @throws RangeError when `data.length` does not match `dims`.
 */
export function decodeYolo(
  data: ArrayLike<number>,
  dims: readonly number[],
  o: YoloDecodeOptions,
): TypedDetection[] {
  const [B = 0, d1 = 0, d2 = 0] = dims;
  if (data.length !== B * d1 * d2)
    throw new RangeError(`YOLO output length ${data.length} != ${dims.join('x')}`);
  const nc = o.classTypes.length;
  const b = o.batchIndex ?? 0;
  const base = b * d1 * d2;
  const out: TypedDetection[] = [];
  const v8 = o.layout === 'v8';
  const n = v8 ? d2 : d1;
  // value k of anchor i
  const at = v8
    ? (i: number, k: number) => data[base + k * d2 + i]!
    : (i: number, k: number) => data[base + i * d2 + k]!;
  for (let i = 0; i < n; i++) {
    const obj = v8 ? 1 : at(i, 4);
    if (obj < o.confThreshold) continue;
    let best = -1,
      bestScore = 0;
    for (let c = 0; c < nc; c++) {
      if (o.classTypes[c] == null) continue;
      const s = obj * at(i, (v8 ? 4 : 5) + c);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    if (best < 0 || bestScore < o.confThreshold) continue;
    const cx = at(i, 0),
      cy = at(i, 1),
      w = at(i, 2),
      h = at(i, 3);
    out.push({ box: { x: cx - w / 2, y: cy - h / 2, w, h }, score: bestScore, type: o.classTypes[best]! });
  }
  return nms(out, o.iouThreshold);
}

/**
 * Maps a model's class label to a TowerWatch alert type: `fire`/`flame`/`hotspot`/`hot spot` → hotspot (a fire
 * seen by a detector is raised as a hot-spot alert), `smoke` → smoke, `dust` → dust; anything else → null.
 * An explicit `labelMap` entry wins (value `ignore` → null).
 */
export function labelToType(
  label: string,
  labelMap: Readonly<Record<string, string>> = {},
): DetectionType | null {
  const explicit = labelMap[label];
  const l = (explicit ?? label).trim().toLowerCase();
  if (l === 'ignore') return null;
  if (l === 'fire' || l === 'flame' || l === 'hotspot' || l === 'hot spot' || l === 'hot_spot')
    return 'hotspot';
  if (l === 'smoke') return 'smoke';
  if (l === 'dust') return 'dust';
  return null;
}

/**
 * Reads a classifier output row (`[B, nc]`) into per-class probabilities.
 * @param activation `softmax` / `sigmoid` applied to logits, `none` when the graph outputs probabilities.
 */
export function classifierProbs(
  logits: ArrayLike<number>,
  nc: number,
  batchIndex: number,
  activation: 'softmax' | 'sigmoid' | 'none',
): number[] {
  const row = Array.from({ length: nc }, (_, c) => logits[batchIndex * nc + c] ?? 0);
  if (activation === 'sigmoid') return row.map((v) => 1 / (1 + Math.exp(-v)));
  if (activation === 'softmax') {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }
  return row;
}
