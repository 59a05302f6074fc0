/**
 * Camera administration (admin role): cameras, PTZ presets, masks/ROI, sensitivity, detectors, patrol tours.
 *
 * Rules held here (routes stay thin, IO is injected):
 * - every change is validated with the config schemas, written through the {@link ConfigRepository} (atomic,
 *   comment-preserving, versioned) and recorded in the audit log with the admin's user id — changed field
 *   names only, never a value of `auth` (no password ever reaches the audit, a log line or the browser);
 * - then it is applied LIVE ({@link liveChange}): detection settings (masks, ROI, sensitivity, detectors,
 *   names, geometry) replace the camera's entry that the detect loop reads on its next frame; a change of
 *   what the capture worker uses (URL, credentials, interval, decode mode, ONVIF, presets' PTZ fields, tours)
 *   restarts only that camera's worker; an added or enabled camera starts one, a deleted or disabled one stops.
 */
import type { SampledFrame } from '../capture/cameraWorker.ts';
import { shownSize, type RgbImage } from '../capture/ppmStream.ts';
import { PROBE_IO_TIMEOUT_MS, type StreamProbe } from '../capture/probe.ts';
import { PtzError, type PtzController } from '../capture/ptz.ts';
import { resolveCameraUrl } from '../capture/cameraUrl.ts';
import { type ConfigRepository, type StoredCamera } from '../config/configRepository.ts';
import { framePlan, type Detector } from '../detect/detectLoop.ts';
import { thresholdsFor } from '../detect/sensitivity.ts';
import type { Actor } from '../dispatch/access.ts';
import { DispatchError, NotFoundError, ValidationError } from '../dispatch/errors.ts';
import type {
  AdminCamera,
  AdminDetection,
  CameraInputData,
  ConnectionFailure,
  DetectData,
  DetectResult,
  TestConnectionData,
  TestConnectionResult,
  ViewInputData,
} from '../schemas/admin.ts';
import { CameraConfig, type DetectionType, type PresetConfig, type TourConfig } from '../schemas/config.ts';
import { iso, type Clock } from '../util/clock.ts';
import { hasUserinfo, redactUrl, urlEndpoint, type Logger } from '../util/logger.ts';

/** What the service may do to the running pipeline (implemented by `services/runtime.ts`). */
export interface CameraRuntimeControl {
  /** Replaces (or adds) the camera entry the detect loop, alert service and live view read. */
  set(cam: CameraConfig): void;
  /** Removes the camera entry. */
  remove(id: string): void;
  /** Starts a capture worker for the camera (no-op when one runs). */
  startWorker(cam: CameraConfig): void;
  /** Stops the camera's capture worker; resolves once its ffmpeg has exited (no-op when none runs). */
  stopWorker(id: string): Promise<void>;
  /** The latest frame the camera's worker delivered (any preset), or null. */
  lastFrame(id: string): SampledFrame | null;
}

/** One audit record of an admin action (written to the hash-chained audit log by the runtime). */
export interface AdminAuditRecord {
  actor: Actor;
  /** `camera.create`, `camera.update`, `camera.delete`, `camera.ptz_goto`. */
  action: string;
  cameraId: string;
  details: Record<string, unknown>;
}

export interface CameraAdminDeps {
  repo: ConfigRepository;
  runtime: CameraRuntimeControl;
  /** Loaded detectors by type (the runtime's live map). */
  detectors: Map<DetectionType, Detector>;
  /** Loads models for types that have none yet (optional; without it such types report `missingModels`). */
  ensureDetectors?: (types: DetectionType[]) => Promise<void>;
  /** ffprobe adapter (`capture/probe.ts` `probeStream`). */
  probe: (url: string, durationS: number, timeoutMs: number) => Promise<StreamProbe>;
  /** ONVIF connection for a camera that has `onvif` (`capture/ptz.ts`). */
  connectPtz: (cam: CameraConfig) => Promise<PtzController>;
  /** JPEG encoder for raw frames (sharp adapter). */
  encodeJpeg: (img: RgbImage) => Promise<Buffer>;
  audit: (r: AdminAuditRecord) => Promise<void>;
  clock: Clock;
  log: Logger;
  /** Maps a stored camera to the one the runtime runs (the demo rewrites its RTSP port). Default identity. */
  toRuntime?: (cam: CameraConfig) => CameraConfig;
  /** Environment for `auth.passwordEnv` (default process.env). */
  env?: Record<string, string | undefined>;
  /** Connection test: seconds of packets read, overall timeout ms (defaults 4 s, 25 s: RTSP setup can take ~10 s). */
  probeSeconds?: number;
  probeTimeoutMs?: number;
}

