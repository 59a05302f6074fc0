/**
 * The login session: the user and the CSRF token from `POST /api/auth/login` or `GET /api/auth/me` (the
 * session itself is the HttpOnly cookie `tw_session`, invisible to scripts). A tiny external store for
 * `useSyncExternalStore`; login and logout reconnect the socket so that the server joins the right rooms.
 */
import { useSyncExternalStore } from 'react';
import type { Role, SessionResponse, User } from '../../services/dispatch/schemas.ts';
import { apiGet, apiPost, setCsrfToken, setUnauthorizedHandler } from './api.ts';
import { getStore } from './store.ts';

export interface SessionState {
  /** `unknown` until `GET /api/auth/me` answered. */
  readonly status: 'unknown' | 'anonymous' | 'authenticated';
  readonly user: User | null;
  /** The session ended on the server (expired, revoked): the login page says so. */
  readonly expired: boolean;
}

let state: SessionState = { status: 'unknown', user: null, expired: false };
const listeners = new Set<() => void>();

function set(next: SessionState): void {
  state = next;
  for (const l of listeners) l();
}

export const getSession = (): SessionState => state;

export function subscribeSession(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribeSession, getSession, getSession);
}

function signedIn(s: SessionResponse, reconnect: boolean): void {
  setCsrfToken(s.csrfToken);
  set({ status: 'authenticated', user: s.user, expired: false });
  getStore().sessionChanged(true, reconnect);
}

function signedOut(expired: boolean): void {
  const wasIn = state.status === 'authenticated';
  setCsrfToken(null);
  set({ status: 'anonymous', user: null, expired });
  if (wasIn) getStore().sessionChanged(false);
}

/** Restores a session from the cookie (page load). */
export async function restoreSession(): Promise<void> {
  setUnauthorizedHandler(() => signedOut(true));
  try {
    signedIn(await apiGet<SessionResponse>('/api/auth/me', { quiet401: true }), false);
  } catch {
    signedOut(false);
  }
}

/** @throws ApiError (401 wrong credentials, 429 rate limited, ...). */
export async function login(username: string, password: string): Promise<User> {
  const s = await apiPost<SessionResponse>('/api/auth/login', { username, password }, { quiet401: true });
  signedIn(s, true);
  return s.user;
}

export async function logout(): Promise<void> {
  try {
    await apiPost<void>('/api/auth/logout', {}, { quiet401: true });
  } finally {
    signedOut(false);
  }
}

/** Duty staff and supervisors review alerts and manage cases. */
export function isStaff(role: Role | undefined): boolean {
  return role === 'duty' || role === 'supervisor';
}

/** The landing page of a role after login. */
export function homeFor(role: Role): string {
  switch (role) {
    case 'office':
      return '/office';
    case 'admin':
      return '/cases';
    case 'duty':
    case 'supervisor':
      return '/';
  }
}
