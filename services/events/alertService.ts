/**
 * Alert rules: turns per-frame detections into alerts (via the pure tracker in track/confirm.ts), stores them
 * with their events, writes evidence (snapshot with boxes, clean snapshot, MP4 clip), computes bearings and
 * positions (track/geo.ts), and publishes events to the console. Holds no IO itself: store, evidence, clip
 * encoder, clock and publisher are injected.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { shownSize, type RgbImage } from '../capture/ppmStream.ts';
import type { Alert, Box, ServerEvent } from '../schemas/api.ts';
import type { AlertingConfig, DetectionType } from '../schemas/config.ts';
import type { AlertRepository } from '../store/repository.ts';
import {
  DEFAULT_ASSOCIATION,
  initialGroupState,
  observe,
  tick,
  type AssociationConfig,
  type ConfirmAction,
  type GroupState,
  type Thresholds,
} from '../track/confirm.ts';
import { detectionGeo, triangulate, type CameraGeo } from '../track/geo.ts';
import { iso, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { createMutex } from '../util/mutex.ts';
import type { CodedKeyframe } from '../capture/rtsp/depay.ts';
import { appendCapped, clipCopyable, FrameRing, type ClipEncoder, type ClipFrame } from './clip.ts';
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
  /** Where a camera looks at a preset (location, azimuth, hfov, tilt, range); absent → no bearing/position. */
  cameraGeo?: (cameraId: string, presetId: string | null) => CameraGeo | null;
  /** MP4 clip encoder (ffmpeg adapter); absent → no clips. */
  clips?: ClipEncoder;
  /** JPEG encoder for clip frames (default: sharp, quality 80); injectable to count encodes in tests. */
  encodeJpeg?: (img: RgbImage) => Promise<Buffer>;
  /** Frames kept per camera before an alert opens (pre-roll), default 6. */
  preRollFrames?: number;
  /** Clip frame rate, frames/s (default 2). */
  clipFps?: number;
  /** Two cameras' open alerts of one type seen within this window are triangulated, ms (default 120 000). */
  triangulationWindowMs?: number;
  association?: AssociationConfig;
  /** Min time between two `alert.updated` events of one alert without a new peak, ms (default 10 000). */
  updateEveryMs?: number;
  /**
   * Incident gate: a newly confirmed track whose box lies within this fraction of the frame diagonal of an open
   * alert's box (gap between the boxes, 0 when they overlap; same camera, preset and type) joins that alert
   * instead of opening another
   * (default 0.1). A plume that grows, drifts or splits between 2 s samples leaves the tracker's own gate
   * (2 × box size); duty staff must still see one alert per incident (Pyronear groups a camera view's
   * detections into one alert sequence the same way). Engineering default, not tuned on held-out data.
   */
  incidentGateFraction?: number;
}

/** One frame's detections of one type, with the thresholds its group uses. */
export interface TypeObservation {
  type: DetectionType;
  detections: readonly { score: number; box: Box }[];
  thresholds: Thresholds;
}

export interface FrameInput {
  cameraId: string;
  presetId: string | null;
  capturedAt: number;
  image: RgbImage;
  /** The keyframe the frame was decoded from (built-in RTSP client): clips mux it when {@link clipCopyable}. */
  coded?: CodedKeyframe;
}

/**
 * A pre-roll ring entry: the raw frame until a clip needs it (then the JPEG, and the raw frame is dropped), or
 * the camera's own keyframe when it can go into a clip as it is (`h264`: no raw frame kept, nothing to encode).
 * Raw frames cost memory (854×480 RGB ≈ 1.2 MB, × `preRollFrames`) but no CPU for the frames no alert uses.
 */
interface RingFrame {
  at: number;
  jpeg: Buffer | null;
  image: RgbImage | null;
  h264: Buffer | null;
}

/** An open alert's working state; several tracks (one incident) may share one record. */
interface AlertRecord {
  alertId: string;
  lastEventAt: number;
  frames: ClipFrame[];
  pre: number;
}

interface Group {
  state: GroupState;
  /** trackId → alert. */
  alerts: Map<string, AlertRecord>;
}

const keyOf = (cameraId: string, presetId: string | null, type: DetectionType): string =>
  `${cameraId}|${presetId ?? ''}|${type}`;

