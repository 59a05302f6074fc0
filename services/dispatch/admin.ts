/**
 * DispatchAdmin: the admin pages' rules for the dispatch configuration (departments incl. street offices,
 * jurisdictions, special zones, routing rules, SLA policies) and for users.
 *
 * Storage: the configuration lives in the database (`dispatch_config`, one JSON document per file, each with
 * a version), seeded from `camera-config/<site>/dispatch/*.yaml|geojson` on first start ({@link seed}); from
 * then on the database is the source of truth and the files are only the seed (see docs/decisions.md). Every
 * change is one repository commit: the document (compare-and-set on its version) plus an audit row
 * `config.<entity>.<create|update|delete>` / `user.<...>` with `details.before` / `details.after`, in one
 * transaction. After the commit the live {@link DispatchConfig} object that the {@link DispatchService} reads
 * is updated in place, so routing, SLA and the department list change without a restart. Other processes on
 * the same database pick changes up with {@link reload} (called by the SLA ticker).
 *
 * Access: every method requires role `admin` (403 otherwise).
 */
import { randomUUID } from 'node:crypto';
import { iso, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { assertRole, SYSTEM_ACTOR, type Actor } from './access.ts';
import { areaUsage, departmentUsage, leavesNoAdmin, referenceIssues } from './adminRules.ts';
import type { AuditInput } from './audit.ts';
import { hashPassword } from './auth.ts';
import { OPEN_STATES } from './caseMachine.ts';
import type { DispatchConfig } from './config.ts';
import {
  ConfigVersionConflictError,
  DispatchError,
  InUseError,
  LastAdminError,
  NotFoundError,
  ValidationError,
} from './errors.ts';
import type { ConfigKey, DispatchRepository, StoredUser } from './repository.ts';
import { locate, suggestDepartment, type RoutingData } from './routing.ts';
import {
  DepartmentsFile,
  JurisdictionsFile,
  RulesFile,
  SlaFile,
  ZonesFile,
  type AdminConfigResponse,
  type AdminUser,
  type ConfigVersions,
  type CreateUserBody,
  type DepartmentBody,
  type DepartmentUpdateBody,
  type JurisdictionBody,
  type JurisdictionFeature,
  type JurisdictionUpdateBody,
  type PasswordBody,
  type RouteTestBody,
  type RouteTestResult,
  type RulesBody,
  type SlaBody,
  type SlaPolicy,
  type UpdateUserBody,
  type ZoneBody,
  type ZoneFeature,
  type ZoneUpdateBody,
} from './schemas.ts';

/** The editable part of the dispatch configuration. */
export type EditableConfig = RoutingData & { sla: SlaPolicy[] };

const KEYS: readonly ConfigKey[] = ['departments', 'jurisdictions', 'zones', 'rules', 'sla'];
const ADMIN = ['admin'] as const;

/** The stored document of `key` (the file's shape) from a configuration. */
function toDoc(key: ConfigKey, c: EditableConfig): unknown {
  switch (key) {
    case 'departments':
      return { departments: c.departments };
    case 'jurisdictions':
      return { type: 'FeatureCollection', features: c.jurisdictions };
    case 'zones':
      return { type: 'FeatureCollection', features: c.zones };
    case 'rules':
      return c.rules;
    case 'sla':
      return { policies: c.sla };
  }
}

/** Parses a stored document with its file schema. @throws Error naming the key and the first issue. */
function fromDoc(key: ConfigKey, body: unknown): Partial<EditableConfig> {
  const fail = (issues: { path: PropertyKey[]; message: string }[]): never => {
    const i = issues[0];
    throw new Error(
      `stored dispatch configuration "${key}" is invalid: ${i ? `${i.path.map(String).join('.')}: ${i.message}` : ''}`,
    );
  };
  switch (key) {
    case 'departments': {
      const r = DepartmentsFile.safeParse(body);
      return r.success ? { departments: r.data.departments } : fail(r.error.issues);
    }
    case 'jurisdictions': {
      const r = JurisdictionsFile.safeParse(body);
      return r.success ? { jurisdictions: r.data.features } : fail(r.error.issues);
    }
    case 'zones': {
      const r = ZonesFile.safeParse(body);
      return r.success ? { zones: r.data.features } : fail(r.error.issues);
    }
    case 'rules': {
      const r = RulesFile.safeParse(body);
      return r.success ? { rules: r.data } : fail(r.error.issues);
    }
    case 'sla': {
      const r = SlaFile.safeParse(body);
      return r.success ? { sla: r.data.policies } : fail(r.error.issues);
    }
  }
}

const adminUser = (u: StoredUser): AdminUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role,
  departmentId: u.departmentId,
  disabled: u.disabled,
  createdAt: u.createdAt,
});

