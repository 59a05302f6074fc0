/**
 * Pure geometry of the mask/ROI editor: polygons are stored normalised (x, y in 0..1 from the top-left corner,
 * `NormPolygon` in services/schemas/config.ts) and drawn on a canvas of some pixel size.
 */

/** A normalised point [x, y], both 0..1. */
export type NormPt = [number, number];

/** Decimal places kept for normalised coordinates: 1e-4 of the frame is < 0.2 px even at 1920 px. */
const DECIMALS = 4;

const round = (v: number) => Math.round(v * 10 ** DECIMALS) / 10 ** DECIMALS;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Pixel position (canvas px) of a normalised point on a `width`×`height` canvas. */
export function toPixel(p: NormPt, width: number, height: number): { x: number; y: number } {
  return { x: p[0] * width, y: p[1] * height };
}

/** Normalised point of a canvas pixel position: clamped to the frame, rounded to 4 decimals. */
export function toNorm(x: number, y: number, width: number, height: number): NormPt {
  if (width <= 0 || height <= 0) return [0, 0];
  return [round(clamp01(x / width)), round(clamp01(y / height))];
}

/**
 * The vertex nearest to (x, y) canvas px within `radiusPx`, over all polygons, or null.
 * @returns polygon index and vertex index.
 */
export function hitVertex(
  polygons: readonly (readonly NormPt[])[],
  x: number,
  y: number,
  width: number,
  height: number,
  radiusPx = 8,
): { polygon: number; vertex: number } | null {
  let best: { polygon: number; vertex: number; d: number } | null = null;
  polygons.forEach((poly, pi) =>
    poly.forEach((pt, vi) => {
      const p = toPixel(pt, width, height);
      const d = Math.hypot(p.x - x, p.y - y);
      if (d <= radiusPx && (best === null || d < best.d)) best = { polygon: pi, vertex: vi, d };
    }),
  );
  if (best === null) return null;
  const { polygon, vertex } = best;
  return { polygon, vertex };
}

/** Ray-casting point-in-polygon on normalised coordinates (boundary points may go either way). */
export function insidePolygon(p: NormPt, poly: readonly NormPt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Index of the first polygon containing the canvas point (x, y), or -1. */
export function polygonAt(
  polygons: readonly (readonly NormPt[])[],
  x: number,
  y: number,
  width: number,
  height: number,
): number {
  const p = toNorm(x, y, width, height);
  return polygons.findIndex((poly) => poly.length >= 3 && insidePolygon(p, poly));
}

/** A copy of `polygons` with one vertex moved (immutable update for React state). */
export function moveVertex(
  polygons: readonly NormPt[][],
  polygon: number,
  vertex: number,
  to: NormPt,
): NormPt[][] {
  return polygons.map((poly, pi) =>
    pi === polygon ? poly.map((pt, vi) => (vi === vertex ? to : pt)) : poly,
  );
}

/** A copy with one vertex removed; a polygon left with fewer than 3 points is removed too. */
export function deleteVertex(polygons: readonly NormPt[][], polygon: number, vertex: number): NormPt[][] {
  return polygons
    .map((poly, pi) => (pi === polygon ? poly.filter((_, vi) => vi !== vertex) : poly))
    .filter((poly, pi) => pi !== polygon || poly.length >= 3);
}

/**
 * Canvas size showing a `frameW`×`frameH` frame `maxW` px wide (scaled up or down), keeping the aspect ratio;
 * 16:9 before the first frame is known.
 */
export function fitSize(frameW: number, frameH: number, maxW: number): { width: number; height: number } {
  if (frameW <= 0 || frameH <= 0) return { width: maxW, height: Math.round((maxW * 9) / 16) };
  const s = maxW / frameW;
  return { width: Math.round(frameW * s), height: Math.round(frameH * s) };
}
