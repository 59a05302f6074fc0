/**
 * Dispatch API end to end (in-process express app + real SQLite file): one alert through every state with
 * three users, including a `returned` and a `reopened` branch; the audit chain verifies, and tampering with
 * one row is detected by the library and by the CLI. Plus department isolation, CSRF, concurrency and
 * rate-limit checks.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   response bodies are untyped JSON here; their shapes are what these tests assert. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../services/dispatch/audit.ts';
import {
  makeAlert,
  startTestDispatchApp,
  TestClient,
  type TestDispatchApp,
} from '../../services/dispatch/testSupport.ts';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');

let app: TestDispatchApp;
let dir: string;
const dbFile = () => path.join(dir, 'towerwatch.sqlite');

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tw-dispatch-api-'));
  app = await startTestDispatchApp({ dbFile: path.join(dir, 'towerwatch.sqlite'), dataDir: dir });
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function photo(): Promise<Blob> {
  const jpg = await sharp({
    create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 80, b: 20 } },
  })
    .jpeg()
    .toBuffer();
  return new Blob([new Uint8Array(jpg)], { type: 'image/jpeg' });
}

describe('dispatch API', () => {
  it('walks an alert through every state (returned + reopened branches) and keeps a verifiable audit chain', async () => {
    const duty = new TestClient(app.base);
    const office = new TestClient(app.base);
    const office2 = new TestClient(app.base);
    const sup = new TestClient(app.base);
    expect(await duty.login('duty1')).toBe(200);
    expect(await office.login('zj1')).toBe(200);
    expect(await office2.login('hedong1')).toBe(200);
    expect(await sup.login('sup1')).toBe(200);
    expect((await duty.req('GET', '/api/auth/me')).body.user).toMatchObject({
      username: 'duty1',
      role: 'duty',
    });

    app.alerts.set('a-walk', makeAlert('a-walk'));
    const confirmed = await duty.req('POST', '/api/alerts/a-walk/confirm', { priority: 'high' });
    expect(confirmed.status).toBe(201);
    const c0 = confirmed.body.case;
    // Camera 1 looks NE (45°): the bearing ray enters the metro construction site → 住建局 suggested.
    expect(c0).toMatchObject({
      state: 'new',
      version: 1,
      positionSource: 'bearing_ray',
      zoneType: 'construction_site',
      jurisdictionId: 'jd-hedong',
      suggestedDepartmentId: 'zhujian',
    });
    const id = c0.id as string;
    const act = (who: TestClient, action: string, version: number, extra: Record<string, unknown> = {}) =>
      who.req('POST', `/api/cases/${id}/transitions`, { action, expectedVersion: version, ...extra });

    // Invalid transition: clear message, 409.
    const bad = await act(office, 'accept', 1);
    expect(bad.status).toBe(404); // not dispatched to them yet: invisible to the office
    const bad2 = await act(duty, 'verify', 1);
    expect(bad2.status).toBe(409);
    expect(bad2.body.error).toMatchObject({
      code: 'invalid_transition',
      message: 'cannot verify a case in state "new"',
    });

    let r = await act(duty, 'dispatch', 1, { departmentId: 'zhujian' });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('"2"');
    r = await act(office, 'return', 2, { reason: '道路施工，不属于住建局工地' });
    expect(r.body.case).toMatchObject({ state: 'returned', version: 3 });
    // Re-dispatch with an override of the suggestion (recorded in the audit log).
    r = await act(duty, 'dispatch', 3, { departmentId: 'so-hedong' });
    expect(r.body.case).toMatchObject({ state: 'dispatched', departmentId: 'so-hedong' });
    // The first office no longer sees it.
    expect((await office.req('GET', `/api/cases/${id}`)).status).toBe(404);
    // Duty sees the SLA deadlines of the new dispatch cycle and who did what.
    const open = await duty.req('GET', `/api/cases/${id}`);
    const deadlines = open.body.deadlines as { accept: string; arrive: string; resolve: string };
    expect(Date.parse(deadlines.accept)).toBeLessThan(Date.parse(deadlines.resolve));
    expect(Object.values(open.body.actorNames as Record<string, string>).length).toBeGreaterThanOrEqual(2);

    // Stale version → 409, nothing overwritten; If-Match works as the version carrier.
    const stale = await office2.req(
      'POST',
      `/api/cases/${id}/transitions`,
      { action: 'accept' },
      { 'if-match': '"3"' },
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    r = await office2.req(
      'POST',
      `/api/cases/${id}/transitions`,
      { action: 'accept' },
      { 'if-match': '"4"' },
    );
    expect(r.body.case).toMatchObject({ state: 'accepted', version: 5 });
    r = await act(office2, 'arrive', 5);
    expect(r.body.case.state).toBe('on_site');

    // Field feedback: note + photo + disposition (multipart).
    const form = new FormData();
    form.set('note', '现场为废弃木料焚烧，已扑灭');
    form.set('disposition', 'stopped_burning');
    form.set('expectedVersion', '6');
    form.append('photos', await photo(), 'site.jpg');
    const fb = await office2.req('POST', `/api/cases/${id}/feedback`, form);
    expect(fb.status).toBe(201);
    expect(fb.body.case).toMatchObject({ version: 7, disposition: 'stopped_burning' });
    const file = fb.body.feedback.photos[0].file as string;
    const img = await office2.req('GET', `/api/cases/${id}/photos/${file}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');

    r = await act(office2, 'resolve', 7);
    expect(r.body.case.state).toBe('resolved');
    // Supervisor rejects the resolution → reopened → dispatched again.
    r = await act(sup, 'reopen', 8, { reason: '照片显示仍有明火' });
    expect(r.body.case.state).toBe('reopened');
    expect((await act(duty, 'dispatch', 9, { departmentId: 'so-hedong' })).status).toBe(200);
    expect((await act(office2, 'accept', 10)).status).toBe(200);
    expect((await act(office2, 'arrive', 11)).status).toBe(200);
    expect((await act(office2, 'resolve', 12, { disposition: 'covered_stockpile' })).status).toBe(200);
    r = await act(sup, 'verify', 13);
    expect(r.body.case.state).toBe('verified');
    r = await act(duty, 'close', 14);
    expect(r.body.case).toMatchObject({ state: 'closed', version: 15 });

    const detail = await sup.req('GET', `/api/cases/${id}`);
    expect(detail.status).toBe(200);
    const actions = (detail.body.audit as { action: string }[]).map((a) => a.action);
    expect(actions).toEqual([
      'alert.confirm',
      'case.dispatch',
      'case.return',
      'case.dispatch',
      'case.accept',
      'case.arrive',
      'case.feedback',
      'case.resolve',
      'case.reopen',
      'case.dispatch',
      'case.accept',
      'case.arrive',
      'case.resolve',
      'case.verify',
      'case.close',
    ]);
    const override = (detail.body.audit as { action: string; details: Record<string, unknown> }[])[3]!;
    expect(override.details).toMatchObject({
      suggestedDepartmentId: 'zhujian',
      departmentId: 'so-hedong',
      override: true,
    });
    expect(detail.body.allowedActions).toEqual(['reopen']);

    // Events: the office that returned the case got none after the re-dispatch; staff rooms got all.
    const zhujianEvents = app.events.filter((e) => e.room === 'dept:zhujian' && e.event.case.id === id);
    expect(zhujianEvents.every((e) => e.event.case.departmentId === 'zhujian')).toBe(true);

    // Chain verifies; tampering with one row is detected and named (library and CLI).
    expect(await verifyAuditChain(app.repo)).toMatchObject({ ok: true });
    const cli = await run('node', ['--import', 'tsx', 'services/dispatch/auditVerify.ts', '--db', dbFile()], {
      cwd: REPO,
    });
    expect(cli.stdout).toMatch(/audit chain OK/);
    const target = (detail.body.audit as { id: number }[])[4]!.id;
    app.db.prepare('UPDATE dispatch_audit SET reason = ? WHERE id = ?').run('forged', target);
    expect(await verifyAuditChain(app.repo)).toMatchObject({ ok: false, badRowId: target });
    const broken = await run(
      'node',
      ['--import', 'tsx', 'services/dispatch/auditVerify.ts', '--db', dbFile()],
      { cwd: REPO },
    ).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(broken?.code).toBe(1);
    expect(broken?.stderr).toContain(`row ${target}`);
    // Restore so later tests keep a clean chain.
    app.db.prepare('UPDATE dispatch_audit SET reason = NULL WHERE id = ?').run(target);
    expect(await verifyAuditChain(app.repo)).toMatchObject({ ok: true });
  });

  it('keeps an office user out of another department’s case on every endpoint', async () => {
    const duty = new TestClient(app.base);
    const env = new TestClient(app.base);
    const other = new TestClient(app.base);
    await duty.login('duty1');
    await env.login('env1');
    await other.login('hexi1');
    app.alerts.set('a-iso', makeAlert('a-iso', { cameraId: 'tower-02-thermal' }));
    app.alerts.set('a-iso-2', makeAlert('a-iso-2', { cameraId: 'tower-02-thermal' }));
    const c = (await duty.req('POST', '/api/alerts/a-iso/confirm', {})).body.case;
    expect(c.suggestedDepartmentId).toBe('env'); // tower 2 looks SSW into the east industrial park
    await duty.req('POST', `/api/cases/${c.id}/transitions`, {
      action: 'dispatch',
      departmentId: 'env',
      expectedVersion: 1,
    });
    await env.req('POST', `/api/cases/${c.id}/transitions`, { action: 'accept', expectedVersion: 2 });
    const form = new FormData();
    form.set('note', 'on my way');
    expect((await env.req('POST', `/api/cases/${c.id}/feedback`, form)).status).toBe(201);
    const fbForm = new FormData();
    fbForm.append('photos', await photo(), 'x.jpg');
    const photoFile = (await env.req('POST', `/api/cases/${c.id}/feedback`, fbForm)).body.feedback.photos[0]
      .file as string;

    const from = '2026-01-01T00:00:00.000Z';
    const to = '2027-01-01T00:00:00.000Z';
    const deny = async (method: string, p: string, body?: unknown) => {
      const res = await other.req(method, p, body);
      expect([403, 404], `${method} ${p} → ${res.status}`).toContain(res.status);
      return res;
    };
    await deny('GET', `/api/cases/${c.id}`);
    await deny('POST', `/api/cases/${c.id}/transitions`, { action: 'arrive', expectedVersion: 3 });
    await deny('POST', `/api/cases/${c.id}/transitions`, {
      action: 'return',
      reason: 'x',
      expectedVersion: 3,
    });
    const f2 = new FormData();
    f2.set('note', 'sneaky');
    await deny('POST', `/api/cases/${c.id}/feedback`, f2);
    await deny('GET', `/api/cases/${c.id}/photos/${photoFile}`);
    await deny('GET', '/api/cases?department=env');
    await deny('POST', '/api/alerts/a-iso-2/confirm', {});
    await deny('POST', '/api/alerts/a-iso-2/dismiss', { reason: 'cloud' });
    await deny('POST', '/api/alerts/a-iso-2/merge', { caseId: c.id });
    await deny('GET', '/api/dismissals/stats');
    const list = await other.req('GET', '/api/cases');
    expect(list.status).toBe(200);
    expect((list.body.cases as { id: string }[]).map((x) => x.id)).not.toContain(c.id);
    // A repeated query parameter is a 400 that names it, not a NaN from the number coercion.
    const twice = await other.req('GET', '/api/cases?limit=1&limit=2');
    expect(twice.status).toBe(400);
    expect(twice.body.error.details[0].message).toBe(
      'query parameter "limit" was given 2 times; give it once',
    );
    expect((await other.req('GET', '/api/cases?limit=abc')).body.error.details[0].message).toBe(
      'must be a whole number from 1 to 500',
    );
    expect((await other.req('GET', '/api/cases/%ZZ')).status).toBe(400);
    const rep = await other.req('GET', `/api/reports/cases?from=${from}&to=${to}&groupBy=department`);
    expect(rep.status).toBe(200);
    expect((rep.body.rows as { key: string }[]).every((row) => row.key === 'so-hexi')).toBe(true);
    // Socket events: the other office's room never received this case.
    expect(app.events.some((e) => e.room === 'dept:so-hexi' && e.event.case.id === c.id)).toBe(false);
    expect(app.events.some((e) => e.room === 'dept:env' && e.event.case.id === c.id)).toBe(true);
    // The case's own office still works.
    expect((await env.req('GET', `/api/cases/${c.id}`)).status).toBe(200);
    // Nothing changed by the denied calls.
    expect((await env.req('GET', `/api/cases/${c.id}`)).body.case.version).toBe(3);
  });

  it('reviews alerts: dismiss with reasons, merge, double review is 409', async () => {
    const duty = new TestClient(app.base);
    await duty.login('duty1');
    app.alerts.set(
      'a-d1',
      makeAlert('a-d1', { cameraId: 'tower-03-visible', type: 'smoke', presetId: 'east' }),
    );
    app.alerts.set(
      'a-d2',
      makeAlert('a-d2', { cameraId: 'tower-03-visible', type: 'smoke', presetId: 'east' }),
    );
    app.alerts.set('a-m1', makeAlert('a-m1', { cameraId: 'tower-05-visible', type: 'smoke' }));
    app.alerts.set('a-m2', makeAlert('a-m2', { cameraId: 'tower-04-visible', type: 'smoke' }));
    const noNote = await duty.req('POST', '/api/alerts/a-d1/dismiss', { reason: 'other' });
    expect(noNote.status).toBe(400);
    expect((await duty.req('POST', '/api/alerts/a-d1/dismiss', { reason: 'steam' })).status).toBe(200);
    expect(
      (await duty.req('POST', '/api/alerts/a-d2/dismiss', { reason: 'other', note: '锅炉房排汽' })).status,
    ).toBe(200);
    expect((await duty.req('POST', '/api/alerts/a-d1/dismiss', { reason: 'fog' })).status).toBe(409);
    expect((await duty.req('POST', '/api/alerts/a-d1/confirm', {})).status).toBe(409);
    expect((await duty.req('POST', '/api/alerts/nope/confirm', {})).status).toBe(404);
    const stats = await duty.req('GET', '/api/dismissals/stats?cameraId=tower-03-visible');
    expect(stats.body.stats).toEqual(
      expect.arrayContaining([
        { cameraId: 'tower-03-visible', presetId: 'east', reason: 'steam', count: 1 },
        { cameraId: 'tower-03-visible', presetId: 'east', reason: 'other', count: 1 },
      ]),
    );
    const c = (await duty.req('POST', '/api/alerts/a-m1/confirm', {})).body.case;
    expect(c).toMatchObject({ zoneType: 'river_corridor', suggestedDepartmentId: 'chengguan' });
    const merged = await duty.req('POST', '/api/alerts/a-m2/merge', { caseId: c.id });
    expect(merged.body.case).toMatchObject({ alertIds: ['a-m1', 'a-m2'], version: 2 });

    const rep = await duty.req(
      'GET',
      '/api/reports/cases?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&groupBy=camera',
    );
    const row = (rep.body.rows as { key: string; dismissed: number; falseAlarmRate: number }[]).find(
      (x) => x.key === 'tower-03-visible',
    );
    expect(row).toMatchObject({ dismissed: 2, falseAlarmRate: 1 });
    // The same window written with a UTC offset (as a browser in Asia/Shanghai writes it) gives the same report.
    const offset = await duty.req(
      'GET',
      `/api/reports/cases?from=${encodeURIComponent('2026-01-01T08:00:00+08:00')}&to=2027-01-01T00:00:00Z&groupBy=camera`,
    );
    expect(offset.status).toBe(200);
    expect(offset.body.from).toBe('2026-01-01T00:00:00.000Z');
    expect(offset.body.rows).toEqual(rep.body.rows);
    // A reversed window is a 400 naming `from`, not an empty report; a bad instant says what is expected and
    // carries no regex source.
    const reversed = await duty.req(
      'GET',
      '/api/reports/cases?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.details).toEqual([
      { code: 'custom', path: ['from'], message: 'from must be before to' },
    ]);
    const badInstant = await duty.req('GET', '/api/reports/cases?from=yesterday&to=2026-02-31T00:00:00Z');
    expect(badInstant.status).toBe(400);
    expect(
      (badInstant.body.error.details as { path: string[]; message: string }[]).map((i) => [
        i.path[0],
        i.message,
      ]),
    ).toEqual([
      ['from', 'expected an ISO 8601 date-time such as 2026-12-01T08:00:00Z or 2026-12-01T08:00:00+08:00'],
      ['to', 'expected an ISO 8601 date-time such as 2026-12-01T08:00:00Z or 2026-12-01T08:00:00+08:00'],
    ]);
    expect(JSON.stringify(badInstant.body)).not.toContain('pattern');
    // An empty id filter is refused instead of silently meaning "all cameras".
    const empty = await duty.req('GET', '/api/dismissals/stats?cameraId=');
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0]).toMatchObject({ path: ['cameraId'] });
    const csv = await duty.req(
      'GET',
      '/api/reports/cases.csv?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&groupBy=type',
    );
    expect(csv.headers.get('content-type')).toContain('text/csv');
    // (fetch's text() strips the UTF-8 BOM; reportCsv's unit test checks it)
    expect(csv.text.split('\r\n')[0]).toBe(
      'type,cases,dismissed,median_minutes_to_accept,median_minutes_to_resolve,overdue_rate,false_alarm_rate',
    );
  });

  it('answers the dashboard (staff only): day series, timings and false alarms per camera', async () => {
    const duty = new TestClient(app.base);
    await duty.login('duty1');
    app.alerts.set('a-dash1', makeAlert('a-dash1', { cameraId: 'tower-02-visible', type: 'smoke' }));
    app.alerts.set('a-dash2', makeAlert('a-dash2', { cameraId: 'tower-02-visible', type: 'smoke' }));
    expect((await duty.req('POST', '/api/alerts/a-dash1/dismiss', { reason: 'cloud' })).status).toBe(200);
    expect((await duty.req('POST', '/api/alerts/a-dash2/confirm', {})).status).toBe(201);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const now = app.clock.now();
    const from = day(now - 86_400_000);
    const to = day(now + 86_400_000);
    const r = await duty.req('GET', `/api/reports/dashboard?from=${from}&to=${to}&tz=Asia/Shanghai`);
    expect(r.status).toBe(200);
    expect(r.body.days).toHaveLength(3);
    const cam = (r.body.falseAlarms as { cameraId: string }[]).find((f) => f.cameraId === 'tower-02-visible');
    expect(cam).toEqual({
      cameraId: 'tower-02-visible',
      reviewed: 2,
      dismissed: 1,
      rate: 0.5,
      reasons: { cloud: 1 },
    });
    const dismissed = (r.body.alertsByDay as { kind: string; count: number }[])
      .filter((x) => x.kind === 'dismissed')
      .reduce((a, x) => a + x.count, 0);
    expect(dismissed).toBeGreaterThanOrEqual(1);
    expect(
      (r.body.casesByDay as { count: number }[]).reduce((a, x) => a + x.count, 0),
    ).toBeGreaterThanOrEqual(1);
    expect(r.body.timings.length).toBeGreaterThanOrEqual(1);

    const bad = await duty.req('GET', `/api/reports/dashboard?from=${to}&to=${from}&tz=Mars/Olympus`);
    expect(bad.status).toBe(400);
    // A day that does not exist names the parameter and the rule (it was "Invalid time value").
    const noDay = await duty.req('GET', `/api/reports/dashboard?from=9999-99-99&to=${to}`);
    expect(noDay.status).toBe(400);
    expect(noDay.body.error.details).toEqual([
      { code: 'custom', path: ['from'], message: 'not a calendar day (month 01–12, day within the month)' },
    ]);
    const office = new TestClient(app.base);
    await office.login('env1');
    expect((await office.req('GET', `/api/reports/dashboard?from=${from}&to=${to}`)).status).toBe(403);
  });

  it('rejects HEIC and undecodable photos with a clear 400', async () => {
    const duty = new TestClient(app.base);
    await duty.login('duty1');
    app.alerts.set('a-ph', makeAlert('a-ph'));
    const c = (await duty.req('POST', '/api/alerts/a-ph/confirm', {})).body.case;
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(64)]);
    const f = new FormData();
    f.append('photos', new Blob([new Uint8Array(heic)]), 'IMG_0001.HEIC');
    const r = await duty.req('POST', `/api/cases/${c.id}/feedback`, f);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'unsupported_image' });
    expect(r.body.error.message).toContain('HEIC');
    const g = new FormData();
    g.append('photos', new Blob([new Uint8Array(Buffer.from('not an image at all'))]), 'x.jpg');
    const r2 = await duty.req('POST', `/api/cases/${c.id}/feedback`, g);
    expect(r2.status).toBe(400);
    expect(r2.body.error.message).toContain('not a decodable JPEG or PNG');
  });

  it('answers 413 (not 500) to a body over the limit, logged in or not', async () => {
    const anon = await fetch(`${app.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'duty1', password: 'x'.repeat(100_000) }),
    });
    expect(anon.status).toBe(413);
    expect(await anon.json()).toMatchObject({ error: { code: 'body_too_large' } });
    const duty = new TestClient(app.base);
    await duty.login('duty1');
    app.alerts.set('a-big', makeAlert('a-big'));
    const r = await duty.req('POST', '/api/alerts/a-big/confirm', { note: 'x'.repeat(100_000) });
    expect(r.status).toBe(413);
    expect(r.body.error.message).toContain('65536 bytes');
    // nothing happened: the alert can still be confirmed
    expect((await duty.req('POST', '/api/alerts/a-big/confirm', {})).status).toBe(201);
  });

  it('requires the CSRF token and a session; rate-limits failed logins', async () => {
    const duty = new TestClient(app.base);
    await duty.login('duty1');
    app.alerts.set('a-csrf', makeAlert('a-csrf'));
    const noToken = await duty.req('POST', '/api/alerts/a-csrf/confirm', {}, { 'x-csrf-token': 'wrong' });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('csrf');
    const cross = await duty.req(
      'POST',
      '/api/alerts/a-csrf/confirm',
      {},
      { origin: 'https://evil.example' },
    );
    expect(cross.status).toBe(403);
    const anon = new TestClient(app.base);
    expect((await anon.req('GET', '/api/cases')).status).toBe(401);

    const attacker = new TestClient(app.base);
    for (let i = 0; i < 5; i++) expect(await attacker.login('sup1', 'wrong')).toBe(401);
    expect(await attacker.login('sup1', 'wrong')).toBe(429);
    expect(await attacker.login('sup1')).toBe(429); // even the right password, until the window passes
    app.clock.advance(15 * 60_000 + 1000);
    expect(await attacker.login('sup1')).toBe(200);

    // Logout revokes the session server-side.
    expect((await duty.req('POST', '/api/auth/logout')).status).toBe(204);
    expect((await duty.req('GET', '/api/auth/me')).status).toBe(401);
  });
});
