/**
 * Dispatch domain schemas (zod): the single source of truth for dispatch API bodies, responses, socket
 * payloads and the dispatch configuration files in `camera-config/<site>/dispatch/`. The web console imports
 * the inferred types from here, never copies them.
 *
 * Conventions: all times are ISO-8601 strings in UTC (`...Z`); durations are minutes unless the name says
 * otherwise; ids are opaque strings. Objects are `.strict()`: unknown keys are rejected.
 */
import { z } from 'zod';
import { DetectionType } from '../schemas/config.ts';
import { queryDay, queryId, queryInstant, queryLimit } from '../schemas/query.ts';

// ---------------------------------------------------------------------------------------------------------
// Roles, states, actions

/**
 * User roles. `duty`: duty staff (值班员) who review alerts and dispatch; `supervisor` (督办): duty rights plus
 * escalations; `office`: a street office or department user bound to one department; `admin`: read-only over
 * all cases, manages users and the dispatch configuration (`/api/admin/*`).
 */
export const Role = z.enum(['duty', 'supervisor', 'office', 'admin']);
export type Role = z.infer<typeof Role>;

/** Actor roles as recorded in the audit log: a user role, or `system` for the SLA ticker and start-up. */
export const AuditRole = z.enum(['duty', 'supervisor', 'office', 'admin', 'system']);
export type AuditRole = z.infer<typeof AuditRole>;

/** Case lifecycle states (see `caseMachine.ts` for the transition table). */
export const CaseState = z.enum([
  'new',
  'dispatched',
  'accepted',
  'on_site',
  'resolved',
  'verified',
  'closed',
  'returned',
  'reopened',
  'cancelled',
]);
export type CaseState = z.infer<typeof CaseState>;

/** Actions that move a case between states (see `caseMachine.ts`). */
export const CaseAction = z.enum([
  'dispatch',
  'accept',
  'return',
  'arrive',
  'resolve',
  'verify',
  'close',
  'reopen',
  'cancel',
]);
export type CaseAction = z.infer<typeof CaseAction>;

/** Case priority; selects the SLA policy together with the alert type. */
export const Priority = z.enum(['normal', 'high', 'urgent']);
export type Priority = z.infer<typeof Priority>;

/** Why duty staff dismissed an alert as a false alarm. `other` requires a note. */
export const DismissReason = z.enum([
  'cloud',
  'steam',
  'fog',
  'reflection',
  'vehicle',
  'permitted_source',
  'other',
]);
export type DismissReason = z.infer<typeof DismissReason>;

/** What the field unit did on site. */
export const Disposition = z.enum(['stopped_burning', 'covered_stockpile', 'fined', 'referred', 'other']);
export type Disposition = z.infer<typeof Disposition>;

/** Special zone types (GeoJSON polygons in `zones.geojson`). */
export const ZoneType = z.enum([
  'construction_site',
  'industrial_park',
  'river_corridor',
  'farmland',
  'stockpile_yard',
]);
export type ZoneType = z.infer<typeof ZoneType>;

// ---------------------------------------------------------------------------------------------------------
// Stored records

/** WGS84 position in decimal degrees. */
export const LatLon = z
  .object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
  .strict();
export type LatLon = z.infer<typeof LatLon>;

/** How the routing position of a case was obtained. */
export const PositionSource = z.enum(['alert', 'bearing_ray', 'camera', 'none']);
export type PositionSource = z.infer<typeof PositionSource>;

/** SLA stages (deadlines counted from the latest dispatch). */
export const SlaStage = z.enum(['accept', 'arrive', 'resolve']);
export type SlaStage = z.infer<typeof SlaStage>;

/**
 * A case (案件) as stored and as the API returns it. Timeline fields describe the current dispatch cycle: a
 * re-dispatch (after `returned` or `reopened`) sets a new `dispatchedAt` and clears the later stages.
 */
