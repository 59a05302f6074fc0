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
 * Every problem is reported as a {@link DispatchConfigError} issue naming file, line, path and reason, including
 * cross-file references (a rule naming an unknown department, duplicate ids with the line of the first use, ...).
 * Fail fast at start (the service exits with 78, EX_CONFIG, as for a bad camera config).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatPath, lineOf } from '../config/loadConfig.ts';
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

/**
 * One problem: `path` is dotted/bracketed inside the file (`features[2].properties.departmentId`); `line` is
 * 1-based (null when the file is missing or the place has no line).
 */
export interface DispatchConfigIssue {
  file: string;
  path: string;
  line: number | null;
  message: string;
}

/** Thrown by {@link loadDispatchConfig}; `message` lists every issue as `file:line: path: reason`. */
export class DispatchConfigError extends Error {
  constructor(readonly issues: DispatchConfigIssue[]) {
    super(
      'Invalid dispatch configuration:\n' +
        issues
          .map(
            (i) => `  ${i.file}${i.line !== null ? `:${i.line}` : ''}: ${i.path || '(root)'}: ${i.message}`,
          )
          .join('\n'),
    );
    this.name = 'DispatchConfigError';
  }
}

/** Line (1-based) of character offset `pos` in `text`. */
function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The validated dispatch configuration. */
export interface DispatchConfig extends RoutingData {
  sla: SlaPolicy[];
  users: UsersFile['users'];
  evidence: EvidenceSettings;
}

/**
 * Loads `dir`. @throws DispatchConfigError listing every issue (missing file, syntax, schema, references).
 */
export function loadDispatchConfig(dir: string): DispatchConfig {
  const issues: DispatchConfigIssue[] = [];
  /** Line lookup per loaded file (by file name), for the cross-file checks below. */
  const lines = new Map<string, (p: readonly PropertyKey[]) => number | null>();
  function load<S extends z.ZodType>(name: string, schema: S, optional = false): z.infer<S> | null {
    const file = path.join(dir, name);
    if (!existsSync(file)) {
      if (optional) return schema.parse({});
      issues.push({ file, path: '', line: null, message: 'file is missing' });
      return null;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      issues.push({ file, path: '', line: null, message: `cannot read: ${(e as Error).message}` });
      return null;
    }
    if (name.endsWith('.geojson') || name.endsWith('.json')) {
      // Strict JSON first (a .geojson must stay readable by GIS tools); yaml then only maps paths to lines.
      try {
        JSON.parse(text);
      } catch (e) {
        const m = (e as Error).message.split('\n')[0] ?? '';
        // V8 names a position for some errors only; the YAML parser (JSON is YAML) locates the others.
        const pos = /position (\d+)/.exec(m)?.[1] ?? parseDocument(text).errors[0]?.pos[0];
        issues.push({
          file,
          path: '',
          line: pos !== undefined ? lineAt(text, Number(pos)) : null,
          message: `syntax: ${m}`,
        });
        return null;
      }
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
    const err = doc.errors[0];
    if (err) {
      issues.push({
        file,
        path: '',
        line: lc.linePos(err.pos[0]).line,
        message: `syntax: ${err.message.split('\n')[0] ?? err.code}`,
      });
      return null;
    }
    const at = (p: readonly PropertyKey[]) => lineOf(doc, lc, p);
    lines.set(name, at);
    const r = schema.safeParse(doc.toJS());
    if (!r.success) {
      for (const i of r.error.issues)
        issues.push({ file, path: formatPath(i.path), line: at(i.path), message: i.message });
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

  /** Records a cross-file problem at path `p` (array form) of file `name`, with its line. */
  const report = (name: string, p: PropertyKey[], message: string) =>
    issues.push({
      file: path.join(dir, name),
      path: formatPath(p),
      line: lines.get(name)?.(p) ?? null,
      message,
    });
  /**
   * Checks ids for uniqueness in one file: a repeat is reported at its own place, naming the first use's line.
   * @returns the set of ids.
   */
  const uniqueIds = (name: string, ids: readonly string[], at: (i: number) => PropertyKey[], what = 'id') => {
    const first = new Map<string, number>();
    ids.forEach((id, i) => {
      const j = first.get(id);
      if (j === undefined) first.set(id, i);
      else {
        const line = lines.get(name)?.(at(j)) ?? null;
        report(
          name,
          at(i),
          `duplicate ${what} "${id}" (first used at ${formatPath(at(j))}${line !== null ? `, line ${line}` : ''})`,
        );
      }
    });
    return new Set(first.keys());
  };
  const deptIds = uniqueIds(
    'departments.yaml',
    departments.departments.map((d) => d.id),
    (i) => ['departments', i, 'id'],
  );
  const needDept = (name: string, p: PropertyKey[], id: string) => {
    if (!deptIds.has(id)) report(name, p, `unknown department "${id}"`);
  };
  const jurIds = uniqueIds(
    'jurisdictions.geojson',
    jurisdictions.features.map((j) => j.properties.id),
    (i) => ['features', i, 'properties', 'id'],
  );
  jurisdictions.features.forEach((j, i) =>
    needDept(
      'jurisdictions.geojson',
      ['features', i, 'properties', 'departmentId'],
      j.properties.departmentId,
    ),
  );
  const zoneIds = uniqueIds(
    'zones.geojson',
    zones.features.map((z) => z.properties.id),
    (i) => ['features', i, 'properties', 'id'],
  );
  rules.rules.forEach((r, i) => {
    needDept('rules.yaml', ['rules', i, 'departmentId'], r.departmentId);
    if (r.jurisdictionId !== undefined && !jurIds.has(r.jurisdictionId))
      report('rules.yaml', ['rules', i, 'jurisdictionId'], `unknown jurisdiction "${r.jurisdictionId}"`);
    if (r.zoneId !== undefined && !zoneIds.has(r.zoneId))
      report('rules.yaml', ['rules', i, 'zoneId'], `unknown zone "${r.zoneId}"`);
  });
  uniqueIds(
    'users.yaml',
    users.users.map((u) => u.username),
    (i) => ['users', i, 'username'],
    'username',
  );
  users.users.forEach((u, i) => {
    if (u.departmentId !== undefined) needDept('users.yaml', ['users', i, 'departmentId'], u.departmentId);
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
