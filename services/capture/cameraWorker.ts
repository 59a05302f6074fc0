/**
 * The IO loop of one camera: runs the sampling ffmpeg, parses its frames, restarts it on exit or stall.
 *
 * Rules (pure parts live in ffmpegArgs.ts, ppmStream.ts, supervision.ts):
 * - any ffmpeg exit, code 0 included, is a failure (an RTSP client exits 0 when the server goes away);
 * - a frame watchdog restarts ffmpeg after `stallTimeoutS` without a frame;
 * - restarts back off exponentially with jitter; the attempt counter resets after a frame arrives;
 * - one camera's failures never touch another camera: each worker has its own process and timers.
 */
import type { SupervisedChild } from './processes.ts';
import type { CameraStatus } from '../schemas/api.ts';
import type { CameraConfig } from '../schemas/config.ts';
import type { Clock } from '../util/clock.ts';
import { redactUrl, type Logger } from '../util/logger.ts';
import { resolveCameraUrl } from './cameraUrl.ts';
import { buildCaptureArgs, captureFrameSize, type DecodeMode, type FrameNeed } from './ffmpegArgs.ts';
import { isFlatFrame, updateBadRatio } from './frameQuality.ts';
import { Patrol } from './patrol.ts';
import { chooseDecodeMode, explainProbeFailure, probeStream, type StreamProbe } from './probe.ts';
import type { PtzController } from './ptz.ts';
import { PpmStreamParser, type RgbImage } from './ppmStream.ts';
import { spawnSupervised, stopChild } from './processes.ts';
import type { CodedKeyframe } from './rtsp/depay.ts';
import { KeyframeCapture } from './rtsp/keyframeCapture.ts';
import {
  autoReceiver,
  backoffDelay,
  classifyFailure,
  DEFAULT_BACKOFF,
  type BackoffPolicy,
} from './supervision.ts';

/** One sampled frame: the unit that flows through detect → track → alert. */
export interface SampledFrame {
  cameraId: string;
  /** PTZ preset the camera was on, or null for a fixed camera / unknown preset. */
  presetId: string | null;
  /** Server-side UTC time the frame was received (its last byte read from ffmpeg), epoch ms. */
  capturedAt: number;
  /**
   * Time from the frame's first byte on ffmpeg's pipe to its last, ms: a 1080p RGB frame crosses the 64 KiB
   * pipe in ~20 reads, each waiting for the event loop, so this grows when the main thread or the CPU is
   * overloaded (BENCHMARKS.md §2). Absent for frames not read from a pipe.
   */
  readMs?: number;
  /** Per-camera sequence number, from 1. */
  seq: number;
  image: RgbImage;
  /**
   * The keyframe this frame was decoded from (Annex B, parameter sets first), when the built-in RTSP client
   * captured it: evidence clips are muxed from these without re-encoding. Absent for ffmpeg capture.
   */
  coded?: CodedKeyframe;
}

export interface WorkerStatus {
  status: CameraStatus;
  since: number;
  lastFrameAt: number | null;
  /** Frames delivered to the detect stage. */
  framesSampled: number;
  /** Flat frames dropped before detection. */
  framesCorrupt: number;
  /** Frames not analysed while the PTZ moved/settled or was faulted. */
  framesSkippedPtz: number;
  presetId: string | null;
  restarts: number;
  lastError: string | null;
  decodeMode: DecodeMode | null;
  /**
   * What receives the stream: `builtin` (TowerWatch's RTSP client + a keyframe decoder, rtsp/), `ffmpeg` (one
   * ffmpeg receiving and decoding); null before the first start.
   */
  receiver: 'builtin' | 'ffmpeg' | null;
  /** Sampled keyframes the built-in receiver did not decode because its decoder was still busy (backlog). */
  keyframesDropped: number;
  codec: string | null;
  gopMs: number | null;
  /** Stream size from the probe, px; null until probed (or when no probe was needed). */
  nativeSize: { width: number; height: number } | null;
  /** Size of the frames ffmpeg outputs (scaled inside ffmpeg), px; null = native size. */
  outputSize: { width: number; height: number } | null;
  /**
   * Size people see the frames at when ffmpeg stretched them to a model's input (`RgbImage.display`), px;
   * null when the output keeps the camera's aspect.
   */
  displaySize: { width: number; height: number } | null;
}

