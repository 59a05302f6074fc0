import { describe, expect, it } from 'vitest';
import { dayBuckets, departmentTimings, quantile, zoneOffsetMs } from './dashboard.ts';
import { median } from './reports.ts';
import type { Case } from './schemas.ts';

describe('dayBuckets', () => {
  it('gives local midnights as UTC bounds (Asia/Shanghai = UTC+8, no DST)', () => {
    const b = dayBuckets('2026-11-01', '2026-11-03', 'Asia/Shanghai');
    expect(b.days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(b.bounds).toEqual([
      '2026-10-31T16:00:00.000Z',
      '2026-11-01T16:00:00.000Z',
      '2026-11-02T16:00:00.000Z',
      '2026-11-03T16:00:00.000Z',
    ]);
  });

  it('follows a DST change (Europe/Berlin, 2026-10-25 has 25 hours) and month ends', () => {
    const b = dayBuckets('2026-10-24', '2026-10-26', 'Europe/Berlin');
    expect(b.bounds).toEqual([
      '2026-10-23T22:00:00.000Z',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      '2026-10-26T23:00:00.000Z',
    ]);
    expect(dayBuckets('2028-02-28', '2028-03-01', 'UTC').days).toEqual([
      '2028-02-28',
      '2028-02-29',
      '2028-03-01',
    ]);
  });

  it('rejects an empty or over-long range', () => {
    expect(() => dayBuckets('2026-11-02', '2026-11-01', 'UTC')).toThrow(RangeError);
    expect(() => dayBuckets('2024-01-01', '2026-01-01', 'UTC')).toThrow(/at most 366/);
  });

  it('computes zone offsets', () => {
    expect(zoneOffsetMs('Asia/Shanghai', Date.UTC(2026, 0, 1))).toBe(8 * 3_600_000);
    expect(zoneOffsetMs('America/New_York', Date.UTC(2026, 6, 1))).toBe(-4 * 3_600_000);
  });
});

describe('quantile', () => {
  it('interpolates between ranks (type 7) and agrees with the report median', () => {
    const xs = [10, 1, 4, 7, 2];
    expect(quantile(xs, 0.5)).toBe(median(xs));
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    // h = 9 * 0.9 = 8.1 over 1..10 → 9 + 0.1 * (10 - 9)
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9.1);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('departmentTimings', () => {
  const base = {
    createdAt: '2026-11-01T00:00:00.000Z',
    dispatchedAt: '2026-11-01T00:10:00.000Z',
    acceptedAt: null,
    resolvedAt: null,
    departmentId: 'env',
  };
  const mk = (over: Partial<Case>) => ({ ...base, ...over }) as Case;
  it('medians and p90 in minutes per department; cases that did not reach a stage are left out', () => {
    const rows = departmentTimings([
      mk({ acceptedAt: '2026-11-01T00:15:00.000Z', resolvedAt: '2026-11-01T01:00:00.000Z' }),
      mk({ acceptedAt: '2026-11-01T00:40:00.000Z' }),
      mk({}),
      mk({ departmentId: null, dispatchedAt: null }),
    ]);
    expect(rows).toEqual([
      {
        departmentId: '(none)',
        cases: 1,
        accepted: 0,
        acceptP50: null,
        acceptP90: null,
        resolved: 0,
        resolveP50: null,
        resolveP90: null,
      },
      {
        departmentId: 'env',
        cases: 3,
        accepted: 2,
        acceptP50: 17.5,
        acceptP90: 27.5,
        resolved: 1,
        resolveP50: 60,
        resolveP90: 60,
      },
    ]);
  });
});