/** Which live change an edit needs (pure). */
export type LiveChange = 'none' | 'config' | 'restart' | 'start' | 'stop' | 'remove';

/** The part of a camera its capture worker (ffmpeg + patrol) reads: a change here needs a worker restart. */
function captureView(c: CameraConfig): unknown {
  return {
    url: c.url,
    detectUrl: c.detectUrl ?? null,
    auth: c.auth ?? null,
    sampleIntervalMs: c.sampleIntervalMs,
    decodeMode: c.decodeMode,
    rtspClient: c.rtspClient,
    stallTimeoutS: c.stallTimeoutS,
    onvif: c.onvif ?? null,
    tours: c.tours,
    presets: c.presets.map((p) => ({
      id: p.id,
      onvifToken: p.onvifToken ?? null,
      position: p.position ?? null,
      dwellS: p.dwellS,
      settleS: p.settleS,
    })),
  };
}

/**
 * Decides how to apply an edit to the running pipeline (pure): `start`/`stop` a worker when the camera is
 * added, removed, enabled or disabled; `restart` when a capture field changed; `config` when only analysis or
 * descriptive fields changed (the detect loop picks it up on the next frame); `none` when nothing changed.
 */
export function liveChange(before: CameraConfig | null, after: CameraConfig | null): LiveChange {
  if (!after) return before ? 'remove' : 'none';
  if (!before) return after.enabled ? 'start' : 'config';
  if (before.enabled !== after.enabled) return after.enabled ? 'start' : 'stop';
  if (JSON.stringify(before) === JSON.stringify(after)) return 'none';
  if (after.enabled && JSON.stringify(captureView(before)) !== JSON.stringify(captureView(after)))
    return 'restart';
  return 'config';
}

/**
 * Names of the fields that differ (pure): top-level keys, and `presets.<id>.<key>` / `tours.<id>` inside the
 * lists. Values are never included (the audit must not carry secrets).
 */
export function changedFields(before: CameraConfig | null, after: CameraConfig | null): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (same(a[k], b[k])) continue;
    if (k === 'presets' || k === 'tours') {
      const pa = new Map(((a[k] ?? []) as { id: string }[]).map((p) => [p.id, p as Record<string, unknown>]));
      const pb = new Map(((b[k] ?? []) as { id: string }[]).map((p) => [p.id, p as Record<string, unknown>]));
      for (const id of [...new Set([...pa.keys(), ...pb.keys()])]) {
        const x = pa.get(id);
        const y = pb.get(id);
        if (!x || !y) out.push(`${k}.${id}`);
        else if (k === 'presets') {
          for (const f of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort())
            if (!same(x[f], y[f])) out.push(`presets.${id}.${f}`);
        } else if (!same(x, y)) out.push(`tours.${id}`);
      }
      const ia = [...pa.keys()].filter((id) => pb.has(id));
      const ib = [...pb.keys()].filter((id) => pa.has(id));
      if (!same(ia, ib)) out.push(`${k}.order`);
    } else out.push(k);
  }
  return out;
}

/** The admin view of a stored camera: no password, userinfo of `url` and `detectUrl` redacted. */
export function toAdminCamera(s: StoredCamera, baseDir: string): AdminCamera {
  const { auth, url, detectUrl, ...rest } = s.camera;
  return {
    ...rest,
    url: redactUrl(url),
    ...(detectUrl !== undefined ? { detectUrl: redactUrl(detectUrl) } : {}),
    urlHasCredentials: hasUserinfo(url),
    auth: auth
      ? {
          username: auth.username,
          passwordEnv: auth.passwordEnv ?? null,
          hasPassword: auth.password !== undefined,
        }
      : null,
    file: s.file.startsWith(baseDir + '/') ? s.file.slice(baseDir.length + 1) : s.file,
    version: s.version,
  };
}

