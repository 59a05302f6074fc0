/**
 * Pure geometry of a preset's masks and ROI (normalised polygons, x/y in 0..1 from the top-left corner, see
 * `NormPolygon` in services/schemas/config.ts) against boxes in frame pixels.
 */
import type { Box } from '../schemas/api.ts';
import type { NormPolygon } from '../schemas/config.ts';
import { centre, type Detection } from './detection.ts';

type Pt = readonly [number, number];

/** Polygon in frame pixels. */
const toPx = (poly: NormPolygon, w: number, h: number): Pt[] => poly.map(([x, y]) => [x * w, y * h] as const);

/** Even-odd ray casting point-in-polygon test (W. R. Franklin, PNPOLY). Points on an edge may go either way. */
export function pointInPolygon(x: number, y: number, poly: readonly Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function segmentsCross(a: Pt, b: Pt, c: Pt, d: Pt): boolean {
  const o = (p: Pt, q: Pt, r: Pt) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0;
}

/**
 * True when the whole rectangle lies inside the (simple) polygon: its four corners are inside and no polygon
 * edge properly crosses a rectangle edge nor has a vertex strictly inside the rectangle (tested on the
 * rectangle shrunk by ≤ 0.5 px, so shared edges do not count as crossings).
 */
export function rectInsidePolygon(box: Box, poly: readonly Pt[]): boolean {
  // Shrunk by 0.5 px so a rectangle sharing an edge with the polygon (a mask drawn to the frame border) counts.
  const e = Math.min(0.5, box.w / 4, box.h / 4);
  const r = { x: box.x + e, y: box.y + e, w: box.w - 2 * e, h: box.h - 2 * e };
  const corners: Pt[] = [
    [r.x, r.y],
    [r.x + r.w, r.y],
    [r.x + r.w, r.y + r.h],
    [r.x, r.y + r.h],
  ];
  if (!corners.every(([x, y]) => pointInPolygon(x, y, poly))) return false;
  for (const [x, y] of poly) if (x > r.x && x < r.x + r.w && y > r.y && y < r.y + r.h) return false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    for (let k = 0; k < 4; k++) {
      if (segmentsCross(poly[j]!, poly[i]!, corners[k]!, corners[(k + 1) % 4]!)) return false;
    }
  }
  return true;
}

/**
 * True when the rectangle (frame px) lies entirely inside one of the masks: such a tile is never analysed.
 * Conservative: a rectangle covered only by the union of several masks is still analysed.
 */
export function rectFullyMasked(
  r: Box,
  masks: readonly NormPolygon[],
  frameW: number,
  frameH: number,
): boolean {
  return masks.some((m) => rectInsidePolygon(r, toPx(m, frameW, frameH)));
}

/**
 * Bounding box (frame px, integer, clamped to the frame) of the ROI polygons; the whole frame when `roi` is
 * undefined or empty.
 */
export function roiBounds(frameW: number, frameH: number, roi?: readonly NormPolygon[]): Box {
  if (!roi || roi.length === 0) return { x: 0, y: 0, w: frameW, h: frameH };
  let x0 = 1,
    y0 = 1,
    x1 = 0,
    y1 = 0;
  for (const poly of roi)
    for (const [x, y] of poly) {
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  const x = Math.max(0, Math.floor(x0 * frameW));
  const y = Math.max(0, Math.floor(y0 * frameH));
  return {
    x,
    y,
    w: Math.max(1, Math.min(frameW, Math.ceil(x1 * frameW)) - x),
    h: Math.max(1, Math.min(frameH, Math.ceil(y1 * frameH)) - y),
  };
}

/**
 * Keeps detections whose box centre is outside every mask and (when an ROI is set) inside some ROI polygon.
 * @param frameW frame size, px, that the boxes and the normalised polygons refer to.
 */
export function filterByRegions<T extends Detection>(
  dets: readonly T[],
  frameW: number,
  frameH: number,
  masks: readonly NormPolygon[] = [],
  roi?: readonly NormPolygon[],
): T[] {
  const maskPx = masks.map((m) => toPx(m, frameW, frameH));
  const roiPx = roi && roi.length > 0 ? roi.map((p) => toPx(p, frameW, frameH)) : null;
  return dets.filter((d) => {
    const c = centre(d.box);
    if (maskPx.some((m) => pointInPolygon(c.x, c.y, m))) return false;
    return roiPx === null || roiPx.some((p) => pointInPolygon(c.x, c.y, p));
  });
}
