/**
 * Step 1 — decode cost, keyframe-only (`-skip_frame nokey`) vs full decode, on the same clip, same fleet size,
 * same window, in the same run. Ratio = full / keyframes CPU of the capture ffmpeg processes.
 */
import {
  fmt,
  log,
  modelNeed,
  realClip,
  syntheticHevcClip,
  syntheticClip,
  table,
  type BenchClip,
  type BenchOptions,
  type StepResult,
} from './common.ts';
import { buildCaptureArgs } from '../../services/capture/ffmpegArgs.ts';
import { spawnSupervised, stopChild } from '../../services/capture/processes.ts';
import { runFleet, startBenchServer, type FleetResult } from './fleet.ts';
import { readProcStat, sleep } from './common.ts';
import { spawnSync } from 'node:child_process';

/**
 * The content's ceiling for any keyframe-only receiver: CPU of libavcodec decoding the clip file, all pictures vs
 * keyframes only (`-skip_frame nokey`), `-threads 1`, no RTSP, no conversion, no output (`-f null`). A keyframe
 * path still decodes every keyframe it samples, so its capture CPU ratio cannot beat this on that content (with
 * GOP = sampling interval). CPU = children user + system seconds from bash's `times`.
 * @returns CPU seconds per minute of clip for each, and their ratio
 */
export function decoderCeiling(clip: BenchClip): { allSPerMin: number; keySPerMin: number; ratio: number } {
  const cpu = (extra: string): number => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `ffmpeg -hide_banner -nostdin -loglevel error -threads 1 ${extra} -i "$1" -an -f null - && times`,
        '_',
        clip.file,
      ],
      { encoding: 'utf8' },
    );
    // `times` prints the shell's user/sys line, then the children's: "0m9.870s 0m0.080s"
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    if (r.status !== 0 || secs.length < 2)
      throw new Error(`decoder ceiling: ffmpeg failed on ${clip.file}: ${r.stderr}`);
    return ((secs[0]! + secs[1]!) * 60) / clip.seconds;
  };
  const allSPerMin = cpu('');
  const keySPerMin = cpu('-skip_frame nokey');
  return { allSPerMin, keySPerMin, ratio: allSPerMin / keySPerMin };
}

/** Diagnostic: CPU of bare ffmpeg variants on the same stream, to show where keyframe-mode CPU goes. */
export interface Breakdown {
  clip: string;
  variant: string;
  cpuSPerMin: number;
}

/** Removes one option (and its value) from an ffmpeg argument list. */
function without(args: string[], opt: string): string[] {
  const i = args.indexOf(opt);
  return i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 2)];
}

/**
 * The bare-ffmpeg variants, side by side on the same stream: the capture command as the previous release ran
 * it (baseline), each cheaper-capture option alone, and all together (what a smoke-only camera runs now).
 */
function diagVariants(url: string): { variant: string; args: string[] }[] {
  const base = { url, sampleIntervalMs: 2000, decodeMode: 'keyframes' as const };
  const now = buildCaptureArgs(base);
  const previous = without(without(now, '-discard'), '-threads');
  const withThreads1 = without(now, '-discard');
  const withDiscard = without(now, '-threads');
  const small = { width: 854, height: 480 };
  return [
    {
      variant: 'receive + demux only (`-c copy -f null`)',
      args: [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'tcp',
        '-i',
        url,
        '-an',
        '-c:v',
        'copy',
        '-f',
        'null',
        '-',
      ],
    },
    {
      variant: 'A. previous capture: `-skip_frame nokey`, auto threads, 1920×1080 RGB PPM (baseline)',
      args: previous,
    },
    { variant: 'B. A + `-threads 1`', args: withThreads1 },
    { variant: 'C. A + `-discard nokey`', args: withDiscard },
    {
      variant: 'D. A + scale to 854×480 in ffmpeg',
      args: without(without(buildCaptureArgs({ ...base, outputSize: small }), '-discard'), '-threads'),
    },
    {
      variant: 'E. all: `-discard nokey -skip_frame nokey -threads 1` + 854×480 (smoke-only camera now)',
      args: buildCaptureArgs({ ...base, outputSize: small }),
    },
    { variant: 'F. E at native 1920×1080 (camera with a tiling model now)', args: now },
    {
      variant: 'G. full decode, previous (auto threads, 1920×1080)',
      args: without(buildCaptureArgs({ ...base, decodeMode: 'all' }), '-threads'),
    },
    {
      variant: 'H. full decode now (`-threads 1`, 1920×1080)',
      args: buildCaptureArgs({ ...base, decodeMode: 'all' }),
    },
  ];
}

