import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HealthProbe,
  HealthResponse,
  type Alert,
  type ServerEvent,
  type ServerToClientEvents,
} from '../schemas/api.ts';
import { openSqliteStore } from '../store/sqliteStore.ts';
import { silentLogger } from '../util/logger.ts';
import { createApp } from './app.ts';
import { cameraHealthFixture } from './testFixtures.ts';

const alert = (id: string, at: string): Alert => ({
  id,
  type: 'hotspot',
  status: 'open',
  cameraId: 'cam-1',
  cameraName: 'Cam 1',
  presetId: null,
  firstSeenAt: at,
  lastSeenAt: at,
  closedAt: null,
  peakScore: 0.9,
  box: { x: 1, y: 2, w: 3, h: 4 },
  frameWidth: 320,
  frameHeight: 256,
  hits: 2,
  snapshotUrl: `/api/alerts/${id}/snapshot.jpg`,
});

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

/** One camera's health, with what must stay behind the login (name, an error naming host and path). */
const CAM_HEALTH = cameraHealthFixture({
  name: '一号塔',
  channel: 'thermal',
  restarts: 1,
  lastError: 'connection refused: rtsp://10.1.2.3:554/Streaming/Channels/101',
});

async function setup(
  opts: { hasSession?: (cookie: string | undefined) => Promise<boolean>; sessionRecheckMs?: number } = {},
) {
  const store = openSqliteStore(':memory:');
  const { app, attach } = createApp({
    ...(opts.hasSession
      ? {
          dispatch: {
            router: express.Router(),
            socketRooms: () => Promise.resolve([]),
            hasSession: opts.hasSession,
            ...(opts.sessionRecheckMs !== undefined ? { sessionRecheckMs: opts.sessionRecheckMs } : {}),
          },
        }
      : {}),
    store,
    evidence: {
      writeSnapshot: () => undefined,
      readSnapshot: (id) => (id === 'a1' ? Buffer.from([0xff, 0xd8]) : null),
    },
    health: () => ({
      status: 'ok',
      startedAt: '2026-01-01T00:00:00.000Z',
      models: [],
      cameras: [CAM_HEALTH],
    }),
    cameras: () => [],
    log: silentLogger(),
  });
  const server: Server = createServer(app);
  const { io, publish } = attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.push(() => {
    void io.close();
    server.close();
  });
  const add = async (a: Alert) =>
    publish(await store.insertAlert(a, { at: a.firstSeenAt, kind: 'alert.opened', alert: a }));
  return { base, add, store, io };
}

function connect(base: string, lastEventId: number) {
  const received: ServerEvent[] = [];
  const socket: Socket<ServerToClientEvents> = ioClient(base, {
    auth: { lastEventId },
    transports: ['websocket'],
    forceNew: true,
  });
  cleanup.push(() => socket.close());
  socket.on('event', (e) => received.push(e));
  const done = new Promise<{ lastEventId: number; replayed: number }>((r) => socket.once('replay.done', r));
  return { socket, received, done };
}

