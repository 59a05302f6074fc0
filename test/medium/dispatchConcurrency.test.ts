/**
 * 8 writer processes append cases and audit rows to one SQLite file at the same time: nothing is lost, the
 * audit chain stays intact and no SQLITE_BUSY reaches a caller (busy_timeout + BEGIN IMMEDIATE + retry).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../services/dispatch/audit.ts';
import { sqliteDispatchRepository } from '../../services/dispatch/sqliteRepository.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const WRITERS = 8;
const PER_WRITER = 40;
const dir = mkdtempSync(path.join(tmpdir(), 'tw-dispatch-conc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Worker code (plain JS, evaluated by node; the .ts modules load through tsx).
const WORKER = `
const { default: Database } = await import('better-sqlite3');
const { sqliteDispatchRepository } = await import(${JSON.stringify(path.join(REPO, 'services/dispatch/sqliteRepository.ts'))});
const [file, w, n] = process.argv.slice(1);
const db = new Database(file);
const repo = await sqliteDispatchRepository(db);
for (let i = 0; i < Number(n); i++) {
  const id = 'w' + w + '-' + i;
  const at = new Date(Date.UTC(2026, 4, 1) + i * 1000).toISOString();
  const c = { id, state: 'new', version: 1, alertType: 'smoke', priority: 'normal', cameraId: 'cam-' + w, presetId: null,
    alertIds: ['a-' + id], position: null, positionSource: 'none', jurisdictionId: null, zoneId: null, zoneType: null,
    suggestedDepartmentId: null, departmentId: null, disposition: null, createdAt: at, createdBy: 'w' + w, updatedAt: at,
    dispatchedAt: null, acceptedAt: null, onSiteAt: null, resolvedAt: null, verifiedAt: null, closedAt: null, overdue: [],
    escalationLevel: 0 };
  const audit = (action, from, to) => ({ at, actorId: 'w' + w, actorRole: 'duty', action, entityType: 'case', entityId: id,
    caseId: id, fromState: from, toState: to, reason: null, details: { w: Number(w), i }, requestId: null });
  await repo.commit({ insertCases: [c], reviews: [{ alertId: 'a-' + id, kind: 'confirmed', caseId: id, alertType: 'smoke',
    cameraId: c.cameraId, presetId: null, reason: null, note: null, actorId: 'w' + w, at }], audit: [audit('alert.confirm', null, 'new')] });
  await repo.commit({ updateCases: [{ next: { ...c, state: 'dispatched', version: 2, departmentId: 'env', dispatchedAt: at }, expectedVersion: 1 }],
    audit: [audit('case.dispatch', 'new', 'dispatched')] });
}
db.close();
process.stdout.write('done ' + w + '\\n');
`;

function runWriter(
  file: string,
  w: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', WORKER, file, String(w), String(PER_WRITER)],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('dispatch SQLite store under 8 concurrent writer processes', () => {
  it('loses nothing and never surfaces SQLITE_BUSY', async () => {
    const file = path.join(dir, 'towerwatch.sqlite');
    const db = new Database(file);
    const repo = await sqliteDispatchRepository(db); // creates the schema and switches to WAL first
    const results = await Promise.all(Array.from({ length: WRITERS }, (_, w) => runWriter(file, w)));
    for (const r of results) {
      expect(r.stderr).not.toMatch(/SQLITE_BUSY|database is locked/);
      expect(r.code, r.stderr).toBe(0);
    }
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count('SELECT COUNT(*) AS n FROM dispatch_cases')).toBe(WRITERS * PER_WRITER);
    expect(count("SELECT COUNT(*) AS n FROM dispatch_cases WHERE state = 'dispatched' AND version = 2")).toBe(
      WRITERS * PER_WRITER,
    );
    expect(count('SELECT COUNT(*) AS n FROM dispatch_reviews')).toBe(WRITERS * PER_WRITER);
    expect(count('SELECT COUNT(*) AS n FROM dispatch_audit')).toBe(WRITERS * PER_WRITER * 2);
    expect(await verifyAuditChain(repo)).toEqual({ ok: true, rows: WRITERS * PER_WRITER * 2 });
    db.close();
  });
});
