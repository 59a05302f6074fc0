/** Departments (`GET /api/departments`), fetched once per session and cached; `departmentName` for display. */
import type { Department } from '../../services/dispatch/schemas.ts';
import { cachedList } from './resource.ts';

/** The departments (empty until loaded; loads on first use). */
export const useDepartments: () => readonly Department[] = cachedList(
  '/api/departments',
  (b: { departments: Department[] }) => b.departments,
);

/** Display name of a department id (the id itself when unknown, '—' for null). */
export function departmentName(deps: readonly Department[], id: string | null): string {
  if (id === null) return '—';
  return deps.find((d) => d.id === id)?.name ?? id;
}
