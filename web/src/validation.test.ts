import type { TFunction } from 'i18next';
import { describe, expect, it } from 'vitest';
import { DismissBody, LoginBody, TransitionBody } from '../../services/dispatch/schemas.ts';
import { validate, withoutChangedField } from './validation.ts';

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
});
