/**
 * Step 4 — alert store: sustained alert inserts (the production `insertAlert`: alert row + event row in one
 * transaction) and the console's list query at a large table, against the same SQL forced to a full scan, on
 * SQLite (WAL, synchronous=NORMAL, a file in the OS temp dir; `NOT INDEXED` baseline) and on PostgreSQL
 * (`alertStorePg.ts`: server-side fill, index scans off as the baseline); then the dispatch case board on both.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Alert } from '../../services/schemas/api.ts';
import { openSqliteStore } from '../../services/store/sqliteStore.ts';
import { benchPgAlertStore, type PgAlertStoreRow } from './alertStorePg.ts';
import { BENCH_PG_URL, benchCaseBoard, type CaseBoardRow } from './caseBoard.ts';
import {
  fmt,
  log,
  table,
  type BenchOptions,
  type StepResult,
  timeRuns,
  timeConsoleQueries,
} from './common.ts';

export interface StoreData {
  alerts: number;
  openAlerts: number;
  insertsPerS: number;
  updatesPerS: number;
  query: { name: string; runs: number; p50Ms: number; p95Ms: number; rows: number }[];
  /** Full-scan p95 / indexed p95 of the open-alerts query. */
  indexSpeedup: number;
  /** The same alert-store measurement on PostgreSQL (`skipped` set when it could not be reached). */
  postgres: PgAlertStoreRow;
  /** Case board on the dispatch repository, SQLite and PostgreSQL. */
  caseBoard: CaseBoardRow[];
}

const T0 = Date.UTC(2025, 0, 1);

function makeAlert(i: number, open: boolean, cameras: number): Alert {
  const at = new Date(T0 + i * 15_000).toISOString();
  return {
    id: `al-${i.toString(36).padStart(6, '0')}`,
    type: i % 2 === 0 ? 'smoke' : 'hotspot',
    status: open ? 'open' : 'closed',
    cameraId: `cam-${i % cameras}`,
    cameraName: `Tower ${i % cameras}`,
    presetId: `p${i % 8}`,
    firstSeenAt: at,
    lastSeenAt: at,
    closedAt: open ? null : new Date(T0 + i * 15_000 + 120_000).toISOString(),
    peakScore: 0.5 + (i % 50) / 100,
    box: { x: (i * 7) % 1800, y: (i * 13) % 1000, w: 24, h: 18 },
    frameWidth: 1920,
    frameHeight: 1080,
    hits: 3 + (i % 5),
    snapshotUrl: `/api/alerts/al-${i}/snapshot.jpg`,
  };
}

