/**
 * Pure detection primitives shared by every model kind: the detection record, box IoU and greedy NMS.
 */
import type { Box } from '../schemas/api.ts';
import type { DetectionType } from '../schemas/config.ts';

/** One detection in some pixel space (frame px unless stated otherwise). */
export interface Detection {
  box: Box;
  /** Confidence 0..1. */
  score: number;
}

/** A detection with the alert type it maps to (a multi-class model emits several types). */
export interface TypedDetection extends Detection {
  type: DetectionType;
}

/** Intersection over union of two boxes (0..1; 0 when either box has no area). */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/** Centre of a box, px. */
export const centre = (b: Box): { x: number; y: number } => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });

/** True when point (x, y) lies inside box `b` (edges included). */
export const contains = (b: Box, x: number, y: number): boolean =>
  x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h;

/** Intersection area over the smaller box's area (0..1): 1 when one box lies inside the other. */
export function ios(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const small = Math.min(a.w * a.h, b.w * b.h);
  return small > 0 ? (ix * iy) / small : 0;
}

/**
 * Greedy non-maximum suppression (as in YOLO post-processing): sort by score, keep a box unless it overlaps a
 * kept box of the same type with IoU > `iouThreshold`, or (when `iosThreshold` is given) with
 * intersection-over-smaller > `iosThreshold` — the SAHI merge rule for a target cut in two by a tile border.
 * Detections without `type` are treated as one class.
 * @returns kept detections, best score first (input is not modified).
 */
export function nms<T extends Detection & { type?: DetectionType }>(
  dets: readonly T[],
  iouThreshold: number,
  iosThreshold = Infinity,
): T[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const d of sorted) {
    const dup = kept.some(
      (k) => k.type === d.type && (iou(k.box, d.box) > iouThreshold || ios(k.box, d.box) > iosThreshold),
    );
    if (!dup) kept.push(d);
  }
  return kept;
}
