/**
 * Form validation with the API's own zod schemas (`services/dispatch/schemas.ts`): the same rules the server
 * applies, with the issues turned into translated messages keyed by field, shown next to each field.
 */
import type { TFunction } from 'i18next';
import type { z } from 'zod';

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

function issueMessage(issue: z.core.$ZodIssue, t: TFunction): string {
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
