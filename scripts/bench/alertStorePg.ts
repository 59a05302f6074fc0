/**
 * Step 4, PostgreSQL half of the alert store: the production `openPgStore` (services/store/pgStore.ts) in a
 * throw-away schema. The table is filled server-side (`INSERT … SELECT generate_series`, the same rows as the
 * SQLite half writes, built with jsonb_build_object; alert indexes dropped during the load and rebuilt by
 * re-opening the store), then `insertAlert` (alert row + event row, one transaction
 * with the event advisory lock, default synchronous_commit) is called back-to-back for the insert budget: the
 * sustained rate; then `updateAlert` without event; then the console's list queries through the store, and the
 * open query with index scans disabled as the baseline.
 */
import pg from 'pg';
import { Alert } from '../../services/schemas/api.ts';
import { openPgStore } from '../../services/store/pgStore.ts';
import { BENCH_PG_URL } from './caseBoard.ts';
import { log, type BenchOptions, timeRuns, timeConsoleQueries } from './common.ts';

export interface PgAlertStoreRow {
  alerts: number;
  openAlerts: number;
  /** Seconds the server-side fill took. */
  fillS: number;
  insertsPerS: number;
  updatesPerS: number;
  query: { name: string; runs: number; p50Ms: number; p95Ms: number; rows: number }[];
  /** Full-scan p95 / indexed p95 of the open-alerts query. */
  indexSpeedup: number;
  /** Set when PostgreSQL could not be reached (reason). */
  skipped?: string;
}

/**
 * SQL fill of `n` alerts (rows 0 … n-1 of `makeAlert`, ids prefixed `pg-` so that they never collide with
 * `makeAlert`'s) and one event each, in one statement per table.
 */
