/**
 * DispatchService: the rules of the dispatch domain (alert review, case transitions, feedback, SLA ticker,
 * reports). It receives all IO as dependencies (repository, alert lookup, evidence files, clock, publisher)
 * and checks access on every method (see `access.ts`), so no route can forget it.
 *
 * Every change is one repository commit (case rows + audit rows + outbox rows together) and is published to
 * socket rooms only after that commit resolved.
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '../schemas/api.ts';
import { iso, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import {
  assertCanSee,
  assertRole,
  roomsForCase,
  roomsForEscalation,
  STAFF_ROLES,
  SYSTEM_ACTOR,
  type Actor,
} from './access.ts';
import type { AuditInput } from './audit.ts';
import { ACTIVE_STATES, allowedActions, applyTransition, OPEN_STATES } from './caseMachine.ts';
import type { DispatchConfig } from './config.ts';
import { normalisePhoto, type CaseEvidenceStore, type UploadedPhoto } from './evidence.ts';
import {
  AlreadyReviewedError,
  ForbiddenError,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
  VersionConflictError,
} from './errors.ts';
import { dayBuckets, departmentTimings } from './dashboard.ts';
import { buildReport } from './reports.ts';
import type { AlertReview, DispatchRepository, OutboxMessage } from './repository.ts';
import { routeAlert, type CameraGeo } from './routing.ts';
import type {
  AuditEntry,
  Case,
  CaseAction,
  CaseEvent,
  CaseEventKind,
  CaseListQuery,
  ConfirmBody,
  DashboardFalseAlarms,
  DashboardQuery,
  DashboardResponse,
  DismissalStat,
  DismissalStatsQuery,
  DismissBody,
  Disposition,
  Feedback,
  LatLon,
  ReportQuery,
  ReportRow,
  SlaStage,
} from './schemas.ts';
import { evaluateSla, policyFor } from './sla.ts';

/** Read access to alerts (the alert store belongs to the capture/detect side). */
export interface AlertLookup {
  /** The alert, or null when unknown. */
  getAlert(id: string): Promise<Alert | null>;
}

/** Dependencies of {@link DispatchService}. */
export interface DispatchServiceDeps {
  repo: DispatchRepository;
  alerts: AlertLookup;
  /** Camera geometry for the bearing ray (from the camera config); null when unknown. */
  cameraGeo?: (cameraId: string) => CameraGeo | null;
  /** A known position of the detection (future geolocation); when absent the bearing ray is used. */
  alertPosition?: (alert: Alert) => LatLon | null;
  config: Pick<DispatchConfig, 'departments' | 'jurisdictions' | 'zones' | 'rules' | 'sla' | 'evidence'>;
  evidence: CaseEvidenceStore;
  clock: Clock;
  /** Sends an event to one socket room (`roomsFor`); called after commit. */
  publish: (room: string, event: CaseEvent) => void;
  log: Logger;
  /**
   * Outbound messages for a case event (webhook/MQTT), written to the outbox in the same transaction.
   * Absent: no outbound delivery.
   */
  outbound?: (event: Omit<CaseEvent, 'auditId'>) => OutboxMessage[];
}

/** `GET /api/cases/:id`: the case, the actions the caller may take now, its audit trail and feedback. */
export interface CaseDetail {
  case: Case;
  allowedActions: CaseAction[];
  /** SLA deadlines of the current dispatch cycle (UTC ISO), null when no policy applies or the case is not active. */
  deadlines: { accept: string; arrive: string; resolve: string } | null;
  /** Display names of the users in the audit trail, by user id. */
  actorNames: Record<string, string>;
  audit: AuditEntry[];
  feedback: Feedback[];
}

/** What one {@link DispatchService.tick} did. */
export interface TickResult {
  flagged: { caseId: string; stages: SlaStage[] }[];
  escalated: { caseId: string; level: number }[];
  conflicts: string[];
}

/** Feedback input (router: multipart fields + files). */
export interface FeedbackInput {
  note?: string | undefined;
  disposition?: Disposition | undefined;
  expectedVersion?: number | undefined;
  photos: UploadedPhoto[];
}

const FEEDBACK_STATES_OFFICE = new Set(['accepted', 'on_site', 'resolved']);

/** The dispatch domain service. */
export class DispatchService {
  constructor(private readonly deps: DispatchServiceDeps) {}

