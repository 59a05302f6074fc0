/**
 * Runs a fleet of N real CameraWorkers against the demo RTSP server (GStreamer, clips looped by
 * `ffmpeg -re -stream_loop -1 -c copy`) for a fixed window and measures what the capture stage costs:
 * CPU seconds and RSS of the sampling ffmpeg children, Node's own CPU, the serving side's CPU (reported
 * apart: it is the bench's camera simulator, not TowerWatch), frames delivered vs expected and the largest
 * gap between two frames of a camera. Optionally pushes every frame through the real DetectLoop.
 */
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { pino } from 'pino';
import { CameraWorker, type SampledFrame } from '../../services/capture/cameraWorker.ts';
import type { DecodeMode, FrameNeed } from '../../services/capture/ffmpegArgs.ts';
import { threadCpuSeconds, type DetectorPool } from '../../services/detect/detectorPool.ts';
import type { DetectionType } from '../../services/schemas/config.ts';
import {
  startDemoRtspServer,
  type DemoRtspServer,
  type DemoServerCrash,
} from '../../services/demo/demoRtspServer.ts';
import type { DetectLoop } from '../../services/detect/detectLoop.ts';
import { CameraConfig } from '../../services/schemas/config.ts';
import { systemClock } from '../../services/util/clock.ts';
import { captureFfmpegs, ProcSampler } from './procSampler.ts';
import {
  descendantsOf,
  log,
  machineCpu,
  mean,
  readCmdline,
  readPssKb,
  sleep,
  type BenchClip,
  type BenchOptions,
} from './common.ts';

/** Cameras of one kind in a fleet: their clip, detectors and what those need from frames. */
export interface FleetGroup {
  clip: BenchClip;
  detectors: DetectionType[];
  /** Passed to CameraWorker (frames scaled inside ffmpeg when no model needs native scale). */
  frameNeeds?: FrameNeed[];
}

export interface FleetOptions {
  /** Label clip (and the only clip without `groups`: smoke cameras, native frames unless `frameNeeds`). */
  clip: BenchClip;
  /** Mixed fleet: camera i belongs to groups[i % groups.length]. */
  groups?: FleetGroup[];
  frameNeeds?: FrameNeed[];
  /**
   * Default true: {@link CAMERAS_PER_MOUNT} cameras share one simulator pipeline (`file-shared` mounts);
   * false: one pipeline per camera (`file`), the simulator of the benchmarks before 2026-11-30 08:30.
   */
  sharedMounts?: boolean;
  /** Alert latency collector: called at window start (reset) and end (alert events in the window). */
  latency?: () => Promise<LatencyStats>;
  /** Soak: run past the clips' end (each worker restarts its ffmpeg when its stream ends). */
  pastClipEnd?: boolean;
  /** Called every second of the window (soak sampling). */
  onTick?: () => void;
  /** Detection pool, for the CPU split main thread / inference workers. */
  pool?: DetectorPool;
  mode: DecodeMode;
  /** Camera `rtspClient` (absent: the product default, `auto`: the built-in RTSP client). */
  rtspClient?: 'auto' | 'builtin' | 'ffmpeg';
  cameras: number;
  windowS: number;
  sampleIntervalMs?: number;
  /** Max wait for every camera's first frame, ms. */
  onlineTimeoutMs?: number;
  /** Receives every sampled frame (e.g. DetectLoop.push); when absent frames are dropped at once. */
  onFrame?: (f: SampledFrame) => void;
  /** Awaited after the window (e.g. DetectLoop.drain, bounded by the caller). */
  detect?: { loop: DetectLoop; cameras: Map<string, CameraConfig> };
}

