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

// ---------------------------------------------------------------------------------------------------------
// Roles, states, actions

/**
 * User roles. `duty`: duty staff (值班员) who review alerts and dispatch; `supervisor` (督办): duty rights plus
 * escalations; `office`: a street office or department user bound to one department; `admin`: read-only over
 * all cases (user management is done through the seed file).
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
    entityType: z.enum(['case', 'alert', 'user', 'session', 'camera']),
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
    department: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export type CaseListQuery = z.infer<typeof CaseListQuery>;

/** `GET /api/reports/cases`: cases created in [from, to). */
export const ReportQuery = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    groupBy: z.enum(['type', 'department', 'camera']).default('type'),
  })
  .strict();
export type ReportQuery = z.infer<typeof ReportQuery>;

/** `GET /api/dismissals/stats`: dismissal counts per camera, preset and reason (for tuning). */
export const DismissalStatsQuery = z
  .object({
    cameraId: z.string().optional(),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
  })
  .strict();
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