export const Case = z
  .object({
    id: z.string(),
    state: CaseState,
    /** Optimistic-concurrency version, starts at 1, +1 on every stored change. */
    version: z.number().int().min(1),
    alertType: DetectionType,
    priority: Priority,
    cameraId: z.string(),
    presetId: z.string().nullable(),
    /** Alerts of this case; the first one opened it, later ones were merged. */
    alertIds: z.array(z.string()).min(1),
    position: LatLon.nullable(),
    positionSource: PositionSource,
    jurisdictionId: z.string().nullable(),
    zoneId: z.string().nullable(),
    zoneType: ZoneType.nullable(),
    /** Department suggested by the routing rules at confirmation (null when nothing matched). */
    suggestedDepartmentId: z.string().nullable(),
    /** Department the case is (or was last) dispatched to. */
    departmentId: z.string().nullable(),
    disposition: Disposition.nullable(),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    dispatchedAt: z.string().nullable(),
    acceptedAt: z.string().nullable(),
    onSiteAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    verifiedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    /** Stages whose deadline passed in the current cycle (set by the SLA ticker, sticky within the cycle). */
    overdue: z.array(SlaStage),
    /** 0 = not escalated; 1.. = escalation level reached in the current cycle. */
    escalationLevel: z.number().int().min(0),
  })
  .strict();
export type Case = z.infer<typeof Case>;

/** One audit log row (append-only, hash-chained; see `audit.ts`). */
export const AuditEntry = z
  .object({
    id: z.number().int().min(1),
    at: z.string(),
    actorId: z.string(),
    actorRole: AuditRole,
    /** `case.<action>`, `alert.confirm|dismiss|merge`, `case.feedback`, `case.overdue`, `case.escalate`, ... */
    action: z.string(),
    entityType: z.enum(['case', 'alert', 'user', 'session', 'config', 'camera']),
    entityId: z.string(),
    caseId: z.string().nullable(),
    fromState: z.string().nullable(),
    toState: z.string().nullable(),
    reason: z.string().nullable(),
    /** Free-form structured details (JSON object), e.g. `{ suggested, chosen }` for a routing override. */
    details: z.record(z.string(), z.unknown()),
    requestId: z.string().nullable(),
    /** sha256 hex of the previous row (64 zeros for the first row). */
    prevHash: z.string(),
    /** sha256 hex of `prevHash + canonicalJson(row without hash)`. */
    hash: z.string(),
  })
  .strict();
export type AuditEntry = z.infer<typeof AuditEntry>;

/** An alert dismissed as a false alarm (kept per camera/preset for detector tuning). */
export const Dismissal = z
  .object({
    alertId: z.string(),
    alertType: DetectionType,
    cameraId: z.string(),
    presetId: z.string().nullable(),
    reason: DismissReason,
    note: z.string().nullable(),
    at: z.string(),
    actorId: z.string(),
  })
  .strict();
export type Dismissal = z.infer<typeof Dismissal>;

/** One photo of a feedback entry, stored as JPEG under `<dataDir>/cases/<caseId>/<file>`. */
export const FeedbackPhoto = z
  .object({ file: z.string(), bytes: z.number().int(), width: z.number().int(), height: z.number().int() })
  .strict();
export type FeedbackPhoto = z.infer<typeof FeedbackPhoto>;

/** A field feedback entry (notes, photos, disposition) added to a case. */
export const Feedback = z
  .object({
    id: z.string(),
    caseId: z.string(),
    at: z.string(),
    actorId: z.string(),
    actorRole: Role,
    note: z.string().nullable(),
    disposition: Disposition.nullable(),
    photos: z.array(FeedbackPhoto),
  })
  .strict();
export type Feedback = z.infer<typeof Feedback>;

/** A user as the API shows it (never the password hash). */
export const User = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: Role,
    /** Department of an `office` user; null for the other roles. */
    departmentId: z.string().nullable(),
  })
  .strict();
export type User = z.infer<typeof User>;

// ---------------------------------------------------------------------------------------------------------
// API bodies and queries

export const LoginBody = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
  .strict();
export type LoginBody = z.infer<typeof LoginBody>;

/** `POST /api/auth/login` and `GET /api/auth/me`: the user and the CSRF token to send as `x-csrf-token`. */
export const SessionResponse = z.object({ user: User, csrfToken: z.string() }).strict();
export type SessionResponse = z.infer<typeof SessionResponse>;

export const ConfirmBody = z
  .object({ priority: Priority.default('normal'), note: z.string().max(2000).optional() })
  .strict();
export type ConfirmBody = z.infer<typeof ConfirmBody>;

