/**
 * In-process HTTP tests of the camera-admin API through the real app (`createApp`, never listening itself),
 * the real dispatch auth (SQLite in memory, argon2 passwords, CSRF) and a real config directory in a temp dir.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment,
   @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument --
   response bodies are untyped JSON on purpose: the tests assert their shape. */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../api/app.ts';
import type { SampledFrame } from '../capture/cameraWorker.ts';
import { ConfigRepository } from '../config/configRepository.ts';
import type { Detector } from '../detect/detectLoop.ts';
import { passwordEnvName } from '../dispatch/auth.ts';
import { createDispatch } from '../dispatch/index.ts';
import type { DispatchRepository } from '../dispatch/repository.ts';
import { sqliteDispatchRepository } from '../dispatch/sqliteRepository.ts';
import { demoDispatchConfig, TEST_PASSWORD, TestClient } from '../dispatch/testSupport.ts';
import { renderSnapshot } from '../events/snapshot.ts';
import type { CameraConfig } from '../schemas/config.ts';
import { ManualClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import { CameraAdminService } from './cameraAdminService.ts';
import { createAdminRouter } from './router.ts';

const YAML = `# fleet under test
cameras:
  - id: cam-a # keep me
    name: Camera A
    url: rtsp://127.0.0.1:8554/a
    auth: { username: viewer, passwordEnv: CAM_A_PASSWORD }
    channel: thermal
    detectors: [hotspot]
  - id: cam-ptz
    name: PTZ
    url: rtsp://10.0.0.5/ptz
    channel: visible
    detectors: [smoke]
    onvif: { host: 127.0.0.1, port: 1 }
    presets:
      - { id: p1, name: One, onvifToken: '1' }
      - { id: p2, name: Two, onvifToken: '2' }
`;

let server: Server;
let base: string;
let dir: string;
let db: Database.Database;
let repo: DispatchRepository;
const frames = new Map<string, SampledFrame>();
const running = new Map<string, CameraConfig>();
let admin: TestClient;
let duty: TestClient;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tw-adminapi-'));
  writeFileSync(path.join(dir, 'cameras.yaml'), YAML);
  db = new Database(':memory:');
  repo = await sqliteDispatchRepository(db);
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 12));
  const config = demoDispatchConfig();
  const dispatch = createDispatch({
    repo,
    config,
    alerts: { getAlert: () => Promise.resolve(null) },
    dataDir: dir,
    clock,
    log: silentLogger(),
  });
  const env = Object.fromEntries(config.users.map((u) => [passwordEnvName(u.username), TEST_PASSWORD]));
  await dispatch.auth.seedUsers(config.users, env, () => undefined);
  const detector: Detector = {
    spec: { name: 'fake', type: 'hotspot', threshold: 0.5 },
    detect: () =>
      Promise.resolve({
        model: 'fake',
        type: 'hotspot',
        detections: [{ type: 'hotspot', box: { x: 10, y: 10, w: 20, h: 20 }, score: 0.9 }],
        views: 1,
        tiled: false,
        ms: 1,
      }),
  };
  const service = new CameraAdminService({
    repo: new ConfigRepository(dir, { clock }),
    runtime: {
      set: (c) => void running.set(c.id, c),
      remove: (id) => void running.delete(id),
      startWorker: () => undefined,
      stopWorker: () => Promise.resolve(),
      lastFrame: (id) => frames.get(id) ?? null,
    },
    detectors: new Map([['hotspot', detector]]),
    probe: (url) =>
      url.includes('/good')
        ? Promise.resolve({ codec: 'h264', width: 1280, height: 720, gopMs: 1000 })
        : Promise.reject(new Error('method DESCRIBE failed: 401 Unauthorized')),
    connectPtz: () => Promise.reject(new Error('unused')),
    encodeJpeg: (img) => renderSnapshot(img, []),
    audit: async (r) => {
      await repo.commit({
        audit: [
          {
            at: new Date(clock.now()).toISOString(),
            actorId: r.actor.userId,
            actorRole: r.actor.role,
            action: r.action,
            entityType: 'camera',
            entityId: r.cameraId,
            caseId: null,
            fromState: null,
            toState: null,
            reason: null,
            details: r.details,
            requestId: r.actor.requestId,
          },
        ],
      });
    },
    clock,
    log: silentLogger(),
    env: { CAM_A_PASSWORD: 'pw' },
  });
  const { app } = createApp({
    store: {} as AppDeps['store'],
    evidence: {} as AppDeps['evidence'],
    cameras: () => [],
    health: () => ({ status: 'ok', startedAt: '', models: [], cameras: [] }),
    log: silentLogger(),
    admin: createAdminRouter({ service, auth: dispatch.auth, log: silentLogger(), configDir: dir }),
    dispatch: { router: dispatch.router, socketRooms: () => Promise.resolve([]) },
  });
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  admin = new TestClient(base);
  duty = new TestClient(base);
  expect(await admin.login('admin')).toBe(200);
  expect(await duty.login('duty1')).toBe(200);
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await repo.close();
  db.close();
});

