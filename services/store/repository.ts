/**
 * Storage interfaces. Services depend on these, never on a database driver. SQLite (`sqliteStore.ts`) is the
 * embedded default, PostgreSQL (`pgStore.ts`) the city-scale one; one test suite runs against both
 * (`test/medium/alertStore.test.ts`).
 *
 * Every method is asynchronous; a write resolves only after its transaction has committed. Event ids are
 * assigned in commit order (SQLite: one writer; PostgreSQL: event-appending transactions serialise on an
 * advisory lock), so a reader that sees event n has also seen every committed event below n: `eventsAfter` never
 * skips an event that commits later. Ids may have gaps (a PostgreSQL transaction rolled back after taking one).
 * Callers that read an alert, modify it and write it back must serialise those sections themselves
 * (the AlertService does); `updateAlert` replaces the whole row.
 */
import type { Alert, AlertListQuery, CameraHealth, CameraStatusChange, ServerEvent } from '../schemas/api.ts';

/** An event before the store has assigned its id. */
export type NewEvent = ServerEvent extends infer E
  ? E extends { id: number }
    ? Omit<E, 'id'>
    : never
  : never;

export interface AlertRepository {
  /** Inserts an alert and appends its event in one transaction. @returns the stored event (with its id). */
  insertAlert(alert: Alert, event: NewEvent): Promise<ServerEvent>;
  /** Replaces a stored alert and appends its event (if any) in one transaction. */
  updateAlert(alert: Alert, event: NewEvent | null): Promise<ServerEvent | null>;
  getAlert(id: string): Promise<Alert | null>;
  /** Newest first (by firstSeenAt). */
  listAlerts(q: AlertListQuery): Promise<Alert[]>;
  /** Alerts still open (used at start-up to close those left open by a previous run). */
  listOpenAlerts(): Promise<Alert[]>;
}

export interface EventRepository {
  /** Appends an event. @returns it with its id. */
  appendEvent(event: NewEvent): Promise<ServerEvent>;
  /** Events with id > `afterId`, ascending, at most `limit`. */
  eventsAfter(afterId: number, limit: number): Promise<ServerEvent[]>;
  /** Highest event id, 0 when empty. */
  lastEventId(): Promise<number>;
}

export interface CameraStatusRepository {
  /** Records a status change (history is kept) and appends the `camera.status` event. */
  recordStatus(camera: CameraHealth): Promise<ServerEvent>;
  /** Status history of one camera, newest first. */
  statusHistory(cameraId: string, limit: number): Promise<CameraStatusChange[]>;
}

export interface Store extends AlertRepository, EventRepository, CameraStatusRepository {
  /** Closes the store (a PostgreSQL store leaves a pool it was given open). */
  close(): Promise<void>;
}