  private now(): string {
    return iso(this.deps.clock.now());
  }

  private audit(
    actor: Actor | typeof SYSTEM_ACTOR,
    at: string,
    action: string,
    entity: { type: AuditInput['entityType']; id: string; caseId: string | null },
    from: string | null,
    to: string | null,
    reason: string | null,
    details: Record<string, unknown> = {},
  ): AuditInput {
    return {
      at,
      actorId: actor.userId,
      actorRole: actor.role,
      action,
      entityType: entity.type,
      entityId: entity.id,
      caseId: entity.caseId,
      fromState: from,
      toState: to,
      reason,
      details,
      requestId: 'requestId' in actor ? actor.requestId : null,
    };
  }

  private outbox(kind: CaseEventKind, c: Case, at: string): OutboxMessage[] {
    return this.deps.outbound?.({ kind, at, case: c }) ?? [];
  }

  private emit(kind: CaseEventKind, c: Case, audit: AuditEntry | undefined, rooms = roomsForCase(c)): void {
    const event: CaseEvent = { kind, at: audit?.at ?? this.now(), auditId: audit?.id ?? 0, case: c };
    for (const room of rooms) {
      try {
        this.deps.publish(room, event);
      } catch (e) {
        this.deps.log.error({ err: (e as Error).message, room }, 'cannot publish case event');
      }
    }
  }

  private department(id: string) {
    const d = this.deps.config.departments.find((x) => x.id === id);
    if (!d)
      throw new ValidationError(
        `unknown department "${id}"`,
        { field: 'departmentId' },
        'unknown_department',
      );
    return d;
  }

  private async getAlertOr404(id: string): Promise<Alert> {
    const a = await this.deps.alerts.getAlert(id);
    if (!a) throw new NotFoundError('alert');
    return a;
  }

  private async assertNotReviewed(alertId: string): Promise<void> {
    const r = await this.deps.repo.getReview(alertId);
    if (r) throw new AlreadyReviewedError(alertId, r.kind);
  }

  /** Departments (for the dispatch dialog). Any logged-in user. */
  departments() {
    return this.deps.config.departments;
  }

  /** The SLA policies (the console computes each listed case's deadlines with `sla.ts`, as the server does). */
  slaPolicies() {
    return this.deps.config.sla;
  }

  /**
   * Confirms an alert: opens a case in state `new`, routed to a suggested department (see `routing.ts`).
   * @throws ForbiddenError unless duty/supervisor; NotFoundError for an unknown alert;
   *   AlreadyReviewedError (409) when the alert was already confirmed, merged or dismissed.
   */
  async confirmAlert(actor: Actor, alertId: string, body: ConfirmBody): Promise<Case> {
    assertRole(actor, STAFF_ROLES, 'confirm alerts');
    const alert = await this.getAlertOr404(alertId);
    await this.assertNotReviewed(alertId);
    const route = routeAlert(
      alert,
      this.deps.alertPosition?.(alert) ?? null,
      this.deps.cameraGeo?.(alert.cameraId) ?? null,
      this.deps.config,
    );
    const at = this.now();
    const c: Case = {
      id: `case_${randomUUID()}`,
      state: 'new',
      version: 1,
      alertType: alert.type,
      priority: body.priority,
      cameraId: alert.cameraId,
      presetId: alert.presetId,
      alertIds: [alert.id],
      position: route.position,
      positionSource: route.positionSource,
      jurisdictionId: route.jurisdictionId,
      zoneId: route.zoneId,
      zoneType: route.zoneType,
      suggestedDepartmentId: route.suggestedDepartmentId,
      departmentId: null,
      disposition: null,
      createdAt: at,
      createdBy: actor.userId,
      updatedAt: at,
      dispatchedAt: null,
      acceptedAt: null,
      onSiteAt: null,
      resolvedAt: null,
      verifiedAt: null,
      closedAt: null,
      overdue: [],
      escalationLevel: 0,
    };
    const { audit } = await this.deps.repo.commit({
      insertCases: [c],
      reviews: [review(alert, 'confirmed', c.id, null, null, actor.userId, at)],
      audit: [
        this.audit(actor, at, 'alert.confirm', { type: 'case', id: c.id, caseId: c.id }, null, 'new', null, {
          alertId,
          priority: body.priority,
          note: body.note ?? null,
          routing: { ...route },
        }),
      ],
      outbox: this.outbox('case.created', c, at),
    });
    this.emit('case.created', c, audit[0]);
    return c;
  }

