import { z } from 'zod';

/**
 * A row-count query parameter (`?limit=N`): a whole number in 1..`max`, `fallback` when absent. The text must be
 * plain digits, so `abc`, an empty value, `1.5`, `0x10` or `1e2` are refused with a message naming the rule
 * (`z.coerce.number()` turned `abc` into "received NaN", an empty value into 0 and `0x10` into 16).
 */
export const queryLimit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, { message: `must be a whole number from 1 to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, { message: `must be from 1 to ${max}` })
        .max(max, { message: `must be from 1 to ${max}` }),
    )
    .default(fallback);

/** True when `y-m-d` (month 1..12) is a day of the proleptic Gregorian calendar (`2026-02-31` is not). */
export function isCalendarDay(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})/;
const calendarPart = (s: string): boolean => {
  const m = DAY.exec(s);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
};

/**
 * A local calendar day in a query string, `YYYY-MM-DD`, that exists (`2026-02-31` and `9999-99-99` are refused with
 * the reason instead of failing later with "Invalid time value").
 */
export const queryDay = () =>
  z.string().superRefine((s, ctx) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s))
      ctx.addIssue({ code: 'custom', message: 'expected a day as YYYY-MM-DD' });
    else if (!calendarPart(s))
      ctx.addIssue({ code: 'custom', message: 'not a calendar day (month 01–12, day within the month)' });
  });

/**
 * An instant in a query string: an ISO 8601 date-time with `Z` or a UTC offset (`2026-12-01T08:00:00+08:00`, as a
 * browser in Asia/Shanghai writes it), returned normalised to `Date.toISOString()` form (UTC, milliseconds, `Z`), the
 * form stored times have, so the repositories can compare it as text. zod's date-time check also refuses a day that
 * does not exist (`2026-02-31T00:00:00Z`, which `Date` would roll over into March).
 */
export const queryInstant = () =>
  z.iso
    .datetime({
      offset: true,
      message: 'expected an ISO 8601 date-time such as 2026-12-01T08:00:00Z or 2026-12-01T08:00:00+08:00',
    })
    .transform((s) => new Date(s).toISOString());

/**
 * An id filter in a query string (`?cameraId=`): present means non-empty. An empty value used to mean "no filter"
 * silently, which hides a client's bug (a form sending an unset field).
 */
export const queryId = () =>
  z.string().min(1, { message: 'must not be empty; leave the parameter out for all' });

/** A zod issue reduced to what a client needs in a 400's `details`: code, path, message (no regex source). */
export interface IssueDetail {
  code: string;
  path: PropertyKey[];
  message: string;
}

/** `issues` as 400 `details` (see `IssueDetail`); pure. */
export function issueDetails(issues: readonly z.core.$ZodIssue[]): IssueDetail[] {
  return issues.map((i) => ({ code: i.code, path: [...i.path], message: i.message }));
}
