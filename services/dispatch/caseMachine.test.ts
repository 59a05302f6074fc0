import { describe, expect, it } from 'vitest';
import { allowedActions, applyTransition, nextState, TRANSITIONS } from './caseMachine.ts';
import { ForbiddenError, InvalidTransitionError, ValidationError } from './errors.ts';
import { CaseAction, CaseState, type Case } from './schemas.ts';

const base: Case = {
  id: 'c1',
  state: 'new',
  version: 1,
  alertType: 'smoke',
  priority: 'normal',
  cameraId: 'cam',
  presetId: null,
  alertIds: ['a1'],
  position: null,
  positionSource: 'none',
  jurisdictionId: null,
  zoneId: null,
  zoneType: null,
  suggestedDepartmentId: null,
  departmentId: null,
  disposition: null,
  createdAt: 't0',
  createdBy: 'u',
  updatedAt: 't0',
  dispatchedAt: null,
  acceptedAt: null,
  onSiteAt: null,
  resolvedAt: null,
  verifiedAt: null,
  closedAt: null,
  overdue: [],
  escalationLevel: 0,
};

describe('caseMachine', () => {
  it('walks the happy path with the right roles', () => {
    let c = applyTransition(base, { action: 'dispatch', role: 'duty', departmentId: 'd1' }, 't1');
    expect(c).toMatchObject({ state: 'dispatched', version: 2, dispatchedAt: 't1', departmentId: 'd1' });
    c = applyTransition(c, { action: 'accept', role: 'office' }, 't2');
    c = applyTransition(c, { action: 'arrive', role: 'office' }, 't3');
    c = applyTransition(c, { action: 'resolve', role: 'office', disposition: 'stopped_burning' }, 't4');
    c = applyTransition(c, { action: 'verify', role: 'supervisor' }, 't5');
    c = applyTransition(c, { action: 'close', role: 'duty' }, 't6');
    expect(c).toMatchObject({
      state: 'closed',
      version: 7,
      acceptedAt: 't2',
      onSiteAt: 't3',
      resolvedAt: 't4',
      verifiedAt: 't5',
      closedAt: 't6',
      disposition: 'stopped_burning',
    });
  });

  it('rejects invalid transitions with a clear message', () => {
    expect(() => nextState('new', 'accept', 'office')).toThrow('cannot accept a case in state "new"');
    expect(() => nextState('new', 'accept', 'office')).toThrow(InvalidTransitionError);
    expect(() => nextState('dispatched', 'accept', 'duty')).toThrow('role "duty" may not accept a case');
    expect(() => nextState('dispatched', 'accept', 'duty')).toThrow(ForbiddenError);
    expect(() => nextState('cancelled', 'dispatch', 'duty')).toThrow(
      'cannot dispatch a case in state "cancelled"',
    );
  });

  it('requires reasons, departments and dispositions', () => {
    const d = applyTransition(base, { action: 'dispatch', role: 'duty', departmentId: 'd1' }, 't1');
    expect(() => applyTransition(d, { action: 'return', role: 'office', reason: ' ' }, 't2')).toThrow(
      ValidationError,
    );
    expect(() => applyTransition(base, { action: 'dispatch', role: 'duty' }, 't1')).toThrow(
      'departmentId is required',
    );
    let c = applyTransition(d, { action: 'accept', role: 'office' }, 't2');
    c = applyTransition(c, { action: 'arrive', role: 'office' }, 't3');
    expect(() => applyTransition(c, { action: 'resolve', role: 'office' }, 't4')).toThrow(
      'disposition is required',
    );
  });

  it('re-dispatch after return or reopen starts a new cycle', () => {
    let c = applyTransition(base, { action: 'dispatch', role: 'duty', departmentId: 'd1' }, 't1');
    c = { ...c, overdue: ['accept'], escalationLevel: 2 };
    c = applyTransition(c, { action: 'return', role: 'office', reason: 'not ours' }, 't2');
    expect(c.state).toBe('returned');
    c = applyTransition(c, { action: 'dispatch', role: 'duty', departmentId: 'd2' }, 't3');
    expect(c).toMatchObject({
      state: 'dispatched',
      departmentId: 'd2',
      dispatchedAt: 't3',
      overdue: [],
      escalationLevel: 0,
    });
  });

  it('every (state, action) pair is either in the table or throws', () => {
    for (const s of CaseState.options) {
      for (const a of CaseAction.options) {
        const rule = TRANSITIONS.find((t) => t.action === a && t.from.includes(s));
        if (rule) expect(nextState(s, a, rule.roles[0]!)).toBe(rule.to);
        else expect(() => nextState(s, a, 'duty')).toThrow(InvalidTransitionError);
      }
    }
    expect(allowedActions('closed', 'office')).toEqual([]);
    expect(allowedActions('dispatched', 'office')).toEqual(['accept', 'return']);
  });
});
