/**
 * HTTP + socket.io composition. `createApp(deps)` builds the express app and a socket attacher but never
 * listens: main.ts (or a test) owns the http.Server. Routes are thin: parse with zod, call a repository or
 * service, serialise.
 */
import { bodyErrorAnswer } from './bodyErrors.ts';
import { repeatedQueryParams } from './query.ts';
import { issueDetails } from '../schemas/query.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Server as SocketServer } from 'socket.io';
import {
  type CameraInfo,
  AlertListQuery,
  StatusHistoryQuery,
  SocketAuth,
  type ClientToServerEvents,
  type HealthProbe,
  type HealthResponse,
  type MapResponse,
  type ServerEvent,
  type ServerToClientEvents,
} from '../schemas/api.ts';
import { CASE_SOCKET_EVENT, type CaseEvent } from '../dispatch/schemas.ts';
import type { EvidenceStore } from '../events/evidenceStore.ts';
import type { AlertRepository, CameraStatusRepository, EventRepository } from '../store/repository.ts';
import type { Logger } from '../util/logger.ts';
import { createEventFeed } from './eventFeed.ts';

export interface AppDeps {
  store: AlertRepository & EventRepository & CameraStatusRepository;
  /** Cameras with live health (URLs already redacted). */
  cameras: () => CameraInfo[];
  evidence: EvidenceStore;
  health: () => HealthResponse;
  log: Logger;
  /** Built SPA (web/dist); when absent, `/` answers 503 with a hint. */
  webDir?: string;
  /** Dispatch domain (cases, users): its router is mounted under /api and its socket rooms joined on connect. */
  dispatch?: {
    router: express.Router;
    socketRooms: (cookie: string | undefined) => Promise<string[]>;
    /**
     * Whether a `Cookie` header carries a valid session. When given, the monitoring reads (`/api/cameras…`,
     * `/api/alerts…` incl. snapshots and clips, `/api/map`) answer 401 without one and socket.io refuses the
     * handshake (every namespace: events and live video); `/api/health` and `/metrics` stay open for probes
     * (`/api/health` without a session answers a {@link HealthProbe}: status and camera counts only).
     */
    hasSession?: (cookie: string | undefined) => Promise<boolean>;
    /**
     * How often (ms) every open socket.io connection's session is checked again (default 15 000): a connection
     * whose session was logged out, revoked (user disabled, password reset) or expired is closed, on every
     * namespace. The handshake check alone would let it keep receiving alerts and case events.
     */
    sessionRecheckMs?: number;
  };
  /** District map payload (camera sites, FOV wedges, jurisdictions, zones); `GET /api/map` 404s without it. */
  map?: () => MapResponse;
  /** Camera administration router (admin role), mounted under /api/admin. */
  admin?: express.Router;
  /** Prometheus text exposition, if enabled. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** The part of an engine.io connection the session re-check uses. */
interface EngineClient {
  request: IncomingMessage;
  transport: { name: string };
  close(): void;
}

export interface App {
  app: express.Express;
  /** Attaches socket.io to a server the caller created. @returns the socket server and a publisher. */
  attach: (server: HttpServer) => {
    io: SocketServer<ClientToServerEvents, ServerToClientEvents>;
    publish: (e: ServerEvent) => void;
    /** Emits a case event to one room (`role:duty`, `dept:<id>`…): only that room's members receive it. */
    publishCase: (room: string, e: CaseEvent) => void;
  };
}

const LIVE_ROOM = 'live';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function createApp(deps: AppDeps): App {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  // Camera positions, alert snapshots and live video are for logged-in staff and offices only.
  const hasSession = deps.dispatch?.hasSession;

  // Open for probes; per-camera detail (names, last errors naming hosts and paths) only with a session.
  app.get('/api/health', async (req, res) => {
    const h = deps.health();
    if (!hasSession || (await hasSession(req.get('cookie')))) {
      res.json(h);
      return;
    }
    const probe: HealthProbe = {
      status: h.status,
      startedAt: h.startedAt,
      cameras: { total: h.cameras.length, online: h.cameras.filter((c) => c.online).length },
    };
    res.json(probe);
  });

  if (hasSession) {
    app.use(['/api/cameras', '/api/alerts', '/api/map'], async (req, _res, next) => {
      if (await hasSession(req.get('cookie'))) return next();
      throw new HttpError(401, 'unauthorized', 'log in first');
    });
  }

  app.get('/api/cameras', (_req, res) => {
    res.json({ cameras: deps.cameras() });
  });

  // Async handlers: express 5 passes a rejected promise to the error handler.
  app.get('/api/cameras/:id/status-history', async (req, res) => {
    const id = req.params['id'] ?? '';
    const repeated = repeatedQueryParams(req.query);
    if (repeated.length) throw new HttpError(400, 'bad_query', 'invalid query', repeated);
    const q = StatusHistoryQuery.safeParse(req.query);
    if (!q.success) throw new HttpError(400, 'bad_query', 'invalid query', issueDetails(q.error.issues));
    if (!deps.cameras().some((c) => c.id === id)) throw new HttpError(404, 'not_found', 'camera not found');
    res.json({ changes: await deps.store.statusHistory(id, q.data.limit) });
  });

  app.get('/api/alerts', async (req, res) => {
    const repeated = repeatedQueryParams(req.query);
    if (repeated.length) throw new HttpError(400, 'bad_query', 'invalid query', repeated);
    const q = AlertListQuery.safeParse(req.query);
    if (!q.success) throw new HttpError(400, 'bad_query', 'invalid query', issueDetails(q.error.issues));
    res.json({ alerts: await deps.store.listAlerts(q.data) });
  });

  app.get('/api/alerts/:id', async (req, res) => {
    const a = await deps.store.getAlert(req.params['id'] ?? '');
    if (!a) throw new HttpError(404, 'not_found', 'alert not found');
    res.json(a);
  });

  app.get('/api/alerts/:id/snapshot.jpg', (req, res) => {
    const jpeg = deps.evidence.readSnapshot(req.params['id'] ?? '');
    if (!jpeg) throw new HttpError(404, 'not_found', 'snapshot not found');
    res.type('image/jpeg').set('Cache-Control', 'no-cache').send(jpeg);
  });

  app.get('/api/alerts/:id/clip.mp4', (req, res) => {
    const file = deps.evidence.clipFile?.(req.params['id'] ?? '') ?? null;
    if (!file) throw new HttpError(404, 'not_found', 'clip not found');
    // sendFile answers Range requests, which <video> needs.
    res.type('video/mp4').set('Cache-Control', 'no-cache').sendFile(file);
  });

  app.get('/api/alerts/:id/clean.jpg', (req, res) => {
    const jpeg = deps.evidence.readCleanSnapshot?.(req.params['id'] ?? '') ?? null;
    if (!jpeg) throw new HttpError(404, 'not_found', 'clean snapshot not found');
    res.type('image/jpeg').set('Cache-Control', 'no-cache').send(jpeg);
  });

  app.get('/api/map', (_req, res) => {
    if (!deps.map) throw new HttpError(404, 'not_found', 'no map configured');
    res.json(deps.map());
  });

  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', (_req, res, next) => {
      metrics()
        .then((m) => res.type(m.contentType).send(m.body))
        .catch(next);
    });
  }

  if (deps.admin) app.use('/api/admin', deps.admin);
  if (deps.dispatch) app.use('/api', deps.dispatch.router);

  app.use('/api', (_req, _res, next) => next(new HttpError(404, 'not_found', 'no such endpoint')));

  const webDir = deps.webDir;
  if (webDir && existsSync(path.join(webDir, 'index.html'))) {
    app.use(express.static(webDir, { index: 'index.html', maxAge: '1h' }));
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => res.sendFile(path.join(webDir, 'index.html')));
  } else {
    app.get('/', (_req, res) => {
      res.status(503).type('text/plain').send('Web console not built: run `npm run build:web`.');
    });
  }

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
      return;
    }
    const body = bodyErrorAnswer(err);
    if (body) {
      res.status(body.status).json({ error: { code: body.code, message: body.message } });
      return;
    }
    deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'request failed');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  });

  return {
    app,
    attach: (server) => {
      const io = new SocketServer<ClientToServerEvents, ServerToClientEvents>(server, { serveClient: false });
      if (hasSession) {
        // Engine-level check of the handshake request (no `sid` yet): covers every namespace (`/` events,
        // `/live` video). A refused client gets a connect_error and retries after logging in.
        io.engine.use(
          (
            req: IncomingMessage & { _query?: Record<string, string> },
            res: ServerResponse,
            next: (e?: unknown) => void,
          ) => {
            if (req._query?.['sid'] !== undefined) return next();
            hasSession(req.headers.cookie).then(
              (ok) => {
                if (ok) return next();
                res.writeHead(401, { 'content-type': 'application/json' });
                res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'log in first' } }));
              },
              (e: unknown) => next(e),
            );
          },
        );
        // Sessions end while connections stay open: check each engine connection (all its namespaces) again.
        const clients = new Set<EngineClient>();
        io.engine.on('connection', (c: EngineClient & { once(ev: 'close', f: () => void): void }) => {
          clients.add(c);
          c.once('close', () => clients.delete(c));
        });
        const recheck = setInterval(() => {
          for (const c of clients) {
            hasSession(c.request.headers.cookie).then(
              (ok) => {
                if (!ok) {
                  deps.log.info(
                    { transport: c.transport.name },
                    'socket session ended; closing the connection',
                  );
                  c.close();
                }
              },
              (e: unknown) =>
                deps.log.warn(
                  { err: e instanceof Error ? e.message : String(e) },
                  'socket session re-check failed',
                ),
            );
          }
        }, deps.dispatch?.sessionRecheckMs ?? 15_000);
        recheck.unref();
        server.once('close', () => clearInterval(recheck));
      }
      // Live events in id order; replay then live, each event exactly once (see eventFeed.ts).
      const feed = createEventFeed({
        store: deps.store,
        emitLive: (e) => void io.to(LIVE_ROOM).emit('event', e),
        log: deps.log,
      });
      io.on('connection', (socket) => {
        const auth = SocketAuth.safeParse(socket.handshake.auth ?? {});
        const cursor = auth.success ? (auth.data.lastEventId ?? 0) : 0;
        // Case rooms first (role/department from the session cookie), so no case event falls between the
        // replay and the rooms. Then replay and join the live room at the moment the replay has caught up with
        // it (the feed guarantees nothing is emitted in between): each event is delivered exactly once, in
        // order, and `replay.done` is sent in the same tick as the join.
        const rooms = deps.dispatch
          ? deps.dispatch.socketRooms(socket.handshake.headers.cookie).catch((e: unknown) => {
              deps.log.warn(
                { err: e instanceof Error ? e.message : String(e) },
                'cannot resolve socket rooms',
              );
              return [] as string[];
            })
          : Promise.resolve([] as string[]);
        void rooms
          .then(async (r) => {
            if (socket.disconnected) return;
            if (r.length > 0) void socket.join(r);
            await feed.replay(
              cursor,
              (e) => socket.emit('event', e),
              (done) => {
                void socket.join(LIVE_ROOM);
                socket.emit('replay.done', done);
              },
              () => socket.disconnected,
            );
          })
          .catch((e: unknown) => {
            deps.log.error({ err: e instanceof Error ? e.message : String(e) }, 'socket replay failed');
            socket.disconnect(true);
          });
      });
      return {
        io,
        publish: (e) => feed.publish(e),
        publishCase: (room, e) => void io.to(room).emit(CASE_SOCKET_EVENT, e),
      };
    },
  };
}
