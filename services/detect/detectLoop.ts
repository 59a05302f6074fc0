/**
 * The detect stage's IO loop: receives sampled frames, runs the camera's detectors, feeds the alert service.
 * Back-pressure: at most one frame per camera is being analysed; a frame arriving meanwhile replaces the
 * waiting one and the replaced frame is counted as dropped (never queued without bound, never lost silently).
 */
import type { SampledFrame } from '../capture/cameraWorker.ts';
import type { AlertService } from '../events/alertService.ts';
import type { CameraConfig, DetectionType } from '../schemas/config.ts';
import type { Logger } from '../util/logger.ts';
import type { DetectorResult } from './onnxModel.ts';
import type { RgbImage } from '../capture/ppmStream.ts';

/** Anything that detects one type on a frame (the ONNX adapter, or a fake in unit tests). */
export interface Detector {
  readonly spec: { name: string; type: DetectionType };
  detect(frame: RgbImage): Promise<DetectorResult>;
}

export interface CameraCounters {
  framesAnalysed: number;
  framesDropped: number;
}

export class DetectLoop {
  private readonly busy = new Set<string>();
  private readonly waiting = new Map<string, SampledFrame>();
  private readonly counters = new Map<string, CameraCounters>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      cameras: Map<string, CameraConfig>;
      detectors: Map<DetectionType, Detector>;
      alerts: AlertService;
      log: Logger;
    },
  ) {}

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
    for (const type of cam.detectors) {
      const det = this.deps.detectors.get(type);
      if (!det) continue;
      try {
        const r = await det.detect(frame.image);
        const best = r.detections[0] ?? null;
        log.debug({ type, n: r.detections.length, best: best?.score, ms: Math.round(r.ms) }, 'detections');
        await this.deps.alerts.observe(frame, type, best ? { score: best.score, box: best.box } : null);
      } catch (e) {
        log.error({ type, err: (e as Error).message }, 'detection failed on frame');
      }
    }
    this.counter(frame.cameraId).framesAnalysed++;
  }
}