/**
 * The URL to store for an edited `url`/`detectUrl`: an input whose userinfo is the redacted `***` (the form shows
 * stored URLs redacted) gets the stored userinfo back when it points at the same server (scheme, host, port), so
 * switching a path (main stream → sub-stream) keeps the credentials. @throws ValidationError when `***` is sent for
 * a different server or for a camera with no stored credentials (they cannot be guessed; type them again).
 */
function keepStoredUserinfo(input: string, stored: string | undefined, path: string[]): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/\*\*\*@/i.test(input)) return input;
  if (stored !== undefined && hasUserinfo(stored) && urlEndpoint(stored) === urlEndpoint(input)) {
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^\s/?#]*)@/i.exec(stored)![1]!;
    return input.replace(
      /^([a-z][a-z0-9+.-]*:\/\/)\*\*\*@/i,
      (_m, scheme: string) => `${scheme}${userinfo}@`,
    );
  }
  throw new ValidationError(
    'invalid body',
    [
      {
        code: 'custom',
        path,
        message:
          stored !== undefined && hasUserinfo(stored)
            ? 'the host changed: type the user name and password again instead of ***'
            : 'no stored credentials to keep: type the user name and password instead of ***',
      },
    ],
    'bad_request',
  );
}

/** Whether `url` reaches the stored camera's server (its `url` or `detectUrl`): stored `auth` may follow it. */
function sameServer(stored: CameraConfig, url: string): boolean {
  const e = urlEndpoint(url);
  return e !== null && [stored.url, stored.detectUrl].some((s) => s !== undefined && urlEndpoint(s) === e);
}

/** 409 for a camera without an ONVIF endpoint asked to move. */
export class NoPtzError extends DispatchError {
  constructor(cameraId: string) {
    super(409, 'no_ptz', `camera ${cameraId} has no onvif endpoint: it cannot move to a preset`);
  }
}

/**
 * Classifies an ffprobe failure for the connection test (pure). `timedOut`: our own overall timeout killed
 * ffprobe; `elapsedMs`: how long it ran. A host that accepts TCP and never answers makes ffprobe give up after
 * its I/O timeout with "Invalid data found", which a real non-RTSP server says at once: the time tells them
 * apart.
 */
export function classifyProbeFailure(message: string, timedOut: boolean, elapsedMs = 0): ConnectionFailure {
  if (/\b401\b|Unauthorized|authori[sz]ation failed/i.test(message)) return 'auth_failed';
  if (/Connection refused/i.test(message)) return 'refused';
  if (/\b404\b|Not Found|No such file/i.test(message)) return 'not_found';
  if (timedOut || /timed? ?out/i.test(message)) return 'timeout';
  if (/Invalid data found/i.test(message) && elapsedMs >= PROBE_IO_TIMEOUT_MS * 0.9) return 'timeout';
  if (/Invalid data found|\b400\b|Bad Request|not an RTSP|Protocol not found/i.test(message))
    return 'not_rtsp';
  if (/no video stream/i.test(message)) return 'no_video';
  return 'error';
}

/** Camera administration service. */
export class CameraAdminService {
  constructor(private readonly deps: CameraAdminDeps) {}

  private get env() {
    return this.deps.env ?? process.env;
  }

  private toRuntime(c: CameraConfig): CameraConfig {
    return this.deps.toRuntime ? this.deps.toRuntime(c) : c;
  }

  /** Every camera, admin view. */
  list(): AdminCamera[] {
    return this.deps.repo.list().map((s) => toAdminCamera(s, this.deps.repo.dir));
  }

  /** @throws NotFoundError */
  get(id: string): AdminCamera {
    return toAdminCamera(this.stored(id), this.deps.repo.dir);
  }

  private stored(id: string): StoredCamera {
    const s = this.deps.repo.get(id);
    if (!s) throw new NotFoundError(`camera ${id}`);
    return s;
  }

