/**
 * PTZ patrol against a real ONVIF SOAP exchange (fake device, real `onvif` client) and a real RTSP stream
 * whose picture changes when the "camera" moves (the demo server switches the looped clip).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraWorker, type SampledFrame } from '../../services/capture/cameraWorker.ts';
import { dHash, hamming } from '../../services/capture/phash.ts';
import { connectOnvifPtz } from '../../services/capture/ptz.ts';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { CameraConfig } from '../../services/schemas/config.ts';
import { systemClock } from '../../services/util/clock.ts';
import { startFakeOnvif, type FakeOnvif, type FakePtzMode } from '../support/fakeOnvif.ts';
import { freePort, waitFor } from '../support/procs.ts';

const CLIPS = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips');
const VIEWS: Record<string, string> = {
  t1: path.join(CLIPS, 'hpwren-figlib-1528757406.mp4'),
  t2: path.join(CLIPS, 'hpwren-figlib-1530901681.mp4'),
  t3: path.join(CLIPS, 'hpwren-figlib-1559167385.mp4'),
};
const log = pino({ level: process.env['TW_TEST_LOG'] ? 'debug' : 'silent' });
let server: DemoRtspServer;
let port: number;
const cleanups: (() => Promise<void>)[] = [];

/** Reference dHash of a clip's first frame, at the size ffmpeg will deliver (the first view's). */
function refHash(clip: string): bigint {
  const ppm = execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      clip,
      '-frames:v',
      '1',
      '-vf',
      'scale=1280:960',
      '-f',
      'image2pipe',
      '-c:v',
      'ppm',
      '-',
    ],
    { maxBuffer: 64 << 20 },
  );
  const header = ppm.indexOf('\n255\n') + 5;
  return dHash({ width: 1280, height: 960, data: ppm.subarray(header) });
}

beforeAll(async () => {
  port = await freePort();
  server = await startDemoRtspServer({
    port,
    baseDir: CLIPS,
    log,
    streams: ['ok', 'hang', 'stuck'].map((m) => ({ mount: `ptz-${m}`, clip: VIEWS['t1']! })),
  });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await server?.stop();
});

async function ptzCamera(mode: FakePtzMode) {
  const fake: FakeOnvif = await startFakeOnvif(mode, (token) =>
    server.switchClip(`ptz-${mode}`, VIEWS[token] ?? VIEWS['t1']!),
  );
  const cam = CameraConfig.parse({
    id: `ptz-${mode}`,
    name: `PTZ ${mode}`,
    url: `rtsp://127.0.0.1:${port}/ptz-${mode}`,
    channel: 'visible',
    detectors: ['smoke'],
    sampleIntervalMs: 1000,
    decodeMode: 'all',
    onvif: { host: '127.0.0.1', port: fake.port },
    presets: ['t1', 't2', 't3'].map((t) => ({
      id: `p${t[1]}`,
      name: `preset ${t}`,
      onvifToken: t,
      dwellS: 8,
      settleS: 5,
    })),
    tours: [{ id: 'day', name: 'day', presets: ['p1', 'p2', 'p3'] }],
  });
  const frames: SampledFrame[] = [];
  const w = new CameraWorker(cam, {
    clock: systemClock,
    log: log.child({ cameraId: cam.id }),
    onFrame: (f) => {
      frames.push(f);
      log.debug({ cameraId: cam.id, presetId: f.presetId, seq: f.seq, w: f.image.width }, 'test got frame');
    },
    onStatus: () => undefined,
    connectPtz: () => connectOnvifPtz({ host: '127.0.0.1', port: fake.port, timeoutMs: 3000 }),
  });
  w.start();
  cleanups.push(async () => {
    await w.stop();
    await fake.close();
  });
  return { w, frames, fake };
}

describe('PTZ patrol', () => {
  it('tags frames with the preset the camera is really at, over a 3-preset tour', async () => {
    const ok = await ptzCamera('ok');
    await waitFor(
      'all three presets seen',
      () => new Set(ok.frames.map((f) => f.presetId)).size >= 3,
      90_000,
    );
    expect(ok.fake.moves.slice(0, 3).map((m) => m.token)).toEqual(['t1', 't2', 't3']);
    // Every tagged frame was received after the move to its preset plus the settle time, and before the next move.
    for (const f of ok.frames) {
      const i = ok.fake.moves.findLastIndex((m) => m.at <= f.capturedAt);
      const move = ok.fake.moves[i]!;
      expect(`p${move.token[1]}`, `frame ${f.seq}`).toBe(f.presetId);
      expect(f.capturedAt - move.at).toBeGreaterThanOrEqual(5000);
    }
    // And the picture is the preset's view: most frames are nearest to their own view's reference hash.
    const refs = { p1: refHash(VIEWS['t1']!), p2: refHash(VIEWS['t2']!), p3: refHash(VIEWS['t3']!) };
    const nearestOwn = ok.frames.filter((f) => {
      const d = Object.entries(refs).map(([id, h]) => [id, hamming(dHash(f.image), h)] as const);
      return d.sort((a, b) => a[1] - b[1])[0]![0] === f.presetId;
    });
    expect(nearestOwn.length / ok.frames.length).toBeGreaterThanOrEqual(0.8);
    expect(ok.w.status.status).toBe('online');
    expect(ok.w.status.framesSkippedPtz).toBeGreaterThan(0); // frames while moving/settling were not analysed
  }, 120_000);

  it('raises ptz_fault for an endpoint that never answers and for a camera that does not move', async () => {
    const hang = await ptzCamera('hang');
    const stuck = await ptzCamera('stuck');
    await waitFor('hang → ptz_fault', () => hang.w.status.status === 'ptz_fault', 60_000);
    expect(hang.w.status.lastError).toMatch(/ptz_timeout/);
    expect(hang.frames).toHaveLength(0);
    await waitFor('stuck → ptz_fault', () => stuck.w.status.status === 'ptz_fault', 60_000);
    expect(stuck.w.status.lastError).toMatch(/ptz_stuck/);
    expect(stuck.frames.every((f) => f.presetId === 'p1')).toBe(true);
  }, 120_000);
});