export const DismissBody = z
  .object({ reason: DismissReason, note: z.string().trim().max(2000).optional() })
  .strict()
  .refine((b) => b.reason !== 'other' || (b.note !== undefined && b.note.length > 0), {
    message: 'a note is required when the reason is "other"',
    path: ['note'],
  });
export type DismissBody = z.infer<typeof DismissBody>;

export const MergeBody = z.object({ caseId: z.string().min(1) }).strict();
export type MergeBody = z.infer<typeof MergeBody>;

/**
 * `POST /api/cases/:id/transitions`. `expectedVersion` may instead come as an `If-Match: "<version>"` header;
 * one of them is required. `departmentId` is required for `dispatch`; `reason` for `return`, `reopen` and
 * `cancel`; `disposition` may accompany `resolve` (a disposition is required to resolve).
 */
export const TransitionBody = z
  .object({
    action: CaseAction,
    reason: z.string().trim().min(1).max(2000).optional(),
    departmentId: z.string().min(1).optional(),
    disposition: Disposition.optional(),
    expectedVersion: z.number().int().min(1).optional(),
  })
  .strict();
export type TransitionBody = z.infer<typeof TransitionBody>;

/** Text fields of the multipart `POST /api/cases/:id/feedback` (photos go in the `photos` file field). */
export const FeedbackFields = z
  .object({
    note: z.string().trim().max(4000).optional(),
    disposition: Disposition.optional(),
    expectedVersion: z.coerce.number().int().min(1).optional(),
  })
  .strict();
export type FeedbackFields = z.infer<typeof FeedbackFields>;

export const CaseListQuery = z
  .object({
    state: CaseState.optional(),
    department: queryId().optional(),
    limit: queryLimit(500, 100),
  })
  .strict();
export type CaseListQuery = z.infer<typeof CaseListQuery>;

/**
 * `when` of a cross-field refinement: run it only once every field parsed, so a bad field gets one issue (its own),
 * not a second one comparing its raw text.
 */
const fieldsValid = (payload: { issues: readonly unknown[] }): boolean => payload.issues.length === 0;

/**
 * `GET /api/reports/cases`: cases created in [from, to) (instants with `Z` or an offset, normalised to UTC; `from`
 * must be before `to`, which an empty report used to hide).
 */
export const ReportQuery = z
  .object({
    from: queryInstant(),
    to: queryInstant(),
    groupBy: z.enum(['type', 'department', 'camera']).default('type'),
  })
  .strict()
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'], when: fieldsValid });
export type ReportQuery = z.infer<typeof ReportQuery>;

/** `GET /api/dismissals/stats`: dismissal counts per camera, preset and reason (for tuning). */
export const DismissalStatsQuery = z
  .object({
    cameraId: queryId().optional(),
    from: queryInstant().optional(),
    to: queryInstant().optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
    when: fieldsValid,
  });
export type DismissalStatsQuery = z.infer<typeof DismissalStatsQuery>;

export const DismissalStat = z
  .object({
    cameraId: z.string(),
    presetId: z.string().nullable(),
    reason: DismissReason,
    count: z.number().int(),
  })
  .strict();
export type DismissalStat = z.infer<typeof DismissalStat>;

/** One report row. Minutes are medians over the cases that reached the stage; null when none did. */
export const ReportRow = z
  .object({
    key: z.string(),
    cases: z.number().int(),
    dismissed: z.number().int(),
    medianMinutesToAccept: z.number().nullable(),
    medianMinutesToResolve: z.number().nullable(),
    /** Share of cases with any overdue stage, 0..1 (null without cases). */
    overdueRate: z.number().nullable(),
    /** dismissed / (dismissed + cases), 0..1; null when grouping by department (dismissals have none). */
    falseAlarmRate: z.number().nullable(),
  })
  .strict();
export type ReportRow = z.infer<typeof ReportRow>;

/** A local calendar day, `YYYY-MM-DD`, that exists. */
const LocalDay = queryDay();

/** True when `tz` is an IANA time zone this runtime knows (`Asia/Shanghai`, `UTC`, ...). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * `GET /api/reports/dashboard`: the days `from`..`to` (inclusive, local calendar days in `tz`, at most 366),
 * bucketed by local day in `tz` (the browser sends its own zone; stored times are UTC).
 */