/** A FIFO async mutex (in-process serialisation of configuration writes). */
function mutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** What one configuration edit produces. */
interface Edit {
  next: Partial<EditableConfig>;
  action: string;
  entityId: string;
  before: unknown;
  after: unknown;
}

/** Dependencies of {@link DispatchAdmin}. */
export interface DispatchAdminDeps {
  repo: DispatchRepository;
  /** The live configuration object shared with the DispatchService; updated in place after each commit. */
  config: DispatchConfig;
  clock: Clock;
  log: Logger;
}

/** Admin operations on the dispatch configuration and users. */
export class DispatchAdmin {
  private readonly versions: Record<ConfigKey, number> = {
    departments: 0,
    jurisdictions: 0,
    zones: 0,
    rules: 0,
    sla: 0,
  };
  private readonly lock = mutex();

  constructor(private readonly deps: DispatchAdminDeps) {}

  private now(): string {
    return iso(this.deps.clock.now());
  }

  private current(): EditableConfig {
    const c = this.deps.config;
    return {
      departments: c.departments,
      jurisdictions: c.jurisdictions,
      zones: c.zones,
      rules: c.rules,
      sla: c.sla,
    };
  }

  private apply(next: Partial<EditableConfig>): void {
    Object.assign(this.deps.config, next);
  }

  private audit(
    actor: Actor | typeof SYSTEM_ACTOR,
    entityType: 'config' | 'user',
    action: string,
    entityId: string,
    details: Record<string, unknown>,
  ): AuditInput {
    return {
      at: this.now(),
      actorId: actor.userId,
      actorRole: actor.role,
      action,
      entityType,
      entityId,
      caseId: null,
      fromState: null,
      toState: null,
      reason: null,
      details,
      requestId: 'requestId' in actor ? actor.requestId : null,
    };
  }

  /**
   * Loads the stored documents into the live configuration (documents not stored yet keep the files'
   * content). Start-up and {@link reload}.
   * @throws Error when a stored document is invalid or the combination has broken references.
   */
  async load(): Promise<void> {
    const docs = await this.deps.repo.listConfigDocs();
    let next: EditableConfig = this.current();
    const versions = { ...this.versions };
    for (const d of docs) {
      if (d.version === versions[d.key]) continue;
      next = { ...next, ...fromDoc(d.key, d.body) };
      versions[d.key] = d.version;
    }
    const issues = referenceIssues(next);
    if (issues.length > 0) {
      throw new Error(
        `stored dispatch configuration has broken references: ${issues.map((i) => i.message).join('; ')}`,
      );
    }
    this.apply(next);
    Object.assign(this.versions, versions);
  }

  /**
   * First start: stores every document that is not in the database yet from the files' content (audit row
   * `config.seed` by `system`), then loads the stored documents. Idempotent; safe with several processes.
   */
  async seed(): Promise<void> {
    await this.lock(async () => {
      const stored = new Set((await this.deps.repo.listConfigDocs()).map((d) => d.key));
      const cur = this.current();
      for (const key of KEYS) {
        if (stored.has(key)) continue;
        try {
          await this.deps.repo.commit({
            configDocs: [{ key, body: toDoc(key, cur), expectedVersion: 0, at: this.now() }],
            audit: [this.audit(SYSTEM_ACTOR, 'config', 'config.seed', key, { source: 'files' })],
          });
        } catch (e) {
          if (!(e instanceof ConfigVersionConflictError)) throw e; // another process seeded it
        }
      }
      await this.load();
    });
  }

