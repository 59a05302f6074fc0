/**
 * Cases as the console knows them, and their pure reducer. No React, no socket, no DOM.
 *
 * Case events (`case` socket messages) are not in the replayed event log: after every (re)connect the console
 * refetches `GET /api/cases` and merges it. Ordering rule: a case record only ever replaces one with a LOWER
 * `version` (the server bumps it on every stored change), so a late or duplicated event never rolls a case
 * back, whatever order the REST answer and the live events arrive in.
 */
import type { Case, CaseEvent, CaseState } from '../../services/dispatch/schemas.ts';

export interface CasesState {
  readonly byId: Readonly<Record<string, Case>>;
  /** The first `GET /api/cases` after login answered. */
  readonly loaded: boolean;
}

export const initialCases: CasesState = { byId: {}, loaded: false };

/** Apply one live case event (dropped, same object returned, when we already have that version or newer). */
export function applyCaseEvent(state: CasesState, e: Pick<CaseEvent, 'case'>): CasesState {
  const cur = state.byId[e.case.id];
  if (cur !== undefined && cur.version >= e.case.version) return state;
  return { ...state, byId: { ...state.byId, [e.case.id]: e.case } };
}

/** Apply one case record (e.g. a transition's response); same rule as events. */
export function applyCase(state: CasesState, c: Case): CasesState {
  return applyCaseEvent(state, { case: c });
}

/**
 * Merge a full `GET /api/cases` answer: it is the server's truth for which cases are visible (an office user
 * loses a case re-dispatched elsewhere), but a case we hold at a newer version (an event that overtook the
 * request) keeps that version.
 */
export function applyCaseList(state: CasesState, list: readonly Case[]): CasesState {
  const byId: Record<string, Case> = {};
  for (const c of list) {
    const cur = state.byId[c.id];
    byId[c.id] = cur !== undefined && cur.version > c.version ? cur : c;
  }
  return { byId, loaded: true };
}

/** Board columns, in lifecycle order. `new` also holds cases waiting for a (re-)dispatch. */
export const BOARD_COLUMNS = ['new', 'dispatched', 'accepted', 'on_site', 'resolved', 'verified'] as const;
export type BoardColumn = (typeof BOARD_COLUMNS)[number];

/** Terminal states, shown collapsed under the board. */
export const DONE_STATES: readonly CaseState[] = ['closed', 'cancelled'];

/** Open states (an alert can be merged into these; mirrors `OPEN_STATES` of the case machine). */
export const MERGEABLE_STATES: readonly CaseState[] = [
  'new',
  'dispatched',
  'accepted',
  'on_site',
  'resolved',
  'returned',
  'reopened',
];

/** The board column of a state (null for closed / cancelled). */
export function columnOf(state: CaseState): BoardColumn | null {
  switch (state) {
    case 'new':
    case 'returned':
    case 'reopened':
      return 'new';
    case 'dispatched':
    case 'accepted':
    case 'on_site':
    case 'resolved':
    case 'verified':
      return state;
    case 'closed':
    case 'cancelled':
      return null;
  }
}

const time = (iso: string | null): number => {
  const t = iso === null ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** Most recently updated first (ties by id for a stable order). */
export function byUpdatedDesc(a: Case, b: Case): number {
  return time(b.updatedAt) - time(a.updatedAt) || b.id.localeCompare(a.id);
}

export interface Board {
  columns: Record<BoardColumn, Case[]>;
  done: Case[];
}

/** Cases grouped into board columns: overdue / escalated first, then most recently updated. */
export function selectBoard(state: Pick<CasesState, 'byId'>): Board {
  const columns = Object.fromEntries(BOARD_COLUMNS.map((c) => [c, [] as Case[]])) as Record<
    BoardColumn,
    Case[]
  >;
  const done: Case[] = [];
  for (const c of Object.values(state.byId)) {
    const col = columnOf(c.state);
    if (col === null) done.push(c);
    else columns[col].push(c);
  }
  const urgentFirst = (a: Case, b: Case) =>
    Number(isOverdue(b)) - Number(isOverdue(a)) ||
    b.escalationLevel - a.escalationLevel ||
    byUpdatedDesc(a, b);
  for (const col of BOARD_COLUMNS) columns[col].sort(urgentFirst);
  done.sort(byUpdatedDesc);
  return { columns, done };
}

/** A case has a missed SLA stage in its current cycle. */
export function isOverdue(c: Pick<Case, 'overdue'>): boolean {
  return c.overdue.length > 0;
}

/** Cases an alert can be merged into, most recently updated first. */
export function selectMergeTargets(state: Pick<CasesState, 'byId'>): Case[] {
  return Object.values(state.byId)
    .filter((c) => MERGEABLE_STATES.includes(c.state))
    .sort(byUpdatedDesc);
}

/** The case an alert belongs to (confirmed into or merged into), if we know it. */
export function caseOfAlert(state: Pick<CasesState, 'byId'>, alertId: string): Case | null {
  let found: Case | null = null;
  for (const c of Object.values(state.byId)) {
    if (c.alertIds.includes(alertId) && (found === null || byUpdatedDesc(c, found) < 0)) found = c;
  }
  return found;
}

/** Office portal order: cases needing action first (dispatched, accepted, on site), then the rest. */
export function selectOfficeCases(state: Pick<CasesState, 'byId'>): { active: Case[]; other: Case[] } {
  const activeStates: readonly CaseState[] = ['dispatched', 'accepted', 'on_site'];
  const all = Object.values(state.byId);
  const active = all
    .filter((c) => activeStates.includes(c.state))
    .sort(
      (a, b) =>
        Number(isOverdue(b)) - Number(isOverdue(a)) ||
        time(a.dispatchedAt) - time(b.dispatchedAt) ||
        a.id.localeCompare(b.id),
    );
  const other = all.filter((c) => !activeStates.includes(c.state)).sort(byUpdatedDesc);
  return { active, other };
}