export const DashboardQuery = z
  .object({
    from: LocalDay,
    to: LocalDay,
    tz: z.string().min(1).max(64).refine(isTimeZone, 'unknown IANA time zone').default('UTC'),
  })
  .strict()
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'], when: fieldsValid });
export type DashboardQuery = z.infer<typeof DashboardQuery>;

/** Minutes to accept / resolve of one department: case count that reached the stage, median and p90. */
export const DashboardTiming = z
  .object({
    /** Department id (`(none)` for cases never dispatched). */
    departmentId: z.string(),
    cases: z.number().int(),
    accepted: z.number().int(),
    /** Minutes from dispatch to accept (current cycle); null when no case was accepted. */
    acceptP50: z.number().nullable(),
    acceptP90: z.number().nullable(),
    resolved: z.number().int(),
    /** Minutes from confirmation (case created) to resolution; null when none was resolved. */
    resolveP50: z.number().nullable(),
    resolveP90: z.number().nullable(),
  })
  .strict();
export type DashboardTiming = z.infer<typeof DashboardTiming>;

/** False alarms of one camera: dismissed ÷ reviewed alerts (confirmed + merged + dismissed). */
export const DashboardFalseAlarms = z
  .object({
    cameraId: z.string(),
    reviewed: z.number().int(),
    dismissed: z.number().int(),
    /** dismissed / reviewed, 0..1 (reviewed > 0 always). */
    rate: z.number(),
    /** Dismissals by reason (only reasons that occurred). */
    reasons: z.partialRecord(DismissReason, z.number().int()),
  })
  .strict();
export type DashboardFalseAlarms = z.infer<typeof DashboardFalseAlarms>;

/** `GET /api/reports/dashboard` answer. Day series are aligned to `days` (index i = `days[i]`). */
export const DashboardResponse = z
  .object({
    from: LocalDay,
    to: LocalDay,
    tz: z.string(),
    days: z.array(LocalDay),
    /** Reviewed alerts per day of review, by alert type and outcome. */
    alertsByDay: z.array(
      z
        .object({
          day: z.number().int(),
          alertType: DetectionType,
          kind: z.enum(['confirmed', 'merged', 'dismissed']),
          count: z.number().int(),
        })
        .strict(),
    ),
    /** Cases per day of creation, by alert type and (last) department (`(none)` when never dispatched). */
    casesByDay: z.array(
      z
        .object({
          day: z.number().int(),
          alertType: DetectionType,
          departmentId: z.string(),
          count: z.number().int(),
        })
        .strict(),
    ),
    timings: z.array(DashboardTiming),
    falseAlarms: z.array(DashboardFalseAlarms),
  })
  .strict();
export type DashboardResponse = z.infer<typeof DashboardResponse>;

export const CaseDetailResponse = z
  .object({
    case: Case,
    /** Actions the requesting user may take on the case in its current state. */
    allowedActions: z.array(CaseAction),
    /** SLA deadlines of the current dispatch cycle (UTC ISO); null when no policy applies or not active. */
    deadlines: z.object({ accept: z.string(), arrive: z.string(), resolve: z.string() }).strict().nullable(),
    /** Display names of the users in the audit trail, by user id. */
    actorNames: z.record(z.string(), z.string()),
    audit: z.array(AuditEntry),
    feedback: z.array(Feedback),
  })
  .strict();
export type CaseDetailResponse = z.infer<typeof CaseDetailResponse>;

// ---------------------------------------------------------------------------------------------------------
// Socket payloads

/** Case event kinds published to socket rooms (see `roomsFor` in `access.ts`). */
export const CaseEventKind = z.enum([
  'case.created',
  'case.updated',
  'case.feedback',
  'case.overdue',
  'case.escalated',
]);
export type CaseEventKind = z.infer<typeof CaseEventKind>;

/**
 * A case event. `case` is the state after the change; `auditId` is the audit row that recorded it (a client
 * can order and de-duplicate by it); `escalationLevel`/`overdue` repeat the case fields for convenience.
 */
export const CaseEvent = z
  .object({ kind: CaseEventKind, at: z.string(), auditId: z.number().int(), case: Case })
  .strict();
export type CaseEvent = z.infer<typeof CaseEvent>;

/** Socket event name for {@link CaseEvent}s. */
export const CASE_SOCKET_EVENT = 'case' as const;

