/**
 * The worker-thread detector pool against the in-process models: same committed models (real onnxruntime in
 * real worker threads), same frames from the real demo clips decoded by ffmpeg → identical detections; several
 * cameras' frames in parallel; a worker killed mid-run is replaced and the pool keeps answering.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../services/capture/ppmStream.ts';
import { PpmStreamParser } from '../../services/capture/ppmStream.ts';
import { DETECT_WORKER_NICENESS, DetectorPool } from '../../services/detect/detectorPool.ts';
import { loadManifestModels, type OnnxModel } from '../../services/detect/onnxModel.ts';
import { REPO_ROOT } from '../../services/runtime.ts';

const MODELS = path.join(REPO_ROOT, 'models');
const CLIPS = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips');

/** One RGB frame of a demo clip at time `t` s, optionally scaled (real ffmpeg). */
function frameOf(clip: string, t: number, scale?: string): RgbImage {
  const out = execFileSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-ss', String(t), '-i', path.join(CLIPS, clip)],
      ...['-frames:v', '1', ...(scale ? ['-vf', `scale=${scale}`] : [])],
      ...['-pix_fmt', 'rgb24', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1'],
    ],
    { maxBuffer: 64 << 20 },
  );
  const frames = new PpmStreamParser().push(out);
  if (!frames[0]) throw new Error(`no frame from ${clip}`);
  return frames[0];
}

let pool: DetectorPool;
let local: OnnxModel[] = [];
beforeAll(async () => {
  [pool, local] = await Promise.all([
    DetectorPool.start({ modelsDir: MODELS, workers: 2 }),
    loadManifestModels(MODELS),
  ]);
}, 120_000);
afterAll(async () => {
  await pool.close();
  await Promise.all(local.map((m) => m.close()));
});

/** Nice values of this process's threads (Linux: per thread). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((t) => {
    const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('DetectorPool', () => {
  it.runIf(process.platform === 'linux')(
    'runs its worker threads below the main thread (DETECT_WORKER_NICENESS), the main thread unchanged',
    () => {
      const nice = threadNiceness();
      const main = nice[0]!; // the main thread's tid is the pid, listed first
      const lower = Math.min(19, main + DETECT_WORKER_NICENESS);
      expect(nice.filter((n) => n === lower).length).toBeGreaterThanOrEqual(2);
      expect(nice.filter((n) => n === main).length).toBeGreaterThan(0);
    },
  );

  it('exposes the same models as the in-process loader', () => {
    expect(pool.detectors.map((d) => d.spec)).toEqual(local.map((m) => m.spec));
  });

  it('returns the same detections as the in-process model on real frames', async () => {
    const cases: [string, RgbImage][] = [
      ['hotspot', frameOf('thermal-siteE-a35.mp4', 1)],
      ['smoke', frameOf('hpwren-figlib-1528757406.mp4', 5, '854:480')],
      ['smoke', frameOf('hpwren-figlib-1559167385.mp4', 5)],
    ];
    for (const [name, frame] of cases) {
      const det = pool.detectors.find((d) => d.spec.name === name)!;
      const mod = local.find((m) => m.spec.name === name)!;
      const opts = { threshold: 0.3 };
      const [a, b] = await Promise.all([det.detect(frame, opts), mod.detect(frame, opts)]);
      expect({ ...a, ms: 0 }).toEqual({ ...b, ms: 0 });
      expect(a.views).toBeGreaterThan(0);
    }
  });

  it('spreads concurrent frames over the workers and answers all of them', async () => {
    const frame = frameOf('hpwren-figlib-1530901681.mp4', 3, '854:480');
    const smoke = pool.detectors.find((d) => d.spec.name === 'smoke')!;
    const runs = Array.from({ length: 8 }, () => smoke.detect(frame, {}));
    expect(pool.load.every((n) => n > 0)).toBe(true);
    const results = await Promise.all(runs);
    expect(new Set(results.map((r) => JSON.stringify(r.detections))).size).toBe(1);
    // Each worker reported its own isolate's heap with its replies (a live isolate holds at least a few MB).
    expect(pool.workerHeapBytes).toHaveLength(2);
    for (const b of pool.workerHeapBytes) expect(b).toBeGreaterThan(1e6);
  });

  it('replaces a worker that dies and keeps answering', async () => {
    const frame = frameOf('thermal-siteE-tau.mp4', 1);
    const hotspot = pool.detectors.find((d) => d.spec.name === 'hotspot')!;
    const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await slots[0]!.worker.terminate();
    // The survivor answers at once; the replacement joins after loading its models.
    await expect(hotspot.detect(frame, {})).resolves.toMatchObject({ model: 'hotspot' });
    const t0 = Date.now();
    while (pool.load.length < 2 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 200));
    expect(pool.load.length).toBe(2);
    await expect(hotspot.detect(frame, {})).resolves.toMatchObject({ model: 'hotspot' });
  }, 90_000);

  it('close() waits for a replacement worker that is still loading, then stops it', async () => {
    const p2 = await DetectorPool.start({ modelsDir: MODELS, workers: 1 });
    const slots = (p2 as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await slots[0]!.worker.terminate(); // dies → a replacement starts loading
    const t0 = Date.now();
    while (p2.loadingWorkers === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    expect(p2.loadingWorkers).toBe(1);
    await p2.close(30_000);
    expect(p2.loadingWorkers).toBe(0);
    expect(p2.load).toEqual([]);
  }, 60_000);
});
