/**
 * Form validation with the API's own zod schemas (`services/dispatch/schemas.ts`): the same rules the server
 * applies, with the issues turned into translated messages keyed by field, shown next to each field.
 */
import type { TFunction } from 'i18next';
import type { z } from 'zod';
import { ApiError } from './api.ts';

export type FieldErrors = Partial<Record<string, string>>;

/** One translated message per field (the first issue of each), from a zod error. */
export function fieldErrors(error: z.ZodError, t: TFunction): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : '_form';
    if (out[field] !== undefined) continue;
    out[field] = issueMessage(issue, t);
  }
  return out;
}

/** The key of a nested field: its full path joined with dots (`rules.2.departmentId`). */
export const pathKey = (path: readonly PropertyKey[]): string =>
  path.length > 0 ? path.map(String).join('.') : '_form';

/** Like {@link fieldErrors} but keyed by the full path (forms with lists: `rules.2.departmentId`). */
export function pathErrors(issues: readonly z.core.$ZodIssue[], t: TFunction): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    const key = pathKey(issue.path);
    if (out[key] === undefined) out[key] = issueMessage(issue, t);
  }
  return out;
}

/** {@link validate} with errors keyed by the full path. */
export function validatePaths<S extends z.ZodType>(
  schema: S,
  value: unknown,
  t: TFunction,
): { data: z.infer<S>; errors: null } | { data: null; errors: FieldErrors } {
  const r = schema.safeParse(value);
  return r.success ? { data: r.data, errors: null } : { data: null, errors: pathErrors(r.error.issues, t) };
}

/**
 * Field errors from a server answer whose `details` are zod-style issues (400 `bad_request`,
 * `invalid_reference`, 409 `username_taken`), keyed by full path; null for other errors.
 */
export function serverFieldErrors(e: unknown, t: TFunction): FieldErrors | null {
  if (!(e instanceof ApiError) || !Array.isArray(e.details)) return null;
  const issues = (e.details as unknown[]).filter(
    (i): i is z.core.$ZodIssue => typeof i === 'object' && i !== null && 'path' in i && Array.isArray(i.path),
  );
  return issues.length > 0 ? pathErrors(issues, t) : null;
}

function issueMessage(issue: z.core.$ZodIssue, t: TFunction): string {
  switch (issue.code as string) {
    case 'unknown_reference':
      return t('validation.unknownReference');
    case 'duplicate':
    case 'taken':
      return t('validation.taken');
    case 'custom':
      if (issue.message.startsWith('deadlines must')) return t('validation.slaOrder');
  }
  switch (issue.code) {
    case 'too_small':
      return Number(issue.minimum) <= 1 ? t('validation.required') : t('validation.tooShort');
    case 'too_big':
      return t('validation.tooLong', { max: Number(issue.maximum) });
    case 'invalid_value':
      return t('validation.choose');
    case 'invalid_type':
      return issue.input === undefined ? t('validation.required') : t('validation.invalid');
    case 'custom':
      return t('validation.required');
    default:
      return t('validation.invalid');
  }
}

/** `safeParse` → `{ data }` or `{ errors }` (translated, per field). */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  t: TFunction,
): { data: z.infer<S>; errors: null } | { data: null; errors: FieldErrors } {
  const r = schema.safeParse(value);
  return r.success ? { data: r.data, errors: null } : { data: null, errors: fieldErrors(r.error, t) };
}

/** Drops the message of the field that just changed (form `onChange`; fields carry the schema key as `name`). */
export function withoutChangedField(errors: FieldErrors, e: { target: EventTarget }): FieldErrors {
  const name = (e.target as { name?: unknown }).name;
  if (typeof name !== 'string' || errors[name] === undefined) return errors;
  const next = { ...errors };
  delete next[name];
  return next;
}
