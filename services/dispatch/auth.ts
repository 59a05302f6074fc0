/**
 * Authentication: argon2id password hashes (`@node-rs/argon2`, OWASP-recommended parameters: m=19 MiB, t=2,
 * p=1), server-side sessions (the cookie holds a random 256-bit token; the store keeps only its sha256),
 * a per-session CSRF token, and login throttling.
 *
 * CSRF: the session cookie is `HttpOnly; SameSite=Strict` **and** every state-changing request must carry
 * `x-csrf-token` equal to the session's token (synchronizer token, returned by login and `GET /api/auth/me`).
 * Login itself checks `Origin` (when sent) against `Host`.
 *
 * Throttling: at most {@link LoginThrottle} `maxFailures` (5) failed logins per (IP, username) and 4x that
 * per IP within `windowMs` (15 min); further attempts get 429 until the oldest failure leaves the window.
 * Kept in memory (per process; resets on restart) — enough for one service instance.
 */
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../util/clock.ts';
import { iso } from '../util/clock.ts';
import type { AuditInput } from './audit.ts';
import { RateLimitedError, UnauthorizedError } from './errors.ts';
import type { DispatchRepository, SessionRecord, StoredUser } from './repository.ts';
import type { SeedUser, User } from './schemas.ts';

/** Session lifetime: 12 h (one duty shift), absolute. */
export const SESSION_TTL_MS = 12 * 3600_000;

/** sha256 hex of a session token (what the store keeps). */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Hashes a password (argon2id, PHC string). */
export function hashPassword(password: string): Promise<string> {
  return argonHash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

/** Sliding-window failed-login counter (pure apart from the injected clock). */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly clock: Clock,
    readonly maxFailures = 5,
    readonly windowMs = 15 * 60_000,
  ) {}

  private recent(key: string): number[] {
    const now = this.clock.now();
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** @throws RateLimitedError when the (ip, username) or the ip budget is used up. */
  check(ip: string, username: string): void {
    for (const [key, max] of [
      [`u:${ip}:${username}`, this.maxFailures],
      [`ip:${ip}`, this.maxFailures * 4],
    ] as const) {
      const list = this.recent(key);
      if (list.length >= max) {
        const retry = Math.ceil((list[list.length - max]! + this.windowMs - this.clock.now()) / 1000);
        throw new RateLimitedError(Math.max(1, retry));
      }
    }
  }

  /** Records a failed attempt. */
  fail(ip: string, username: string): void {
    const now = this.clock.now();
    for (const key of [`u:${ip}:${username}`, `ip:${ip}`]) this.failures.set(key, [...this.recent(key), now]);
  }

  /** Clears the (ip, username) failures after a successful login. */
  succeed(ip: string, username: string): void {
    this.failures.delete(`u:${ip}:${username}`);
  }
}

/** A logged-in session as the router sees it. */
export interface AuthSession {
  user: User;
  csrfToken: string;
  tokenHash: string;
}

const publicUser = (u: StoredUser): User => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role,
  departmentId: u.departmentId,
});

/** Login, logout, session lookup and seeding. */
export class AuthService {
  private dummyHash: Promise<string> | null = null;
  readonly throttle: LoginThrottle;

  constructor(private readonly deps: { repo: DispatchRepository; clock: Clock; throttle?: LoginThrottle }) {
    this.throttle = deps.throttle ?? new LoginThrottle(deps.clock);
  }

