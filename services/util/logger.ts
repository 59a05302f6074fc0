/**
 * The one logger (pino). Child loggers carry `cameraId` on every line of a camera's work.
 * Redaction: RTSP credentials never reach a log line — use {@link redactUrl} on any URL before logging, and the
 * `redact` paths below strip known secret fields.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the process logger. Level from `LOG_LEVEL` (default `info`). */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'towerwatch',
    level: opts.level ?? process.env['LOG_LEVEL'] ?? 'info',
    redact: { paths: ['url', 'password', 'token', '*.url', '*.password', '*.token'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Replaces the userinfo of a URL (the `user:password@` before the host) with `***@`. Works on malformed URLs too
 * (regex fallback), and on free text that contains URLs (e.g. an ffmpeg error line). The userinfo runs to the
 * **last** `@` before the path, so an un-encoded `@` in a user name or password is redacted too.
 */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi, '$1***@');
}

/** True when `url` carries userinfo (`scheme://user[:password]@host…`). */
export function hasUserinfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]*@/i.test(url);
}

/**
 * `scheme://host:port` of a URL, lower-case, userinfo and path left out (`rtsp://10.0.0.5:554`); null when it does
 * not parse. Two URLs with the same endpoint reach the same server, so stored credentials may follow an edit of
 * the path but never a change of host.
 */
export function urlEndpoint(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname.toLowerCase()}:${u.port || 'default'}`;
  } catch {
    return null;
  }
}
