/**
 * The console's single store: the reduced server state plus connection flags, with subscribe/getSnapshot for
 * `useSyncExternalStore`, and the bootstrap (REST snapshot → socket with replay).
 */
import type { Case, CaseEvent } from '../../services/dispatch/schemas.ts';
import type {
  AlertListResponse,
  CameraHealth,
  HealthProbe,
  HealthResponse,
  ServerEvent,
} from '../../services/schemas/api.ts';
import { apiGet } from './api.ts';
import { applyCase, applyCaseEvent, applyCaseList, initialCases, type CasesState } from './caseState.ts';
import { connectSocket, type ConnectionState, type ConsoleSocket } from './socket.ts';
import {
  applyEvent,
  applySnapshot,
  initialState,
  replaceCameras,
  resetEventCursor,
  sanitizeEventId,
  type ConsoleState,
} from './state.ts';

export const LAST_EVENT_ID_KEY = 'towerwatch.lastEventId';
/**
 * How often the console refetches `/api/health`, ms: last-frame times, frame counters, names and the camera list
 * change without a socket event (only status changes are events), so the camera panel would go stale without it.
 */
export const HEALTH_REFRESH_MS = 15_000;

export interface StoreState {
  readonly data: ConsoleState;
  readonly connection: ConnectionState;
  /** The server finished replaying missed events at least once since page load. */
  readonly replayDone: boolean;
  /** The initial REST load failed (the console then rebuilds from a full replay). */
  readonly loadFailed: boolean;
  /** Cases visible to the logged-in user (empty when logged out). */
  readonly cases: CasesState;
  /** +1 for every alert that opened while we were live (after the first replay): drives the alarm. */
  readonly alarmSeq: number;
  /** The alert that raised the latest alarm. */
  readonly alarmAlertId: string | null;
}

type Listener = () => void;

export function readStoredEventId(): number {
  try {
    return sanitizeEventId(globalThis.localStorage?.getItem(LAST_EVENT_ID_KEY));
  } catch {
    return 0;
  }
}

function writeStoredEventId(id: number): void {
  try {
    globalThis.localStorage?.setItem(LAST_EVENT_ID_KEY, String(id));
  } catch {
    // private mode / quota: the console still works, it just replays more after a reload
  }
}

export class ConsoleStore {
  private state: StoreState;
  private readonly listeners = new Set<Listener>();
  private socket: ConsoleSocket | null = null;

  constructor(lastEventId = 0) {
    this.state = {
      data: initialState(lastEventId),
      connection: 'connecting',
      replayDone: false,
      loadFailed: false,
      cases: initialCases,
      alarmSeq: 0,
      alarmAlertId: null,
    };
  }

  private loggedIn = false;
  private casesRequest = 0;
  private healthTimer: ReturnType<typeof setInterval> | null = null;
  private healthRequest = 0;
  private fetchFn: typeof fetch = (input, init) => globalThis.fetch(input, init);

  getSnapshot = (): StoreState => this.state;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  private set(next: StoreState): void {
    if (next === this.state) return;
    const prevId = this.state.data.lastEventId;
    this.state = next;
    if (next.data.lastEventId !== prevId) writeStoredEventId(next.data.lastEventId);
    for (const l of this.listeners) l();
  }

  /** Apply a server event (duplicates / already-seen ids are dropped by the reducer). */
  applyEvent = (e: ServerEvent): void => {
    const data = applyEvent(this.state.data, e);
    if (data === this.state.data) return;
    const isNew = e.kind === 'alert.opened' && this.state.data.alerts[e.alert.id] === undefined;
    if (isNew && this.state.replayDone) {
      this.set({ ...this.state, data, alarmSeq: this.state.alarmSeq + 1, alarmAlertId: e.alert.id });
    } else {
      this.set({ ...this.state, data });
    }
  };

  /** Apply a live case event (older versions than the one we hold are dropped). */
  applyCaseEvent = (e: CaseEvent): void => {
    const cases = applyCaseEvent(this.state.cases, e);
    if (cases !== this.state.cases) this.set({ ...this.state, cases });
  };

  /** Apply a case record returned by a write (confirm, transition, feedback). */
  applyCase = (c: Case): void => {
    const cases = applyCase(this.state.cases, c);
    if (cases !== this.state.cases) this.set({ ...this.state, cases });
  };

  /** Refetch the cases visible to the session (after login and every socket (re)connect). */
  async loadCases(): Promise<void> {
    if (!this.loggedIn) return;
    const req = ++this.casesRequest;
    try {
      const r = await apiGet<{ cases: Case[] }>('/api/cases?limit=500');
      if (req !== this.casesRequest || !this.loggedIn) return;
      this.set({ ...this.state, cases: applyCaseList(this.state.cases, r.cases) });
    } catch {
      // shown as "not loaded"; the next reconnect retries
    }
  }

