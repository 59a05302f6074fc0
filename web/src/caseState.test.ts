import { describe, expect, it } from 'vitest';
import type { Case } from '../../services/dispatch/schemas.ts';
import {
  applyCase,
  applyCaseEvent,
  applyCaseList,
  caseOfAlert,
  columnOf,
  initialCases,
  selectBoard,
  selectMergeTargets,
  selectOfficeCases,
} from './caseState.ts';

function kase(id: string, over: Partial<Case> = {}): Case {
  return {
    id,
    state: 'new',
    version: 1,
    alertType: 'smoke',
    priority: 'normal',
    cameraId: 'tower-03-visible',
    presetId: null,
    alertIds: [`alert-${id}`],
    position: null,
    positionSource: 'none',
    jurisdictionId: null,
    zoneId: null,
    zoneType: null,
    suggestedDepartmentId: 'env',
    departmentId: null,
    disposition: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'u_1',
    updatedAt: '2026-01-01T00:00:00.000Z',
    dispatchedAt: null,
    acceptedAt: null,
    onSiteAt: null,
    resolvedAt: null,
    verifiedAt: null,
    closedAt: null,
    overdue: [],
    escalationLevel: 0,
    ...over,
  };
}

const ev = (c: Case) => ({ case: c });

describe('case reducer', () => {
  it('applies newer versions and drops older or equal ones (same object back)', () => {
    const s1 = applyCaseEvent(initialCases, ev(kase('a', { version: 2, state: 'dispatched' })));
    expect(s1.byId['a']?.state).toBe('dispatched');
    expect(applyCaseEvent(s1, ev(kase('a', { version: 1 })))).toBe(s1);
    expect(applyCaseEvent(s1, ev(kase('a', { version: 2, state: 'accepted' })))).toBe(s1);
    const s2 = applyCase(s1, kase('a', { version: 3, state: 'accepted' }));
    expect(s2.byId['a']?.state).toBe('accepted');
  });

  it('a list replaces the visible set but keeps newer versions from events', () => {
    let s = applyCaseEvent(initialCases, ev(kase('a', { version: 5, state: 'on_site' })));
    s = applyCaseEvent(s, ev(kase('gone', { version: 2 })));
    s = applyCaseList(s, [kase('a', { version: 4, state: 'accepted' }), kase('b')]);
    expect(s.loaded).toBe(true);
    expect(Object.keys(s.byId).sort()).toEqual(['a', 'b']);
    expect(s.byId['a']?.version).toBe(5);
  });
});

describe('selectors', () => {
  it('board columns: waiting-for-dispatch states in "new", terminal states collapsed, overdue first', () => {
    expect(columnOf('returned')).toBe('new');
    expect(columnOf('reopened')).toBe('new');
    expect(columnOf('closed')).toBeNull();
    const s = applyCaseList(initialCases, [
      kase('n'),
      kase('r', { state: 'returned' }),
      kase('d1', { state: 'dispatched', updatedAt: '2026-01-01T00:05:00.000Z' }),
      kase('d2', { state: 'dispatched', overdue: ['accept'] }),
      kase('c', { state: 'closed' }),
      kase('x', { state: 'cancelled' }),
    ]);
    const b = selectBoard(s);
    expect(b.columns.new.map((c) => c.id).sort()).toEqual(['n', 'r']);
    expect(b.columns.dispatched.map((c) => c.id)).toEqual(['d2', 'd1']);
    expect(b.done.map((c) => c.id).sort()).toEqual(['c', 'x']);
  });

  it('merge targets are open cases only; caseOfAlert finds confirmed and merged alerts', () => {
    const s = applyCaseList(initialCases, [
      kase('open', { state: 'accepted', alertIds: ['a1', 'a2'] }),
      kase('done', { state: 'closed', alertIds: ['a3'] }),
    ]);
    expect(selectMergeTargets(s).map((c) => c.id)).toEqual(['open']);
    expect(caseOfAlert(s, 'a2')?.id).toBe('open');
    expect(caseOfAlert(s, 'a3')?.id).toBe('done');
    expect(caseOfAlert(s, 'zzz')).toBeNull();
  });

  it('office: active cases first, overdue first then oldest dispatch', () => {
    const s = applyCaseList(initialCases, [
      kase('late', { state: 'accepted', dispatchedAt: '2026-01-01T02:00:00.000Z', overdue: ['arrive'] }),
      kase('old', { state: 'dispatched', dispatchedAt: '2026-01-01T00:00:00.000Z' }),
      kase('newer', { state: 'on_site', dispatchedAt: '2026-01-01T01:00:00.000Z' }),
      kase('res', { state: 'resolved' }),
    ]);
    const o = selectOfficeCases(s);
    expect(o.active.map((c) => c.id)).toEqual(['late', 'old', 'newer']);
    expect(o.other.map((c) => c.id)).toEqual(['res']);
  });
});
