/**
 * Access rules (pure): who may see and touch what, and which socket rooms a user joins.
 *
 * - `duty`, `supervisor`: all cases; review alerts; dispatch, verify, close, reopen, cancel.
 * - `office`: only cases whose **current** `departmentId` is its own department (a case re-dispatched to
 *   another department leaves its view); accept, return, arrive, resolve, feedback.
 * - `admin`: reads all cases and the audit log; no case actions.
 *
 * The service calls these on every operation; routes never decide access on their own. An office user asking
 * for another department's case gets 404 (the case's existence is not revealed).
 */
import { ForbiddenError, NotFoundError } from './errors.ts';
import type { Case, Role, User } from './schemas.ts';

/** The authenticated caller of a service method. `requestId` is recorded in the audit log. */
export interface Actor {
  userId: string;
  username: string;
  role: Role;
  departmentId: string | null;
  requestId: string | null;
}

/** The system actor (SLA ticker, seeding). */
export const SYSTEM_ACTOR = { userId: 'system', role: 'system' as const };

/** Roles that review alerts and manage dispatch. */
export const STAFF_ROLES: readonly Role[] = ['duty', 'supervisor'];

/**
 * Socket rooms a user joins: `role:duty`, `role:supervisor`, `role:admin`, or `dept:<departmentId>` for an
 * office user (never a role room, so it only receives its own department's case events).
 */
export function roomsFor(user: Pick<User, 'role' | 'departmentId'>): string[] {
  if (user.role === 'office') return user.departmentId ? [`dept:${user.departmentId}`] : [];
  return [`role:${user.role}`];
}

/** Rooms a case event goes to: the staff and admin rooms, plus the assigned department's room. */
export function roomsForCase(c: Pick<Case, 'departmentId'>): string[] {
  const rooms = ['role:duty', 'role:supervisor', 'role:admin'];
  if (c.departmentId) rooms.push(`dept:${c.departmentId}`);
  return rooms;
}

/** Rooms an escalation goes to (supervisors, plus the department so the unit sees it is escalated). */
export function roomsForEscalation(c: Pick<Case, 'departmentId'>): string[] {
  return roomsForCase(c);
}

/** True when `actor` may see case `c`. */
export function canSeeCase(
  actor: Pick<Actor, 'role' | 'departmentId'>,
  c: Pick<Case, 'departmentId'>,
): boolean {
  return actor.role !== 'office' || (actor.departmentId !== null && c.departmentId === actor.departmentId);
}

/** @throws NotFoundError (404) when the case does not exist or `actor` may not see it. */
export function assertCanSee<C extends Pick<Case, 'departmentId'>>(
  actor: Pick<Actor, 'role' | 'departmentId'>,
  c: C | null,
): C {
  if (!c || !canSeeCase(actor, c)) throw new NotFoundError('case');
  return c;
}

/** @throws ForbiddenError (403) unless `actor.role` is one of `roles`. */
export function assertRole(actor: Pick<Actor, 'role'>, roles: readonly Role[], what: string): void {
  if (!roles.includes(actor.role)) throw new ForbiddenError(`role "${actor.role}" may not ${what}`);
}
