/**
 * onnxruntime-node adapter: one long-lived InferenceSession per model, created once, warmed up at load, and
 * used by one inference at a time (runs are queued, never concurrent on one session).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { RgbImage } from '../capture/ppmStream.ts';
import { ModelSpec } from '../schemas/model.ts';
import { heatmapToDetections, type Detection } from './heatmap.ts';
import { preprocess } from './preprocess.ts';

/** Thrown when a model directory is missing files, its model.json is invalid, or the graph does not match it. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export interface DetectorResult {
  model: string;
  type: ModelSpec['type'];
  /** Boxes in the frame's pixel coordinates, best first. */
  detections: Detection[];
  /** Inference wall time including preprocessing, ms. */
  ms: number;
}

export class OnnxHeatmapModel {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly spec: ModelSpec,
    private readonly session: ort.InferenceSession,
  ) {}

  /**
   * Loads `<dir>/model.json` and `<dir>/model.onnx`, checks input/output names, and runs one warm-up inference.
   * @param threads intra-op threads (default 1: cameras run in parallel, not one frame on many cores).
   * @throws ModelLoadError naming the file and the problem.
   */
  static async load(dir: string, threads = 1): Promise<OnnxHeatmapModel> {
    const specFile = path.join(dir, 'model.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(specFile, 'utf8'));
    } catch (e) {
      throw new ModelLoadError(`${specFile}: ${(e as Error).message}`);
    }
    const parsed = ModelSpec.safeParse(raw);
    if (!parsed.success) {
      throw new ModelLoadError(
        `${specFile}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    }
    const spec = parsed.data;
    const onnxFile = path.join(dir, 'model.onnx');
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxFile, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new ModelLoadError(`${onnxFile}: ${(e as Error).message}`);
    }
    if (!session.inputNames.includes(spec.inputName)) {
      throw new ModelLoadError(
        `${onnxFile}: input "${spec.inputName}" not in graph inputs [${session.inputNames.join(', ')}]`,
      );
    }
    if (!session.outputNames.includes(spec.outputName)) {
      throw new ModelLoadError(
        `${onnxFile}: output "${spec.outputName}" not in graph outputs [${session.outputNames.join(', ')}]`,
      );
    }
    const model = new OnnxHeatmapModel(spec, session);
    const { width, height } = spec.inputSize;
    const out = await model.runTensor(new Float32Array(spec.channels * width * height));
    const expected = [1, 1, height / spec.stride, width / spec.stride];
    if (out.dims.length !== 4 || out.dims.some((d, i) => d !== expected[i])) {
      throw new ModelLoadError(
        `${onnxFile}: output shape [${out.dims.join(', ')}] != expected [${expected.join(', ')}] (stride ${spec.stride})`,
      );
    }
    return model;
  }

  private async runTensor(data: Float32Array): Promise<ort.Tensor> {
    const { width, height } = this.spec.inputSize;
    const input = new ort.Tensor('float32', data, [1, this.spec.channels, height, width]);
    const res = await this.session.run({ [this.spec.inputName]: input });
    const out = res[this.spec.outputName];
    if (!out) throw new Error(`model ${this.spec.name}: no output ${this.spec.outputName}`);
    return out;
  }

  /**
   * Detects on one frame. Calls are serialised per model.
   * @param threshold overrides the model's heatmap threshold (per-preset sensitivity).
   */
  detect(frame: RgbImage, threshold?: number): Promise<DetectorResult> {
    const run = async (): Promise<DetectorResult> => {
      const t0 = performance.now();
      const data = await preprocess(frame, this.spec);
      const out = await this.runTensor(data);
      const [, , hh, hw] = out.dims as [number, number, number, number];
      const sx = (this.spec.stride * frame.width) / this.spec.inputSize.width;
      const sy = (this.spec.stride * frame.height) / this.spec.inputSize.height;
      const minArea =
        this.spec.minBoxAreaPx *
        (frame.width / this.spec.inputSize.width) *
        (frame.height / this.spec.inputSize.height);
      const detections = heatmapToDetections(
        out.data as Float32Array,
        { width: hw, height: hh, scaleX: sx, scaleY: sy },
        threshold ?? this.spec.threshold,
        minArea,
      );
      return { model: this.spec.name, type: this.spec.type, detections, ms: performance.now() - t0 };
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Loads every model directory under `modelsDir` that has a model.json.
 * @throws ModelLoadError on the first broken model (a broken model is a deployment error, not a runtime one).
 */
export async function loadModels(modelsDir: string, names: string[]): Promise<Map<string, OnnxHeatmapModel>> {
  const out = new Map<string, OnnxHeatmapModel>();
  for (const name of names) out.set(name, await OnnxHeatmapModel.load(path.join(modelsDir, name)));
  return out;
}