// ---------------------------------------------------------------------------------------------------------
// Configuration files (camera-config/<site>/dispatch/)

/** A department or street office. `kind` tells bureaus (局) from street offices (街道办). */
export const Department = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a lowercase slug'),
    name: z.string().min(1),
    kind: z.enum(['bureau', 'street_office']),
  })
  .strict();
export type Department = z.infer<typeof Department>;

export const DepartmentsFile = z.object({ departments: z.array(Department).min(1) }).strict();
export type DepartmentsFile = z.infer<typeof DepartmentsFile>;

const Position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const LinearRing = z
  .array(Position)
  .min(4)
  .refine((r) => {
    const a = r[0];
    const b = r[r.length - 1];
    return a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1];
  }, 'a linear ring must be closed (first position = last position)');

/** GeoJSON Polygon or MultiPolygon geometry (RFC 7946; positions are [lon, lat]). */
export const PolygonGeometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: z.array(LinearRing).min(1) }).strict(),
  z
    .object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(LinearRing).min(1)).min(1) })
    .strict(),
]);
export type PolygonGeometry = z.infer<typeof PolygonGeometry>;

/** A jurisdiction (辖区): the area of one street office, bound to its department. */
export const JurisdictionFeature = z
  .object({
    type: z.literal('Feature'),
    id: z.string().optional(),
    properties: z
      .object({ id: z.string().min(1), name: z.string().min(1), departmentId: z.string().min(1) })
      .strict(),
    geometry: PolygonGeometry,
  })
  .strict();
export type JurisdictionFeature = z.infer<typeof JurisdictionFeature>;

export const JurisdictionsFile = z
  .object({ type: z.literal('FeatureCollection'), features: z.array(JurisdictionFeature).min(1) })
  .strict();
export type JurisdictionsFile = z.infer<typeof JurisdictionsFile>;

/** A special zone (construction site, industrial park, ...). */
export const ZoneFeature = z
  .object({
    type: z.literal('Feature'),
    id: z.string().optional(),
    properties: z.object({ id: z.string().min(1), name: z.string().min(1), zoneType: ZoneType }).strict(),
    geometry: PolygonGeometry,
  })
  .strict();
export type ZoneFeature = z.infer<typeof ZoneFeature>;

export const ZonesFile = z
  .object({ type: z.literal('FeatureCollection'), features: z.array(ZoneFeature) })
  .strict();
export type ZonesFile = z.infer<typeof ZonesFile>;

/**
 * A routing rule: when every given condition matches, suggest `departmentId`. Omitted conditions match
 * anything. The most specific matching rule wins (most conditions given); ties go to the higher `priority`,
 * then to the earlier rule in the file.
 */
export const RoutingRule = z
  .object({
    alertType: DetectionType.optional(),
    zoneType: ZoneType.optional(),
    jurisdictionId: z.string().optional(),
    /** One special zone (its `properties.id` in `zones.geojson`); more specific than `zoneType`. */
    zoneId: z.string().min(1).optional(),
    departmentId: z.string().min(1),
    priority: z.number().int().default(0),
    note: z.string().optional(),
  })
  .strict();
export type RoutingRule = z.infer<typeof RoutingRule>;

/**
 * Bearing-ray sampling when an alert has no position of its own: points every `stepM` metres from `minRangeM`
 * to `maxRangeM` along the camera's bearing to the detection box centre.
 */
export const RaySampling = z
  .object({
    stepM: z.number().positive().default(100),
    minRangeM: z.number().min(0).default(100),
    maxRangeM: z.number().positive().default(6000),
  })
  .strict();
export type RaySampling = z.infer<typeof RaySampling>;

export const RulesFile = z
  .object({
    rules: z.array(RoutingRule),
    /** Fallback when no rule matches: the department bound to the jurisdiction hit (default true). */
    fallbackToJurisdiction: z.boolean().default(true),
    ray: RaySampling.default({ stepM: 100, minRangeM: 100, maxRangeM: 6000 }),
  })
  .strict();
export type RulesFile = z.infer<typeof RulesFile>;

/**
 * SLA deadlines in minutes, all counted from the latest dispatch: accept by `dispatchedAt + acceptMin`,
 * arrive on site by `dispatchedAt + arriveMin`, resolve by `dispatchedAt + resolveMin`. A case overdue on a
 * stage is escalated one level every `escalateAfterMin` after that deadline, up to `maxLevel`.
 */
