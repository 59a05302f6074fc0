/**
 * HTTP routes of camera administration, mounted by the app under `/api/admin` (admin role only). Thin: parse
 * with the zod schemas of `services/schemas/admin.ts`, call {@link CameraAdminService}, serialise. Errors use
 * the app's shape `{ error: { code, message, details? } }`; a 400 carries the zod issues (`details[].path`),
 * an invalid file the config issues (`details[].file/line/path/message`).
 *
 * Sessions and CSRF as in the dispatch router: the `tw_session` cookie; every write needs `x-csrf-token` and a
 * same-origin `Origin`. Writes to an existing camera need `If-Match: "<version>"` (428 without it, 409 when
 * the camera changed since).
 *
 * - `GET    /cameras`                               list (no secrets)
 * - `POST   /cameras`                               create (body {@link CameraInput})
 * - `POST   /cameras/test`                          test a stream (body {@link TestConnectionBody})
 * - `GET    /cameras/:id`                           one camera (ETag)
 * - `PUT    /cameras/:id`                           replace (body {@link CameraInput})
 * - `DELETE /cameras/:id`                           delete
 * - `PUT    /cameras/:id/presets/:presetId`         create/replace a preset (body {@link PresetInput})
 * - `DELETE /cameras/:id/presets/:presetId`         delete a preset
 * - `POST   /cameras/:id/presets/:presetId/goto`    move the PTZ camera there (409 `no_ptz` without ONVIF)
 * - `PUT    /cameras/:id/view`                      the camera's own view settings (body {@link ViewInput})
 * - `PUT    /cameras/:id/tours`                     patrol tours (body {@link ToursInput})
 * - `GET    /cameras/:id/frame.jpg`                 latest sampled frame (headers `x-frame-captured-at`, `x-frame-preset`)
 * - `POST   /cameras/:id/detect`                    detections on that frame with unsaved settings (body {@link DetectBody})
 */
import { bodyErrorAnswer } from '../api/bodyErrors.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import { CameraExistsError, CameraNotFoundError, ConfigConflictError } from '../config/configRepository.ts';
import { ConfigError } from '../config/loadConfig.ts';
import type { Actor } from '../dispatch/access.ts';
import type { AuthService, AuthSession } from '../dispatch/auth.ts';
import { DispatchError, ForbiddenError, UnauthorizedError, ValidationError } from '../dispatch/errors.ts';
import { parseCookies, SESSION_COOKIE } from '../dispatch/router.ts';
import {
  CameraInput,
  DetectBody,
  PresetInput,
  TestConnectionBody,
  ToursInput,
  ViewInput,
} from '../schemas/admin.ts';
import type { Logger } from '../util/logger.ts';
import type { CameraAdminService } from './cameraAdminService.ts';

export interface AdminRouterDeps {
  service: CameraAdminService;
  auth: AuthService;
  log: Logger;
  /** Config directory (issue file names are answered relative to it). */
  configDir: string;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new ValidationError('invalid body', r.error.issues, 'bad_request');
  return r.data;
}

/** `If-Match: "abc"` / `W/"abc"` → `abc`. @throws DispatchError 428 when absent. */
function ifMatch(req: Request): string {
  const h = req.get('if-match');
  const m = h === undefined ? null : /^\s*(?:W\/)?"?([\w-]{1,64})"?\s*$/.exec(h);
  if (!m)
    throw new DispatchError(
      428,
      'version_required',
      'If-Match: "<version>" is required (the camera version you edited)',
    );
  return m[1]!;
}

const param = (req: Request, k: string) => {
  const v = req.params[k];
  return typeof v === 'string' ? v : '';
};