  /**
   * Dismisses an alert as a false alarm (reason from the list; note required for `other`). Stored per
   * camera/preset for detector tuning.
   * @throws ForbiddenError, NotFoundError, AlreadyReviewedError as {@link confirmAlert}.
   */
  async dismissAlert(actor: Actor, alertId: string, body: DismissBody): Promise<AlertReview> {
    assertRole(actor, STAFF_ROLES, 'dismiss alerts');
    const alert = await this.getAlertOr404(alertId);
    await this.assertNotReviewed(alertId);
    const at = this.now();
    const r = review(alert, 'dismissed', null, body.reason, body.note ?? null, actor.userId, at);
    await this.deps.repo.commit({
      reviews: [r],
      audit: [
        this.audit(
          actor,
          at,
          'alert.dismiss',
          { type: 'alert', id: alertId, caseId: null },
          null,
          null,
          body.reason,
          {
            note: body.note ?? null,
            cameraId: alert.cameraId,
            presetId: alert.presetId,
          },
        ),
      ],
    });
    return r;
  }

  /**
   * Merges an alert into an open case (same fire seen again or by another camera).
   * @throws NotFoundError for an unknown alert or case; InvalidTransitionError when the case is not open;
   *   AlreadyReviewedError; VersionConflictError when the case changed concurrently.
   */
  async mergeAlert(actor: Actor, alertId: string, caseId: string): Promise<Case> {
    assertRole(actor, STAFF_ROLES, 'merge alerts');
    const alert = await this.getAlertOr404(alertId);
    const c = assertCanSee(actor, await this.deps.repo.getCase(caseId));
    if (!OPEN_STATES.has(c.state))
      throw new InvalidTransitionError(`cannot merge an alert into a case in state "${c.state}"`);
    await this.assertNotReviewed(alertId);
    const at = this.now();
    const next: Case = { ...c, alertIds: [...c.alertIds, alertId], version: c.version + 1, updatedAt: at };
    const { audit } = await this.deps.repo.commit({
      updateCases: [{ next, expectedVersion: c.version }],
      reviews: [review(alert, 'merged', c.id, null, null, actor.userId, at)],
      audit: [
        this.audit(
          actor,
          at,
          'alert.merge',
          { type: 'case', id: c.id, caseId: c.id },
          c.state,
          c.state,
          null,
          { alertId },
        ),
      ],
      outbox: this.outbox('case.updated', next, at),
    });
    this.emit('case.updated', next, audit[0]);
    return next;
  }

  /**
   * Cases visible to the actor, newest first. An office user sees its own department only; asking for another
   * department is 403.
   */
  async listCases(actor: Actor, q: CaseListQuery): Promise<Case[]> {
    let departmentId = q.department;
    if (actor.role === 'office') {
      if (departmentId !== undefined && departmentId !== actor.departmentId) {
        throw new ForbiddenError('an office user may only list its own department');
      }
      departmentId = actor.departmentId ?? '\u0000none';
    }
    return this.deps.repo.listCases({ state: q.state, departmentId, limit: q.limit });
  }

  /** One case with its audit trail and feedback. @throws NotFoundError (also for other departments' cases). */
  async getCase(actor: Actor, id: string): Promise<CaseDetail> {
    const c = assertCanSee(actor, await this.deps.repo.getCase(id));
    const [audit, feedback] = await Promise.all([
      this.deps.repo.caseAudit(id),
      this.deps.repo.listFeedback(id),
    ]);
    const sla = evaluateSla(c, policyFor(c, this.deps.config.sla), this.deps.clock.now());
    const deadlines = sla.deadlines
      ? {
          accept: iso(sla.deadlines.accept),
          arrive: iso(sla.deadlines.arrive),
          resolve: iso(sla.deadlines.resolve),
        }
      : null;
    const actorNames: Record<string, string> = {};
    for (const id of new Set(audit.map((a) => a.actorId))) {
      const u = await this.deps.repo.getUser(id);
      if (u) actorNames[id] = u.displayName;
    }
    return {
      case: c,
      allowedActions: allowedActions(c.state, actor.role),
      deadlines,
      actorNames,
      audit,
      feedback,
    };
  }

