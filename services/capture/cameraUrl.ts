/**
 * Pure helpers for camera URLs and credentials. Credentials are percent-encoded per RFC 3986 §3.2.1 so that
 * reserved characters (`@ # : / %`) in a user name or password survive; ffmpeg decodes them.
 */

/** Percent-encodes a userinfo component: everything but RFC 3986 unreserved characters. */
export function encodeUserinfo(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Returns `url` with `username:password@` inserted (replacing any userinfo already there).
 * @throws TypeError when `url` has no `scheme://` prefix.
 */
export function withCredentials(url: string, username: string, password: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^/@?#]*@)?(.*)$/i.exec(url);
  if (!m) throw new TypeError('camera URL must start with scheme://');
  return `${m[1]}${encodeUserinfo(username)}:${encodeUserinfo(password)}@${m[2]}`;
}

/**
 * Resolves the URL ffmpeg is given for a camera: the configured URL (`stream` `main`: `url`, for the live view;
 * `detect`: `detectUrl` when set, else `url`, for the sampling ffmpeg), plus credentials from `auth`
 * (password from the config or from the environment variable `auth.passwordEnv`).
 * @throws Error naming the variable when `passwordEnv` is unset (message contains no secret).
 */
export function resolveCameraUrl(
  cam: {
    id: string;
    url: string;
    detectUrl?: string | undefined;
    auth?: { username: string; password?: string | undefined; passwordEnv?: string | undefined } | undefined;
  },
  env: Record<string, string | undefined> = process.env,
  stream: 'main' | 'detect' = 'main',
): string {
  const url = stream === 'detect' ? (cam.detectUrl ?? cam.url) : cam.url;
  if (!cam.auth) return url;
  const password = cam.auth.password ?? (cam.auth.passwordEnv ? env[cam.auth.passwordEnv] : undefined);
  if (password === undefined)
    throw new Error(
      `camera ${cam.id}: environment variable ${cam.auth.passwordEnv} (auth.passwordEnv) is not set`,
    );
  return withCredentials(url, cam.auth.username, password);
}