/** Frame capture (`SampledFrame.capturedAt`) → alert event received by a socket.io client, ms. */
export interface LatencyStats {
  /** Alert events (opened + updated) received in the window. */
  n: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * Where the time went, p95 over the window's detector calls, ms: `wait` = frame capture → its detector call
   * (DetectLoop: the camera's previous frame and its alert work), `pool` = call → result minus the model's
   * own time (the pool queue and the hand-off to the worker), `model` = preprocessing + inference in the worker.
   */
  stagesP95?: { waitMs: number; poolMs: number; modelMs: number };
  /**
   * The same events measured from the RTSP publisher's wall clock: the frame's `CodedKeyframe.sentAt` (its RTP
   * timestamp mapped through the simulator's RTCP sender reports) → receipt, ms. Only events whose frame came
   * from the built-in client after a sender report; absent when none did.
   */
  fromPublisher?: { n: number; p50Ms: number; p95Ms: number; p99Ms: number };
}

export interface CameraResult {
  id: string;
  /** Index of the camera's FleetGroup (towers: 0 visible, 1 thermal). */
  group: number;
  /** Pipe read time of each frame in the window (SampledFrame.readMs), ms. */
  readMs: number[];
  /** Seconds from window start of each frame that arrived more than 1.5 × interval after the previous one. */
  lateAtS: number[];
  online: boolean;
  framesInWindow: number;
  expected: number;
  /** Largest gap between consecutive frames in the window (including window start → first frame), ms. */
  maxGapMs: number;
  restarts: number;
}

export interface FleetResult {
  mode: DecodeMode;
  /**
   * Crashes of the camera simulator (gst-rtsp-server) during this fleet, each followed by a restart: cameras
   * offline because of them say nothing about TowerWatch (capacity re-runs such a level once).
   */
  simulatorCrashes: DemoServerCrash[];
  clip: string;
  cameras: number;
  windowS: number;
  intervalMs: number;
  online: number;
  /** Seconds from start until every camera had its first frame (or the timeout). */
  startupS: number;
  /** Capture ffmpeg CPU, seconds per camera per minute. */
  ffmpegCpuSPerCamMin: number;
  /** Node process CPU (frame parsing, flat check, detection when enabled), s per camera per minute. */
  nodeCpuSPerCamMin: number;
  /**
   * CPU s per minute of the bench's `/proc` sampler process (`procSampler.ts`): the instrument's cost, in no
   * per-camera figure (before 2026-12-01 it ran inside the Node process and was counted in `nodeCpuSPerCamMin`).
   */
  samplerCpuSPerMin: number;
  /** Evidence clip encoders (ffmpeg libx264 children of TowerWatch), s per camera per minute. */
  clipCpuSPerCamMin: number;
  /** Demo server (GStreamer + feeders) CPU, s per minute in total. */
  serverCpuSPerMin: number;
  /** CPU of this bench (capture ffmpeg + Node + simulator) as a fraction of all cores, 0..1. */
  ownBusy: number;
  /** Whole machine busy fraction during the window (other processes included), 0..1. */
  machineBusy: number;
  /** Mean RSS of one capture ffmpeg, MiB (counts the shared libraries in full in every process). */
  ffmpegRssMiBPerCam: number;
  /** Mean PSS of one capture ffmpeg at the end of the window, MiB (shared pages split: the real cost). */
  ffmpegPssMiBPerCam: number;
  nodeRssMiB: number;
  /** Node main-thread CPU, s per camera per minute (NaN off Linux). */
  mainThreadCpuSPerCamMin: number;
  /** Detection worker threads' CPU (preprocess + inference), s per camera per minute (pool runs only). */
  inferCpuSPerCamMin?: number;
  latency?: LatencyStats;
  framesDelivered: number;
  framesExpected: number;
  maxGapMs: number;
  /** Cameras with a gap > 1.5 × interval or fewer frames than expected − 1 (or never online). */
  camerasMissing: number;
  restarts: number;
  /** Frames analysed / dropped by the DetectLoop in the window (detect runs only). */
  analysed?: number;
  droppedByDetect?: number;
  /**
   * Node main-thread event-loop delay in the window (perf_hooks.monitorEventLoopDelay, 10 ms resolution), ms:
   * how long a ready frame pipe could wait before Node read it.
   */
  loopDelay: { p99Ms: number; maxMs: number };
  /** Node's CPU by thread name (main "node", detection workers, "libuv-worker", V8 helpers), s/cam/min. */
  threadCpuSPerCamMin: Record<string, number>;
  /** V8 garbage-collection pauses in the window (PerformanceObserver 'gc'): count, total and longest, ms. */
  gc: { count: number; totalMs: number; maxMs: number };
  /** Frames delivered by all cameras since start (window or not). */
  framesTotal: number;
  /** Capture ffmpeg processes left 3 s after stop (must be 0). */
  leftoverFfmpeg: number;
  perCamera: CameraResult[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds of this process's threads, summed by thread name (`/proc/self/task/<tid>/comm`). */
function threadCpuByName(): Map<string, number> {
  const out = new Map<string, number>();
  const hz = 100; // USER_HZ on Linux
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / hz);
    } catch {
      // thread exited
    }
  }
  return out;
}

/**
 * Cameras per simulator mount in fleets: the mount's clip plays once for all of them (`file-shared`), so the
 * simulator runs N/4 GStreamer pipelines instead of N. With one pipeline per camera the simulator took 25 % of
 * this 2-core machine at 100 capture-only cameras (29.7 CPU-s/min, BENCHMARKS.md §2 of 2026-11-30), CPU that
 * real cameras spend on their own hardware. The 4 cameras of a mount get their keyframes at the same moment
 * (a burst), which is harder on the detection queue than independent cameras, not easier.
 */