  /**
   * The session changed (login, logout, restored session): the server joins socket rooms from the cookie at
   * connect time only, so reconnect the socket; load or forget the cases.
   */
  sessionChanged(loggedIn: boolean, reconnect = true): void {
    this.loggedIn = loggedIn;
    this.casesRequest++;
    this.set({ ...this.state, cases: initialCases });
    // The alert snapshot failed while logged out (401): load it again with the session, then reconnect.
    if (reconnect && this.socket !== null) {
      if (loggedIn && this.state.loadFailed && this.url === undefined) void this.start();
      else this.connect(this.url);
    }
    if (loggedIn) void this.loadCases();
  }

  /** Fetch the open alerts, recently closed alerts and camera health, then open the socket. */
  async start(fetchFn: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<void> {
    this.fetchFn = fetchFn;
    const getJson = async <T>(url: string): Promise<T> => {
      const r = await fetchFn(url, { headers: { accept: 'application/json' } });
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return (await r.json()) as T;
    };
    const [open, health, closed] = await Promise.allSettled([
      getJson<AlertListResponse>('/api/alerts?status=open&limit=500'),
      getJson<HealthResponse | HealthProbe>('/api/health').then(cameraHealth),
      getJson<AlertListResponse>('/api/alerts?status=closed&limit=20'),
    ]);
    let data = this.state.data;
    if (open.status === 'fulfilled' && health.status === 'fulfilled') {
      data = applySnapshot(data, {
        alerts: [...(closed.status === 'fulfilled' ? closed.value.alerts : []), ...open.value.alerts],
        cameras: health.value,
      });
      this.set({ ...this.state, data, loadFailed: false });
    } else {
      // Without a baseline, the stored cursor would hide everything before it: ask for a full replay.
      data = applySnapshot(initialState(0), {
        alerts: open.status === 'fulfilled' ? open.value.alerts : [],
        cameras: health.status === 'fulfilled' ? health.value : [],
      });
      this.state = { ...this.state, data, loadFailed: true }; // do not persist the 0 until events arrive
      for (const l of this.listeners) l();
    }
    this.connect();
  }

  private url: string | undefined;

  connect(url?: string): void {
    this.url = url;
    this.socket?.disconnect();
    this.socket = connectSocket(
      {
        onCase: this.applyCaseEvent,
        onConnect: () => void this.loadCases(),
        getLastEventId: () => this.state.data.lastEventId,
        onEvent: this.applyEvent,
        onReplayDone: (p) => {
          const data = resetEventCursor(this.state.data, p.lastEventId);
          this.set({ ...this.state, data, replayDone: true });
          // The replay brings each camera's last status change, not what happened since (frames, renames,
          // removals): take the camera list from a fresh health snapshot now and every HEALTH_REFRESH_MS.
          void this.refreshHealth();
          this.healthTimer ??= setInterval(() => void this.refreshHealth(), HEALTH_REFRESH_MS);
        },
        onConnectionState: (connection) => {
          if (connection !== this.state.connection) this.set({ ...this.state, connection });
        },
      },
      url,
    );
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = null;
    if (this.healthTimer !== null) clearInterval(this.healthTimer);
    this.healthTimer = null;
  }

  /**
   * Refetch `/api/health` and make it the camera list (`replaceCameras`). A failed request (offline, logged out)
   * keeps the list as it is; a response that arrives after a newer request was sent is ignored.
   */
  async refreshHealth(): Promise<void> {
    const req = ++this.healthRequest;
    try {
      const r = await this.fetchFn('/api/health', { headers: { accept: 'application/json' } });
      if (!r.ok) return;
      const cameras = cameraHealth((await r.json()) as HealthResponse | HealthProbe);
      if (req !== this.healthRequest) return;
      this.set({ ...this.state, data: replaceCameras(this.state.data, cameras) });
    } catch {
      // network error or a probe answer (the session ended): the next refresh retries
    }
  }
}

/**
 * The camera list of a `/api/health` answer; a {@link HealthProbe} (no session: counts only) has none.
 * @throws Error for a probe answer, so the first load treats it as a failed request.
 */
function cameraHealth(h: HealthResponse | HealthProbe): CameraHealth[] {
  if (!Array.isArray(h.cameras)) throw new Error('/api/health: no camera detail (not logged in)');
  return h.cameras;
}

/** The page's store (created on first use so tests can import this module without a browser). */
let pageStore: ConsoleStore | null = null;
export function getStore(): ConsoleStore {
  pageStore ??= new ConsoleStore(readStoredEventId());
  return pageStore;
}
