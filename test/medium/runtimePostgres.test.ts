/**
 * The runtime on PostgreSQL (`databaseUrl`, as `TOWERWATCH_DATABASE_URL` sets it): one demo thermal camera over
 * the real RTSP server, real ffmpeg and onnxruntime; the alert lands in PostgreSQL (a fresh schema, dropped
 * after), reaches a socket.io client through the event feed, is listed over REST, and is confirmed into a case
 * by the dispatch repository in the same schema, whose audit chain the CLI verifies from the URL alone. No
 * SQLite file is created. Needs PostgreSQL on 127.0.0.1:5432
 * (trust auth, database `test`; override with TOWERWATCH_TEST_PG_URL).
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   response bodies are untyped JSON here; their shapes are what these tests assert. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditVerify } from '../../services/dispatch/auditVerify.ts';
import { TestClient } from '../../services/dispatch/testSupport.ts';
import { REPO_ROOT, startTowerWatch, type Runtime } from '../../services/runtime.ts';
import type { Alert, ServerEvent, ServerToClientEvents } from '../../services/schemas/api.ts';
import { silentLogger } from '../../services/util/logger.ts';
import { freePort, waitFor } from '../support/procs.ts';

const PG_URL = process.env['TOWERWATCH_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const DEMO = path.join(REPO_ROOT, 'camera-config', 'demo');
const PASSWORD = 'pg-runtime-test-password';

let rt: Runtime | undefined;
let dir: string;
let pool: pg.Pool;
let socket: Socket<ServerToClientEvents> | undefined;
let duty: TestClient;
const schema = `tw_rt_test_${Math.random().toString(36).slice(2, 10)}`;
const received: ServerEvent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tw-rt-pg-'));
  const configDir = path.join(dir, 'config');
  const dataDir = path.join(dir, 'data');
  // The demo site reduced to one thermal camera (its clip raises a hot-spot alert), with the demo dispatch setup.
  mkdirSync(configDir);
  symlinkSync(path.join(DEMO, 'clips'), path.join(configDir, 'clips'));
  symlinkSync(path.join(DEMO, 'dispatch'), path.join(configDir, 'dispatch'));
  writeFileSync(
    path.join(configDir, 'site.yaml'),
    `site: { id: pg-test, name: PostgreSQL test }
alerting: { confirmN: 2, confirmM: 3, closeAfterMs: 60000 }
demo:
  rtspPort: 8554
  streams:
    - { mount: tower-01-thermal, clip: clips/thermal-siteE-a35.mp4 }
`,
  );
  writeFileSync(
    path.join(configDir, 'cameras.yaml'),
    `cameras:
  - id: tower-01-thermal
    name: 1号塔 热成像
    url: rtsp://127.0.0.1:8554/tower-01-thermal
    channel: thermal
    detectors: [hotspot]
    sampleIntervalMs: 2000
    location: { lat: 34.2651, lon: 108.9532, heightM: 40 }
    azimuthDeg: 45
    hfovDeg: 25
`,
  );
  process.env['TOWERWATCH_PASSWORD_DUTY1'] = PASSWORD;
  pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  rt = await startTowerWatch({
    configDir,
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demoRtspPort: await freePort(),
    detectWorkers: 1,
    databaseUrl: `${PG_URL}?schema=${schema}`,
    log: silentLogger(),
  });
  // the monitoring API and the socket need a session (the demo dispatch setup has users)
  duty = new TestClient(rt.url);
  expect(await duty.login('duty1', PASSWORD)).toBe(200);
  socket = ioClient(rt.url, {
    auth: { lastEventId: 0 },
    transports: ['websocket'],
    forceNew: true,
    extraHeaders: { cookie: duty.cookie },
  });
  socket.on('event', (e) => received.push(e));
});

afterAll(async () => {
  socket?.close();
  await rt?.stop();
  delete process.env['TOWERWATCH_PASSWORD_DUTY1'];
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool?.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('runtime on PostgreSQL', () => {
  it('stores a real alert in PostgreSQL, delivers it over the socket in id order and confirms it into a case', async () => {
    const alert = await waitFor(
      'a hot-spot alert',
      async () => {
        const { alerts } = (await duty.req('GET', '/api/alerts')).body as { alerts: Alert[] };
        return alerts.find((a) => a.type === 'hotspot') ?? null;
      },
      90_000,
      1000,
    );
    // In PostgreSQL (this schema), not in a SQLite file.
    const row = await pool.query<{ status: string; body: Alert }>(
      `SELECT status, body FROM "${schema}".alerts WHERE id = $1`,
      [alert.id],
    );
    expect(row.rows[0]?.body.cameraId).toBe('tower-01-thermal');
    expect(existsSync(path.join(dir, 'data', 'towerwatch.sqlite'))).toBe(false);
    // Socket: the alert's opening event, camera status events before it, ids strictly ascending.
    await waitFor(
      'alert.opened on the socket',
      () =>
        Promise.resolve(received.some((e) => e.kind === 'alert.opened' && e.alert.id === alert.id) || null),
      10_000,
    );
    const ids = received.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(received.some((e) => e.kind === 'camera.status')).toBe(true);
    const history = (await duty.req('GET', '/api/cameras/tower-01-thermal/status-history')).body as {
      changes: unknown[];
    };
    expect(history.changes.length).toBeGreaterThan(0);
    // Dispatch on the same database and schema: confirm the alert into a case.
    const confirmed = await duty.req('POST', `/api/alerts/${alert.id}/confirm`, {});
    expect(confirmed.status).toBe(201);
    const cases = await pool.query<{ id: string }>(`SELECT id FROM "${schema}".dispatch_cases`);
    expect(cases.rows.map((r) => r.id)).toEqual([confirmed.body.case.id]);
    // The audit CLI finds the same database from TOWERWATCH_DATABASE_URL alone.
    const audit = await runAuditVerify([], { TOWERWATCH_DATABASE_URL: `${PG_URL}?schema=${schema}` });
    expect(audit).toMatchObject({ code: 0 });
    expect(audit.out).toContain(`postgres schema ${schema}`);
  });

  it('refuses to start on an invalid or unreachable database URL, naming it without its password', async () => {
    const base = {
      configDir: path.join(dir, 'config'),
      dataDir: path.join(dir, 'data2'),
      port: 0,
      log: silentLogger(),
    };
    await expect(startTowerWatch({ ...base, databaseUrl: 'mysql://u:hunter2@h/db' })).rejects.toThrow(
      /invalid TOWERWATCH_DATABASE_URL: unsupported scheme/,
    );
    const err = await startTowerWatch({ ...base, databaseUrl: 'postgres://u:hunter2@127.0.0.1:1/db' }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^cannot open PostgreSQL postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
    expect(err?.message).not.toContain('hunter2');
  });
});
