/**
 * The SQL core shared by the SQLite and PostgreSQL repositories. It talks to a tiny {@link SqlDb} executor
 * (`?` placeholders, a transaction helper, qualified table names) so both stores run the very same statements,
 * DDL included (portable types only: TEXT, INTEGER, BIGINT; times are ISO-8601 UTC text, which sorts
 * chronologically). The audit chain head is serialised by the transaction: SQLite `BEGIN IMMEDIATE`, PostgreSQL
 * `pg_advisory_xact_lock` (see {@link SqlDb.lockChain}).
 */
import { chainAuditRow } from './audit.ts';
import {
  AlreadyReviewedError,
  ConfigVersionConflictError,
  LastAdminError,
  NotFoundError,
  UsernameTakenError,
  VersionConflictError,
} from './errors.ts';
import type {
  AlertReview,
  CaseDayCount,
  ChangeSet,
  ConfigDoc,
  ConfigKey,
  DispatchRepository,
  OutboxMessage,
  ReviewDayCount,
  ReviewOutcomeCount,
  SessionRecord,
  StoredUser,
} from './repository.ts';
import { AuditEntry, Case, Feedback, type CaseState } from './schemas.ts';

/** A connection (or the transaction's connection). Placeholders are `?`. */
export interface SqlConn {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** @returns the number of changed rows. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** A database executor. */
export interface SqlDb extends SqlConn {
  /** Qualified table name (`dispatch_cases` or `"schema".dispatch_cases`). */
  table(name: string): string;
  /** Runs `fn` in one write transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (c: SqlConn) => Promise<T>): Promise<T>;
  /** Serialises writers of the audit chain inside a transaction (no-op where `tx` already does). */
  lockChain(c: SqlConn): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS = (t: (n: string) => string): string[][] => [
  [
    `CREATE TABLE ${t('dispatch_cases')} (
       id TEXT PRIMARY KEY,
       state TEXT NOT NULL,
       version INTEGER NOT NULL,
       department_id TEXT,
       alert_type TEXT NOT NULL,
       camera_id TEXT NOT NULL,
       created_at TEXT NOT NULL,
       updated_at TEXT NOT NULL,
       body TEXT NOT NULL)`,
    `CREATE INDEX dispatch_cases_state ON ${t('dispatch_cases')} (state, created_at)`,
    `CREATE INDEX dispatch_cases_dept ON ${t('dispatch_cases')} (department_id, created_at)`,
    `CREATE INDEX dispatch_cases_created ON ${t('dispatch_cases')} (created_at)`,
    `CREATE TABLE ${t('dispatch_reviews')} (
       alert_id TEXT PRIMARY KEY,
       kind TEXT NOT NULL,
       case_id TEXT,
       alert_type TEXT NOT NULL,
       camera_id TEXT NOT NULL,
       preset_id TEXT,
       reason TEXT,
       note TEXT,
       actor_id TEXT NOT NULL,
       at TEXT NOT NULL)`,
    `CREATE INDEX dispatch_reviews_camera ON ${t('dispatch_reviews')} (camera_id, at)`,
    `CREATE INDEX dispatch_reviews_at ON ${t('dispatch_reviews')} (at)`,
    `CREATE TABLE ${t('dispatch_feedback')} (
       id TEXT PRIMARY KEY,
       case_id TEXT NOT NULL,
       at TEXT NOT NULL,
       body TEXT NOT NULL)`,
    `CREATE INDEX dispatch_feedback_case ON ${t('dispatch_feedback')} (case_id, at)`,
    `CREATE TABLE ${t('dispatch_audit')} (
       id BIGINT PRIMARY KEY,
       at TEXT NOT NULL,
       actor_id TEXT NOT NULL,
       actor_role TEXT NOT NULL,
       action TEXT NOT NULL,
       entity_type TEXT NOT NULL,
       entity_id TEXT NOT NULL,
       case_id TEXT,
       from_state TEXT,
       to_state TEXT,
       reason TEXT,
       details TEXT NOT NULL,
       request_id TEXT,
       prev_hash TEXT NOT NULL,
       hash TEXT NOT NULL)`,
    `CREATE INDEX dispatch_audit_case ON ${t('dispatch_audit')} (case_id, id)`,
    `CREATE TABLE ${t('dispatch_users')} (
       id TEXT PRIMARY KEY,
       username TEXT NOT NULL UNIQUE,
       display_name TEXT NOT NULL,
       role TEXT NOT NULL,
       department_id TEXT,
       password_hash TEXT NOT NULL,
       disabled INTEGER NOT NULL DEFAULT 0,
       created_at TEXT NOT NULL)`,
    `CREATE TABLE ${t('dispatch_sessions')} (
       token_hash TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       csrf_token TEXT NOT NULL,
       created_at TEXT NOT NULL,
       expires_at TEXT NOT NULL,
       revoked_at TEXT)`,
    `CREATE TABLE ${t('dispatch_outbox')} (
       id TEXT PRIMARY KEY,
       channel TEXT NOT NULL,
       topic TEXT NOT NULL,
       body TEXT NOT NULL,
       created_at TEXT NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       next_attempt_at TEXT NOT NULL,
       delivered_at TEXT,
       last_error TEXT)`,
    `CREATE INDEX dispatch_outbox_due ON ${t('dispatch_outbox')} (delivered_at, next_attempt_at)`,
  ],
  // 2: the dispatch configuration edited on the admin pages (seeded from the YAML/GeoJSON files).
  [
    `CREATE TABLE ${t('dispatch_config')} (
       key TEXT PRIMARY KEY,
       version INTEGER NOT NULL,
       body TEXT NOT NULL,
       updated_at TEXT NOT NULL)`,
  ],
];

/** Applies pending migrations, recorded in `dispatch_migrations` (never the database's user_version). */
export async function migrate(db: SqlDb): Promise<void> {
  const t = (n: string) => db.table(n);
  const all = MIGRATIONS(t);
  await db.tx(async (c) => {
    await db.lockChain(c);
    await c.run(
      `CREATE TABLE IF NOT EXISTS ${t('dispatch_migrations')} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
    );
    const rows = await c.all<{ v: number | string | null }>(
      `SELECT MAX(version) AS v FROM ${t('dispatch_migrations')}`,
    );
    const current = Number(rows[0]?.v ?? 0);
    for (let v = current; v < all.length; v++) {
      for (const stmt of all[v]!) await c.run(stmt);
      await c.run(`INSERT INTO ${t('dispatch_migrations')} (version, applied_at) VALUES (?, ?)`, [
        v + 1,
        new Date().toISOString(),
      ]);
    }
  });
}

interface AuditRow {
  id: number | string;
  at: string;
  actor_id: string;
  actor_role: string;
  action: string;
  entity_type: string;
  entity_id: string;
  case_id: string | null;
  from_state: string | null;
  to_state: string | null;
  reason: string | null;
  details: string;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}
const toAudit = (r: AuditRow): AuditEntry =>
  AuditEntry.parse({
    id: Number(r.id),
    at: r.at,
    actorId: r.actor_id,
    actorRole: r.actor_role,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    caseId: r.case_id,
    fromState: r.from_state,
    toState: r.to_state,
    reason: r.reason,
    details: JSON.parse(r.details) as unknown,
    requestId: r.request_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  });

interface ReviewRow {
  alert_id: string;
  kind: string;
  case_id: string | null;
  alert_type: string;
  camera_id: string;
  preset_id: string | null;
  reason: string | null;
  note: string | null;
  actor_id: string;
  at: string;
}
const toReview = (r: ReviewRow): AlertReview => ({
  alertId: r.alert_id,
  kind: r.kind as AlertReview['kind'],
  caseId: r.case_id,
  alertType: r.alert_type as AlertReview['alertType'],
  cameraId: r.camera_id,
  presetId: r.preset_id,
  reason: r.reason as AlertReview['reason'],
  note: r.note,
  actorId: r.actor_id,
  at: r.at,
});

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  department_id: string | null;
  password_hash: string;
  disabled: number | string;
  created_at: string;
}
const toUser = (r: UserRow): StoredUser => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role as StoredUser['role'],
  departmentId: r.department_id,
  passwordHash: r.password_hash,
  disabled: Number(r.disabled) !== 0,
  createdAt: r.created_at,
});

interface OutboxRow {
  id: string;
  channel: string;
  topic: string;
  body: string;
  created_at: string;
  attempts: number | string;
  next_attempt_at: string;
  delivered_at: string | null;
  last_error: string | null;
}
const toOutbox = (r: OutboxRow): OutboxMessage => ({
  id: r.id,
  channel: r.channel,
  topic: r.topic,
  body: r.body,
  createdAt: r.created_at,
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at,
  lastError: r.last_error,
});

const parseCase = (body: string): Case => Case.parse(JSON.parse(body));
const PAST: Record<AlertReview['kind'], string> = {
  confirmed: 'confirmed',
  merged: 'merged',
  dismissed: 'dismissed',
};

/**
 * A portable SQL expression numbering the bucket of `col` for ascending bounds (`CASE WHEN col < ? THEN 0 ...`)
 * and its parameters. Rows must already be limited to `[bounds[0], bounds[last])`.
 * @throws RangeError for fewer than 2 bounds.
 */
function bucketExpr(col: string, bounds: readonly string[]): { sql: string; params: string[] } {
  if (bounds.length < 2) throw new RangeError('bucket bounds need at least 2 entries');
  const ends = bounds.slice(1);
  return {
    sql: `CASE ${ends.map((_, i) => `WHEN ${col} < ? THEN ${i}`).join(' ')} END`,
    params: ends,
  };
}

/** Builds the repository over an executor. The caller has run {@link migrate}. */
export function sqlDispatchRepository(db: SqlDb): DispatchRepository {
  const T = {
    cases: db.table('dispatch_cases'),
    reviews: db.table('dispatch_reviews'),
    feedback: db.table('dispatch_feedback'),
    audit: db.table('dispatch_audit'),
    users: db.table('dispatch_users'),
    sessions: db.table('dispatch_sessions'),
    outbox: db.table('dispatch_outbox'),
    config: db.table('dispatch_config'),
  };
  const userParams = (u: StoredUser) => [
    u.username,
    u.displayName,
    u.role,
    u.departmentId,
    u.passwordHash,
    u.disabled ? 1 : 0,
    u.createdAt,
    u.id,
  ];
  const caseParams = (c: Case) => [
    c.state,
    c.version,
    c.departmentId,
    c.alertType,
    c.cameraId,
    c.createdAt,
    c.updatedAt,
    JSON.stringify(c),
  ];

  return {
    commit: (cs: ChangeSet) =>
      db.tx(async (c) => {
        await db.lockChain(c);
        for (const r of cs.reviews ?? []) {
          const existing = await c.all<{ kind: AlertReview['kind'] }>(
            `SELECT kind FROM ${T.reviews} WHERE alert_id = ?`,
            [r.alertId],
          );
          if (existing[0]) throw new AlreadyReviewedError(r.alertId, PAST[existing[0].kind]);
          await c.run(
            `INSERT INTO ${T.reviews} (alert_id, kind, case_id, alert_type, camera_id, preset_id, reason, note, actor_id, at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              r.alertId,
              r.kind,
              r.caseId,
              r.alertType,
              r.cameraId,
              r.presetId,
              r.reason,
              r.note,
              r.actorId,
              r.at,
            ],
          );
        }
        for (const k of cs.insertCases ?? []) {
          await c.run(
            `INSERT INTO ${T.cases} (state, version, department_id, alert_type, camera_id, created_at, updated_at, body, id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [...caseParams(k), k.id],
          );
        }
        for (const u of cs.updateCases ?? []) {
          if (u.next.version !== u.expectedVersion + 1) {
            throw new Error(`case ${u.next.id}: next.version must be expectedVersion + 1`);
          }
          const n = await c.run(
            `UPDATE ${T.cases} SET state = ?, version = ?, department_id = ?, alert_type = ?, camera_id = ?,
               created_at = ?, updated_at = ?, body = ? WHERE id = ? AND version = ?`,
            [...caseParams(u.next), u.next.id, u.expectedVersion],
          );
          if (n !== 1) {
            const cur = await c.all<{ version: number | string }>(
              `SELECT version FROM ${T.cases} WHERE id = ?`,
              [u.next.id],
            );
            throw new VersionConflictError(
              u.next.id,
              u.expectedVersion,
              cur[0] ? Number(cur[0].version) : null,
            );
          }
        }
        for (const f of cs.feedback ?? []) {
          await c.run(`INSERT INTO ${T.feedback} (id, case_id, at, body) VALUES (?, ?, ?, ?)`, [
            f.id,
            f.caseId,
            f.at,
            JSON.stringify(f),
          ]);
        }
        for (const d of cs.configDocs ?? []) {
          const body = JSON.stringify(d.body);
          const n =
            d.expectedVersion === 0
              ? await c.run(
                  `INSERT INTO ${T.config} (key, version, body, updated_at) VALUES (?, 1, ?, ?) ON CONFLICT DO NOTHING`,
                  [d.key, body, d.at],
                )
              : await c.run(
                  `UPDATE ${T.config} SET version = ?, body = ?, updated_at = ? WHERE key = ? AND version = ?`,
                  [d.expectedVersion + 1, body, d.at, d.key, d.expectedVersion],
                );
          if (n !== 1) {
            const cur = await c.all<{ version: number | string }>(
              `SELECT version FROM ${T.config} WHERE key = ?`,
              [d.key],
            );
            throw new ConfigVersionConflictError(
              d.key,
              d.expectedVersion,
              cur[0] ? Number(cur[0].version) : null,
            );
          }
        }
        for (const u of cs.insertUsers ?? []) {
          const n = await c.run(
            `INSERT INTO ${T.users} (username, display_name, role, department_id, password_hash, disabled, created_at, id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
            userParams(u),
          );
          if (n !== 1) throw new UsernameTakenError(u.username);
        }
        for (const u of cs.updateUsers ?? []) {
          const n = await c.run(
            `UPDATE ${T.users} SET display_name = ?, role = ?, department_id = ?, password_hash = ?, disabled = ?
             WHERE id = ? AND username = ?`,
            [u.displayName, u.role, u.departmentId, u.passwordHash, u.disabled ? 1 : 0, u.id, u.username],
          );
          if (n !== 1) throw new NotFoundError('user');
        }
        for (const r of cs.revokeSessionsOf ?? []) {
          await c.run(`UPDATE ${T.sessions} SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, [
            r.at,
            r.userId,
          ]);
        }
        if (cs.requireEnabledAdmin) {
          const r = await c.all<{ n: number | string }>(
            `SELECT COUNT(*) AS n FROM ${T.users} WHERE role = 'admin' AND disabled = 0`,
          );
          if (Number(r[0]?.n ?? 0) < 1) throw new LastAdminError();
        }
        for (const o of cs.outbox ?? []) {
          await c.run(
            `INSERT INTO ${T.outbox} (id, channel, topic, body, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
            [o.id, o.channel, o.topic, o.body, o.createdAt, o.attempts, o.nextAttemptAt],
          );
        }
        const audit: AuditEntry[] = [];
        if (cs.audit?.length) {
          const head = await c.all<{ id: number | string; hash: string }>(
            `SELECT id, hash FROM ${T.audit} ORDER BY id DESC LIMIT 1`,
          );
          let prev = head[0] ? { id: Number(head[0].id), hash: head[0].hash } : null;
          for (const input of cs.audit) {
            const row = chainAuditRow(prev, input);
            await c.run(
              `INSERT INTO ${T.audit} (id, at, actor_id, actor_role, action, entity_type, entity_id, case_id, from_state, to_state,
                 reason, details, request_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              [
                row.id,
                row.at,
                row.actorId,
                row.actorRole,
                row.action,
                row.entityType,
                row.entityId,
                row.caseId,
                row.fromState,
                row.toState,
                row.reason,
                JSON.stringify(row.details),
                row.requestId,
                row.prevHash,
                row.hash,
              ],
            );
            audit.push(row);
            prev = row;
          }
        }
        return { audit };
      }),

    getCase: async (id) => {
      const r = await db.all<{ body: string }>(`SELECT body FROM ${T.cases} WHERE id = ?`, [id]);
      return r[0] ? parseCase(r[0].body) : null;
    },
    listCases: async (f) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.state) {
        where.push('state = ?');
        params.push(f.state);
      }
      if (f.departmentId) {
        where.push('department_id = ?');
        params.push(f.departmentId);
      }
      const rows = await db.all<{ body: string }>(
        `SELECT body FROM ${T.cases} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [...params, f.limit],
      );
      return rows.map((r) => parseCase(r.body));
    },
    listCasesInStates: async (states: readonly CaseState[]) => {
      if (states.length === 0) return [];
      const rows = await db.all<{ body: string }>(
        `SELECT body FROM ${T.cases} WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at, id`,
        states,
      );
      return rows.map((r) => parseCase(r.body));
    },
    casesCreatedBetween: async (from, to) => {
      const rows = await db.all<{ body: string }>(
        `SELECT body FROM ${T.cases} WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`,
        [from, to],
      );
      return rows.map((r) => parseCase(r.body));
    },
    countCasesByDay: async (bounds) => {
      const b = bucketExpr('created_at', bounds);
      const rows = await db.all<{
        day: number | string;
        alert_type: string;
        department_id: string | null;
        n: number | string;
      }>(
        `SELECT ${b.sql} AS day, alert_type, department_id, COUNT(*) AS n FROM ${T.cases}
         WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        [...b.params, bounds[0], bounds[bounds.length - 1]],
      );
      return rows.map((r): CaseDayCount => ({
        day: Number(r.day),
        alertType: r.alert_type as CaseDayCount['alertType'],
        departmentId: r.department_id,
        count: Number(r.n),
      }));
    },
    countReviewsByDay: async (bounds) => {
      const b = bucketExpr('at', bounds);
      const rows = await db.all<{
        day: number | string;
        alert_type: string;
        kind: string;
        n: number | string;
      }>(
        `SELECT ${b.sql} AS day, alert_type, kind, COUNT(*) AS n FROM ${T.reviews}
         WHERE at >= ? AND at < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        [...b.params, bounds[0], bounds[bounds.length - 1]],
      );
      return rows.map((r): ReviewDayCount => ({
        day: Number(r.day),
        alertType: r.alert_type as ReviewDayCount['alertType'],
        kind: r.kind as ReviewDayCount['kind'],
        count: Number(r.n),
      }));
    },
    countReviewOutcomes: async (from, to) => {
      const rows = await db.all<{
        camera_id: string;
        kind: string;
        reason: string | null;
        n: number | string;
      }>(
        `SELECT camera_id, kind, reason, COUNT(*) AS n FROM ${T.reviews}
         WHERE at >= ? AND at < ? GROUP BY camera_id, kind, reason ORDER BY camera_id, kind, reason`,
        [from, to],
      );
      return rows.map((r): ReviewOutcomeCount => ({
        cameraId: r.camera_id,
        kind: r.kind as ReviewOutcomeCount['kind'],
        reason: r.reason as ReviewOutcomeCount['reason'],
        count: Number(r.n),
      }));
    },
    getReview: async (alertId) => {
      const r = await db.all<ReviewRow>(`SELECT * FROM ${T.reviews} WHERE alert_id = ?`, [alertId]);
      return r[0] ? toReview(r[0]) : null;
    },
    listReviews: async (f) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.kind) {
        where.push('kind = ?');
        params.push(f.kind);
      }
      if (f.cameraId) {
        where.push('camera_id = ?');
        params.push(f.cameraId);
      }
      if (f.from) {
        where.push('at >= ?');
        params.push(f.from);
      }
      if (f.to) {
        where.push('at < ?');
        params.push(f.to);
      }
      const rows = await db.all<ReviewRow>(
        `SELECT * FROM ${T.reviews} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at, alert_id`,
        params,
      );
      return rows.map(toReview);
    },
    listFeedback: async (caseId) => {
      const rows = await db.all<{ body: string }>(
        `SELECT body FROM ${T.feedback} WHERE case_id = ? ORDER BY at, id`,
        [caseId],
      );
      return rows.map((r) => Feedback.parse(JSON.parse(r.body)));
    },
    caseAudit: async (caseId) =>
      (await db.all<AuditRow>(`SELECT * FROM ${T.audit} WHERE case_id = ? ORDER BY id`, [caseId])).map(
        toAudit,
      ),
    auditAfter: async (afterId, limit) =>
      (
        await db.all<AuditRow>(`SELECT * FROM ${T.audit} WHERE id > ? ORDER BY id LIMIT ?`, [afterId, limit])
      ).map(toAudit),

    insertUserIfAbsent: async (u) => {
      const n = await db.run(
        `INSERT INTO ${T.users} (id, username, display_name, role, department_id, password_hash, disabled, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          u.id,
          u.username,
          u.displayName,
          u.role,
          u.departmentId,
          u.passwordHash,
          u.disabled ? 1 : 0,
          u.createdAt,
        ],
      );
      return n === 1;
    },
    getUserByUsername: async (username) => {
      const r = await db.all<UserRow>(`SELECT * FROM ${T.users} WHERE username = ?`, [username]);
      return r[0] ? toUser(r[0]) : null;
    },
    getUser: async (id) => {
      const r = await db.all<UserRow>(`SELECT * FROM ${T.users} WHERE id = ?`, [id]);
      return r[0] ? toUser(r[0]) : null;
    },
    listUsers: async () => (await db.all<UserRow>(`SELECT * FROM ${T.users} ORDER BY username`)).map(toUser),
    listConfigDocs: async () =>
      (
        await db.all<{ key: string; version: number | string; body: string; updated_at: string }>(
          `SELECT * FROM ${T.config} ORDER BY key`,
        )
      ).map((r): ConfigDoc => ({
        key: r.key as ConfigKey,
        version: Number(r.version),
        body: JSON.parse(r.body) as unknown,
        updatedAt: r.updated_at,
      })),
    createSession: async (s: SessionRecord) => {
      await db.run(
        `INSERT INTO ${T.sessions} (token_hash, user_id, csrf_token, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)`,
        [s.tokenHash, s.userId, s.csrfToken, s.createdAt, s.expiresAt, s.revokedAt],
      );
    },
    getSession: async (tokenHash) => {
      const r = await db.all<{
        token_hash: string;
        user_id: string;
        csrf_token: string;
        created_at: string;
        expires_at: string;
        revoked_at: string | null;
      }>(`SELECT * FROM ${T.sessions} WHERE token_hash = ?`, [tokenHash]);
      const s = r[0];
      return s
        ? {
            tokenHash: s.token_hash,
            userId: s.user_id,
            csrfToken: s.csrf_token,
            createdAt: s.created_at,
            expiresAt: s.expires_at,
            revokedAt: s.revoked_at,
          }
        : null;
    },
    revokeSession: async (tokenHash, at) => {
      await db.run(`UPDATE ${T.sessions} SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`, [
        at,
        tokenHash,
      ]);
    },

    dueOutbox: async (now, limit) =>
      (
        await db.all<OutboxRow>(
          `SELECT * FROM ${T.outbox} WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?`,
          [now, limit],
        )
      ).map(toOutbox),
    markOutboxDelivered: async (id, at) => {
      await db.run(
        `UPDATE ${T.outbox} SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`,
        [at, id],
      );
    },
    markOutboxFailed: async (id, attempts, nextAttemptAt, error) => {
      await db.run(`UPDATE ${T.outbox} SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`, [
        attempts,
        nextAttemptAt,
        error.slice(0, 500),
        id,
      ]);
    },
    close: () => db.close(),
  };
}
