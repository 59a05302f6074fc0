/**
 * PostgreSQL store (`pg`) of alerts, events and camera status history: the same {@link Store} contract as
 * `sqliteStore.ts`, checked by one test suite on both (`test/medium/alertStore.test.ts`).
 *
 * Tables live in `schema` (default `public`) and are created idempotently at open (`CREATE … IF NOT EXISTS`,
 * serialised across processes by an advisory lock). Same columns as SQLite; the alert and event documents are
 * `jsonb` (SQLite: JSON text); times are ISO-8601 UTC text with `COLLATE "C"`, so they sort chronologically
 * byte by byte exactly as in SQLite; events and status rows get `bigserial` ids. Indexes match the console's
 * queries: (status, first_seen_at DESC), (camera_id, first_seen_at DESC), (first_seen_at DESC) and
 * camera_status (camera_id, id DESC).
 *
 * Event order: every transaction that appends an event first takes a transaction-level advisory lock (key
 * derived from the schema name), so events get their ids and commit one at a time, in id order, across all
 * processes: a reader that sees event n has seen every committed event below it (`eventsAfter` never skips one
 * that commits later). A rolled-back transaction leaves a gap in the ids.
 *
 * Statements go through the dispatch repository's executor (`dispatch/pgRepository.ts`: `?` placeholders,
 * one pooled client per transaction). The caller owns the pool; `close()` leaves it open.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { pgExecutor } from '../dispatch/pgRepository.ts';
import type { SqlConn } from '../dispatch/sqlRepository.ts';
import { Alert, CameraStatus, ServerEvent, type AlertListQuery, type CameraHealth } from '../schemas/api.ts';
import type { NewEvent, Store } from './repository.ts';

const schemaDdl = (t: (n: string) => string): string[] => [
  `CREATE TABLE IF NOT EXISTS ${t('alerts')} (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     status TEXT NOT NULL,
     camera_id TEXT NOT NULL,
     preset_id TEXT,
     first_seen_at TEXT COLLATE "C" NOT NULL,
     last_seen_at TEXT COLLATE "C" NOT NULL,
     closed_at TEXT COLLATE "C",
     peak_score DOUBLE PRECISION NOT NULL,
     body JSONB NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS alerts_status_first ON ${t('alerts')} (status, first_seen_at DESC)`,
  `CREATE INDEX IF NOT EXISTS alerts_camera_first ON ${t('alerts')} (camera_id, first_seen_at DESC)`,
  `CREATE INDEX IF NOT EXISTS alerts_first ON ${t('alerts')} (first_seen_at DESC)`,
  `CREATE TABLE IF NOT EXISTS ${t('events')} (
     id BIGSERIAL PRIMARY KEY,
     at TEXT COLLATE "C" NOT NULL,
     kind TEXT NOT NULL,
     body JSONB NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${t('camera_status')} (
     id BIGSERIAL PRIMARY KEY,
     camera_id TEXT NOT NULL,
     status TEXT NOT NULL,
     at TEXT COLLATE "C" NOT NULL,
     last_error TEXT)`,
  `CREATE INDEX IF NOT EXISTS camera_status_camera ON ${t('camera_status')} (camera_id, id DESC)`,
];

/** Advisory-lock key (signed 64-bit, as text) of a purpose in a schema. */
const lockKey = (purpose: string, schema: string): string =>
  createHash('sha256').update(`towerwatch.store.${purpose}:${schema}`).digest().readBigInt64BE(0).toString();

/** Column values of an alert row (the order of {@link ALERT_COLUMNS}). */
const alertRow = (a: Alert): unknown[] => [
  a.id,
  a.type,
  a.status,
  a.cameraId,
  a.presetId,
  a.firstSeenAt,
  a.lastSeenAt,
  a.closedAt,
  a.peakScore,
  JSON.stringify(a),
];
const ALERT_COLUMNS =
  'id, type, status, camera_id, preset_id, first_seen_at, last_seen_at, closed_at, peak_score, body';

/** `pg` returns bigint as text and jsonb as parsed JSON. */
const eventOf = (r: { id: string | number; body: unknown }): ServerEvent =>
  ServerEvent.parse({ ...(r.body as object), id: Number(r.id) });
const alertOf = (r: { body: unknown }): Alert => Alert.parse(r.body);

/**
 * Opens the store on `pool` in `opts.schema` (created if missing, with its tables). The caller keeps ownership
 * of the pool.
 */