export class AlertService {
  private readonly groups = new Map<string, Group>();
  private readonly rings = new Map<string, FrameRing<RingFrame>>();
  /**
   * One serial chain per camera: a camera's frames, ticks and clip results are applied in order (store order =
   * event order per camera), while cameras proceed independently — one camera's JPEG or snapshot work never
   * delays another camera's alerts (a single service-wide chain was the fleet's latency bottleneck:
   * BENCHMARKS.md).
   */
  private readonly chains = new Map<string, Promise<void>>();
  /**
   * Alert store sections: every read-modify-write of alert rows (read → triangulate → insert/update → publish)
   * holds this service-wide FIFO lock; renders, JPEGs and clips stay outside it. The store is asynchronous, so
   * without it camera A's triangulation could write back a partner alert read before camera B's concurrent
   * update of that alert (or B could write back its alert over A's triangulated position): a lost update. Inside
   * a section the rows read are current, and events are published in store order.
   */
  private readonly storeSection = createMutex();
  private readonly background = new Set<Promise<void>>();
  /** Peak snapshots waiting to be rendered, latest per alert (renders run outside the chains, coalesced). */
  private readonly pendingSnapshots = new Map<string, { image: RgbImage; box: Box; type: DetectionType }>();
  private readonly renderingSnapshots = new Set<string>();

  constructor(private readonly deps: AlertServiceDeps) {}

  /** Closes alerts a previous run left open (their track state is gone). Call once at start-up. */
  closeStaleAlerts(): Promise<number> {
    return this.storeSection(async () => {
      const open = await this.deps.store.listOpenAlerts();
      const at = iso(this.deps.clock.now());
      for (const a of open) {
        const closed: Alert = { ...a, status: 'closed', closedAt: at };
        const e = await this.deps.store.updateAlert(closed, { at, kind: 'alert.closed', alert: closed });
        if (e) this.deps.publish(e);
      }
      return open.length;
    });
  }

  /**
   * Feeds one analysed frame: for each detection type run on it, that type's detections (frame px, already
   * filtered by masks/ROI, scores ≥ the relaxed threshold). Resolves once resulting changes are stored and
   * published (clips are encoded in the background; see {@link idle}). A frame stretched by capture
   * (`image.display`) has its boxes mapped to display px here, so tracks, stored alerts, bearings and
   * snapshots all use the pixels people see.
   */
  observeFrame(frame: FrameInput, frameObservations: readonly TypeObservation[]): Promise<void> {
    const observations = toDisplayPx(frame.image, frameObservations);
    // A frame is JPEG-encoded only when a clip needs it: while the camera has an open alert (encoded before
    // joining the serial chain, so frames of different cameras encode in parallel on the libuv pool), or when an
    // alert opens on it. Otherwise it waits raw in the camera's pre-roll ring and is encoded only if an alert
    // opens within the next `preRollFrames` frames — most frames of a quiet fleet are never encoded (the
    // per-frame JPEG was the largest Node cost per camera after inference: BENCHMARKS.md summary).
    // A frame whose keyframe can be muxed as it is never needs a JPEG.
    const copy = this.deps.clips && frame.coded && clipCopyable(frame.coded) ? frame.coded.annexB : null;
    const jpegP =
      this.deps.clips && !copy && this.hasOpenAlert(frame.cameraId) ? this.jpeg(frame.image) : null;
    jpegP?.catch(() => undefined);
    return this.enqueue(frame.cameraId, async () => {
      let clipFrame: ClipFrame | null = null;
      const clip = async (): Promise<ClipFrame | null> => {
        if (!this.deps.clips) return null;
        clipFrame ??= copy
          ? { at: frame.capturedAt, h264: copy }
          : { at: frame.capturedAt, jpeg: await (jpegP ?? this.jpeg(frame.image)) };
        return clipFrame;
      };
      for (const o of observations) {
        const key = keyOf(frame.cameraId, frame.presetId, o.type);
        const g = this.group(key);
        const r = observe(
          g.state,
          { at: frame.capturedAt, detections: o.detections },
          o.thresholds,
          this.deps.alerting,
          this.deps.association ?? DEFAULT_ASSOCIATION,
        );
        g.state = r.state;
        const cf = g.alerts.size > 0 || r.actions.some((a) => a.kind === 'open') ? await clip() : null;
        for (const a of r.actions) await this.apply(g, a, frame, o.type, cf);
        if (cf)
          // Once per alert (several tracks may share one), unless the alert opened on this very frame.
          for (const t of new Set(g.alerts.values()))
            if (t.frames[t.frames.length - 1] !== cf) t.frames = appendCapped(t.frames, cf, t.pre);
      }
      // (assigned inside `clip`, which TypeScript does not follow)
      const encoded = clipFrame as ClipFrame | null;
      if (this.deps.clips)
        this.ring(frame.cameraId).push(
          encoded
            ? { at: frame.capturedAt, jpeg: encoded.jpeg ?? null, image: null, h264: encoded.h264 ?? null }
            : copy
              ? { at: frame.capturedAt, jpeg: null, image: null, h264: copy }
              : { at: frame.capturedAt, jpeg: null, image: frame.image, h264: null },
        );
    });
  }

