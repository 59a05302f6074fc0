/**
 * Dashboard figures (pure parts): local-day buckets in an IANA time zone, quantiles, and per-department
 * times to accept / resolve. The counting itself runs as SQL in the repository (`sqlRepository.ts`,
 * portable to SQLite and PostgreSQL): the service hands it the UTC bounds computed here, so day buckets follow
 * the zone's calendar (DST included) without any database time-zone function.
 *
 * Definitions (same as `reports.ts`): minutes to accept = acceptedAt − dispatchedAt of the current dispatch
 * cycle; minutes to resolve = resolvedAt − createdAt (confirmation to the unit's resolution).
 */
import type { Case, DashboardTiming } from './schemas.ts';

/** Most days one dashboard query may span (a year, leap day included). */
export const MAX_DASHBOARD_DAYS = 366;

const partsCache = new Map<string, Intl.DateTimeFormat>();

/** Offset of `tz` from UTC at instant `utcMs`, in ms (Asia/Shanghai → +8 h). */
export function zoneOffsetMs(tz: string, utcMs: number): number {
  let f = partsCache.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsCache.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const x of f.formatToParts(new Date(utcMs))) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const wall = Date.UTC(p['year']!, p['month']! - 1, p['day'], p['hour'], p['minute'], p['second']);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** UTC epoch ms of local midnight starting day `y-m-d` (month 1-based) in `tz`. */
function localMidnight(y: number, m: number, d: number, tz: string): number {
  const guess = Date.UTC(y, m - 1, d);
  const off1 = zoneOffsetMs(tz, guess - zoneOffsetMs(tz, guess));
  const t = guess - off1;
  const off2 = zoneOffsetMs(tz, t);
  return off2 === off1 ? t : guess - off2;
}

const parseDay = (s: string): [number, number, number] => {
  const [y, m, d] = s.split('-').map(Number);
  return [y!, m!, d!];
};
const dayString = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The local calendar days `from`..`to` (inclusive, `YYYY-MM-DD`) in `tz` and their UTC bounds:
 * `bounds[i]` .. `bounds[i + 1]` (ISO UTC, half-open) is day `days[i]`; `bounds.length = days.length + 1`.
 * @throws RangeError when `to` is before `from` or the span exceeds {@link MAX_DASHBOARD_DAYS}.
 */
export function dayBuckets(from: string, to: string, tz: string): { days: string[]; bounds: string[] } {
  const [fy, fm, fd] = parseDay(from);
  const [ty, tm, td] = parseDay(to);
  const n = Math.round((Date.UTC(ty, tm - 1, td) - Date.UTC(fy, fm - 1, fd)) / 86_400_000) + 1;
  if (!(n >= 1)) throw new RangeError(`day range ${from}..${to} is empty`);
  if (n > MAX_DASHBOARD_DAYS)
    throw new RangeError(`day range spans ${n} days (at most ${MAX_DASHBOARD_DAYS})`);
  const days: string[] = [];
  const bounds: string[] = [];
  for (let i = 0; i <= n; i++) {
    const ms = Date.UTC(fy, fm - 1, fd + i);
    const [y, m, d] = parseDay(dayString(ms));
    if (i < n) days.push(dayString(ms));
    bounds.push(new Date(localMidnight(y, m, d, tz)).toISOString());
  }
  return { days, bounds };
}

/**
 * Quantile `q` (0..1) of numbers by linear interpolation between closest ranks (Hyndman & Fan type 7, the
 * default of R and NumPy); null for none. Rounded to 0.1. q = 0.5 equals `reports.ts` `median`.
 */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const v = s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
  return Math.round(v * 10) / 10;
}

const minutes = (a: string | null, b: string | null): number | null =>
  a && b ? (Date.parse(b) - Date.parse(a)) / 60_000 : null;

/** Median and p90 minutes to accept / resolve per department (`(none)` when never dispatched), sorted by id. */
export function departmentTimings(cases: readonly Case[]): DashboardTiming[] {
  const groups = new Map<string, Case[]>();
  for (const c of cases) {
    const k = c.departmentId ?? '(none)';
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([departmentId, cs]) => {
      const accept = cs.map((c) => minutes(c.dispatchedAt, c.acceptedAt)).filter((v) => v !== null);
      const resolve = cs.map((c) => minutes(c.createdAt, c.resolvedAt)).filter((v) => v !== null);
      return {
        departmentId,
        cases: cs.length,
        accepted: accept.length,
        acceptP50: quantile(accept, 0.5),
        acceptP90: quantile(accept, 0.9),
        resolved: resolve.length,
        resolveP50: quantile(resolve, 0.5),
        resolveP90: quantile(resolve, 0.9),
      };
    });
}
