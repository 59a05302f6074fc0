/**
 * Step 6 — soak: the "towers" fleet (visible 1080p smoke cameras + thermal hotspot cameras, detection in the
 * worker pool, alerts to a socket client) at a fixed N for `--soak-minutes` (default 1; the 1 h run is
 * `--soak-minutes 60`; the CI variant runs ~20 s). Every 5 s: Node RSS, open fds, capture ffmpeg count and their
 * RSS. Checks: RSS and fds flat after warm-up (last third vs first third after start-up), never more capture
 * ffmpeg processes than cameras and none left after stop, and frames analysed = frames sampled − frames
 * dropped (counted) once the DetectLoop is drained. The bench clips are 90 s files: each camera's stream ends
 * and its worker restarts ffmpeg (counted), which also exercises the restart path for leaks.
 */
import {
  fmt,
  log,
  mean,
  modelNeed,
  openFds,
  realClip,
  sleep,
  syntheticClip,
  table,
  thermalClip,
  type BenchOptions,
  type StepResult,
} from './common.ts';
import { withDetect } from './capacity.ts';
import { captureFfmpegs, runFleet, type FleetGroup, type FleetResult } from './fleet.ts';

export interface SoakData {
  cameras: number;
  minutes: number;
  durationS: number;
  rssStartMiB: number;
  rssEndMiB: number;
  /** Least-squares slope of Node RSS over the last two thirds of the run (after warm-up), MiB per hour. */
  rssSlopeMiBPerH: number;
  heapStartMiB: number;
  heapEndMiB: number;
  fdsStart: number;
  fdsEnd: number;
  ffmpegRssStartMiB: number;
  ffmpegRssEndMiB: number;
  maxCaptureFfmpeg: number;
  framesSampled: number;
  framesAnalysed: number;
  framesDropped: number;
  restarts: number;
  alertEvents: number;
  leftoverFfmpeg: number;
}

/** `--soak-minutes M` and `--soak-cameras N` from argv (defaults: 1 min, 20 cameras; quick: 20 s, 2). */
function soakArgs(o: BenchOptions): { minutes: number; cameras: number } {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
    return Number.isFinite(v) && v > 0 ? v : null;
  };
  return {
    minutes: arg('--soak-minutes') ?? (o.quick ? 20 / 60 : 1),
    cameras: Math.round(arg('--soak-cameras') ?? (o.quick ? 2 : 20)),
  };
}

/** Least-squares slope dy/dx of `[x, y]` points (NaN with fewer than 2 distinct x). */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

