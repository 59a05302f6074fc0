/**
 * Storage interfaces. Services depend on these, never on a database driver. The SQLite implementation is the
 * embedded default; a PostgreSQL one implements the same interface.
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
  insertAlert(alert: Alert, event: NewEvent): ServerEvent;
  /** Replaces a stored alert and appends its event (if any) in one transaction. */
  updateAlert(alert: Alert, event: NewEvent | null): ServerEvent | null;
  getAlert(id: string): Alert | null;
  /** Newest first (by firstSeenAt). */
  listAlerts(q: AlertListQuery): Alert[];
  /** Alerts still open (used at start-up to close those left open by a previous run). */
  listOpenAlerts(): Alert[];
}

export interface EventRepository {
  /** Appends an event. @returns it with its id. */
  appendEvent(event: NewEvent): ServerEvent;
  /** Events with id > `afterId`, ascending, at most `limit`. */
  eventsAfter(afterId: number, limit: number): ServerEvent[];
  /** Highest event id, 0 when empty. */
  lastEventId(): number;
}

export interface CameraStatusRepository {
  /** Records a status change (history is kept) and appends the `camera.status` event. */
  recordStatus(camera: CameraHealth): ServerEvent;
  /** Status history of one camera, newest first. */
  statusHistory(cameraId: string, limit: number): CameraStatusChange[];
}

export interface Store extends AlertRepository, EventRepository, CameraStatusRepository {
  close(): void;
}
