import { describe, expect, it } from 'vitest';
import type { Case, SlaPolicy } from '../../services/dispatch/schemas.ts';
import { caseDeadlines, deadlineStatus, splitDuration } from './sla.ts';

const policy: SlaPolicy = {
  acceptMin: 15,
  arriveMin: 60,
  resolveMin: 240,
  escalateAfterMin: 30,
  maxLevel: 2,
};
const c = {
  state: 'accepted',
  alertType: 'smoke',
  priority: 'normal',
  dispatchedAt: '2026-11-01T08:00:00.000Z',
  acceptedAt: '2026-11-01T08:10:00.000Z',
  onSiteAt: null,
  resolvedAt: null,
} as unknown as Case;

describe('console SLA deadlines', () => {
  it('computes the deadlines from the latest dispatch like the server', () => {
    expect(caseDeadlines(c, [policy])).toEqual({
      accept: '2026-11-01T08:15:00.000Z',
      arrive: '2026-11-01T09:00:00.000Z',
      resolve: '2026-11-01T12:00:00.000Z',
    });
    expect(caseDeadlines(c, [])).toBeNull();
    expect(caseDeadlines({ ...c, state: 'closed' }, [policy])).toBeNull();
  });

  it('says met, pending with time left, or overdue with time past', () => {
    const now = Date.parse('2026-11-01T09:20:00.000Z');
    expect(deadlineStatus(c, 'accept', '2026-11-01T08:15:00.000Z', now)).toEqual({
      state: 'met',
      at: '2026-11-01T08:10:00.000Z',
    });
    expect(deadlineStatus(c, 'arrive', '2026-11-01T09:00:00.000Z', now)).toEqual({
      state: 'overdue',
      ms: 20 * 60_000,
    });
    expect(deadlineStatus(c, 'resolve', '2026-11-01T12:00:00.000Z', now)).toEqual({
      state: 'pending',
      ms: 160 * 60_000,
    });
  });

  it('splits durations into days, hours and minutes, rounding up', () => {
    expect(splitDuration(160 * 60_000)).toEqual({ d: 0, h: 2, m: 40 });
    expect(splitDuration(1)).toEqual({ d: 0, h: 0, m: 1 });
    expect(splitDuration((26 * 60 + 5) * 60_000)).toEqual({ d: 1, h: 2, m: 5 });
  });
});