export async function breakdown(clip: BenchClip, windowS: number): Promise<Breakdown[]> {
  const server = await startBenchServer(clip);
  const url = server.urls['cam']!;
  const variants = diagVariants(url);
  const children = variants.map((d) => {
    const c = spawnSupervised('ffmpeg', d.args);
    c.stdout?.resume(); // drain the frames
    return c;
  });
  try {
    await sleep(6000);
    const a = children.map((c) => (c.pid === undefined ? null : readProcStat(c.pid)));
    const t = Date.now();
    await sleep(windowS * 1000);
    const b = children.map((c) => (c.pid === undefined ? null : readProcStat(c.pid)));
    const perMin = 60_000 / (Date.now() - t);
    return variants.map((d, i) => ({
      clip: clip.name,
      variant: d.variant,
      cpuSPerMin: ((b[i]?.cpuS ?? NaN) - (a[i]?.cpuS ?? NaN)) * perMin,
    }));
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    await server.stop();
  }
}

export interface DecodeData {
  runs: FleetResult[];
  /**
   * Per clip, full decode / keyframe-only (the product default: built-in RTSP client), per camera per minute:
   * `ratio` = capture CPU (ffmpeg + Node), `netRatio` = the same less the bench's idle Node CPU per camera
   * (`idleNodeCpuSPerMin` / cameras, measured in the same run with no camera), `ffmpegRatio` = capture ffmpegs
   * only, `nodeRatio` = Node only; `ffmpegReceiveRatio` = capture CPU, full decode / keyframe-only with ffmpeg
   * receiving (`rtspClient: ffmpeg`); `ceiling` = {@link decoderCeiling} of the clip.
   */
  ratios: {
    clip: string;
    ratio: number;
    ceiling: number;
    netRatio: number;
    ffmpegRatio: number;
    nodeRatio: number;
    ffmpegReceiveRatio: number;
  }[];
  /** CPU s per minute of the bench's Node process (+ spawn host) in a window with no camera running. */
  idleNodeCpuSPerMin: number;
  breakdown: Breakdown[];
}

export function fleetRow(r: FleetResult): (string | number)[] {
  return [
    r.clip,
    r.mode,
    r.cameras,
    fmt(r.windowS, 0),
    `${r.online}/${r.cameras}`,
    fmt(r.ffmpegCpuSPerCamMin, 2),
    fmt((r.ffmpegCpuSPerCamMin / 60) * 100, 1),
    fmt(r.nodeCpuSPerCamMin, 2),
    `${fmt(r.ffmpegRssMiBPerCam, 0)} / ${fmt(r.ffmpegPssMiBPerCam, 0)}`,
    `${r.framesDelivered}/${fmt(r.framesExpected, 0)}`,
    fmt(r.maxGapMs / 1000, 2),
    r.camerasMissing,
    r.restarts,
    fmt(r.serverCpuSPerMin, 1),
    fmt(r.samplerCpuSPerMin, 2),
    fmt(r.ownBusy * 100, 0),
    fmt(r.machineBusy * 100, 0),
  ];
}

export const FLEET_HEAD = [
  'clip',
  'decode',
  'cameras',
  'window s',
  'online',
  'ffmpeg CPU s/cam/min',
  'ffmpeg % of a core/cam',
  'Node CPU s/cam/min',
  'ffmpeg RSS / PSS MiB/cam',
  'frames got/expected',
  'max gap s',
  'cams missing interval',
  'restarts',
  'server CPU s/min (sim)',
  'bench /proc sampler CPU s/min (not counted)',
  'bench CPU % of all cores',
  'machine busy %',
];

