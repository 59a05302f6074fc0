/**
 * A minimal history router (the server answers every non-API path with index.html). Pure `parseRoute` is
 * unit-tested; `navigate` pushes a history entry and notifies `useRoute` subscribers.
 */
import { useSyncExternalStore, type MouseEvent } from 'react';
import { parseWallParams, wallSearch, type WallParams } from './wall.ts';

/** Admin pages of the dispatch configuration (`/admin/<section>`). */
export const ADMIN_DISPATCH_SECTIONS = ['departments', 'zones', 'rules', 'sla', 'users'] as const;
export type AdminDispatchSection = (typeof ADMIN_DISPATCH_SECTIONS)[number];
const isAdminDispatchSection = (s: string): s is AdminDispatchSection =>
  (ADMIN_DISPATCH_SECTIONS as readonly string[]).includes(s);

export type Route =
  | { name: 'console' }
  | { name: 'login'; next: string | null }
  | { name: 'alert'; id: string }
  | { name: 'board' }
  | { name: 'case'; id: string }
  | { name: 'office' }
  | { name: 'wall'; params: WallParams }
  | { name: 'map' }
  | { name: 'dashboard' }
  | { name: 'adminDispatch'; section: AdminDispatchSection }
  | { name: 'adminCameras' }
  | { name: 'adminCamera'; id: string }
  | { name: 'notFound' };

/** Route of a path + query string. */
export function parseRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(safeDecode);
  const [a, b, ...rest] = parts;
  if (a === 'admin' && b === 'cameras' && rest.length <= 1)
    return rest[0] === undefined ? { name: 'adminCameras' } : { name: 'adminCamera', id: rest[0] };
  if (rest.length > 0) return { name: 'notFound' };
  if (a === undefined) return { name: 'console' };
  if (a === 'login' && b === undefined) {
    const next = new URLSearchParams(search).get('next');
    return {
      name: 'login',
      next: next !== null && next.startsWith('/') && !next.startsWith('//') ? next : null,
    };
  }
  if (a === 'alerts' && b !== undefined) return { name: 'alert', id: b };
  if (a === 'cases') return b === undefined ? { name: 'board' } : { name: 'case', id: b };
  if (a === 'office' && b === undefined) return { name: 'office' };
  if (a === 'wall' && b === undefined) return { name: 'wall', params: parseWallParams(search) };
  if (a === 'map' && b === undefined) return { name: 'map' };
  if (a === 'dashboard' && b === undefined) return { name: 'dashboard' };
  if (a === 'admin' && b !== undefined && isAdminDispatchSection(b))
    return { name: 'adminDispatch', section: b };
  // `/admin` alone: the first admin page (cameras), as a user typing the address expects
  if (a === 'admin' && b === undefined) return { name: 'adminCameras' };
  return { name: 'notFound' };
}

/** Path of a route (inverse of {@link parseRoute}). */
export function pathOf(r: Route): string {
  switch (r.name) {
    case 'console':
      return '/';
    case 'login':
      return r.next === null ? '/login' : `/login?next=${encodeURIComponent(r.next)}`;
    case 'alert':
      return `/alerts/${encodeURIComponent(r.id)}`;
    case 'board':
      return '/cases';
    case 'case':
      return `/cases/${encodeURIComponent(r.id)}`;
    case 'office':
      return '/office';
    case 'wall':
      return `/wall${wallSearch(r.params)}`;
    case 'map':
      return '/map';
    case 'dashboard':
      return '/dashboard';
    case 'adminDispatch':
      return `/admin/${r.section}`;
    case 'adminCameras':
      return '/admin/cameras';
    case 'adminCamera':
      return `/admin/cameras/${encodeURIComponent(r.id)}`;
    case 'notFound':
      return '/';
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const listeners = new Set<() => void>();
let current = '';

function snapshot(): string {
  current = `${location.pathname}${location.search}`;
  return current;
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  const onPop = () => l();
  window.addEventListener('popstate', onPop);
  return () => {
    listeners.delete(l);
    window.removeEventListener('popstate', onPop);
  };
}

export function navigate(path: string, replace = false): void {
  if (path === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const url = useSyncExternalStore(subscribe, snapshot, () => current);
  const i = url.indexOf('?');
  return parseRoute(i < 0 ? url : url.slice(0, i), i < 0 ? '' : url.slice(i));
}

/** Props for an in-app link (`<a {...linkProps('/cases')}>`): real href, client-side navigation on click. */
export function linkProps(path: string): { href: string; onClick: (e: MouseEvent) => void } {
  return {
    href: path,
    onClick: (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