/** Builds the camera-admin router (mount under `/api/admin`). */
export function createAdminRouter(deps: AdminRouterDeps): express.Router {
  const r = express.Router();
  const svc = deps.service;
  // Scoped to /cameras: the dispatch router's own admin routes (/api/admin/users, /zones, ...) share the
  // /api/admin prefix and keep their own body limit, role check and error messages.
  r.use('/cameras', express.json({ limit: '256kb' }));

  // Session, role and request id for every camera-admin request.
  r.use('/cameras', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const given = req.get('x-request-id');
      const requestId = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', requestId);
      res.locals['requestId'] = requestId;
      const s = await deps.auth.authenticate(parseCookies(req.get('cookie'))[SESSION_COOKIE]);
      if (!s) throw new UnauthorizedError();
      if (s.user.role !== 'admin') throw new ForbiddenError('camera administration needs the admin role');
      res.locals['session'] = s;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const origin = req.get('origin');
        if (origin) {
          let same = false;
          try {
            same = new URL(origin).host === req.get('host');
          } catch {
            same = false;
          }
          if (!same) throw new DispatchError(403, 'csrf', 'cross-origin request refused');
        }
        if (req.get('x-csrf-token') !== s.csrfToken)
          throw new DispatchError(403, 'csrf', 'missing or wrong x-csrf-token header');
      }
      next();
    } catch (e) {
      next(e);
    }
  });

  const actor = (res: Response): Actor => {
    const s = res.locals['session'] as AuthSession;
    return {
      userId: s.user.id,
      username: s.user.username,
      role: s.user.role,
      departmentId: s.user.departmentId,
      requestId: res.locals['requestId'] as string,
    };
  };
  const sendCamera = (res: Response, c: { version: string }, status = 200) =>
    res.status(status).setHeader('ETag', `"${c.version}"`).json({ camera: c });

  r.get('/cameras', (_req, res) => {
    res.json({ cameras: svc.list() });
  });
  r.post('/cameras/test', async (req, res) => {
    res.json(await svc.testConnection(parse(TestConnectionBody, req.body)));
  });
  r.post('/cameras', async (req, res) => {
    sendCamera(res, await svc.create(actor(res), parse(CameraInput, req.body)), 201);
  });
  r.get('/cameras/:id', (req, res) => {
    sendCamera(res, svc.get(param(req, 'id')));
  });
  r.put('/cameras/:id', async (req, res) => {
    const v = ifMatch(req);
    sendCamera(res, await svc.update(actor(res), param(req, 'id'), v, parse(CameraInput, req.body)));
  });
  r.delete('/cameras/:id', async (req, res) => {
    const v = ifMatch(req);
    await svc.remove(actor(res), param(req, 'id'), v);
    res.status(204).end();
  });
  r.put('/cameras/:id/presets/:presetId', async (req, res) => {
    const v = ifMatch(req);
    const body = parse(PresetInput, req.body);
    sendCamera(res, await svc.updatePreset(actor(res), param(req, 'id'), v, param(req, 'presetId'), body));
  });
  r.delete('/cameras/:id/presets/:presetId', async (req, res) => {
    const v = ifMatch(req);
    sendCamera(res, await svc.deletePreset(actor(res), param(req, 'id'), v, param(req, 'presetId')));
  });
  r.post('/cameras/:id/presets/:presetId/goto', async (req, res) => {
    await svc.gotoPreset(actor(res), param(req, 'id'), param(req, 'presetId'));
    res.status(204).end();
  });
  r.put('/cameras/:id/view', async (req, res) => {
    const v = ifMatch(req);
    sendCamera(res, await svc.updateView(actor(res), param(req, 'id'), v, parse(ViewInput, req.body)));
  });
  r.put('/cameras/:id/tours', async (req, res) => {
    const v = ifMatch(req);
    const b = parse(ToursInput, req.body);
    sendCamera(res, await svc.updateTours(actor(res), param(req, 'id'), v, b.tours));
  });
  r.get('/cameras/:id/frame.jpg', async (req, res) => {
    const f = await svc.frameJpeg(param(req, 'id'));
    res
      .type('image/jpeg')
      .set({
        'Cache-Control': 'no-store',
        'x-frame-captured-at': f.capturedAt,
        'x-frame-preset': f.presetId ?? '',
        'x-frame-size': `${f.width}x${f.height}`,
      })
      .send(f.jpeg);
  });
  r.post('/cameras/:id/detect', async (req, res) => {
    res.json(await svc.detect(param(req, 'id'), parse(DetectBody, req.body)));
  });

  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const send = (status: number, code: string, message: string, details?: unknown) =>
      res.status(status).json({ error: { code, message, ...(details !== undefined ? { details } : {}) } });
    if (err instanceof DispatchError) return send(err.status, err.code, err.message, err.details);
    if (err instanceof CameraExistsError)
      return send(409, 'already_exists', err.message, [
        { code: 'already_exists', path: ['id'], message: `already used in ${err.file}` },
      ]);
    if (err instanceof ConfigConflictError)
      return send(409, 'version_conflict', err.message, { currentVersion: err.currentVersion });
    if (err instanceof CameraNotFoundError) return send(404, 'not_found', err.message);
    if (err instanceof ConfigError) {
      const issues = err.issues.map((i) => ({ ...i, file: path.relative(deps.configDir, i.file) || i.file }));
      return send(
        400,
        'invalid_config',
        issues
          .map((i) => `${i.file}${i.line !== null ? `:${i.line}` : ''}: ${i.path}: ${i.message}`)
          .join('; '),
        issues,
      );
    }
    const body = bodyErrorAnswer(err);
    if (body) return send(body.status, body.code, body.message);
    deps.log.error(
      { err: err instanceof Error ? err.message : String(err), path: req.path },
      'admin request failed',
    );
    return send(500, 'internal', 'internal error');
  });
  return r;
}
