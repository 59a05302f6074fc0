/**
 * One repository suite, run against SQLite (file, WAL) and PostgreSQL (a fresh schema per run, dropped after).
 * Needs PostgreSQL on 127.0.0.1:5432 with trust auth (database `test`); override with TOWERWATCH_TEST_PG_URL.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain, type AuditInput } from '../../services/dispatch/audit.ts';
import {
  AlreadyReviewedError,
  ConfigVersionConflictError,
  LastAdminError,
  UsernameTakenError,
  VersionConflictError,
} from '../../services/dispatch/errors.ts';
import { pgDispatchRepository } from '../../services/dispatch/pgRepository.ts';
import type { AlertReview, DispatchRepository, StoredUser } from '../../services/dispatch/repository.ts';
import type { Case } from '../../services/dispatch/schemas.ts';
import { sqliteDispatchRepository } from '../../services/dispatch/sqliteRepository.ts';

const PG_URL = process.env['TOWERWATCH_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const mkCase = (id: string, over: Partial<Case> = {}): Case => ({
  id,
  state: 'new',
  version: 1,
  alertType: 'smoke',
  priority: 'normal',
  cameraId: 'cam-1',
  presetId: null,
  alertIds: [`alert-${id}`],
  position: { lat: 34.25, lon: 108.95 },
  positionSource: 'bearing_ray',
  jurisdictionId: 'j1',
  zoneId: null,
  zoneType: null,
  suggestedDepartmentId: 'env',
  departmentId: null,
  disposition: null,
  createdAt: '2026-05-01T08:00:00.000Z',
  createdBy: 'u1',
  updatedAt: '2026-05-01T08:00:00.000Z',
  dispatchedAt: null,
  acceptedAt: null,
  onSiteAt: null,
  resolvedAt: null,
  verifiedAt: null,
  closedAt: null,
  overdue: [],
  escalationLevel: 0,
  ...over,
});
const audit = (caseId: string, action: string, over: Partial<AuditInput> = {}): AuditInput => ({
  at: '2026-05-01T08:00:00.000Z',
  actorId: 'u1',
  actorRole: 'duty',
  action,
  entityType: 'case',
  entityId: caseId,
  caseId,
  fromState: null,
  toState: 'new',
  reason: null,
  details: { note: '中文 ok', n: 1 },
  requestId: 'req-1',
  ...over,
});
const review = (
  alertId: string,
  kind: AlertReview['kind'],
  over: Partial<AlertReview> = {},
): AlertReview => ({
  alertId,
  kind,
  caseId: null,
  alertType: 'smoke',
  cameraId: 'cam-1',
  presetId: 'p1',
  reason: kind === 'dismissed' ? 'steam' : null,
  note: null,
  actorId: 'u1',
  at: '2026-05-01T08:00:00.000Z',
  ...over,
});

/** The shared repository suite. */
export function runRepositorySuite(
  name: string,
  makeRepo: () => Promise<{ repo: DispatchRepository; done: () => Promise<void> }>,
) {
  describe(`DispatchRepository: ${name}`, () => {
    let repo: DispatchRepository;
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ repo, done } = await makeRepo());
    });
    afterAll(async () => {
      await done();
    });

    it('inserts a case with its review and audit in one commit, and reads it back', async () => {
      const c = mkCase('c1');
      const { audit: rows } = await repo.commit({
        insertCases: [c],
        reviews: [review('alert-c1', 'confirmed', { caseId: 'c1' })],
        audit: [audit('c1', 'alert.confirm')],
      });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: 1, action: 'alert.confirm' });
      expect(await repo.getCase('c1')).toEqual(c);
      expect(await repo.getReview('alert-c1')).toMatchObject({ kind: 'confirmed', caseId: 'c1' });
      expect(await repo.caseAudit('c1')).toEqual(rows);
    });

    it('updates with compare-and-set; a stale version is a conflict and nothing is written', async () => {
      const c = (await repo.getCase('c1'))!;
      const next = { ...c, state: 'dispatched' as const, version: 2, departmentId: 'env' };
      await repo.commit({
        updateCases: [{ next, expectedVersion: 1 }],
        audit: [audit('c1', 'case.dispatch')],
      });
      const stale = { ...c, state: 'cancelled' as const, version: 2 };
      const err = await repo
        .commit({ updateCases: [{ next: stale, expectedVersion: 1 }], audit: [audit('c1', 'case.cancel')] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VersionConflictError);
      expect(err).toMatchObject({ status: 409, actualVersion: 2 });
      expect(await repo.getCase('c1')).toMatchObject({ state: 'dispatched', version: 2 });
      expect((await repo.caseAudit('c1')).map((a) => a.action)).toEqual(['alert.confirm', 'case.dispatch']);
    });

    it('allows one review per alert (rolls back the whole change set)', async () => {
      const err = await repo
        .commit({
          insertCases: [mkCase('c-dup')],
          reviews: [review('alert-c1', 'merged', { caseId: 'c-dup' })],
          audit: [audit('c-dup', 'x')],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlreadyReviewedError);
      expect(await repo.getCase('c-dup')).toBeNull();
      expect(await repo.caseAudit('c-dup')).toEqual([]);
    });

    it('lists and filters cases, reviews and feedback', async () => {
      await repo.commit({
        insertCases: [
          mkCase('c2', {
            createdAt: '2026-05-02T08:00:00.000Z',
            state: 'dispatched',
            departmentId: 'chengguan',
            version: 1,
          }),
          mkCase('c3', { createdAt: '2026-05-03T08:00:00.000Z', cameraId: 'cam-2' }),
        ],
        reviews: [
          review('d1', 'dismissed'),
          review('d2', 'dismissed', { cameraId: 'cam-2', at: '2026-05-04T00:00:00.000Z' }),
        ],
        feedback: [
          {
            id: 'f1',
            caseId: 'c2',
            at: '2026-05-02T09:00:00.000Z',
            actorId: 'u2',
            actorRole: 'office',
            note: 'n',
            disposition: null,
            photos: [],
          },
        ],
        audit: [audit('c2', 'alert.confirm'), audit('c3', 'alert.confirm')],
      });
      expect((await repo.listCases({ limit: 10 })).map((c) => c.id)).toEqual(['c3', 'c2', 'c1']);
      expect((await repo.listCases({ limit: 10, state: 'dispatched' })).map((c) => c.id)).toEqual([
        'c2',
        'c1',
      ]);
      expect((await repo.listCases({ limit: 10, departmentId: 'env' })).map((c) => c.id)).toEqual(['c1']);
      expect((await repo.listCases({ limit: 1 })).map((c) => c.id)).toEqual(['c3']);
      expect((await repo.listCasesInStates(['new'])).map((c) => c.id)).toEqual(['c3']);
      expect(
        (await repo.casesCreatedBetween('2026-05-02T00:00:00.000Z', '2026-05-03T08:00:00.000Z')).map(
          (c) => c.id,
        ),
      ).toEqual(['c2']);
      expect((await repo.listReviews({ kind: 'dismissed' })).map((r) => r.alertId)).toEqual(['d1', 'd2']);
      expect(
        (await repo.listReviews({ kind: 'dismissed', cameraId: 'cam-2' })).map((r) => r.alertId),
      ).toEqual(['d2']);
      expect(
        (await repo.listReviews({ kind: 'dismissed', to: '2026-05-03T00:00:00.000Z' })).map((r) => r.alertId),
      ).toEqual(['d1']);
      expect(await repo.listFeedback('c2')).toHaveLength(1);
    });

    it('chains audit rows across commits and serialises concurrent writers', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          repo.commit({
            insertCases: [mkCase(`cc${i}`)],
            audit: [audit(`cc${i}`, 'alert.confirm'), audit(`cc${i}`, 'case.note')],
          }),
        ),
      );
      const v = await verifyAuditChain(repo);
      expect(v).toMatchObject({ ok: true });
      const all = await repo.auditAfter(0, 1000);
      expect(all.map((a) => a.id)).toEqual(all.map((_, i) => i + 1));
      expect(all[all.length - 1]!.details).toEqual({ note: '中文 ok', n: 1 });
    });

    it('stores users and sessions (revoked, never deleted)', async () => {
      const u = {
        id: 'u1',
        username: 'duty1',
        displayName: '值班',
        role: 'duty' as const,
        departmentId: null,
        passwordHash: '$argon2id$x',
        disabled: false,
        createdAt: 't',
      };
      expect(await repo.insertUserIfAbsent(u)).toBe(true);
      expect(await repo.insertUserIfAbsent({ ...u, id: 'u1b' })).toBe(false);
      expect(await repo.getUserByUsername('duty1')).toEqual(u);
      expect(await repo.getUser('u1')).toEqual(u);
      await repo.createSession({
        tokenHash: 'h',
        userId: 'u1',
        csrfToken: 'c',
        createdAt: 't',
        expiresAt: 't2',
        revokedAt: null,
      });
      expect(await repo.getSession('h')).toMatchObject({ userId: 'u1', revokedAt: null });
      await repo.revokeSession('h', 't3');
      expect(await repo.getSession('h')).toMatchObject({ revokedAt: 't3' });
    });

    it('counts cases and reviews per day bucket and review outcomes per camera in SQL', async () => {
      // July 2026, away from the other tests' rows. Bounds: local days of UTC+8.
      const bounds = ['2026-07-01T16:00:00.000Z', '2026-07-02T16:00:00.000Z', '2026-07-03T16:00:00.000Z'];
      await repo.commit({
        insertCases: [
          mkCase('d1', { createdAt: '2026-07-01T16:00:00.000Z', departmentId: 'env', alertIds: ['ad1'] }),
          mkCase('d2', { createdAt: '2026-07-02T15:59:59.999Z', departmentId: 'env', alertIds: ['ad2'] }),
          mkCase('d3', { createdAt: '2026-07-02T16:00:00.000Z', alertType: 'hotspot', alertIds: ['ad3'] }),
          mkCase('d4', { createdAt: '2026-07-03T16:00:00.000Z', alertIds: ['ad4'] }), // after the window
        ],
        reviews: [
          review('ad1', 'confirmed', { at: '2026-07-01T16:00:00.000Z', cameraId: 'cam-d' }),
          review('ad2', 'dismissed', { at: '2026-07-01T17:00:00.000Z', cameraId: 'cam-d' }),
          review('ad3', 'dismissed', { at: '2026-07-02T17:00:00.000Z', cameraId: 'cam-d', reason: 'fog' }),
          review('ad5', 'merged', { at: '2026-07-02T18:00:00.000Z', cameraId: 'cam-e' }),
          review('ad6', 'dismissed', { at: '2026-07-01T15:00:00.000Z', cameraId: 'cam-d' }), // before
        ],
      });
      expect(await repo.countCasesByDay(bounds)).toEqual([
        { day: 0, alertType: 'smoke', departmentId: 'env', count: 2 },
        { day: 1, alertType: 'hotspot', departmentId: null, count: 1 },
      ]);
      expect(await repo.countReviewsByDay(bounds)).toEqual([
        { day: 0, alertType: 'smoke', kind: 'confirmed', count: 1 },
        { day: 0, alertType: 'smoke', kind: 'dismissed', count: 1 },
        { day: 1, alertType: 'smoke', kind: 'dismissed', count: 1 },
        { day: 1, alertType: 'smoke', kind: 'merged', count: 1 },
      ]);
      const outcomes = await repo.countReviewOutcomes(bounds[0]!, bounds[2]!);
      expect(outcomes).toEqual(
        expect.arrayContaining([
          { cameraId: 'cam-d', kind: 'confirmed', reason: null, count: 1 },
          { cameraId: 'cam-d', kind: 'dismissed', reason: 'steam', count: 1 },
          { cameraId: 'cam-d', kind: 'dismissed', reason: 'fog', count: 1 },
          { cameraId: 'cam-e', kind: 'merged', reason: null, count: 1 },
        ]),
      );
      expect(outcomes).toHaveLength(4);
      await expect(repo.countCasesByDay(['2026-07-01T16:00:00.000Z'])).rejects.toThrow(RangeError);
    });

    it('keeps an outbox', async () => {
      await repo.commit({
        outbox: [
          {
            id: 'o1',
            channel: 'webhook',
            topic: 'case.created',
            body: '{}',
            createdAt: 't1',
            attempts: 0,
            nextAttemptAt: '2026-05-01T08:00:00.000Z',
            deliveredAt: null,
            lastError: null,
          },
        ],
      });
      expect((await repo.dueOutbox('2026-05-01T07:59:59.000Z', 10)).length).toBe(0);
      expect((await repo.dueOutbox('2026-05-01T08:00:00.000Z', 10)).map((o) => o.id)).toEqual(['o1']);
      await repo.markOutboxFailed('o1', 1, '2026-05-01T08:01:00.000Z', 'HTTP 500');
      expect(await repo.dueOutbox('2026-05-01T08:00:30.000Z', 10)).toEqual([]);
      await repo.markOutboxDelivered('o1', '2026-05-01T08:01:00.000Z');
      expect(await repo.dueOutbox('2027-01-01T00:00:00.000Z', 10)).toEqual([]);
    });

    it('stores configuration documents with compare-and-set, together with their audit row', async () => {
      expect(await repo.listConfigDocs()).toEqual([]);
      const at = '2026-05-01T09:00:00.000Z';
      const cfgAudit = (action: string): AuditInput =>
        audit('x', action, { caseId: null, entityType: 'config', entityId: 'departments', toState: null });
      const seeded = { departments: [{ id: 'env', name: '环境局', kind: 'bureau' }] };
      await repo.commit({
        configDocs: [{ key: 'departments', body: seeded, expectedVersion: 0, at }],
        audit: [cfgAudit('config.seed')],
      });
      // A second seed (another process) conflicts instead of overwriting.
      const again = await repo
        .commit({ configDocs: [{ key: 'departments', body: {}, expectedVersion: 0, at }] })
        .catch((e: unknown) => e);
      expect(again).toBeInstanceOf(ConfigVersionConflictError);
      expect(again).toMatchObject({ status: 409, details: { expectedVersion: 0, actualVersion: 1 } });
      const edited = {
        departments: [...seeded.departments, { id: 'so-x', name: '新街道', kind: 'street_office' }],
      };
      const { audit: rows } = await repo.commit({
        configDocs: [{ key: 'departments', body: edited, expectedVersion: 1, at }],
        audit: [cfgAudit('config.department.create')],
      });
      expect(rows[0]).toMatchObject({ entityType: 'config', action: 'config.department.create' });
      // Stale writer: nothing written, no audit row.
      const auditBefore = (await repo.auditAfter(0, 10_000)).length;
      const stale = await repo
        .commit({
          configDocs: [{ key: 'departments', body: seeded, expectedVersion: 1, at }],
          audit: [cfgAudit('config.department.delete')],
        })
        .catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConfigVersionConflictError);
      expect((await repo.auditAfter(0, 10_000)).length).toBe(auditBefore);
      expect(await repo.listConfigDocs()).toEqual([
        { key: 'departments', version: 2, body: edited, updatedAt: at },
      ]);
    });

    it('creates and updates users; usernames are unique; one enabled admin must remain', async () => {
      const user = (id: string, over: Partial<StoredUser> = {}): StoredUser => ({
        id,
        username: id,
        displayName: `User ${id}`,
        role: 'admin',
        departmentId: null,
        passwordHash: '$argon2id$fake',
        disabled: false,
        createdAt: '2026-05-01T08:00:00.000Z',
        ...over,
      });
      await repo.commit({ insertUsers: [user('zz-admin-a'), user('zz-admin-b')] });
      const taken = await repo
        .commit({ insertUsers: [user('zz-other', { username: 'zz-admin-a' })] })
        .catch((e: unknown) => e);
      expect(taken).toBeInstanceOf(UsernameTakenError);
      expect(await repo.getUser('zz-other')).toBeNull();

      await repo.commit({
        updateUsers: [user('zz-admin-b', { role: 'office', departmentId: 'env', displayName: 'B' })],
        requireEnabledAdmin: true,
      });
      expect(await repo.getUser('zz-admin-b')).toMatchObject({
        role: 'office',
        departmentId: 'env',
        displayName: 'B',
      });
      const admins = (await repo.listUsers()).filter((u) => u.role === 'admin' && !u.disabled);
      // Disable every remaining admin at once: refused, nothing written.
      const last = await repo
        .commit({
          updateUsers: admins.map((u) => ({ ...u, disabled: true })),
          requireEnabledAdmin: true,
          audit: [audit('x', 'user.disable', { caseId: null, entityType: 'user', entityId: 'zz-admin-a' })],
        })
        .catch((e: unknown) => e);
      expect(last).toBeInstanceOf(LastAdminError);
      expect(await repo.getUser('zz-admin-a')).toMatchObject({ disabled: false });
      // Revoking a user's sessions (password reset) leaves other users' sessions alone.
      const session = (tokenHash: string, userId: string) => ({
        tokenHash,
        userId,
        csrfToken: 'c',
        createdAt: '2026-05-01T08:00:00.000Z',
        expiresAt: '2026-05-01T20:00:00.000Z',
        revokedAt: null,
      });
      await repo.createSession(session('zz-s1', 'zz-admin-a'));
      await repo.createSession(session('zz-s2', 'zz-admin-a'));
      await repo.createSession(session('zz-s3', 'zz-admin-b'));
      await repo.commit({
        revokeSessionsOf: [{ userId: 'zz-admin-a', at: '2026-05-01T09:30:00.000Z' }],
        audit: [
          audit('x', 'user.password_reset', {
            caseId: null,
            entityType: 'user',
            entityId: 'zz-admin-a',
            at: '2026-05-01T09:30:00.000Z',
          }),
        ],
      });
      expect((await repo.getSession('zz-s1'))?.revokedAt).toBe('2026-05-01T09:30:00.000Z');
      expect((await repo.getSession('zz-s2'))?.revokedAt).toBe('2026-05-01T09:30:00.000Z');
      expect((await repo.getSession('zz-s3'))?.revokedAt).toBeNull();
      const names = (await repo.listUsers()).map((u) => u.username);
      expect(names).toEqual(expect.arrayContaining(['zz-admin-a', 'zz-admin-b']));
    });
  });
}

runRepositorySuite('sqlite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-dispatch-repo-'));
  const db = new Database(path.join(dir, 'towerwatch.sqlite'));
  db.pragma('user_version = 7'); // the alert store's migrations: must stay untouched
  const repo = await sqliteDispatchRepository(db);
  expect(db.pragma('user_version', { simple: true })).toBe(7);
  await sqliteDispatchRepository(db); // re-opening is a no-op migration
  return {
    repo,
    done: async () => {
      await repo.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runRepositorySuite('postgres', async () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 5 });
  const schema = `tw_test_${Math.random().toString(36).slice(2, 10)}`;
  const repo = await pgDispatchRepository(pool, { schema });
  await pgDispatchRepository(pool, { schema });
  return {
    repo,
    done: async () => {
      await repo.close();
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
});