export async function benchSoak(o: BenchOptions): Promise<StepResult<SoakData>> {
  const { minutes, cameras } = soakArgs(o);
  const groups: FleetGroup[] = [
    {
      clip: o.quick ? syntheticClip(30) : realClip(90),
      detectors: ['smoke'],
      frameNeeds: [modelNeed('smoke')],
    },
    { clip: thermalClip(o.quick ? 30 : 90), detectors: ['hotspot'], frameNeeds: [modelNeed('hotspot')] },
  ];
  const samples: { t: number; rss: number; heap: number; fds: number; ffmpeg: number; ffmpegRss: number }[] =
    [];
  const t0 = Date.now();
  let lastSample = 0;
  const sample = () => {
    if (Date.now() - lastSample < 5000) return;
    lastSample = Date.now();
    const ff = captureFfmpegs();
    const mem = process.memoryUsage();
    samples.push({
      t: (Date.now() - t0) / 1000,
      rss: mem.rss / 2 ** 20,
      heap: mem.heapUsed / 2 ** 20,
      fds: openFds(),
      ffmpeg: ff.length,
      ffmpegRss: ff.reduce((a, p) => a + p.rssKb, 0) / 1024,
    });
  };
  let counts = { sampled: 0, analysed: 0, dropped: 0, events: 0 };
  const r: FleetResult = await withDetect(
    o,
    'pool',
    async (d) => {
      const res = await runFleet(
        {
          clip: groups[0]!.clip,
          groups,
          mode: 'keyframes',
          cameras,
          windowS: minutes * 60,
          pastClipEnd: true,
          // one simulator pipeline per camera (`file` mounts): the hour-long run uses the simulator setup that
          // earlier soaks validated; the shared mounts of the capacity step are newer
          sharedMounts: false,
          onTick: sample,
          onFrame: d.onFrame,
          detect: d,
          latency: d.latency,
          ...(d.pool ? { pool: d.pool } : {}),
        },
        o,
      );
      await Promise.race([d.loop.drain(), sleep(30_000)]);
      const per = [...d.cameras.keys()].map((id) => d.loop.counts(id));
      counts = {
        sampled: res.framesTotal,
        analysed: per.reduce((a, c) => a + c.framesAnalysed, 0),
        dropped: per.reduce((a, c) => a + c.framesDropped, 0),
        events: res.latency?.n ?? 0,
      };
      return res;
    },
    { store: 'file' },
  );
  const running = samples.filter((s) => s.t >= r.startupS + 1);
  const third = Math.max(1, Math.floor(running.length / 3));
  const early = running.slice(0, third);
  const late = running.slice(-third);
  const settled = running.slice(third);
  const data: SoakData = {
    cameras,
    minutes,
    durationS: (Date.now() - t0) / 1000,
    rssStartMiB: mean(early.map((s) => s.rss)),
    rssEndMiB: mean(late.map((s) => s.rss)),
    rssSlopeMiBPerH: slope(settled.map((s) => [s.t / 3600, s.rss])),
    heapStartMiB: mean(early.map((s) => s.heap)),
    heapEndMiB: mean(late.map((s) => s.heap)),
    fdsStart: Math.round(mean(early.map((s) => s.fds))),
    fdsEnd: Math.round(mean(late.map((s) => s.fds))),
    ffmpegRssStartMiB: mean(early.map((s) => s.ffmpegRss)),
    ffmpegRssEndMiB: mean(late.map((s) => s.ffmpegRss)),
    maxCaptureFfmpeg: Math.max(0, ...samples.map((s) => s.ffmpeg)),
    framesSampled: counts.sampled,
    framesAnalysed: counts.analysed,
    framesDropped: counts.dropped,
    restarts: r.restarts,
    alertEvents: counts.events,
    leftoverFfmpeg: r.leftoverFfmpeg,
  };
  log(
    o,
    `soak: RSS ${fmt(data.rssStartMiB)} → ${fmt(data.rssEndMiB)} MiB (${fmt(data.rssSlopeMiBPerH)} MiB/h after ` +
      `warm-up), heap ${fmt(data.heapStartMiB)} → ${fmt(data.heapEndMiB)} MiB, fds ${data.fdsStart} → ${data.fdsEnd}, ` +
      `frames ${data.framesSampled} = ${data.framesAnalysed} + ${data.framesDropped}`,
  );
  const balanced = data.framesAnalysed + data.framesDropped === data.framesSampled;
  const md = [
    `${cameras} cameras of the "towers" fleet (section 2: half visible 1080p25 + smoke, half thermal 320×256 + ` +
      `hotspot, keyframe mode, detection in the worker pool, alerts to a socket client) for ${fmt(minutes, 2)} ` +
      'min. Alerts go to a SQLite file, as the product runs. Node RSS and V8 heap, open fds, capture ffmpeg count ' +
      'and RSS sampled every 5 s; early = first third of the samples after start-up, late = last third; the RSS ' +
      'slope is a least-squares fit over the last two thirds. The 90 s bench clips end and each worker restarts ' +
      'its ffmpeg ("restarts"), which also exercises the restart path.',
    '',
    table(
      [
        'cameras',
        'minutes',
        'Node RSS early → late MiB',
        'RSS slope after warm-up MiB/h',
        'V8 heap early → late MiB',
        'fds early → late',
        'capture ffmpeg RSS early → late MiB (all)',
        'max capture ffmpeg running',
        'ffmpeg restarts',
        'frames sampled = analysed + dropped',
        'alert events',
        'ffmpeg left after stop',
      ],
      [
        [
          cameras,
          fmt(minutes, 2),
          `${fmt(data.rssStartMiB)} → ${fmt(data.rssEndMiB)}`,
          fmt(data.rssSlopeMiBPerH),
          `${fmt(data.heapStartMiB)} → ${fmt(data.heapEndMiB)}`,
          `${data.fdsStart} → ${data.fdsEnd}`,
          `${fmt(data.ffmpegRssStartMiB)} → ${fmt(data.ffmpegRssEndMiB)}`,
          data.maxCaptureFfmpeg,
          data.restarts,
          `${data.framesSampled} ${balanced ? '=' : '≠'} ${data.framesAnalysed} + ${data.framesDropped}`,
          data.alertEvents,
          data.leftoverFfmpeg,
        ],
      ],
    ),
  ].join('\n');
  return { id: 'soak', title: '6. Soak', markdown: md, data };
}
