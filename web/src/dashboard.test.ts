import { describe, expect, it } from 'vitest';
import { lastDays, localDay, seriesByDay, seriesTotal } from './dashboard.ts';

describe('dashboard shaping', () => {
  it('gives the last N local days, today included, across a month end', () => {
    const now = new Date(2026, 2, 2, 0, 30); // 2 March, local
    expect(lastDays(now, 7)).toEqual({ from: '2026-02-24', to: '2026-03-02' });
    expect(lastDays(now, 1)).toEqual({ from: '2026-03-02', to: '2026-03-02' });
    expect(localDay(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });

  it('builds aligned day series per key and ignores rows outside the range', () => {
    const rows = [
      { day: 0, alertType: 'smoke', kind: 'dismissed', count: 2 },
      { day: 0, alertType: 'smoke', kind: 'confirmed', count: 1 },
      { day: 2, alertType: 'hotspot', kind: 'confirmed', count: 4 },
      { day: 3, alertType: 'hotspot', kind: 'confirmed', count: 9 },
    ];
    const s = seriesByDay(3, rows, (r) => r.alertType);
    expect(s.keys).toEqual(['hotspot', 'smoke']);
    expect(s.series).toEqual({ smoke: [3, 0, 0], hotspot: [0, 0, 4] });
    expect(seriesTotal(s.series)).toBe(7);
    expect(seriesTotal({})).toBe(0);
  });
});