function fillSql(schema: string, t0: number, cameras: number, openEvery: number): string[] {
  const at = (ms: string) =>
    `to_char(to_timestamp((${ms}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return [
    `INSERT INTO "${schema}".alerts (id, type, status, camera_id, preset_id, first_seen_at, last_seen_at, closed_at, peak_score, body)
     SELECT id, type, status, camera_id, preset_id, at, at, closed_at, peak, jsonb_build_object(
         'id', id, 'type', type, 'status', status, 'cameraId', camera_id, 'cameraName', 'Tower ' || (i % ${cameras}),
         'presetId', preset_id, 'firstSeenAt', at, 'lastSeenAt', at, 'closedAt', closed_at, 'peakScore', peak,
         'box', jsonb_build_object('x', (i * 7) % 1800, 'y', (i * 13) % 1000, 'w', 24, 'h', 18),
         'frameWidth', 1920, 'frameHeight', 1080, 'hits', 3 + i % 5, 'snapshotUrl', '/api/alerts/' || id || '/snapshot.jpg')
     FROM (
       SELECT i, 'pg-' || i AS id, CASE WHEN i % 2 = 0 THEN 'smoke' ELSE 'hotspot' END AS type,
              CASE WHEN i % ${openEvery} = 0 THEN 'open' ELSE 'closed' END AS status,
              'cam-' || (i % ${cameras}) AS camera_id, 'p' || (i % 8) AS preset_id,
              ${at(`${t0}::bigint + i * 15000`)} AS at,
              CASE WHEN i % ${openEvery} = 0 THEN NULL ELSE ${at(`${t0}::bigint + i * 15000 + 120000`)} END AS closed_at,
              (0.5 + (i % 50) / 100.0)::float8 AS peak
       FROM generate_series(0::bigint, $1::bigint - 1) AS i) s`,
    `INSERT INTO "${schema}".events (at, kind, body)
     SELECT first_seen_at, kind, jsonb_build_object('at', first_seen_at, 'kind', kind, 'alert', body)
     FROM (SELECT first_seen_at, body,
                  CASE WHEN status = 'open' THEN 'alert.opened' ELSE 'alert.closed' END AS kind
           FROM "${schema}".alerts ORDER BY first_seen_at) a`,
  ];
}

/**
 * Measures the PostgreSQL alert store. `makeAlert(i, open, cameras)` is the SQLite half's row generator (the
 * sustained inserts continue its sequence after the fill).
 */
export async function benchPgAlertStore(
  o: BenchOptions,
  p: {
    target: number;
    insertBudgetMs: number;
    cameras: number;
    openEvery: number;
    t0: number;
    makeAlert: (i: number, open: boolean, cameras: number) => Alert;
  },
): Promise<PgAlertStoreRow> {
  const pool = new pg.Pool({ connectionString: BENCH_PG_URL, max: 4 });
  const schema = `bench_alerts_${process.pid}_${Date.now().toString(36)}`;
  try {
    await openPgStore(pool, { schema });
    const tf = performance.now();
    // Bulk load without the alert indexes, then re-open the store: its idempotent DDL rebuilds them.
    await pool.query(
      `DROP INDEX "${schema}".alerts_status_first, "${schema}".alerts_camera_first, "${schema}".alerts_first`,
    );
    for (const sql of fillSql(schema, p.t0, p.cameras, p.openEvery))
      await pool.query(sql, sql.includes('$1') ? [p.target] : []);
    const store = await openPgStore(pool, { schema });
    await pool.query(`ANALYZE "${schema}".alerts`);
    await pool.query(`ANALYZE "${schema}".events`);
    const fillS = (performance.now() - tf) / 1000;
    log(o, `store: PostgreSQL pre-filled ${p.target} alerts in ${fillS.toFixed(1)} s`);
    // Sanity: a filled row decodes like a store-written one.
    const sample = await store.getAlert('pg-0');
    if (!sample || sample.status !== 'open') throw new Error('PostgreSQL fill produced an unreadable row');

    const t0 = performance.now();
    let n = p.target;
    while (performance.now() - t0 < p.insertBudgetMs) {
      for (const end = n + 20; n < end; n++) {
        const a = p.makeAlert(n, n % p.openEvery === 0, p.cameras);
        await store.insertAlert(a, {
          at: a.firstSeenAt,
          kind: a.status === 'open' ? 'alert.opened' : 'alert.closed',
          alert: a,
        });
      }
    }
    const inserted = n - p.target;
    const insertS = (performance.now() - t0) / 1000;
    log(o, `store: PostgreSQL ${inserted} inserts in ${insertS.toFixed(1)} s`);
    // Updates of open alerts inserted through the store (their ids are makeAlert's), 2 000 or fewer.
    const firstOpen = Math.ceil(p.target / p.openEvery) * p.openEvery;
    const open = Array.from(
      { length: Math.max(0, Math.ceil((n - firstOpen) / p.openEvery)) },
      (_, k) => firstOpen + k * p.openEvery,
    );
    const nUpd = Math.min(2000, open.length);
    const t1 = performance.now();
    for (let k = 0; k < nUpd; k++) {
      const a = p.makeAlert(open[k]!, true, p.cameras);
      await store.updateAlert({ ...a, hits: a.hits + 1, lastSeenAt: new Date(p.t0 + k).toISOString() }, null);
    }
    const updS = (performance.now() - t1) / 1000;

    const runs = o.quick ? 30 : 200;
    const query = await timeConsoleQueries(store, runs);
    // Baseline: the same SQL and decoding with index scans disabled on one connection.
    const client = await pool.connect();
    let base: { p50Ms: number; p95Ms: number; rows: number };
    const baseRuns = o.quick ? 10 : 30;
    try {
      await client.query(
        'SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off',
      );
      base = await timeRuns(baseRuns, async () => {
        const r = await client.query<{ body: unknown }>(
          `SELECT body FROM "${schema}".alerts WHERE status = $1 ORDER BY first_seen_at DESC LIMIT $2`,
          ['open', 100],
        );
        return r.rows.map((x) => Alert.parse(x.body)).length;
      });
    } finally {
      client.release(true); // the session settings must not return to the pool
    }
    query.push({ name: 'same open query, index scans off (baseline)', runs: baseRuns, ...base });
    await store.close();
    return {
      alerts: n,
      openAlerts: Math.ceil(n / p.openEvery),
      fillS,
      insertsPerS: inserted / insertS,
      updatesPerS: nUpd / Math.max(1e-9, updS),
      query,
      indexSpeedup: base.p95Ms / query[0]!.p95Ms,
    };
  } catch (e) {
    return {
      alerts: 0,
      openAlerts: 0,
      fillS: NaN,
      insertsPerS: NaN,
      updatesPerS: NaN,
      query: [],
      indexSpeedup: NaN,
      skipped: (e as Error).message,
    };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
