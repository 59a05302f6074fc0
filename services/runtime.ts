/**
 * Composition root: wires config, store, models, demo RTSP server, camera workers, alert service and the
 * HTTP/socket server. `startTowerWatch` is what `npm start` runs and what medium/e2e tests start in-process.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createApp } from './api/app.ts';
import { createCameraAdmin } from './admin/index.ts';
import type { SampledFrame } from './capture/cameraWorker.ts';
import { LiveViewHub } from './live/liveView.ts';
import { CameraWorker, type WorkerStatus } from './capture/cameraWorker.ts';
import { acquireSpawnHost, killAllChildrenSync } from './capture/processes.ts';
import { connectOnvifPtz } from './capture/ptz.ts';
import { loadConfigDir } from './config/loadConfig.ts';
import { startDemoRtspServer, type DemoRtspServer } from './demo/demoRtspServer.ts';
import { DetectLoop, frameNeedsFor, type Detector } from './detect/detectLoop.ts';
import { loadDispatchConfig } from './dispatch/config.ts';
import {
  fetchTransport,
  mqttPublisher,
  OutboxDelivery,
  outboundMessages,
  type OutboundConfig,
  type OutboundTransport,
} from './dispatch/outbound.ts';
import { createDispatch, hasSession, socketRoomsFromCookie, type Dispatch } from './dispatch/index.ts';
import type { DispatchRepository } from './dispatch/repository.ts';
import type { CaseEvent } from './dispatch/schemas.ts';
import { sweepEvidence } from './dispatch/retention.ts';
import { pgDispatchRepository } from './dispatch/pgRepository.ts';
import { sqliteDispatchRepository } from './dispatch/sqliteRepository.ts';
import { DetectorPool } from './detect/detectorPool.ts';
import { loadManifestModels } from './detect/onnxModel.ts';
import { loadPhysicsDetectors } from './detect/dustDetector.ts';
import { ffmpegClipEncoder } from './events/clip.ts';
import { cameraGeoOf } from './track/geo.ts';
import { AlertService } from './events/alertService.ts';
import { buildMapData, mapTilesFromEnv } from './map/mapData.ts';
import { fileEvidenceStore } from './events/evidenceStore.ts';
import type { CameraHealth, HealthResponse, ServerEvent } from './schemas/api.ts';
import type { CameraConfig, DetectionType, TowerWatchConfig } from './schemas/config.ts';
import { storageBackend, type StorageBackend } from './store/database.ts';
import { openPgStore } from './store/pgStore.ts';
import type { Store } from './store/repository.ts';
import { openSqliteStore } from './store/sqliteStore.ts';
import { iso, systemClock, type Clock } from './util/clock.ts';
import { createLogger, redactUrl, type Logger } from './util/logger.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

export interface RuntimeOptions {
  configDir: string;
  dataDir: string;
  modelsDir?: string;
  webDir?: string;
  /** HTTP port; 0 = any free port. */
  port: number;
  host?: string;
  /**
   * `TOWERWATCH_DATABASE_URL` (main.ts passes the environment's): unset/empty → SQLite in `dataDir`;
   * `postgres://…[?schema=name]` → PostgreSQL for the alert store and the dispatch repository
   * (`store/database.ts`).
   */
  databaseUrl?: string;
  /** Start the built-in demo RTSP server when the config has a `demo` block (default true). */
  startDemo?: boolean;
  /** Override the demo RTSP port (tests run on a free port). Camera URLs on the config's port are rewritten. */
  demoRtspPort?: number;
  log?: Logger;
  clock?: Clock;
  /**
   * Detection worker threads (default: one per available core). 0 runs the models on the main thread (the
   * previous behaviour; inference then competes with capture pipes and sockets for one core).
   */
  detectWorkers?: number;
}

export interface Runtime {
  config: TowerWatchConfig;
  server: Server;
  /** http://host:port */
  url: string;
  stop(): Promise<void>;
}

