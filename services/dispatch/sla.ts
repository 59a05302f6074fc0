/**
 * SLA evaluation (pure). Deadlines come from the most specific {@link SlaPolicy} for the case's alert type
 * and priority (most conditions given wins, then file order). All deadlines count from the latest
 * `dispatchedAt` (a re-dispatch restarts the clock): accept by +acceptMin, arrive by +arriveMin, resolve by
 * +resolveMin.
 *
 * A stage is **overdue** when it has not been reached and `now` is past its deadline. The escalation level is
 * 0 until the earliest missed deadline `D`; from `D + escalateAfterMin` it is 1, from `D + 2·escalateAfterMin`
 * 2, ..., capped at `maxLevel`. (Being flagged overdue at `D` is level 0: the duty room is told; level 1 and
 * up reach the supervisors.) Only active states (dispatched, accepted, on_site) are evaluated.
 */
import { ACTIVE_STATES } from './caseMachine.ts';
import type { Case, SlaPolicy, SlaStage } from './schemas.ts';

const MIN = 60_000;

/** The policy for a case: most specific (alertType, priority) match, earliest on ties; null if none. */
export function policyFor(
  c: Pick<Case, 'alertType' | 'priority'>,
  policies: readonly SlaPolicy[],
): SlaPolicy | null {
  let best: { p: SlaPolicy; s: number } | null = null;
  for (const p of policies) {
    if (p.alertType !== undefined && p.alertType !== c.alertType) continue;
    if (p.priority !== undefined && p.priority !== c.priority) continue;
    const s = (p.alertType !== undefined ? 1 : 0) + (p.priority !== undefined ? 1 : 0);
    if (!best || s > best.s) best = { p, s };
  }
  return best?.p ?? null;
}

/** SLA status of a case at `nowMs`. Deadlines are epoch ms (null when the case has not been dispatched). */
export interface SlaStatus {
  deadlines: Record<SlaStage, number> | null;
  /** Stages overdue now (not reached and past deadline), in stage order. */
  overdue: SlaStage[];
  /** Escalation level due now (0..maxLevel). */
  level: number;
  /** Next time (epoch ms) the status can change without a user action, or null. */
  nextChangeAt: number | null;
}

const reachedAt = (c: Case, s: SlaStage): string | null =>
  s === 'accept' ? c.acceptedAt : s === 'arrive' ? c.onSiteAt : c.resolvedAt;

/** Evaluates a case at `nowMs` (epoch ms) against `policy`. Pure. */
export function evaluateSla(c: Case, policy: SlaPolicy | null, nowMs: number): SlaStatus {
  if (!policy || !c.dispatchedAt || !ACTIVE_STATES.has(c.state)) {
    return { deadlines: null, overdue: [], level: 0, nextChangeAt: null };
  }
  const t0 = Date.parse(c.dispatchedAt);
  const deadlines: Record<SlaStage, number> = {
    accept: t0 + policy.acceptMin * MIN,
    arrive: t0 + policy.arriveMin * MIN,
    resolve: t0 + policy.resolveMin * MIN,
  };
  const stages: SlaStage[] = ['accept', 'arrive', 'resolve'];
  const overdue = stages.filter((s) => reachedAt(c, s) === null && nowMs > deadlines[s]);
  let level = 0;
  let nextChangeAt: number | null = null;
  const firstMissed = overdue[0];
  if (firstMissed) {
    const step = policy.escalateAfterMin * MIN;
    const since = nowMs - deadlines[firstMissed];
    level = Math.min(policy.maxLevel, Math.floor(since / step));
    if (level < policy.maxLevel) nextChangeAt = deadlines[firstMissed] + (level + 1) * step;
  }
  const pending = stages
    .filter((s) => reachedAt(c, s) === null && nowMs <= deadlines[s])
    .map((s) => deadlines[s] + 1);
  for (const t of pending) if (nextChangeAt === null || t < nextChangeAt) nextChangeAt = t;
  return { deadlines, overdue, level, nextChangeAt };
}
