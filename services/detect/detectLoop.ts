/**
 * The detect stage's IO loop: receives sampled frames, runs the models the frame's preset (or camera) asks for
 * with that preset's masks, ROI and sensitivity, and feeds the alert service one observation per type.
 * Back-pressure: at most one frame per camera is being analysed; a frame arriving meanwhile replaces the
 * waiting one and the replaced frame is counted as dropped (never queued without bound, never lost silently).
 */
import type { SampledFrame } from '../capture/cameraWorker.ts';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { AlertService, TypeObservation } from '../events/alertService.ts';
import type { FrameNeed } from '../capture/ffmpegArgs.ts';
import type { CameraConfig, DetectionType, NormPolygon } from '../schemas/config.ts';
import type { Logger } from '../util/logger.ts';
import type { DetectOptions, DetectorResult } from './onnxModel.ts';
import { thresholdsFor } from './sensitivity.ts';

/** Anything that detects on a frame (the ONNX adapter, or a fake in unit tests). */
export interface Detector {
  readonly spec: {
    name: string;
    type: DetectionType;
    types?: readonly DetectionType[];
    threshold?: number;
    /** Model input, px (lets capture scale frames to what the model uses; see frameNeedsFor). */
    inputSize?: { width: number; height: number };
    /** Tiling mode from the manifest: `never` = the whole frame is resized to the input. */
    tiling?: { mode: 'auto' | 'always' | 'never'; resize?: 'stretch' | 'letterbox' };
    /** Manifest cadence (default 1 = every frame); see {@link cadenceDue}. */
    everyNthFrame?: number;
  };
  detect(frame: RgbImage, opts?: DetectOptions): Promise<DetectorResult>;
}

export interface CameraCounters {
  framesAnalysed: number;
  framesDropped: number;
}

/** What to run on one frame: detection types, masks, ROI, sensitivity (preset settings override the camera's). */
export interface FramePlan {
  types: DetectionType[];
  masks: NormPolygon[];
  roi: NormPolygon[] | undefined;
  sensitivity: number;
}

/**
 * Resolves a frame's preset settings (pure). A frame without a preset, or with an unknown preset id, uses the
 * camera's own view settings (`masks`, `roi`, `sensitivity` of the camera; defaults none, none, 0.5).
 */
export function framePlan(cam: CameraConfig, presetId: string | null): FramePlan {
  const p = presetId === null ? undefined : cam.presets.find((x) => x.id === presetId);
  const roi = p ? p.roi : cam.roi;
  return {
    types: p?.detectors ?? cam.detectors,
    masks: p ? p.masks : (cam.masks ?? []),
    roi: roi && roi.length > 0 ? roi : undefined,
    sensitivity: p ? p.sensitivity : (cam.sensitivity ?? 0.5),
  };
}

/**
 * What a camera's detectors need from its frames (pure): one entry per distinct detector used by the camera or
 * any of its presets. A detector without a declared input size counts as needing native scale (never
 * downscale frames for a model whose needs are unknown).
 */
export function frameNeedsFor(
  cam: CameraConfig,
  detectors: ReadonlyMap<DetectionType, Detector>,
): FrameNeed[] {
  const types = new Set([...cam.detectors, ...cam.presets.flatMap((p) => p.detectors ?? [])]);
  const used = new Set<Detector>();
  for (const t of types) {
    const d = detectors.get(t);
    if (d) used.add(d);
  }
  return [...used].map((d) => ({
    input: d.spec.inputSize ?? { width: 0, height: 0 },
    nativeScale: d.spec.inputSize === undefined || d.spec.tiling?.mode !== 'never',
    ...(d.spec.tiling?.resize ? { resize: d.spec.tiling.resize } : {}),
  }));
}

/**
 * Whether a model runs on a camera view's frame (pure). `seen` counts the earlier frames of the camera's current
 * visit to this view (camera + preset) offered to this model (0 for the first), `every` is the manifest's
 * `everyNthFrame`, `tracking` is true while the alert service holds a tentative or open track of the model's
 * types for this view. The first frame of every visit always runs (a patrol that dwells only a frame or two on
 * a preset still has each visit analysed).
 */
export function cadenceDue(seen: number, every: number, tracking: boolean): boolean {
  return every <= 1 || tracking || seen % every === 0;
}

/** What the detect loop asks the alert service (AlertService implements it). */
export interface AlertSink {
  observeFrame: AlertService['observeFrame'];
  idle(): Promise<void>;
  /** True while a tentative or open track of `type` exists for this camera + preset. */
  tracking(cameraId: string, presetId: string | null, type: DetectionType): boolean;
}