export async function startTowerWatch(opts: RuntimeOptions): Promise<Runtime> {
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  const startedAt = iso(clock.now());
  const config = loadConfigDir(opts.configDir);
  log.info(
    { site: config.site.id, cameras: config.cameras.length, configDir: opts.configDir },
    'configuration loaded',
  );

  // Dispatch domain (cases, routing, SLA, audit, users) when the config has a dispatch/ folder. Loaded here so
  // that a bad dispatch file, too, stops start-up before anything (RTSP server, database, workers) is started.
  const dispatchDir = path.join(opts.configDir, 'dispatch');
  const dispatchConfig = existsSync(dispatchDir) ? loadDispatchConfig(dispatchDir) : null;

  // A bad TOWERWATCH_DATABASE_URL stops start-up before anything is started.
  const backend = storageBackend(opts.databaseUrl);
  // First, while this process is small: children are started from the spawn host from now on.
  const releaseSpawnHost = await acquireSpawnHost().catch((e: unknown) => {
    log.warn({ err: (e as Error).message }, 'spawn host unavailable: children are spawned directly');
    return () => undefined;
  });
  const { store, pool } = await openStorage(backend, opts.dataDir, log).catch((e: unknown) => {
    releaseSpawnHost(); // e.g. PostgreSQL unreachable: nothing else was started yet
    throw e;
  });
  const evidence = fileEvidenceStore(opts.dataDir);
  // Reverse order at stop: the pool ends after everything that uses it, the spawn host last.
  const cleanups: (() => Promise<void> | void)[] = [
    releaseSpawnHost,
    ...(pool ? [() => pool.end()] : []),
    () => store.close(),
  ];
  // Runs the clean-ups once, newest first (a second call waits for the first).
  let stopping: Promise<void> | null = null;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const c of [...cleanups].reverse()) {
        try {
          await c();
        } catch (e) {
          log.error({ err: (e as Error).message }, 'error during shutdown');
        }
      }
    })());

  try {
    // Models: only the types some enabled camera uses.
    const modelsDir = opts.modelsDir ?? path.join(REPO_ROOT, 'models');
    const needed = new Set(
      config.cameras
        .filter((c) => c.enabled)
        .flatMap((c) => [...c.detectors, ...c.presets.flatMap((p) => p.detectors ?? [])]),
    );
    const detectors = new Map<DetectionType, Detector>();
    const workersN = opts.detectWorkers ?? os.availableParallelism();
    let models: Detector[] = [];
    let detectorPool: DetectorPool | null = null;
    if (needed.size > 0 && workersN > 0) {
      // Inference off the main thread: one worker per core, each with one warmed-up session per model.
      const pool = await DetectorPool.start({ modelsDir, types: needed, workers: workersN, log });
      detectorPool = pool;
      cleanups.push(() => pool.close());
      models = pool.detectors;
      log.info({ workers: workersN }, 'detection worker pool started');
    } else {
      const loaded = await loadManifestModels(modelsDir, { types: needed });
      for (const m of loaded) cleanups.push(() => m.close());
      models = loaded;
    }
    for (const m of models) {
      for (const t of m.spec.types ?? [m.spec.type])
        if (needed.has(t) && !detectors.has(t)) detectors.set(t, m);
      log.info(
        {
          model: m.spec.name,
          types: m.spec.types,
          input: m.spec.inputSize,
          tiling: m.spec.tiling?.mode,
        },
        'model loaded',
      );
    }
    // Physics-based detectors (kind: dust in the manifest; no model file). An ONNX model of the same type wins.
    for (const d of loadPhysicsDetectors(modelsDir, { types: needed })) {
      cleanups.push(() => d.close());
      for (const t of d.spec.types) if (needed.has(t) && !detectors.has(t)) detectors.set(t, d);
      log.info({ model: d.spec.name, kind: d.spec.kind, types: d.spec.types }, 'model loaded');
    }
    for (const t of needed)
      if (!detectors.has(t))
        log.warn({ type: t }, 'no model for this detection type: cameras using it get no alerts of it');

    // Demo RTSP server (embedded default).
    let toRuntime = (c: CameraConfig): CameraConfig => c;
    if (config.demo && opts.startDemo !== false) {
      const port = opts.demoRtspPort ?? config.demo.rtspPort;
      const demo: DemoRtspServer = await startDemoRtspServer({
        port,
        baseDir: config.demo.baseDir,
        streams: config.demo.streams,
        log,
      }).catch((e: unknown) => {
        const m = e instanceof Error ? e.message : String(e);
        if (!m.includes('cannot bind port')) throw e;
        throw new Error(
          `${m}: another TowerWatch demo or RTSP server holds it; stop that one, or set TOWERWATCH_DEMO_RTSP_PORT to a free port`,
        );
      });
      cleanups.push(() => demo.stop());
      if (port !== config.demo.rtspPort) {
        const from = `rtsp://127.0.0.1:${config.demo.rtspPort}/`;
        const move = (u: string) =>
          u.startsWith(from) ? `rtsp://127.0.0.1:${port}/${u.slice(from.length)}` : u;
        toRuntime = (c) => ({
          ...c,
          url: move(c.url),
          ...(c.detectUrl ? { detectUrl: move(c.detectUrl) } : {}),
        });
      }
    }
    // The running cameras (camera admin replaces, adds and removes entries live).
    const connectCameraPtz = (cam: CameraConfig) =>
      connectOnvifPtz({
        host: cam.onvif?.host ?? '',
        port: cam.onvif?.port ?? 80,
        username: cam.auth?.username,
        password:
          cam.auth?.password ?? (cam.auth?.passwordEnv ? process.env[cam.auth.passwordEnv] : undefined),
        timeoutMs: 10_000,
      });
    const cameraById = new Map(config.cameras.map((c) => [c.id, toRuntime(c)]));
    const cameras = () => [...cameraById.values()];

    // Metrics.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const framesCounter = new Counter({
      name: 'towerwatch_frames_sampled_total',
      help: 'Frames sampled',
      labelNames: ['camera'],
      registers: [registry],
    });
    // Frame accounting per camera from the DetectLoop's own counters (sampled = analysed + dropped + in flight).
    for (const [name, help, field] of [
      ['towerwatch_frames_analysed_total', 'Frames analysed by the detectors', 'framesAnalysed'],
      [
        'towerwatch_frames_dropped_total',
        'Frames dropped because the camera had a newer frame waiting',
        'framesDropped',
      ],
    ] as const)
      new Counter({
        name,
        help,
        labelNames: ['camera'],
        registers: [registry],
        collect() {
          this.reset();
          for (const id of cameraById.keys()) this.inc({ camera: id }, detectLoop.counts(id)[field]);
        },
      });
    const alertsOpened = new Counter({
      name: 'towerwatch_alerts_opened_total',
      help: 'Alerts opened (confirmed detections), per camera and detection type',
      labelNames: ['camera', 'type'],
      registers: [registry],
    });
    // Model run time where the model runs (preprocessing, every tile, postprocessing): Frigate's "inference speed".
    const inferenceSeconds = new Histogram({
      name: 'towerwatch_inference_seconds',
      help: 'Model run time per frame, s (in the detection worker: preprocessing, all tiles, postprocessing)',
      labelNames: ['model'],
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    });
    // One wrapper per model, not per type: the DetectLoop runs a model serving several types once per frame
    // (it groups types by Detector identity).
    const timed = new Map<Detector, Detector>();
    for (const [type, m] of detectors) {
      let w = timed.get(m);
      if (!w)
        timed.set(
          m,
          (w = {
            spec: m.spec,
            detect: async (frame, o) => {
              const r = await m.detect(frame, o);
              inferenceSeconds.observe({ model: m.spec.name }, r.ms / 1000);
              return r;
            },
          }),
        );
      detectors.set(type, w);
    }
    new Gauge({
      name: 'towerwatch_detect_worker_heap_used_bytes',
      help: 'Used V8 heap of each detection worker thread (not in nodejs_heap_size_used_bytes, which is the main thread)',
      labelNames: ['worker'],
      registers: [registry],
      collect() {
        this.reset();
        detectorPool?.workerHeapBytes.forEach((b, i) => this.set({ worker: String(i) }, b));
      },
    });
    const statusGauge = new Gauge({
      name: 'towerwatch_camera_online',
      help: '1 when the camera is online',
      labelNames: ['camera'],
      registers: [registry],
    });

    // HTTP + sockets.
    let publish: (e: ServerEvent) => void = () => undefined;
    const workers = new Map<string, CameraWorker>();
    // eslint-disable-next-line prefer-const
    let detectLoop: DetectLoop;
    const cameraHealth = (c: CameraConfig, w: WorkerStatus | null): CameraHealth => {
      const counts = detectLoop.counts(c.id);
      const status = w?.status ?? 'disabled';
      return {
        id: c.id,
        name: c.name,
        channel: c.channel,
        status,
        online: status === 'online' || status === 'degraded' || status === 'ptz_fault',
        statusSince: iso(w?.since ?? clock.now()),
        lastFrameAt: w?.lastFrameAt ? iso(w.lastFrameAt) : null,
        framesSampled: w?.framesSampled ?? 0,
        framesAnalysed: counts.framesAnalysed,
        framesDropped: counts.framesDropped,
        framesCorrupt: w?.framesCorrupt ?? 0,
        framesSkippedPtz: w?.framesSkippedPtz ?? 0,
        presetId: w?.presetId ?? null,
        restarts: w?.restarts ?? 0,
        lastError: w?.lastError ?? null,
        decodeMode: w?.decodeMode ?? null,
        receiver: w?.receiver ?? null,
        keyframesDropped: w?.keyframesDropped ?? 0,
        codec: w?.codec ?? null,
        gopMs: w?.gopMs ?? null,
      };
    };
    const health = (): HealthResponse => {
      const cams = cameras().map((c) => cameraHealth(c, workers.get(c.id)?.status ?? null));
      return {
        status: cams.every((c) => c.online || c.status === 'disabled') ? 'ok' : 'degraded',
        startedAt,
        models: [...detectors.entries()].map(([type, d]) => ({ name: d.spec.name, type })),
        cameras: cams,
      };
    };
    const alerts = new AlertService({
      store,
      evidence,
      clock,
      log,
      publish: (e) => {
        if (e.kind === 'alert.opened') alertsOpened.inc({ camera: e.alert.cameraId, type: e.alert.type });
        publish(e);
      },
      alerting: config.alerting,
      cameraName: (id) => cameraById.get(id)?.name ?? id,
      cameraGeo: (id, presetId) => {
        const c = cameraById.get(id);
        return c ? cameraGeoOf(c, presetId) : null;
      },
      clips: ffmpegClipEncoder(),
    });
    const closed = await alerts.closeStaleAlerts();
    if (closed > 0) log.info({ closed }, 'closed alerts left open by the previous run');
    detectLoop = new DetectLoop({ cameras: cameraById, detectors, alerts, log });

    // Camera workers: one per enabled camera, each independent. The latest frame of each camera is kept
    // (one raw frame per camera, e.g. 6 MB at 1080p) for the camera admin's mask editor.
    const lastFrames = new Map<string, SampledFrame>();
    const startWorker = (cam: CameraConfig) => {
      if (workers.has(cam.id)) return;
      const clog = log.child({ cameraId: cam.id });
      const onvif = cam.onvif;
      const w = new CameraWorker(cam, {
        clock,
        log: clog,
        // Frames scaled inside ffmpeg to what this camera's models use (native size when one tiles).
        frameNeeds: frameNeedsFor(cam, detectors),
        ...(onvif ? { connectPtz: () => connectCameraPtz(cam) } : {}),
        onFrame: (f) => {
          framesCounter.inc({ camera: cam.id });
          if (workers.get(cam.id) === w) lastFrames.set(cam.id, f);
          detectLoop.push(f);
        },
        onStatus: (s) => {
          statusGauge.set({ camera: cam.id }, s.status === 'online' ? 1 : 0);
          store.recordStatus(cameraHealth(cameraById.get(cam.id) ?? cam, s)).then(
            (e) => publish(e),
            (e: unknown) => clog.error({ err: (e as Error).message }, 'cannot record camera status'),
          );
        },
      });
      workers.set(cam.id, w);
      w.start();
    };
    const stopWorker = async (id: string) => {
      const w = workers.get(id);
      workers.delete(id);
      lastFrames.delete(id);
      // A removed or disabled camera must not stay "online" in /metrics; a restarted one sets it again.
      statusGauge.remove({ camera: id });
      await w?.stop();
    };

    let publishCase: (room: string, e: CaseEvent) => void = () => undefined;
    let dispatch: Dispatch | undefined;
    let routingForMap: () => Parameters<typeof buildMapData>[2] = () => null;
    let adminRouter: ReturnType<typeof createCameraAdmin>['router'] | undefined;
    if (dispatchConfig) {
      // Read per request: the dispatch admin pages update this configuration object in place.
      routingForMap = () => ({ jurisdictions: dispatchConfig.jurisdictions, zones: dispatchConfig.zones });
      const outbound = outboundFromEnv(process.env);
      let dispatchRepo: DispatchRepository;
      if (backend.kind === 'postgres' && pool) {
        // The same pool and schema as the alert store.
        dispatchRepo = await pgDispatchRepository(pool, { schema: backend.schema });
      } else {
        // Its own connection: the dispatch repository's async transactions must not interleave with the alert
        // store's synchronous ones on one connection.
        const dispatchDb = new Database(path.join(opts.dataDir, 'towerwatch.sqlite'));
        cleanups.push(() => void dispatchDb.close());
        dispatchRepo = await sqliteDispatchRepository(dispatchDb);
      }
      const d = createDispatch({
        ...(outbound ? { outbound: outboundMessages(outbound.config, clock) } : {}),
        repo: dispatchRepo,
        config: dispatchConfig,
        alerts: store,
        dataDir: opts.dataDir,
        clock,
        log: log.child({ domain: 'dispatch' }),
        publish: (r, e) => publishCase(r, e),
        alertPosition: (a) => (a.position ? { lat: a.position.lat, lon: a.position.lon } : null),
        cameraGeo: (id) => {
          const c = cameraById.get(id);
          return c
            ? {
                location: c.location ? { lat: c.location.lat, lon: c.location.lon } : null,
                azimuthDeg: c.azimuthDeg ?? null,
                hfovDeg: c.hfovDeg ?? null,
              }
            : null;
        },
      });
      // Departments, areas, rules and SLA live in the database once seeded from the files (admin pages).
      await d.admin.seed();
      await d.auth.seedUsers(dispatchConfig.users, process.env, (line) => process.stdout.write(line + '\n'));
      cleanups.push(d.startTicker(30_000));
      // Evidence retention: at start, then every 6 h (files only; open alerts/cases are never touched).
      const sweep = () =>
        void sweepEvidence({
          dataDir: opts.dataDir,
          retentionDays: dispatchConfig.evidence.retentionDays,
          getAlert: (id) => store.getAlert(id),
          repo: dispatchRepo,
          clock,
          log: log.child({ domain: 'retention' }),
        }).catch((e: unknown) =>
          log.error({ err: e instanceof Error ? e.message : String(e) }, 'evidence sweep failed'),
        );
      sweep();
      const sweeper = setInterval(sweep, 6 * 3600_000);
      sweeper.unref();
      cleanups.push(() => clearInterval(sweeper));
      if (outbound) {
        const delivery = new OutboxDelivery({
          repo: dispatchRepo,
          clock,
          log: log.child({ domain: 'outbound' }),
          config: outbound.config,
          transport: outbound.transport,
        });
        const timer = setInterval(() => void delivery.drain(), 5000);
        cleanups.push(() => clearInterval(timer), outbound.close);
        log.info(
          { webhooks: outbound.config.webhooks.length, mqtt: Boolean(outbound.config.mqtt) },
          'outbound delivery on',
        );
      }
      dispatch = d;

      // Camera administration (admin role): edits camera-config/*.yaml and applies them live.
      adminRouter = createCameraAdmin({
        configDir: opts.configDir,
        auditRepo: dispatchRepo,
        auth: d.auth,
        runtime: {
          set: (c) => {
            const prev = cameraById.get(c.id);
            cameraById.set(c.id, c);
            // A detector change can change the frame size the camera's ffmpeg must deliver: restart it then.
            const needs = (x: CameraConfig) => JSON.stringify(frameNeedsFor(x, detectors));
            if (prev && workers.has(c.id) && needs(prev) !== needs(c))
              void stopWorker(c.id).then(() => startWorker(c));
          },
          remove: (id) => void cameraById.delete(id),
          startWorker,
          stopWorker,
          lastFrame: (id) => lastFrames.get(id) ?? null,
        },
        detectors,
        ensureDetectors: async (types) => {
          for (const m of await loadManifestModels(modelsDir, { types })) {
            cleanups.push(() => m.close());
            for (const t of m.spec.types) if (!detectors.has(t)) detectors.set(t, m);
            log.info({ model: m.spec.name, types: m.spec.types }, 'model loaded for a camera admin change');
          }
        },
        connectPtz: connectCameraPtz,
        toRuntime,
        clock,
        log,
      }).router;
    }

    // District map: from the live camera list (admin edits) and the dispatch configuration.
    const mapTiles = mapTilesFromEnv(process.env);
    const { app, attach } = createApp({
      store,
      map: () => buildMapData(config.site, cameras(), routingForMap(), mapTiles),
      evidence,
      health,
      cameras: () =>
        cameras().map((c) => ({
          ...cameraHealth(c, workers.get(c.id)?.status ?? null),
          url: redactUrl(c.url),
          detectors: c.detectors,
          sampleIntervalMs: c.sampleIntervalMs,
          enabled: c.enabled,
          azimuthDeg: c.azimuthDeg ?? null,
          hfovDeg: c.hfovDeg ?? null,
          location: c.location ?? null,
        })),
      log,
      webDir: opts.webDir ?? path.join(REPO_ROOT, 'web', 'dist'),
      ...(dispatch
        ? {
            dispatch: {
              router: dispatch.router,
              socketRooms: (c: string | undefined) => socketRoomsFromCookie(dispatch.auth, c),
              hasSession: (c: string | undefined) => hasSession(dispatch.auth, c),
            },
          }
        : {}),
      ...(adminRouter ? { admin: adminRouter } : {}),
      metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    });
    const server = createServer(app);
    const sockets = attach(server);
    publish = sockets.publish;
    const live = new LiveViewHub({ cameras: cameraById, log });
    live.attach(sockets.io);
    cleanups.push(() => live.close());
    publishCase = sockets.publishCase;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          void sockets.io.close(() => resolve());
        }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'EADDRINUSE'
            ? new Error(
                `${e.message}: another process holds the console port; stop it, or set PORT to a free port`,
              )
            : e,
        ),
      );
      server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${addr.port}`;
    log.info({ listen: url }, 'console listening');

    for (const cam of cameras().filter((c) => c.enabled)) startWorker(cam);
    // Run in reverse at stop: capture workers stop first, then the frames already taken are analysed (drain),
    // and only then the detection pool closes (earlier in this list).
    cleanups.push(() => detectLoop.drain());
    cleanups.push(() => Promise.all([...workers.values()].map((w) => w.stop())).then(() => undefined));

    const ticker = setInterval(() => void alerts.tick(), 1000);
    cleanups.push(() => clearInterval(ticker));

    return {
      config: { ...config, cameras: cameras() },
      server,
      url,
      stop: async () => {
        await stopAll();
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * Outbound case-event delivery from the environment (so an SMS/chat gateway can be attached without code):
 * `TOWERWATCH_WEBHOOK_URL` + `TOWERWATCH_WEBHOOK_SECRET` (HMAC-SHA256 signed POSTs), `TOWERWATCH_MQTT_URL`
 * (+ `TOWERWATCH_MQTT_TOPIC_PREFIX`, default `towerwatch/cases`). Null when none is set.
 */
export function outboundFromEnv(env: Record<string, string | undefined>): {
  config: OutboundConfig;
  transport: OutboundTransport;
  close: () => Promise<void>;
} | null {
  const hookUrl = env['TOWERWATCH_WEBHOOK_URL'];
  const mqttUrl = env['TOWERWATCH_MQTT_URL'];
  if (!hookUrl && !mqttUrl) return null;
  const config: OutboundConfig = {
    webhooks: hookUrl ? [{ url: hookUrl, secret: env['TOWERWATCH_WEBHOOK_SECRET'] ?? '' }] : [],
    ...(mqttUrl ? { mqtt: { topicPrefix: env['TOWERWATCH_MQTT_TOPIC_PREFIX'] ?? 'towerwatch/cases' } } : {}),
  };
  let mqtt: Awaited<ReturnType<typeof mqttPublisher>> | null = null;
  return {
    config,
    transport: {
      post: (url, body, headers) => fetchTransport.post(url, body, headers),
      // Connects lazily and again after a failure; undelivered rows stay in the outbox and are retried.
      publish: async (topic, body) => {
        if (!mqttUrl) throw new Error('no MQTT broker configured');
        mqtt ??= await mqttPublisher(mqttUrl);
        await mqtt.publish(topic, body);
      },
    },
    close: async () => {
      await mqtt?.close();
    },
  };
}

/** Last-resort cleanup: no ffmpeg or RTSP server may outlive the process. */
process.once('exit', killAllChildrenSync);

/**
 * Opens the alert store on the selected backend and logs which one (never the password). PostgreSQL: one pool
 * (max 10 connections), shared with the dispatch repository; the caller ends it at stop.
 */
async function openStorage(
  backend: StorageBackend,
  dataDir: string,
  log: Logger,
): Promise<{ store: Store; pool: pg.Pool | null }> {
  if (backend.kind === 'sqlite') {
    const file = path.join(dataDir, 'towerwatch.sqlite');
    log.info({ backend: 'sqlite', file }, 'storage: embedded SQLite');
    return { store: openSqliteStore(file), pool: null };
  }
  const pool = new pg.Pool({ connectionString: backend.connectionString, max: 10 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (e) => log.error({ err: e.message }, 'PostgreSQL pool: idle client error'));
  log.info(
    { backend: 'postgres', database: backend.redacted, schema: backend.schema },
    'storage: PostgreSQL',
  );
  try {
    return { store: await openPgStore(pool, { schema: backend.schema }), pool };
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot open PostgreSQL ${backend.redacted}: ${(e as Error).message}`, { cause: e });
  }
}
