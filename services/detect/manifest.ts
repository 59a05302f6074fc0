/**
 * `models/manifest.yaml`: which models TowerWatch loads and how to read them. Schema (zod) + a pure parser that
 * reports problems as `file:line: path: reason`; {@link loadManifest} is the thin file-reading adapter.
 *
 * Model kinds:
 * - `heatmap`: a TowerWatch heatmap model directory (`model.json` contract, see services/schemas/model.ts).
 * - `yolo`: a drop-in YOLOv5/v8/v11-style ONNX detector (Ultralytics export, NMS not in the graph).
 * - `classifier`: a plain ONNX image classifier `[B, nc]` (each tile is classified; a positive tile is a box).
 * - `dust`: the physics-based dust detector (no model file; services/detect/dust.ts).
 * Class labels map to alert types: fire/flame/hotspot → hotspot, smoke, dust; others are ignored.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { DustParams } from './dust.ts';

/** Thrown for an unreadable or invalid manifest; the message names the file, line, path and reason. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

const Tiling = z
  .object({
    /** `auto` tiles when the analysed region is > `factor` × the input on either axis. */
    mode: z.enum(['auto', 'always', 'never']).default('auto'),
    overlap: z.number().min(0.2).max(0.9).default(0.25),
    factor: z.number().min(1).max(10).default(1.5),
  })
  .strict();

const Size = z
  .object({ width: z.number().int().min(8).max(4096), height: z.number().int().min(8).max(4096) })
  .strict();

const Normalize = z
  .object({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) })
  .strict();

const LabelTarget = z.enum(['hotspot', 'smoke', 'dust', 'fire', 'ignore']);

const common = {
  name: z.string().regex(/^[a-z0-9_-]+$/, 'must be a lowercase slug'),
  enabled: z.boolean().default(true),
  tiling: Tiling.prefault({}),
  /** Most tiles per inference when the graph's batch dimension is dynamic. */
  maxBatch: z.number().int().min(1).max(64).default(4),
  /**
   * Cadence: run the model on every Nth sampled frame of a camera view (camera + preset) while nothing of its
   * types is being tracked there (always on the first frame of each visit to a preset), and on every frame while
   * something is (a tentative or open track), so that confirmation and closing work at the full sampling rate. 1 (default) = every frame. A CPU lever for slow
   * models on phenomena that develop over minutes (smoke): the first detection of a new plume comes up to
   * (N − 1) sampling intervals later (BENCHMARKS.md, models/smoke/card.md).
   */
  everyNthFrame: z.number().int().min(1).max(30).default(1),
};

const external = {
  /** ONNX file, relative to the models directory. */
  file: z.string().min(1),
  /** Class names by output index. */
  labels: z.array(z.string().min(1)).min(1),
  /** Overrides for label → alert type (`fire` counts as hotspot; `ignore` drops the class). */
  labelMap: z.record(z.string(), LabelTarget).default({}),
  /** Confidence threshold 0..1 at sensitivity 0.5 (tune it on a validation split and record it in the card). */
  threshold: z.number().gt(0).lt(1),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  /** value = (pixel/255 − mean[c]) / std[c]; Ultralytics exports use mean 0, std 1. */
  normalize: Normalize.prefault({ mean: [0, 0, 0], std: [1, 1, 1] }),
  /** Required only when the graph's spatial input dims are dynamic. */
  inputSize: Size.optional(),
  inputName: z.string().min(1).optional(),
  outputName: z.string().min(1).optional(),
};

export const HeatmapEntry = z
  .object({
    kind: z.literal('heatmap'),
    ...common,
    /** Directory with model.json + model.onnx. */ dir: z.string().min(1),
  })
  .strict();
export const YoloEntry = z
  .object({
    kind: z.literal('yolo'),
    ...common,
    ...external,
    iou: z.number().gt(0).lt(1).default(0.45),
    /** Output layout; inferred from the output dims when unambiguous. */
    layout: z.enum(['v5', 'v8']).optional(),
    resize: z.enum(['stretch', 'letterbox']).default('letterbox'),
  })
  .strict();
