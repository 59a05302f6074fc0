/**
 * The camera admin's connection test against real streams: real ffprobe (`capture/probe.ts`), the demo RTSP
 * server (GStreamer) with Basic auth, a closed port and a "hung camera" that accepts TCP and never answers.
 * Each failure must be named (auth failed / not found / refused / timeout), never leak the password.
 * Plus go-to-preset over real ONVIF SOAP to the fake device of `test/support/fakeOnvif.ts`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraAdminService } from '../../services/admin/cameraAdminService.ts';
import { probeStream } from '../../services/capture/probe.ts';
import { connectOnvifPtz } from '../../services/capture/ptz.ts';
import { ConfigRepository } from '../../services/config/configRepository.ts';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { systemClock } from '../../services/util/clock.ts';
import { silentLogger } from '../../services/util/logger.ts';
import { startFakeOnvif, type FakeOnvif } from '../support/fakeOnvif.ts';
import { freePort } from '../support/procs.ts';

const CLIP = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips', 'thermal-siteE-tau.mp4');
const PASSWORD = 'adm1n:p@ss/word';
let server: DemoRtspServer;
let port: number;
let closedPort: number;
let hung: Server;
let hungPort: number;
let web: HttpServer;
let httpPort: number;
const held: Socket[] = [];
let svc: CameraAdminService;
let ptzOk: FakeOnvif;
let ptzHung: FakeOnvif;
const actor = {
  userId: 'u_admin',
  username: 'admin',
  role: 'admin' as const,
  departmentId: null,
  requestId: 'r1',
};

beforeAll(async () => {
  port = await freePort();
  closedPort = await freePort();
  server = await startDemoRtspServer({
    port,
    baseDir: path.dirname(CLIP),
    log: silentLogger(),
    streams: [{ mount: 'secure', clip: path.basename(CLIP) }],
    auth: { user: 'admin', password: PASSWORD },
  });
  hung = createServer((s) => void held.push(s));
  hungPort = await new Promise<number>((r) =>
    hung.listen(0, '127.0.0.1', () => r((hung.address() as { port: number }).port)),
  );
  // A web server where the camera should be: answers at once, but not RTSP.
  web = createHttpServer((_req, res) => res.end('hello'));
  httpPort = await new Promise<number>((r) =>
    web.listen(0, '127.0.0.1', () => r((web.address() as { port: number }).port)),
  );
  ptzOk = await startFakeOnvif('ok', () => undefined);
  ptzHung = await startFakeOnvif('hang', () => undefined);
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-adminconn-'));
  const ptzCam = (id: string, p: number) =>
    `  - id: ${id}\n    name: ${id}\n    url: "rtsp://127.0.0.1:${port}/secure"\n    channel: visible\n    detectors: [smoke]\n    onvif: { host: 127.0.0.1, port: ${p} }\n    presets:\n      - { id: north, name: North, onvifToken: '7' }\n`;
  writeFileSync(
    path.join(dir, 'cameras.yaml'),
    `cameras:\n  - { id: cam, name: Cam, url: "rtsp://127.0.0.1:${port}/secure", channel: thermal, detectors: [hotspot], auth: { username: admin, passwordEnv: CAM_PW } }\n` +
      ptzCam('ptz-ok', ptzOk.port) +
      ptzCam('ptz-hung', ptzHung.port),
  );
  svc = new CameraAdminService({
    repo: new ConfigRepository(dir),
    runtime: {
      set: () => undefined,
      remove: () => undefined,
      startWorker: () => undefined,
      stopWorker: () => Promise.resolve(),
      lastFrame: () => null,
    },
    detectors: new Map(),
    probe: probeStream,
    connectPtz: (cam) => connectOnvifPtz({ host: cam.onvif!.host, port: cam.onvif!.port, timeoutMs: 3000 }),
    encodeJpeg: () => Promise.resolve(Buffer.alloc(0)),
    audit: () => Promise.resolve(),
    clock: systemClock,
    log: silentLogger(),
    env: { CAM_PW: PASSWORD },
    probeTimeoutMs: 20_000,
  });
});

afterAll(async () => {
  held.forEach((s) => s.destroy());
  hung?.close();
  web?.close();
  await server?.stop();
  await ptzOk?.close();
  await ptzHung?.close();
});

describe('camera admin connection test (real ffprobe)', () => {
  it('ok with codec, size and GOP; stored credentials are used when the form does not retype them', async () => {
    const r = await svc.testConnection({
      url: `rtsp://127.0.0.1:${port}/secure`,
      cameraId: 'cam',
      auth: { username: 'admin' },
    });
    expect(r).toMatchObject({ ok: true, codec: 'h264', width: 336, height: 256 });
    // 2 fps clip with a keyframe every 2 frames.
    if (r.ok) expect(r.gopMs).toBeGreaterThan(500);
  });

  it('names each failure and never echoes the password', async () => {
    const wrong = await svc.testConnection({
      url: `rtsp://127.0.0.1:${port}/secure`,
      auth: { username: 'admin', password: 'wrong-Pa55' },
    });
    expect(wrong).toMatchObject({ ok: false, reason: 'auth_failed' });
    const missing = await svc.testConnection({
      url: `rtsp://127.0.0.1:${port}/nope`,
      auth: { username: 'admin', password: PASSWORD },
    });
    expect(missing).toMatchObject({ ok: false, reason: 'not_found' });
    const refused = await svc.testConnection({ url: `rtsp://127.0.0.1:${closedPort}/x` });
    expect(refused).toMatchObject({ ok: false, reason: 'refused' });
    const timeout = await svc.testConnection({ url: `rtsp://127.0.0.1:${hungPort}/x` });
    expect(timeout, JSON.stringify(timeout)).toMatchObject({ ok: false, reason: 'timeout' });
    const http = await svc.testConnection({ url: `rtsp://127.0.0.1:${httpPort}/x` });
    expect(http).toMatchObject({ ok: false, reason: 'not_rtsp' });
    for (const r of [wrong, missing, refused, timeout, http]) {
      expect(JSON.stringify(r)).not.toContain(PASSWORD);
      expect(JSON.stringify(r)).not.toContain('wrong-Pa55');
    }
  });
});

describe('camera admin go-to-preset (real ONVIF SOAP to a fake device)', () => {
  it('sends the preset token; a camera that never answers is a clear 502 timeout', async () => {
    await svc.gotoPreset(actor, 'ptz-ok', 'north');
    expect(ptzOk.moves.map((m) => m.token)).toEqual(['7']);
    const err = await svc.gotoPreset(actor, 'ptz-hung', 'north').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'ptz_failed', details: { kind: 'timeout' } });
    await expect(svc.gotoPreset(actor, 'cam', 'north')).rejects.toMatchObject({ status: 404 });
  }, 30_000);
});