export const SlaPolicy = z
  .object({
    alertType: DetectionType.optional(),
    priority: Priority.optional(),
    acceptMin: z.number().positive(),
    arriveMin: z.number().positive(),
    resolveMin: z.number().positive(),
    escalateAfterMin: z.number().positive(),
    maxLevel: z.number().int().min(1).max(5).default(2),
  })
  .strict()
  .refine((p) => p.acceptMin <= p.arriveMin && p.arriveMin <= p.resolveMin, {
    message: 'deadlines must satisfy acceptMin <= arriveMin <= resolveMin',
    path: ['resolveMin'],
  });
export type SlaPolicy = z.infer<typeof SlaPolicy>;

export const SlaFile = z.object({ policies: z.array(SlaPolicy).min(1) }).strict();
export type SlaFile = z.infer<typeof SlaFile>;

/** A seed user. The password comes from env `TOWERWATCH_PASSWORD_<USERNAME>` or is generated and printed. */
export const SeedUser = z
  .object({
    username: z.string().regex(/^[a-z0-9][a-z0-9_.-]{1,31}$/, 'must be a lowercase login name'),
    displayName: z.string().min(1),
    role: Role,
    departmentId: z.string().optional(),
  })
  .strict()
  .refine((u) => (u.role === 'office') === (u.departmentId !== undefined), {
    message: 'departmentId is required for office users and not allowed for other roles',
    path: ['departmentId'],
  });
export type SeedUser = z.infer<typeof SeedUser>;

export const UsersFile = z.object({ users: z.array(SeedUser) }).strict();
export type UsersFile = z.infer<typeof UsersFile>;

/** Evidence photo settings (`evidence.yaml`, optional). */
export const EvidenceSettings = z
  .object({
    /** Max bytes per uploaded photo (default 15 MiB). */
    maxPhotoBytes: z
      .number()
      .int()
      .positive()
      .default(15 * 1024 * 1024),
    maxPhotos: z.number().int().min(1).max(20).default(6),
    /** Keep the EXIF block (which holds the GPS location) when re-encoding; default false (stripped). */
    keepExifLocation: z.boolean().default(false),
    /** Longest side after re-encoding, px. */
    maxSidePx: z.number().int().min(320).default(2560),
    /**
     * Days evidence files (alert snapshots/clips, case photos) are kept after their alert or case closed;
     * 0 = forever. Evidence of an open alert or of an alert linked to an open case is never removed.
     */
    retentionDays: z.number().int().min(0).default(0),
  })
  .strict();
export type EvidenceSettings = z.infer<typeof EvidenceSettings>;

// ---------------------------------------------------------------------------------------------------------
// Admin API (`/api/admin/*`, role admin): dispatch configuration and users. The console validates its forms
// with these very schemas. Validation errors answer 400 with `details` = zod-style issues
// (`{ code, path, message }[]`, `path` relative to the body, e.g. `["rules", 2, "departmentId"]`).

/** `POST /api/admin/departments`. */
export const DepartmentBody = Department;
export type DepartmentBody = z.infer<typeof DepartmentBody>;

/** `PUT /api/admin/departments/:id` (the id cannot change). */
export const DepartmentUpdateBody = Department.omit({ id: true }).strict();
export type DepartmentUpdateBody = z.infer<typeof DepartmentUpdateBody>;

const AreaId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a lowercase slug');

/** `POST /api/admin/jurisdictions`: a street office area bound to a department (geometry drawn on the map). */
export const JurisdictionBody = z
  .object({
    id: AreaId,
    name: z.string().trim().min(1).max(100),
    departmentId: z.string().min(1),
    geometry: PolygonGeometry,
  })
  .strict();
export type JurisdictionBody = z.infer<typeof JurisdictionBody>;
export const JurisdictionUpdateBody = JurisdictionBody.omit({ id: true }).strict();
export type JurisdictionUpdateBody = z.infer<typeof JurisdictionUpdateBody>;

/** `POST /api/admin/zones`: a special zone (geometry drawn on the map). */
export const ZoneBody = z
  .object({
    id: AreaId,
    name: z.string().trim().min(1).max(100),
    zoneType: ZoneType,
    geometry: PolygonGeometry,
  })
  .strict();
