/**
 * Step 7 — short soak: a few keyframe-mode cameras for about a minute; the Node process's RSS and open file
 * descriptors are sampled every 5 s and compared after warm-up; after stop no capture ffmpeg may be left.
 * A leak check, not a long-run test (a real soak needs hours).
 */
import {
  openFds,
  fmt,
  log,
  mean,
  sleep,
  syntheticClip,
  table,
  type BenchOptions,
  type StepResult,
} from './common.ts';
import { runFleet } from './fleet.ts';

export interface SoakData {
  cameras: number;
  durationS: number;
  rssStartMiB: number;
  rssEndMiB: number;
  fdsStart: number;
  fdsEnd: number;
  framesDelivered: number;
  framesExpected: number;
  leftoverFfmpeg: number;
}

export async function benchSoak(o: BenchOptions): Promise<StepResult<SoakData>> {
  const cameras = 3;
  const windowS = o.quick ? 20 : 60;
  const clip = syntheticClip(90);
  const samples: { t: number; rss: number; fds: number }[] = [];
  let stop = false;
  const t0 = Date.now();
  const sampler = (async () => {
    while (!stop && Date.now() - t0 < 5 * 60_000) {
      samples.push({ t: (Date.now() - t0) / 1000, rss: process.memoryUsage().rss / 2 ** 20, fds: openFds() });
      await sleep(5000);
    }
  })();
  let r;
  try {
    r = await runFleet({ clip, mode: 'keyframes', cameras, windowS }, o);
  } finally {
    stop = true;
    await sampler;
  }
  // Warm-up = the first third of the samples taken while the cameras ran.
  const running = samples.filter((s) => s.t >= r.startupS);
  const third = Math.max(1, Math.floor(running.length / 3));
  const early = running.slice(0, third);
  const late = running.slice(-third);
  const data: SoakData = {
    cameras,
    durationS: (Date.now() - t0) / 1000,
    rssStartMiB: mean(early.map((s) => s.rss)),
    rssEndMiB: mean(late.map((s) => s.rss)),
    fdsStart: Math.round(mean(early.map((s) => s.fds))),
    fdsEnd: Math.round(mean(late.map((s) => s.fds))),
    framesDelivered: r.framesDelivered,
    framesExpected: r.framesExpected,
    leftoverFfmpeg: r.leftoverFfmpeg,
  };
  log(
    o,
    `soak: RSS ${fmt(data.rssStartMiB)} → ${fmt(data.rssEndMiB)} MiB, fds ${data.fdsStart} → ${data.fdsEnd}`,
  );
  const md = [
    `${cameras} keyframe-mode cameras for a ${windowS} s window; Node RSS and open fds sampled every 5 s ` +
      '(first third of the samples after start-up vs last third). A leak smoke check, not a long soak.',
    '',
    table(
      [
        'cameras',
        'frames got/expected',
        'RSS early MiB',
        'RSS late MiB',
        'fds early',
        'fds late',
        'ffmpeg left after stop',
      ],
      [
        [
          cameras,
          `${data.framesDelivered}/${fmt(data.framesExpected, 0)}`,
          fmt(data.rssStartMiB),
          fmt(data.rssEndMiB),
          data.fdsStart,
          data.fdsEnd,
          data.leftoverFfmpeg,
        ],
      ],
    ),
  ].join('\n');
  return { id: 'soak', title: '7. Soak (short)', markdown: md, data };
}
