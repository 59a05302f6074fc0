/**
 * Step 2 — fleet capacity: N real CameraWorkers on 1080p25 streams, N raised step by step until a camera misses
 * its sampling interval (a gap > 1.5 × interval, or fewer frames than expected − 1) or a camera never comes
 * online. Three series, each in the same run: keyframe-only capture, full-decode capture, and keyframe capture
 * with every frame going through the real DetectLoop (smoke model from models/manifest.yaml, AlertService
 * on an in-memory store).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { createApp } from '../../services/api/app.ts';
import { DetectorPool } from '../../services/detect/detectorPool.ts';
import { ffmpegClipEncoder } from '../../services/events/clip.ts';
import { fileEvidenceStore } from '../../services/events/evidenceStore.ts';
import type { SampledFrame } from '../../services/capture/cameraWorker.ts';
import type { DecodeMode } from '../../services/capture/ffmpegArgs.ts';
import { DetectLoop, type Detector } from '../../services/detect/detectLoop.ts';
import { loadManifestModels } from '../../services/detect/onnxModel.ts';
import { AlertService } from '../../services/events/alertService.ts';
import { AlertingConfig, type CameraConfig, type DetectionType } from '../../services/schemas/config.ts';
import { openSqliteStore } from '../../services/store/sqliteStore.ts';
import { systemClock } from '../../services/util/clock.ts';
import {
  fmt,
  log,
  modelNeed,
  percentile,
  realClip,
  REPO_ROOT,
  sleep,
  syntheticClip,
  thermalClip,
  table,
  type BenchOptions,
  type StepResult,
} from './common.ts';
import {
  CAMERAS_PER_MOUNT,
  runFleet,
  type FleetGroup,
  type FleetResult,
  type LatencyStats,
} from './fleet.ts';

export interface Series {
  name: string;
  mode: DecodeMode;
  /** Detection: none (capture only), in the worker pool, or in-process on the main thread (previous design). */
  detect: 'none' | 'pool' | 'inprocess';
  runs: FleetResult[];
  /** Largest N that kept every camera's interval (0 when even the first level failed). */
  maxOk: number;
  /** Why the series stopped. */
  stop: string;
}

export interface CapacityData {
  series: Series[];
}

/** Alert latency p95 above this fails a level (the issue's frame-to-console target), ms. */
const LATENCY_P95_MAX_MS = 2000;

/** Why a level fails (null = it passed). */
function failure(r: FleetResult): string | null {
  const why: string[] = [];
  if (r.online < r.cameras) why.push(`${r.cameras - r.online} never online`);
  if (r.camerasMissing > 0)
    why.push(`${r.camerasMissing} missed the interval (max gap ${fmt(r.maxGapMs / 1000, 1)} s)`);
  // A decoder slower than real time still emits a frame every ~2 s for a while (TCP backlog), but fewer in total.
  if (r.framesDelivered < 0.9 * r.framesExpected)
    why.push(`only ${r.framesDelivered}/${fmt(r.framesExpected, 0)} frames (falling behind)`);
  // With detection, the DetectLoop must keep up too: it drops a waiting frame when the next one arrives.
  if (r.droppedByDetect !== undefined && r.droppedByDetect > 0.05 * r.framesDelivered)
    why.push(`DetectLoop dropped ${r.droppedByDetect} of ${r.framesDelivered} frames (> 5 %)`);
  if (r.latency && r.latency.n > 0 && r.latency.p95Ms > LATENCY_P95_MAX_MS)
    why.push(`alert latency p95 ${fmt(r.latency.p95Ms / 1000, 2)} s > 2 s`);
  if (r.ownBusy >= 0.9)
    why.push(`CPU saturated (bench processes used ${fmt(r.ownBusy * 100, 0)} % of all cores)`);
  return why.length > 0 ? why.join(', ') : null;
}

/**
 * Plain-JS socket.io client in a worker thread (its own event loop, like a console in a browser): records, per
 * alert event, the receipt wall time and the event's `at` (the triggering frame's capture time).
 */