  /** Picks up changes made by other processes. Never throws (logs instead). */
  async reload(): Promise<void> {
    await this.lock(() => this.load()).catch((e: unknown) =>
      this.deps.log.error({ err: (e as Error).message }, 'cannot reload the dispatch configuration'),
    );
  }

  /** Document versions (0 = not edited since start from the files). */
  versionsNow(): ConfigVersions {
    return { ...this.versions };
  }

  /**
   * One configuration change: `fn` computes it from the current configuration; references are checked;
   * the document is stored with compare-and-set plus its audit row; then the live configuration changes.
   * With `expectedVersion` (whole-list edits) a stale version is 409; without, a conflict with another
   * process reloads and retries (up to 3 times).
   */
  private async edit(
    actor: Actor,
    key: ConfigKey,
    fn: (cur: EditableConfig) => Promise<Edit> | Edit,
    expectedVersion?: number,
  ): Promise<AdminConfigResponse> {
    assertRole(actor, ADMIN, 'manage the dispatch configuration');
    return this.lock(async () => {
      for (let attempt = 0; ; attempt++) {
        const version = this.versions[key];
        if (expectedVersion !== undefined && expectedVersion !== version) {
          throw new ConfigVersionConflictError(key, expectedVersion, version);
        }
        const cur = this.current();
        const e = await fn(cur);
        const merged = { ...cur, ...e.next };
        const issues = referenceIssues(merged);
        if (issues.length > 0) {
          throw new ValidationError(issues.map((i) => i.message).join('; '), issues, 'invalid_reference');
        }
        try {
          await this.deps.repo.commit({
            configDocs: [{ key, body: toDoc(key, merged), expectedVersion: version, at: this.now() }],
            audit: [this.audit(actor, 'config', e.action, e.entityId, { before: e.before, after: e.after })],
          });
        } catch (err) {
          if (err instanceof ConfigVersionConflictError && expectedVersion === undefined && attempt < 2) {
            await this.load();
            continue;
          }
          throw err;
        }
        this.apply(e.next);
        this.versions[key] = version + 1;
        this.deps.log.info(
          { action: e.action, entity: e.entityId, actor: actor.username },
          'dispatch config changed',
        );
        return this.snapshotUnchecked();
      }
    });
  }

  private snapshotUnchecked(): AdminConfigResponse {
    const c = this.current();
    return {
      departments: c.departments,
      jurisdictions: c.jurisdictions,
      zones: c.zones,
      rules: c.rules,
      sla: c.sla,
      versions: this.versionsNow(),
    };
  }

  /** The live configuration with document versions. @throws ForbiddenError unless admin. */
  snapshot(actor: Actor): AdminConfigResponse {
    assertRole(actor, ADMIN, 'manage the dispatch configuration');
    return this.snapshotUnchecked();
  }

  // ------------------------------------------------------------------------------------------ departments

  /** @throws ValidationError (400, path `id`) when the id exists. */
  createDepartment(actor: Actor, b: DepartmentBody): Promise<AdminConfigResponse> {
    return this.edit(actor, 'departments', (cur) => {
      if (cur.departments.some((d) => d.id === b.id)) {
        throw new ValidationError(`department "${b.id}" exists`, [
          { code: 'duplicate', path: ['id'], message: 'already exists' },
        ]);
      }
      return {
        next: { departments: [...cur.departments, b] },
        action: 'config.department.create',
        entityId: b.id,
        before: null,
        after: b,
      };
    });
  }

  /** @throws NotFoundError (404) for an unknown id. */
  updateDepartment(actor: Actor, id: string, b: DepartmentUpdateBody): Promise<AdminConfigResponse> {
    return this.edit(actor, 'departments', (cur) => {
      const before = cur.departments.find((d) => d.id === id);
      if (!before) throw new NotFoundError('department');
      const after = { ...before, ...b };
      return {
        next: { departments: cur.departments.map((d) => (d.id === id ? after : d)) },
        action: 'config.department.update',
        entityId: id,
        before,
        after,
      };
    });
  }

