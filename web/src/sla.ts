/**
 * SLA deadlines in the console. The policies come once per session from `GET /api/sla/policies`; each case's
 * deadlines are computed with the server's own pure `services/dispatch/sla.ts` (so the board and the office
 * portal agree with the SLA ticker), and {@link deadlineStatus} says per stage whether it was met, is pending
 * (time left) or is overdue (time past). The case page uses the `deadlines` of `GET /api/cases/:id`.
 */
import { useEffect, useState } from 'react';
import type { Case, SlaPolicy, SlaStage } from '../../services/dispatch/schemas.ts';
import { evaluateSla, policyFor } from '../../services/dispatch/sla.ts';
import { cachedList } from './resource.ts';

/** Deadlines of the current dispatch cycle, ISO UTC (the API's `CaseDetailResponse.deadlines`). */
export type Deadlines = Record<SlaStage, string>;

export const SLA_STAGES: readonly SlaStage[] = ['accept', 'arrive', 'resolve'];

/** One stage: `met` (reached, `at` when), `pending` (`ms` left) or `overdue` (`ms` past the deadline). */
export type StageStatus =
  { state: 'met'; at: string } | { state: 'pending'; ms: number } | { state: 'overdue'; ms: number };

const reachedAt = (c: Pick<Case, 'acceptedAt' | 'onSiteAt' | 'resolvedAt'>, s: SlaStage): string | null =>
  s === 'accept' ? c.acceptedAt : s === 'arrive' ? c.onSiteAt : c.resolvedAt;

/** Status of stage `s` of case `c` with deadline `deadline` (ISO) at `nowMs` (epoch ms). Pure. */
export function deadlineStatus(
  c: Pick<Case, 'acceptedAt' | 'onSiteAt' | 'resolvedAt'>,
  s: SlaStage,
  deadline: string,
  nowMs: number,
): StageStatus {
  const at = reachedAt(c, s);
  if (at !== null) return { state: 'met', at };
  const left = Date.parse(deadline) - nowMs;
  return left >= 0 ? { state: 'pending', ms: left } : { state: 'overdue', ms: -left };
}

/** Deadlines of a case under the policies (null when no policy applies or the case is not active). Pure. */
export function caseDeadlines(c: Case, policies: readonly SlaPolicy[]): Deadlines | null {
  const d = evaluateSla(c, policyFor(c, policies), 0).deadlines;
  if (d === null) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  return { accept: iso(d.accept), arrive: iso(d.arrive), resolve: iso(d.resolve) };
}

/** A duration in ms as whole hours and minutes (rounded up to the minute, so "0 min" never shows as late). */
export function splitDuration(ms: number): { d: number; h: number; m: number } {
  const totalMin = Math.max(1, Math.ceil(ms / 60_000));
  return { d: Math.floor(totalMin / 1440), h: Math.floor((totalMin % 1440) / 60), m: totalMin % 60 };
}

/** The SLA policies (empty until loaded; loads on first use). */
export const useSlaPolicies: () => readonly SlaPolicy[] = cachedList(
  '/api/sla/policies',
  (b: { policies: SlaPolicy[] }) => b.policies,
);

/** Epoch ms, re-rendering every `everyMs` (remaining times on screen). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}