/** The form body of a camera as the API answered it (what the web form sends back). */
function formOf(c: Record<string, unknown>): Record<string, unknown> {
  const { file: _f, version: _v, urlHasCredentials: _u, auth, ...rest } = c;
  const a = auth as { username: string } | null;
  return { ...rest, auth: a ? { username: a.username } : null };
}

describe('camera admin API', () => {
  it('needs a session (401) and the admin role (403) for every endpoint', async () => {
    const anon = new TestClient(base);
    expect((await anon.req('GET', '/api/admin/cameras')).status).toBe(401);
    const endpoints: [string, string][] = [
      ['GET', '/api/admin/cameras'],
      ['GET', '/api/admin/cameras/cam-a'],
      ['POST', '/api/admin/cameras'],
      ['POST', '/api/admin/cameras/test'],
      ['PUT', '/api/admin/cameras/cam-a'],
      ['DELETE', '/api/admin/cameras/cam-a'],
      ['PUT', '/api/admin/cameras/cam-ptz/presets/p1'],
      ['DELETE', '/api/admin/cameras/cam-ptz/presets/p1'],
      ['POST', '/api/admin/cameras/cam-ptz/presets/p1/goto'],
      ['PUT', '/api/admin/cameras/cam-a/view'],
      ['PUT', '/api/admin/cameras/cam-ptz/tours'],
      ['GET', '/api/admin/cameras/cam-a/frame.jpg'],
      ['POST', '/api/admin/cameras/cam-a/detect'],
    ];
    for (const [m, p] of endpoints) {
      const r = await duty.req(m, p, m === 'GET' ? undefined : {}, { 'if-match': '"x"' });
      expect(r.status, `${m} ${p}`).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    expect(readFileSync(path.join(dir, 'cameras.yaml'), 'utf8')).toBe(YAML);
  });

  it('leaves the dispatch admin routes under /api/admin to the dispatch router (its role message, its 64 kB body limit)', async () => {
    const r = await duty.req('GET', '/api/admin/users');
    expect(r.status).toBe(403);
    expect(JSON.stringify(r.body)).not.toContain('camera administration');
    const big = await admin.req('POST', '/api/admin/departments', { name: 'x'.repeat(100_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('body_too_large');
    expect((await admin.req('GET', '/api/admin/no-such-thing')).status).toBe(404);
  });

  it('lists cameras without secrets, with versions as ETags', async () => {
    const r = await admin.req('GET', '/api/admin/cameras');
    expect(r.status).toBe(200);
    expect(r.body.cameras.map((c: { id: string }) => c.id)).toEqual(['cam-a', 'cam-ptz']);
    expect(r.body.cameras[0].auth).toEqual({
      username: 'viewer',
      passwordEnv: 'CAM_A_PASSWORD',
      hasPassword: false,
    });
    expect(r.body.cameras[0].file).toBe('cameras.yaml');
    const one = await admin.req('GET', '/api/admin/cameras/cam-a');
    expect(one.headers.get('etag')).toBe(`"${one.body.camera.version}"`);
    expect((await admin.req('GET', '/api/admin/cameras/none')).status).toBe(404);
  });

  it('answers 400 with the field paths of invalid bodies, 428 without If-Match, 409 on a stale version', async () => {
    const cur = (await admin.req('GET', '/api/admin/cameras/cam-a')).body.camera;
    const etag = { 'if-match': `"${cur.version}"` };
    const bad = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-a',
      { ...formOf(cur), sampleIntervalMs: 5, url: 'http://x', rangeM: 1e308 },
      etag,
    );
    expect(bad.status).toBe(400);
    const paths = bad.body.error.details.map((i: { path: unknown[] }) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['sampleIntervalMs', 'url', 'rangeM']));

    const badView = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-a/view',
      {
        masks: [
          [
            [0, 0],
            [1.5, 0],
            [1, 1],
          ],
        ],
        detectors: ['hotspot'],
      },
      etag,
    );
    expect(badView.status).toBe(400);
    expect(badView.body.error.details[0].path).toEqual(['masks', 0, 1, 0]);

    const badTours = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-ptz/tours',
      { tours: [{ id: 't1', name: 'T', presets: ['p9'] }] },
      { 'if-match': `"${(await admin.req('GET', '/api/admin/cameras/cam-ptz')).body.camera.version}"` },
    );
    expect(badTours.status).toBe(400);
    expect(badTours.body.error.details[0].path).toEqual(['tours', 0, 'presets', 0]);

    expect((await admin.req('PUT', '/api/admin/cameras/cam-a', formOf(cur))).status).toBe(428);
    const stale = await admin.req('PUT', '/api/admin/cameras/cam-a', formOf(cur), { 'if-match': '"0000"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    expect(stale.body.error.details.currentVersion).toBe(cur.version);

    const noCsrf = await fetch(`${base}/api/admin/cameras/cam-a`, {
      method: 'PUT',
      headers: { cookie: admin.cookie, 'content-type': 'application/json', ...etag },
      body: JSON.stringify(formOf(cur)),
    });
    expect(noCsrf.status).toBe(403);
    expect(readFileSync(path.join(dir, 'cameras.yaml'), 'utf8')).toBe(YAML);
  });

  it('saves a mask for the camera view: file keeps comments, runtime entry replaced, audit names the admin', async () => {
    const cur = (await admin.req('GET', '/api/admin/cameras/cam-a')).body.camera;
    const mask = [
      [0.2, 0.2],
      [0.6, 0.2],
      [0.6, 0.7],
    ];
    const r = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-a/view',
      { masks: [mask], sensitivity: 0.6, detectors: ['hotspot'] },
      { 'if-match': `"${cur.version}"` },
    );
    expect(r.status).toBe(200);
    expect(r.body.camera.masks).toEqual([mask]);
    expect(r.headers.get('etag')).toBe(`"${r.body.camera.version}"`);
    const text = readFileSync(path.join(dir, 'cameras.yaml'), 'utf8');
    expect(text).toContain('# keep me');
    expect(text).toContain('sensitivity: 0.6');
    expect(running.get('cam-a')?.masks).toEqual([mask]);
    const audit = await repo.auditAfter(0, 100);
    const row = audit.find((a) => a.entityType === 'camera');
    const me = (await admin.req('GET', '/api/auth/me')).body.user;
    expect(row).toMatchObject({
      action: 'camera.update',
      entityId: 'cam-a',
      actorId: me.id,
      actorRole: 'admin',
    });
    expect(row!.details['changed']).toEqual(['masks', 'sensitivity']);
  });

  it('creates, updates a preset, saves tours and deletes a camera', async () => {
    const created = await admin.req('POST', '/api/admin/cameras', {
      id: 'cam-new',
      name: 'New',
      url: 'rtsp://10.0.0.9/new',
      channel: 'visible',
      detectors: ['smoke'],
      onvif: { host: '10.0.0.9' },
      auth: { username: 'op', password: 'n3w-Secret' },
    });
    expect(created.status).toBe(201);
    expect(created.body.camera.auth).toEqual({ username: 'op', passwordEnv: null, hasPassword: true });
    expect(created.text).not.toContain('n3w-Secret');
    const dup = await admin.req('POST', '/api/admin/cameras', {
      ...formOf(created.body.camera),
      auth: { username: 'op', password: 'other' },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('already_exists');
    expect(dup.body.error.details[0].path).toEqual(['id']);

    let v = created.body.camera.version as string;
    const preset = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-new/presets/p1',
      { id: 'p1', name: '北侧', onvifToken: '1', sensitivity: 0.3, detectors: ['smoke'] },
      { 'if-match': `"${v}"` },
    );
    expect(preset.status).toBe(200);
    v = preset.body.camera.version;
    const tours = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-new/tours',
      { tours: [{ id: 'day', name: 'Day', presets: ['p1'], schedule: ['06:00-18:00'] }] },
      { 'if-match': `"${v}"` },
    );
    expect(tours.status).toBe(200);
    expect(tours.body.camera.tours[0].presets).toEqual(['p1']);
    // A preset still used by a tour cannot go.
    const inUse = await admin.req('DELETE', '/api/admin/cameras/cam-new/presets/p1', undefined, {
      'if-match': `"${tours.body.camera.version}"`,
    });
    expect(inUse.status).toBe(400);
    const del = await admin.req('DELETE', '/api/admin/cameras/cam-new', undefined, {
      'if-match': `"${tours.body.camera.version}"`,
    });
    expect(del.status).toBe(204);
    expect((await admin.req('GET', '/api/admin/cameras/cam-new')).status).toBe(404);
  });

  it('tests a connection: ok with codec/size/GOP, or a named failure', async () => {
    const ok = await admin.req('POST', '/api/admin/cameras/test', { url: 'rtsp://10.0.0.1/good' });
    expect(ok.body).toMatchObject({ ok: true, codec: 'h264', width: 1280, height: 720, gopMs: 1000 });
    const auth = await admin.req('POST', '/api/admin/cameras/test', {
      url: 'rtsp://127.0.0.1:8554/a',
      cameraId: 'cam-a',
      auth: { username: 'viewer' },
    });
    expect(auth.body).toMatchObject({ ok: false, reason: 'auth_failed' });
    const http = await admin.req('POST', '/api/admin/cameras/test', { url: 'http://10.0.0.1/x' });
    expect(http.body).toMatchObject({ ok: false, reason: 'not_rtsp' });
    const noEnv = await admin.req('POST', '/api/admin/cameras/test', {
      url: 'rtsp://10.0.0.1/good',
      auth: { username: 'u', passwordEnv: 'CAM_NOT_SET_ANYWHERE' },
    });
    expect(noEnv.body).toMatchObject({ ok: false, reason: 'missing_secret' });
    expect(noEnv.body.message).toContain('CAM_NOT_SET_ANYWHERE');
  });

  it('keeps secrets: raw @ refused, CAM_ env names only, detectUrl redacted, credentials follow a path edit but not a new host', async () => {
    const body = { id: 'cam-s', name: 'S', channel: 'visible', detectors: ['smoke'] };
    const rawAt = await admin.req('POST', '/api/admin/cameras', {
      ...body,
      url: 'rtsp://ops@site:Pw9x@10.0.0.7/x',
    });
    expect(rawAt.status).toBe(400);
    expect(rawAt.body.error.details[0].path).toEqual(['url']);
    expect(rawAt.text).not.toContain('Pw9x');
    const space = await admin.req('POST', '/api/admin/cameras', {
      ...body,
      url: 'rtsp://cam:Hunter 22@10.0.0.7/x',
    });
    expect(space.status).toBe(400);
    const noHost = await admin.req('POST', '/api/admin/cameras', { ...body, url: 'rtsp://' });
    expect(noHost.status).toBe(400);
    const home = await admin.req('POST', '/api/admin/cameras/test', {
      url: 'rtsp://10.0.0.1/good',
      auth: { username: 'x', passwordEnv: 'HOME' },
    });
    expect(home.status).toBe(400);

    const created = await admin.req('POST', '/api/admin/cameras', {
      ...body,
      url: 'rtsp://op:MainPw1@10.0.0.7/Streaming/101',
      detectUrl: 'rtsp://op:SubPw2@10.0.0.7/Streaming/102',
      auth: null,
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toMatch(/MainPw1|SubPw2/);
    expect(created.body.camera.detectUrl).toBe('rtsp://***@10.0.0.7/Streaming/102');
    const got = await admin.req('GET', '/api/admin/cameras/cam-s');
    expect(got.text).not.toMatch(/MainPw1|SubPw2/);

    // the form sends the redacted URL back with a new path: the stored user:password stays
    const moved = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-s',
      { ...formOf(got.body.camera), url: 'rtsp://***@10.0.0.7/Streaming/103' },
      { 'if-match': `"${got.body.camera.version}"` },
    );
    expect(moved.status).toBe(200);
    const text = readFileSync(path.join(dir, 'cameras.yaml'), 'utf8');
    expect(text).toContain('rtsp://op:MainPw1@10.0.0.7/Streaming/103');
    expect(text).toContain('rtsp://op:SubPw2@10.0.0.7/Streaming/102');
    expect(text).not.toContain('***');
    // … but never to another host
    const elsewhere = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-s',
      { ...formOf(moved.body.camera), url: 'rtsp://***@10.9.9.9/Streaming/103' },
      { 'if-match': `"${moved.body.camera.version}"` },
    );
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.details[0].path).toEqual(['url']);

    // stored auth (cam-a: passwordEnv) is not sent to another host by the connection test (the stub probe would
    // answer auth_failed had it been called)
    const other = await admin.req('POST', '/api/admin/cameras/test', {
      url: 'rtsp://10.66.0.1/a',
      cameraId: 'cam-a',
      auth: { username: 'viewer' },
    });
    expect(other.body).toMatchObject({ ok: false, reason: 'missing_secret' });
    const ca = (await admin.req('GET', '/api/admin/cameras/cam-a')).body.camera;
    const moveA = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-a',
      { ...formOf(ca), url: 'rtsp://10.66.0.1/a' },
      { 'if-match': `"${ca.version}"` },
    );
    expect(moveA.status).toBe(400);
    expect(moveA.body.error.details[0].path).toEqual(['auth', 'password']);

    const del = await admin.req('DELETE', '/api/admin/cameras/cam-s', undefined, {
      'if-match': `"${moved.body.camera.version}"`,
    });
    expect(del.status).toBe(204);
  });

  it('go-to-preset: 409 without ONVIF, 502 when the camera does not answer', async () => {
    const cur = (await admin.req('GET', '/api/admin/cameras/cam-a')).body.camera;
    const p = await admin.req(
      'PUT',
      '/api/admin/cameras/cam-a/presets/p1',
      { id: 'p1', name: 'One' },
      { 'if-match': `"${cur.version}"` },
    );
    expect(p.status).toBe(200);
    const noPtz = await admin.req('POST', '/api/admin/cameras/cam-a/presets/p1/goto', {});
    expect(noPtz.status).toBe(409);
    expect(noPtz.body.error.code).toBe('no_ptz');
    const failed = await admin.req('POST', '/api/admin/cameras/cam-ptz/presets/p1/goto', {});
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe('ptz_failed');
  });

  it('serves the latest frame as JPEG and runs detection on it', async () => {
    const none = await admin.req('GET', '/api/admin/cameras/cam-a/frame.jpg');
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('no_frame');
    frames.set('cam-a', {
      cameraId: 'cam-a',
      presetId: null,
      capturedAt: Date.UTC(2026, 10, 29, 12),
      seq: 1,
      image: { width: 160, height: 80, data: Buffer.alloc(160 * 80 * 3, 90) },
    });
    const res = await fetch(`${base}/api/admin/cameras/cam-a/frame.jpg`, {
      headers: { cookie: admin.cookie },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-frame-captured-at')).toBe('2026-11-29T12:00:00.000Z');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 160, 80]);

    const d = await admin.req('POST', '/api/admin/cameras/cam-a/detect', {
      presetId: null,
      masks: [],
      sensitivity: 0.5,
    });
    expect(d.status).toBe(200);
    expect(d.body.detections).toEqual([
      { type: 'hotspot', score: 0.9, box: { x: 10 / 160, y: 10 / 80, w: 20 / 160, h: 20 / 80 }, opens: true },
    ]);
    const bad = await admin.req('POST', '/api/admin/cameras/cam-a/detect', {
      presetId: null,
      sensitivity: 2,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toEqual(['sensitivity']);
  });
});
