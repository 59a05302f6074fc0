/**
 * The one socket.io client of the console, typed with the shared contract.
 *
 * `auth` is a FUNCTION, so every (re)connect handshake carries the CURRENT highest event id, not the one
 * from page load; the server then replays only what we have not seen yet.
 */
import { io, type Socket } from 'socket.io-client';
import type { CaseEvent } from '../../services/dispatch/schemas.ts';
import type {
  ClientToServerEvents,
  ServerEvent,
  ServerToClientEvents,
  SocketAuth,
} from '../../services/schemas/api.ts';

export type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connection as shown in the header. `connecting` = never connected yet; `reconnecting` = lost, retrying. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface SocketHandlers {
  /** Highest event id applied so far (read at every handshake). */
  getLastEventId: () => number;
  onEvent: (event: ServerEvent) => void;
  onReplayDone: (p: { lastEventId: number; replayed: number }) => void;
  onConnectionState: (s: ConnectionState) => void;
  /** A case event for one of the rooms the session belongs to (joined by the server from the cookie). */
  onCase?: (event: CaseEvent) => void;
  /** Every successful (re)connect (case events are not replayed: refetch the cases). */
  onConnect?: () => void;
}

/** Opens the socket (same origin, default path `/socket.io`). Call `disconnect()` on the result to stop. */
export function connectSocket(h: SocketHandlers, url?: string): ConsoleSocket {
  const opts = {
    auth: (cb: (data: SocketAuth) => void) => cb({ lastEventId: h.getLastEventId() }),
    reconnectionDelay: 1_000,
    reconnectionDelayMax: 10_000,
  };
  const socket: ConsoleSocket = url === undefined ? io(opts) : io(url, opts);
  let everConnected = false;

  socket.on('connect', () => {
    everConnected = true;
    h.onConnectionState('connected');
    h.onConnect?.();
  });
  socket.on('disconnect', () => h.onConnectionState(everConnected ? 'reconnecting' : 'connecting'));
  socket.on('connect_error', () => h.onConnectionState(everConnected ? 'reconnecting' : 'connecting'));
  socket.on('event', (e) => {
    // Types say ServerEvent; a malformed payload must not take the console down.
    if (typeof e === 'object' && e !== null && typeof e.id === 'number') h.onEvent(e);
  });
  socket.on('replay.done', (p) => h.onReplayDone(p));
  socket.on('case', (e) => {
    if (typeof e === 'object' && e !== null && typeof e.case === 'object' && e.case !== null) h.onCase?.(e);
  });
  return socket;
}
