import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCalendarDay, issueDetails, queryDay, queryId, queryInstant, queryLimit } from './query.ts';

describe('queryLimit', () => {
  const Q = z.object({ limit: queryLimit(500, 100) });

  it('reads plain digits in range and falls back when absent', () => {
    expect(Q.parse({ limit: '25' })).toEqual({ limit: 25 });
    expect(Q.parse({})).toEqual({ limit: 100 });
  });

  it.each(['abc', '', ' ', '1.5', '0x10', '1e2', '-3', '%ZZ'])('refuses %j with the rule, never NaN', (v) => {
    const r = Q.safeParse({ limit: v });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['limit']);
    expect(r.error!.issues[0]!.message).toBe('must be a whole number from 1 to 500');
  });

  it('refuses numbers out of range', () => {
    for (const v of ['0', '501'])
      expect(Q.safeParse({ limit: v }).error!.issues[0]!.message).toBe('must be from 1 to 500');
  });
});

describe('isCalendarDay', () => {
  it('knows month lengths and leap years', () => {
    expect(isCalendarDay(2026, 2, 28)).toBe(true);
    expect(isCalendarDay(2026, 2, 29)).toBe(false);
    expect(isCalendarDay(2028, 2, 29)).toBe(true);
    expect(isCalendarDay(2100, 2, 29)).toBe(false);
    expect(isCalendarDay(2026, 4, 31)).toBe(false);
    expect(isCalendarDay(2026, 13, 1)).toBe(false);
    expect(isCalendarDay(2026, 0, 1)).toBe(false);
  });
});

describe('queryDay', () => {
  it('accepts days that exist and refuses the rest with the reason', () => {
    expect(queryDay().parse('2026-12-01')).toBe('2026-12-01');
    expect(queryDay().safeParse('2026-02-31').error!.issues[0]!.message).toBe(
      'not a calendar day (month 01–12, day within the month)',
    );
    expect(queryDay().safeParse('9999-99-99').success).toBe(false);
    expect(
      queryDay()
        .safeParse('2026-12-1')
        .error!.issues.map((i) => i.message),
    ).toEqual(['expected a day as YYYY-MM-DD']);
  });
});

describe('queryInstant', () => {
  it('normalises Z and offsets to the stored toISOString() form', () => {
    expect(queryInstant().parse('2026-12-01T00:00:00Z')).toBe('2026-12-01T00:00:00.000Z');
    expect(queryInstant().parse('2026-12-01T08:00:00+08:00')).toBe('2026-12-01T00:00:00.000Z');
    expect(queryInstant().parse('2026-12-01T00:00:00.5Z')).toBe('2026-12-01T00:00:00.500Z');
  });

  it('refuses a rolled-over day and free text', () => {
    expect(queryInstant().safeParse('2026-02-31T00:00:00Z').error!.issues[0]!.message).toMatch(
      /^expected an ISO 8601/,
    );
    expect(queryInstant().safeParse('2028-02-29T00:00:00Z').success).toBe(true);
    expect(queryInstant().safeParse('yesterday').error!.issues[0]!.message).toMatch(/^expected an ISO 8601/);
  });
});

describe('queryId and issueDetails', () => {
  it('refuses an empty id and reduces issues to code, path and message', () => {
    const r = z
      .object({ cameraId: queryId().optional(), at: queryInstant() })
      .safeParse({ cameraId: '', at: 'x' });
    const details = issueDetails(r.error!.issues);
    expect(details.map((d) => d.path)).toEqual([['cameraId'], ['at']]);
    for (const d of details) expect(Object.keys(d).sort()).toEqual(['code', 'message', 'path']);
  });
});
