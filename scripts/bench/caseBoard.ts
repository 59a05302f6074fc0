/**
 * Case board on both dispatch repositories (the production `sqlDispatchRepository` over SQLite and over
 * PostgreSQL): the table pre-filled in bulk, the last 5 000 cases inserted through `commit({ insertCases })` in
 * batches of 1 000 (one transaction each; the measured rate), then
 * p50/p95 of the console's case-board queries (`listCases`, as `DispatchService.listCases` calls it) and of the
 * SLA ticker's `listCasesInStates`. (The alert store's PostgreSQL half is `alertStorePg.ts`.)
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pgDispatchRepository } from '../../services/dispatch/pgRepository.ts';
import type { DispatchRepository } from '../../services/dispatch/repository.ts';
import type { Case, CaseState } from '../../services/dispatch/schemas.ts';
import { sqliteDispatchRepository } from '../../services/dispatch/sqliteRepository.ts';
import { log, type BenchOptions, timeRuns } from './common.ts';

/** PostgreSQL for the bench (trust auth on loopback); override with TOWERWATCH_BENCH_PG_URL. */
export const BENCH_PG_URL =
  process.env['TOWERWATCH_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface CaseBoardRow {
  backend: 'SQLite' | 'PostgreSQL';
  cases: number;
  insertCasesPerS: number;
  query: { name: string; runs: number; rows: number; p50Ms: number; p95Ms: number }[];
  /** Set when the backend could not be reached (row skipped, reason shown). */
  skipped?: string;
}

const T0 = Date.UTC(2025, 0, 1);
const STATES: CaseState[] = [
  'closed',
  'closed',
  'closed',
  'verified',
  'resolved',
  'dispatched',
  'accepted',
  'new',
];

function makeCase(i: number): Case {
  const at = new Date(T0 + i * 60_000).toISOString();
  const state = STATES[i % STATES.length]!;
  return {
    id: `case-${i.toString(36).padStart(7, '0')}`,
    state,
    version: 1,
    alertType: i % 2 === 0 ? 'smoke' : 'hotspot',
    priority: i % 10 === 0 ? 'urgent' : 'normal',
    cameraId: `cam-${i % 100}`,
    presetId: null,
    alertIds: [`al-${i}`],
    position: { lat: 34.5 + (i % 100) / 1000, lon: 113.6 + (i % 97) / 1000 },
    positionSource: 'alert',
    jurisdictionId: `street-${i % 12}`,
    zoneId: null,
    zoneType: null,
    suggestedDepartmentId: `dept-${i % 12}`,
    departmentId: state === 'new' ? null : `dept-${i % 12}`,
    disposition: null,
    createdAt: at,
    createdBy: 'bench',
    updatedAt: at,
    dispatchedAt: state === 'new' ? null : at,
    acceptedAt: null,
    onSiteAt: null,
    resolvedAt: null,
    verifiedAt: null,
    closedAt: state === 'closed' ? at : null,
    overdue: [],
    escalationLevel: 0,
  };
}

/** Row values in the repository's column order (id, state, version, department_id, alert_type, camera_id, created_at, updated_at, body). */
const rowOf = (c: Case): [string, string, number, string | null, string, string, string, string, string] => [
  c.id,
  c.state,
  c.version,
  c.departmentId,
  c.alertType,
  c.cameraId,
  c.createdAt,
  c.updatedAt,
  JSON.stringify(c),
];

/**
 * Pre-fills `n − viaRepo` cases in bulk (same rows as the repository writes), then inserts the last `viaRepo`
 * through `repo.commit` (the measured rate, on the full table).
 */
async function measure(
  backend: CaseBoardRow['backend'],
  repo: DispatchRepository,
  bulk: (rows: ReturnType<typeof rowOf>[]) => Promise<void>,
  n: number,
  viaRepo: number,
  runs: number,
): Promise<CaseBoardRow> {
  for (let i = 0; i < n - viaRepo; i += 5000)
    await bulk(Array.from({ length: Math.min(5000, n - viaRepo - i) }, (_, k) => rowOf(makeCase(i + k))));
  const t = performance.now();
  for (let i = n - viaRepo; i < n; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - i) }, (_, k) => makeCase(i + k));
    await repo.commit({ insertCases: batch });
  }
  const insertCasesPerS = viaRepo / ((performance.now() - t) / 1000);
  const queries: [string, () => Promise<number>][] = [
    [
      'listCases({limit:100}) (board, newest first)',
      async () => (await repo.listCases({ limit: 100 })).length,
    ],
    [
      "listCases({state:'dispatched', limit:100})",
      async () => (await repo.listCases({ state: 'dispatched', limit: 100 })).length,
    ],
    [
      "listCases({departmentId:'dept-3', limit:100}) (department view)",
      async () => (await repo.listCases({ departmentId: 'dept-3', limit: 100 })).length,
    ],
    [
      "listCasesInStates(['dispatched','accepted']) (SLA ticker)",
      async () => (await repo.listCasesInStates(['dispatched', 'accepted'])).length,
    ],
  ];
  const query = [];
  for (const [name, fn] of queries) {
    await fn(); // warm
    // The SLA ticker query returns a quarter of the table: fewer runs.
    query.push({
      name,
      runs: name.includes('InStates') ? Math.max(3, runs / 10) : runs,
      ...(await timeRuns(name.includes('InStates') ? Math.max(3, runs / 10) : runs, fn)),
    });
  }
  return { backend, cases: n, insertCasesPerS, query };
}

/** Runs the case-board measurement on SQLite (temp file) and PostgreSQL (a throw-away schema). */
export async function benchCaseBoard(o: BenchOptions): Promise<CaseBoardRow[]> {
  const n = o.quick ? 2_000 : 100_000;
  const runs = o.quick ? 20 : 100;
  // Inserted through the repository (timed) after the bulk pre-fill: PostgreSQL does ~500 single-row
  // inserts/s here, so 100 k through the repository would take minutes.
  const viaRepo = o.quick ? 1_000 : 5_000;
  const out: CaseBoardRow[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-caseboard-'));
  const db = new Database(path.join(dir, 'dispatch.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    const repo = await sqliteDispatchRepository(db);
    const ins = db.prepare(
      'INSERT INTO dispatch_cases (id, state, version, department_id, alert_type, camera_id, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const fill = db.transaction((rows: ReturnType<typeof rowOf>[]) => {
      for (const r of rows) ins.run(...r);
    });
    out.push(await measure('SQLite', repo, (rows) => Promise.resolve(fill(rows)), n, viaRepo, runs));
    log(o, `  case board SQLite: ${out.at(-1)!.insertCasesPerS.toFixed(0)} cases/s`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const pool = new pg.Pool({ connectionString: BENCH_PG_URL, max: 4 });
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  try {
    const repo = await pgDispatchRepository(pool, { schema });
    const bulk = async (rows: ReturnType<typeof rowOf>[]) => {
      const cols = Array.from({ length: 9 }, (_, c) => rows.map((r) => r[c]));
      await pool.query(
        `INSERT INTO "${schema}".dispatch_cases (id, state, version, department_id, alert_type, camera_id, created_at, updated_at, body)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
        cols,
      );
    };
    out.push(await measure('PostgreSQL', repo, bulk, n, viaRepo, runs));
    log(o, `  case board PostgreSQL: ${out.at(-1)!.insertCasesPerS.toFixed(0)} cases/s`);
  } catch (e) {
    out.push({
      backend: 'PostgreSQL',
      cases: 0,
      insertCasesPerS: NaN,
      query: [],
      skipped: (e as Error).message,
    });
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
  return out;
}
