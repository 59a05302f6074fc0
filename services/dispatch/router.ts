/**
 * HTTP routes of the dispatch domain: `createDispatchRouter(deps)` returns an express Router that the app
 * mounts under `/api`. Handlers are thin: parse with the zod schemas of `schemas.ts`, call the service,
 * serialise. Errors use the app's shape `{ error: { code, message, details? } }`.
 *
 * Sessions: cookie `tw_session` (HttpOnly, SameSite=Strict, Path=/, Secure when `secureCookies`).
 * CSRF: every POST/PUT/PATCH/DELETE except login needs header `x-csrf-token` equal to the session's token; requests whose
 * `Origin` header names another host than `Host` are refused (403 `csrf`). Request ids: `x-request-id`
 * (echoed; generated when absent) is recorded in every audit row.
 */
import { bodyErrorAnswer } from '../api/bodyErrors.ts';
import { repeatedQueryParams } from '../api/query.ts';
import { issueDetails } from '../schemas/query.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Logger } from '../util/logger.ts';
import { roomsFor, type Actor } from './access.ts';
import type { DispatchAdmin } from './admin.ts';
import type { AuthService, AuthSession } from './auth.ts';
import { DispatchError, RateLimitedError, UnauthorizedError, ValidationError } from './errors.ts';
import { reportCsv } from './reports.ts';
import {
  CaseListQuery,
  ConfirmBody,
  DashboardQuery,
  DashboardResponse,
  CreateUserBody,
  DepartmentBody,
  DepartmentUpdateBody,
  JurisdictionBody,
  JurisdictionUpdateBody,
  PasswordBody,
  RouteTestBody,
  RulesBody,
  SlaBody,
  UpdateUserBody,
  ZoneBody,
  ZoneUpdateBody,
  DismissalStatsQuery,
  DismissBody,
  FeedbackFields,
  LoginBody,
  MergeBody,
  ReportQuery,
  TransitionBody,
  type EvidenceSettings,
  type SessionResponse,
} from './schemas.ts';
import type { DispatchService } from './service.ts';

/** Session cookie name. */
export const SESSION_COOKIE = 'tw_session';

/** Dependencies of {@link createDispatchRouter}. */
export interface DispatchRouterDeps {
  service: DispatchService;
  auth: AuthService;
  /** Admin pages' operations (`/api/admin/*`); absent: those routes answer 404. */
  admin?: DispatchAdmin;
  evidence: EvidenceSettings;
  log: Logger;
  /** Mark the cookie `Secure` (behind HTTPS). Default false (the demo runs on plain http://localhost). */
  secureCookies?: boolean;
}

/** Parses a Cookie header into name → value (first occurrence wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) {
      try {
        out[k] = decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        out[k] = part.slice(i + 1).trim();
      }
    }
  }
  return out;
}

/**
 * Socket rooms for a connecting socket.io client, from its handshake `Cookie` header (the lead's socket
 * server calls this on connection and joins the rooms). No valid session: no rooms.
 */
/** True when the `Cookie` header carries a valid session (any role). */
export async function hasSession(auth: AuthService, cookieHeader: string | undefined): Promise<boolean> {
  return (await auth.authenticate(parseCookies(cookieHeader)[SESSION_COOKIE])) !== null;
}

export async function socketRoomsFromCookie(
  auth: AuthService,
  cookieHeader: string | undefined,
): Promise<string[]> {
  const s = await auth.authenticate(parseCookies(cookieHeader)[SESSION_COOKIE]);
  return s ? roomsFor(s.user) : [];
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const repeated = what === 'query' ? repeatedQueryParams(value) : [];
  if (repeated.length) throw new ValidationError('invalid query', repeated, 'bad_query');
  const r = schema.safeParse(value ?? {});
  if (!r.success)
    throw what === 'query'
      ? new ValidationError('invalid query', issueDetails(r.error.issues), 'bad_query')
      : new ValidationError(`invalid ${what}`, r.error.issues, 'bad_request');
  return r.data;
}