const LATENCY_CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { io } = require(workerData.client);
const got = [];
const ids = [];
const s = io(workerData.url, { auth: { lastEventId: workerData.lastEventId }, transports: ['websocket'], reconnection: false });
s.on('event', (e) => {
  if (e.kind === 'alert.opened' || e.kind === 'alert.updated') {
    got.push(Date.now(), Date.parse(e.at));
    ids.push(e.alert.cameraId);
  }
});
s.once('replay.done', () => parentPort.postMessage({ type: 'ready' }));
s.on('connect_error', (err) => parentPort.postMessage({ type: 'error', message: String(err && err.message) }));
parentPort.on('message', (m) => {
  if (m === 'report') { parentPort.postMessage({ type: 'report', got: Float64Array.from(got), ids: ids.slice() }); got.length = 0; ids.length = 0; }
  if (m === 'close') { s.close(); parentPort.postMessage({ type: 'closed' }); }
});
`;

function waitFor<T>(w: Worker, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      w.off('message', on);
      reject(new Error(`latency client: no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      w.off('message', on);
      resolve(m as T);
    };
    w.on('message', on);
  });
}

/** Detector-call timings kept per stage (the oldest half is dropped beyond it). */
const STAGE_SAMPLES_MAX = 40_000;
/**
 * Publisher times kept for the latency-from-publisher column (frames; oldest dropped first): ~5 min of frames at
 * 100 cameras × 0.5 fps (the 60-minute soak of 2026-11-30 kept up to 100 000: an estimated ~8 MiB of its
 * 12 MiB V8 heap growth, at ~100 bytes per entry).
 */
const SENT_AT_MAX = 20_000;

/**
 * The detect → alert → socket half of the pipeline, as the runtime wires it: models (worker pool or in-process),
 * DetectLoop, AlertService (file evidence store + ffmpeg clip encoder in a temp dir, 1 s tick), an in-process
 * `createApp` server and one socket.io client in a worker thread that timestamps every alert event.
 */
