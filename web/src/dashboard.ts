/**
 * Dashboard data shaping (pure): the local-day range of a "last N days" choice and day series per key from
 * the `GET /api/reports/dashboard` rows. Days are calendar days in the BROWSER's time zone (sent as `tz`).
 */

/** The range choices of the date-range picker, in days (today included). */
export const DASHBOARD_RANGES = [7, 30, 90] as const;
export type DashboardRange = (typeof DASHBOARD_RANGES)[number];

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of `d` in the browser's zone. */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The last `days` local calendar days ending today (inclusive): `{ from, to }` as `YYYY-MM-DD`. */
export function lastDays(now: Date, days: number): { from: string; to: string } {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1), 12);
  return { from: localDay(start), to: localDay(now) };
}

/** The browser's IANA time zone (`UTC` when the runtime does not say). */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Day series per key: `{ keys, series }` where `series[key][i]` sums the counts of the rows with that key
 * on day index `i` (0..dayCount-1). Keys sorted; rows outside the range are ignored.
 */
export function seriesByDay<R extends { day: number; count: number }>(
  dayCount: number,
  rows: readonly R[],
  keyOf: (r: R) => string,
): { keys: string[]; series: Record<string, number[]> } {
  const series: Record<string, number[]> = {};
  for (const r of rows) {
    if (r.day < 0 || r.day >= dayCount) continue;
    const k = keyOf(r);
    const s = (series[k] ??= new Array<number>(dayCount).fill(0));
    s[r.day] = (s[r.day] ?? 0) + r.count;
  }
  return { keys: Object.keys(series).sort(), series };
}

/** Sum of every value of the series (0 when empty). */
export function seriesTotal(series: Record<string, readonly (number | null)[]>): number {
  let n = 0;
  for (const s of Object.values(series)) for (const v of s) n += v ?? 0;
  return n;
}