export const CAMERAS_PER_MOUNT = 4;

/** Mount name of the `k`-th mount of clip `i`. */
export const mountName = (i: number, k: number): string => (i === 0 && k === 0 ? 'cam' : `cam${i}m${k}`);

/**
 * Starts the demo RTSP server with `mountsPerClip` mounts of each clip (mount names: {@link mountName}).
 * `file` mode (default): every client gets its own real-time-paced stream of the clip from its start;
 * `file-shared`: every mount plays its clip once, from its first client's connection, for all its clients.
 * (The `loop` mode — UDP MPEG-TS from `ffmpeg -re -stream_loop -1 -c copy` feeders — delivered only ~15 % of
 * the frames of a 1080p25 5 Mbit/s clip on this machine, in bursts of 4 frames every ~1.5 s, which would make
 * full decoding look cheap; see BENCHMARKS.md.)
 */
export async function startBenchServer(
  clip: BenchClip | BenchClip[],
  o: { mountsPerClip?: number; mode?: 'file' | 'file-shared' } = {},
): Promise<DemoRtspServer> {
  const port = await freePort();
  const clips = Array.isArray(clip) ? clip : [clip];
  const mounts = Math.max(1, o.mountsPerClip ?? 1);
  return startDemoRtspServer({
    port,
    baseDir: '/',
    streams: clips.flatMap((c, i) =>
      Array.from({ length: mounts }, (_, k) => ({
        mount: mountName(i, k),
        clip: c.file,
        mode: o.mode ?? ('file' as const),
      })),
    ),
    // The simulator's own warnings (GStreamer's, with GST_DEBUG=2 in the environment) go to the bench's stderr:
    // the only witness when cameras fail to come online under load.
    log: pino({ level: 'warn', base: { component: 'bench-sim' } }, pino.destination(2)),
    udpBase: 30000 + Math.floor(Math.random() * 300) * 64,
  });
}

