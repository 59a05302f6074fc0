/**
 * Typed errors of the dispatch domain. Each carries an HTTP status and a stable machine `code`; the router
 * serialises them as `{ error: { code, message, details? } }` (same shape as `services/api/app.ts`).
 */

/** Base class: `status` is the HTTP status the router answers with. */
export class DispatchError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is well-formed JSON but breaks a rule (missing reason, bad photo, ...). */
export class ValidationError extends DispatchError {
  constructor(message: string, details?: unknown, code = 'invalid') {
    super(400, code, message, details);
  }
}

/** 401: not logged in, or the session expired. */
export class UnauthorizedError extends DispatchError {
  constructor(message = 'login required') {
    super(401, 'unauthorized', message);
  }
}

/** 403: logged in but the role or department may not do this. */
export class ForbiddenError extends DispatchError {
  constructor(message = 'forbidden') {
    super(403, 'forbidden', message);
  }
}

/** 404: no such entity, or one the caller may not see (office users never learn other departments' cases). */
export class NotFoundError extends DispatchError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

/** 409: the stored version differs from the caller's `expectedVersion` (never a silent overwrite). */
export class VersionConflictError extends DispatchError {
  constructor(
    readonly caseId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | null,
  ) {
    super(
      409,
      'version_conflict',
      `case ${caseId} was changed by someone else (expected version ${expectedVersion}, now ${actualVersion ?? 'unknown'}); reload and retry`,
      { expectedVersion, actualVersion },
    );
  }
}

/** 409: the action is not allowed from the case's current state (or for this role). */
export class InvalidTransitionError extends DispatchError {
  constructor(message: string, details?: unknown) {
    super(409, 'invalid_transition', message, details);
  }
}

/** 409: the alert was already confirmed, merged or dismissed. */
export class AlreadyReviewedError extends DispatchError {
  constructor(alertId: string, how: string) {
    super(409, 'already_reviewed', `alert ${alertId} was already ${how}`);
  }
}

/** 429: too many failed logins; `retryAfterS` seconds until the next attempt is allowed. */
export class RateLimitedError extends DispatchError {
  constructor(readonly retryAfterS: number) {
    super(429, 'rate_limited', `too many failed logins; retry in ${retryAfterS} s`, { retryAfterS });
  }
}

/** 409: a configuration document was changed by someone else since the caller read it. */
export class ConfigVersionConflictError extends DispatchError {
  constructor(key: string, expectedVersion: number, actualVersion: number | null) {
    super(
      409,
      'version_conflict',
      `${key} was changed by someone else (expected version ${expectedVersion}, now ${actualVersion ?? 'none'}); reload and retry`,
      { key, expectedVersion, actualVersion },
    );
  }
}

/** 409: the username is already used by another user. */
export class UsernameTakenError extends DispatchError {
  constructor(username: string) {
    super(409, 'username_taken', `username "${username}" is already taken`, [
      { code: 'taken', path: ['username'], message: 'already taken' },
    ]);
  }
}

/** 409: the change would leave no enabled admin. */
export class LastAdminError extends DispatchError {
  constructor() {
    super(409, 'last_admin', 'the last enabled admin cannot be disabled or lose the admin role');
  }
}

/**
 * 409: the entity is still referenced (a department by rules, jurisdictions, users or open cases, ...).
 * `details.usedBy` lists the references so the console can show them.
 */
export class InUseError extends DispatchError {
  constructor(what: string, usedBy: { kind: string; id: string; name?: string }[]) {
    super(
      409,
      'in_use',
      `${what} is still in use by ${usedBy.map((u) => `${u.kind} ${u.name ?? u.id}`).join(', ')}`,
      { usedBy },
    );
  }
}
