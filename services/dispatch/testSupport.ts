/**
 * Test helpers shared by the dispatch unit and medium tests (not used by production code): demo config,
 * alerts, an in-process app with the dispatch router, and a tiny cookie-keeping HTTP client.
 */
import Database from 'better-sqlite3';
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Alert } from '../schemas/api.ts';
import { ManualClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import { passwordEnvName } from './auth.ts';
import { loadDispatchConfig, type DispatchConfig } from './config.ts';
import { createDispatch, type Dispatch } from './index.ts';
import type { DispatchRepository } from './repository.ts';
import type { CameraGeo } from './routing.ts';
import type { CaseEvent } from './schemas.ts';
import { sqliteDispatchRepository } from './sqliteRepository.ts';

/** `camera-config/demo/dispatch`. */
export const DEMO_DISPATCH_DIR = path.resolve(import.meta.dirname, '../../camera-config/demo/dispatch');

/** The demo dispatch configuration. */
export const demoDispatchConfig = (): DispatchConfig => loadDispatchConfig(DEMO_DISPATCH_DIR);

/** Demo camera geometry (same as camera-config/demo/cameras.yaml). */
export const DEMO_CAMERAS: Record<string, CameraGeo> = {
  'tower-01-thermal': { location: { lat: 34.2651, lon: 108.9532 }, azimuthDeg: 45, hfovDeg: 25 },
  'tower-02-thermal': { location: { lat: 34.281, lon: 108.988 }, azimuthDeg: 200, hfovDeg: 25 },
  'tower-03-visible': { location: { lat: 34.253, lon: 108.97 }, azimuthDeg: 90, hfovDeg: 60 },
  'tower-04-visible': { location: { lat: 34.29, lon: 108.94 }, azimuthDeg: 150, hfovDeg: 60 },
  'tower-05-visible': { location: { lat: 34.24, lon: 108.92 }, azimuthDeg: 20, hfovDeg: 60 },
};

/** An alert with the box centred horizontally (bearing = camera azimuth). */
export function makeAlert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id,
    type: 'hotspot',
    status: 'open',
    cameraId: 'tower-01-thermal',
    cameraName: '1号塔 热成像',
    presetId: 'p1',
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:00:00.000Z',
    closedAt: null,
    peakScore: 0.9,
    box: { x: 150, y: 100, w: 20, h: 20 },
    frameWidth: 320,
    frameHeight: 256,
    hits: 3,
    snapshotUrl: `/api/alerts/${id}/snapshot.jpg`,
    ...over,
  };
}

/** Password every demo user gets in tests. */
export const TEST_PASSWORD = 'correct horse battery staple';

/** A started in-process app with the dispatch router under /api. */
export interface TestDispatchApp {
  base: string;
  dispatch: Dispatch;
  repo: DispatchRepository;
  db: Database.Database;
  clock: ManualClock;
  alerts: Map<string, Alert>;
  events: { room: string; event: CaseEvent }[];
  close(): Promise<void>;
}

/** Starts an app on a free port with a SQLite repository at `dbFile` (`:memory:` by default). */
export async function startTestDispatchApp(opts: {
  dbFile?: string;
  dataDir: string;
  config?: DispatchConfig;
}): Promise<TestDispatchApp> {
  const db = new Database(opts.dbFile ?? ':memory:');
  const repo = await sqliteDispatchRepository(db);
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 8, 0, 0));
  const alerts = new Map<string, Alert>();
  const events: { room: string; event: CaseEvent }[] = [];
  const config = opts.config ?? demoDispatchConfig();
  const dispatch = createDispatch({
    repo,
    config,
    alerts: { getAlert: (id) => Promise.resolve(alerts.get(id) ?? null) },
    dataDir: opts.dataDir,
    clock,
    log: silentLogger(),
    publish: (room, event) => events.push({ room, event }),
    cameraGeo: (id) => DEMO_CAMERAS[id] ?? null,
  });
  const env = Object.fromEntries(config.users.map((u) => [passwordEnvName(u.username), TEST_PASSWORD]));
  await dispatch.auth.seedUsers(config.users, env, () => undefined);
  const app = express();
  app.set('query parser', 'simple');
  app.use('/api', dispatch.router);
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    dispatch,
    repo,
    db,
    clock,
    alerts,
    events,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await repo.close();
      db.close();
    },
  };
}

/** A logged-in HTTP client: keeps the session cookie and sends the CSRF token on writes. */
export class TestClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  /** Logs in; @returns the response status. */
  async login(username: string, password = TEST_PASSWORD): Promise<number> {
    const res = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0] ?? '';
    if (res.ok) this.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
    else await res.arrayBuffer();
    return res.status;
  }

  /** JSON request; @returns status, parsed body (or text) and headers. */
  async req(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.base}${p}`, {
      method,
      headers: {
        cookie: this.cookie,
        ...(method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? null : body instanceof FormData ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    // Untyped JSON on purpose: the tests assert its shape.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment
    return { status: res.status, body: json as any, text, headers: res.headers };
  }
}
