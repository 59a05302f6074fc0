/**
 * Case reports (pure): counts, median minutes to accept / resolve, overdue rate and false-alarm rate per
 * alert type, department or camera, plus CSV export (RFC 4180, UTF-8 with BOM so Excel opens Chinese text).
 *
 * Definitions, over cases created in the report window:
 * - minutes to accept = acceptedAt − dispatchedAt of the current cycle; minutes to resolve = resolvedAt −
 *   createdAt (from confirmation to the unit's resolution). Medians over the cases that reached the stage.
 * - overdue rate = cases with any overdue stage / cases.
 * - false-alarm rate = dismissed alerts / (dismissed alerts + cases) in the window; null for the department
 *   grouping (a dismissed alert has no department).
 */
import type { AlertReview } from './repository.ts';
import type { Case, ReportQuery, ReportRow } from './schemas.ts';

const minutes = (a: string | null, b: string | null): number | null =>
  a && b ? (Date.parse(b) - Date.parse(a)) / 60_000 : null;

/** Median of numbers (mean of the two middle ones for an even count); null for none. Rounded to 0.1. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const v = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return Math.round(v * 10) / 10;
}

/** Builds report rows sorted by key. `dismissals` are the reviews of kind `dismissed` in the same window. */
export function buildReport(
  cases: readonly Case[],
  dismissals: readonly AlertReview[],
  groupBy: ReportQuery['groupBy'],
): ReportRow[] {
  const keyOfCase = (c: Case) =>
    groupBy === 'type' ? c.alertType : groupBy === 'camera' ? c.cameraId : (c.departmentId ?? '(none)');
  const groups = new Map<string, { cases: Case[]; dismissed: number }>();
  const g = (k: string) => {
    let x = groups.get(k);
    if (!x) groups.set(k, (x = { cases: [], dismissed: 0 }));
    return x;
  };
  for (const c of cases) g(keyOfCase(c)).cases.push(c);
  if (groupBy !== 'department') {
    for (const d of dismissals) g(groupBy === 'type' ? d.alertType : d.cameraId).dismissed++;
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, x]) => {
      const n = x.cases.length;
      return {
        key,
        cases: n,
        dismissed: x.dismissed,
        medianMinutesToAccept: median(
          x.cases.map((c) => minutes(c.dispatchedAt, c.acceptedAt)).filter((v) => v !== null),
        ),
        medianMinutesToResolve: median(
          x.cases.map((c) => minutes(c.createdAt, c.resolvedAt)).filter((v) => v !== null),
        ),
        overdueRate: n
          ? Math.round((x.cases.filter((c) => c.overdue.length > 0).length / n) * 1000) / 1000
          : null,
        falseAlarmRate:
          groupBy === 'department' || n + x.dismissed === 0
            ? null
            : Math.round((x.dismissed / (n + x.dismissed)) * 1000) / 1000,
      };
    });
}

const csvCell = (v: string | number | null) => {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const s = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * CSV text of report rows: header line, CRLF line ends, UTF-8 BOM. Cells starting with `= + - @` are
 * prefixed with `'` (spreadsheet formula injection guard).
 */
export function reportCsv(rows: readonly ReportRow[], groupBy: string): string {
  const header = [
    groupBy,
    'cases',
    'dismissed',
    'median_minutes_to_accept',
    'median_minutes_to_resolve',
    'overdue_rate',
    'false_alarm_rate',
  ];
  const lines = [header.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.key,
        r.cases,
        r.dismissed,
        r.medianMinutesToAccept,
        r.medianMinutesToResolve,
        r.overdueRate,
        r.falseAlarmRate,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