  /**
   * Applies a lifecycle action (see `caseMachine.ts`). `expectedVersion` is the version the caller saw.
   * A dispatch to a department other than the suggested one is recorded as an override in the audit row.
   * @throws NotFoundError; VersionConflictError (409); InvalidTransitionError (409); ForbiddenError (403);
   *   ValidationError (400) for a missing reason/department/disposition or an unknown department.
   */
  async transition(
    actor: Actor,
    id: string,
    input: {
      action: CaseAction;
      reason?: string | undefined;
      departmentId?: string | undefined;
      disposition?: Disposition | undefined;
    },
    expectedVersion: number,
  ): Promise<Case> {
    const c = assertCanSee(actor, await this.deps.repo.getCase(id));
    if (c.version !== expectedVersion) throw new VersionConflictError(id, expectedVersion, c.version);
    if (input.action === 'dispatch' && input.departmentId) this.department(input.departmentId);
    const at = this.now();
    const next = applyTransition(c, { ...input, role: actor.role }, at);
    const details: Record<string, unknown> = {};
    if (input.action === 'dispatch') {
      details['suggestedDepartmentId'] = c.suggestedDepartmentId;
      details['departmentId'] = next.departmentId;
      details['previousDepartmentId'] = c.departmentId;
      details['override'] = c.suggestedDepartmentId !== null && c.suggestedDepartmentId !== next.departmentId;
    }
    if (input.action === 'resolve') details['disposition'] = next.disposition;
    const { audit } = await this.deps.repo.commit({
      updateCases: [{ next, expectedVersion }],
      audit: [
        this.audit(
          actor,
          at,
          `case.${input.action}`,
          { type: 'case', id, caseId: id },
          c.state,
          next.state,
          input.reason ?? null,
          details,
        ),
      ],
      outbox: this.outbox('case.updated', next, at),
    });
    this.emit('case.updated', next, audit[0]);
    return next;
  }

  /**
   * Adds field feedback: a note, photos (re-encoded JPEG under `<dataDir>/cases/<id>/`) and/or a disposition.
   * Office users (own department) may add feedback while the case is accepted, on site or resolved; duty
   * staff while it is open. Setting a disposition changes the case and needs `expectedVersion`.
   * @throws ValidationError (400) for bad photos, too many photos, empty feedback or a missing version.
   */
  async addFeedback(
    actor: Actor,
    id: string,
    input: FeedbackInput,
  ): Promise<{ case: Case; feedback: Feedback }> {
    const c = assertCanSee(actor, await this.deps.repo.getCase(id));
    if (actor.role === 'admin') throw new ForbiddenError('role "admin" may not add feedback');
    const allowed = actor.role === 'office' ? FEEDBACK_STATES_OFFICE.has(c.state) : OPEN_STATES.has(c.state);
    if (!allowed) throw new InvalidTransitionError(`cannot add feedback to a case in state "${c.state}"`);
    const settings = this.deps.config.evidence;
    if (!input.note && !input.disposition && input.photos.length === 0) {
      throw new ValidationError('feedback needs a note, a disposition or at least one photo');
    }
    if (input.photos.length > settings.maxPhotos) {
      throw new ValidationError(
        `at most ${settings.maxPhotos} photos per feedback`,
        undefined,
        'too_many_photos',
      );
    }
    if (input.disposition) {
      if (input.expectedVersion === undefined) {
        throw new ValidationError('expectedVersion (or If-Match) is required when setting a disposition', {
          field: 'expectedVersion',
        });
      }
      if (input.expectedVersion !== c.version)
        throw new VersionConflictError(id, input.expectedVersion, c.version);
    }
    const encoded = [];
    for (const [i, p] of input.photos.entries()) encoded.push(await normalisePhoto(p, i + 1, settings));
    const at = this.now();
    const fid = `fb_${randomUUID()}`;
    const photos = encoded.map((e, i) => {
      const file = `${fid}-${i + 1}.jpg`;
      this.deps.evidence.write(id, file, e.jpeg);
      return { file, bytes: e.jpeg.length, width: e.width, height: e.height };
    });
    const feedback: Feedback = {
      id: fid,
      caseId: id,
      at,
      actorId: actor.userId,
      actorRole: actor.role,
      note: input.note ?? null,
      disposition: input.disposition ?? null,
      photos,
    };
    const next: Case | null = input.disposition
      ? { ...c, disposition: input.disposition, version: c.version + 1, updatedAt: at }
      : null;
    const { audit } = await this.deps.repo.commit({
      feedback: [feedback],
      ...(next ? { updateCases: [{ next, expectedVersion: c.version }] } : {}),
      audit: [
        this.audit(actor, at, 'case.feedback', { type: 'case', id, caseId: id }, c.state, c.state, null, {
          feedbackId: fid,
          note: feedback.note,
          disposition: feedback.disposition,
          photos: photos.map((p) => p.file),
        }),
      ],
      outbox: this.outbox('case.feedback', next ?? c, at),
    });
    this.emit('case.feedback', next ?? c, audit[0]);
    return { case: next ?? c, feedback };
  }