export interface CameraWorkerDeps {
  clock: Clock;
  log: Logger;
  /** Called for each frame; must not throw. */
  onFrame: (f: SampledFrame) => void;
  onStatus: (s: WorkerStatus) => void;
  ffmpegPath?: string;
  /** Stream prober (ffprobe adapter by default; injected in tests). */
  probe?: (url: string, durationS: number, timeoutMs: number) => Promise<StreamProbe>;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** PTZ connection factory; with it, a camera with `tours` runs its patrol. */
  connectPtz?: () => Promise<PtzController>;
  /**
   * What the camera's enabled detectors need from its frames (one entry per model, all presets). When no
   * model needs native scale, the stream is probed once for its size and ffmpeg outputs the smallest frames
   * covering every model input, or exactly a stretch model's input ({@link captureFrameSize}). Absent or
   * empty: native-size frames.
   */
  frameNeeds?: readonly FrameNeed[];
}

export class CameraWorker {
  private child: SupervisedChild | null = null;
  private capture: KeyframeCapture | null = null;
  /** Why the built-in client cannot read this stream (then ffmpeg receives it); null while it can. */
  private builtinUnsupported: string | null = null;
  /** `auto` cameras: built-in client failures since its last frame ({@link autoReceiver}). */
  private builtinFailures = 0;
  private stopped = true;
  private attempt = 0;
  private seq = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private state: WorkerStatus;
  private badHistory: boolean[] = [];
  private degraded = false;
  /** Bumped by stop(): async steps of an older launch see the change and give up. */
  private generation = 0;
  private patrol: Patrol | null = null;
  private ptzFault: string | null = null;

  constructor(
    readonly camera: CameraConfig,
    private readonly deps: CameraWorkerDeps,
  ) {
    this.state = {
      status: 'starting',
      since: deps.clock.now(),
      lastFrameAt: null,
      framesSampled: 0,
      framesCorrupt: 0,
      framesSkippedPtz: 0,
      presetId: camera.presets[0]?.id ?? null,
      restarts: 0,
      lastError: null,
      decodeMode: camera.decodeMode === 'auto' ? null : camera.decodeMode,
      receiver: null,
      keyframesDropped: 0,
      codec: null,
      gopMs: null,
      nativeSize: null,
      outputSize: null,
      displaySize: null,
    };
  }