  /**
   * @throws NotFoundError (404); InUseError (409 `in_use`, `details.usedBy`) while rules, jurisdictions,
   *   users or open cases use the department.
   */
  deleteDepartment(actor: Actor, id: string): Promise<AdminConfigResponse> {
    return this.edit(actor, 'departments', async (cur) => {
      const before = cur.departments.find((d) => d.id === id);
      if (!before) throw new NotFoundError('department');
      const users = await this.deps.repo.listUsers();
      const cases = (await this.deps.repo.listCases({ departmentId: id, limit: 500 })).filter((c) =>
        OPEN_STATES.has(c.state),
      );
      const usedBy = departmentUsage(id, cur, users, cases);
      if (usedBy.length > 0) throw new InUseError(`department "${id}"`, usedBy);
      if (cur.departments.length === 1) {
        throw new DispatchError(409, 'in_use', 'the last department cannot be deleted');
      }
      return {
        next: { departments: cur.departments.filter((d) => d.id !== id) },
        action: 'config.department.delete',
        entityId: id,
        before,
        after: null,
      };
    });
  }

  // --------------------------------------------------------------------------------- jurisdictions, zones

  private static jurisdiction(id: string, b: JurisdictionUpdateBody): JurisdictionFeature {
    return {
      type: 'Feature',
      properties: { id, name: b.name, departmentId: b.departmentId },
      geometry: b.geometry,
    };
  }

  private static zone(id: string, b: ZoneUpdateBody): ZoneFeature {
    return { type: 'Feature', properties: { id, name: b.name, zoneType: b.zoneType }, geometry: b.geometry };
  }

  /** @throws ValidationError (400) for a duplicate id or an unknown department (path `departmentId`). */
  createJurisdiction(actor: Actor, b: JurisdictionBody): Promise<AdminConfigResponse> {
    return this.edit(actor, 'jurisdictions', (cur) => {
      if (cur.jurisdictions.some((j) => j.properties.id === b.id)) {
        throw new ValidationError(`jurisdiction "${b.id}" exists`, [
          { code: 'duplicate', path: ['id'], message: 'already exists' },
        ]);
      }
      const after = DispatchAdmin.jurisdiction(b.id, b);
      return {
        next: { jurisdictions: [...cur.jurisdictions, after] },
        action: 'config.jurisdiction.create',
        entityId: b.id,
        before: null,
        after,
      };
    });
  }

  /** @throws NotFoundError (404); ValidationError (400) for an unknown department. */
  updateJurisdiction(actor: Actor, id: string, b: JurisdictionUpdateBody): Promise<AdminConfigResponse> {
    return this.edit(actor, 'jurisdictions', (cur) => {
      const before = cur.jurisdictions.find((j) => j.properties.id === id);
      if (!before) throw new NotFoundError('jurisdiction');
      const after = DispatchAdmin.jurisdiction(id, b);
      return {
        next: { jurisdictions: cur.jurisdictions.map((j) => (j === before ? after : j)) },
        action: 'config.jurisdiction.update',
        entityId: id,
        before,
        after,
      };
    });
  }

  /** @throws NotFoundError (404); InUseError (409) while rules name it; 409 for the last jurisdiction. */
  deleteJurisdiction(actor: Actor, id: string): Promise<AdminConfigResponse> {
    return this.edit(actor, 'jurisdictions', (cur) => {
      const before = cur.jurisdictions.find((j) => j.properties.id === id);
      if (!before) throw new NotFoundError('jurisdiction');
      const usedBy = areaUsage('jurisdiction', id, cur.rules);
      if (usedBy.length > 0) throw new InUseError(`jurisdiction "${id}"`, usedBy);
      if (cur.jurisdictions.length === 1) {
        throw new DispatchError(409, 'in_use', 'the last jurisdiction cannot be deleted');
      }
      return {
        next: { jurisdictions: cur.jurisdictions.filter((j) => j !== before) },
        action: 'config.jurisdiction.delete',
        entityId: id,
        before,
        after: null,
      };
    });
  }

