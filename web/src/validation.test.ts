import type { TFunction } from 'i18next';
import { describe, expect, it } from 'vitest';
import {
  CreateUserBody,
  DismissBody,
  LoginBody,
  RulesBody,
  SlaBody,
  TransitionBody,
} from '../../services/dispatch/schemas.ts';
import { ApiError } from './api.ts';
import { serverFieldErrors, validate, validatePaths, withoutChangedField } from './validation.ts';

/** Echoes the key and options so the mapping from zod issues to locale keys is visible. */
const t = ((key: string, o?: Record<string, unknown>) =>
  o ? `${key}:${JSON.stringify(o)}` : key) as TFunction;

describe('form validation with the API schemas', () => {
  it('login: both fields required', () => {
    const r = validate(LoginBody, { username: '', password: '' }, t);
    expect(r.errors).toEqual({ username: 'validation.required', password: 'validation.required' });
  });

  it('dismiss: a reason from the list; "other" needs a note (error on the note field)', () => {
    expect(validate(DismissBody, {}, t).errors).toEqual({ reason: 'validation.choose' });
    expect(validate(DismissBody, { reason: 'smoke' }, t).errors).toEqual({ reason: 'validation.choose' });
    expect(validate(DismissBody, { reason: 'other' }, t).errors).toEqual({ note: 'validation.required' });
    expect(validate(DismissBody, { reason: 'steam' }, t).data).toEqual({ reason: 'steam' });
  });

  it('transition: reason trimmed and length-checked', () => {
    expect(validate(TransitionBody, { action: 'return', reason: '   ' }, t).errors).toEqual({
      reason: 'validation.required',
    });
    expect(validate(TransitionBody, { action: 'return', reason: 'x'.repeat(2001) }, t).errors).toEqual({
      reason: 'validation.tooLong:{"max":2000}',
    });
  });

  it('a changed field loses its message', () => {
    const errors = { note: 'x', reason: 'y' };
    expect(withoutChangedField(errors, { target: { name: 'note' } as unknown as EventTarget })).toEqual({
      reason: 'y',
    });
    expect(withoutChangedField(errors, { target: {} as EventTarget })).toBe(errors);
  });

  it('admin forms: errors keyed by the full path of list fields', () => {
    const rules = validatePaths(
      RulesBody,
      {
        rules: [{ departmentId: 'env' }, { alertType: 'fire', departmentId: '' }],
        fallbackToJurisdiction: true,
        expectedVersion: 1,
      },
      t,
    );
    expect(rules.errors).toEqual({
      'rules.1.alertType': 'validation.choose',
      'rules.1.departmentId': 'validation.required',
    });
    const sla = validatePaths(
      SlaBody,
      {
        policies: [{ acceptMin: 30, arriveMin: 20, resolveMin: 60, escalateAfterMin: 10 }],
        expectedVersion: 0,
      },
      t,
    );
    expect(sla.errors).toEqual({ 'policies.0.resolveMin': 'validation.slaOrder' });
    const user = validatePaths(
      CreateUserBody,
      { username: 'a', displayName: 'A', role: 'office', password: 'x' },
      t,
    );
    expect(Object.keys(user.errors ?? {}).sort()).toEqual(['departmentId', 'password', 'username']);
  });

  it("admin forms: the server's issues land on the same fields", () => {
    const e = new ApiError(400, 'invalid_reference', 'unknown department', [
      { code: 'unknown_reference', path: ['rules', 3, 'departmentId'], message: 'unknown department "x"' },
    ]);
    expect(serverFieldErrors(e, t)).toEqual({ 'rules.3.departmentId': 'validation.unknownReference' });
    const taken = new ApiError(409, 'username_taken', 'taken', [
      { code: 'taken', path: ['username'], message: 'x' },
    ]);
    expect(serverFieldErrors(taken, t)).toEqual({ username: 'validation.taken' });
    expect(serverFieldErrors(new ApiError(409, 'in_use', 'x', { usedBy: [] }), t)).toBeNull();
    expect(serverFieldErrors(new Error('network'), t)).toBeNull();
  });
});