export async function withDetect<T>(
  o: BenchOptions,
  how: 'pool' | 'inprocess',
  fn: (d: {
    loop: DetectLoop;
    cameras: Map<string, CameraConfig>;
    detectors: Map<DetectionType, Detector>;
    pool?: DetectorPool;
    latency: () => Promise<LatencyStats>;
    /** Hands a sampled frame to the DetectLoop, noting its publisher time for {@link LatencyStats.fromPublisher}. */
    onFrame: (f: SampledFrame) => void;
  }) => Promise<T>,
  opts: {
    /** `memory` (default, the capacity step) or `file`: a SQLite file in the temp dir, as the product runs (soak). */
    store?: 'memory' | 'file';
  } = {},
): Promise<T> {
  const modelsDir = o.modelsDir ?? path.join(REPO_ROOT, 'models');
  const types: DetectionType[] = ['smoke', 'hotspot'];
  const pool = how === 'pool' ? await DetectorPool.start({ modelsDir, types }) : undefined;
  const local = how === 'inprocess' ? await loadManifestModels(modelsDir, { types, threads: 1 }) : [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-'));
  const store = openSqliteStore(opts.store === 'file' ? path.join(dataDir, 'towerwatch.db') : ':memory:');
  const quiet = pino({ level: 'silent' });
  const { app, attach } = createApp({
    store,
    evidence: { writeSnapshot: () => undefined, readSnapshot: () => null },
    health: () => ({ status: 'ok', startedAt: new Date().toISOString(), models: [], cameras: [] }),
    cameras: () => [],
    log: quiet,
  });
  const server: Server = createServer(app);
  const sockets = attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new Worker(LATENCY_CLIENT, {
    eval: true,
    workerData: {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      lastEventId: await store.lastEventId(),
      client: createRequire(import.meta.url).resolve('socket.io-client'),
    },
  });
  let ticker: NodeJS.Timeout | undefined;
  try {
    await waitFor(client, 'ready', 30_000);
    // Each detector call is timed (see LatencyStats.stagesP95): the models are wrapped, not changed.
    const stages = { wait: [] as number[], pool: [] as number[], model: [] as number[] };
    const timed = (m: Detector): Detector => ({
      spec: m.spec,
      detect: async (img, opts) => {
        const t0 = Date.now();
        const at = opts?.context?.capturedAt;
        const r = await m.detect(img, opts);
        const t1 = Date.now();
        if (at !== undefined) stages.wait.push(t0 - Date.parse(at));
        stages.pool.push(t1 - t0 - r.ms);
        stages.model.push(r.ms);
        // Bounded, so that an hour-long soak measures the product's memory, not the bench's bookkeeping
        // (the p95s then cover the most recent ≥ 20 000 calls).
        for (const a of Object.values(stages)) if (a.length > STAGE_SAMPLES_MAX) a.splice(0, a.length / 2);
        return r;
      },
    });
    const detectors = new Map<DetectionType, Detector>();
    for (const m of (pool?.detectors ?? local).map(timed))
      for (const t of m.spec.types ?? [m.spec.type]) if (!detectors.has(t)) detectors.set(t, m);
    const cameras = new Map<string, CameraConfig>();
    const alerts = new AlertService({
      store,
      evidence: fileEvidenceStore(dataDir),
      clock: systemClock,
      log: quiet,
      publish: (e) => sockets.publish(e),
      alerting: AlertingConfig.parse({}),
      cameraName: (id) => id,
      clips: ffmpegClipEncoder(),
    });
    ticker = setInterval(() => void alerts.tick(), 1000);
    const loop = new DetectLoop({ cameras, detectors, alerts, log: quiet });
    /** `${cameraId} ${capturedAt}` → the frame's publisher time (built-in client, after an RTCP SR). */
    const sentAt = new Map<string, number>();
    const onFrame = (f: SampledFrame) => {
      if (f.coded?.sentAt !== undefined) {
        sentAt.set(`${f.cameraId} ${f.capturedAt}`, f.coded.sentAt);
        if (sentAt.size > SENT_AT_MAX) sentAt.delete(sentAt.keys().next().value!);
      }
      loop.push(f);
    };
    const latency = async (): Promise<LatencyStats> => {
      client.postMessage('report');
      const { got, ids } = await waitFor<{ got: Float64Array; ids: string[] }>(client, 'report', 10_000);
      const ms: number[] = [];
      const pub: number[] = [];
      for (let i = 0; i + 1 < got.length; i += 2) {
        ms.push(got[i]! - got[i + 1]!);
        const sent = sentAt.get(`${ids[i / 2]} ${got[i + 1]}`);
        if (sent !== undefined) pub.push(got[i]! - sent);
      }
      const stagesP95 = {
        waitMs: percentile(stages.wait, 95),
        poolMs: percentile(stages.pool, 95),
        modelMs: percentile(stages.model, 95),
      };
      for (const a of Object.values(stages)) a.length = 0;
      return {
        n: ms.length,
        p50Ms: percentile(ms, 50),
        p95Ms: percentile(ms, 95),
        p99Ms: percentile(ms, 99),
        maxMs: ms.length > 0 ? Math.max(...ms) : NaN,
        stagesP95,
        ...(pub.length > 0
          ? {
              fromPublisher: {
                n: pub.length,
                p50Ms: percentile(pub, 50),
                p95Ms: percentile(pub, 95),
                p99Ms: percentile(pub, 99),
              },
            }
          : {}),
      };
    };
    const r = await fn({ loop, cameras, detectors, ...(pool ? { pool } : {}), latency, onFrame });
    // Bounded drain: at most one frame per camera is in flight.
    await Promise.race([loop.drain(), sleep(30_000)]);
    return r;
  } finally {
    if (ticker) clearInterval(ticker);
    client.postMessage('close');
    await Promise.race([waitFor(client, 'closed', 5000).catch(() => undefined), sleep(5000)]);
    await client.terminate();
    await new Promise<void>((r) => void sockets.io.close(() => r()));
    await pool?.close();
    await Promise.all(local.map((m) => m.close()));
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    void o;
  }
}

export async function benchCapacity(o: BenchOptions): Promise<StepResult<CapacityData>> {
  const clip = syntheticClip(o.quick ? 30 : 90);
  const windowS = o.quick ? 6 : 15;
  const smoke = modelNeed('smoke', o.modelsDir);
  const hotspot = modelNeed('hotspot', o.modelsDir);
  const visible = o.quick ? syntheticClip(30) : realClip(90);
  const thermal = thermalClip(o.quick ? 30 : 90);
  // A tower = one 1080p25 visible camera (smoke) + one 320×256 thermal camera (hotspot), like the demo site.
  const mixed: FleetGroup[] = [
    { clip: visible, detectors: ['smoke'], frameNeeds: [smoke] },
    { clip: thermal, detectors: ['hotspot'], frameNeeds: [hotspot] },
  ];
  // The same towers, the visible cameras analysed on a 640×360 sub-stream (`detectUrl`), as Frigate advises
  // for detection (a typical IP camera's second stream; the smoke model's input is 640×480 anyway); the thermal
  // cameras are unchanged (320×256 is their only stream).
  const mixedSub: FleetGroup[] = o.quick
    ? mixed
    : [{ clip: realClip(90, 360), detectors: ['smoke'], frameNeeds: [smoke] }, mixed[1]!];
  const capture: FleetGroup[] = [{ clip, detectors: ['smoke'], frameNeeds: [smoke] }];
  // The same capture on real content (noisy HPWREN 1080p: its keyframes cost ~4× the synthetic ones to decode).
  const captureReal: FleetGroup[] = [{ clip: visible, detectors: ['smoke'], frameNeeds: [smoke] }];
  type Plan = {
    name: string;
    mode: DecodeMode;
    detect: Series['detect'];
    groups: FleetGroup[];
    levels: number[];
    /** Camera `rtspClient`; absent: the product default (`auto`: the built-in RTSP client). */
    rtspClient?: 'ffmpeg';
  };
  const plans: Plan[] = o.quick
    ? [
        { name: 'keyframes, capture only', mode: 'keyframes', detect: 'none', groups: capture, levels: [2] },
        {
          name: 'towers, keyframes, detection in worker pool',
          mode: 'keyframes',
          detect: 'pool',
          groups: mixed,
          levels: [2],
        },
      ]
    : [
        {
          name: 'keyframes, capture only',
          mode: 'keyframes',
          detect: 'none',
          groups: capture,
          levels: [60, 100, 140, 200],
        },
        {
          name: 'full decode, capture only',
          mode: 'all',
          detect: 'none',
          groups: capture,
          levels: [8, 16, 24, 32],
        },
        {
          name: 'keyframes, capture only, real content',
          mode: 'keyframes',
          detect: 'none',
          groups: captureReal,
          levels: [40, 80, 120, 160],
        },
        {
          name: 'full decode, capture only, real content',
          mode: 'all',
          detect: 'none',
          groups: captureReal,
          levels: [8, 16, 24],
        },
        {
          name: 'towers, keyframes, detection in worker pool',
          mode: 'keyframes',
          detect: 'pool',
          groups: mixed,
          levels: [20, 40, 60, 80, 100, 120],
        },
        {
          name: 'towers (visible cameras analysed on a 640×360 sub-stream), keyframes, detection in worker pool',
          mode: 'keyframes',
          detect: 'pool',
          groups: mixedSub,
          levels: [60, 80, 100, 120, 140, 160],
        },
        {
          name: 'towers (visible cameras analysed on a 640×360 sub-stream), keyframes, detection in worker pool, ffmpeg receiving RTSP',
          mode: 'keyframes',
          detect: 'pool',
          groups: mixedSub,
          levels: [40, 60, 80, 100, 120],
          rtspClient: 'ffmpeg',
        },
        {
          name: 'towers, full decode, detection in worker pool',
          mode: 'all',
          detect: 'pool',
          groups: mixed,
          levels: [8, 16, 24, 32],
        },
        {
          name: 'towers, keyframes, detection on the main thread (previous design)',
          mode: 'keyframes',
          detect: 'inprocess',
          groups: mixed,
          levels: [40, 60, 80, 100, 120],
        },
      ];
  const series: Series[] = [];
  const chosen = plans
    .filter((p) => o.series === undefined || p.name.includes(o.series))
    .map((p) => (o.levels ? { ...p, levels: o.levels } : p));
  if (chosen.length === 0) throw new Error(`--series ${o.series ?? ''}: no capacity series has that text`);
  for (const p of chosen) {
    const s: Series = {
      name: p.name,
      mode: p.mode,
      detect: p.detect,
      runs: [],
      maxOk: 0,
      stop: 'all levels passed',
    };
    /** A level whose simulator crashed is run once more; a second crash stops the series with that reason. */
    const run = async (n: number): Promise<FleetResult | string> => {
      const first = await runOnce(n);
      if (typeof first === 'string') return first;
      // Cameras that never delivered a frame at all point at the simulator, not at load: gst-rtsp-server 1.22's
      // shared mounts sometimes never answer DESCRIBE for one mount (its 4 cameras: "nothing received … before
      // DESCRIBE answer"; ffmpeg: "Invalid data found when processing input"), seen at 80 cameras with one thread
      // per client (session 8; before that, one blocked DESCRIBE stalled every client, see rtsp_server.py). Such a
      // level is run once more, like a crashed one; the log keeps both results.
      if (first.simulatorCrashes.length === 0 && first.online === first.cameras) return first;
      const why =
        first.simulatorCrashes.length > 0
          ? `the camera simulator crashed (${first.simulatorCrashes[0]!.reason})`
          : `${first.cameras - first.online} cameras never came online`;
      log(o, `  N=${n}: ${why}; running the level again`);
      const again = await runOnce(n);
      if (
        typeof again === 'string' ||
        first.simulatorCrashes.length === 0 ||
        again.simulatorCrashes.length === 0
      )
        return again;
      return `N=${n}: the camera simulator (gst-rtsp-server) crashed twice (${again.simulatorCrashes[0]!.reason}); not a TowerWatch result`;
    };
    const runOnce = async (n: number): Promise<FleetResult | string> => {
      try {
        const base = {
          clip: p.groups[0]!.clip,
          groups: p.groups,
          mode: p.mode,
          cameras: n,
          windowS,
          ...(p.rtspClient ? { rtspClient: p.rtspClient } : {}),
        };
        if (p.detect === 'none') return await runFleet(base, o);
        return await withDetect(o, p.detect, (d) =>
          runFleet(
            {
              ...base,
              onFrame: d.onFrame,
              detect: d,
              latency: d.latency,
              ...(d.pool ? { pool: d.pool } : {}),
            },
            o,
          ),
        );
      } catch (e) {
        return `N=${n}: ${(e as Error).message}`;
      }
    };
    const record = (n: number, r: FleetResult): string | null => {
      s.runs.push(r);
      const why = failure(r);
      log(
        o,
        `  ${p.name} N=${n}: ${why ?? 'ok'}; ${r.online}/${n} online, max gap ${fmt(r.maxGapMs / 1000, 2)} s, machine ${fmt(r.machineBusy * 100, 0)} %` +
          (r.analysed !== undefined ? `, analysed ${r.analysed}, dropped ${r.droppedByDetect}` : '') +
          (r.latency ? `, latency n=${r.latency.n} p95 ${fmt(r.latency.p95Ms, 0)} ms` : '') +
          (r.latency?.fromPublisher
            ? ` (from publisher n=${r.latency.fromPublisher.n} p95 ${fmt(r.latency.fromPublisher.p95Ms, 0)} ms)`
            : '') +
          (r.latency?.stagesP95
            ? ` (p95 stages: wait ${fmt(r.latency.stagesP95.waitMs, 0)}, pool ${fmt(r.latency.stagesP95.poolMs, 0)}, model ${fmt(r.latency.stagesP95.modelMs, 0)} ms)`
            : '') +
          `, CPU/cam/min ffmpeg ${fmt(r.ffmpegCpuSPerCamMin, 2)} main ${fmt(r.mainThreadCpuSPerCamMin, 2)} infer ${fmt(r.inferCpuSPerCamMin ?? NaN, 2)} node ${fmt(r.nodeCpuSPerCamMin, 2)} clips ${fmt(r.clipCpuSPerCamMin, 2)}` +
          `, pipe read p95 ${fmt(percentile(r.perCamera.flatMap((c) => c.readMs).filter(Number.isFinite), 95), 0)} ms` +
          `, threads ${Object.entries(r.threadCpuSPerCamMin)
            .map(([k, v]) => `${k} ${fmt(v, 2)}`)
            .join(', ')}` +
          `, event-loop delay p99 ${fmt(r.loopDelay.p99Ms, 0)} / max ${fmt(r.loopDelay.maxMs, 0)} ms, GC ${r.gc.count}× max ${fmt(r.gc.maxMs, 0)} ms` +
          (r.perCamera.some((c) => c.lateAtS.length > 0)
            ? `; late frames (camera group: s into window): ${r.perCamera
                .filter((c) => c.lateAtS.length > 0)
                .map((c) => `${c.id}[g${c.group}]@${c.lateAtS.join('/')}`)
                .join(' ')}`
            : ''),
      );
      return why;
    };
    let failedAt: number | null = null;
    for (const n of p.levels) {
      const r = await run(n);
      if (typeof r === 'string') {
        s.stop = r;
        failedAt = n;
        break;
      }
      const why = record(n, r);
      if (why) {
        s.stop = `N=${n}: ${why}`;
        failedAt = n;
        break;
      }
      s.maxOk = n;
    }
    // One refinement between the last passing and the first failing level.
    if (!o.quick && failedAt !== null && s.maxOk > 0 && failedAt - s.maxOk > Math.max(2, s.maxOk * 0.2)) {
      const mid = Math.round((s.maxOk + failedAt) / 2);
      const r = await run(mid);
      if (typeof r !== 'string') {
        const why = record(mid, r);
        if (why) s.stop = `N=${mid}: ${why}`;
        else s.maxOk = mid;
      }
    }
    series.push(s);
  }
  const head = [
    'series',
    'cameras',
    'online',
    'ffmpeg CPU s/cam/min',
    'Node main thread s/cam/min',
    'detect workers s/cam/min',
    'Node total s/cam/min',
    'sim server s/min',
    'ffmpeg RSS / PSS MiB/cam',
    'Node RSS MiB (per cam)',
    'frames got/expected',
    'max gap s',
    'cams missing',
    'analysed / dropped',
    'alert events',
    'latency p50 / p95 / p99 ms',
    'latency from the RTSP publisher p50 / p95 / p99 ms',
    'frame pipe read p95 / max ms',
    'event-loop delay p99 / max ms',
    'clip encoders CPU s/cam/min',
    'CPU s/cam/min: TowerWatch (+ sim)',
    'N that 2 idle cores could carry at this cost (projection)',
    'bench CPU % of all cores',
    'machine busy %',
  ];
  const twCpu = (r: FleetResult) => r.ffmpegCpuSPerCamMin + r.nodeCpuSPerCamMin + r.clipCpuSPerCamMin;
  const reads = (r: FleetResult) => r.perCamera.flatMap((c) => c.readMs).filter(Number.isFinite);
  const allCpu = (r: FleetResult) => twCpu(r) + r.serverCpuSPerMin / r.cameras;
  const rows = series.flatMap((s) =>
    s.runs.map((r) => [
      s.name,
      r.cameras,
      `${r.online}/${r.cameras}`,
      fmt(r.ffmpegCpuSPerCamMin, 2),
      fmt(r.mainThreadCpuSPerCamMin, 2),
      r.inferCpuSPerCamMin !== undefined ? fmt(r.inferCpuSPerCamMin, 2) : '—',
      fmt(r.nodeCpuSPerCamMin, 2),
      fmt(r.serverCpuSPerMin, 1),
      `${fmt(r.ffmpegRssMiBPerCam, 0)} / ${fmt(r.ffmpegPssMiBPerCam, 0)}`,
      `${fmt(r.nodeRssMiB, 0)} (${fmt(r.nodeRssMiB / r.cameras, 1)})`,
      `${r.framesDelivered}/${fmt(r.framesExpected, 0)}`,
      fmt(r.maxGapMs / 1000, 2),
      r.camerasMissing,
      r.analysed !== undefined ? `${r.analysed} / ${r.droppedByDetect}` : '—',
      r.latency ? r.latency.n : '—',
      r.latency && r.latency.n > 0
        ? `${fmt(r.latency.p50Ms, 0)} / ${fmt(r.latency.p95Ms, 0)} / ${fmt(r.latency.p99Ms, 0)}`
        : '—',
      r.latency?.fromPublisher
        ? `${fmt(r.latency.fromPublisher.p50Ms, 0)} / ${fmt(r.latency.fromPublisher.p95Ms, 0)} / ${fmt(r.latency.fromPublisher.p99Ms, 0)} (n=${r.latency.fromPublisher.n})`
        : '—',
      `${fmt(percentile(reads(r), 95), 0)} / ${fmt(Math.max(0, ...reads(r)), 0)}`,
      `${fmt(r.loopDelay.p99Ms, 0)} / ${fmt(r.loopDelay.maxMs, 0)}`,
      fmt(r.clipCpuSPerCamMin, 2),
      `${fmt(twCpu(r), 2)} (${fmt(allCpu(r), 2)})`,
      `${fmt((os.cpus().length * 60) / twCpu(r), 0)} (${fmt((os.cpus().length * 60) / allCpu(r), 0)} with the sim)`,
      fmt(r.ownBusy * 100, 0),
      fmt(r.machineBusy * 100, 0),
    ]),
  );
  const best = (name: string) => series.find((s) => s.name === name)?.maxOk ?? 0;
  /** A series that passed every level was not pushed to its limit: its N is a lower bound. */
  const open = (name: string) => series.find((s) => s.name === name)?.stop === 'all levels passed';
  const ratio = (a: string, b: string) => {
    const [x, y] = [best(a), best(b)];
    if (y <= 0) return 'n/a';
    if (x <= 0) return `not measured (${a}: its first level failed)`;
    if (open(b)) return `not measured (${b}: every level passed, limit ≥ ${y})`;
    return `${fmt(x / y, 1)}×${open(a) ? ' or more' : ''}`;
  };
  /**
   * TowerWatch CPU per camera (capture ffmpegs + Node + clip encoders), full decode / keyframes, capture-only
   * series, from runs that passed: keyframes at its *smallest* passing level (least batching of socket reads and
   * pipe wake-ups in its favour) against full decode at its largest passing level (the fleet it can carry).
   */
  const cpuRatio = (suffix: string) => {
    const passed = (name: string) =>
      series
        .find((x) => x.name === name)
        ?.runs.filter((r) => failure(r) === null)
        .sort((a, b) => a.cameras - b.cameras) ?? [];
    const k = passed(`keyframes, capture only${suffix}`)[0];
    const a = passed(`full decode, capture only${suffix}`).at(-1);
    if (!k || !a) return 'n/a';
    return `**${fmt(twCpu(a) / twCpu(k), 1)}×** (${fmt(twCpu(a), 2)} CPU-s/cam/min at N=${a.cameras} / ${fmt(twCpu(k), 2)} at N=${k.cameras})`;
  };
  const kPool = 'towers, keyframes, detection in worker pool';
  const kSub =
    'towers (visible cameras analysed on a 640×360 sub-stream), keyframes, detection in worker pool';
  const md = [
    'Each level: N real CameraWorkers (sampleIntervalMs 2000, one frame per 2 s per camera) on the demo RTSP ' +
      `server (\`file-shared\` mounts: each mount plays its clip in real time from its first client's connection for ${CAMERAS_PER_MOUNT} cameras, so the simulator runs N/${CAMERAS_PER_MOUNT} pipelines; the ${CAMERAS_PER_MOUNT} cameras of a mount get their keyframes in the same instant), a ${windowS} s window after all are online. A level ` +
      'passes when every camera came online, none missed its interval (gap > 1.5 × 2 s, or fewer frames than ' +
      'expected − 1), the fleet got ≥ 90 % of the expected frames, the DetectLoop dropped ≤ 5 % of them (≤ 1 ' +
      'frame per camera in flight; a newer frame replaces a waiting one and is counted), the alert latency p95 ' +
      "was ≤ 2 s and the bench's own processes (capture ffmpeg + Node + simulator) used < 90 % of all cores. " +
      'The series stops at the first failing level, then one level halfway between is tried. The camera ' +
      'simulator (GStreamer) runs on the same 2 cores ("sim server" column), so these ' +
      'are lower bounds for TowerWatch alone; other helpers\' processes share the machine too ("machine busy").',
    '',
    `- capture-only series: ${clip.description}; "real content": ${visible.description}; frames stretched to the smoke model's 640×480 input inside ffmpeg (what a smoke camera gets; shown at 854×480). "CPU per camera full/keyframes" compares the keyframe series at its smallest passing level (least batching in its favour) with full decode at its largest passing level.`,
    `- "towers" series (all detectors on): cameras alternate between a visible camera — ${visible.description}, ` +
      'smoke model, frames stretched to its 640×480 input inside ffmpeg — and a thermal camera — ' +
      `${thermal.description}, hotspot model at native size (1 tile). Detection → DetectLoop → AlertService ` +
      '(file evidence store, JPEG ring + ffmpeg clip encoder as in production) → socket.io server → one client ' +
      'in a worker thread.',
    `- "towers (… 640×360 sub-stream)" series: the same fleet, the visible cameras' analysed stream (\`detectUrl\`) ` +
      `being ${mixedSub[0]!.clip.description}; analysed at that size (capture never upscales).`,
    '- Receivers: every series uses the product default (`rtspClient: auto`: the built-in RTSP client, ' +
      'services/capture/rtsp/, receives RTSP/TCP in Node and skips non-key pictures uncopied; one ffmpeg per camera ' +
      'decodes only the sampled keyframes from its stdin; evidence clips muxed from the keyframes when ' +
      'browser-playable) except "ffmpeg receiving RTSP" (`rtspClient: ffmpeg`: one ffmpeg per camera receives, ' +
      'demuxes and decodes; clips re-encoded from JPEGs) and the full-decode series (always ffmpeg), in the same ' +
      'run. "ffmpeg CPU" is the capture ffmpegs in both cases (keyframe decoders, or receivers+decoders); the ' +
      'built-in receive itself is in "Node main thread".',
    '- Priorities: detection worker threads run at nice 10 and clip encoders at nice 10 (DETECT_WORKER_NICENESS, ' +
      'CLIP_ENCODER_NICENESS); capture ffmpegs and the main thread at nice 0. "frame pipe read" = first to last byte ' +
      'of a frame on ffmpeg\'s stdout (`SampledFrame.readMs`); "event-loop delay" = `monitorEventLoopDelay` of the ' +
      'main thread in the window; "clip encoders" = CPU of the evidence-clip ffmpegs (counted in TowerWatch\'s total).',
    '- CPU split: "Node main thread" from `/proc/thread-self/stat` of the main thread (frame pipes, PPM parse, ' +
      'flat check, DetectLoop, alerts, sockets); "detect workers" = the worker threads\' own CPU ' +
      '(preprocessing + onnxruntime + decoding); "Node total" = `process.cpuUsage()` + the spawn host process (adds the libuv pool: sharp ' +
      'JPEG/resize, fs; and V8 GC threads). In the main-thread series inference is part of the main thread.',
    '- Projection column: all cores × 60 s / (CPU s per camera-minute measured in that row), TowerWatch alone and ' +
      'with the simulator; it ignores scheduling headroom and latency, so it is an upper bound, not a measurement.',
    '- Latency: capture time of the frame in the CameraWorker (`SampledFrame.capturedAt`, carried as the alert ' +
      "event's `at`) → receipt of `alert.opened` / `alert.updated` by the socket.io client (same wall clock). " +
      '"From the RTSP publisher": the same events from the time the simulator stamped the frame — its RTP ' +
      "timestamp mapped through the simulator's RTCP sender reports (`CodedKeyframe.sentAt`, built-in client " +
      'only; the simulator is on this host, so its NTP clock is this wall clock); it adds the wait for the sampled ' +
      'keyframe to arrive whole and be decoded.',
    '',
    table(
      ['series', 'largest N keeping the 2 s interval', 'stopped because'],
      series.map((s) => [s.name, `**${s.maxOk}**`, s.stop]),
    ),
    '',
    `Same-run ratios: towers keyframes/full decode = **${ratio(kPool, 'towers, full decode, detection in worker pool')}** cameras; ` +
      `worker pool/main thread = **${ratio(kPool, 'towers, keyframes, detection on the main thread (previous design)')}**; ` +
      `capture only keyframes/full = **${ratio('keyframes, capture only', 'full decode, capture only')}**, and CPU per camera full/keyframes = ${cpuRatio('')} (target ≥ 10×); ` +
      `the same on real content = **${ratio('keyframes, capture only, real content', 'full decode, capture only, real content')}** cameras, CPU per camera ${cpuRatio(', real content')}; ` +
      `640×360 detect sub-stream/1080p main stream = **${ratio(kSub, kPool)}**; ` +
      `built-in RTSP client (default)/ffmpeg receiving RTSP (sub-stream towers) = **${ratio(kSub, `${kSub}, ffmpeg receiving RTSP`)}**. Target: ≥ 100 towers-series cameras.`,
    '',
    table(head, rows),
  ].join('\n');
  return {
    id: 'capacity',
    title: '2. Fleet capacity and latency (one frame every 2 s per camera, all detectors on)',
    markdown: md,
    data: { series },
  };
}
