/**
 * Maps the errors of express's body parsers (body-parser / http-errors: `type`, `status`, `expose`) and its
 * router (a 4xx `status` without `type`, e.g. an undecodable path parameter) to a client error answer, so that a
 * bad request is a 4xx with a reason, never a 500.
 */
export interface BodyErrorAnswer {
  status: number;
  code: string;
  message: string;
}

/**
 * @param err anything a route's error handler receives
 * @returns the 4xx answer for a request-body error (413 `body_too_large` with the limit in bytes, 400 `bad_json`,
 *   415 `unsupported_encoding`, or the parser's or router's own 4xx as `bad_request`), or null when `err` carries no
 *   4xx `status`
 */
export function bodyErrorAnswer(err: unknown): BodyErrorAnswer | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; limit?: unknown; message?: unknown };
  if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  // Express's router: a path parameter that is not valid percent-encoding (`/api/alerts/%ZZ`) is a 400 URIError
  // "Failed to decode param '%ZZ'" with no `type`.
  if (typeof e.type !== 'string')
    return {
      status: e.status,
      code: 'bad_request',
      message: typeof e.message === 'string' && e.message ? e.message : 'bad request',
    };
  if (e.type === 'entity.too.large')
    return {
      status: 413,
      code: 'body_too_large',
      message: `request body is larger than the limit${typeof e.limit === 'number' ? ` of ${e.limit} bytes` : ''}`,
    };
  if (e.type === 'entity.parse.failed')
    return { status: 400, code: 'bad_json', message: 'request body is not valid JSON (an object or array)' };
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
    return { status: 415, code: 'unsupported_encoding', message: String(e.message) };
  return {
    status: e.status,
    code: 'bad_request',
    message: e.expose === true ? String(e.message) : 'bad request',
  };
}
