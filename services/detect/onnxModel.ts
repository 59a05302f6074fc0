/**
 * onnxruntime-node adapter: one long-lived InferenceSession per model, created once, checked against its
 * declaration (input name, layout, channels, size, output shape), warmed up at load, and used by one inference
 * at a time (runs are queued, never concurrent on one session). The pure parts (tiling, decoding, NMS,
 * masks) live in tiling.ts, heatmap.ts, yolo.ts, detection.ts and regions.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { DetectionType, NormPolygon } from '../schemas/config.ts';
import { ModelSpec } from '../schemas/model.ts';
import { nms, type TypedDetection } from './detection.ts';
import { heatmapToDetections } from './heatmap.ts';
import { loadManifest, onnxEntries, type ManifestEntry } from './manifest.ts';
import { rgbToTensor, viewPixels } from './preprocess.ts';
import { filterByRegions } from './regions.ts';
import { mapDetections, planViews, type TileView, type TilingOptions } from './tiling.ts';
import { classifierProbs, decodeYolo, labelToType, yoloLayout, type YoloLayout } from './yolo.ts';

/** Thrown when a model's files are missing, its declaration is invalid, or the graph does not match it. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** What the rest of the service knows about a loaded model. */
export interface ModelInfo {
  name: string;
  kind: ManifestEntry['kind'];
  /** Primary alert type (the first of `types`). */
  type: DetectionType;
  /** Every alert type the model can emit. */
  types: DetectionType[];
  /** Score threshold at sensitivity 0.5 (tuned on validation; see the card). */
  threshold: number;
  /** Model input, px. */
  inputSize: { width: number; height: number };
  channels: 1 | 3;
  layout: 'nchw' | 'nhwc';
  /** Tiles per inference (1 = sequential). */
  batch: number;
  tiling: TilingOptions;
  /** Manifest cadence: analyse every Nth sampled frame of a quiet camera view (services/detect/detectLoop.ts). */
  everyNthFrame: number;
}

export interface DetectOptions {
  /** Minimum score (default the model's threshold); pass the relaxed (hysteresis) threshold here. */
  threshold?: number;
  /** Preset masks / ROI (normalised polygons): masked tiles are skipped, detections centred there dropped. */
  masks?: readonly NormPolygon[];
  roi?: readonly NormPolygon[];
  /**
   * Which camera view the frame comes from (stateful detectors such as dust keep a background per
   * camera + preset); `capturedAt` is the frame's server UTC time, ISO 8601. Stateless models ignore it.
   */
  context?: { cameraId: string; presetId: string | null; capturedAt: string };
}

export interface DetectorResult {
  model: string;
  type: DetectionType;
  /** Boxes in the frame's pixel coordinates after NMS and mask/ROI filtering, best first. */
  detections: TypedDetection[];
  /** Number of model inputs (tiles) analysed, and whether the frame was tiled. */
  views: number;
  tiled: boolean;
  /** Wall time including preprocessing, ms. */
  ms: number;
}

type Decoder = (out: ort.Tensor, batchIndex: number, threshold: number) => TypedDetection[];

interface Resolved {
  info: ModelInfo;
  onnxFile: string;
  inputName?: string | undefined;
  outputName?: string | undefined;
  declaredSize?: { width: number; height: number } | undefined;
  mean: number[];
  std: number[];
  padValue: number;
  makeDecoder: (
    outDims: readonly number[],
    file: string,
    input: { width: number; height: number },
  ) => Decoder;
}

/** Merge rule across tiles: NMS IoU 0.45, plus intersection-over-smaller 0.6 for targets cut by a tile border. */
const MERGE_IOU = 0.45;
const MERGE_IOS = 0.6;

/** Input dims → layout, channels and (when fixed) size and batch. @throws ModelLoadError on a rank ≠ 4 input. */
function readInputMeta(
  meta: ort.InferenceSession.ValueMetadata | undefined,
  file: string,
  name: string,
): {
  layout: 'nchw' | 'nhwc';
  channels: number | null;
  width: number | null;
  height: number | null;
  batch: number | null;
} {
  if (!meta || !meta.isTensor) throw new ModelLoadError(`${file}: input "${name}" is not a tensor`);
  if (meta.type !== 'float32')
    throw new ModelLoadError(`${file}: input "${name}" is ${meta.type}, expected float32`);
  const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : null));
  if (dims.length !== 4)
    throw new ModelLoadError(`${file}: input "${name}" has rank ${dims.length}, expected 4 (NCHW or NHWC)`);
  const [n, a, b, c] = dims as [number | null, number | null, number | null, number | null];
  const isCh = (v: number | null) => v === 1 || v === 3;
  if (!isCh(a) && isCh(c)) return { layout: 'nhwc', channels: c, height: a, width: b, batch: n };
  return { layout: 'nchw', channels: a, height: b, width: c, batch: n };
}