describe('createApp HTTP', () => {
  it('lists alerts newest first, filters by status and validates the query', async () => {
    const { base, add } = await setup();
    await add(alert('a1', '2026-01-01T00:00:00.000Z'));
    await add(alert('a2', '2026-01-01T00:05:00.000Z'));
    const res = await fetch(`${base}/api/alerts?status=open`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { alerts: Alert[] };
    expect(body.alerts.map((a) => a.id)).toEqual(['a2', 'a1']);
    const bad = await fetch(`${base}/api/alerts?status=maybe`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_query');
    expect((await fetch(`${base}/api/alerts?bogus=1`)).status).toBe(400);
    const nan = await fetch(`${base}/api/alerts?limit=abc`);
    expect(nan.status).toBe(400);
    expect(JSON.stringify(await nan.json())).not.toContain('NaN');
    // A path parameter that is not valid percent-encoding is the client's error, not a 500.
    const undecodable = await fetch(`${base}/api/alerts/%ZZ`);
    expect(undecodable.status).toBe(400);
    expect(await undecodable.json()).toEqual({
      error: { code: 'bad_request', message: "Failed to decode param '%ZZ'" },
    });
    // A parameter given twice names itself (it used to read "expected number, received NaN").
    const twice = await fetch(`${base}/api/alerts?limit=1&limit=2`);
    expect(twice.status).toBe(400);
    const err = ((await twice.json()) as { error: { details: { path: string[]; message: string }[] } }).error;
    expect(err.details).toEqual([
      expect.objectContaining({
        path: ['limit'],
        message: expect.stringContaining('given 2 times') as string,
      }),
    ]);
  });

  it('validates the status-history query like the other lists (it used to ignore it)', async () => {
    const { base } = await setup();
    for (const q of ['limit=-5', 'limit=abc', 'foo=1', 'limit=1&limit=2', 'limit=1001'])
      expect((await fetch(`${base}/api/cameras/c1/status-history?${q}`)).status, q).toBe(400);
    expect((await fetch(`${base}/api/cameras/c1/status-history?limit=5`)).status).toBe(404); // no such camera
  });

  it('serves snapshots and 404s unknown alerts and endpoints as JSON', async () => {
    const { base, add } = await setup();
    await add(alert('a1', '2026-01-01T00:00:00.000Z'));
    const snap = await fetch(`${base}/api/alerts/a1/snapshot.jpg`);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect((await fetch(`${base}/api/alerts/nope`)).status).toBe(404);
    const missing = await fetch(`${base}/api/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('socket replay', () => {
  it('replays missed events once, then delivers live ones in order', async () => {
    const { base, add } = await setup();
    await add(alert('a1', '2026-01-01T00:00:00.000Z'));
    await add(alert('a2', '2026-01-01T00:01:00.000Z'));
    const c = connect(base, 1);
    expect(await c.done).toEqual({ lastEventId: 2, replayed: 1 });
    await add(alert('a3', '2026-01-01T00:02:00.000Z'));
    await expect.poll(() => c.received.length).toBe(2);
    expect(c.received.map((e) => e.id)).toEqual([2, 3]);
    const fresh = connect(base, 0);
    await fresh.done;
    expect(fresh.received.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('treats malformed auth as a client without history', async () => {
    const { base, add } = await setup();
    await add(alert('a1', '2026-01-01T00:00:00.000Z'));
    const c = connect(base, -5);
    expect((await c.done).replayed).toBe(1);
  });
});

describe('session required (a dispatch domain with users)', () => {
  const hasSession = (cookie: string | undefined) => Promise.resolve(cookie === 'tw_session=good');

  it('answers 401 to monitoring reads without a session; health stays open', async () => {
    const { base, add } = await setup({ hasSession });
    await add(alert('a1', '2026-01-01T00:00:00.000Z'));
    for (const p of [
      '/api/alerts',
      '/api/alerts/a1',
      '/api/alerts/a1/snapshot.jpg',
      '/api/cameras',
      '/api/map',
    ]) {
      const r = await fetch(`${base}${p}`);
      expect(r.status, p).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      expect((await fetch(`${base}${p}`, { headers: { cookie: 'tw_session=bad' } })).status, p).toBe(401);
    }
    // Health stays open for probes, without per-camera detail; a session gets the cameras.
    const probe = await fetch(`${base}/api/health`);
    expect(probe.status).toBe(200);
    expect(HealthProbe.parse(await probe.json())).toEqual({
      status: 'ok',
      startedAt: expect.any(String) as string,
      cameras: { total: 1, online: 1 },
    });
    const anonText = await (await fetch(`${base}/api/health`)).text();
    expect(anonText).not.toContain('一号塔');
    expect(anonText).not.toContain('10.1.2.3');
    const full = await fetch(`${base}/api/health`, { headers: { cookie: 'tw_session=good' } });
    expect(HealthResponse.parse(await full.json()).cameras.map((c) => c.id)).toEqual(['cam-1']);
    const ok = await fetch(`${base}/api/alerts`, { headers: { cookie: 'tw_session=good' } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { alerts: Alert[] }).alerts.map((a) => a.id)).toEqual(['a1']);
  });

  it('refuses the socket handshake without a session, on every namespace', async () => {
    const { base, io } = await setup({ hasSession });
    io.of('/live'); // as the live-view hub registers it
    const attempt = (nsp: string, cookie?: string) =>
      new Promise<'connected' | 'refused'>((resolve) => {
        const s = ioClient(`${base}${nsp}`, {
          transports: ['polling'],
          forceNew: true,
          reconnection: false,
          ...(cookie ? { extraHeaders: { cookie } } : {}),
        });
        cleanup.push(() => s.close());
        s.once('connect', () => resolve('connected'));
        s.once('connect_error', () => resolve('refused'));
      });
    expect(await attempt('/')).toBe('refused');
    expect(await attempt('/live')).toBe('refused');
    expect(await attempt('/', 'tw_session=bad')).toBe('refused');
    expect(await attempt('/', 'tw_session=good')).toBe('connected');
    expect(await attempt('/live', 'tw_session=good')).toBe('connected');
  });

  it('closes open connections whose session has ended (logout, revoked, expired), on every namespace', async () => {
    const valid = new Set(['tw_session=a', 'tw_session=b']);
    const { base, io } = await setup({
      hasSession: (c) => Promise.resolve(valid.has(c ?? '')),
      sessionRecheckMs: 50,
    });
    io.of('/live');
    const open = (nsp: string, cookie: string) =>
      new Promise<Socket>((resolve, reject) => {
        const s = ioClient(`${base}${nsp}`, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          extraHeaders: { cookie },
        });
        cleanup.push(() => s.close());
        s.once('connect', () => resolve(s));
        s.once('connect_error', reject);
      });
    const a = await open('/', 'tw_session=a');
    const aLive = await open('/live', 'tw_session=a');
    const b = await open('/', 'tw_session=b');
    const closed = (s: Socket) => new Promise<string>((r) => s.once('disconnect', (reason) => r(reason)));
    const aClosed = closed(a);
    const aLiveClosed = closed(aLive);
    valid.delete('tw_session=a'); // logged out
    expect(await aClosed).toBe('transport close');
    expect(await aLiveClosed).toBe('transport close');
    await new Promise((r) => setTimeout(r, 200)); // several re-checks later
    expect(b.connected).toBe(true);
  });
});
