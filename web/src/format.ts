/** Locale-aware formatting. Times are shown in the BROWSER's local time zone (Intl default). */

const dateTimeCache = new Map<string, Intl.DateTimeFormat>();
const percentCache = new Map<string, Intl.NumberFormat>();

export function formatDateTime(iso: string | null, locale: string, fallback = '—'): string {
  if (iso === null) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return fallback;
  let f = dateTimeCache.get(locale);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    dateTimeCache.set(locale, f);
  }
  return f.format(d);
}

/** 0..1 score → "87%". */
export function formatPercent(score: number, locale: string): string {
  let f = percentCache.get(locale);
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
    percentCache.set(locale, f);
  }
  return f.format(Number.isFinite(score) ? Math.min(Math.max(score, 0), 1) : 0);
}
