/**
 * Frame → model input tensor data (sharp for resizing; pure arithmetic for normalisation).
 */
import sharp from 'sharp';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { ModelSpec } from '../schemas/model.ts';

/**
 * Packs interleaved 8-bit pixels (HWC) into planar normalised float32 (CHW): value = (p/255 − mean[c]) / std[c].
 * @param pixels `width*height*channels` bytes.
 */
export function toNchwFloat(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  mean: number[],
  std: number[],
): Float32Array {
  const plane = width * height;
  if (pixels.length !== plane * channels)
    throw new RangeError(`expected ${plane * channels} bytes, got ${pixels.length}`);
  const out = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    const m = mean[c] ?? 0;
    const s = std[c] ?? 1;
    const scale = 1 / (255 * s);
    const bias = -m / s;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = pixels[i * channels + c]! * scale + bias;
  }
  return out;
}

/**
 * Resizes an RGB frame to the model's input size (stretch, no letterbox: heatmap cells then map linearly to
 * frame pixels) and converts it to the model's channel count and normalisation.
 * @returns NCHW float32 data of length `channels × inputSize.height × inputSize.width`.
 */
export async function preprocess(frame: RgbImage, spec: ModelSpec): Promise<Float32Array> {
  const { width, height } = spec.inputSize;
  let img = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } }).resize(
    width,
    height,
    {
      fit: 'fill',
      kernel: 'linear',
    },
  );
  if (spec.channels === 1) img = img.greyscale();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== spec.channels) {
    // sharp keeps 3 channels for greyscale on some inputs; take the first.
    const mono = new Uint8Array(width * height);
    for (let i = 0; i < mono.length; i++) mono[i] = data[i * info.channels]!;
    return toNchwFloat(mono, width, height, 1, spec.normalize.mean, spec.normalize.std);
  }
  return toNchwFloat(data, width, height, spec.channels, spec.normalize.mean, spec.normalize.std);
}
