/**
 * Thin adapter that makes the physics-based dust core (dust.ts) a `Detector` the detect loop runs like the ONNX
 * models: one background state per camera + preset (from `DetectOptions.context`), the manifest's threshold and
 * parameters, and the preset's masks/ROI. **Unvalidated on real dust** (models/dust/card.md).
 */
import path from 'node:path';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { DetectionType } from '../schemas/config.ts';
import type { TypedDetection } from './detection.ts';
import type { Detector } from './detectLoop.ts';
import { analyseDust, createDustState, type DustParams, type DustState } from './dust.ts';
import { loadManifest, type DustEntry } from './manifest.ts';
import type { DetectOptions, DetectorResult } from './onnxModel.ts';
import { filterByRegions } from './regions.ts';

/** Spec of a physics-based detector, shaped like the ONNX models' spec where the service reads it. */
export interface PhysicsSpec {
  name: string;
  kind: 'dust';
  type: DetectionType;
  types: DetectionType[];
  /** Cell score threshold at sensitivity 0.5 (models/dust/card.md). */
  threshold: number;
  params: DustParams;
  /**
   * What the detector needs from frames (`detect/detectLoop.ts` frameNeedsFor): it works on a `workWidth`-wide
   * image, so capture may downscale frames to that width (height 0 = any); it never tiles.
   */
  inputSize: { width: number; height: number };
  tiling: { mode: 'never' };
}

/** Key of the state used when a frame comes without `context` (tests, offline evaluation). */
const NO_CONTEXT = '\u0000no-context';

export class DustDetector implements Detector {
  readonly spec: PhysicsSpec;
  private readonly states = new Map<string, DustState>();

  constructor(entry: Pick<DustEntry, 'name' | 'threshold' | 'params'>) {
    this.spec = {
      name: entry.name,
      kind: 'dust',
      type: 'dust',
      types: ['dust'],
      threshold: entry.threshold,
      params: entry.params,
      inputSize: { width: entry.params.workWidth, height: 0 },
      tiling: { mode: 'never' },
    };
  }

  /** Number of camera views (camera + preset) with a background. */
  get views(): number {
    return this.states.size;
  }

  /**
   * Analyses one frame of the view named by `o.context` (frames without context share one anonymous view).
   * Resolves with dust boxes in frame px (none during the background warm-up, see dust.ts).
   * @throws RangeError (as a rejected promise) for a frame too small to analyse.
   */
  detect(frame: RgbImage, o: DetectOptions = {}): Promise<DetectorResult> {
    try {
      const t0 = performance.now();
      const key = o.context ? `${o.context.cameraId}\u0000${o.context.presetId ?? ''}` : NO_CONTEXT;
      let st = this.states.get(key);
      if (!st) this.states.set(key, (st = createDustState()));
      const at = o.context ? Date.parse(o.context.capturedAt) : NaN;
      const r = analyseDust(
        st,
        frame,
        {
          threshold: o.threshold ?? this.spec.threshold,
          masks: o.masks ?? [],
          ...(o.roi ? { roi: o.roi } : {}),
          ...(Number.isFinite(at) ? { at } : {}),
        },
        this.spec.params,
      );
      const detections: TypedDetection[] = filterByRegions(
        r.detections.map((d) => ({ ...d, type: 'dust' as const })),
        frame.width,
        frame.height,
        o.masks,
        o.roi,
      );
      return Promise.resolve({
        model: this.spec.name,
        type: 'dust',
        detections,
        views: 1,
        tiled: false,
        ms: performance.now() - t0,
      });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Forgets every background (nothing else to release). */
  close(): Promise<void> {
    this.states.clear();
    return Promise.resolve();
  }
}

/**
 * The enabled `kind: dust` entries of `<modelsDir>/manifest.yaml` as detectors (optionally only when `dust` is
 * among `types`). Synchronous: there is no model file to load.
 * @throws ManifestError when the manifest is unreadable or invalid.
 */
export function loadPhysicsDetectors(
  modelsDir: string,
  opts: { types?: Iterable<DetectionType>; manifestFile?: string } = {},
): DustDetector[] {
  const manifest = loadManifest(opts.manifestFile ?? path.join(modelsDir, 'manifest.yaml'));
  const want = opts.types ? new Set(opts.types) : null;
  if (want && !want.has('dust')) return [];
  return manifest.models
    .filter((e): e is DustEntry => e.kind === 'dust' && e.enabled)
    .map((e) => new DustDetector(e));
}
