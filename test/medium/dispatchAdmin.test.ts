/**
 * Admin API of the dispatch configuration and users (in-process express app + real SQLite file): role checks
 * (401/403), 400 with field paths, 409 conflicts (references in use, stale versions, last admin, taken
 * usernames), live routing changes without restart, audit rows with before/after, and persistence in the
 * database (a second process reloads; a restart seeds nothing and keeps the edits).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment,
   @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   response bodies are untyped JSON here; their shapes are what these tests assert. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../services/dispatch/audit.ts';
import {
  makeAlert,
  startTestDispatchApp,
  TestClient,
  type TestDispatchApp,
} from '../../services/dispatch/testSupport.ts';

let app: TestDispatchApp;
let dir: string;
const dbFile = () => path.join(dir, 'towerwatch.sqlite');

/** A square polygon (GeoJSON, [lon, lat]) from south-west to north-east. */
const square = (lon0: number, lat0: number, lon1: number, lat1: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lon0, lat0],
      [lon1, lat0],
      [lon1, lat1],
      [lon0, lat1],
      [lon0, lat0],
    ],
  ],
});
/** About 200–500 m north-east of tower-01 (34.2651 N, 108.9532 E), on its 45° bearing ray. */
const NEAR_TOWER_1 = square(108.9545, 34.266, 108.9575, 34.269);

