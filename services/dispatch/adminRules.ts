/**
 * Rules of the admin pages (pure): cross-references inside the editable dispatch configuration, what still
 * uses a department / jurisdiction / zone, and the "keep one enabled admin" rule. The admin service
 * (`admin.ts`) applies them before every commit; the repository re-checks the admin rule inside the
 * transaction.
 */
import type { RoutingData } from './routing.ts';
import type { Case, Role } from './schemas.ts';

/** A zod-style issue: `path` is relative to the request body (`["rules", 2, "departmentId"]`). */
export interface FieldIssue {
  code: string;
  path: (string | number)[];
  message: string;
}

/** Something that still references an entity (for the 409 `in_use` answer). */
export interface Usage {
  kind: 'rule' | 'jurisdiction' | 'user' | 'case';
  id: string;
  name?: string;
}

/**
 * Cross-reference issues of a whole configuration: duplicate ids, jurisdictions and rules naming unknown
 * departments, rules naming unknown jurisdictions or zones. Paths use the admin API bodies' shape:
 * `rules[i].x` → `["rules", i, "x"]`, jurisdiction/zone issues → `["departmentId"]`/`["id"]` of the entity.
 * @returns [] when consistent.
 */
export function referenceIssues(data: RoutingData): FieldIssue[] {
  const out: FieldIssue[] = [];
  const depts = new Set(data.departments.map((d) => d.id));
  const jurs = new Set(data.jurisdictions.map((j) => j.properties.id));
  const zones = new Set(data.zones.map((z) => z.properties.id));
  const dup = (ids: string[], what: string) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id))
        out.push({ code: 'duplicate', path: ['id'], message: `duplicate ${what} id "${id}"` });
      seen.add(id);
    }
  };
  dup(
    data.departments.map((d) => d.id),
    'department',
  );
  dup(
    data.jurisdictions.map((j) => j.properties.id),
    'jurisdiction',
  );
  dup(
    data.zones.map((z) => z.properties.id),
    'zone',
  );
  for (const j of data.jurisdictions) {
    if (!depts.has(j.properties.departmentId)) {
      out.push({
        code: 'unknown_reference',
        path: ['departmentId'],
        message: `unknown department "${j.properties.departmentId}"`,
      });
    }
  }
  data.rules.rules.forEach((r, i) => {
    if (!depts.has(r.departmentId)) {
      out.push({
        code: 'unknown_reference',
        path: ['rules', i, 'departmentId'],
        message: `unknown department "${r.departmentId}"`,
      });
    }
    if (r.jurisdictionId !== undefined && !jurs.has(r.jurisdictionId)) {
      out.push({
        code: 'unknown_reference',
        path: ['rules', i, 'jurisdictionId'],
        message: `unknown jurisdiction "${r.jurisdictionId}"`,
      });
    }
    if (r.zoneId !== undefined && !zones.has(r.zoneId)) {
      out.push({
        code: 'unknown_reference',
        path: ['rules', i, 'zoneId'],
        message: `unknown zone "${r.zoneId}"`,
      });
    }
  });
  return out;
}

/**
 * What still uses department `id`: routing rules (by 1-based position), jurisdictions bound to it, users of
 * the department and open cases assigned to it. Deleting is refused while this is non-empty.
 */
export function departmentUsage(
  id: string,
  data: Pick<RoutingData, 'rules' | 'jurisdictions'>,
  users: readonly { id: string; username: string; departmentId: string | null }[],
  openCases: readonly Pick<Case, 'id' | 'departmentId'>[],
): Usage[] {
  const out: Usage[] = [];
  data.rules.rules.forEach((r, i) => {
    if (r.departmentId === id)
      out.push({ kind: 'rule', id: String(i + 1), ...(r.note ? { name: r.note } : {}) });
  });
  for (const j of data.jurisdictions) {
    if (j.properties.departmentId === id)
      out.push({ kind: 'jurisdiction', id: j.properties.id, name: j.properties.name });
  }
  for (const u of users) if (u.departmentId === id) out.push({ kind: 'user', id: u.id, name: u.username });
  for (const c of openCases) if (c.departmentId === id) out.push({ kind: 'case', id: c.id });
  return out;
}

/** Rules (1-based positions) that name jurisdiction or zone `id`. */
export function areaUsage(kind: 'jurisdiction' | 'zone', id: string, rules: RoutingData['rules']): Usage[] {
  const out: Usage[] = [];
  rules.rules.forEach((r, i) => {
    if ((kind === 'jurisdiction' ? r.jurisdictionId : r.zoneId) === id) {
      out.push({ kind: 'rule', id: String(i + 1), ...(r.note ? { name: r.note } : {}) });
    }
  });
  return out;
}

/**
 * True when replacing user `next.id` by `next` leaves no enabled admin among `users` (the stored users
 * before the change).
 */
export function leavesNoAdmin(
  users: readonly { id: string; role: Role; disabled: boolean }[],
  next: { id: string; role: Role; disabled: boolean },
): boolean {
  const after = users.map((u) => (u.id === next.id ? next : u));
  return !after.some((u) => u.role === 'admin' && !u.disabled);
}