  /**
   * Turns the form's input into a camera config: credentials not retyped keep the stored secret, a redacted
   * URL keeps the stored userinfo. @throws ValidationError with the issue paths of the camera.
   */
  private resolveInput(input: CameraInputData, stored: CameraConfig | null): CameraConfig {
    // `auth: null` (what the API answers for a camera without credentials) means "none": never pass it on.
    const { auth: _input, ...fields } = input;
    const url = keepStoredUserinfo(input.url, stored?.url, ['url']);
    const detectUrl =
      input.detectUrl !== undefined
        ? keepStoredUserinfo(input.detectUrl, stored?.detectUrl, ['detectUrl'])
        : undefined;
    let auth: CameraConfig['auth'];
    if (input.auth) {
      const a = input.auth;
      if (a.password !== undefined) auth = { username: a.username, password: a.password };
      else if (a.passwordEnv !== undefined) auth = { username: a.username, passwordEnv: a.passwordEnv };
      else if (stored?.auth && !sameServer(stored, url))
        throw new ValidationError(
          'invalid body',
          [
            {
              code: 'custom',
              path: ['auth', 'password'],
              message: 'the camera host changed: give the password (or passwordEnv) again',
            },
          ],
          'bad_request',
        );
      else if (stored?.auth)
        auth =
          stored.auth.password !== undefined
            ? { username: a.username, password: stored.auth.password }
            : { username: a.username, passwordEnv: stored.auth.passwordEnv! };
      else
        throw new ValidationError(
          'invalid body',
          [{ code: 'custom', path: ['auth', 'password'], message: 'give a password or passwordEnv' }],
          'bad_request',
        );
    }
    return this.validCamera({
      ...fields,
      url,
      ...(detectUrl !== undefined ? { detectUrl } : {}),
      ...(auth ? { auth } : {}),
    });
  }

  private validCamera(c: unknown): CameraConfig {
    const r = CameraConfig.safeParse(c);
    if (!r.success) throw new ValidationError('invalid camera', r.error.issues, 'bad_request');
    // Undefined optional keys would be dropped by the YAML writer anyway; keep objects clean for diffs.
    return JSON.parse(JSON.stringify(r.data)) as CameraConfig;
  }

  /** Adds a camera and starts its worker. @throws ConfigConflictError (id taken), ValidationError, ConfigError. */
  async create(actor: Actor, input: CameraInputData): Promise<AdminCamera> {
    const cam = this.resolveInput(input, null);
    const s = await this.deps.repo.create(cam);
    await this.record(actor, 'camera.create', null, s.camera, { file: s.file });
    await this.applyLive(null, s.camera);
    return toAdminCamera(s, this.deps.repo.dir);
  }

  /** Replaces a camera (id cannot change). @throws NotFoundError, ConfigConflictError, ValidationError. */
  async update(actor: Actor, id: string, version: string, input: CameraInputData): Promise<AdminCamera> {
    if (input.id !== id)
      throw new ValidationError(
        'invalid body',
        [
          {
            code: 'custom',
            path: ['id'],
            message: 'the camera id cannot be changed (delete and add instead)',
          },
        ],
        'bad_request',
      );
    return this.change(actor, id, version, (cur) => this.resolveInput(input, cur));
  }

  /** Removes a camera and stops its worker. */
  async remove(actor: Actor, id: string, version: string): Promise<void> {
    this.stored(id);
    const before = await this.deps.repo.delete(id, version);
    await this.record(actor, 'camera.delete', before.camera, null, { file: before.file });
    await this.applyLive(before.camera, null);
  }

  /** Creates or replaces one preset. */
  updatePreset(
    actor: Actor,
    id: string,
    version: string,
    presetId: string,
    preset: PresetConfig,
  ): Promise<AdminCamera> {
    if (preset.id !== presetId)
      throw new ValidationError(
        'invalid body',
        [{ code: 'custom', path: ['id'], message: 'the preset id cannot be changed' }],
        'bad_request',
      );
    return this.change(actor, id, version, (cur) => {
      const i = cur.presets.findIndex((p) => p.id === presetId);
      const presets = i < 0 ? [...cur.presets, preset] : cur.presets.map((p, j) => (j === i ? preset : p));
      return this.validCamera({ ...cur, presets });
    });
  }

