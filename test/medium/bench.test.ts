/**
 * CI smoke of the capacity bench (`npm run bench -- … --quick`): runs the decode, store and fan-out steps
 * in-process with tiny sizes and checks that they produce sane numbers. Never asserts timing thresholds: the
 * real numbers come from `npm run bench` and live in BENCHMARKS.md (this test does not write it).
 */
import { describe, expect, it } from 'vitest';
import type { BenchOptions } from '../../scripts/bench/common.ts';
import { benchDecode } from '../../scripts/bench/decode.ts';
import { benchFanout } from '../../scripts/bench/fanout.ts';
import { captureFfmpegs } from '../../scripts/bench/procSampler.ts';
import { benchSoak } from '../../scripts/bench/soak.ts';
import { benchStore } from '../../scripts/bench/store.ts';

const o: BenchOptions = { quick: true, verbose: !!process.env['TW_TEST_LOG'] };

describe('bench --quick', () => {
  it('decode: keyframe-only decoding costs less CPU than full decoding, frames accounted for', async () => {
    const r = await benchDecode(o);
    expect(r.data.runs.map((x) => x.mode)).toEqual(['keyframes', 'all']);
    for (const run of r.data.runs) {
      expect(run.online).toBe(run.cameras);
      for (const v of [
        run.ffmpegCpuSPerCamMin,
        run.nodeCpuSPerCamMin,
        run.ffmpegRssMiBPerCam,
        run.machineBusy,
      ])
        expect(Number.isFinite(v)).toBe(true);
      expect(run.ffmpegCpuSPerCamMin).toBeGreaterThan(0);
      expect(run.framesDelivered).toBeGreaterThan(0);
      // Never more frames than the window can hold (one per interval, ± the edges).
      expect(run.framesDelivered).toBeLessThanOrEqual(Math.ceil(run.framesExpected) + run.cameras);
      expect(run.perCamera.reduce((a, c) => a + c.framesInWindow, 0)).toBe(run.framesDelivered);
      expect(run.leftoverFfmpeg).toBe(0);
    }
    const ratio = r.data.ratios[0]!.ratio;
    expect(Number.isFinite(ratio)).toBe(true);
    expect(ratio).toBeGreaterThan(1);
    expect(r.markdown).toContain('| synthetic | keyframes |');
    expect(captureFfmpegs()).toEqual([]);
  });

  it('store: finite insert rates, the list queries return their page on SQLite and PostgreSQL', async () => {
    const r = await benchStore(o);
    expect(r.data.alerts).toBeGreaterThanOrEqual(5000);
    expect(Number.isFinite(r.data.insertsPerS) && r.data.insertsPerS > 0).toBe(true);
    expect(Number.isFinite(r.data.updatesPerS) && r.data.updatesPerS > 0).toBe(true);
    for (const q of r.data.query) {
      expect(q.rows).toBe(100);
      expect(Number.isFinite(q.p50Ms) && Number.isFinite(q.p95Ms)).toBe(true);
    }
    expect(Number.isFinite(r.data.indexSpeedup)).toBe(true);
    // PostgreSQL alert store (CI starts PostgreSQL; a skip names its reason here).
    const pgRow = r.data.postgres;
    expect(pgRow.skipped).toBeUndefined();
    expect(pgRow.alerts).toBeGreaterThan(5000);
    expect(Number.isFinite(pgRow.insertsPerS) && pgRow.insertsPerS > 0).toBe(true);
    for (const q of pgRow.query) {
      expect(q.rows).toBe(100);
      expect(Number.isFinite(q.p95Ms)).toBe(true);
    }
    expect(Number.isFinite(pgRow.indexSpeedup)).toBe(true);
  });

  it('fanout: every client receives every published alert', async () => {
    const r = await benchFanout(o);
    expect(r.data.connected).toBe(r.data.clients);
    expect(r.data.delivered).toBe(r.data.expected);
    expect(Number.isFinite(r.data.p50Ms) && Number.isFinite(r.data.p95Ms)).toBe(true);
    expect(r.data.p95Ms).toBeGreaterThanOrEqual(0);
  });
});

describe('bench soak --quick', () => {
  it('runs the tower fleet through the worker pool: frames balance, no ffmpeg leaked', async () => {
    const r = await benchSoak(o);
    expect(r.data.framesSampled).toBeGreaterThan(0);
    expect(r.data.framesAnalysed + r.data.framesDropped).toBe(r.data.framesSampled);
    expect(r.data.maxCaptureFfmpeg).toBeLessThanOrEqual(r.data.cameras);
    expect(r.data.leftoverFfmpeg).toBe(0);
    expect(Number.isFinite(r.data.rssStartMiB) && Number.isFinite(r.data.rssEndMiB)).toBe(true);
    expect(captureFfmpegs()).toEqual([]);
  }, 180_000);
});
