/**
 * `models/<name>/model.json`: how TowerWatch feeds a model and reads its output. Validated at load.
 */
import { z } from 'zod';
import { DetectionType } from './config.ts';

export const ModelSpec = z
  .object({
    name: z.string().regex(/^[a-z0-9_-]+$/),
    type: DetectionType,
    /**
     * `heatmap`: output `[1, 1, H/stride, W/stride]` probabilities in 0..1 (sigmoid inside the graph); boxes are
     * the connected components above `threshold`.
     */
    kind: z.literal('heatmap'),
    inputName: z.string().min(1),
    outputName: z.string().min(1),
    /** 1 = luma (grayscale), 3 = RGB. Layout is NCHW. */
    channels: z.union([z.literal(1), z.literal(3)]),
    /** Input pixels per heatmap cell on each axis. */
    stride: z.number().int().min(1).max(64),
    /** Size the frame is resized to before inference, px; multiples of 32. */
    inputSize: z
      .object({
        width: z.number().int().min(32).multipleOf(32),
        height: z.number().int().min(32).multipleOf(32),
      })
      .strict(),
    /** value = (pixel/255 − mean[c]) / std[c], per channel. */
    normalize: z
      .object({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) })
      .strict(),
    /** Heatmap probability threshold, tuned on a validation split (see the card). */
    threshold: z.number().gt(0).lt(1),
    /** Boxes smaller than this many frame px² at the model's input size are ignored. */
    minBoxAreaPx: z.number().min(0).default(0),
    version: z.string(),
  })
  .strict()
  .refine((m) => m.normalize.mean.length === m.channels && m.normalize.std.length === m.channels, {
    message: 'normalize.mean and normalize.std need one entry per channel',
    path: ['normalize'],
  })
  .refine((m) => m.inputSize.width % m.stride === 0 && m.inputSize.height % m.stride === 0, {
    message: 'inputSize must be a multiple of stride',
    path: ['inputSize'],
  });
export type ModelSpec = z.infer<typeof ModelSpec>;