  /** Deletes one preset (a tour still naming it is a validation error). */
  deletePreset(actor: Actor, id: string, version: string, presetId: string): Promise<AdminCamera> {
    return this.change(actor, id, version, (cur) => {
      if (!cur.presets.some((p) => p.id === presetId)) throw new NotFoundError(`preset ${presetId}`);
      return this.validCamera({ ...cur, presets: cur.presets.filter((p) => p.id !== presetId) });
    });
  }

  /** Analysis settings of the camera's own view (frames without a preset). */
  updateView(actor: Actor, id: string, version: string, view: ViewInputData): Promise<AdminCamera> {
    return this.change(actor, id, version, (cur) => {
      const { roi: _roi, masks: _m, sensitivity: _s, ...rest } = cur;
      return this.validCamera({
        ...rest,
        detectors: view.detectors,
        ...(view.masks.length > 0 ? { masks: view.masks } : {}),
        ...(view.roi && view.roi.length > 0 ? { roi: view.roi } : {}),
        ...(view.sensitivity !== 0.5 ? { sensitivity: view.sensitivity } : {}),
      });
    });
  }

  /** Replaces the camera's patrol tours. */
  updateTours(actor: Actor, id: string, version: string, tours: TourConfig[]): Promise<AdminCamera> {
    return this.change(actor, id, version, (cur) => this.validCamera({ ...cur, tours }));
  }

  private async change(
    actor: Actor,
    id: string,
    version: string,
    fn: (cur: CameraConfig) => CameraConfig,
  ): Promise<AdminCamera> {
    this.stored(id);
    const { before, after } = await this.deps.repo.update(id, version, fn);
    await this.record(actor, 'camera.update', before.camera, after.camera, { file: after.file });
    await this.applyLive(before.camera, after.camera);
    return toAdminCamera(after, this.deps.repo.dir);
  }

  private async record(
    actor: Actor,
    action: string,
    before: CameraConfig | null,
    after: CameraConfig | null,
    extra: Record<string, unknown>,
  ): Promise<void> {
    const cameraId = (after ?? before)!.id;
    const changed = changedFields(before, after);
    const file = typeof extra['file'] === 'string' ? extra['file'] : '';
    const rel = file.startsWith(this.deps.repo.dir + '/') ? file.slice(this.deps.repo.dir.length + 1) : file;
    try {
      await this.deps.audit({ actor, action, cameraId, details: { ...extra, file: rel, changed } });
    } catch (e) {
      // The file is already written: say so loudly rather than fail the request.
      this.deps.log.error(
        { cameraId, action, err: (e as Error).message },
        'cannot write the audit record of an admin change',
      );
    }
    this.deps.log.info({ cameraId, action, changed, actorId: actor.userId }, 'camera configuration changed');
  }

  /** Applies a stored change to the running pipeline (see {@link liveChange}). Never throws. */
  private async applyLive(before: CameraConfig | null, after: CameraConfig | null): Promise<void> {
    const kind = liveChange(before, after);
    const id = (after ?? before)!.id;
    const rt = this.deps.runtime;
    try {
      if (after) {
        const types = [...new Set([...after.detectors, ...after.presets.flatMap((p) => p.detectors ?? [])])];
        const missing = types.filter((t) => !this.deps.detectors.has(t));
        if (missing.length > 0 && this.deps.ensureDetectors) await this.deps.ensureDetectors(missing);
      }
      switch (kind) {
        case 'none':
          return;
        case 'config':
          rt.set(this.toRuntime(after!));
          break;
        case 'start':
          rt.set(this.toRuntime(after!));
          rt.startWorker(this.toRuntime(after!));
          break;
        case 'stop':
          await rt.stopWorker(id);
          rt.set(this.toRuntime(after!));
          break;
        case 'restart':
          await rt.stopWorker(id);
          rt.set(this.toRuntime(after!));
          rt.startWorker(this.toRuntime(after!));
          break;
        case 'remove':
          await rt.stopWorker(id);
          rt.remove(id);
          break;
      }
      this.deps.log.info({ cameraId: id, change: kind }, 'camera change applied live');
    } catch (e) {
      this.deps.log.error(
        { cameraId: id, change: kind, err: (e as Error).message },
        'cannot apply camera change live',
      );
    }
  }

