/**
 * Loads and validates the dispatch configuration directory (`camera-config/<site>/dispatch/`):
 *
 * | file | schema |
 * |---|---|
 * | `departments.yaml` | {@link DepartmentsFile} |
 * | `jurisdictions.geojson` | {@link JurisdictionsFile} (street office areas) |
 * | `zones.geojson` | {@link ZonesFile} (special zones) |
 * | `rules.yaml` | {@link RulesFile} (routing rules) |
 * | `sla.yaml` | {@link SlaFile} |
 * | `users.yaml` | {@link UsersFile} (seed users, no passwords) |
 * | `evidence.yaml` (optional) | {@link EvidenceSettings} |
 *
 * Every problem is reported as a {@link DispatchConfigError} issue naming file, path and reason, including
 * cross-file references (a rule naming an unknown department, duplicate ids, ...). Fail fast at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import {
  DepartmentsFile,
  EvidenceSettings,
  JurisdictionsFile,
  RulesFile,
  SlaFile,
  UsersFile,
  ZonesFile,
  type SlaPolicy,
} from './schemas.ts';
import type { RoutingData } from './routing.ts';

/** One problem: `path` is dotted/bracketed inside the file (`features[2].properties.departmentId`). */
export interface DispatchConfigIssue {
  file: string;
  path: string;
  message: string;
}

/** Thrown by {@link loadDispatchConfig}; `message` lists every issue as `file: path: reason`. */
export class DispatchConfigError extends Error {
  constructor(readonly issues: DispatchConfigIssue[]) {
    super(
      'Invalid dispatch configuration:\n' +
        issues.map((i) => `  ${i.file}: ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.name = 'DispatchConfigError';
  }
}

/** The validated dispatch configuration. */
export interface DispatchConfig extends RoutingData {
  sla: SlaPolicy[];
  users: UsersFile['users'];
  evidence: EvidenceSettings;
}

function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

/**
 * Loads `dir`. @throws DispatchConfigError listing every issue (missing file, syntax, schema, references).
 */
export function loadDispatchConfig(dir: string): DispatchConfig {
  const issues: DispatchConfigIssue[] = [];
  function load<S extends z.ZodType>(name: string, schema: S, optional = false): z.infer<S> | null {
    const file = path.join(dir, name);
    if (!existsSync(file)) {
      if (optional) return schema.parse({});
      issues.push({ file, path: '', message: 'file is missing' });
      return null;
    }
    let raw: unknown;
    try {
      const text = readFileSync(file, 'utf8');
      raw = name.endsWith('.geojson') || name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      issues.push({ file, path: '', message: `syntax: ${(e as Error).message.split('\n')[0] ?? ''}` });
      return null;
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      for (const i of r.error.issues) issues.push({ file, path: formatPath(i.path), message: i.message });
      return null;
    }
    return r.data;
  }

  const departments = load('departments.yaml', DepartmentsFile);
  const jurisdictions = load('jurisdictions.geojson', JurisdictionsFile);
  const zones = load('zones.geojson', ZonesFile);
  const rules = load('rules.yaml', RulesFile);
  const sla = load('sla.yaml', SlaFile);
  const users = load('users.yaml', UsersFile);
  const evidence = load('evidence.yaml', EvidenceSettings, true);
  if (!departments || !jurisdictions || !zones || !rules || !sla || !users || !evidence) {
    throw new DispatchConfigError(issues);
  }

  const f = (name: string) => path.join(dir, name);
  const deptIds = new Set<string>();
  departments.departments.forEach((d, i) => {
    if (deptIds.has(d.id))
      issues.push({
        file: f('departments.yaml'),
        path: `departments[${i}].id`,
        message: `duplicate id "${d.id}"`,
      });
    deptIds.add(d.id);
  });
  const needDept = (file: string, p: string, id: string) => {
    if (!deptIds.has(id)) issues.push({ file: f(file), path: p, message: `unknown department "${id}"` });
  };
  const jurIds = new Set<string>();
  jurisdictions.features.forEach((j, i) => {
    if (jurIds.has(j.properties.id)) {
      issues.push({
        file: f('jurisdictions.geojson'),
        path: `features[${i}].properties.id`,
        message: `duplicate id "${j.properties.id}"`,
      });
    }
    jurIds.add(j.properties.id);
    needDept('jurisdictions.geojson', `features[${i}].properties.departmentId`, j.properties.departmentId);
  });
  const zoneIds = new Set<string>();
  zones.features.forEach((z, i) => {
    if (zoneIds.has(z.properties.id)) {
      issues.push({
        file: f('zones.geojson'),
        path: `features[${i}].properties.id`,
        message: `duplicate id "${z.properties.id}"`,
      });
    }
    zoneIds.add(z.properties.id);
  });
  rules.rules.forEach((r, i) => {
    needDept('rules.yaml', `rules[${i}].departmentId`, r.departmentId);
    if (r.jurisdictionId !== undefined && !jurIds.has(r.jurisdictionId)) {
      issues.push({
        file: f('rules.yaml'),
        path: `rules[${i}].jurisdictionId`,
        message: `unknown jurisdiction "${r.jurisdictionId}"`,
      });
    }
    if (r.zoneId !== undefined && !zoneIds.has(r.zoneId)) {
      issues.push({
        file: f('rules.yaml'),
        path: `rules[${i}].zoneId`,
        message: `unknown zone "${r.zoneId}"`,
      });
    }
  });
  const names = new Set<string>();
  users.users.forEach((u, i) => {
    if (names.has(u.username))
      issues.push({
        file: f('users.yaml'),
        path: `users[${i}].username`,
        message: `duplicate username "${u.username}"`,
      });
    names.add(u.username);
    if (u.departmentId !== undefined) needDept('users.yaml', `users[${i}].departmentId`, u.departmentId);
  });
  if (issues.length > 0) throw new DispatchConfigError(issues);
  return {
    departments: departments.departments,
    jurisdictions: jurisdictions.features,
    zones: zones.features,
    rules,
    sla: sla.policies,
    users: users.users,
    evidence,
  };
}
