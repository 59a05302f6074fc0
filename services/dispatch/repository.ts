/**
 * Storage interface of the dispatch domain. Services depend on this, never on a driver. Two implementations
 * share one SQL core (`sqlRepository.ts`): `sqliteDispatchRepository(db)` (embedded default, same database
 * file as the alert store, own `dispatch_migrations` table) and `pgDispatchRepository(pool)` (PostgreSQL).
 *
 * Writes go through {@link DispatchRepository.commit}: one change set, one transaction, resolved only after
 * COMMIT returned ("acknowledged after commit"). Nothing in the case tables is ever deleted; there is no DELETE
 * statement in this domain.
 */
import type { AuditInput } from './audit.ts';
import type { DetectionType as DetectionTypeName } from '../schemas/config.ts';
import type { AuditEntry, Case, CaseState, DismissReason, Feedback, User } from './schemas.ts';

/** How an alert was reviewed (one review per alert, enforced by the store). */
export type AlertReviewKind = 'confirmed' | 'merged' | 'dismissed';

/** The review of one alert: confirmed (opened `caseId`), merged into `caseId`, or dismissed with a reason. */
export interface AlertReview {
  alertId: string;
  kind: AlertReviewKind;
  caseId: string | null;
  alertType: DetectionTypeName;
  cameraId: string;
  presetId: string | null;
  reason: DismissReason | null;
  note: string | null;
  actorId: string;
  at: string;
}

/** A stored user, with the password hash (argon2id PHC string). Never sent to clients. */
export interface StoredUser extends User {
  passwordHash: string;
  createdAt: string;
  disabled: boolean;
}