  /**
   * Probes a stream with ffprobe (timeout {@link CameraAdminDeps.probeTimeoutMs}) and says what it found or
   * why it failed. Never throws for a camera-side problem; the message never contains credentials.
   */
  async testConnection(body: TestConnectionData): Promise<TestConnectionResult> {
    const t0 = this.deps.clock.now();
    const ms = () => this.deps.clock.now() - t0;
    const stored = body.cameraId ? (this.deps.repo.get(body.cameraId)?.camera ?? null) : null;
    let url = body.url;
    if (stored) {
      for (const s of [stored.url, stored.detectUrl]) {
        if (s !== undefined && hasUserinfo(s) && url === redactUrl(s)) url = s;
      }
    }
    if (!/^rtsps?:\/\/[^/\s]+/i.test(url))
      return {
        ok: false,
        reason: 'not_rtsp',
        message: 'the URL must start with rtsp:// or rtsps:// and name a host',
        ms: ms(),
      };
    let auth: CameraConfig['auth'];
    if (body.auth) {
      const a = body.auth;
      if (a.password !== undefined) auth = { username: a.username, password: a.password };
      else if (a.passwordEnv !== undefined) auth = { username: a.username, passwordEnv: a.passwordEnv };
      else if (stored?.auth && sameServer(stored, url)) auth = { ...stored.auth, username: a.username };
      else if (stored?.auth)
        return {
          ok: false,
          reason: 'missing_secret',
          message: 'this URL is not the camera’s stored host: type the password to test it',
          ms: ms(),
        };
    }
    let full: string;
    try {
      full = resolveCameraUrl(
        this.toRuntime({
          ...(stored ?? ({} as CameraConfig)),
          id: body.cameraId ?? 'test',
          url,
          ...(auth ? { auth } : { auth: undefined }),
        }),
        this.env,
      );
    } catch (e) {
      return { ok: false, reason: 'missing_secret', message: (e as Error).message, ms: ms() };
    }
    const timeoutMs = this.deps.probeTimeoutMs ?? 25_000;
    // A stream that answers nothing within ffprobe's I/O timeout gets one more try while the overall budget
    // allows it: a camera (or RTSP server) busy setting up its media pipeline often answers the second DESCRIBE.
    for (let attempt = 1; ; attempt++) {
      const left = timeoutMs - ms();
      try {
        const p = await this.deps.probe(full, this.deps.probeSeconds ?? 4, left);
        return { ok: true, codec: p.codec, width: p.width, height: p.height, gopMs: p.gopMs, ms: ms() };
      } catch (e) {
        const message = redactUrl((e as Error).message).slice(0, 500);
        const elapsed = ms();
        const attemptMs = elapsed - (timeoutMs - left);
        const reason = classifyProbeFailure(message, elapsed >= timeoutMs - 250, attemptMs);
        const retry = attempt === 1 && reason === 'timeout' && timeoutMs - elapsed > attemptMs + 1000;
        if (!retry) return { ok: false, reason, message, ms: elapsed };
        this.deps.log.info(
          { cameraId: body.cameraId ?? null, err: message },
          'connection test: no answer, retrying once',
        );
      }
    }
  }

  /**
   * Moves a PTZ camera to a preset (ONVIF). A running patrol tour moves it on at its next step.
   * @throws NotFoundError; NoPtzError (409) without `onvif`; DispatchError 502 `ptz_failed` when the camera fails.
   */
  async gotoPreset(actor: Actor, id: string, presetId: string): Promise<void> {
    const cam = this.stored(id).camera;
    const preset = cam.presets.find((p) => p.id === presetId);
    if (!preset) throw new NotFoundError(`preset ${presetId}`);
    if (!cam.onvif) throw new NoPtzError(id);
    let ptz: PtzController | null = null;
    try {
      ptz = await this.deps.connectPtz(cam);
      await ptz.gotoPreset(preset, 10_000);
    } catch (e) {
      const kind = e instanceof PtzError ? e.kind : 'error';
      const message = redactUrl(e instanceof Error ? e.message : String(e));
      this.deps.log.warn({ cameraId: id, presetId, kind, err: message }, 'admin PTZ move failed');
      throw new DispatchError(502, 'ptz_failed', message, { kind });
    } finally {
      ptz?.close();
    }
    await this.deps
      .audit({ actor, action: 'camera.ptz_goto', cameraId: id, details: { presetId } })
      .catch((e: unknown) =>
        this.deps.log.error({ cameraId: id, err: (e as Error).message }, 'cannot audit PTZ move'),
      );
  }