  /** @throws ValidationError (400, path `id`) for a duplicate id. */
  createZone(actor: Actor, b: ZoneBody): Promise<AdminConfigResponse> {
    return this.edit(actor, 'zones', (cur) => {
      if (cur.zones.some((z) => z.properties.id === b.id)) {
        throw new ValidationError(`zone "${b.id}" exists`, [
          { code: 'duplicate', path: ['id'], message: 'already exists' },
        ]);
      }
      const after = DispatchAdmin.zone(b.id, b);
      return {
        next: { zones: [...cur.zones, after] },
        action: 'config.zone.create',
        entityId: b.id,
        before: null,
        after,
      };
    });
  }

  /** @throws NotFoundError (404). */
  updateZone(actor: Actor, id: string, b: ZoneUpdateBody): Promise<AdminConfigResponse> {
    return this.edit(actor, 'zones', (cur) => {
      const before = cur.zones.find((z) => z.properties.id === id);
      if (!before) throw new NotFoundError('zone');
      const after = DispatchAdmin.zone(id, b);
      return {
        next: { zones: cur.zones.map((z) => (z === before ? after : z)) },
        action: 'config.zone.update',
        entityId: id,
        before,
        after,
      };
    });
  }

  /** @throws NotFoundError (404); InUseError (409) while rules name the zone. */
  deleteZone(actor: Actor, id: string): Promise<AdminConfigResponse> {
    return this.edit(actor, 'zones', (cur) => {
      const before = cur.zones.find((z) => z.properties.id === id);
      if (!before) throw new NotFoundError('zone');
      const usedBy = areaUsage('zone', id, cur.rules);
      if (usedBy.length > 0) throw new InUseError(`zone "${id}"`, usedBy);
      return {
        next: { zones: cur.zones.filter((z) => z !== before) },
        action: 'config.zone.delete',
        entityId: id,
        before,
        after: null,
      };
    });
  }

  // ------------------------------------------------------------------------------------------- rules, SLA

  /**
   * Replaces the ordered rule list. @throws ConfigVersionConflictError (409) when `expectedVersion` is
   * stale; ValidationError (400, paths `rules.<i>.<field>`) for unknown departments/jurisdictions/zones.
   */
  putRules(actor: Actor, b: RulesBody): Promise<AdminConfigResponse> {
    return this.edit(
      actor,
      'rules',
      (cur) => {
        const after = RulesFile.parse({
          rules: b.rules,
          fallbackToJurisdiction: b.fallbackToJurisdiction,
          ray: b.ray ?? cur.rules.ray,
        });
        return {
          next: { rules: after },
          action: 'config.rules.update',
          entityId: 'rules',
          before: cur.rules,
          after,
        };
      },
      b.expectedVersion,
    );
  }

  /** Replaces the SLA policies. @throws ConfigVersionConflictError (409) when `expectedVersion` is stale. */
  putSla(actor: Actor, b: SlaBody): Promise<AdminConfigResponse> {
    return this.edit(
      actor,
      'sla',
      (cur) => ({
        next: { sla: b.policies },
        action: 'config.sla.update',
        entityId: 'sla',
        before: cur.sla,
        after: b.policies,
      }),
      b.expectedVersion,
    );
  }

  /**
   * Routes a point with the live rules (the same `locate` + `suggestDepartment` as a confirmed alert whose
   * position is known).
   */
  testRoute(actor: Actor, b: RouteTestBody): RouteTestResult {
    assertRole(actor, ADMIN, 'manage the dispatch configuration');
    const cfg = this.current();
    const { jurisdiction, zone } = locate({ lat: b.lat, lon: b.lon }, cfg);
    const s = suggestDepartment(
      {
        alertType: b.alertType,
        zoneType: zone?.properties.zoneType ?? null,
        zoneId: zone?.properties.id ?? null,
        jurisdiction,
      },
      cfg.rules,
    );
    return {
      jurisdictionId: jurisdiction?.properties.id ?? null,
      zoneId: zone?.properties.id ?? null,
      zoneType: zone?.properties.zoneType ?? null,
      departmentId: s.departmentId,
      matchedBy: s.matchedBy,
      rule: typeof s.matchedBy === 'number' ? (cfg.rules.rules[s.matchedBy] ?? null) : null,
    };
  }

  // ------------------------------------------------------------------------------------------------ users

  /** Every user, without password hashes. */
  async listUsers(actor: Actor): Promise<AdminUser[]> {
    assertRole(actor, ADMIN, 'manage users');
    return (await this.deps.repo.listUsers()).map(adminUser);
  }