export type ZoneBody = z.infer<typeof ZoneBody>;
export const ZoneUpdateBody = ZoneBody.omit({ id: true }).strict();
export type ZoneUpdateBody = z.infer<typeof ZoneUpdateBody>;

/** `PUT /api/admin/rules`: the whole ordered rule list; `expectedVersion` as read (409 when stale). */
export const RulesBody = z
  .object({
    rules: z.array(RoutingRule).max(500),
    fallbackToJurisdiction: z.boolean(),
    ray: RaySampling.optional(),
    expectedVersion: z.number().int().min(0),
  })
  .strict();
export type RulesBody = z.infer<typeof RulesBody>;

/** `PUT /api/admin/sla`: the whole policy list; `expectedVersion` as read (409 when stale). */
export const SlaBody = z
  .object({ policies: z.array(SlaPolicy).min(1).max(200), expectedVersion: z.number().int().min(0) })
  .strict();
export type SlaBody = z.infer<typeof SlaBody>;

/** `POST /api/admin/route-test`: where would an alert of `alertType` at this point be routed? */
export const RouteTestBody = z
  .object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), alertType: DetectionType })
  .strict();
export type RouteTestBody = z.infer<typeof RouteTestBody>;

/** Answer of `POST /api/admin/route-test`: what the point lies in and the rule/department it routes to. */
export const RouteTestResult = z
  .object({
    jurisdictionId: z.string().nullable(),
    zoneId: z.string().nullable(),
    zoneType: ZoneType.nullable(),
    departmentId: z.string().nullable(),
    /** Index of the winning rule, `jurisdiction` (street-office fallback) or null (no suggestion). */
    matchedBy: z.union([z.number().int(), z.literal('jurisdiction')]).nullable(),
    rule: RoutingRule.nullable(),
  })
  .strict();
export type RouteTestResult = z.infer<typeof RouteTestResult>;

/** Minimum password length for users created or reset by an admin (NIST SP 800-63B: at least 8). */
export const MIN_PASSWORD_LENGTH = 8;
const NewPassword = z.string().min(MIN_PASSWORD_LENGTH).max(256);

const officeNeedsDepartment = {
  message: 'departmentId is required for office users and not allowed for other roles',
  path: ['departmentId'],
};

/** `POST /api/admin/users`. */
export const CreateUserBody = z
  .object({
    username: SeedUser.shape.username,
    displayName: z.string().trim().min(1).max(100),
    role: Role,
    departmentId: z.string().min(1).optional(),
    password: NewPassword,
  })
  .strict()
  .refine((u) => (u.role === 'office') === (u.departmentId !== undefined), officeNeedsDepartment);
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** `PATCH /api/admin/users/:id`: any subset; `departmentId: null` clears it (non-office roles). */
export const UpdateUserBody = z
  .object({
    displayName: z.string().trim().min(1).max(100).optional(),
    role: Role.optional(),
    departmentId: z.string().min(1).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

/** `POST /api/admin/users/:id/password`: the admin sets a new password. */
export const PasswordBody = z.object({ password: NewPassword }).strict();
export type PasswordBody = z.infer<typeof PasswordBody>;

/** A user as the admin pages see it (never the password hash). */
export const AdminUser = User.extend({ disabled: z.boolean(), createdAt: z.string() }).strict();
export type AdminUser = z.infer<typeof AdminUser>;

/** Versions of the configuration documents (0 = still the file as loaded at start, never edited). */
export const ConfigVersions = z
  .object({
    departments: z.number().int(),
    jurisdictions: z.number().int(),
    zones: z.number().int(),
    rules: z.number().int(),
    sla: z.number().int(),
  })
  .strict();
export type ConfigVersions = z.infer<typeof ConfigVersions>;

/** `GET /api/admin/dispatch-config`: the live dispatch configuration. */
export const AdminConfigResponse = z
  .object({
    departments: z.array(Department),
    jurisdictions: z.array(JurisdictionFeature),
    zones: z.array(ZoneFeature),
    rules: RulesFile,
    sla: z.array(SlaPolicy),
    versions: ConfigVersions,
  })
  .strict();
export type AdminConfigResponse = z.infer<typeof AdminConfigResponse>;
