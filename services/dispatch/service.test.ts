import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import type { Actor } from './access.ts';
import { verifyAuditChain } from './audit.ts';
import { fileCaseEvidenceStore } from './evidence.ts';
import type { CaseEvent } from './schemas.ts';
import { DispatchService } from './service.ts';
import { sqliteDispatchRepository } from './sqliteRepository.ts';
import { DEMO_CAMERAS, demoDispatchConfig, makeAlert } from './testSupport.ts';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

const duty: Actor = {
  userId: 'u-duty',
  username: 'duty1',
  role: 'duty',
  departmentId: null,
  requestId: 'r1',
};
const office: Actor = {
  userId: 'u-env',
  username: 'env1',
  role: 'office',
  departmentId: 'env',
  requestId: null,
};

async function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-dispatch-svc-'));
  const db = new Database(':memory:');
  cleanup.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const repo = await sqliteDispatchRepository(db);
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 8, 0, 0));
  const events: { room: string; event: CaseEvent }[] = [];
  const alerts = new Map([['a1', makeAlert('a1', { cameraId: 'tower-02-thermal' })]]);
  const svc = new DispatchService({
    repo,
    alerts: { getAlert: (id) => Promise.resolve(alerts.get(id) ?? null) },
    cameraGeo: (id) => DEMO_CAMERAS[id] ?? null,
    config: demoDispatchConfig(),
    evidence: fileCaseEvidenceStore(dir),
    clock,
    publish: (room, event) => events.push({ room, event }),
    log: silentLogger(),
  });
  return { repo, clock, events, svc };
}

describe('DispatchService SLA ticker', () => {
  it('flags a case left unaccepted past its deadline, then escalates it level by level (ManualClock)', async () => {
    const { repo, clock, events, svc } = await setup();
    // hotspot + urgent → policy accept 5 min, escalate every 10 min, max level 3.
    const c = await svc.confirmAlert(duty, 'a1', { priority: 'urgent' });
    await svc.transition(duty, c.id, { action: 'dispatch', departmentId: 'env' }, 1);

    clock.advance(5 * 60_000);
    expect(await svc.tick()).toMatchObject({ flagged: [], escalated: [] }); // exactly at the deadline: not late yet
    clock.advance(1000);
    const t1 = await svc.tick();
    expect(t1.flagged).toEqual([{ caseId: c.id, stages: ['accept'] }]);
    expect(t1.escalated).toEqual([]);
    expect(await repo.getCase(c.id)).toMatchObject({ overdue: ['accept'], escalationLevel: 0, version: 3 });
    expect(events.filter((e) => e.event.kind === 'case.overdue').map((e) => e.room)).toEqual([
      'role:duty',
      'role:supervisor',
      'role:admin',
      'dept:env',
    ]);
    expect(await svc.tick()).toMatchObject({ flagged: [], escalated: [] }); // idempotent

    clock.advance(10 * 60_000); // deadline + 10 min → level 1
    const t2 = await svc.tick();
    expect(t2.escalated).toEqual([{ caseId: c.id, level: 1 }]);
    expect(events.some((e) => e.event.kind === 'case.escalated' && e.room === 'role:supervisor')).toBe(true);
    clock.advance(60 * 60_000); // long after: arrive deadline (20 min) also missed; level capped at 3
    const t3 = await svc.tick();
    expect(t3.flagged).toEqual([{ caseId: c.id, stages: ['arrive'] }]);
    expect(t3.escalated).toEqual([{ caseId: c.id, level: 3 }]);

    const audit = await repo.caseAudit(c.id);
    expect(audit.filter((a) => a.actorRole === 'system').map((a) => [a.action, a.reason])).toEqual([
      ['case.overdue', 'accept deadline passed'],
      ['case.escalate', 'escalated to level 1'],
      ['case.overdue', 'arrive deadline passed'],
      ['case.escalate', 'escalated to level 3'],
    ]);

    // Accepting late keeps the overdue flag for the report; a re-dispatch would start a new cycle.
    const cur = (await repo.getCase(c.id))!;
    const accepted = await svc.transition(office, c.id, { action: 'accept' }, cur.version);
    expect(accepted.overdue).toEqual(['accept', 'arrive']);
    expect(await verifyAuditChain(repo)).toMatchObject({ ok: true });
  });

  it('a tick does not touch cases that are on time or not dispatched', async () => {
    const { clock, svc } = await setup();
    const c = await svc.confirmAlert(duty, 'a1', { priority: 'normal' });
    clock.advance(24 * 3600_000);
    expect(await svc.tick()).toMatchObject({ flagged: [], escalated: [] });
    await svc.transition(duty, c.id, { action: 'dispatch', departmentId: 'env' }, 1);
    clock.advance(29 * 60_000);
    expect((await svc.tick()).flagged).toEqual([]);
  });

  it('office users cannot see or act on other departments’ cases (service layer)', async () => {
    const { svc } = await setup();
    const c = await svc.confirmAlert(duty, 'a1', { priority: 'normal' });
    await svc.transition(duty, c.id, { action: 'dispatch', departmentId: 'chengguan' }, 1);
    await expect(svc.getCase(office, c.id)).rejects.toMatchObject({ status: 404 });
    await expect(svc.transition(office, c.id, { action: 'accept' }, 2)).rejects.toMatchObject({
      status: 404,
    });
    await expect(svc.addFeedback(office, c.id, { note: 'x', photos: [] })).rejects.toMatchObject({
      status: 404,
    });
    await expect(svc.listCases(office, { department: 'chengguan', limit: 10 })).rejects.toMatchObject({
      status: 403,
    });
    expect(await svc.listCases(office, { limit: 10 })).toEqual([]);
    await expect(svc.confirmAlert(office, 'a1', { priority: 'normal' })).rejects.toMatchObject({
      status: 403,
    });
  });
});