  /** The camera's latest frame as JPEG. @throws NotFoundError (camera, or no frame yet: `no_frame`). */
  async frameJpeg(
    id: string,
  ): Promise<{ jpeg: Buffer; capturedAt: string; presetId: string | null; width: number; height: number }> {
    this.stored(id);
    const f = this.deps.runtime.lastFrame(id);
    if (!f)
      throw new DispatchError(
        404,
        'no_frame',
        `camera ${id} has delivered no frame yet (offline, disabled or starting)`,
      );
    return {
      jpeg: await this.deps.encodeJpeg(f.image),
      capturedAt: iso(f.capturedAt),
      presetId: f.presetId,
      // the JPEG's own size: a frame stretched by capture is shown at its display size
      width: shownSize(f.image).width,
      height: shownSize(f.image).height,
    };
  }

  /**
   * Runs the detectors on the camera's latest frame with the given (possibly unsaved) preset settings, the
   * way the detect loop would ({@link framePlan}, {@link thresholdsFor}); boxes normalised to 0..1.
   * @throws NotFoundError (camera, preset, or `no_frame`).
   */
  async detect(id: string, body: DetectData): Promise<DetectResult> {
    const cam = this.stored(id).camera;
    const f = this.deps.runtime.lastFrame(id);
    if (!f)
      throw new DispatchError(
        404,
        'no_frame',
        `camera ${id} has delivered no frame yet (offline, disabled or starting)`,
      );
    let trial: CameraConfig;
    if (body.presetId === null) {
      trial = {
        ...cam,
        masks: body.masks,
        ...(body.roi ? { roi: body.roi } : { roi: undefined }),
        sensitivity: body.sensitivity,
        detectors: body.detectors ?? cam.detectors,
      };
    } else {
      const p = cam.presets.find((x) => x.id === body.presetId);
      if (!p) throw new NotFoundError(`preset ${body.presetId}`);
      const np: PresetConfig = {
        ...p,
        masks: body.masks,
        sensitivity: body.sensitivity,
        ...(body.roi ? { roi: body.roi } : { roi: undefined }),
        ...(body.detectors ? { detectors: body.detectors } : {}),
      };
      trial = { ...cam, presets: cam.presets.map((x) => (x.id === p.id ? np : x)) };
    }
    const plan = framePlan(trial, body.presetId);
    const missing = plan.types.filter((t) => !this.deps.detectors.has(t));
    if (missing.length > 0 && this.deps.ensureDetectors) await this.deps.ensureDetectors(missing);
    const byDetector = new Map<Detector, DetectionType[]>();
    for (const type of plan.types) {
      const det = this.deps.detectors.get(type);
      if (det) byDetector.set(det, [...(byDetector.get(det) ?? []), type]);
    }
    const W = f.image.width;
    const H = f.image.height;
    const detections: AdminDetection[] = [];
    for (const [det, types] of byDetector) {
      const th = thresholdsFor(det.spec.threshold ?? 0.5, plan.sensitivity);
      const r = await det.detect(f.image, { threshold: th.keep, masks: plan.masks, roi: plan.roi });
      for (const d of r.detections) {
        const type = d.type ?? det.spec.type;
        if (!types.includes(type)) continue;
        detections.push({
          type,
          score: d.score,
          box: { x: d.box.x / W, y: d.box.y / H, w: d.box.w / W, h: d.box.h / H },
          opens: d.score >= th.enter,
        });
      }
    }
    return {
      capturedAt: iso(f.capturedAt),
      framePresetId: f.presetId,
      // boxes are normalised; the size reported is the one people see (a stretched frame's display size)
      width: shownSize(f.image).width,
      height: shownSize(f.image).height,
      detections,
      missingModels: plan.types.filter((t) => !this.deps.detectors.has(t)),
    };
  }
}
