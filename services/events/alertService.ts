/**
 * Alert rules: turns per-frame detections into alerts (via the pure confirmation core), stores them with their
 * events, writes evidence, and publishes events to the console. Holds no IO itself: store, evidence, clock and
 * publisher are injected.
 */
import { randomUUID } from 'node:crypto';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { Alert, Box, ServerEvent } from '../schemas/api.ts';
import type { AlertingConfig, DetectionType } from '../schemas/config.ts';
import type { AlertRepository } from '../store/repository.ts';
import {
  initialConfirmState,
  observe,
  tick,
  type ConfirmAction,
  type ConfirmState,
} from '../track/confirm.ts';
import { iso, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { EvidenceStore } from './evidenceStore.ts';
import { renderSnapshot } from './snapshot.ts';

export type Publish = (e: ServerEvent) => void;

export interface AlertServiceDeps {
  store: AlertRepository;
  evidence: EvidenceStore;
  clock: Clock;
  log: Logger;
  publish: Publish;
  alerting: AlertingConfig;
  cameraName: (cameraId: string) => string;
  /** Min time between two `alert.updated` events of one alert without a new peak, ms (default 10 000). */
  updateEveryMs?: number;
}

interface Track {
  state: ConfirmState;
  alertId: string | null;
  lastEventAt: number;
}

const keyOf = (cameraId: string, presetId: string | null, type: DetectionType): string =>
  `${cameraId}|${presetId ?? ''}|${type}`;

export class AlertService {
  private readonly tracks = new Map<string, Track>();
  /** Serialises async work (snapshot encoding) so store order = event order per service. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AlertServiceDeps) {}

  /**
   * Closes alerts a previous run left open (their track state is gone). Call once at start-up.
   */
  closeStaleAlerts(): number {
    const open = this.deps.store.listOpenAlerts();
    const at = iso(this.deps.clock.now());
    for (const a of open) {
      const closed: Alert = { ...a, status: 'closed', closedAt: at };
      const e = this.deps.store.updateAlert(closed, { at, kind: 'alert.closed', alert: closed });
      if (e) this.deps.publish(e);
    }
    return open.length;
  }

  /**
   * Feeds the best detection of one type on one frame (or null when that detector found nothing).
   * Resolves once any resulting alert change is stored and published.
   */
  observe(
    frame: { cameraId: string; presetId: string | null; capturedAt: number; image: RgbImage },
    type: DetectionType,
    best: { score: number; box: Box } | null,
  ): Promise<void> {
    const key = keyOf(frame.cameraId, frame.presetId, type);
    const t = this.tracks.get(key) ?? { state: initialConfirmState(), alertId: null, lastEventAt: 0 };
    this.tracks.set(key, t);
    const r = observe(t.state, { at: frame.capturedAt, hit: best }, this.deps.alerting);
    t.state = r.state;
    return this.enqueue(() => this.apply(t, r.action, frame, type));
  }

  /** Timer entry point: closes alerts whose quiet period has passed (also when frames stopped coming). */
  tick(): Promise<void> {
    const now = this.deps.clock.now();
    const jobs: Promise<void>[] = [];
    for (const t of this.tracks.values()) {
      const r = tick(t.state, now, this.deps.alerting);
      t.state = r.state;
      if (r.action.kind !== 'none') jobs.push(this.enqueue(() => this.apply(t, r.action, null, null)));
    }
    return Promise.all(jobs).then(() => undefined);
  }

  /** Resolves when all queued alert work is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const p = this.chain.then(job).catch((e: unknown) => {
      this.deps.log.error({ err: e instanceof Error ? e.message : String(e) }, 'alert update failed');
    });
    this.chain = p;
    return p;
  }

  private async apply(
    t: Track,
    action: ConfirmAction,
    frame: { cameraId: string; presetId: string | null; capturedAt: number; image: RgbImage } | null,
    type: DetectionType | null,
  ): Promise<void> {
    const { store, publish, evidence } = this.deps;
    if (action.kind === 'open' && frame && type) {
      const id = randomUUID();
      const at = iso(action.at);
      evidence.writeSnapshot(id, await renderSnapshot(frame.image, [{ box: action.box, type }]));
      const alert: Alert = {
        id,
        type,
        status: 'open',
        cameraId: frame.cameraId,
        cameraName: this.deps.cameraName(frame.cameraId),
        presetId: frame.presetId,
        firstSeenAt: at,
        lastSeenAt: at,
        closedAt: null,
        peakScore: action.score,
        box: action.box,
        frameWidth: frame.image.width,
        frameHeight: frame.image.height,
        hits: t.state.window.filter(Boolean).length,
        snapshotUrl: `/api/alerts/${id}/snapshot.jpg`,
      };
      t.alertId = id;
      t.lastEventAt = action.at;
      publish(store.insertAlert(alert, { at, kind: 'alert.opened', alert }));
      this.deps.log.info(
        { cameraId: frame.cameraId, alertId: id, type, score: action.score },
        'alert opened',
      );
      return;
    }
    const current = t.alertId ? store.getAlert(t.alertId) : null;
    if (!current) return;
    if (action.kind === 'update' && frame) {
      const next: Alert = {
        ...current,
        lastSeenAt: iso(action.at),
        hits: current.hits + 1,
        ...(action.peak
          ? {
              peakScore: action.score,
              box: action.box,
              frameWidth: frame.image.width,
              frameHeight: frame.image.height,
            }
          : {}),
      };
      if (action.peak)
        evidence.writeSnapshot(
          current.id,
          await renderSnapshot(frame.image, [{ box: action.box, type: current.type }]),
        );
      const due = action.peak || action.at - t.lastEventAt >= (this.deps.updateEveryMs ?? 10_000);
      const e = store.updateAlert(
        next,
        due ? { at: next.lastSeenAt, kind: 'alert.updated', alert: next } : null,
      );
      if (e) {
        t.lastEventAt = action.at;
        publish(e);
      }
    } else if (action.kind === 'close') {
      const closed: Alert = { ...current, status: 'closed', closedAt: iso(action.at) };
      publish(store.updateAlert(closed, { at: closed.closedAt!, kind: 'alert.closed', alert: closed })!);
      this.deps.log.info({ cameraId: current.cameraId, alertId: current.id }, 'alert closed');
      t.alertId = null;
    }
  }
}
