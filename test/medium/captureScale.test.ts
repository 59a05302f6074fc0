/**
 * Frames scaled inside ffmpeg to what the camera's models need: a real CameraWorker (real ffprobe + ffmpeg) on
 * a real 1280×960 HPWREN clip served over RTSP by the demo server. Smoke only (whole-frame 640×480 model) → 640×480 frames; a tiling model
 * (hotspot) on the same camera → native 1280×960 frames.
 */
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraWorker, type SampledFrame } from '../../services/capture/cameraWorker.ts';
import type { FrameNeed } from '../../services/capture/ffmpegArgs.ts';
import { isFlatFrame } from '../../services/capture/frameQuality.ts';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { CameraConfig } from '../../services/schemas/config.ts';
import { systemClock } from '../../services/util/clock.ts';
import { freePort, waitFor } from '../support/procs.ts';

const CLIP = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips', 'hpwren-figlib-1528757406.mp4');
const SMOKE: FrameNeed = { input: { width: 640, height: 480 }, nativeScale: false };
const HOTSPOT: FrameNeed = { input: { width: 320, height: 256 }, nativeScale: true };
const workers: CameraWorker[] = [];
let server: DemoRtspServer;

beforeAll(async () => {
  server = await startDemoRtspServer({
    port: await freePort(),
    baseDir: '/',
    streams: [{ mount: 'hpwren', clip: CLIP, mode: 'file' }],
    log: pino({ level: 'silent' }),
  });
}, 60_000);
afterAll(async () => {
  await server.stop();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

function run(frameNeeds: FrameNeed[]) {
  const frames: SampledFrame[] = [];
  const cam = CameraConfig.parse({
    id: 'scale',
    name: 'scale',
    url: server.urls['hpwren']!,
    channel: 'visible',
    detectors: ['smoke'],
    sampleIntervalMs: 500,
    decodeMode: 'all',
    stallTimeoutS: 10,
  });
  const w = new CameraWorker(cam, {
    clock: systemClock,
    log: pino({ level: 'silent' }),
    onFrame: (f) => frames.push(f),
    onStatus: () => undefined,
    frameNeeds,
  });
  workers.push(w);
  w.start();
  return { w, frames };
}

describe('capture output size', () => {
  it('scales a smoke-only camera to the smallest size covering the model input', async () => {
    const { w, frames } = run([SMOKE]);
    await waitFor('two frames', () => frames.length >= 2 || null, 60_000);
    expect(w.status.nativeSize).toEqual({ width: 1280, height: 960 });
    expect(w.status.outputSize).toEqual({ width: 640, height: 480 });
    for (const f of frames) {
      expect([f.image.width, f.image.height]).toEqual([640, 480]);
      expect(f.image.data.length).toBe(640 * 480 * 3);
    }
    // A real picture, not a flat (grey/black/green) buffer.
    expect(isFlatFrame(frames[0]!.image)).toBe(false);
  }, 90_000);

  it('stretches to exactly a stretch model input inside ffmpeg and marks the frames with the size people see', async () => {
    // 1280×960 (4:3) to a 2:1 stretch-model input: 640×320 frames, shown at the aspect-kept 640×480
    const WIDE: FrameNeed = { input: { width: 640, height: 320 }, nativeScale: false, resize: 'stretch' };
    const { w, frames } = run([WIDE]);
    await waitFor('two frames', () => frames.length >= 2 || null, 60_000);
    expect(w.status.outputSize).toEqual({ width: 640, height: 320 });
    expect(w.status.displaySize).toEqual({ width: 640, height: 480 });
    for (const f of frames) {
      expect([f.image.width, f.image.height]).toEqual([640, 320]);
      expect(f.image.data.length).toBe(640 * 320 * 3);
      expect(f.image.display).toEqual({ width: 640, height: 480 });
    }
    expect(isFlatFrame(frames[0]!.image)).toBe(false);
  }, 90_000);

  it('keeps native frames when a model tiles', async () => {
    const { w, frames } = run([SMOKE, HOTSPOT]);
    await waitFor('a frame', () => frames.length >= 1 || null, 60_000);
    expect(w.status.outputSize).toBeNull();
    expect([frames[0]!.image.width, frames[0]!.image.height]).toEqual([1280, 960]);
  }, 90_000);
});
