/**
 * Pure rules for supervising a camera's ffmpeg: restart backoff and classification of why it failed.
 */

export interface BackoffPolicy {
  /** First retry delay, ms. */
  baseMs: number;
  /** Upper bound of the delay, ms. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000 };

/**
 * Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015):
 * d = min(cap, base·2^attempt); delay = d/2 + random·d/2.
 * @param attempt 0 for the first retry.
 * @param random a number in [0, 1) (injected so the rule is testable).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: number): number {
  const d = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(d / 2 + random * (d / 2));
}

export type FailureKind = 'auth_failed' | 'offline';

/**
 * Classifies ffmpeg's stderr after an exit. RTSP 401 → `auth_failed` (wrong credentials: retrying soon will
 * not help and staff must be told), anything else → `offline`.
 */
export function classifyFailure(stderr: string): FailureKind {
  if (/\b401\b|Unauthorized|authorization failed/i.test(stderr)) return 'auth_failed';
  return 'offline';
}

/**
 * Consecutive failures of the built-in RTSP client (no frame in between; auth failures and failures to connect at
 * all — server down, refused, unreachable — not counted) after which
 * a camera with `rtspClient: auto` tries ffmpeg. A camera whose RTSP server the built-in client trips over in a
 * way it cannot classify as "unsupported" (a stall, a server quirk) then still gets watched: Frigate and go2rtc
 * users meet such servers, which is why ffmpeg stays the fallback.
 */
export const AUTO_FFMPEG_AFTER_BUILTIN_FAILURES = 2;

/**
 * Which receiver a camera with `rtspClient: auto` uses on its next start, from the built-in client's failure
 * streak (reset by a frame from it, and to 0 again after an ffmpeg attempt that failed too, so the two
 * alternate while the camera is down).
 * @param builtinFailures consecutive built-in failures without a frame (≥ 0).
 */
export function autoReceiver(builtinFailures: number): 'builtin' | 'ffmpeg' {
  return builtinFailures >= AUTO_FFMPEG_AFTER_BUILTIN_FAILURES ? 'ffmpeg' : 'builtin';
}
