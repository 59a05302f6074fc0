/**
 * Console state and its pure reducer. No React, no socket, no DOM: everything here is unit-tested.
 *
 * Exactly-once rule: the server's durable events carry a strictly increasing integer `id`. The state keeps
 * the highest id applied (`lastEventId`); an event whose id is <= that is dropped and the SAME state object
 * is returned, so a replay that overlaps what we already have (or a duplicate delivery) changes nothing.
 */
import type { Alert, CameraHealth, ServerEvent } from '../../services/schemas/api.ts';

/** How many closed alerts the console keeps for the "recently closed" section. */
export const MAX_CLOSED = 50;

export interface ConsoleState {
  /** Highest event id applied (0 = none). Sent as `auth.lastEventId` on every (re)connect. */
  readonly lastEventId: number;
  /** Every alert we know of, open and (recently) closed, by id. */
  readonly alerts: Readonly<Record<string, Alert>>;
  /** Cameras by id. */
  readonly cameras: Readonly<Record<string, CameraHealth>>;
}

export function initialState(lastEventId = 0): ConsoleState {
  return { lastEventId: sanitizeEventId(lastEventId), alerts: {}, cameras: {} };
}

/** A stored/received event id as a non-negative integer (anything else → 0). */
export function sanitizeEventId(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** An ISO timestamp as epoch ms (null / unparsable → 0). */
const time = (iso: string | null): number => {
  const t = iso === null ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** Apply one server event. Returns `state` itself (unchanged) when the event was already seen. */
export function applyEvent(state: ConsoleState, event: ServerEvent): ConsoleState {
  if (!(event.id > state.lastEventId)) return state; // also drops NaN / non-numbers
  const lastEventId = event.id;
  switch (event.kind) {
    case 'alert.opened':
    case 'alert.updated':
      return {
        ...state,
        lastEventId,
        alerts: pruneClosed({ ...state.alerts, [event.alert.id]: event.alert }),
      };
    case 'alert.closed': {
      const closed: Alert = { ...event.alert, status: 'closed', closedAt: event.alert.closedAt ?? event.at };
      return { ...state, lastEventId, alerts: pruneClosed({ ...state.alerts, [closed.id]: closed }) };
    }
    case 'camera.status': {
      // A replayed status change not newer than what the console holds (the /api/health snapshot loaded before the
      // replay, or a later event) only advances the cursor: status never goes back in time.
      const held = state.cameras[event.camera.id];
      if (held && time(held.statusSince) >= time(event.camera.statusSince)) return { ...state, lastEventId };
      return { ...state, lastEventId, cameras: { ...state.cameras, [event.camera.id]: event.camera } };
    }
    default: {
      // An event kind this console does not know (newer server): remember the id, change nothing else.
      const _exhaustive: never = event;
      return { ...state, lastEventId };
    }
  }
}

/** Apply several events in order (e.g. a batch received while rendering). */
export function applyEvents(state: ConsoleState, events: readonly ServerEvent[]): ConsoleState {
  return events.reduce(applyEvent, state);
}

/**
 * Merge the REST snapshot fetched on first load (`/api/alerts?status=open|closed`, `/api/health`).
 * It does not touch `lastEventId`: the socket replay after it brings the state up to date, and events
 * are applied over the snapshot in id order.
 */
export function applySnapshot(
  state: ConsoleState,
  snapshot: { alerts?: readonly Alert[]; cameras?: readonly CameraHealth[] },
): ConsoleState {
  const alerts = { ...state.alerts };
  for (const a of snapshot.alerts ?? []) alerts[a.id] = a;
  const cameras = { ...state.cameras };
  for (const c of snapshot.cameras ?? []) cameras[c.id] = c;
  return { ...state, alerts: pruneClosed(alerts), cameras };
}

/**
 * Replace the camera list with a fresh `/api/health` snapshot. The snapshot is authoritative for which cameras
 * exist (a camera removed or renamed by an admin emits no event) and for the fields that change without a status
 * event (name, `lastFrameAt`, frame counters); a camera whose held status is newer than the snapshot's (a
 * `camera.status` event that arrived while the request was in flight: later `statusSince`) keeps it.
 */
export function replaceCameras(state: ConsoleState, cameras: readonly CameraHealth[]): ConsoleState {
  const next: Record<string, CameraHealth> = {};
  for (const c of cameras) {
    const held = state.cameras[c.id];
    next[c.id] = held && time(held.statusSince) > time(c.statusSince) ? held : c;
  }
  return { ...state, cameras: next };
}

/**
 * The server's event log is behind what we remember (it was reset / its database replaced): forget our
 * high-water mark so that the server's new events are not dropped as duplicates.
 */
export function resetEventCursor(state: ConsoleState, serverLastEventId: number): ConsoleState {
  const id = sanitizeEventId(serverLastEventId);
  return id < state.lastEventId ? { ...state, lastEventId: id } : state;
}

/** Open alerts, newest first (by first seen; ties by id for a stable order). */
export function selectOpenAlerts(state: Pick<ConsoleState, 'alerts'>): Alert[] {
  return Object.values(state.alerts)
    .filter((a) => a.status === 'open')
    .sort((a, b) => time(b.firstSeenAt) - time(a.firstSeenAt) || b.id.localeCompare(a.id));
}

/** Closed alerts, most recently closed first. */
export function selectClosedAlerts(state: Pick<ConsoleState, 'alerts'>): Alert[] {
  return Object.values(state.alerts)
    .filter((a) => a.status === 'closed')
    .sort(
      (a, b) =>
        time(b.closedAt ?? b.lastSeenAt) - time(a.closedAt ?? a.lastSeenAt) || b.id.localeCompare(a.id),
    );
}

/** Cameras sorted by id (slugs follow the site configuration; names would sort by pinyin). */
export function selectCameras(state: Pick<ConsoleState, 'cameras'>): CameraHealth[] {
  return Object.values(state.cameras).sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

function pruneClosed(alerts: Record<string, Alert>): Record<string, Alert> {
  const closed = Object.values(alerts).filter((a) => a.status === 'closed');
  if (closed.length <= MAX_CLOSED) return alerts;
  closed.sort((a, b) => time(b.closedAt ?? b.lastSeenAt) - time(a.closedAt ?? a.lastSeenAt));
  const out = { ...alerts };
  for (const a of closed.slice(MAX_CLOSED)) delete out[a.id];
  return out;
}
