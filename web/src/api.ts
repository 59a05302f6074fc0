/**
 * The console's HTTP client for the dispatch API: JSON in/out, the session's CSRF token on every write
 * (`x-csrf-token`), `If-Match: "<version>"` for case transitions, and errors as {@link ApiError} with the
 * server's `{ error: { code, message, details } }`.
 */
import type { ErrorResponse } from '../../services/schemas/api.ts';

/** A failed request: HTTP status plus the server's stable error code (`version_conflict`, `csrf`, ...). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Set by the session module after login / `GET /api/auth/me`; cleared on logout. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request answers 401 (session expired or revoked). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

async function toError(r: Response): Promise<ApiError> {
  let body: Partial<ErrorResponse> | null;
  try {
    body = (await r.json()) as Partial<ErrorResponse>;
  } catch {
    body = null;
  }
  const e = body?.error;
  return new ApiError(r.status, e?.code ?? `http_${r.status}`, e?.message ?? `HTTP ${r.status}`, e?.details);
}

export interface RequestOptions {
  /** Version the caller saw (case version, camera version), sent as `If-Match: "<version>"`. */
  ifMatch?: number | string;
  /** A 401 does not end the session (login form, initial `me`). */
  quiet401?: boolean;
}

async function send<T>(method: string, url: string, body: unknown, opts: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  if (opts.ifMatch !== undefined) headers['if-match'] = `"${opts.ifMatch}"`;
  const r = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  if (!r.ok) {
    const err = await toError(r);
    if (r.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw err;
  }
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

export function apiGet<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  return send<T>('GET', url, undefined, opts);
}

export function apiPost<T>(url: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  return send<T>('POST', url, body ?? {}, opts);
}

export function apiPut<T>(url: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
  return send<T>('PUT', url, body, opts);
}

export function apiPatch<T>(url: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
  return send<T>('PATCH', url, body, opts);
}

export function apiDelete<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  return send<T>('DELETE', url, undefined, opts);
}

/** Any method (`PUT`, `DELETE`, ...) with a JSON body; same CSRF, If-Match and error handling as the others. */
export function apiRequest<T>(
  method: string,
  url: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  return send<T>(method, url, body, opts);
}

/** True for the "someone else changed the case" answer (409 `version_conflict`). */
export function isVersionConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.code === 'version_conflict';
}