  /** A feedback photo of a case. @throws NotFoundError (unknown case/file or not visible). */
  async readPhoto(actor: Actor, id: string, file: string): Promise<Buffer> {
    assertCanSee(actor, await this.deps.repo.getCase(id));
    const known = (await this.deps.repo.listFeedback(id)).some((f) => f.photos.some((p) => p.file === file));
    const data = known ? this.deps.evidence.read(id, file) : null;
    if (!data) throw new NotFoundError('photo');
    return data;
  }

  /**
   * SLA ticker: flags newly overdue stages and raises escalation levels of active cases at `clock.now()`
   * (see `sla.ts`), one commit per changed case with `case.overdue` / `case.escalate` audit rows (actor
   * `system`), then publishes `case.overdue` (duty, supervisor, department rooms) and `case.escalated`.
   * A case changed concurrently by a user is skipped and picked up by the next tick.
   */
  async tick(): Promise<TickResult> {
    const nowMs = this.deps.clock.now();
    const at = iso(nowMs);
    const result: TickResult = { flagged: [], escalated: [], conflicts: [] };
    for (const c of await this.deps.repo.listCasesInStates([...ACTIVE_STATES])) {
      const st = evaluateSla(c, policyFor(c, this.deps.config.sla), nowMs);
      const newStages = st.overdue.filter((s) => !c.overdue.includes(s));
      const level = Math.max(c.escalationLevel, st.level);
      if (newStages.length === 0 && level === c.escalationLevel) continue;
      const next: Case = {
        ...c,
        overdue: [...c.overdue, ...newStages],
        escalationLevel: level,
        version: c.version + 1,
        updatedAt: at,
      };
      const entity = { type: 'case' as const, id: c.id, caseId: c.id };
      const audit: AuditInput[] = newStages.map((s) =>
        this.audit(SYSTEM_ACTOR, at, 'case.overdue', entity, c.state, c.state, `${s} deadline passed`, {
          stage: s,
          deadline: st.deadlines ? iso(st.deadlines[s]) : null,
        }),
      );
      if (level > c.escalationLevel) {
        audit.push(
          this.audit(
            SYSTEM_ACTOR,
            at,
            'case.escalate',
            entity,
            c.state,
            c.state,
            `escalated to level ${level}`,
            { fromLevel: c.escalationLevel, toLevel: level },
          ),
        );
      }
      try {
        const { audit: rows } = await this.deps.repo.commit({
          updateCases: [{ next, expectedVersion: c.version }],
          audit,
          outbox: [
            ...(newStages.length ? this.outbox('case.overdue', next, at) : []),
            ...(level > c.escalationLevel ? this.outbox('case.escalated', next, at) : []),
          ],
        });
        if (newStages.length) {
          result.flagged.push({ caseId: c.id, stages: newStages });
          this.emit('case.overdue', next, rows[0]);
        }
        if (level > c.escalationLevel) {
          result.escalated.push({ caseId: c.id, level });
          this.emit('case.escalated', next, rows[rows.length - 1], roomsForEscalation(next));
        }
      } catch (e) {
        if (!(e instanceof VersionConflictError)) throw e;
        result.conflicts.push(c.id);
      }
    }
    if (result.flagged.length || result.escalated.length) {
      this.deps.log.info({ flagged: result.flagged.length, escalated: result.escalated.length }, 'SLA tick');
    }
    return result;
  }