export async function openPgStore(pool: Pool, opts: { schema?: string } = {}): Promise<Store> {
  const schema = opts.schema ?? 'public';
  const ex = pgExecutor(pool, schema); // validates the schema name
  const t = (n: string) => ex.table(n);
  const eventLock = lockKey('events', schema);
  await ex.tx(async (c) => {
    // Two processes starting at once must not race on CREATE … IF NOT EXISTS (it is not concurrency-safe).
    await c.all('SELECT pg_advisory_xact_lock(?::bigint)', [lockKey('ddl', schema)]);
    await c.run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    for (const sql of schemaDdl(t)) await c.run(sql);
  });

  const append = async (c: SqlConn, e: NewEvent): Promise<ServerEvent> => {
    const [r] = await c.all<{ id: string }>(
      `INSERT INTO ${t('events')} (at, kind, body) VALUES (?, ?, ?::jsonb) RETURNING id`,
      [e.at, e.kind, JSON.stringify(e)],
    );
    return { ...e, id: Number(r!.id) };
  };
  /** A write transaction that appends an event: the event lock first (ids in commit order). */
  const eventTx = <T>(fn: (c: SqlConn) => Promise<T>): Promise<T> =>
    ex.tx(async (c) => {
      await c.all('SELECT pg_advisory_xact_lock(?::bigint)', [eventLock]);
      return fn(c);
    });
  const updateSql = `UPDATE ${t('alerts')} SET status = ?, last_seen_at = ?, closed_at = ?, peak_score = ?,
    body = ?::jsonb WHERE id = ?`;
  const updateParams = (a: Alert) => [
    a.status,
    a.lastSeenAt,
    a.closedAt,
    a.peakScore,
    JSON.stringify(a),
    a.id,
  ];

  return {
    insertAlert: (alert, event) =>
      eventTx(async (c) => {
        await c.run(
          `INSERT INTO ${t('alerts')} (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)`,
          alertRow(alert),
        );
        return append(c, event);
      }),
    updateAlert: async (alert, event) => {
      if (!event) {
        // No event: one statement, no event lock.
        if ((await ex.run(updateSql, updateParams(alert))) !== 1)
          throw new Error(`alert ${alert.id} not found`);
        return null;
      }
      return eventTx(async (c) => {
        if ((await c.run(updateSql, updateParams(alert))) !== 1)
          throw new Error(`alert ${alert.id} not found`);
        return append(c, event);
      });
    },
    getAlert: async (id) => {
      const [r] = await ex.all<{ body: unknown }>(`SELECT body FROM ${t('alerts')} WHERE id = ?`, [id]);
      return r ? alertOf(r) : null;
    },
    listAlerts: async (q: AlertListQuery) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.status) {
        where.push('status = ?');
        params.push(q.status);
      }
      if (q.cameraId) {
        where.push('camera_id = ?');
        params.push(q.cameraId);
      }
      const rows = await ex.all<{ body: unknown }>(
        `SELECT body FROM ${t('alerts')} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
         ORDER BY first_seen_at DESC LIMIT ?`,
        [...params, q.limit],
      );
      return rows.map(alertOf);
    },
    listOpenAlerts: async () =>
      (
        await ex.all<{ body: unknown }>(
          `SELECT body FROM ${t('alerts')} WHERE status = 'open' ORDER BY first_seen_at DESC`,
        )
      ).map(alertOf),
    appendEvent: (e) => eventTx((c) => append(c, e)),
    eventsAfter: async (afterId, limit) =>
      (
        await ex.all<{ id: string; body: unknown }>(
          `SELECT id, body FROM ${t('events')} WHERE id > ? ORDER BY id LIMIT ?`,
          [afterId, limit],
        )
      ).map(eventOf),
    lastEventId: async () => {
      const [r] = await ex.all<{ id: string | null }>(`SELECT MAX(id) AS id FROM ${t('events')}`);
      return r?.id == null ? 0 : Number(r.id);
    },
    recordStatus: (cam: CameraHealth) =>
      eventTx(async (c) => {
        await c.run(
          `INSERT INTO ${t('camera_status')} (camera_id, status, at, last_error) VALUES (?, ?, ?, ?)`,
          [cam.id, cam.status, cam.statusSince, cam.lastError],
        );
        return append(c, { at: cam.statusSince, kind: 'camera.status', camera: cam });
      }),
    statusHistory: async (cameraId, limit) =>
      (
        await ex.all<{ camera_id: string; status: string; at: string; last_error: string | null }>(
          `SELECT camera_id, status, at, last_error FROM ${t('camera_status')}
           WHERE camera_id = ? ORDER BY id DESC LIMIT ?`,
          [cameraId, limit],
        )
      ).map((r) => ({
        cameraId: r.camera_id,
        status: CameraStatus.parse(r.status),
        at: r.at,
        lastError: r.last_error,
      })),
    close: () => Promise.resolve(),
  };
}
