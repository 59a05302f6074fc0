/** Departments (`GET /api/departments`), fetched once per session and cached; `departmentName` for display. */
import { useEffect, useSyncExternalStore } from 'react';
import type { Department } from '../../services/dispatch/schemas.ts';
import { apiGet } from './api.ts';

let list: readonly Department[] = [];
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

function load(): Promise<void> {
  loading ??= apiGet<{ departments: Department[] }>('/api/departments').then(
    (r) => {
      list = r.departments;
      for (const l of listeners) l();
    },
    () => {
      loading = null; // retry on the next use
    },
  );
  return loading;
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const snapshot = () => list;

/** The departments (empty until loaded; loads on first use). */
export function useDepartments(): readonly Department[] {
  const deps = useSyncExternalStore(subscribe, snapshot, snapshot);
  useEffect(() => {
    if (deps.length === 0) void load();
  }, [deps.length]);
  return deps;
}

/** Display name of a department id (the id itself when unknown, '—' for null). */
export function departmentName(deps: readonly Department[], id: string | null): string {
  if (id === null) return '—';
  return deps.find((d) => d.id === id)?.name ?? id;
}