/** Runs one fleet; always stops every worker and the server. */
export async function runFleet(o: FleetOptions, bo: BenchOptions): Promise<FleetResult> {
  const intervalMs = o.sampleIntervalMs ?? 2000;
  const groups: FleetGroup[] = o.groups ?? [
    { clip: o.clip, detectors: ['smoke'], ...(o.frameNeeds ? { frameNeeds: o.frameNeeds } : {}) },
  ];
  const clipSeconds = Math.min(...groups.map((g) => g.clip.seconds));
  const perGroup = Math.ceil(o.cameras / groups.length);
  const mountsPerClip = o.sharedMounts === false ? perGroup : Math.ceil(perGroup / CAMERAS_PER_MOUNT);
  const server = await startBenchServer(
    groups.map((g) => g.clip),
    { mountsPerClip, mode: o.sharedMounts === false ? 'file' : 'file-shared' },
  );
  // A descendant: the simulator is started through the spawn host (its stdin control pipe is passed over).
  const serverPid = descendantsOf(process.pid).find((p) =>
    readCmdline(p.pid).includes('rtsp_server.py'),
  )?.pid;
  const quiet = pino({ level: 'silent' });
  const frames = new Map<string, number[]>();
  const readTimes = new Map<string, number[]>();
  const workers: CameraWorker[] = [];
  const t0 = Date.now();
  let sampler: ProcSampler | undefined;
  try {
    for (let i = 0; i < o.cameras; i++) {
      const id = `bench-${i}`;
      const gi = i % groups.length;
      const group = groups[gi]!;
      const cam = CameraConfig.parse({
        id,
        name: id,
        url: server.urls[mountName(gi, Math.floor(i / groups.length) % mountsPerClip)]!,
        channel: group.detectors.includes('hotspot') ? 'thermal' : 'visible',
        detectors: group.detectors,
        sampleIntervalMs: intervalMs,
        decodeMode: o.mode,
        ...(o.rtspClient ? { rtspClient: o.rtspClient } : {}),
        stallTimeoutS: 10,
      });
      o.detect?.cameras.set(id, cam);
      const times: number[] = [];
      const reads: number[] = [];
      frames.set(id, times);
      readTimes.set(id, reads);
      const w = new CameraWorker(cam, {
        clock: systemClock,
        log: quiet,
        onFrame: (f) => {
          times.push(f.capturedAt);
          reads.push(f.readMs ?? NaN);
          o.onFrame?.(f);
        },
        onStatus: () => undefined,
        ...(group.frameNeeds ? { frameNeeds: group.frameNeeds } : {}),
      });
      workers.push(w);
      w.start();
    }
    // Wait (bounded) for every camera's first frame.
    const onlineTimeout = o.onlineTimeoutMs ?? 30_000 + o.cameras * 300;
    while (Date.now() - t0 < onlineTimeout && [...frames.values()].some((t) => t.length === 0))
      await sleep(250);
    const startupS = (Date.now() - t0) / 1000;
    const online = [...frames.values()].filter((t) => t.length > 0).length;
    log(bo, `${o.mode} ×${o.cameras} (${o.clip.name}): ${online} online after ${startupS.toFixed(1)} s`);
    if (online < o.cameras) {
      // Why cameras never came online (worker status and last error), for the next person reading the log.
      const why = new Map<string, number>();
      for (const w of workers) {
        if ((frames.get(w.camera.id)?.length ?? 0) > 0) continue;
        const s = w.status;
        const k =
          `${s.status}, ${s.restarts} restarts, ${s.receiver ?? 'no'} receiver, ${s.codec ?? '?'} (group ${groups.findIndex((g) => g.detectors.join() === w.camera.detectors.join())}): ${s.lastError ?? 'no error'}`.slice(
            0,
            240,
          );
        why.set(k, (why.get(k) ?? 0) + 1);
      }
      log(bo, `  offline cameras: ${[...why].map(([k, n]) => `${n}× ${k}`).join(' | ')}`);
      for (const c of server.crashes())
        log(
          bo,
          `  camera simulator crashed at +${((c.at - t0) / 1000).toFixed(1)} s (restarted): ${c.reason}`,
        );
    }
    // Settle: let the first burst of frames through. The window must end before the first client's clip does.
    await sleep(1000);
    const windowS = o.pastClipEnd
      ? o.windowS
      : Math.min(o.windowS, clipSeconds - 5 - (Date.now() - t0) / 1000);
    if (windowS < 5)
      throw new Error(`start-up took ${startupS} s: no time left in the ${clipSeconds} s clip`);

    // The /proc sampling runs in its own process, so its CPU (~8 ms per scan) is not counted as the cameras'.
    sampler = await ProcSampler.start(process.pid, serverPid);
    const lastBefore = new Map([...frames].map(([id, t]) => [id, t.at(-1) ?? null]));
    const countBefore = new Map([...frames].map(([id, t]) => [id, t.length]));
    const m0 = machineCpu();
    const nodeCpu0 = process.cpuUsage();
    const main0 = threadCpuSeconds();
    const threads0 = threadCpuByName();
    const infer0 = o.pool?.workerCpuSeconds ?? 0;
    const nodeRss: number[] = [];
    const ws = Date.now();
    const eld = monitorEventLoopDelay({ resolution: 10 });
    const gc = { count: 0, totalMs: 0, maxMs: 0 };
    const gcObs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gc.count++;
        gc.totalMs += e.duration;
        gc.maxMs = Math.max(gc.maxMs, e.duration);
      }
    });
    gcObs.observe({ entryTypes: ['gc'] });
    eld.enable();
    const before = o.detect?.loop ? [...frames.keys()].map((id) => o.detect!.loop.counts(id)) : [];
    await o.latency?.(); // events before the window are not counted
    while (Date.now() - ws < windowS * 1000) {
      await sleep(Math.min(1000, windowS * 1000 - (Date.now() - ws)));
      nodeRss.push(process.memoryUsage().rss);
      o.onTick?.();
    }
    const we = Date.now();
    eld.disable();
    gcObs.disconnect();
    const { groups: sampled, samplerCpuS } = await sampler.stop();
    const ffm = sampled.ffmpeg;
    const srv = sampled.server;
    const hostCpuS = sampled.host.cpuS;
    const clipCpuS = sampled.clip.cpuS;
    const nodeCpu0End = process.cpuUsage(nodeCpu0);
    const nodeCpu = { user: nodeCpu0End.user + hostCpuS * 1e6, system: nodeCpu0End.system };
    const latency = await o.latency?.();
    const mainCpuS = threadCpuSeconds() - main0;
    const threads1 = threadCpuByName();
    const threadCpuSPerCamMin = Object.fromEntries(
      [...threads1]
        .map(
          ([k, v]) => [k, ((v - (threads0.get(k) ?? 0)) * 60_000) / (Date.now() - ws) / o.cameras] as const,
        )
        .filter(([, v]) => v > 0.005)
        .sort((a, b) => b[1] - a[1]),
    );
    const inferCpuS = (o.pool?.workerCpuSeconds ?? 0) - infer0;
    const m1 = machineCpu();
    const windowMs = we - ws;
    const perCamera: CameraResult[] = [...frames].map(([id, t], i) => {
      const inWin = t.slice(countBefore.get(id) ?? 0).filter((x) => x <= we);
      const readMs = (readTimes.get(id) ?? []).slice(
        countBefore.get(id) ?? 0,
        (countBefore.get(id) ?? 0) + inWin.length,
      );
      let prev = lastBefore.get(id) ?? ws;
      let maxGap = 0;
      const lateAtS: number[] = [];
      for (const x of inWin) {
        const gap = x - Math.max(prev, ws);
        if (gap > 1.5 * intervalMs) lateAtS.push(Math.round((x - ws) / 100) / 10);
        maxGap = Math.max(maxGap, gap);
        prev = x;
      }
      maxGap = Math.max(maxGap, we - Math.max(prev, ws));
      return {
        id,
        group: i % groups.length,
        lateAtS,
        readMs,
        online: t.length > 0,
        framesInWindow: inWin.length,
        expected: windowMs / intervalMs,
        maxGapMs: maxGap,
        restarts: workers[i]?.status.restarts ?? 0,
      };
    });
    let analysed: number | undefined;
    let droppedByDetect: number | undefined;
    if (o.detect) {
      const after = [...frames.keys()].map((id) => o.detect!.loop.counts(id));
      analysed = after.reduce((a, c, i) => a + c.framesAnalysed - (before[i]?.framesAnalysed ?? 0), 0);
      droppedByDetect = after.reduce((a, c, i) => a + c.framesDropped - (before[i]?.framesDropped ?? 0), 0);
    }
    const perMin = 60_000 / windowMs;
    const n = o.cameras;
    const missing = perCamera.filter(
      (c) => !c.online || c.maxGapMs > 1.5 * intervalMs || c.framesInWindow < Math.floor(c.expected) - 1,
    ).length;
    const result: FleetResult = {
      mode: o.mode,
      simulatorCrashes: server.crashes(),
      clip: o.clip.name,
      cameras: n,
      windowS: windowMs / 1000,
      intervalMs,
      online,
      startupS,
      ffmpegCpuSPerCamMin: (ffm.cpuS * perMin) / n,
      nodeCpuSPerCamMin: ((nodeCpu.user + nodeCpu.system) / 1e6) * (perMin / n),
      mainThreadCpuSPerCamMin: (mainCpuS * perMin) / n,
      clipCpuSPerCamMin: (clipCpuS * perMin) / n,
      ...(o.pool ? { inferCpuSPerCamMin: (inferCpuS * perMin) / n } : {}),
      ...(latency ? { latency } : {}),
      serverCpuSPerMin: srv.cpuS * perMin,
      samplerCpuSPerMin: samplerCpuS * perMin,
      machineBusy: 1 - (m1.idle - m0.idle) / Math.max(1, m1.total - m0.total),
      ownBusy:
        (ffm.cpuS + clipCpuS + srv.cpuS + (nodeCpu.user + nodeCpu.system) / 1e6) /
        (windowMs / 1000) /
        os.cpus().length,
      ffmpegRssMiBPerCam: ffm.meanRssKb / 1024 / Math.max(1, ffm.lastPids.length || online),
      ffmpegPssMiBPerCam: mean(ffm.lastPids.map((pid) => readPssKb(pid)).filter(Number.isFinite)) / 1024,
      nodeRssMiB: mean(nodeRss) / 2 ** 20,
      framesDelivered: perCamera.reduce((a, c) => a + c.framesInWindow, 0),
      framesExpected: perCamera.reduce((a, c) => a + c.expected, 0),
      maxGapMs: Math.max(0, ...perCamera.map((c) => c.maxGapMs)),
      camerasMissing: missing,
      restarts: perCamera.reduce((a, c) => a + c.restarts, 0),
      leftoverFfmpeg: 0,
      threadCpuSPerCamMin,
      loopDelay: { p99Ms: eld.percentile(99) / 1e6, maxMs: eld.max / 1e6 },
      gc,
      framesTotal: 0,
      perCamera,
      ...(analysed !== undefined ? { analysed, droppedByDetect } : {}),
    };
    await Promise.all(workers.map((w) => w.stop()));
    workers.length = 0;
    result.framesTotal = [...frames.values()].reduce((a, t) => a + t.length, 0);
    await sleep(3000);
    result.leftoverFfmpeg = captureFfmpegs().length;
    return result;
  } finally {
    sampler?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
}