/** `If-Match: "3"` / `W/"3"` / `3` → 3; absent → undefined. @throws ValidationError for other values. */
export function parseIfMatch(h: string | undefined): number | undefined {
  if (h === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(h);
  if (!m) throw new ValidationError('If-Match must be the case version as an ETag, e.g. "3"');
  return Number(m[1]);
}

const param = (req: Request, k: string) => {
  const v = req.params[k];
  return typeof v === 'string' ? v : '';
};

/** Builds the dispatch router (mount under `/api`). */
export function createDispatchRouter(deps: DispatchRouterDeps): express.Router {
  const r = express.Router();
  r.use(express.json({ limit: '64kb' }));

  // Request id and session for every request of this router.
  r.use(async (req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    const requestId = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.locals['requestId'] = requestId;
    res.locals['session'] = await deps.auth.authenticate(parseCookies(req.get('cookie'))[SESSION_COOKIE]);
    next();
  });

  const originOk = (req: Request) => {
    const origin = req.get('origin');
    if (!origin) return true;
    try {
      return new URL(origin).host === req.get('host');
    } catch {
      return false;
    }
  };
  const session = (res: Response): AuthSession => {
    const s = res.locals['session'] as AuthSession | null;
    if (!s) throw new UnauthorizedError();
    return s;
  };
  const actor = (res: Response): Actor => {
    const s = session(res);
    return {
      userId: s.user.id,
      username: s.user.username,
      role: s.user.role,
      departmentId: s.user.departmentId,
      requestId: res.locals['requestId'] as string,
    };
  };
  /** Guards a state-changing route: logged in, same origin, CSRF token. */
  const writeGuard = (req: Request, res: Response, next: NextFunction) => {
    const s = session(res);
    if (!originOk(req)) throw new DispatchError(403, 'csrf', 'cross-origin request refused');
    if (req.get('x-csrf-token') !== s.csrfToken)
      throw new DispatchError(403, 'csrf', 'missing or wrong x-csrf-token header');
    next();
  };
  const cookieOpts = {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: deps.secureCookies ?? false,
    path: '/',
  };

  // --- auth
  r.post('/auth/login', async (req, res) => {
    if (!originOk(req)) throw new DispatchError(403, 'csrf', 'cross-origin request refused');
    const b = parse(LoginBody, req.body, 'body');
    const out = await deps.auth.login(
      b.username,
      b.password,
      req.ip ?? 'unknown',
      res.locals['requestId'] as string,
    );
    res.cookie(SESSION_COOKIE, out.token, { ...cookieOpts, expires: new Date(out.expiresAt) });
    const body: SessionResponse = { user: out.user, csrfToken: out.csrfToken };
    res.json(body);
  });
  r.post('/auth/logout', writeGuard, async (_req, res) => {
    await deps.auth.logout(session(res), res.locals['requestId'] as string);
    res.clearCookie(SESSION_COOKIE, cookieOpts);
    res.status(204).end();
  });
  r.get('/auth/me', (_req, res) => {
    const s = session(res);
    const body: SessionResponse = { user: s.user, csrfToken: s.csrfToken };
    res.json(body);
  });

  r.get('/departments', (_req, res) => {
    session(res);
    res.json({ departments: deps.service.departments() });
  });

  r.get('/sla/policies', (_req, res) => {
    session(res);
    res.json({ policies: deps.service.slaPolicies() });
  });

  // --- alert review
  r.post('/alerts/:id/confirm', writeGuard, async (req, res) => {
    const c = await deps.service.confirmAlert(
      actor(res),
      param(req, 'id'),
      parse(ConfirmBody, req.body, 'body'),
    );
    res.status(201).setHeader('ETag', `"${c.version}"`).json({ case: c });
  });
  r.post('/alerts/:id/dismiss', writeGuard, async (req, res) => {
    const d = await deps.service.dismissAlert(
      actor(res),
      param(req, 'id'),
      parse(DismissBody, req.body, 'body'),
    );
    res.json({ dismissal: d });
  });
  r.post('/alerts/:id/merge', writeGuard, async (req, res) => {
    const b = parse(MergeBody, req.body, 'body');
    const c = await deps.service.mergeAlert(actor(res), param(req, 'id'), b.caseId);
    res.setHeader('ETag', `"${c.version}"`).json({ case: c });
  });
  r.get('/dismissals/stats', async (req, res) => {
    res.json({
      stats: await deps.service.dismissalStats(actor(res), parse(DismissalStatsQuery, req.query, 'query')),
    });
  });

  // --- cases
  r.get('/cases', async (req, res) => {
    res.json({ cases: await deps.service.listCases(actor(res), parse(CaseListQuery, req.query, 'query')) });
  });
  r.get('/cases/:id', async (req, res) => {
    const d = await deps.service.getCase(actor(res), param(req, 'id'));
    res.setHeader('ETag', `"${d.case.version}"`).json(d);
  });
  r.post('/cases/:id/transitions', writeGuard, async (req, res) => {
    const b = parse(TransitionBody, req.body, 'body');
    const header = parseIfMatch(req.get('if-match'));
    if (header !== undefined && b.expectedVersion !== undefined && header !== b.expectedVersion) {
      throw new ValidationError('If-Match and expectedVersion disagree');
    }
    const expected = b.expectedVersion ?? header;
    if (expected === undefined)
      throw new ValidationError(
        'expectedVersion (or an If-Match header) is required',
        undefined,
        'version_required',
      );
    const c = await deps.service.transition(actor(res), param(req, 'id'), b, expected);
    res.setHeader('ETag', `"${c.version}"`).json({ case: c });
  });

  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: deps.evidence.maxPhotoBytes,
      files: deps.evidence.maxPhotos,
      fields: 10,
      fieldSize: 16 * 1024,
    },
  }).array('photos');
  r.post(
    '/cases/:id/feedback',
    writeGuard,
    (req, res, next) => {
      upload(req, res, (err: unknown) => {
        if (err instanceof multer.MulterError) {
          const tooLarge = err.code === 'LIMIT_FILE_SIZE';
          next(
            new DispatchError(
              tooLarge ? 413 : 400,
              tooLarge ? 'photo_too_large' : 'bad_upload',
              tooLarge
                ? `a photo is larger than ${deps.evidence.maxPhotoBytes} bytes`
                : `upload rejected: ${err.message}`,
            ),
          );
          return;
        }
        next(err);
      });
    },
    async (req, res) => {
      const fields = parse(FeedbackFields, req.body, 'body');
      const files = (req.files as Express.Multer.File[] | undefined) ?? [];
      const out = await deps.service.addFeedback(actor(res), param(req, 'id'), {
        note: fields.note || undefined,
        disposition: fields.disposition,
        expectedVersion: fields.expectedVersion ?? parseIfMatch(req.get('if-match')),
        photos: files.map((f) => ({ originalName: f.originalname, data: f.buffer })),
      });
      res.status(201).setHeader('ETag', `"${out.case.version}"`).json(out);
    },
  );
  r.get('/cases/:id/photos/:file', async (req, res) => {
    const data = await deps.service.readPhoto(actor(res), param(req, 'id'), param(req, 'file'));
    res.type('image/jpeg').setHeader('Cache-Control', 'private, max-age=3600').send(data);
  });

  // --- reports
  r.get('/reports/cases', async (req, res) => {
    const q = parse(ReportQuery, req.query, 'query');
    res.json({ groupBy: q.groupBy, from: q.from, to: q.to, rows: await deps.service.report(actor(res), q) });
  });
  r.get('/reports/dashboard', async (req, res) => {
    const q = parse(DashboardQuery, req.query, 'query');
    res.json(DashboardResponse.parse(await deps.service.dashboard(actor(res), q)));
  });
  r.get('/reports/cases.csv', async (req, res) => {
    const q = parse(ReportQuery, req.query, 'query');
    const rows = await deps.service.report(actor(res), q);
    res
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="cases-by-${q.groupBy}.csv"`)
      .send(reportCsv(rows, q.groupBy));
  });

  // --- admin: dispatch configuration and users (role admin; checked in DispatchAdmin)
  const admin = deps.admin;
  if (admin) {
    r.get('/admin/dispatch-config', (_req, res) => {
      res.json(admin.snapshot(actor(res)));
    });
    r.post('/admin/departments', writeGuard, async (req, res) => {
      res.status(201).json(await admin.createDepartment(actor(res), parse(DepartmentBody, req.body, 'body')));
    });
    r.put('/admin/departments/:id', writeGuard, async (req, res) => {
      const b = parse(DepartmentUpdateBody, req.body, 'body');
      res.json(await admin.updateDepartment(actor(res), param(req, 'id'), b));
    });
    r.delete('/admin/departments/:id', writeGuard, async (req, res) => {
      res.json(await admin.deleteDepartment(actor(res), param(req, 'id')));
    });
    r.post('/admin/jurisdictions', writeGuard, async (req, res) => {
      const b = parse(JurisdictionBody, req.body, 'body');
      res.status(201).json(await admin.createJurisdiction(actor(res), b));
    });
    r.put('/admin/jurisdictions/:id', writeGuard, async (req, res) => {
      const b = parse(JurisdictionUpdateBody, req.body, 'body');
      res.json(await admin.updateJurisdiction(actor(res), param(req, 'id'), b));
    });
    r.delete('/admin/jurisdictions/:id', writeGuard, async (req, res) => {
      res.json(await admin.deleteJurisdiction(actor(res), param(req, 'id')));
    });
    r.post('/admin/zones', writeGuard, async (req, res) => {
      res.status(201).json(await admin.createZone(actor(res), parse(ZoneBody, req.body, 'body')));
    });
    r.put('/admin/zones/:id', writeGuard, async (req, res) => {
      const b = parse(ZoneUpdateBody, req.body, 'body');
      res.json(await admin.updateZone(actor(res), param(req, 'id'), b));
    });
    r.delete('/admin/zones/:id', writeGuard, async (req, res) => {
      res.json(await admin.deleteZone(actor(res), param(req, 'id')));
    });
    r.put('/admin/rules', writeGuard, async (req, res) => {
      res.json(await admin.putRules(actor(res), parse(RulesBody, req.body, 'body')));
    });
    r.put('/admin/sla', writeGuard, async (req, res) => {
      res.json(await admin.putSla(actor(res), parse(SlaBody, req.body, 'body')));
    });
    r.post('/admin/route-test', writeGuard, (req, res) => {
      res.json(admin.testRoute(actor(res), parse(RouteTestBody, req.body, 'body')));
    });
    r.get('/admin/users', async (_req, res) => {
      res.json({ users: await admin.listUsers(actor(res)) });
    });
    r.post('/admin/users', writeGuard, async (req, res) => {
      const b = parse(CreateUserBody, req.body, 'body');
      res.status(201).json({ user: await admin.createUser(actor(res), b) });
    });
    r.patch('/admin/users/:id', writeGuard, async (req, res) => {
      const b = parse(UpdateUserBody, req.body, 'body');
      res.json({ user: await admin.updateUser(actor(res), param(req, 'id'), b) });
    });
    r.post('/admin/users/:id/password', writeGuard, async (req, res) => {
      const b = parse(PasswordBody, req.body, 'body');
      res.json({ user: await admin.setPassword(actor(res), param(req, 'id'), b) });
    });
  }

  // --- errors (same shape as services/api/app.ts)
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterS));
    if (err instanceof DispatchError) {
      res.status(err.status).json({
        error: {
          code: err.code,
          message: err.message,
          ...(err.details !== undefined ? { details: err.details } : {}),
        },
      });
      return;
    }
    const body = bodyErrorAnswer(err);
    if (body) {
      res.status(body.status).json({ error: { code: body.code, message: body.message } });
      return;
    }
    deps.log.error(
      { err: err instanceof Error ? err.message : String(err), path: req.path },
      'dispatch request failed',
    );
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  });
  return r;
}