function resolveEntry(entry: ManifestEntry, modelsDir: string): Resolved {
  const tilingBase = { ...entry.tiling };
  if (entry.kind === 'heatmap') {
    const dir = path.resolve(modelsDir, entry.dir);
    const specFile = path.join(dir, 'model.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(specFile, 'utf8'));
    } catch (e) {
      throw new ModelLoadError(`${specFile}: ${(e as Error).message}`);
    }
    const parsed = ModelSpec.safeParse(raw);
    if (!parsed.success)
      throw new ModelLoadError(
        `${specFile}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    const spec = parsed.data;
    return {
      info: {
        name: entry.name,
        kind: 'heatmap',
        type: spec.type,
        types: [spec.type],
        threshold: spec.threshold,
        inputSize: spec.inputSize,
        channels: spec.channels,
        layout: 'nchw',
        batch: 1,
        tiling: { ...tilingBase, resize: 'stretch' },
        everyNthFrame: entry.everyNthFrame,
      },
      onnxFile: path.join(dir, 'model.onnx'),
      inputName: spec.inputName,
      outputName: spec.outputName,
      declaredSize: spec.inputSize,
      mean: spec.normalize.mean,
      std: spec.normalize.std,
      padValue: 0,
      makeDecoder: (dims, file) => {
        const { width, height } = spec.inputSize;
        const expected = [1, 1, height / spec.stride, width / spec.stride];
        if (dims.length !== 4 || dims[1] !== 1 || dims[2] !== expected[2] || dims[3] !== expected[3])
          throw new ModelLoadError(
            `${file}: output shape [${dims.join(', ')}] != expected [B, 1, ${expected[2]}, ${expected[3]}] (stride ${spec.stride})`,
          );
        return (out, b, threshold) => {
          const [, , hh = 0, hw = 0] = out.dims;
          const cells = hh * hw;
          const heat = (out.data as Float32Array).subarray(b * cells, (b + 1) * cells);
          return heatmapToDetections(
            heat,
            { width: hw, height: hh, scaleX: spec.stride, scaleY: spec.stride },
            threshold,
            spec.minBoxAreaPx,
          ).map((d) => ({ ...d, type: spec.type }));
        };
      },
    };
  }
  const classTypes = entry.labels.map((l) => labelToType(l, entry.labelMap));
  const types = [...new Set(classTypes.filter((t): t is DetectionType => t !== null))];
  const onnxFile = path.resolve(modelsDir, entry.file);
  const base = {
    onnxFile,
    inputName: entry.inputName,
    outputName: entry.outputName,
    declaredSize: entry.inputSize,
    mean: entry.normalize.mean,
    std: entry.normalize.std,
  };
  const infoBase = {
    name: entry.name,
    type: types[0]!,
    types,
    threshold: entry.threshold,
    inputSize: entry.inputSize ?? { width: 0, height: 0 },
    channels: entry.channels,
    layout: 'nchw' as const,
    batch: 1,
    tiling: { ...tilingBase, resize: entry.resize },
    everyNthFrame: entry.everyNthFrame,
  };
  if (entry.kind === 'yolo') {
    return {
      ...base,
      info: { ...infoBase, kind: 'yolo' },
      padValue: 114,
      makeDecoder: (dims, file) => {
        let layout: YoloLayout;
        try {
          layout = yoloLayout([1, ...dims.slice(1)], classTypes.length, entry.layout);
        } catch (e) {
          throw new ModelLoadError(`${file}: ${(e as Error).message}`);
        }
        return (out, b, threshold) =>
          decodeYolo(out.data as Float32Array, out.dims, {
            layout,
            classTypes,
            confThreshold: threshold,
            iouThreshold: entry.iou,
            batchIndex: b,
          });
      },
    };
  }
  return {
    ...base,
    info: { ...infoBase, kind: 'classifier' },
    padValue: 0,
    makeDecoder: (dims, file, input) => {
      const nc = classTypes.length;
      if (dims.length !== 2 || dims[1] !== nc)
        throw new ModelLoadError(
          `${file}: classifier output [${dims.join(', ')}] != [B, ${nc}] (${nc} labels)`,
        );
      return (out, b, threshold) => {
        const probs = classifierProbs(out.data as Float32Array, nc, b, entry.activation);
        const { width, height } = input;
        return probs.flatMap((p, c) => {
          const type = classTypes[c];
          return type && p >= threshold ? [{ box: { x: 0, y: 0, w: width, h: height }, score: p, type }] : [];
        });
      };
    },
  };
}

/** A loaded model (any kind), usable as a `Detector` by the detect loop. */
export class OnnxModel {
  private queue: Promise<unknown> = Promise.resolve();
  /** Reused model-input buffers by float count ({@link inputBuffer}). */
  private readonly scratch = new Map<number, Float32Array>();

  private constructor(
    readonly spec: ModelInfo,
    private readonly session: ort.InferenceSession,
    private readonly r: Resolved,
    private readonly inputName: string,
    private readonly outputName: string,
    private decode: Decoder,
  ) {}

  /**
   * Loads one manifest entry: resolves its files, opens the session, checks the input (name, float32, rank 4,
   * layout, channels, size against the declaration) and the output (shape per kind) with a warm-up run.
   * @param threads intra-op threads (default 1: cameras run in parallel, not one frame on many cores).
   * @throws ModelLoadError naming the file and the problem.
   */
  static async load(entry: ManifestEntry, modelsDir: string, threads = 1): Promise<OnnxModel> {
    const r = resolveEntry(entry, modelsDir);
    const file = r.onnxFile;
    if (!existsSync(file)) throw new ModelLoadError(`${file}: file not found (model "${entry.name}")`);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new ModelLoadError(`${file}: ${(e as Error).message}`);
    }
    try {
      const inputName = r.inputName ?? session.inputNames[0] ?? '';
      const outputName = r.outputName ?? session.outputNames[0] ?? '';
      const idx = session.inputNames.indexOf(inputName);
      if (idx < 0)
        throw new ModelLoadError(
          `${file}: input "${inputName}" not in graph inputs [${session.inputNames.join(', ')}]`,
        );
      if (!session.outputNames.includes(outputName))
        throw new ModelLoadError(
          `${file}: output "${outputName}" not in graph outputs [${session.outputNames.join(', ')}]`,
        );
      const meta = readInputMeta(session.inputMetadata[idx], file, inputName);
      if (meta.channels !== null && meta.channels !== r.info.channels)
        throw new ModelLoadError(
          `${file}: input "${inputName}" has ${meta.channels} channels (${meta.layout}), declared ${r.info.channels}`,
        );
      const d = r.declaredSize;
      let width: number, height: number;
      if (meta.width !== null && meta.height !== null) {
        if (d && (d.width !== meta.width || d.height !== meta.height))
          throw new ModelLoadError(
            `${file}: input size ${meta.width}x${meta.height} (from the graph) != declared inputSize ${d.width}x${d.height}`,
          );
        ({ width, height } = { width: meta.width, height: meta.height });
      } else if (d) {
        if (
          (meta.width !== null && meta.width !== d.width) ||
          (meta.height !== null && meta.height !== d.height)
        )
          throw new ModelLoadError(
            `${file}: input dims [${String(meta.height)}, ${String(meta.width)}] != declared ${d.width}x${d.height}`,
          );
        ({ width, height } = d);
      } else {
        throw new ModelLoadError(
          `${file}: input "${inputName}" has dynamic spatial dims; declare inputSize in the manifest`,
        );
      }
      const batch = meta.batch ?? (r.info.kind === 'heatmap' ? 1 : entry.maxBatch);
      const info: ModelInfo = { ...r.info, inputSize: { width, height }, layout: meta.layout, batch };
      const placeholder: Decoder = () => [];
      const model = new OnnxModel(info, session, r, inputName, outputName, placeholder);
      const out = await model.runBatch(new Float32Array(batch * info.channels * width * height), batch);
      model.decode = r.makeDecoder(out.dims, file, info.inputSize);
      return model;
    } catch (e) {
      await session.release();
      throw e instanceof ModelLoadError ? e : new ModelLoadError(`${file}: ${(e as Error).message}`);
    }
  }

  private async runBatch(data: Float32Array, n: number): Promise<ort.Tensor> {
    const { width, height } = this.spec.inputSize;
    const c = this.spec.channels;
    const dims = this.spec.layout === 'nchw' ? [n, c, height, width] : [n, height, width, c];
    const res = await this.session.run({ [this.inputName]: new ort.Tensor('float32', data, dims) });
    const out = res[this.outputName];
    if (!out) throw new Error(`model ${this.spec.name}: no output ${this.outputName}`);
    return out;
  }

  /** Plans the model inputs for a frame (exposed for tests and the eval script). */
  plan(
    frame: { width: number; height: number },
    o: DetectOptions = {},
  ): { views: TileView[]; tiled: boolean } {
    return planViews(frame.width, frame.height, this.spec.inputSize, this.spec.tiling, o.masks ?? [], o.roi);
  }

  /**
   * Detects on one frame: tiles (or one resized view), batched when the graph allows, NMS across tiles in
   * frame px, then drops detections centred in a mask or outside the ROI. Calls are serialised per model.
   */
  detect(frame: RgbImage, o: DetectOptions = {}): Promise<DetectorResult> {
    const run = async (): Promise<DetectorResult> => {
      const t0 = performance.now();
      const { views, tiled } = this.plan(frame, o);
      const threshold = o.threshold ?? this.spec.threshold;
      const { width, height } = this.spec.inputSize;
      const per = this.spec.channels * width * height;
      const all: TypedDetection[] = [];
      for (let i = 0; i < views.length; i += this.spec.batch) {
        const group = views.slice(i, i + this.spec.batch);
        // A fixed batch dim > 1 needs a full batch: the unused slots stay zero.
        const n =
          this.spec.batch > 1 && this.r.info.kind !== 'heatmap'
            ? this.fixedOrGroup(group.length)
            : group.length;
        const data = this.inputBuffer(n * per);
        for (const [k, v] of group.entries()) {
          const px = await viewPixels(frame, v, this.spec.inputSize, this.r.padValue);
          const slot = data.subarray(k * per, (k + 1) * per);
          rgbToTensor(px, width, height, this.spec.channels, this.r.mean, this.r.std, this.spec.layout, slot);
        }
        // unused slots of a fixed batch stay zero (they may hold the previous call's views)
        if (group.length < n) data.fill(0, group.length * per);
        const out = await this.runBatch(data, n);
        for (const [k, v] of group.entries()) all.push(...mapDetections(this.decode(out, k, threshold), v));
      }
      const merged = filterByRegions(
        nms(all, MERGE_IOU, MERGE_IOS),
        frame.width,
        frame.height,
        o.masks,
        o.roi,
      );
      return {
        model: this.spec.name,
        type: this.spec.type,
        detections: merged,
        views: views.length,
        tiled,
        ms: performance.now() - t0,
      };
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * The model-input buffer of `n` floats, reused across calls (a 640×480 RGB input is 3.7 MB: allocating it
   * per frame cost page faults and GC work in every detection worker). Safe because calls are serialised per
   * model and onnxruntime does not keep the input after `run` resolves.
   */
  private inputBuffer(n: number): Float32Array {
    let b = this.scratch.get(n);
    if (!b) this.scratch.set(n, (b = new Float32Array(n))); // a few sizes at most: full and last tile batch
    return b;
  }

  private fixedOrGroup(n: number): number {
    return this.fixedBatch ?? n;
  }

  /** Batch size fixed by the graph (null when dynamic). */
  private get fixedBatch(): number | null {
    const meta = this.session.inputMetadata[this.session.inputNames.indexOf(this.inputName)];
    const b = meta && meta.isTensor ? meta.shape[0] : undefined;
    return typeof b === 'number' && b > 0 ? b : null;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Loads the enabled models of `<modelsDir>/manifest.yaml` (optionally only those emitting one of `types`).
 * @throws ManifestError / ModelLoadError on the first broken model (a deployment error, not a runtime one).
 */
export async function loadManifestModels(
  modelsDir: string,
  opts: { types?: Iterable<DetectionType>; threads?: number; manifestFile?: string } = {},
): Promise<OnnxModel[]> {
  const manifest = loadManifest(opts.manifestFile ?? path.join(modelsDir, 'manifest.yaml'));
  const want = opts.types ? new Set(opts.types) : null;
  const out: OnnxModel[] = [];
  try {
    for (const e of onnxEntries(manifest).filter((m) => m.enabled)) {
      const m = await OnnxModel.load(e, modelsDir, opts.threads);
      if (want && !m.spec.types.some((t) => want.has(t))) {
        await m.close();
        continue;
      }
      out.push(m);
    }
  } catch (e) {
    await Promise.all(out.map((m) => m.close()));
    throw e;
  }
  return out;
}

/** Backwards-compatible loader for one heatmap model directory (`model.json` + `model.onnx`). */
export const OnnxHeatmapModel = {
  /** @throws ModelLoadError naming the file and the problem. */
  load(dir: string, threads = 1): Promise<OnnxModel> {
    const name = path.basename(dir).replace(/[^a-z0-9_-]/g, '-') || 'model';
    return OnnxModel.load(
      {
        kind: 'heatmap',
        name,
        dir,
        enabled: true,
        maxBatch: 1,
        tiling: { mode: 'auto', overlap: 0.25, factor: 1.5 },
        everyNthFrame: 1,
      },
      path.dirname(dir),
      threads,
    );
  },
};
