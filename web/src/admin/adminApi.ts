/**
 * Client of the camera-admin API (`/api/admin/...`): typed wrappers over `api.ts` (CSRF token, If-Match,
 * {@link ApiError}); and turning zod issues (the form's own check, or a 400 from the server) into translated
 * messages keyed by the issue path (`auth.password`, `masks.0.1.0`), shown next to the field.
 */
import type { TFunction } from 'i18next';
import type {
  AdminCamera,
  CameraInput,
  DetectBody,
  DetectResult,
  PresetInput,
  TestConnectionBody,
  TestConnectionResult,
  ToursInput,
  ViewInput,
} from '../../../services/schemas/admin.ts';
import { ApiError, apiGet, apiPost, apiRequest } from '../api.ts';

const base = '/api/admin/cameras';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;

export const adminApi = {
  list: () => apiGet<{ cameras: AdminCamera[] }>(base).then((r) => r.cameras),
  get: (id: string) => apiGet<{ camera: AdminCamera }>(one(id)).then((r) => r.camera),
  create: (body: CameraInput) => apiPost<{ camera: AdminCamera }>(base, body).then((r) => r.camera),
  update: (id: string, version: string, body: CameraInput) =>
    apiRequest<{ camera: AdminCamera }>('PUT', one(id), body, { ifMatch: version }).then((r) => r.camera),
  remove: (id: string, version: string) =>
    apiRequest<void>('DELETE', one(id), undefined, { ifMatch: version }),
  test: (body: TestConnectionBody) => apiPost<TestConnectionResult>(`${base}/test`, body),
  savePreset: (id: string, version: string, body: PresetInput) =>
    apiRequest<{ camera: AdminCamera }>('PUT', `${one(id)}/presets/${encodeURIComponent(body.id)}`, body, {
      ifMatch: version,
    }).then((r) => r.camera),
  deletePreset: (id: string, version: string, presetId: string) =>
    apiRequest<{ camera: AdminCamera }>(
      'DELETE',
      `${one(id)}/presets/${encodeURIComponent(presetId)}`,
      undefined,
      {
        ifMatch: version,
      },
    ).then((r) => r.camera),
  gotoPreset: (id: string, presetId: string) =>
    apiPost<void>(`${one(id)}/presets/${encodeURIComponent(presetId)}/goto`, {}),
  saveView: (id: string, version: string, body: ViewInput) =>
    apiRequest<{ camera: AdminCamera }>('PUT', `${one(id)}/view`, body, { ifMatch: version }).then(
      (r) => r.camera,
    ),
  saveTours: (id: string, version: string, body: ToursInput) =>
    apiRequest<{ camera: AdminCamera }>('PUT', `${one(id)}/tours`, body, { ifMatch: version }).then(
      (r) => r.camera,
    ),
  frameUrl: (id: string, nonce: number) => `${one(id)}/frame.jpg?n=${nonce}`,
  detect: (id: string, body: DetectBody) => apiPost<DetectResult>(`${one(id)}/detect`, body),
};

/** A zod issue as the form's check or the server's 400 `details` carry it. */
export interface IssueLike {
  code?: string;
  path?: readonly PropertyKey[];
  message?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  input?: unknown;
}

export type PathErrors = Partial<Record<string, string>>;

/** Messages of the schemas' own custom rules → locale keys under `adminCam.v`. */
const CUSTOM: [RegExp, string][] = [
  [/unknown preset/, 'unknownPreset'],
  [/duplicate preset id/, 'duplicatePreset'],
  [/tours need an onvif/, 'toursNeedOnvif'],
  [/at most one of password or passwordEnv/, 'passwordOrEnv'],
  [/give a password or passwordEnv/, 'passwordNeeded'],
  [/rtsp:\/\/ or rtsps:\/\//, 'rtspUrl'],
  [/cannot be changed/, 'idFixed'],
  [/lowercase slug/, 'slug'],
  [/environment variable name/, 'envName'],
  [/HH:MM-HH:MM/, 'schedule'],
];

/** One translated message per issue path (first issue wins); path `a.b.0` (root: `_form`). */
export function issuesToErrors(issues: readonly IssueLike[], t: TFunction): PathErrors {
  const out: PathErrors = {};
  for (const i of issues) {
    const key = i.path && i.path.length > 0 ? i.path.map(String).join('.') : '_form';
    if (out[key] !== undefined) continue;
    out[key] = issueText(i, t);
  }
  return out;
}

function issueText(i: IssueLike, t: TFunction): string {
  const msg = i.message ?? '';
  for (const [re, k] of CUSTOM) if (re.test(msg)) return t(`adminCam.v.${k}`);
  switch (i.code) {
    case 'too_small':
      if (i.origin === 'number') return t('adminCam.v.min', { min: Number(i.minimum) });
      return Number(i.minimum) <= 1 ? t('validation.required') : t('validation.tooShort');
    case 'too_big':
      if (i.origin === 'number') return t('adminCam.v.max', { max: Number(i.maximum) });
      return t('validation.tooLong', { max: Number(i.maximum) });
    case 'invalid_value':
      return t('validation.choose');
    case 'invalid_type':
      return i.input === undefined ? t('validation.required') : t('validation.invalid');
    default:
      return t('validation.invalid');
  }
}

/** Field errors of a failed save (400 with zod issues), or null for other failures. */
export function serverFieldErrors(e: unknown, t: TFunction): PathErrors | null {
  if (e instanceof ApiError && e.status === 400 && Array.isArray(e.details)) {
    return issuesToErrors(e.details as IssueLike[], t);
  }
  return null;
}

/** Translated text of a failed admin request. */
export function adminErrorText(e: unknown, t: TFunction): string {
  if (e instanceof ApiError) {
    const known = [
      'version_conflict',
      'already_exists',
      'no_ptz',
      'ptz_failed',
      'no_frame',
      'invalid_config',
      'forbidden',
      'unauthorized',
      'not_found',
      'csrf',
      'bad_request',
    ];
    if (known.includes(e.code))
      return `${t(`adminCam.errors.${e.code}`)}${e.code === 'invalid_config' || e.code === 'ptz_failed' ? ` (${e.message})` : ''}`;
    return t('errors.generic', { message: e.message });
  }
  return t('errors.network');
}
