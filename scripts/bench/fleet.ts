/**
 * Runs a fleet of N real CameraWorkers against the demo RTSP server (GStreamer, clips looped by
 * `ffmpeg -re -stream_loop -1 -c copy`) for a fixed window and measures what the capture stage costs:
 * CPU seconds and RSS of the sampling ffmpeg children, Node's own CPU, the serving side's CPU (reported
 * apart: it is the bench's camera simulator, not TowerWatch), frames delivered vs expected and the largest
 * gap between two frames of a camera. Optionally pushes every frame through the real DetectLoop.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import os from 'node:os';
import { pino } from 'pino';
import { CameraWorker, type SampledFrame } from '../../services/capture/cameraWorker.ts';
import type { DecodeMode } from '../../services/capture/ffmpegArgs.ts';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import type { DetectLoop } from '../../services/detect/detectLoop.ts';
import { CameraConfig } from '../../services/schemas/config.ts';
import { systemClock } from '../../services/util/clock.ts';
import {
  childrenOf,
  CpuAccountant,
  log,
  machineCpu,
  mean,
  readCmdline,
  readProcStat,
  readPssKb,
  sleep,
  type BenchClip,
  type BenchOptions,
  type ProcStat,
} from './common.ts';

export interface FleetOptions {
  clip: BenchClip;
  mode: DecodeMode;
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

export interface CameraResult {
  id: string;
  online: boolean;
  framesInWindow: number;
  expected: number;
  /** Largest gap between consecutive frames in the window (including window start → first frame), ms. */
  maxGapMs: number;
  restarts: number;
}

