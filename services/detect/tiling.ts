/**
 * Pure tiling geometry for small, distant targets: a 1280×960 frame squeezed into a 640×480 model input loses
 * half of every axis, and a 3×3 px hot spot at 2 km becomes sub-pixel. Instead the frame (or the preset's ROI
 * bounding box) is cut into overlapping tiles of the model's input size, analysed at native scale, and the
 * detections are mapped back to frame pixels and merged with NMS (SAHI-style slicing: Akyon et al., "Slicing
 * Aided Hyper Inference and Fine-tuning for Small Object Detection", ICIP 2022).
 */
import type { Box } from '../schemas/api.ts';
import type { NormPolygon } from '../schemas/config.ts';
import type { Detection } from './detection.ts';
import { rectFullyMasked, roiBounds } from './regions.ts';

/** How a model sees frames (per model, from the manifest). */
export interface TilingOptions {
  /** `auto`: tile when the analysed region exceeds `factor` × the input size on either axis. */
  mode: 'auto' | 'always' | 'never';
  /** Overlap of neighbouring tiles as a fraction of the tile size (0.2..0.9; default 0.25). */
  overlap: number;
  /** Threshold ratio region/input for `auto` (default 1.5). */
  factor: number;
  /** Single-view resize: `stretch` (heatmap models, linear cell → pixel mapping) or `letterbox` (YOLO). */
  resize: 'stretch' | 'letterbox';
}

export const DEFAULT_TILING: TilingOptions = { mode: 'auto', overlap: 0.25, factor: 1.5, resize: 'stretch' };

/**
 * One model input cut from a frame: the source rectangle (frame px, integers) is scaled by `scaleX/scaleY`
 * (input px per frame px) and pasted at `padX/padY` (input px) into an input of the model's size; the rest of
 * the input is padding.
 */
export interface TileView {
  src: Box;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

/**
 * Start offsets (px) of tiles of length `tile` covering `[0, length)` with at least `overlap` × tile overlap;
 * the last tile is aligned to the end, so every tile lies inside the range.
 * @throws RangeError when tile < 1 or overlap is outside 0..0.95.
 */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (tile < 1 || !(overlap >= 0 && overlap <= 0.95))
    throw new RangeError(`bad tile ${tile} / overlap ${overlap}`);
  if (length <= tile) return [0];
  const stride = Math.max(1, Math.floor(tile * (1 - overlap)));
  const out: number[] = [];
  for (let s = 0; s + tile < length; s += stride) out.push(s);
  const last = length - tile;
  if (out.at(-1) !== last) out.push(last);
  return out;
}

/** True when the region is to be tiled rather than resized once. */
export function shouldTile(
  region: { w: number; h: number },
  input: { width: number; height: number },
  o: TilingOptions,
): boolean {
  if (o.mode === 'never') return false;
  if (o.mode === 'always') return region.w > input.width || region.h > input.height;
  return region.w > o.factor * input.width || region.h > o.factor * input.height;
}

/**
 * Plans the model inputs for one frame.
 * - Region = the ROI polygons' bounding box (whole frame without ROI).
 * - Tiled: tiles of `min(input, region)` frame px at scale 1 (native resolution), overlapping by
 *   `overlap`; tiles lying entirely inside one mask are skipped. A tile smaller than the input is pasted at
 *   the top-left corner and the rest padded.
 * - Otherwise one view of the region, stretched or letterboxed (centred) to the input size.
 * @returns the views (possibly empty when every tile is masked) and whether tiling was used.
 */
export function planViews(
  frameW: number,
  frameH: number,
  input: { width: number; height: number },
  o: TilingOptions,
  masks: readonly NormPolygon[] = [],
  roi?: readonly NormPolygon[],
): { views: TileView[]; tiled: boolean } {
  const r = roiBounds(frameW, frameH, roi);
  if (shouldTile(r, input, o)) {
    const tw = Math.min(input.width, r.w);
    const th = Math.min(input.height, r.h);
    const views: TileView[] = [];
    for (const dy of tileStarts(r.h, th, o.overlap))
      for (const dx of tileStarts(r.w, tw, o.overlap)) {
        const src = { x: r.x + dx, y: r.y + dy, w: tw, h: th };
        if (!rectFullyMasked(src, masks, frameW, frameH))
          views.push({ src, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });
      }
    return { views, tiled: true };
  }
  if (rectFullyMasked(r, masks, frameW, frameH)) return { views: [], tiled: false };
  if (o.resize === 'stretch')
    return {
      views: [{ src: r, scaleX: input.width / r.w, scaleY: input.height / r.h, padX: 0, padY: 0 }],
      tiled: false,
    };
  const s = Math.min(input.width / r.w, input.height / r.h);
  return {
    views: [
      {
        src: r,
        scaleX: s,
        scaleY: s,
        padX: Math.floor((input.width - r.w * s) / 2),
        padY: Math.floor((input.height - r.h * s) / 2),
      },
    ],
    tiled: false,
  };
}

/** Maps a box from model-input px of view `v` to frame px, clipped to the view's source rectangle. */
export function viewToFrame(b: Box, v: TileView): Box {
  const x0 = Math.max(v.src.x, v.src.x + (b.x - v.padX) / v.scaleX);
  const y0 = Math.max(v.src.y, v.src.y + (b.y - v.padY) / v.scaleY);
  const x1 = Math.min(v.src.x + v.src.w, v.src.x + (b.x + b.w - v.padX) / v.scaleX);
  const y1 = Math.min(v.src.y + v.src.h, v.src.y + (b.y + b.h - v.padY) / v.scaleY);
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

/** Maps every detection of a view to frame px and drops the ones clipped to nothing. */
export function mapDetections<T extends Detection>(dets: readonly T[], v: TileView): T[] {
  return dets.map((d) => ({ ...d, box: viewToFrame(d.box, v) })).filter((d) => d.box.w > 0 && d.box.h > 0);
}