export class DetectLoop {
  private readonly busy = new Set<string>();
  private readonly waiting = new Map<string, SampledFrame>();
  private readonly counters = new Map<string, CameraCounters>();
  private readonly inflight = new Set<Promise<void>>();
  /**
   * Cadence state per camera: the preset of its current visit and the frames offered to each model (by Detector
   * identity: one model name may be loaded twice, e.g. in the pool and in-process) during that visit.
   */
  private readonly visits = new Map<string, { presetId: string | null; seen: Map<Detector, number> }>();
  /** Model runs and cadence skips per model name. */
  private readonly runs = new Map<string, { ran: number; skipped: number }>();

  constructor(
    private readonly deps: {
      cameras: Map<string, CameraConfig>;
      /** Detectors by type; one multi-type detector may appear under several types (it runs once per frame). */
      detectors: Map<DetectionType, Detector>;
      alerts: AlertSink;
      log: Logger;
    },
  ) {}

  /** Per model: frames it analysed and frames it skipped by its manifest cadence (`everyNthFrame`). */
  modelRuns(): Record<string, { ran: number; skipped: number }> {
    return Object.fromEntries([...this.runs].map(([k, v]) => [k, { ...v }]));
  }

  counts(cameraId: string): CameraCounters {
    return { ...(this.counters.get(cameraId) ?? { framesAnalysed: 0, framesDropped: 0 }) };
  }

  /** Accepts a frame (never throws, never blocks). */
  push(frame: SampledFrame): void {
    if (this.busy.has(frame.cameraId)) {
      if (this.waiting.has(frame.cameraId)) this.counter(frame.cameraId).framesDropped++;
      this.waiting.set(frame.cameraId, frame);
      return;
    }
    this.run(frame);
  }

  /** Resolves when every accepted frame has been analysed. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    await this.deps.alerts.idle();
  }

  private counter(id: string): CameraCounters {
    let c = this.counters.get(id);
    if (!c) this.counters.set(id, (c = { framesAnalysed: 0, framesDropped: 0 }));
    return c;
  }

  private run(frame: SampledFrame): void {
    this.busy.add(frame.cameraId);
    const p = this.analyse(frame).finally(() => {
      this.inflight.delete(p);
      this.busy.delete(frame.cameraId);
      const next = this.waiting.get(frame.cameraId);
      if (next) {
        this.waiting.delete(frame.cameraId);
        this.run(next);
      }
    });
    this.inflight.add(p);
  }

  private async analyse(frame: SampledFrame): Promise<void> {
    const cam = this.deps.cameras.get(frame.cameraId);
    if (!cam) return;
    const log = this.deps.log.child({ cameraId: frame.cameraId });
    const plan = framePlan(cam, frame.presetId);
    // Each detector runs once per frame, for every type of this frame it covers.
    const byDetector = new Map<Detector, DetectionType[]>();
    for (const type of plan.types) {
      const det = this.deps.detectors.get(type);
      if (det) byDetector.set(det, [...(byDetector.get(det) ?? []), type]);
    }
    const observations: TypeObservation[] = [];
    for (const [det, types] of byDetector) {
      const every = det.spec.everyNthFrame ?? 1;
      let runs = this.runs.get(det.spec.name);
      if (!runs) this.runs.set(det.spec.name, (runs = { ran: 0, skipped: 0 }));
      if (every > 1) {
        let visit = this.visits.get(frame.cameraId);
        if (!visit || visit.presetId !== frame.presetId)
          this.visits.set(frame.cameraId, (visit = { presetId: frame.presetId, seen: new Map() }));
        const n = visit.seen.get(det) ?? 0;
        visit.seen.set(det, n + 1);
        const tracking = types.some((t) => this.deps.alerts.tracking(frame.cameraId, frame.presetId, t));
        // Skipped by design (manifest cadence): its types get no observation for this frame, so their
        // confirmation windows neither advance nor count a miss.
        if (!cadenceDue(n, every, tracking)) {
          runs.skipped++;
          continue;
        }
      }
      runs.ran++;
      const thresholds = thresholdsFor(det.spec.threshold ?? 0.5, plan.sensitivity);
      try {
        const r = await det.detect(frame.image, {
          threshold: thresholds.keep,
          masks: plan.masks,
          roi: plan.roi,
          context: {
            cameraId: frame.cameraId,
            presetId: frame.presetId,
            capturedAt: new Date(frame.capturedAt).toISOString(),
          },
        });
        log.debug(
          {
            model: r.model,
            n: r.detections.length,
            best: r.detections[0]?.score,
            views: r.views,
            ms: Math.round(r.ms),
          },
          'detections',
        );
        for (const type of types)
          observations.push({
            type,
            thresholds,
            detections: r.detections.filter((d) => (d.type ?? det.spec.type) === type),
          });
      } catch (e) {
        log.error({ model: det.spec.name, err: (e as Error).message }, 'detection failed on frame');
      }
    }
    await this.deps.alerts.observeFrame(frame, observations);
    this.counter(frame.cameraId).framesAnalysed++;
  }
}
