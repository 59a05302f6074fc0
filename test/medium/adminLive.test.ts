/**
 * Camera admin changes applied live in the real runtime (`startTowerWatch`: demo RTSP server, real ffmpeg
 * workers, onnxruntime, SQLite, dispatch auth): an added camera gets its own worker and frames, a capture change
 * restarts only that camera's worker, a deleted camera's receiver goes away — while the other camera keeps running.
 * The config is a temp copy of the demo trimmed to one camera, so the repository's files are never edited.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   response bodies are untyped JSON here; their shapes are what these tests assert. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../services/dispatch/testSupport.ts';
import { REPO_ROOT, startTowerWatch, type Runtime } from '../../services/runtime.ts';
import type { CameraHealth, HealthResponse } from '../../services/schemas/api.ts';
import { silentLogger } from '../../services/util/logger.ts';
import { freePort, tcpClientConnections, waitFor } from '../support/procs.ts';

const PASSWORD = 'medium-admin-Pa55word';
let rt: Runtime;
let rtspPort: number;
let configDir: string;
let admin: TestClient;

const health = async (id: string): Promise<CameraHealth | undefined> =>
  ((await admin.req('GET', '/api/health')).body as HealthResponse).cameras.find((c) => c.id === id);
/**
 * Receivers pulling from this test's demo RTSP server (both cameras pull one mount): TCP connections, since the
 * keyframe camera's built-in client (the default) runs in this process and only the full-decode camera is an ffmpeg.
 */
const pulls = () => tcpClientConnections(rtspPort);

beforeAll(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'tw-adminlive-'));
  cpSync(path.join(REPO_ROOT, 'camera-config', 'demo'), configDir, { recursive: true });
  writeFileSync(
    path.join(configDir, 'cameras.yaml'),
    `# one camera for this test
cameras:
  - id: tower-02-thermal
    name: 2号塔 热成像
    url: rtsp://127.0.0.1:8554/tower-02-thermal
    channel: thermal
    detectors: [hotspot]
`,
  );
  const site = readFileSync(path.join(configDir, 'site.yaml'), 'utf8');
  writeFileSync(path.join(configDir, 'site.yaml'), site.replace(/ {4}- \{ mount: tower-0[13-5].*\n/g, ''));
  process.env['TOWERWATCH_PASSWORD_ADMIN'] = PASSWORD;
  rtspPort = await freePort();
  rt = await startTowerWatch({
    configDir,
    dataDir: mkdtempSync(path.join(tmpdir(), 'tw-adminlive-data-')),
    port: 0,
    host: '127.0.0.1',
    demoRtspPort: rtspPort,
    log: silentLogger(),
  });
  admin = new TestClient(rt.url);
  expect(await admin.login('admin', PASSWORD)).toBe(200);
});

afterAll(async () => {
  await rt?.stop();
  delete process.env['TOWERWATCH_PASSWORD_ADMIN'];
});

describe('camera admin, live in the runtime', () => {
  it('adds, restarts and removes one camera worker without touching the other', async () => {
    await waitFor(
      'tower-02 frames',
      async () => ((await health('tower-02-thermal'))?.framesSampled ?? 0) > 0,
      60_000,
    );
    expect(pulls()).toBe(1);

    // Add a second camera on the same demo stream (the URL is rewritten to the test's RTSP port).
    const created = await admin.req('POST', '/api/admin/cameras', {
      id: 'extra-cam',
      name: 'Extra',
      url: 'rtsp://127.0.0.1:8554/tower-02-thermal',
      channel: 'thermal',
      detectors: ['hotspot'],
      decodeMode: 'all',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitFor(
      'extra-cam frames',
      async () => ((await health('extra-cam'))?.framesSampled ?? 0) >= 3,
      60_000,
    );
    expect(pulls()).toBe(2);
    const other = (await health('tower-02-thermal'))!;

    // A capture change restarts only extra-cam's worker (a new worker: online again since after the change) ...
    const tChange = Date.now();
    const cur = (await admin.req('GET', '/api/admin/cameras/extra-cam')).body.camera as Record<
      string,
      unknown
    >;
    const { file: _f, version, urlHasCredentials: _u, auth: _a, ...form } = cur;
    const upd = await admin.req(
      'PUT',
      '/api/admin/cameras/extra-cam',
      { ...form, sampleIntervalMs: 1000 },
      { 'if-match': `"${String(version)}"` },
    );
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    const cams = (await admin.req('GET', '/api/cameras')).body as {
      cameras: { id: string; sampleIntervalMs: number }[];
    };
    expect(cams.cameras.find((c) => c.id === 'extra-cam')?.sampleIntervalMs).toBe(1000);
    await waitFor(
      'extra-cam online again after the restart',
      async () => {
        const h = await health('extra-cam');
        return h && h.status === 'online' && Date.parse(h.statusSince) >= tChange && h.framesSampled > 0;
      },
      60_000,
    );
    expect(pulls()).toBe(2);
    // ... and the other camera's worker went on untouched (same online period, counter still rising).
    const otherNow = (await health('tower-02-thermal'))!;
    expect(otherNow.statusSince).toBe(other.statusSince);
    expect(otherNow.framesSampled).toBeGreaterThan(other.framesSampled);

    // Delete: its worker and its ffmpeg's connection go away, the other camera stays, and /metrics forgets it.
    const online = async () => {
      const text = await (await fetch(`${rt.url}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('towerwatch_camera_online{'));
    };
    expect(await online()).toContain('towerwatch_camera_online{camera="extra-cam"} 1');
    const v2 = (await admin.req('GET', '/api/admin/cameras/extra-cam')).body.camera.version as string;
    expect(
      (await admin.req('DELETE', '/api/admin/cameras/extra-cam', undefined, { 'if-match': `"${v2}"` }))
        .status,
    ).toBe(204);
    expect(await health('extra-cam')).toBeUndefined();
    await waitFor('one RTSP pull left', () => pulls() === 1, 15_000);
    expect((await health('tower-02-thermal'))!.online).toBe(true);
    const left = await online();
    expect(left.some((l) => l.includes('"extra-cam"'))).toBe(false);
    expect(left).toContain('towerwatch_camera_online{camera="tower-02-thermal"} 1');
    // The file holds exactly the original camera again, with its comment.
    const yaml = readFileSync(path.join(configDir, 'cameras.yaml'), 'utf8');
    expect(yaml).toContain('# one camera for this test');
    expect(yaml).not.toContain('extra-cam');
  });
});