const paths = (body: any): string[] =>
  (body.error.details as { path: unknown[] }[]).map((i) => i.path.join('.'));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tw-dispatch-admin-'));
  app = await startTestDispatchApp({ dbFile: dbFile(), dataDir: dir });
  await app.dispatch.admin.seed();
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dispatch admin API', () => {
  it('is for admins only: 401 without a session, 403 for duty and office users', async () => {
    const anon = new TestClient(app.base);
    expect((await anon.req('GET', '/api/admin/dispatch-config')).status).toBe(401);
    for (const username of ['duty1', 'sup1', 'env1']) {
      const c = new TestClient(app.base);
      expect(await c.login(username)).toBe(200);
      expect((await c.req('GET', '/api/admin/dispatch-config')).status).toBe(403);
      expect((await c.req('GET', '/api/admin/users')).status).toBe(403);
      const post = await c.req('POST', '/api/admin/departments', { id: 'x', name: 'X', kind: 'bureau' });
      expect(post.status).toBe(403);
      expect(post.body.error.code).toBe('forbidden');
      expect(
        (await c.req('POST', '/api/admin/route-test', { lat: 34.27, lon: 108.96, alertType: 'dust' })).status,
      ).toBe(403);
    }
    const admin = new TestClient(app.base);
    await admin.login('admin');
    const noCsrf = await admin.req(
      'POST',
      '/api/admin/departments',
      { id: 'x', name: 'X', kind: 'bureau' },
      {
        'x-csrf-token': 'wrong',
      },
    );
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error.code).toBe('csrf');
  });

  it('answers 400 with field paths for bad bodies and broken references', async () => {
    const admin = new TestClient(app.base);
    await admin.login('admin');
    const bad = await admin.req('POST', '/api/admin/departments', {
      id: 'Bad Id',
      name: '',
      kind: 'ministry',
    });
    expect(bad.status).toBe(400);
    expect(paths(bad.body).sort()).toEqual(['id', 'kind', 'name']);

    const cfg = (await admin.req('GET', '/api/admin/dispatch-config')).body;
    const rules = [
      ...cfg.rules.rules,
      { alertType: 'dust', zoneId: 'no-such-zone', departmentId: 'no-such-dept' },
    ];
    const ref = await admin.req('PUT', '/api/admin/rules', {
      rules,
      fallbackToJurisdiction: true,
      expectedVersion: cfg.versions.rules,
    });
    expect(ref.status).toBe(400);
    expect(ref.body.error.code).toBe('invalid_reference');
    const i = rules.length - 1;
    expect(paths(ref.body)).toEqual([`rules.${i}.departmentId`, `rules.${i}.zoneId`]);

    const sla = await admin.req('PUT', '/api/admin/sla', {
      policies: [{ acceptMin: 30, arriveMin: 20, resolveMin: 10, escalateAfterMin: 5 }],
      expectedVersion: cfg.versions.sla,
    });
    expect(sla.status).toBe(400);
    expect(paths(sla.body)).toEqual(['policies.0.resolveMin']);

    const user = await admin.req('POST', '/api/admin/users', {
      username: 'x1',
      displayName: 'X',
      role: 'office',
      password: 'short',
    });
    expect(user.status).toBe(400);
    expect(paths(user.body).sort()).toEqual(['departmentId', 'password']);

    const zone = await admin.req('POST', '/api/admin/zones', {
      id: 'zone-open',
      name: 'open ring',
      zoneType: 'farmland',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [108.9, 34.2],
            [108.91, 34.2],
            [108.91, 34.21],
            [108.9, 34.21],
          ],
        ],
      },
    });
    expect(zone.status).toBe(400);
    expect(paths(zone.body)).toEqual(['geometry.coordinates.0']);
    // Nothing was stored by any of these.
    expect((await admin.req('GET', '/api/admin/dispatch-config')).body.versions).toEqual(cfg.versions);
  });

  it('a new street office, its user, a zone and a rule: routing changes live, the user can log in', async () => {
    const admin = new TestClient(app.base);
    await admin.login('admin');
    const created = await admin.req('POST', '/api/admin/departments', {
      id: 'so-xinhe',
      name: '新河街道办事处',
      kind: 'street_office',
    });
    expect(created.status).toBe(201);
    expect(created.body.departments.map((d: any) => d.id)).toContain('so-xinhe');
    // The dispatch dialog's department list is the live one.
    const duty = new TestClient(app.base);
    await duty.login('duty1');
    expect((await duty.req('GET', '/api/departments')).body.departments.map((d: any) => d.id)).toContain(
      'so-xinhe',
    );
    expect(
      (await admin.req('POST', '/api/admin/departments', { id: 'so-xinhe', name: 'dup', kind: 'bureau' }))
        .status,
    ).toBe(400);

    const u = await admin.req('POST', '/api/admin/users', {
      username: 'xinhe1',
      displayName: '新河街道 钱进',
      role: 'office',
      departmentId: 'so-xinhe',
      password: 'xinhe-Pa55word',
    });
    expect(u.status).toBe(201);
    expect(u.body.user).toMatchObject({
      username: 'xinhe1',
      role: 'office',
      departmentId: 'so-xinhe',
      disabled: false,
    });
    expect(JSON.stringify(u.body)).not.toMatch(/argon2|passwordHash/);
    const taken = await admin.req('POST', '/api/admin/users', {
      username: 'xinhe1',
      displayName: 'again',
      role: 'duty',
      password: 'another-Pa55word',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('username_taken');

    const zone = await admin.req('POST', '/api/admin/zones', {
      id: 'zone-xinhe-yard',
      name: '新河料场',
      zoneType: 'stockpile_yard',
      geometry: NEAR_TOWER_1,
    });
    expect(zone.status).toBe(201);

    // Before the rule: dust in a stockpile yard goes to 城管局 (zone-type rule).
    const probe = { lat: 34.2675, lon: 108.956, alertType: 'dust' };
    const before = await admin.req('POST', '/api/admin/route-test', probe);
    expect(before.body).toMatchObject({
      zoneId: 'zone-xinhe-yard',
      zoneType: 'stockpile_yard',
      departmentId: 'chengguan',
    });

    const cfg = (await admin.req('GET', '/api/admin/dispatch-config')).body;
    const rules = [
      ...cfg.rules.rules,
      {
        alertType: 'dust',
        zoneId: 'zone-xinhe-yard',
        departmentId: 'so-xinhe',
        note: '新河料场扬尘 → 新河街道',
      },
    ];
    const put = await admin.req('PUT', '/api/admin/rules', {
      rules,
      fallbackToJurisdiction: true,
      expectedVersion: cfg.versions.rules,
    });
    expect(put.status).toBe(200);
    expect(put.body.versions.rules).toBe(cfg.versions.rules + 1);
    const stale = await admin.req('PUT', '/api/admin/rules', {
      rules: cfg.rules.rules,
      fallbackToJurisdiction: true,
      expectedVersion: cfg.versions.rules,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');

    const after = await admin.req('POST', '/api/admin/route-test', probe);
    expect(after.body).toMatchObject({ departmentId: 'so-xinhe', matchedBy: rules.length - 1 });
    expect(after.body.rule).toMatchObject({ zoneId: 'zone-xinhe-yard' });
    // Smoke there still follows the other rules.
    expect(
      (await admin.req('POST', '/api/admin/route-test', { ...probe, alertType: 'smoke' })).body.departmentId,
    ).not.toBe('so-xinhe');

    // A real confirmation uses the new rule at once: tower-01's bearing ray crosses the new yard first.
    app.alerts.set('a-dust', makeAlert('a-dust', { type: 'dust' }));
    const confirmed = await duty.req('POST', '/api/alerts/a-dust/confirm', {});
    expect(confirmed.status).toBe(201);
    expect(confirmed.body.case).toMatchObject({
      zoneId: 'zone-xinhe-yard',
      suggestedDepartmentId: 'so-xinhe',
    });

    // SLA edits apply live too: the dispatched case's accept deadline follows the new policy.
    const caseId = confirmed.body.case.id as string;
    const dispatched = await duty.req('POST', `/api/cases/${caseId}/transitions`, {
      action: 'dispatch',
      departmentId: 'so-xinhe',
      expectedVersion: 1,
    });
    expect(dispatched.status).toBe(200);
    const acceptAt = async () => {
      const d = (await duty.req('GET', `/api/cases/${caseId}`)).body;
      return (Date.parse(d.deadlines.accept) - Date.parse(d.case.dispatchedAt)) / 60_000;
    };
    expect(await acceptAt()).toBe(30); // sla.yaml default policy (normal priority)
    const cfg2 = (await admin.req('GET', '/api/admin/dispatch-config')).body;
    const sla = await admin.req('PUT', '/api/admin/sla', {
      policies: [
        ...cfg2.sla,
        {
          alertType: 'dust',
          priority: 'normal',
          acceptMin: 7,
          arriveMin: 20,
          resolveMin: 60,
          escalateAfterMin: 10,
        },
      ],
      expectedVersion: cfg2.versions.sla,
    });
    expect(sla.status).toBe(200);
    expect(await acceptAt()).toBe(7);

    const office = new TestClient(app.base);
    expect(await office.login('xinhe1', 'xinhe-Pa55word')).toBe(200);
    expect((await office.req('GET', '/api/auth/me')).body.user).toMatchObject({ departmentId: 'so-xinhe' });
  });

  it('refuses to delete what is still in use (409 listing the users and rules)', async () => {
    const admin = new TestClient(app.base);
    await admin.login('admin');
    const dept = await admin.req('DELETE', '/api/admin/departments/so-xinhe');
    expect(dept.status).toBe(409);
    expect(dept.body.error.code).toBe('in_use');
    const usedBy = dept.body.error.details.usedBy as { kind: string; name?: string }[];
    expect(usedBy.filter((x) => x.kind === 'user').map((x) => x.name)).toEqual(['xinhe1']);
    expect(usedBy.some((x) => x.kind === 'rule')).toBe(true);
    expect(usedBy.some((x) => x.kind === 'case')).toBe(true); // the dust case dispatched to it is open
    expect(dept.body.error.message).toContain('xinhe1');

    const zone = await admin.req('DELETE', '/api/admin/zones/zone-xinhe-yard');
    expect(zone.status).toBe(409);
    expect(zone.body.error.details.usedBy).toEqual([
      { kind: 'rule', id: expect.any(String), name: '新河料场扬尘 → 新河街道' },
    ]);
    const jd = await admin.req('DELETE', '/api/admin/jurisdictions/jd-hedong');
    expect(jd.status).toBe(409);

    // An unused department can go.
    await admin.req('POST', '/api/admin/departments', { id: 'tmp-dept', name: '临时', kind: 'bureau' });
    const del = await admin.req('DELETE', '/api/admin/departments/tmp-dept');
    expect(del.status).toBe(200);
    expect(del.body.departments.map((d: any) => d.id)).not.toContain('tmp-dept');
    expect((await admin.req('DELETE', '/api/admin/departments/tmp-dept')).status).toBe(404);
  });

  it('manages users: list without hashes, disable, reset password, keep the last admin', async () => {
    const admin = new TestClient(app.base);
    await admin.login('admin');
    const list = await admin.req('GET', '/api/admin/users');
    expect(list.status).toBe(200);
    expect(list.text).not.toMatch(/argon2|passwordHash|password_hash/);
    const byName = (n: string) => (list.body.users as any[]).find((x) => x.username === n);
    const me = byName('admin');
    const hexi = byName('hexi1');

    const last = await admin.req('PATCH', `/api/admin/users/${me.id}`, { disabled: true });
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('last_admin');
    expect((await admin.req('PATCH', `/api/admin/users/${me.id}`, { role: 'duty' })).body.error.code).toBe(
      'last_admin',
    );

    const wrong = await admin.req('PATCH', `/api/admin/users/${hexi.id}`, { departmentId: 'nope' });
    expect(wrong.status).toBe(400);
    expect(paths(wrong.body)).toEqual(['departmentId']);

    const field = new TestClient(app.base);
    expect(await field.login('hexi1')).toBe(200);
    const off = await admin.req('PATCH', `/api/admin/users/${hexi.id}`, { disabled: true });
    expect(off.status).toBe(200);
    expect(off.body.user.disabled).toBe(true);
    expect((await field.req('GET', '/api/auth/me')).status).toBe(401); // the open session ends at once
    expect(await new TestClient(app.base).login('hexi1')).toBe(401);

    await admin.req('PATCH', `/api/admin/users/${hexi.id}`, { disabled: false });
    const before = new TestClient(app.base);
    expect(await before.login('hexi1')).toBe(200);
    const reset = await admin.req('POST', `/api/admin/users/${hexi.id}/password`, {
      password: 'new-hexi-Pa55word',
    });
    expect(reset.status).toBe(200);
    expect((await before.req('GET', '/api/auth/me')).status).toBe(401); // sessions end with the reset
    expect(await new TestClient(app.base).login('hexi1')).toBe(401);
    expect(await new TestClient(app.base).login('hexi1', 'new-hexi-Pa55word')).toBe(200);

    // With a second admin the first may step down.
    const second = await admin.req('POST', '/api/admin/users', {
      username: 'admin2',
      displayName: '管理员二',
      role: 'admin',
      password: 'admin2-Pa55word',
    });
    expect(second.status).toBe(201);
    const demote = await admin.req('PATCH', `/api/admin/users/${second.body.user.id}`, {
      role: 'supervisor',
    });
    expect(demote.body.user).toMatchObject({ role: 'supervisor', departmentId: null });
  });

  it('audits every change with who, what, before and after, in the verified chain', async () => {
    const rows = await app.repo.auditAfter(0, 10_000);
    const admin = (await app.repo.getUserByUsername('admin'))!;
    const create = rows.find((r) => r.action === 'config.department.create' && r.entityId === 'so-xinhe');
    expect(create).toMatchObject({ actorId: admin.id, actorRole: 'admin', entityType: 'config' });
    expect(create?.details).toMatchObject({ before: null, after: { id: 'so-xinhe', kind: 'street_office' } });
    const rulesRow = rows.find((r) => r.action === 'config.rules.update');
    expect((rulesRow?.details['after'] as any).rules.length).toBe(
      (rulesRow?.details['before'] as any).rules.length + 1,
    );
    expect(
      rows
        .filter((r) => r.action === 'config.seed')
        .map((r) => r.entityId)
        .sort(),
    ).toEqual(['departments', 'jurisdictions', 'rules', 'sla', 'zones']);
    const disable = rows.find((r) => r.action === 'user.disable');
    expect(disable?.details).toMatchObject({
      before: { disabled: false },
      after: { disabled: true, username: 'hexi1' },
    });
    expect(rows.some((r) => r.action === 'user.password_reset')).toBe(true);
    expect(JSON.stringify(rows)).not.toMatch(/argon2|Pa55word/);
    expect((await verifyAuditChain(app.repo)).ok).toBe(true);
  });

  it('keeps the edits in the database: a second process reloads them, a restart does not re-seed', async () => {
    const other = await startTestDispatchApp({ dbFile: dbFile(), dataDir: dir });
    try {
      expect(other.dispatch.service.departments().map((d) => d.id)).not.toContain('so-xinhe'); // files only
      await other.dispatch.admin.reload();
      expect(other.dispatch.service.departments().map((d) => d.id)).toContain('so-xinhe');
      const seedsBefore = (await other.repo.auditAfter(0, 10_000)).filter(
        (r) => r.action === 'config.seed',
      ).length;
      await other.dispatch.admin.seed();
      const seedsAfter = (await other.repo.auditAfter(0, 10_000)).filter(
        (r) => r.action === 'config.seed',
      ).length;
      expect(seedsAfter).toBe(seedsBefore);
      const c = new TestClient(other.base);
      await c.login('admin');
      const probe = await c.req('POST', '/api/admin/route-test', {
        lat: 34.2675,
        lon: 108.956,
        alertType: 'dust',
      });
      expect(probe.body.departmentId).toBe('so-xinhe');
    } finally {
      await other.close();
    }
  });
});