/** A server-side session. The cookie holds the token; only its sha256 (`tokenHash`) is stored. */
export interface SessionRecord {
  tokenHash: string;
  userId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

/** A message waiting in the outbox for webhook/MQTT delivery. */
export interface OutboxMessage {
  id: string;
  /** `webhook` or `mqtt`. */
  channel: string;
  /** Topic (MQTT) or event kind (webhook). */
  topic: string;
  /** The exact body to deliver (JSON text). */
  body: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  deliveredAt: string | null;
  lastError: string | null;
}

/** The dispatch configuration documents kept in the database (seeded from the YAML/GeoJSON files). */
export type ConfigKey = 'departments' | 'jurisdictions' | 'zones' | 'rules' | 'sla';

/** One stored configuration document: `body` is the JSON of the file schema; `version` starts at 1. */
export interface ConfigDoc {
  key: ConfigKey;
  version: number;
  body: unknown;
  updatedAt: string;
}

/**
 * Everything one action writes, applied atomically by {@link DispatchRepository.commit}.
 * - `updateCases`: compare-and-set on `expectedVersion`; `next.version` must be `expectedVersion + 1`.
 * - `reviews`: at most one review per alert; a second one throws `AlreadyReviewedError`.
 * - `audit`: chained in order after the current chain head (ids, prevHash, hash assigned here).
 * - `configDocs`: compare-and-set on `expectedVersion` (0 = the document must not exist yet); stored with
 *   version `expectedVersion + 1`.
 * - `insertUsers` (username must be free), `updateUsers` (by id; username, id and createdAt unchanged).
 * - `requireEnabledAdmin`: after the user writes, at least one enabled admin must remain (checked inside the
 *   transaction, so two admins disabling each other at once cannot both succeed).
 */
export interface ChangeSet {
  insertCases?: Case[];
  updateCases?: { next: Case; expectedVersion: number }[];
  reviews?: AlertReview[];
  feedback?: Feedback[];
  audit?: AuditInput[];
  outbox?: OutboxMessage[];
  configDocs?: { key: ConfigKey; body: unknown; expectedVersion: number; at: string }[];
  insertUsers?: StoredUser[];
  updateUsers?: StoredUser[];
  /** Revokes every open session of these users at `at` (password reset, disable). */
  revokeSessionsOf?: { userId: string; at: string }[];
  requireEnabledAdmin?: boolean;
}

/** Case list filter. `departmentId` filters on the assigned department. */
export interface CaseFilter {
  state?: CaseState | undefined;
  departmentId?: string | undefined;
  limit: number;
}

/** Dismissal query filter (times ISO UTC, `[from, to)`). */
export interface ReviewFilter {
  kind?: AlertReviewKind;
  cameraId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Count of cases created in one local day (index into the bounds given), by alert type and department. */
export interface CaseDayCount {
  day: number;
  alertType: DetectionTypeName;
  /** Department the case is (or was last) dispatched to; null when never dispatched. */
  departmentId: string | null;
  count: number;
}

/** Count of alert reviews made in one local day (index into the bounds given), by alert type and outcome. */
export interface ReviewDayCount {
  day: number;
  alertType: DetectionTypeName;
  kind: AlertReviewKind;
  count: number;
}

/** Count of alert reviews of one camera by outcome and dismissal reason (null unless dismissed). */
export interface ReviewOutcomeCount {
  cameraId: string;
  kind: AlertReviewKind;
  reason: DismissReason | null;
  count: number;
}

/** The dispatch store. All methods are async (PostgreSQL); the SQLite one serialises on its connection. */
export interface DispatchRepository {
  /**
   * Applies a change set in one transaction.
   * @returns the chained audit rows, in input order.
   * @throws VersionConflictError when a case's stored version differs from `expectedVersion` (nothing written).
   * @throws AlreadyReviewedError when an alert already has a review (nothing written).
   * @throws ConfigVersionConflictError when a config document's version differs (nothing written).
   * @throws UsernameTakenError for an `insertUsers` username that exists; NotFoundError for an unknown
   *   `updateUsers` id; LastAdminError when `requireEnabledAdmin` fails (nothing written).
   */
  commit(cs: ChangeSet): Promise<{ audit: AuditEntry[] }>;
  getCase(id: string): Promise<Case | null>;
  /** Newest first (by createdAt). */
  listCases(f: CaseFilter): Promise<Case[]>;
  /** Cases in the given states (e.g. the SLA ticker's active states), oldest first. */
  listCasesInStates(states: readonly CaseState[]): Promise<Case[]>;
  /** Cases created in `[from, to)` (ISO UTC), oldest first. */
  casesCreatedBetween(from: string, to: string): Promise<Case[]>;
  /**
   * Cases created in `[bounds[0], bounds[last])` counted per bucket: bucket i is `[bounds[i], bounds[i+1])`
   * (ascending ISO UTC, at least 2). Aggregated in SQL.
   */
  countCasesByDay(bounds: readonly string[]): Promise<CaseDayCount[]>;
  /** Alert reviews made in `[bounds[0], bounds[last])` counted per bucket (as {@link countCasesByDay}). */
  countReviewsByDay(bounds: readonly string[]): Promise<ReviewDayCount[]>;
  /** Alert reviews made in `[from, to)` (ISO UTC) counted per camera, outcome and dismissal reason. */
  countReviewOutcomes(from: string, to: string): Promise<ReviewOutcomeCount[]>;
  getReview(alertId: string): Promise<AlertReview | null>;
  listReviews(f: ReviewFilter): Promise<AlertReview[]>;
  listFeedback(caseId: string): Promise<Feedback[]>;
  /** Audit rows of one case, ascending id. */
  caseAudit(caseId: string): Promise<AuditEntry[]>;
  /** Audit rows with id > `afterId`, ascending, at most `limit` (chain verification). */
  auditAfter(afterId: number, limit: number): Promise<AuditEntry[]>;

  /** Inserts a user unless the username exists. @returns true when inserted. */
  insertUserIfAbsent(u: StoredUser): Promise<boolean>;
  getUserByUsername(username: string): Promise<StoredUser | null>;
  getUser(id: string): Promise<StoredUser | null>;
  /** Every user (including disabled ones), by username. */
  listUsers(): Promise<StoredUser[]>;
  /** The stored configuration documents (none before the first seed). */
  listConfigDocs(): Promise<ConfigDoc[]>;
  createSession(s: SessionRecord): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRecord | null>;
  /** Marks a session revoked (logout); sessions are never deleted either. */
  revokeSession(tokenHash: string, at: string): Promise<void>;

  /** Undelivered outbox messages due at `now` (ISO UTC), oldest first. */
  dueOutbox(now: string, limit: number): Promise<OutboxMessage[]>;
  markOutboxDelivered(id: string, at: string): Promise<void>;
  markOutboxFailed(id: string, attempts: number, nextAttemptAt: string, error: string): Promise<void>;

  /** Releases the driver resources this repository owns (not the db/pool it was given). */
  close(): Promise<void>;
}