  /**
   * Verifies the password and opens a session.
   * @returns the session token (for the cookie), its CSRF token and the user.
   * @throws RateLimitedError (429) when throttled; UnauthorizedError (401) `invalid username or password`.
   */
  async login(
    username: string,
    password: string,
    ip: string,
    requestId: string | null,
  ): Promise<{ token: string; csrfToken: string; user: User; expiresAt: string }> {
    this.throttle.check(ip, username);
    const u = await this.deps.repo.getUserByUsername(username);
    // Verify against a dummy hash for unknown users so timing does not reveal which usernames exist.
    this.dummyHash ??= hashPassword(randomUUID());
    const ok = await argonVerify(u?.passwordHash ?? (await this.dummyHash), password).catch(() => false);
    const at = iso(this.deps.clock.now());
    if (!u || !ok || u.disabled) {
      this.throttle.fail(ip, username);
      await this.deps.repo.commit({
        audit: [
          authAudit(
            at,
            u?.id ?? `unknown:${username.slice(0, 64)}`,
            u?.role ?? null,
            'auth.login_failed',
            { ip },
            requestId,
          ),
        ],
      });
      throw new UnauthorizedError('invalid username or password');
    }
    this.throttle.succeed(ip, username);
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const s: SessionRecord = {
      tokenHash: tokenHash(token),
      userId: u.id,
      csrfToken,
      createdAt: at,
      expiresAt: iso(this.deps.clock.now() + SESSION_TTL_MS),
      revokedAt: null,
    };
    await this.deps.repo.createSession(s);
    await this.deps.repo.commit({ audit: [authAudit(at, u.id, u.role, 'auth.login', { ip }, requestId)] });
    return { token, csrfToken, user: publicUser(u), expiresAt: s.expiresAt };
  }

  /** The session of a cookie token, or null when unknown, revoked, expired or the user is disabled. */
  async authenticate(token: string | undefined): Promise<AuthSession | null> {
    if (!token) return null;
    const h = tokenHash(token);
    const s = await this.deps.repo.getSession(h);
    if (!s || s.revokedAt || Date.parse(s.expiresAt) <= this.deps.clock.now()) return null;
    const u = await this.deps.repo.getUser(s.userId);
    if (!u || u.disabled) return null;
    return { user: publicUser(u), csrfToken: s.csrfToken, tokenHash: h };
  }

  /** Revokes the session (idempotent) and audits the logout. */
  async logout(session: AuthSession, requestId: string | null): Promise<void> {
    const at = iso(this.deps.clock.now());
    await this.deps.repo.revokeSession(session.tokenHash, at);
    await this.deps.repo.commit({
      audit: [authAudit(at, session.user.id, session.user.role, 'auth.logout', {}, requestId)],
    });
  }

  /**
   * Creates the seed users that do not exist yet. Each password comes from `env[passwordEnvName(username)]`;
   * when unset, a random one is generated and handed to `print` once (never to the logger). Existing users
   * are left alone (passwords are not reset).
   * @returns the usernames created.
   */
  async seedUsers(
    users: readonly SeedUser[],
    env: Record<string, string | undefined>,
    print: (line: string) => void,
  ): Promise<string[]> {
    const created: string[] = [];
    for (const s of users) {
      if (await this.deps.repo.getUserByUsername(s.username)) continue;
      const fromEnv = env[passwordEnvName(s.username)];
      const password = fromEnv ?? randomBytes(12).toString('base64url');
      const inserted = await this.deps.repo.insertUserIfAbsent({
        id: `u_${randomUUID()}`,
        username: s.username,
        displayName: s.displayName,
        role: s.role,
        departmentId: s.departmentId ?? null,
        passwordHash: await hashPassword(password),
        disabled: false,
        createdAt: iso(this.deps.clock.now()),
      });
      if (!inserted) continue;
      created.push(s.username);
      if (fromEnv === undefined) print(`initial password for ${s.username}: ${password}`);
    }
    return created;
  }
}

/** Env variable holding a seed user's password: `TOWERWATCH_PASSWORD_<USERNAME>` ("-", "." → "_"). */
export const passwordEnvName = (username: string) =>
  `TOWERWATCH_PASSWORD_${username.toUpperCase().replace(/[-.]/g, '_')}`;

function authAudit(
  at: string,
  actorId: string,
  role: User['role'] | null,
  action: string,
  details: Record<string, unknown>,
  requestId: string | null,
): AuditInput {
  return {
    at,
    actorId,
    actorRole: role ?? 'system',
    action,
    entityType: 'session',
    entityId: actorId,
    caseId: null,
    fromState: null,
    toState: null,
    reason: null,
    details,
    requestId,
  };
}
