/**
 * Evidence retention. Files only: nothing in the case or alert tables is ever deleted.
 *
 * Rule (pure, {@link retentionVictims}): an alert's evidence (`<dataDir>/evidence/<alertId>.*`) may go when the
 * alert closed more than `retentionDays` ago AND no case that is still open (not closed/cancelled) references
 * it; a case's photos (`<dataDir>/cases/<caseId>/`) may go when the case closed or was cancelled more than
 * `retentionDays` ago. `retentionDays = 0` keeps everything.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Alert } from '../schemas/api.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { DispatchRepository } from './repository.ts';
import type { Case } from './schemas.ts';

const DAY = 86_400_000;
const FINAL = new Set(['closed', 'cancelled']);

export interface RetentionInput {
  alerts: { id: string; status: Alert['status']; closedAt: string | null }[];
  cases: {
    id: string;
    state: Case['state'];
    alertIds: string[];
    closedAt: string | null;
    updatedAt: string;
  }[];
}

/**
 * @returns alert ids and case ids whose evidence files may be removed now.
 */
export function retentionVictims(
  input: RetentionInput,
  nowMs: number,
  retentionDays: number,
): { alertIds: string[]; caseIds: string[] } {
  if (retentionDays <= 0) return { alertIds: [], caseIds: [] };
  const cutoff = nowMs - retentionDays * DAY;
  const protectedAlerts = new Set(input.cases.filter((c) => !FINAL.has(c.state)).flatMap((c) => c.alertIds));
  const alertIds = input.alerts
    .filter(
      (a) =>
        a.status === 'closed' &&
        a.closedAt !== null &&
        Date.parse(a.closedAt) < cutoff &&
        !protectedAlerts.has(a.id),
    )
    .map((a) => a.id);
  const caseIds = input.cases
    .filter((c) => FINAL.has(c.state) && Date.parse(c.closedAt ?? c.updatedAt) < cutoff)
    .map((c) => c.id);
  return { alertIds, caseIds };
}

const ALERT_FILE = /^([A-Za-z0-9_-]{1,64})\.(jpg|clean\.jpg|mp4)$/;

/**
 * Removes the evidence files the rule allows. Alerts/cases are looked up by the ids found on disk.
 * @returns how many alerts' and cases' files were removed.
 */
export async function sweepEvidence(deps: {
  dataDir: string;
  retentionDays: number;
  getAlert: (id: string) => Promise<Alert | null>;
  repo: Pick<DispatchRepository, 'getCase' | 'listCasesInStates'>;
  clock: Clock;
  log: Logger;
}): Promise<{ alerts: number; cases: number }> {
  if (deps.retentionDays <= 0) return { alerts: 0, cases: 0 };
  const evDir = path.join(deps.dataDir, 'evidence');
  const caseDir = path.join(deps.dataDir, 'cases');
  const ls = (d: string) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };
  const alertIds = new Set(ls(evDir).flatMap((f) => ALERT_FILE.exec(f)?.[1] ?? []));
  const alerts = (await Promise.all([...alertIds].map((id) => deps.getAlert(id)))).flatMap((a) => a ?? []);
  const openCases = await deps.repo.listCasesInStates([
    'new',
    'dispatched',
    'accepted',
    'on_site',
    'resolved',
    'verified',
    'returned',
    'reopened',
  ]);
  const finalCases = (await Promise.all(ls(caseDir).map((id) => deps.repo.getCase(id)))).flatMap((c) =>
    c && FINAL.has(c.state) ? [c] : [],
  );
  const v = retentionVictims(
    { alerts, cases: [...openCases, ...finalCases] },
    deps.clock.now(),
    deps.retentionDays,
  );
  for (const id of v.alertIds) {
    for (const f of ls(evDir).filter((n) => ALERT_FILE.exec(n)?.[1] === id))
      rmSync(path.join(evDir, f), { force: true });
  }
  for (const id of v.caseIds) rmSync(path.join(caseDir, id), { recursive: true, force: true });
  if (v.alertIds.length + v.caseIds.length > 0) {
    deps.log.info(
      { alerts: v.alertIds.length, cases: v.caseIds.length, retentionDays: deps.retentionDays },
      'evidence past retention removed',
    );
  }
  return { alerts: v.alertIds.length, cases: v.caseIds.length };
}