export async function benchStore(o: BenchOptions): Promise<StepResult<StoreData>> {
  const target = o.quick ? 5_000 : 1_000_000;
  const insertBudgetMs = o.quick ? 2_000 : 10_000;
  // Quick: fewer cameras so that every per-camera page is full whatever the (load-dependent) insert count.
  const cameras = o.quick ? 20 : 100;
  // One alert in 50 still open (4 000 of 200 000): the console's queue query must find the newest 100 of them.
  const openEvery = 50;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-store-'));
  const file = path.join(dir, 'bench.sqlite');
  const store = openSqliteStore(file);
  let ro: Database.Database | null = null;
  try {
    // Pre-fill in bulk through a second connection (same rows the store writes), one transaction.
    const bulk = new Database(file);
    const insA = bulk.prepare(
      `INSERT INTO alerts (id, type, status, camera_id, preset_id, first_seen_at, last_seen_at, closed_at, peak_score, body)
       VALUES (@id, @type, @status, @cameraId, @presetId, @firstSeenAt, @lastSeenAt, @closedAt, @peakScore, @body)`,
    );
    const insE = bulk.prepare<[string, string, string]>(
      'INSERT INTO events (at, kind, body) VALUES (?, ?, ?)',
    );
    const tf = performance.now();
    bulk.transaction(() => {
      for (let i = 0; i < target; i++) {
        const a = makeAlert(i, i % openEvery === 0, cameras);
        insA.run({ ...a, body: JSON.stringify(a) });
        const kind = a.status === 'open' ? 'alert.opened' : 'alert.closed';
        insE.run(a.firstSeenAt, kind, JSON.stringify({ at: a.firstSeenAt, kind, alert: a }));
      }
    })();
    bulk.close();
    log(o, `store: pre-filled ${target} alerts in ${((performance.now() - tf) / 1000).toFixed(1)} s`);
    // Sustained inserts through the store on the full table, bounded by time.
    const t0 = performance.now();
    let n = target;
    while (performance.now() - t0 < insertBudgetMs) {
      for (const end = n + 100; n < end; n++) {
        const a = makeAlert(n, n % openEvery === 0, cameras);
        await store.insertAlert(a, {
          at: a.firstSeenAt,
          kind: a.status === 'open' ? 'alert.opened' : 'alert.closed',
          alert: a,
        });
      }
    }
    const inserted = n - target;
    const insertS = (performance.now() - t0) / 1000;
    // Updates (an open alert getting a new hit), 2 000 or fewer.
    const nUpd = Math.min(2000, Math.floor(n / openEvery));
    const t1 = performance.now();
    for (let k = 0; k < nUpd; k++) {
      const a = makeAlert(k * openEvery, true, cameras);
      const upd = { ...a, hits: a.hits + 1, lastSeenAt: new Date(T0 + k).toISOString() };
      await store.updateAlert(upd, null);
    }
    const updS = (performance.now() - t1) / 1000;

    const runs = o.quick ? 30 : 200;
    const q = await timeConsoleQueries(store, runs);
    // Baseline: the same SQL and the same row decoding (JSON + zod), the index disabled with NOT INDEXED.
    ro = new Database(file, { readonly: true });
    const scan = ro.prepare<[string, number], { body: string }>(
      'SELECT body FROM alerts NOT INDEXED WHERE status = ? ORDER BY first_seen_at DESC LIMIT ?',
    );
    const baseRuns = o.quick ? 10 : 30;
    const base = await timeRuns(
      baseRuns,
      () => scan.all('open', 100).map((r) => Alert.parse(JSON.parse(r.body))).length,
    );
    q.push({ name: 'same open query, full scan (`NOT INDEXED`, baseline)', runs: baseRuns, ...base });
    const first = q[0]!;
    ro.close();
    ro = null;
    const postgres = await benchPgAlertStore(o, {
      target,
      insertBudgetMs,
      cameras,
      openEvery,
      t0: T0,
      makeAlert,
    });
    const caseBoard = await benchCaseBoard(o);
    const data: StoreData = {
      alerts: n,
      openAlerts: Math.ceil(n / openEvery),
      insertsPerS: inserted / insertS,
      updatesPerS: nUpd / Math.max(1e-9, updS),
      query: q,
      indexSpeedup: base.p95Ms / first.p95Ms,
      postgres,
      caseBoard,
    };
    const md = [
      `Table: **${n.toLocaleString('en')} alerts** (${data.openAlerts.toLocaleString('en')} open, ${cameras} cameras) in a file ` +
        'database in the OS temp dir, pre-filled in bulk (one transaction, same rows as the ' +
        'store writes), then `insertAlert` (alert row + `alert.*` event row, one transaction each, WAL, ' +
        `synchronous=NORMAL) called back-to-back for ${insertBudgetMs / 1000} s on the full table: the sustained rate.`,
      '',
      table(
        ['operation', 'rate'],
        [
          [
            `insertAlert (alert + event, 1 transaction; ${inserted} inserts)`,
            `${fmt(data.insertsPerS, 0)} alerts/s`,
          ],
          [`updateAlert (${nUpd} updates)`, `${fmt(data.updatesPerS, 0)} updates/s`],
        ],
      ),
      '',
      table(
        ['query (rows decoded with JSON.parse + zod)', 'runs', 'rows', 'p50 ms', 'p95 ms'],
        q.map((x) => [x.name, x.runs, x.rows, fmt(x.p50Ms, 2), fmt(x.p95Ms, 2)]),
      ),
      '',
      `Index (status, first_seen_at DESC) vs full scan, p95 of the console queue query: **${fmt(data.indexSpeedup, 0)}×** faster.`,
      '',
      ...(postgres.skipped
        ? [`**PostgreSQL alert store**: skipped (${postgres.skipped}).`]
        : [
            `**PostgreSQL alert store** (\`services/store/pgStore.ts\`, PostgreSQL 15 on 127.0.0.1 ` +
              `(${BENCH_PG_URL.replace(/\/\/[^@]*@/, '//')}), a throw-away schema, default synchronous_commit): ` +
              `**${postgres.alerts.toLocaleString('en')} alerts** (${postgres.openAlerts.toLocaleString('en')} open), ` +
              `pre-filled server-side with \`INSERT … SELECT generate_series\` (same columns and jsonb documents as ` +
              `the store writes, indexes rebuilt after the load by re-opening the store; ${fmt(postgres.fillS, 1)} s with the index rebuild and ANALYZE), then \`insertAlert\` (alert + event, one ` +
              'transaction holding the event advisory lock) awaited back-to-back for the same time budget: the ' +
              'sustained rate of one writer. Updates: `updateAlert` without event on open alerts inserted by the store.',
            '',
            table(
              ['operation', 'rate'],
              [
                [
                  `insertAlert (alert + event, 1 transaction; ${postgres.alerts - target} inserts)`,
                  `${fmt(postgres.insertsPerS, 0)} alerts/s`,
                ],
                [`updateAlert (no event)`, `${fmt(postgres.updatesPerS, 0)} updates/s`],
              ],
            ),
            '',
            table(
              ['query through the store (rows decoded with zod)', 'runs', 'rows', 'p50 ms', 'p95 ms'],
              postgres.query.map((x) => [x.name, x.runs, x.rows, fmt(x.p50Ms, 2), fmt(x.p95Ms, 2)]),
            ),
            '',
            `Index (status, first_seen_at DESC) vs index scans off, p95 of the console queue query: ` +
              `**${fmt(postgres.indexSpeedup, 0)}×** faster.`,
          ]),
      '',
      `**Case board** (dispatch repository, the same \`sqlDispatchRepository\` code on both backends): ` +
        `${caseBoard[0]?.cases.toLocaleString('en') ?? 0} cases (3/8 closed, 1/8 each verified, resolved, dispatched, ` +
        'accepted, new; 12 departments): pre-filled in bulk (same rows), the last 5 000 (quick: 1 000) inserted ' +
        'through `commit({ insertCases })` in batches of 1 000 (one transaction each: the insert rate), then the ' +
        'board queries; rows decoded with JSON.parse + zod. SQLite: ' +
        `file in the OS temp dir, WAL. PostgreSQL 15 on 127.0.0.1 (${BENCH_PG_URL.replace(/\/\/[^@]*@/, '//')}), a ` +
        'throw-away schema.',
      '',
      table(
        ['backend', 'cases', 'insert cases/s', 'query', 'runs', 'rows', 'p50 ms', 'p95 ms'],
        caseBoard.flatMap((c) =>
          c.skipped
            ? [[c.backend, '—', '—', `skipped: ${c.skipped}`, '', '', '', '']]
            : c.query.map((x) => [
                c.backend,
                c.cases.toLocaleString('en'),
                fmt(c.insertCasesPerS, 0),
                x.name,
                x.runs,
                x.rows,
                fmt(x.p50Ms, 2),
                fmt(x.p95Ms, 2),
              ]),
        ),
      ),
    ].join('\n');
    return {
      id: 'store',
      title: '4. Store: alert inserts, console list and case-board queries (SQLite, PostgreSQL)',
      markdown: md,
      data,
    };
  } finally {
    ro?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