  private checkDepartment(role: StoredUser['role'], departmentId: string | null): void {
    if ((role === 'office') !== (departmentId !== null)) {
      throw new ValidationError('departmentId is required for office users and not allowed for other roles', [
        {
          code: 'custom',
          path: ['departmentId'],
          message: 'departmentId is required for office users and not allowed for other roles',
        },
      ]);
    }
    if (departmentId !== null && !this.deps.config.departments.some((d) => d.id === departmentId)) {
      throw new ValidationError(
        `unknown department "${departmentId}"`,
        [
          {
            code: 'unknown_reference',
            path: ['departmentId'],
            message: `unknown department "${departmentId}"`,
          },
        ],
        'invalid_reference',
      );
    }
  }

  /**
   * Creates a user (argon2id hash as in `auth.ts`). @throws ValidationError (400) for a bad department;
   * UsernameTakenError (409 `username_taken`).
   */
  async createUser(actor: Actor, b: CreateUserBody): Promise<AdminUser> {
    assertRole(actor, ADMIN, 'manage users');
    this.checkDepartment(b.role, b.departmentId ?? null);
    const u: StoredUser = {
      id: `u_${randomUUID()}`,
      username: b.username,
      displayName: b.displayName,
      role: b.role,
      departmentId: b.departmentId ?? null,
      passwordHash: await hashPassword(b.password),
      disabled: false,
      createdAt: this.now(),
    };
    await this.deps.repo.commit({
      insertUsers: [u],
      audit: [this.audit(actor, 'user', 'user.create', u.id, { before: null, after: adminUser(u) })],
    });
    return adminUser(u);
  }

  /**
   * Changes display name, role, department or the disabled flag. Disabling revokes the user's sessions
   * (and sessions of disabled users are refused anyway). @throws NotFoundError (404); ValidationError (400);
   * LastAdminError (409 `last_admin`) when no enabled admin would remain.
   */
  async updateUser(actor: Actor, id: string, b: UpdateUserBody): Promise<AdminUser> {
    assertRole(actor, ADMIN, 'manage users');
    const before = await this.deps.repo.getUser(id);
    if (!before) throw new NotFoundError('user');
    const role = b.role ?? before.role;
    const next: StoredUser = {
      ...before,
      displayName: b.displayName ?? before.displayName,
      role,
      departmentId:
        b.departmentId !== undefined ? b.departmentId : role === 'office' ? before.departmentId : null,
      disabled: b.disabled ?? before.disabled,
    };
    this.checkDepartment(next.role, next.departmentId);
    const wasAdmin = before.role === 'admin' && !before.disabled;
    const stillAdmin = next.role === 'admin' && !next.disabled;
    if (wasAdmin && !stillAdmin && leavesNoAdmin(await this.deps.repo.listUsers(), next)) {
      throw new LastAdminError();
    }
    await this.deps.repo.commit({
      updateUsers: [next],
      ...(next.disabled && !before.disabled ? { revokeSessionsOf: [{ userId: id, at: this.now() }] } : {}),
      requireEnabledAdmin: wasAdmin && !stillAdmin,
      audit: [
        this.audit(actor, 'user', next.disabled && !before.disabled ? 'user.disable' : 'user.update', id, {
          before: adminUser(before),
          after: adminUser(next),
        }),
      ],
    });
    return adminUser(next);
  }

  /**
   * Sets a new password (argon2id) and ends the user's open sessions. The audit row records that it changed,
   * never the hash.
   */
  async setPassword(actor: Actor, id: string, b: PasswordBody): Promise<AdminUser> {
    assertRole(actor, ADMIN, 'manage users');
    const before = await this.deps.repo.getUser(id);
    if (!before) throw new NotFoundError('user');
    const next = { ...before, passwordHash: await hashPassword(b.password) };
    await this.deps.repo.commit({
      updateUsers: [next],
      revokeSessionsOf: [{ userId: id, at: this.now() }],
      audit: [this.audit(actor, 'user', 'user.password_reset', id, { username: before.username })],
    });
    return adminUser(next);
  }
}