export async function benchDecode(o: BenchOptions): Promise<StepResult<DecodeData>> {
  const cameras = o.quick ? 1 : 4;
  const windowS = o.quick ? 8 : 30;
  const clips: BenchClip[] = [syntheticClip(o.quick ? 30 : 90)];
  if (!o.quick) {
    try {
      clips.push(realClip(60));
    } catch (e) {
      log(o, `real-content clip not available: ${(e as Error).message}`);
    }
    clips.push(syntheticHevcClip(90));
  }
  // The product's capture for a visible camera running the smoke model: frames stretched to its 640×480 input in ffmpeg.
  const frameNeeds = [modelNeed('smoke')];
  const runs: FleetResult[] = [];
  const labels: string[] = [];
  const ratios: DecodeData['ratios'] = [];
  const diag: Breakdown[] = [];
  const ceilings: { clip: string; allSPerMin: number; keySPerMin: number; ratio: number }[] = [];
  const idleNodeCpuSPerMin = await idleNodeCpu(windowS);
  log(o, `  bench Node process with no camera: ${fmt(idleNodeCpuSPerMin, 2)} CPU-s/min`);
  for (const clip of clips) {
    const ceiling = decoderCeiling(clip);
    ceilings.push({ clip: clip.name, ...ceiling });
    log(
      o,
      `  ${clip.name}: libavcodec alone ${fmt(ceiling.allSPerMin, 2)} (all) / ${fmt(ceiling.keySPerMin, 2)} ` +
        `(keyframes) CPU-s/min = ${fmt(ceiling.ratio, 1)}× ceiling`,
    );
    if (!o.quick && !clip.name.includes('H.265')) {
      diag.push(...(await breakdown(clip, 20)));
      log(
        o,
        `  breakdown ${clip.name}: ${diag
          .slice(-3)
          .map((d) => fmt(d.cpuSPerMin, 2))
          .join(' / ')} CPU-s/min`,
      );
    }
    const byMode: Partial<Record<string, FleetResult>> = {};
    const variants = [
      { key: 'keyframes', mode: 'keyframes', rtspClient: 'auto', label: 'keyframes' },
      {
        key: 'keyframes-ffmpeg',
        mode: 'keyframes',
        rtspClient: 'ffmpeg',
        label: 'keyframes, ffmpeg receives',
      },
      { key: 'all', mode: 'all', rtspClient: 'ffmpeg', label: 'all' },
    ] as const;
    for (const v of o.quick ? variants.filter((x) => x.key !== 'keyframes-ffmpeg') : variants) {
      const r = await runFleet(
        { clip, mode: v.mode, rtspClient: v.rtspClient, cameras, windowS, frameNeeds },
        o,
      );
      log(
        o,
        `  ${v.label}: ffmpeg ${fmt(r.ffmpegCpuSPerCamMin, 2)} + Node ${fmt(r.nodeCpuSPerCamMin, 2)} CPU-s/cam/min, frames ${r.framesDelivered}`,
      );
      runs.push(r);
      labels.push(v.label);
      byMode[v.key] = r;
    }
    const k = byMode['keyframes'];
    const kf = byMode['keyframes-ffmpeg'];
    const a = byMode['all'];
    const capture = (r: FleetResult) => r.ffmpegCpuSPerCamMin + r.nodeCpuSPerCamMin;
    const idlePerCam = idleNodeCpuSPerMin / cameras;
    if (k && a)
      ratios.push({
        clip: clip.name,
        ratio: capture(a) / capture(k),
        ceiling: ceiling.ratio,
        netRatio: (capture(a) - idlePerCam) / (capture(k) - idlePerCam),
        ffmpegRatio: a.ffmpegCpuSPerCamMin / k.ffmpegCpuSPerCamMin,
        nodeRatio: a.nodeCpuSPerCamMin / k.nodeCpuSPerCamMin,
        ffmpegReceiveRatio: kf ? capture(a) / capture(kf) : NaN,
      });
  }
  const md = [
    `${cameras} real \`CameraWorker\`s per run (decodeMode forced, sampleIntervalMs 2000, 1 frame / 2 s expected, ` +
      'capture as the runtime configures a smoke camera: "keyframes" is the product default (`rtspClient: auto`: ' +
      'the built-in RTSP client receives in Node, skips non-key pictures uncopied, and one ffmpeg per camera ' +
      'decodes only the sampled keyframes from its stdin); "keyframes, ffmpeg receives" is `rtspClient: ffmpeg` ' +
      '(`-threads 1 -discard nokey -skip_frame nokey`, one ffmpeg receiving and decoding); full decode is ' +
      "always ffmpeg; frames stretched to the smoke model's 640×480 input inside ffmpeg) " +
      `reading the demo RTSP server over RTSP/TCP; the window (${windowS} s) starts 1 s after every camera ` +
      'delivered its first frame. CPU = utime+stime from `/proc/<pid>/stat` of the capture ffmpeg children, ' +
      'sampled every second; RSS = VmRSS of those processes (shared libraries counted in every process), PSS = ' +
      'proportional set size from `smaps_rollup` at the end of the window (shared pages split: the marginal cost). ' +
      'That sampling (one scan of `/proc` a second) runs in a child process of its own (`procSampler.ts`), so its CPU ' +
      '(its own column) is in no per-camera figure; before 2026-12-01 four scans a second ran inside the Node ' +
      'process and were counted as Node CPU per camera. ' +
      '"server CPU" is the camera simulator (the demo RTSP server in `file` mode: one GStreamer pipeline per ' +
      'client, no re-encoding), not TowerWatch.',
    '',
    'Clips:',
    ...clips.map((c) => `- **${c.name}**: ${c.description}`),
    '',
    table(
      FLEET_HEAD,
      runs.map((r, i) => {
        const row = fleetRow(r);
        row[1] = labels[i] ?? r.mode;
        return row;
      }),
    ),
    '',
    '**Ratio full decode / keyframe-only** (CPU per camera, same run). The headline is capture CPU = capture ' +
      'ffmpegs + Node, because the built-in client moves the RTSP receive from ffmpeg into Node. "Net" subtracts ' +
      `the bench's own Node CPU with no camera running (${fmt(idleNodeCpuSPerMin, 2)} CPU-s/min, measured first ` +
      `in this run: timers, V8; ${fmt(idleNodeCpuSPerMin / cameras, 2)} per camera at ${cameras} ` +
      'cameras) from both sides: the marginal cost of a camera.',
    '',
    table(
      [
        'clip',
        'capture CPU (ffmpeg + Node) all/keyframes',
        'net of the idle bench process',
        'target',
        'ffmpeg only',
        'Node only',
        'same, keyframes with ffmpeg receiving (`rtspClient: ffmpeg`)',
        'content ceiling: libavcodec alone, all / keyframes (the clip file, `-threads 1`)',
      ],
      ratios.map((r) => [
        r.clip,
        `**${fmt(r.ratio, 1)}×**`,
        `${fmt(r.netRatio, 1)}×`,
        '≥ 10×',
        `${fmt(r.ffmpegRatio, 1)}×`,
        `${fmt(r.nodeRatio, 2)}×`,
        `${fmt(r.ffmpegReceiveRatio, 1)}×`,
        `${fmt(r.ceiling, 1)}×`,
      ]),
    ),
    '',
    '**Content ceiling (decoding alone)**: a keyframe-only path still decodes each sampled keyframe, so on a ' +
      'clip where a keyframe costs k and an average picture p, with GOP = sampling interval = G pictures, ' +
      "decoding alone allows at most G·p / k. The capture ratio adds each path's receive and conversion costs " +
      "to both sides, so it stays near or below this figure (unless full decode's own extra costs outgrow the " +
      "keyframe path's). The last column measures it on the clip file itself (libavcodec, one thread, no RTSP, " +
      'no pixel conversion): ' +
      ceilings
        .map((c) => `${c.clip} ${fmt(c.allSPerMin, 2)} / ${fmt(c.keySPerMin, 2)} CPU-s per minute of video`)
        .join('; ') +
      '.',
    '',
    'Node CPU is PPM parsing + flat-frame check of the same number of 640×480 frames in every mode, plus the ' +
      'RTSP receive in the default (built-in) keyframe mode.',
    ...(diag.length === 0
      ? []
      : [
          '',
          '**Where the keyframe-mode CPU goes** (diagnostic: one bare ffmpeg per variant on the same stream, ' +
            'run side by side for 20 s, CPU s per minute; A–F and the CameraWorker rows include RGB24 conversion ' +
            'and PPM output of one frame every 2 s; G–H are the full-decode capture commands):',
          '',
          table(
            ['clip', 'ffmpeg variant', 'CPU s/min', '% of a core'],
            diag.map((d) => [d.clip, d.variant, fmt(d.cpuSPerMin, 2), fmt((d.cpuSPerMin / 60) * 100, 1)]),
          ),
        ]),
  ].join('\n');
  return {
    id: 'decode',
    title: '1. Decode cost: keyframe-only vs full decode',
    markdown: md,
    data: { runs, ratios, breakdown: diag, idleNodeCpuSPerMin },
  };
}

/**
 * CPU s per minute that this Node process (and the spawn host, when it runs) uses with no camera: ticks once a
 * second like a fleet window does (RSS sample), for `windowS` seconds.
 */
async function idleNodeCpu(windowS: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  while (Date.now() - t0 < windowS * 1000) {
    await sleep(1000);
    process.memoryUsage();
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1e6) * (60_000 / (Date.now() - t0));
}
