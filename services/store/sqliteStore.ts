/**
 * SQLite store (better-sqlite3): WAL journal, busy timeout, schema migrations by `user_version`.
 * The driver is synchronous: each method runs its statements (one transaction for a write) when called and
 * returns a promise already settled with the committed result, so the store has one writer and event ids are in
 * commit order.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Alert, CameraStatus, ServerEvent, type AlertListQuery, type CameraHealth } from '../schemas/api.ts';
import type { NewEvent, Store } from './repository.ts';

const MIGRATIONS: string[] = [
  `CREATE TABLE alerts (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     status TEXT NOT NULL,
     camera_id TEXT NOT NULL,
     preset_id TEXT,
     first_seen_at TEXT NOT NULL,
     last_seen_at TEXT NOT NULL,
     closed_at TEXT,
     peak_score REAL NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX alerts_status_first ON alerts(status, first_seen_at DESC);
   CREATE INDEX alerts_camera_first ON alerts(camera_id, first_seen_at DESC);
   CREATE INDEX alerts_first ON alerts(first_seen_at DESC);
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     kind TEXT NOT NULL,
     body TEXT NOT NULL
   );
   CREATE TABLE camera_status (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     camera_id TEXT NOT NULL,
     status TEXT NOT NULL,
     at TEXT NOT NULL,
     last_error TEXT
   );
   CREATE INDEX camera_status_camera ON camera_status(camera_id, id DESC);`,
];

/** Opens (creating if needed) the SQLite store at `file` (`:memory:` for tests) and migrates it. */
export function openSqliteStore(file: string): Store {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }

  const insEvent = db.prepare<[string, string, string]>(
    'INSERT INTO events (at, kind, body) VALUES (?, ?, ?)',
  );
  const insAlert = db.prepare(
    `INSERT INTO alerts (id, type, status, camera_id, preset_id, first_seen_at, last_seen_at, closed_at, peak_score, body)
     VALUES (@id, @type, @status, @cameraId, @presetId, @firstSeenAt, @lastSeenAt, @closedAt, @peakScore, @body)`,
  );
  const updAlert = db.prepare(
    `UPDATE alerts SET status=@status, last_seen_at=@lastSeenAt, closed_at=@closedAt, peak_score=@peakScore, body=@body WHERE id=@id`,
  );
  const getAlertStmt = db.prepare<[string], { body: string }>('SELECT body FROM alerts WHERE id = ?');
  const openStmt = db.prepare<[], { body: string }>(
    "SELECT body FROM alerts WHERE status = 'open' ORDER BY first_seen_at DESC",
  );
  const afterStmt = db.prepare<[number, number], { id: number; body: string }>(
    'SELECT id, body FROM events WHERE id > ? ORDER BY id LIMIT ?',
  );
  const lastStmt = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM events');
  const insStatus = db.prepare<[string, string, string, string | null]>(
    'INSERT INTO camera_status (camera_id, status, at, last_error) VALUES (?, ?, ?, ?)',
  );

  const historyStmt = db.prepare<
    [string, number],
    { camera_id: string; status: string; at: string; last_error: string | null }
  >(
    'SELECT camera_id, status, at, last_error FROM camera_status WHERE camera_id = ? ORDER BY id DESC LIMIT ?',
  );

  const append = (e: NewEvent): ServerEvent => {
    const info = insEvent.run(e.at, e.kind, JSON.stringify(e));
    return { ...e, id: Number(info.lastInsertRowid) };
  };
  const row = (a: Alert) => ({ ...a, body: JSON.stringify(a) });
  const parseAlert = (body: string): Alert => Alert.parse(JSON.parse(body));

  const insertTx = db.transaction((alert: Alert, event: NewEvent) => {
    insAlert.run(row(alert));
    return append(event);
  });
  const updateTx = db.transaction((alert: Alert, event: NewEvent | null) => {
    const info = updAlert.run(row(alert));
    if (info.changes !== 1) throw new Error(`alert ${alert.id} not found`);
    return event ? append(event) : null;
  });
  const statusTx = db.transaction((c: CameraHealth) => {
    insStatus.run(c.id, c.status, c.statusSince, c.lastError);
    return append({ at: c.statusSince, kind: 'camera.status', camera: c });
  });

  // The statements run synchronously when a method is called; `settle` only turns the committed result into a
  // promise and an exception into a rejection.
  return {
    insertAlert: (alert, event) => settle(() => insertTx(alert, event)),
    updateAlert: (alert, event) => settle(() => updateTx(alert, event)),
    getAlert: (id) =>
      settle(() => {
        const r = getAlertStmt.get(id);
        return r ? parseAlert(r.body) : null;
      }),
    listAlerts: (q: AlertListQuery) =>
      settle(() => {
        const where: string[] = [];
        const params: (string | number)[] = [];
        if (q.status) {
          where.push('status = ?');
          params.push(q.status);
        }
        if (q.cameraId) {
          where.push('camera_id = ?');
          params.push(q.cameraId);
        }
        const sql = `SELECT body FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY first_seen_at DESC LIMIT ?`;
        return db
          .prepare<(string | number)[], { body: string }>(sql)
          .all(...params, q.limit)
          .map((r) => parseAlert(r.body));
      }),
    listOpenAlerts: () => settle(() => openStmt.all().map((r) => parseAlert(r.body))),
    appendEvent: (e) => settle(() => append(e)),
    eventsAfter: (afterId, limit) =>
      settle(() =>
        afterStmt.all(afterId, limit).map((r) => ServerEvent.parse({ ...JSON.parse(r.body), id: r.id })),
      ),
    lastEventId: () => settle(() => lastStmt.get()?.id ?? 0),
    recordStatus: (c) => settle(() => statusTx(c)),
    statusHistory: (cameraId, limit) =>
      settle(() =>
        historyStmt.all(cameraId, limit).map((r) => ({
          cameraId: r.camera_id,
          status: CameraStatus.parse(r.status),
          at: r.at,
          lastError: r.last_error,
        })),
      ),
    close: () =>
      settle(() => {
        db.close();
      }),
  };
}

/** Runs `fn` now; its result (or exception) as a settled promise. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