  /** Timer entry point: closes alerts whose quiet period has passed (also when frames stopped coming). */
  tick(): Promise<void> {
    const cameras = new Set([...this.groups.keys()].map((k) => k.slice(0, k.indexOf('|'))));
    return Promise.all(
      [...cameras].map((cameraId) =>
        this.enqueue(cameraId, async () => {
          const now = this.deps.clock.now();
          for (const [key, g] of this.groups) {
            if (!key.startsWith(`${cameraId}|`)) continue;
            const r = tick(g.state, now, this.deps.alerting);
            g.state = r.state;
            for (const a of r.actions) await this.apply(g, a, null, null, null);
          }
        }),
      ),
    ).then(() => undefined);
  }

  /** Resolves when all queued alert work, including background clip encoding and snapshots, is done. */
  async idle(): Promise<void> {
    while (true) {
      await Promise.all([...this.chains.values()]);
      if (this.background.size === 0) return;
      await Promise.all([...this.background]);
    }
  }

  private group(key: string): Group {
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { state: initialGroupState(), alerts: new Map() }));
    return g;
  }

  private jpeg(img: RgbImage): Promise<Buffer> {
    return (this.deps.encodeJpeg ?? encodeJpeg)(img);
  }

  /** True while a tentative or open track of `type` exists for this camera + preset (the detect cadence). */
  tracking(cameraId: string, presetId: string | null, type: DetectionType): boolean {
    return (this.groups.get(keyOf(cameraId, presetId, type))?.state.tracks.length ?? 0) > 0;
  }

  /** True when any detection type of this camera has an open alert (its frames go into that alert's clip). */
  private hasOpenAlert(cameraId: string): boolean {
    for (const [key, g] of this.groups) if (g.alerts.size > 0 && key.startsWith(`${cameraId}|`)) return true;
    return false;
  }

  /**
   * The camera's pre-roll frames as clip frames, oldest first: raw ring entries are encoded now (in parallel)
   * and kept encoded, so a second alert opening soon after does not encode them again.
   */
  private async preRoll(cameraId: string): Promise<ClipFrame[]> {
    const frames = this.ring(cameraId).snapshot();
    return Promise.all(
      frames.map(async (f): Promise<ClipFrame | null> => {
        if (f.h264) return { at: f.at, h264: f.h264 };
        if (f.jpeg === null && f.image !== null) {
          f.jpeg = await this.jpeg(f.image);
          f.image = null;
        }
        return f.jpeg ? { at: f.at, jpeg: f.jpeg } : null;
      }),
    ).then((all) => all.filter((f): f is ClipFrame => f !== null));
  }

  private ring(cameraId: string): FrameRing<RingFrame> {
    let r = this.rings.get(cameraId);
    if (!r) this.rings.set(cameraId, (r = new FrameRing<RingFrame>(this.deps.preRollFrames ?? 6)));
    return r;
  }

  /** Appends a job to the camera's chain; a failing job is logged and does not stop the chain. */
  private enqueue(cameraId: string, job: () => Promise<void>): Promise<void> {
    const p = (this.chains.get(cameraId) ?? Promise.resolve()).then(job).catch((e: unknown) => {
      this.deps.log.error(
        { cameraId, err: e instanceof Error ? e.message : String(e) },
        'alert update failed',
      );
    });
    this.chains.set(cameraId, p);
    // Forget a settled chain so cameras that left do not keep an entry.
    void p.then(() => {
      if (this.chains.get(cameraId) === p) this.chains.delete(cameraId);
    });
    return p;
  }

  /** Tracks a background promise for {@link idle}. */
  private track(p: Promise<void>): void {
    const q = p.finally(() => this.background.delete(q));
    this.background.add(q);
  }

  /**
   * Re-renders an alert's snapshots for a new peak outside the camera's chain: the alert event does not wait
   * for two JPEG encodes. Renders of one alert never overlap and coalesce (only the latest waiting peak is
   * drawn), so the stored snapshot is always the latest peak's.
   */
  private refreshSnapshot(alertId: string, image: RgbImage, box: Box, type: DetectionType): void {
    this.pendingSnapshots.set(alertId, { image, box, type });
    if (this.renderingSnapshots.has(alertId)) return;
    this.renderingSnapshots.add(alertId);
    const { evidence } = this.deps;
    const run = async (): Promise<void> => {
      for (let next = this.pendingSnapshots.get(alertId); next; next = this.pendingSnapshots.get(alertId)) {
        this.pendingSnapshots.delete(alertId);
        const [boxed, clean] = await Promise.all([
          renderSnapshot(next.image, [{ box: next.box, type: next.type }]),
          evidence.writeCleanSnapshot ? renderSnapshot(next.image, []) : null,
        ]);
        evidence.writeSnapshot(alertId, boxed);
        if (clean) evidence.writeCleanSnapshot?.(alertId, clean);
      }
    };
    this.track(
      run().then(
        () => {
          this.renderingSnapshots.delete(alertId);
          // A peak queued in the few microtasks after the loop's last look: render it too.
          const late = this.pendingSnapshots.get(alertId);
          if (late) this.refreshSnapshot(alertId, late.image, late.box, late.type);
        },
        (e: unknown) => {
          this.renderingSnapshots.delete(alertId);
          // Drop the peaks that waited (the stored snapshot stays the last good one); the next peak retries.
          this.pendingSnapshots.delete(alertId);
          this.deps.log.error(
            { alertId, err: e instanceof Error ? e.message : String(e) },
            'snapshot rendering failed',
          );
        },
      ),
    );
  }

  /** Bearing, ray and single-camera position of a box on a camera+preset. */
  private geoOf(cameraId: string, presetId: string | null, box: Box, w: number, h: number): Partial<Alert> {
    const g = this.deps.cameraGeo?.(cameraId, presetId);
    if (!g) return {};
    const d = detectionGeo(box, w, h, g);
    return {
      ...(d.bearingDeg !== null ? { bearingDeg: d.bearingDeg } : {}),
      ray: d.ray,
      position: d.rayPosition ? { ...d.rayPosition, method: 'ray' } : null,
    };
  }

  /**
   * Triangulates `a` against the other open alerts of its type on other cameras seen within the window; the
   * best pair (crossing angle closest to 90°) sets a `triangulated` position on both. Stores and publishes the
   * partner's update; returns `a` with its position. Call inside {@link storeSection} (the partner is read there).
   */
  private async triangulateWith(a: Alert): Promise<Alert> {
    if (a.bearingDeg === undefined || !this.deps.cameraGeo) return a;
    const geoA = this.deps.cameraGeo(a.cameraId, a.presetId);
    if (!geoA?.location) return a;
    const window = this.deps.triangulationWindowMs ?? 120_000;
    let best: { other: Alert; pos: { lat: number; lon: number }; angle: number } | null = null;
    for (const other of await this.deps.store.listOpenAlerts()) {
      if (
        other.id === a.id ||
        other.type !== a.type ||
        other.cameraId === a.cameraId ||
        other.bearingDeg === undefined
      )
        continue;
      if (Math.abs(Date.parse(other.lastSeenAt) - Date.parse(a.lastSeenAt)) > window) continue;
      const geoB = this.deps.cameraGeo(other.cameraId, other.presetId);
      if (!geoB?.location) continue;
      const t = triangulate(
        { camera: geoA.location, bearingDeg: a.bearingDeg, rangeM: geoA.rangeM },
        { camera: geoB.location, bearingDeg: other.bearingDeg, rangeM: geoB.rangeM },
      );
      if (t && (!best || t.angleDeg > best.angle)) best = { other, pos: t.position, angle: t.angleDeg };
    }
    if (!best) return a;
    const position = { ...best.pos, method: 'triangulated' as const };
    const partner: Alert = { ...best.other, position };
    const e = await this.deps.store.updateAlert(partner, {
      at: iso(this.deps.clock.now()),
      kind: 'alert.updated',
      alert: partner,
    });
    if (e) this.deps.publish(e);
    return { ...a, position };
  }

  private async apply(
    g: Group,
    action: ConfirmAction,
    frame: FrameInput | null,
    type: DetectionType | null,
    clipFrame: ClipFrame | null,
  ): Promise<void> {
    const { store, publish, evidence } = this.deps;
    if (action.kind === 'open' && frame && type) {
      const joined = await this.incidentOf(
        g,
        action.box,
        shownSize(frame.image).width,
        shownSize(frame.image).height,
      );
      if (joined) {
        // Same incident as an open alert: this track now keeps that alert alive and updates it.
        g.alerts.set(action.trackId, joined);
        this.deps.log.info(
          { cameraId: frame.cameraId, alertId: joined.alertId, trackId: action.trackId },
          'track joined an open alert (same incident)',
        );
        await this.apply(g, { ...action, kind: 'update', peak: true }, frame, type, clipFrame);
        return;
      }
      const id = randomUUID();
      const at = iso(action.at);
      // The awaits come first (both renders at once on the libuv pool, the pre-roll JPEGs): everything after
      // them — triangulation against other cameras' alerts, insert, publish — is one store section.
      const [boxed, clean, pre] = await Promise.all([
        renderSnapshot(frame.image, [{ box: action.box, type }]),
        evidence.writeCleanSnapshot ? renderSnapshot(frame.image, []) : null,
        this.preRoll(frame.cameraId),
      ]);
      evidence.writeSnapshot(id, boxed);
      if (clean && evidence.writeCleanSnapshot) evidence.writeCleanSnapshot(id, clean);
      let alert: Alert = {
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
        hits: action.hits,
        snapshotUrl: `/api/alerts/${id}/snapshot.jpg`,
        trackId: action.trackId,
        ...(evidence.writeCleanSnapshot ? { cleanSnapshotUrl: `/api/alerts/${id}/clean.jpg` } : {}),
        ...this.placed(frame, action.box),
      };
      const frames = clipFrame ? [...pre, clipFrame] : pre;
      await this.storeSection(async () => {
        alert = await this.triangulateWith(alert);
        const e = await store.insertAlert(alert, { at, kind: 'alert.opened', alert });
        // Only a stored alert gets a record: a failed insert must not leave a camera "alerting" forever.
        g.alerts.set(action.trackId, { alertId: id, lastEventAt: action.at, frames, pre: pre.length });
        publish(e);
      });
      this.deps.log.info(
        {
          cameraId: frame.cameraId,
          alertId: id,
          type,
          score: action.score,
          trackId: action.trackId,
          bearingDeg: alert.bearingDeg,
        },
        'alert opened',
      );
      this.buildClip(id, frame.cameraId, frames, true);
      return;
    }
    await this.storeSection(() => this.applyStored(g, action, frame));
  }

  /** The update/close part of {@link apply}: one store section (read the alert, modify, write, publish). */
  private async applyStored(g: Group, action: ConfirmAction, frame: FrameInput | null): Promise<void> {
    const { store, publish } = this.deps;
    const t = g.alerts.get(action.trackId);
    const current = t ? await store.getAlert(t.alertId) : null;
    if (!t || !current) return;
    if (action.kind === 'update' && frame) {
      // Peak against the alert's (several tracks may feed one alert), not only the track's own peak.
      const peak = action.peak && action.score > current.peakScore;
      let next: Alert = {
        ...current,
        lastSeenAt: iso(action.at),
        hits: Math.max(current.hits + 1, action.hits),
        ...(peak
          ? {
              peakScore: action.score,
              ...this.placed(frame, action.box),
            }
          : {}),
      };
      if (peak) {
        if (current.position?.method === 'triangulated')
          next = await this.triangulateWith({ ...next, position: current.position });
        else next = await this.triangulateWith(next);
        this.refreshSnapshot(current.id, frame.image, action.box, current.type);
      }
      const due = peak || action.at - t.lastEventAt >= (this.deps.updateEveryMs ?? 10_000);
      const e = await store.updateAlert(
        next,
        due ? { at: next.lastSeenAt, kind: 'alert.updated', alert: next } : null,
      );
      if (e) {
        t.lastEventAt = action.at;
        publish(e);
      }
    } else if (action.kind === 'close') {
      g.alerts.delete(action.trackId);
      // Another track of the same incident still feeds this alert: it stays open.
      if ([...g.alerts.values()].some((o) => o.alertId === t.alertId)) return;
      const closed: Alert = { ...current, status: 'closed', closedAt: iso(action.at) };
      publish(
        (await store.updateAlert(closed, { at: closed.closedAt!, kind: 'alert.closed', alert: closed }))!,
      );
      this.deps.log.info({ cameraId: current.cameraId, alertId: current.id }, 'alert closed');
      if (t.frames.length > 0) this.buildClip(current.id, current.cameraId, t.frames, false);
    }
  }

  /**
   * The open alert of this group whose box is within the incident gate of `box` (frame px), nearest
   * first; null when none (see {@link AlertServiceDeps.incidentGateFraction}).
   */
  private async incidentOf(g: Group, box: Box, width: number, height: number): Promise<AlertRecord | null> {
    const gate = (this.deps.incidentGateFraction ?? 0.1) * Math.hypot(width, height);
    let best: { rec: AlertRecord; dist: number } | null = null;
    for (const rec of new Set(g.alerts.values())) {
      const a = await this.deps.store.getAlert(rec.alertId);
      if (!a || a.status !== 'open') continue;
      // The stored box is in the alert's frame size: scale it to this frame, then take the gap between the two
      // boxes (0 when they overlap), so a growing plume's large box joins the alert of its small first box.
      const sx = width / a.frameWidth;
      const sy = height / a.frameHeight;
      const ax = a.box.x * sx;
      const ay = a.box.y * sy;
      const gapX = Math.max(0, ax - (box.x + box.w), box.x - (ax + a.box.w * sx));
      const gapY = Math.max(0, ay - (box.y + box.h), box.y - (ay + a.box.h * sy));
      const dist = Math.hypot(gapX, gapY);
      if (dist <= gate && (!best || dist < best.dist)) best = { rec, dist };
    }
    return best?.rec ?? null;
  }

  /**
   * An alert's box (display px) with the frame size it refers to (`shownSize`: the display size of a frame
   * stretched by capture) and where it points: bearing, ray, position ({@link geoOf}).
   */
  private placed(frame: FrameInput, box: Box) {
    const { width, height } = shownSize(frame.image);
    return {
      box,
      frameWidth: width,
      frameHeight: height,
      ...this.geoOf(frame.cameraId, frame.presetId, box, width, height),
    };
  }

  /** Encodes the clip in the background; on success stores it and sets `clipUrl` (event only while open). */
  private buildClip(
    alertId: string,
    cameraId: string,
    frames: readonly ClipFrame[],
    announce: boolean,
  ): void {
    const { clips, evidence } = this.deps;
    if (!clips || !evidence.writeClip || frames.length === 0) return;
    const p = clips
      .encode(frames, this.deps.clipFps ?? 2)
      .then((mp4) =>
        this.enqueue(cameraId, () => {
          evidence.writeClip!(alertId, mp4);
          return this.storeSection(async () => {
            const a = await this.deps.store.getAlert(alertId);
            if (a && a.clipUrl === undefined) {
              const next: Alert = { ...a, clipUrl: `/api/alerts/${alertId}/clip.mp4` };
              const ev =
                announce && a.status === 'open'
                  ? { at: iso(this.deps.clock.now()), kind: 'alert.updated' as const, alert: next }
                  : null;
              const e = await this.deps.store.updateAlert(next, ev);
              if (e) this.deps.publish(e);
            }
          });
        }),
      )
      .catch((e: unknown) => {
        this.deps.log.error(
          { alertId, err: e instanceof Error ? e.message : String(e) },
          'clip encoding failed',
        );
      });
    this.track(p);
  }
}

/** Maps detection boxes from a stretched frame's px to its display px (identity for other frames). */
function toDisplayPx(img: RgbImage, obs: readonly TypeObservation[]): readonly TypeObservation[] {
  const d = img.display;
  if (!d || (d.width === img.width && d.height === img.height)) return obs;
  const sx = d.width / img.width;
  const sy = d.height / img.height;
  return obs.map((o) => ({
    ...o,
    detections: o.detections.map((det) => ({
      ...det,
      box: { x: det.box.x * sx, y: det.box.y * sy, w: det.box.w * sx, h: det.box.h * sy },
    })),
  }));
}

/**
 * JPEG (quality 80, no Huffman optimisation: half the CPU, see SNAPSHOT_JPEG) of a frame for the clip ring, at its
 * display size (a frame stretched by capture is resized back).
 */
async function encodeJpeg(img: RgbImage): Promise<Buffer> {
  const d = img.display;
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  return (
    d && (d.width !== img.width || d.height !== img.height)
      ? s.resize(d.width, d.height, { fit: 'fill', kernel: 'linear' })
      : s
  )
    .jpeg({ quality: 80, optimiseCoding: false })
    .toBuffer();
}
