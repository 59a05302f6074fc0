import { describe, expect, it } from 'vitest';
import { retentionVictims } from './retention.ts';

const now = Date.UTC(2027, 0, 1);
const daysAgo = (d: number) => new Date(now - d * 86_400_000).toISOString();

describe('retentionVictims', () => {
  const input = {
    alerts: [
      { id: 'old-closed', status: 'closed' as const, closedAt: daysAgo(400) },
      { id: 'old-closed-in-open-case', status: 'closed' as const, closedAt: daysAgo(400) },
      { id: 'recent-closed', status: 'closed' as const, closedAt: daysAgo(10) },
      { id: 'open', status: 'open' as const, closedAt: null },
    ],
    cases: [
      {
        id: 'c-open',
        state: 'on_site' as const,
        alertIds: ['old-closed-in-open-case'],
        closedAt: null,
        updatedAt: daysAgo(500),
      },
      {
        id: 'c-old',
        state: 'closed' as const,
        alertIds: ['old-closed'],
        closedAt: daysAgo(400),
        updatedAt: daysAgo(400),
      },
      {
        id: 'c-recent',
        state: 'closed' as const,
        alertIds: ['recent-closed'],
        closedAt: daysAgo(5),
        updatedAt: daysAgo(5),
      },
      {
        id: 'c-cancelled',
        state: 'cancelled' as const,
        alertIds: ['x'],
        closedAt: null,
        updatedAt: daysAgo(800),
      },
    ],
  };

  it('removes only evidence past retention, never that of an open alert or an open case', () => {
    expect(retentionVictims(input, now, 365)).toEqual({
      alertIds: ['old-closed'],
      caseIds: ['c-old', 'c-cancelled'],
    });
  });

  it('keeps everything when retention is 0 (forever)', () => {
    expect(retentionVictims(input, now, 0)).toEqual({ alertIds: [], caseIds: [] });
  });
});