export const ClassifierEntry = z
  .object({
    kind: z.literal('classifier'),
    ...common,
    ...external,
    activation: z.enum(['softmax', 'sigmoid', 'none']).default('softmax'),
    resize: z.enum(['stretch', 'letterbox']).default('stretch'),
  })
  .strict();

/** ONNX model entries (loaded by services/detect/onnxModel.ts). */
export const ManifestEntry = z.discriminatedUnion('kind', [HeatmapEntry, YoloEntry, ClassifierEntry]);
export type ManifestEntry = z.infer<typeof ManifestEntry>;

/**
 * `dust`: the physics-based dust detector (services/detect/dust.ts; no ONNX file). `threshold` is the per-cell
 * score (≈ local dust opacity × colour evidence, 0..1) at sensitivity 0.5; `params` overrides the defaults of
 * `DustParams` (see models/dust/card.md).
 */
export const DustEntry = z
  .object({
    kind: z.literal('dust'),
    name: common.name,
    enabled: common.enabled,
    threshold: z.number().gt(0).lt(1),
    params: DustParams.prefault({}),
  })
  .strict();
export type DustEntry = z.infer<typeof DustEntry>;

/** Any manifest entry: an ONNX model or a physics-based detector. */
export const AnyManifestEntry = z.discriminatedUnion('kind', [
  HeatmapEntry,
  YoloEntry,
  ClassifierEntry,
  DustEntry,
]);
export type AnyManifestEntry = z.infer<typeof AnyManifestEntry>;

export const Manifest = z
  .object({ version: z.literal(1), models: z.array(AnyManifestEntry).min(1) })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.models.forEach((e, i) => {
      if (seen.has(e.name))
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'name'],
          message: `duplicate model name "${e.name}"`,
        });
      seen.add(e.name);
      if (e.kind !== 'heatmap' && e.kind !== 'dust') {
        if (e.normalize.mean.length !== e.channels || e.normalize.std.length !== e.channels)
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'normalize'],
            message: 'normalize.mean and normalize.std need one entry per channel',
          });
        const unknown = e.labels.filter(
          (l) =>
            !(l in e.labelMap) && !['fire', 'flame', 'hotspot', 'smoke', 'dust'].includes(l.toLowerCase()),
        );
        if (unknown.length === e.labels.length)
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'labels'],
            message: `no label maps to an alert type (hotspot|smoke|dust|fire); add labelMap entries`,
          });
      }
    });
  });
export type Manifest = z.infer<typeof Manifest>;

/** The ONNX model entries of a manifest (every kind but `dust`), in file order. */
export const onnxEntries = (m: Manifest): ManifestEntry[] =>
  m.models.filter((e): e is ManifestEntry => e.kind !== 'dust');

function lineOf(doc: Document, lc: LineCounter, p: readonly PropertyKey[]): number | null {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n) as unknown[], true) as
      { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range)
      return lc.linePos(node.range[0]).line;
  }
  return null;
}

/**
 * Parses and validates manifest text (pure; `file` only appears in messages).
 * @throws ManifestError `file:line: path: reason; …` listing every issue.
 */
export function parseManifest(file: string, text: string): Manifest {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ManifestError(`${file}:${lc.linePos(e.pos[0]).line}: (yaml): ${e.message}`);
  }
  const r = Manifest.safeParse(doc.toJS());
  if (r.success) return r.data;
  throw new ManifestError(
    r.error.issues
      .map((i) => {
        const line = lineOf(doc, lc, i.path);
        return `${file}${line !== null ? `:${line}` : ''}: ${i.path.join('.') || '(root)'}: ${i.message}`;
      })
      .join('; '),
  );
}

/**
 * Reads and validates a manifest file.
 * @throws ManifestError when the file cannot be read or is invalid.
 */
export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ManifestError(`${file}: ${(e as Error).message}`);
  }
  return parseManifest(file, text);
}
