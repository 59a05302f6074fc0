/**
 * The case lifecycle as an explicit, pure state machine.
 *
 * ```
 *  new ──dispatch──▶ dispatched ──accept──▶ accepted ──arrive──▶ on_site ──resolve──▶ resolved ──verify──▶ verified ──close──▶ closed
 *                     │  ▲                    │                                       │                     │                    │
 *                return│  │dispatch       return│                                reopen│               reopen│              reopen│
 *                     ▼  │                    ▼                                       ▼                     ▼                    ▼
 *                   returned ◀────────────────┘                                     reopened ──dispatch──▶ dispatched
 *  cancel: from new, dispatched, accepted, returned, reopened → cancelled (terminal)
 * ```
 *
 * `returned`: the unit says the case is not theirs (reason required), duty staff re-dispatch it.
 * `reopened`: duty staff reject a resolution or reopen a verified/closed case (reason required); it then
 * goes to `dispatched` again. Department scoping (an office user acts only on its own department's cases) is
 * enforced by the service, not here.
 */
import { ForbiddenError, InvalidTransitionError, ValidationError } from './errors.ts';
import type { Case, CaseAction, CaseState, Disposition, Role } from './schemas.ts';

/** One row of the transition table: `action` by one of `roles` moves a case from any of `from` to `to`. */
export interface TransitionRule {
  action: CaseAction;
  from: readonly CaseState[];
  to: CaseState;
  roles: readonly Role[];
}

const STAFF: readonly Role[] = ['duty', 'supervisor'];
const UNIT: readonly Role[] = ['office'];

/** The transition table: (from, action, role) → to. */
export const TRANSITIONS: readonly TransitionRule[] = [
  { action: 'dispatch', from: ['new', 'returned', 'reopened'], to: 'dispatched', roles: STAFF },
  { action: 'accept', from: ['dispatched'], to: 'accepted', roles: UNIT },
  { action: 'return', from: ['dispatched', 'accepted'], to: 'returned', roles: UNIT },
  { action: 'arrive', from: ['accepted'], to: 'on_site', roles: UNIT },
  { action: 'resolve', from: ['on_site'], to: 'resolved', roles: UNIT },
  { action: 'verify', from: ['resolved'], to: 'verified', roles: STAFF },
  { action: 'close', from: ['verified'], to: 'closed', roles: STAFF },
  { action: 'reopen', from: ['resolved', 'verified', 'closed'], to: 'reopened', roles: STAFF },
  {
    action: 'cancel',
    from: ['new', 'dispatched', 'accepted', 'returned', 'reopened'],
    to: 'cancelled',
    roles: STAFF,
  },
];

/** Actions that need a non-empty `reason` (recorded in the audit log). */
export const REASON_REQUIRED: ReadonlySet<CaseAction> = new Set(['return', 'reopen', 'cancel']);

/** States in which the assigned unit is working (SLA clocks run). */
export const ACTIVE_STATES: ReadonlySet<CaseState> = new Set(['dispatched', 'accepted', 'on_site']);

/** States in which a case still accepts merged alerts and feedback notes. */
export const OPEN_STATES: ReadonlySet<CaseState> = new Set([
  'new',
  'dispatched',
  'accepted',
  'on_site',
  'resolved',
  'returned',
  'reopened',
]);

/**
 * The target state of `action` on a case in `from` by a user with `role`.
 * @throws InvalidTransitionError (409) `cannot <action> a case in state "<from>"`.
 * @throws ForbiddenError (403) `role "<role>" may not <action> a case` when the state allows the action but
 *   the role does not.
 */
export function nextState(from: CaseState, action: CaseAction, role: Role): CaseState {
  const rule = TRANSITIONS.find((t) => t.action === action && t.from.includes(from));
  if (!rule) {
    throw new InvalidTransitionError(`cannot ${action} a case in state "${from}"`, {
      state: from,
      action,
      allowed: allowedActions(from, role),
    });
  }
  if (!rule.roles.includes(role)) {
    throw new ForbiddenError(`role "${role}" may not ${action} a case`);
  }
  return rule.to;
}

/** Actions a user with `role` may take on a case in `state` (for the console's buttons). */
export function allowedActions(state: CaseState, role: Role): CaseAction[] {
  return TRANSITIONS.filter((t) => t.from.includes(state) && t.roles.includes(role)).map((t) => t.action);
}

/** Input of {@link applyTransition}. */
export interface TransitionInput {
  action: CaseAction;
  role: Role;
  reason?: string | undefined;
  /** Required for `dispatch`: the department the case goes to. */
  departmentId?: string | undefined;
  /** Optional for `resolve` (a disposition must be known, from here or from earlier feedback). */
  disposition?: Disposition | undefined;
}

/**
 * Applies one transition and returns the next case record (version + 1, timeline updated). Pure.
 * A dispatch starts a new cycle: `dispatchedAt` = now, later stages, overdue flags and escalation reset.
 * @param at ISO-8601 UTC time of the action.
 * @throws InvalidTransitionError for a transition not in {@link TRANSITIONS}.
 * @throws ValidationError when a reason, department or disposition is required but missing.
 */
export function applyTransition(c: Case, input: TransitionInput, at: string): Case {
  const to = nextState(c.state, input.action, input.role);
  if (REASON_REQUIRED.has(input.action) && !input.reason?.trim()) {
    throw new ValidationError(
      `a reason is required to ${input.action} a case`,
      { field: 'reason' },
      'reason_required',
    );
  }
  const next: Case = { ...c, state: to, version: c.version + 1, updatedAt: at };
  switch (input.action) {
    case 'dispatch':
      if (!input.departmentId) {
        throw new ValidationError('departmentId is required to dispatch a case', { field: 'departmentId' });
      }
      return {
        ...next,
        departmentId: input.departmentId,
        dispatchedAt: at,
        acceptedAt: null,
        onSiteAt: null,
        resolvedAt: null,
        verifiedAt: null,
        closedAt: null,
        overdue: [],
        escalationLevel: 0,
      };
    case 'accept':
      return { ...next, acceptedAt: at };
    case 'arrive':
      return { ...next, onSiteAt: at };
    case 'resolve': {
      const disposition = input.disposition ?? c.disposition;
      if (!disposition) {
        throw new ValidationError(
          'a disposition is required to resolve a case (send it with the action or as feedback first)',
          { field: 'disposition' },
          'disposition_required',
        );
      }
      return { ...next, resolvedAt: at, disposition };
    }
    case 'verify':
      return { ...next, verifiedAt: at };
    case 'close':
      return { ...next, closedAt: at };
    case 'return':
    case 'reopen':
    case 'cancel':
      return next;
  }
}