  /**
   * Report rows over cases created in `[from, to)` (see `reports.ts`). Office users get their own department's
   * cases only (and no false-alarm figures).
   */
  async report(actor: Actor, q: ReportQuery): Promise<ReportRow[]> {
    let cases = await this.deps.repo.casesCreatedBetween(q.from, q.to);
    let dismissals = await this.deps.repo.listReviews({ kind: 'dismissed', from: q.from, to: q.to });
    if (actor.role === 'office') {
      cases = cases.filter((c) => c.departmentId === actor.departmentId);
      dismissals = [];
    }
    return buildReport(cases, dismissals, q.groupBy);
  }

  /**
   * Dashboard figures over the local days `q.from`..`q.to` in zone `q.tz` (see `dashboard.ts`): reviewed
   * alerts and cases per day (counted in SQL), minutes to accept / resolve per department (median, p90) over
   * the cases created in the window, and the false-alarm rate per camera (dismissed ÷ reviewed alerts) with the
   * dismissal reasons. Staff and admin only.
   * @throws ForbiddenError for office users; ValidationError for a span over a year.
   */
  async dashboard(actor: Actor, q: DashboardQuery): Promise<DashboardResponse> {
    assertRole(actor, [...STAFF_ROLES, 'admin'], 'read the dashboard');
    let buckets: { days: string[]; bounds: string[] };
    try {
      buckets = dayBuckets(q.from, q.to, q.tz);
    } catch (e) {
      throw new ValidationError((e as Error).message);
    }
    const { days, bounds } = buckets;
    const from = bounds[0]!;
    const to = bounds[bounds.length - 1]!;
    const [reviewsByDay, casesByDay, outcomes, cases] = await Promise.all([
      this.deps.repo.countReviewsByDay(bounds),
      this.deps.repo.countCasesByDay(bounds),
      this.deps.repo.countReviewOutcomes(from, to),
      this.deps.repo.casesCreatedBetween(from, to),
    ]);
    const cams = new Map<string, DashboardFalseAlarms>();
    for (const o of outcomes) {
      let f = cams.get(o.cameraId);
      if (!f)
        cams.set(o.cameraId, (f = { cameraId: o.cameraId, reviewed: 0, dismissed: 0, rate: 0, reasons: {} }));
      f.reviewed += o.count;
      if (o.kind === 'dismissed') {
        f.dismissed += o.count;
        if (o.reason !== null) f.reasons[o.reason] = (f.reasons[o.reason] ?? 0) + o.count;
      }
    }
    for (const f of cams.values()) f.rate = Math.round((f.dismissed / f.reviewed) * 1000) / 1000;
    return {
      from: q.from,
      to: q.to,
      tz: q.tz,
      days,
      alertsByDay: reviewsByDay.map((r) => ({ ...r })),
      casesByDay: casesByDay.map((r) => ({ ...r, departmentId: r.departmentId ?? '(none)' })),
      timings: departmentTimings(cases),
      falseAlarms: [...cams.values()],
    };
  }

  /** Dismissal counts per camera, preset and reason (detector tuning). Staff and admin only. */
  async dismissalStats(actor: Actor, q: DismissalStatsQuery): Promise<DismissalStat[]> {
    assertRole(actor, [...STAFF_ROLES, 'admin'], 'read dismissal statistics');
    const rows = await this.deps.repo.listReviews({
      kind: 'dismissed',
      cameraId: q.cameraId,
      from: q.from,
      to: q.to,
    });
    const counts = new Map<string, DismissalStat>();
    for (const r of rows) {
      if (!r.reason) continue;
      const k = JSON.stringify([r.cameraId, r.presetId, r.reason]);
      const s = counts.get(k) ?? { cameraId: r.cameraId, presetId: r.presetId, reason: r.reason, count: 0 };
      s.count++;
      counts.set(k, s);
    }
    return [...counts.values()].sort((a, b) => b.count - a.count || a.cameraId.localeCompare(b.cameraId));
  }
}

function review(
  alert: Alert,
  kind: AlertReview['kind'],
  caseId: string | null,
  reason: DismissBody['reason'] | null,
  note: string | null,
  actorId: string,
  at: string,
): AlertReview {
  return {
    alertId: alert.id,
    kind,
    caseId,
    alertType: alert.type,
    cameraId: alert.cameraId,
    presetId: alert.presetId,
    reason,
    note,
    actorId,
    at,
  };
}
