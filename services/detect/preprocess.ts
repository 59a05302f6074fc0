/**
 * Frame → model input tensor data: crop/paste/normalise are pure; sharp only resizes (bilinear).
 */
import sharp from 'sharp';
import type { RgbImage } from '../capture/ppmStream.ts';

/**
 * Packs interleaved 8-bit pixels (HWC) into planar normalised float32 (CHW): value = (p/255 − mean[c]) / std[c].
 * @param pixels `width*height*channels` bytes.
 * @param into optional destination of exactly `width*height*channels` floats (e.g. a slot of a reused batch
 *   buffer), written and returned instead of a new array.
 * @throws RangeError on a wrong pixel count or destination length.
 */
export function toNchwFloat(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  mean: number[],
  std: number[],
  into?: Float32Array,
): Float32Array {
  const plane = width * height;
  if (pixels.length !== plane * channels)
    throw new RangeError(`expected ${plane * channels} bytes, got ${pixels.length}`);
  const out = destination(into, plane * channels);
  // One pass over the pixels with a 256-entry table per channel (value → normalised float): the interleaved
  // source is read once, sequentially, instead of once per channel (about 2× faster for 640×480 RGB).
  const luts = Array.from({ length: channels }, (_, c) => channelLut(mean[c] ?? 0, std[c] ?? 1));
  if (channels === 3) {
    const [l0, l1, l2] = luts as [Float32Array, Float32Array, Float32Array];
    for (let i = 0, j = 0; i < plane; i++, j += 3) {
      out[i] = l0[pixels[j]!]!;
      out[plane + i] = l1[pixels[j + 1]!]!;
      out[2 * plane + i] = l2[pixels[j + 2]!]!;
    }
    return out;
  }
  for (let c = 0; c < channels; c++) {
    const lut = luts[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = lut[pixels[i * channels + c]!]!;
  }
  return out;
}

/** `into` when given (length-checked), else a new zeroed array of `n` floats. */
function destination(into: Float32Array | undefined, n: number): Float32Array {
  if (!into) return new Float32Array(n);
  if (into.length !== n) throw new RangeError(`destination holds ${into.length} floats, need ${n}`);
  return into;
}

/** value (0..255) → (value/255 − mean) / std, as float32 (the same rounding as computing it per pixel). */
function channelLut(mean: number, std: number): Float32Array {
  const scale = 1 / (255 * std);
  const bias = -mean / std;
  return Float32Array.from({ length: 256 }, (_, v) => v * scale + bias);
}

/**
 * The rectangle `src` (frame px, integers, inside the frame) of a packed RGB24 frame. Full-width rectangles
 * (the whole frame, or whole rows) are returned as a view of the frame's bytes, without a copy: callers only
 * read it. Other rectangles are copied.
 * @throws RangeError when the rectangle leaves the frame.
 */
export function cropRgb(frame: RgbImage, src: { x: number; y: number; w: number; h: number }): Uint8Array {
  const { x, y, w, h } = src;
  if (x < 0 || y < 0 || x + w > frame.width || y + h > frame.height || w < 1 || h < 1)
    throw new RangeError(`crop ${w}x${h}+${x}+${y} outside ${frame.width}x${frame.height}`);
  if (x === 0 && w === frame.width) {
    const d = frame.data;
    return new Uint8Array(d.buffer, d.byteOffset + y * w * 3, w * h * 3);
  }
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * frame.width + x) * 3;
    out.set(frame.data.subarray(from, from + w * 3), r * w * 3);
  }
  return out;
}

/**
 * Pastes an RGB24 image (`w×h`) at (`padX`, `padY`) into an RGB24 canvas of the input size filled with
 * `padValue` (0..255); parts outside the canvas are cut.
 */
export function pasteRgb(
  rgb: Uint8Array,
  w: number,
  h: number,
  input: { width: number; height: number },
  padX: number,
  padY: number,
  padValue: number,
): Uint8Array {
  const { width: W, height: H } = input;
  const out = new Uint8Array(W * H * 3).fill(padValue);
  const cw = Math.min(w, W - padX);
  for (let r = 0; r < h && r + padY < H; r++) {
    if (cw <= 0) break;
    out.set(rgb.subarray(r * w * 3, (r * w + cw) * 3), ((r + padY) * W + padX) * 3);
  }
  return out;
}

/**
 * RGB24 (HWC) → normalised float32 model input, NCHW or NHWC, 1 channel (Rec. 601 luma
 * 0.299R + 0.587G + 0.114B; thermal white-hot frames have R = G = B so this is exact there) or 3 (RGB).
 * @param into optional destination of exactly `width*height*channels` floats, written and returned.
 */
export function rgbToTensor(
  rgb: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  mean: readonly number[],
  std: readonly number[],
  layout: 'nchw' | 'nhwc',
  into?: Float32Array,
): Float32Array {
  const plane = width * height;
  let src: Uint8Array = rgb;
  if (channels === 1) {
    // A plain loop: Uint8Array.from with a mapping callback cost ~3 ms for one 320×256 frame.
    src = new Uint8Array(plane);
    for (let i = 0, j = 0; i < plane; i++, j += 3)
      src[i] = Math.round(0.299 * rgb[j]! + 0.587 * rgb[j + 1]! + 0.114 * rgb[j + 2]!);
  }
  if (layout === 'nchw') return toNchwFloat(src, width, height, channels, [...mean], [...std], into);
  const out = destination(into, plane * channels);
  for (let c = 0; c < channels; c++) {
    const scale = 1 / (255 * (std[c] ?? 1));
    const bias = -(mean[c] ?? 0) / (std[c] ?? 1);
    for (let i = 0; i < plane; i++) out[i * channels + c] = src[i * channels + c]! * scale + bias;
  }
  return out;
}

/**
 * Cuts one tile view out of a frame and returns the model input as RGB24 of the input size: crop (pure, at
 * scale 1) or crop + resize (sharp, bilinear), then paste with padding.
 */
export async function viewPixels(
  frame: RgbImage,
  view: {
    src: { x: number; y: number; w: number; h: number };
    scaleX: number;
    scaleY: number;
    padX: number;
    padY: number;
  },
  input: { width: number; height: number },
  padValue: number,
): Promise<Uint8Array> {
  const { src } = view;
  if (view.scaleX === 1 && view.scaleY === 1) {
    const crop = cropRgb(frame, src);
    if (src.w === input.width && src.h === input.height) return crop;
    return pasteRgb(crop, src.w, src.h, input, view.padX, view.padY, padValue);
  }
  const w = Math.max(1, Math.min(input.width, Math.round(src.w * view.scaleX)));
  const h = Math.max(1, Math.min(input.height, Math.round(src.h * view.scaleY)));
  const data = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .extract({ left: src.x, top: src.y, width: src.w, height: src.h })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .raw()
    .toBuffer();
  const rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (w === input.width && h === input.height) return rgb;
  return pasteRgb(rgb, w, h, input, view.padX, view.padY, padValue);
}
