/**
 * Pure post-processing of a heatmap model's output into boxes in frame pixels.
 *
 * A heatmap model outputs per-cell probabilities `[1, 1, Hm, Wm]` where one cell covers `stride×stride` input
 * pixels. Cells at or above the threshold are grouped into 8-connected components; each component becomes one
 * box whose score is the maximum probability inside it.
 */
import type { Box } from '../schemas/api.ts';

export interface Detection {
  box: Box;
  /** 0..1. */
  score: number;
}

export interface HeatmapGeometry {
  /** Heatmap width and height, cells. */
  width: number;
  height: number;
  /** Scale from a heatmap cell to frame pixels on each axis (stride × frame size / model input size). */
  scaleX: number;
  scaleY: number;
}

/**
 * Connected components (8-neighbourhood) of cells with `p >= threshold`.
 * @param heat row-major probabilities, length `g.width * g.height`.
 * @param minAreaPx boxes smaller than this (frame px²) are dropped.
 * @throws RangeError when `heat.length` does not match the geometry.
 */
export function heatmapToDetections(
  heat: Float32Array,
  g: HeatmapGeometry,
  threshold: number,
  minAreaPx = 0,
): Detection[] {
  const { width: W, height: H } = g;
  if (heat.length !== W * H) throw new RangeError(`heatmap length ${heat.length} != ${W}x${H}`);
  const seen = new Uint8Array(W * H);
  const stack: number[] = [];
  const out: Detection[] = [];
  for (let start = 0; start < W * H; start++) {
    if (seen[start] || heat[start]! < threshold) continue;
    let minX = W,
      minY = H,
      maxX = -1,
      maxY = -1,
      best = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % W,
        y = (i - x) / W;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (heat[i]! > best) best = heat[i]!;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= H) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= W) continue;
          const j = ny * W + nx;
          if (!seen[j] && heat[j]! >= threshold) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    const box = {
      x: minX * g.scaleX,
      y: minY * g.scaleY,
      w: (maxX - minX + 1) * g.scaleX,
      h: (maxY - minY + 1) * g.scaleY,
    };
    if (box.w * box.h >= minAreaPx) out.push({ box, score: best });
  }
  return out.sort((a, b) => b.score - a.score);
}