export interface FleetResult {
  mode: DecodeMode;
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
  framesDelivered: number;
  framesExpected: number;
  maxGapMs: number;
  /** Cameras with a gap > 1.5 × interval or fewer frames than expected − 1 (or never online). */
  camerasMissing: number;
  restarts: number;
  /** Frames analysed / dropped by the DetectLoop in the window (detect runs only). */
  analysed?: number;
  droppedByDetect?: number;
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

const cmdCache = new Map<number, string>();
function isCaptureFfmpeg(p: ProcStat): boolean {
  if (p.comm !== 'ffmpeg') return false;
  let c = cmdCache.get(p.pid);
  if (c === undefined) cmdCache.set(p.pid, (c = readCmdline(p.pid)));
  return c.includes('image2pipe');
}

export function captureFfmpegs(): ProcStat[] {
  return childrenOf(process.pid).filter(isCaptureFfmpeg);
}

/**
 * Starts the demo RTSP server with one `file`-mode mount of `clip`: every client gets its own real-time-paced
 * stream of the clip from its start. (The `loop` mode — UDP MPEG-TS from `ffmpeg -re -stream_loop -1 -c copy`
 * feeders — delivered only ~15 % of the frames of a 1080p25 5 Mbit/s clip on this machine, in bursts of 4
 * frames every ~1.5 s, which would make full decoding look cheap; see BENCHMARKS.md.)
 */
export async function startBenchServer(clip: BenchClip): Promise<DemoRtspServer> {
  const port = await freePort();
  return startDemoRtspServer({
    port,
    baseDir: '/',
    streams: [{ mount: 'cam', clip: clip.file, mode: 'file' }],
    log: pino({ level: 'silent' }),
    udpBase: 30000 + Math.floor(Math.random() * 300) * 64,
  });
}

/** Runs one fleet; always stops every worker and the server. */
export async function runFleet(o: FleetOptions, bo: BenchOptions): Promise<FleetResult> {
  const intervalMs = o.sampleIntervalMs ?? 2000;
  const server = await startBenchServer(o.clip);
  const serverPid = childrenOf(process.pid).find((p) => readCmdline(p.pid).includes('rtsp_server.py'))?.pid;
  const quiet = pino({ level: 'silent' });
  const frames = new Map<string, number[]>();
  const workers: CameraWorker[] = [];
  const t0 = Date.now();
  try {
    for (let i = 0; i < o.cameras; i++) {
      const id = `bench-${i}`;
      const cam = CameraConfig.parse({
        id,
        name: id,
        url: server.urls['cam']!,
        channel: 'visible',
        detectors: ['smoke'],
        sampleIntervalMs: intervalMs,
        decodeMode: o.mode,
        stallTimeoutS: 10,
      });
      o.detect?.cameras.set(id, cam);
      const times: number[] = [];
      frames.set(id, times);
      const w = new CameraWorker(cam, {
        clock: systemClock,
        log: quiet,
        onFrame: (f) => {
          times.push(f.capturedAt);
          o.onFrame?.(f);
        },
        onStatus: () => undefined,
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
    // Settle: let the first burst of frames through. The window must end before the first client's clip does.
    await sleep(1000);
    const windowS = Math.min(o.windowS, o.clip.seconds - 5 - (Date.now() - t0) / 1000);
    if (windowS < 5)
      throw new Error(`start-up took ${startupS} s: no time left in the ${o.clip.seconds} s clip`);

    const ffmpegAcc = new CpuAccountant(captureFfmpegs);
    const serverAcc = new CpuAccountant(() => {
      if (serverPid === undefined) return [];
      const s = readProcStat(serverPid);
      return s ? [s, ...childrenOf(serverPid)] : [];
    });
    const lastBefore = new Map([...frames].map(([id, t]) => [id, t.at(-1) ?? null]));
    const countBefore = new Map([...frames].map(([id, t]) => [id, t.length]));
    const m0 = machineCpu();
    const nodeCpu0 = process.cpuUsage();
    const nodeRss: number[] = [];
    const ws = Date.now();
    ffmpegAcc.start();
    serverAcc.start();
    const before = o.detect?.loop ? [...frames.keys()].map((id) => o.detect!.loop.counts(id)) : [];
    while (Date.now() - ws < windowS * 1000) {
      await sleep(Math.min(1000, windowS * 1000 - (Date.now() - ws)));
      nodeRss.push(process.memoryUsage().rss);
    }
    const we = Date.now();
    const ffm = ffmpegAcc.stop();
    const srv = serverAcc.stop();
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const m1 = machineCpu();
    const windowMs = we - ws;
    const perCamera: CameraResult[] = [...frames].map(([id, t], i) => {
      const inWin = t.slice(countBefore.get(id) ?? 0).filter((x) => x <= we);
      let prev = lastBefore.get(id) ?? ws;
      let maxGap = 0;
      for (const x of inWin) {
        maxGap = Math.max(maxGap, x - Math.max(prev, ws));
        prev = x;
      }
      maxGap = Math.max(maxGap, we - Math.max(prev, ws));
      return {
        id,
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
      clip: o.clip.name,
      cameras: n,
      windowS: windowMs / 1000,
      intervalMs,
      online,
      startupS,
      ffmpegCpuSPerCamMin: (ffm.cpuS * perMin) / n,
      nodeCpuSPerCamMin: ((nodeCpu.user + nodeCpu.system) / 1e6) * (perMin / n),
      serverCpuSPerMin: srv.cpuS * perMin,
      machineBusy: 1 - (m1.idle - m0.idle) / Math.max(1, m1.total - m0.total),
      ownBusy:
        (ffm.cpuS + srv.cpuS + (nodeCpu.user + nodeCpu.system) / 1e6) / (windowMs / 1000) / os.cpus().length,
      ffmpegRssMiBPerCam: ffm.meanRssKb / 1024 / Math.max(1, ffm.lastProcs.length || online),
      ffmpegPssMiBPerCam: mean(ffm.lastProcs.map((p) => readPssKb(p.pid)).filter(Number.isFinite)) / 1024,
      nodeRssMiB: mean(nodeRss) / 2 ** 20,
      framesDelivered: perCamera.reduce((a, c) => a + c.framesInWindow, 0),
      framesExpected: perCamera.reduce((a, c) => a + c.expected, 0),
      maxGapMs: Math.max(0, ...perCamera.map((c) => c.maxGapMs)),
      camerasMissing: missing,
      restarts: perCamera.reduce((a, c) => a + c.restarts, 0),
      leftoverFfmpeg: 0,
      perCamera,
      ...(analysed !== undefined ? { analysed, droppedByDetect } : {}),
    };
    await Promise.all(workers.map((w) => w.stop()));
    workers.length = 0;
    await sleep(3000);
    result.leftoverFfmpeg = captureFfmpegs().length;
    return result;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
}