  get status(): WorkerStatus {
    return { ...this.state };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.camera.tours.length > 0 && this.deps.connectPtz) {
      this.patrol = new Patrol(this.camera, {
        clock: this.deps.clock,
        log: this.deps.log,
        connect: this.deps.connectPtz,
        onFault: (f) => {
          this.ptzFault = f?.message ?? null;
          if (this.state.lastFrameAt !== null && (this.child || this.capture)) this.refreshOnlineStatus();
        },
      });
      this.patrol.start();
    }
    this.setStatus('starting', null);
    void this.launch();
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL) and all timers. Resolves once the process has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    const patrol = this.patrol;
    this.patrol = null;
    await patrol?.stop();
    const c = this.child;
    this.child = null;
    const cap = this.capture;
    this.capture = null;
    await Promise.all([c ? stopChild(c) : undefined, cap?.stop()]);
  }

  /**
   * Resolves the URL, probes the stream when the decode mode is `auto` and not yet known (codec, size, GOP),
   * then spawns the sampling ffmpeg. Probe failures are classified like ffmpeg failures (auth_failed/offline).
   */
  private async launch(): Promise<void> {
    const gen = this.generation;
    let url: string;
    try {
      url = resolveCameraUrl(this.camera, process.env, 'detect');
    } catch (e) {
      this.setStatus('offline', (e as Error).message);
      this.scheduleRestart();
      return;
    }
    const needs = this.deps.frameNeeds ?? [];
    const sizeMatters = needs.length > 0 && !needs.some((n) => n.nativeScale);
    if (this.state.decodeMode === null || (sizeMatters && this.state.nativeSize === null)) {
      const probe = this.deps.probe ?? probeStream;
      // Long enough to see at least two keyframes of a GOP up to 2× the sampling interval (decode mode
      // auto); 2 s is plenty for codec and size alone.
      const durationS =
        this.state.decodeMode === null
          ? Math.max(5, Math.ceil((2 * this.camera.sampleIntervalMs) / 1000) + 2)
          : 2;
      const probeStart = this.deps.clock.now();
      try {
        const p = await probe(url, durationS, this.camera.stallTimeoutS * 1000 + 15_000);
        if (gen !== this.generation || this.stopped) return;
        this.state.codec = p.codec;
        if (this.state.decodeMode === null) {
          this.state.gopMs = p.gopMs;
          this.state.decodeMode = chooseDecodeMode(p.gopMs, this.camera.sampleIntervalMs);
        }
        this.state.nativeSize = p.width > 0 && p.height > 0 ? { width: p.width, height: p.height } : null;
        const size = captureFrameSize(this.state.nativeSize, needs);
        this.state.outputSize = size.output;
        this.state.displaySize = size.display;
        this.deps.log.info(
          {
            codec: p.codec,
            width: p.width,
            height: p.height,
            gopMs: p.gopMs,
            decodeMode: this.state.decodeMode,
            outputSize: this.state.outputSize,
            displaySize: this.state.displaySize,
          },
          'stream probed',
        );
      } catch (e) {
        if (gen !== this.generation || this.stopped) return;
        const msg = redactUrl((e as Error).message);
        this.setStatus(
          classifyFailure(msg) === 'auth_failed' ? 'auth_failed' : 'offline',
          `probe failed: ${explainProbeFailure(msg, this.deps.clock.now() - probeStart)}`,
        );
        this.scheduleRestart();
        return;
      }
    }
    const mode = this.state.decodeMode ?? 'all';
    if (this.useBuiltin(url, mode)) this.startBuiltin(url);
    else this.spawn(url, mode);
  }

  /**
   * The built-in RTSP client receives the stream when the camera allows it (`rtspClient` not `ffmpeg`), the
   * URL is plain `rtsp://`, frames are sampled from keyframes only, the codec is H.264/H.265 (or not probed)
   * and the client has not found the stream unsupported before.
   */
  private useBuiltin(url: string, mode: DecodeMode): boolean {
    const codec = this.state.codec;
    return (
      this.camera.rtspClient !== 'ffmpeg' &&
      this.builtinUnsupported === null &&
      (this.camera.rtspClient === 'builtin' || autoReceiver(this.builtinFailures) === 'builtin') &&
      /^rtsp:\/\//i.test(url) &&
      mode === 'keyframes' &&
      (codec === null || codec === 'h264' || codec === 'hevc')
    );
  }

  private startBuiltin(url: string): void {
    this.state.receiver = 'builtin';
    const cap: KeyframeCapture = new KeyframeCapture({
      url,
      sampleIntervalMs: this.camera.sampleIntervalMs,
      timeoutMs: Math.min(this.camera.stallTimeoutS * 1000, 5000),
      outputSize: this.state.outputSize ?? undefined,
      ...(this.deps.ffmpegPath ? { ffmpegPath: this.deps.ffmpegPath } : {}),
      now: () => this.deps.clock.now(),
      onFrame: (image, readMs, coded) => {
        this.state.keyframesDropped = cap.dropped;
        this.frame(image, readMs, coded);
      },
      onEnd: (reason, kind) => {
        if (this.capture !== cap) return; // stopped or replaced
        this.capture = null;
        this.clearWatchdog();
        if (this.stopped) return;
        const why = redactUrl(reason);
        if (kind === 'unsupported' && this.camera.rtspClient === 'auto') {
          // Not a camera failure: this stream needs ffmpeg (another codec, UDP only, an auth scheme...).
          this.builtinUnsupported = why;
          this.deps.log.warn(
            { reason: why },
            'built-in RTSP client cannot read this stream; ffmpeg receives it',
          );
          void this.launch();
          return;
        }
        // A server that refuses or cannot be reached is down for ffmpeg too: only failures after connecting
        // count toward trying ffmpeg (a dead camera or a restarting RTSP server must not switch receivers).
        if (kind !== 'auth' && kind !== 'connect') this.builtinFailures++;
        const next =
          kind === 'auth' ? 'auth_failed' : this.state.status === 'stalled' ? 'stalled' : 'offline';
        this.setStatus(next, why);
        this.scheduleRestart();
      },
    });
    this.capture = cap;
    cap.start();
    this.armWatchdog();
  }

  private spawn(url: string, decodeMode: DecodeMode): void {
    this.state.receiver = 'ffmpeg';
    const args = buildCaptureArgs({
      url,
      sampleIntervalMs: this.camera.sampleIntervalMs,
      decodeMode,
      ioTimeoutMs: Math.min(this.camera.stallTimeoutS * 1000, 5000),
      outputSize: this.state.outputSize ?? undefined,
    });
    const child = spawnSupervised(this.deps.ffmpegPath ?? 'ffmpeg', args);
    this.child = child;
    const parser = new PpmStreamParser();
    let stderr = '';
    /** When the first byte of the frame being read arrived, epoch ms (null between frames). */
    let frameStartAt: number | null = null;
    child.stdout?.on('data', (chunk: Buffer) => {
      const now = this.deps.clock.now();
      frameStartAt ??= now;
      let frames: RgbImage[];
      try {
        frames = parser.push(chunk);
      } catch (e) {
        this.deps.log.error({ err: (e as Error).message }, 'bad frame stream from ffmpeg; restarting');
        void stopChild(child);
        return;
      }
      if (frames.length === 0) return;
      const readMs = now - frameStartAt;
      // A chunk that completes a frame may also start the next one.
      frameStartAt = parser.pending > 0 ? now : null;
      frames.forEach((image, i) => this.frame(image, i === 0 ? readMs : 0));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.once('error', (e) => {
      this.deps.log.error({ err: redactUrl(e.message) }, 'cannot start ffmpeg');
    });
    child.once('close', (code, signal) => {
      if (this.child !== child) return; // stopped or replaced
      this.child = null;
      this.clearWatchdog();
      if (this.stopped) return;
      const reason =
        redactUrl(stderr.trim().split('\n').slice(-2).join(' | ')) ||
        `ffmpeg exited (code ${code}, signal ${signal})`;
      const kind = classifyFailure(stderr);
      if (this.ffmpegTrial()) this.builtinFailures = 0;
      const next =
        kind === 'auth_failed' ? 'auth_failed' : this.state.status === 'stalled' ? 'stalled' : 'offline';
      this.setStatus(next, reason);
      this.scheduleRestart();
    });
    this.armWatchdog();
  }

  /** An `auto` camera running ffmpeg because the built-in client kept failing (not because it is unsupported). */
  private ffmpegTrial(): boolean {
    return (
      this.camera.rtspClient === 'auto' &&
      this.builtinUnsupported === null &&
      this.state.receiver === 'ffmpeg' &&
      autoReceiver(this.builtinFailures) === 'ffmpeg'
    );
  }

  private frame(image: RgbImage, readMs: number, coded?: CodedKeyframe): void {
    const now = this.deps.clock.now();
    this.attempt = 0;
    if (this.ffmpegTrial()) {
      // ffmpeg reads what the built-in client could not: keep ffmpeg for this camera.
      this.builtinUnsupported = `the built-in RTSP client failed ${this.builtinFailures} times in a row (last: ${this.state.lastError ?? 'no frame'}); ffmpeg delivered frames`;
      this.deps.log.warn({ reason: this.builtinUnsupported }, 'ffmpeg receives this stream from now on');
    }
    if (this.state.receiver === 'builtin') this.builtinFailures = 0;
    this.state.lastFrameAt = now;
    this.armWatchdog();
    const flat = isFlatFrame(image);
    const q = updateBadRatio(this.badHistory, flat);
    this.badHistory = q.history;
    this.degraded = q.degraded;
    this.refreshOnlineStatus();
    if (flat) {
      this.state.framesCorrupt++;
      return;
    }
    let presetId = this.state.presetId;
    if (this.patrol) {
      const tag = this.patrol.tag(image);
      this.state.presetId = tag ?? null;
      if (tag === undefined) {
        this.state.framesSkippedPtz++;
        return;
      }
      presetId = tag;
    }
    this.state.framesSampled++;
    this.deps.onFrame({
      cameraId: this.camera.id,
      presetId,
      capturedAt: now,
      readMs,
      seq: ++this.seq,
      image: this.withDisplay(image),
      ...(coded ? { coded } : {}),
    });
  }

  /** Marks a stretched frame with the size people see it at (only when it has the size that was asked for). */
  private withDisplay(image: RgbImage): RgbImage {
    const out = this.state.outputSize;
    const display = this.state.displaySize;
    if (!display || !out || image.width !== out.width || image.height !== out.height) return image;
    image.display = display;
    return image;
  }

  /** Status while frames flow: PTZ fault > degraded > online. */
  private refreshOnlineStatus(): void {
    const next = this.ptzFault ? 'ptz_fault' : this.degraded ? 'degraded' : 'online';
    const why = this.ptzFault ?? (this.degraded ? 'most recent frames are flat (grey/black/green)' : null);
    if (this.state.status !== next) this.setStatus(next, why);
  }

  /** Restart when no frame arrives for stallTimeoutS (the first frame may take longer: RTSP setup + GOP). */
  private armWatchdog(): void {
    this.clearWatchdog();
    // The first frame may take RTSP setup (~10 s on some servers) plus up to one GOP before a keyframe.
    const first =
      this.state.lastFrameAt === null || !['online', 'degraded', 'ptz_fault'].includes(this.state.status);
    const gop = this.state.gopMs ?? 0;
    const ms =
      this.camera.stallTimeoutS * 1000 +
      (first ? 10_000 + gop : 0) +
      Math.max(this.camera.sampleIntervalMs, this.state.decodeMode === 'keyframes' ? gop : 0);
    this.watchdog = setTimeout(() => {
      const c = this.child;
      const cap = this.capture;
      if ((!c && !cap) || this.stopped) return;
      this.deps.log.warn(
        { timeoutMs: ms, receiver: this.state.receiver },
        'no frame within the stall timeout; restarting capture',
      );
      const s = this.state.status;
      this.setStatus(
        s === 'online' || s === 'degraded' || s === 'ptz_fault'
          ? 'stalled'
          : this.state.status === 'starting'
            ? 'offline'
            : this.state.status,
        'no frame within stall timeout',
      );
      if (c) void stopChild(c, 1000);
      else if (cap) {
        // Stopping the built-in capture reports nothing: schedule its restart here.
        this.builtinFailures++;
        this.capture = null;
        void cap.stop();
        this.scheduleRestart();
      }
    }, ms);
    this.watchdog.unref();
  }

  private scheduleRestart(): void {
    const delay = backoffDelay(
      this.attempt++,
      this.deps.backoff ?? DEFAULT_BACKOFF,
      (this.deps.random ?? Math.random)(),
    );
    this.state.restarts++;
    this.deps.log.info({ delayMs: delay, attempt: this.attempt }, 'restarting ffmpeg after backoff');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopped) void this.launch();
    }, delay);
  }

  private setStatus(status: CameraStatus, error: string | null): void {
    if (error !== null) this.state.lastError = error;
    if (status === this.state.status && error === null) return;
    const changed = status !== this.state.status;
    if (changed) {
      this.state.status = status;
      this.state.since = this.deps.clock.now();
      // A camera that stops delivering frames is an operational fault (warn, as Frigate logs a dead stream);
      // starting, online and an admin's disable are routine (info).
      const fault = status !== 'starting' && status !== 'online' && status !== 'disabled';
      this.deps.log[fault ? 'warn' : 'info']({ status, error }, 'camera status');
      this.deps.onStatus(this.status);
    }
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private clearTimers(): void {
    this.clearWatchdog();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}
