/**
 * Loads and validates `camera-config/*.yaml` (IO adapter around the pure {@link mergeConfigFiles}).
 *
 * Every problem is reported as a {@link ConfigError} naming the file, the path inside it (and the line) and the
 * reason; the service refuses to start on any error (fail fast).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { AlertingConfig, ConfigFile, type TowerWatchConfig } from '../schemas/config.ts';

/** One problem in one config file. `path` is a dotted/bracketed path inside the file (`cameras[2].url`). */
export interface ConfigIssue {
  file: string;
  path: string;
  line: number | null;
  message: string;
}

/** Thrown when any config file is invalid; `message` lists every issue as `file:line: path: reason`. */
export class ConfigError extends Error {
  constructor(public readonly issues: ConfigIssue[]) {
    super(
      'Invalid configuration:\n' +
        issues
          .map(
            (i) => `  ${i.file}${i.line !== null ? `:${i.line}` : ''}: ${i.path || '(root)'}: ${i.message}`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** `['cameras', 2, 'url']` → `cameras[2].url` (the path form used in every config message). */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

/** 1-based line of the node at path `p` in `doc` (or of its nearest existing parent); null when none. */
export function lineOf(doc: Document, lc: LineCounter, p: readonly PropertyKey[]): number | null {
  // Walk down as far as the path exists, so a missing key points at its parent object.
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n) as unknown[], true) as
      { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) {
      return lc.linePos(node.range[0]).line;
    }
  }
  return null;
}

/**
 * Parses and validates one YAML text. Pure apart from nothing: `file` is only used in messages.
 * @returns the parsed file, or the issues found.
 */
export function parseConfigText(
  file: string,
  text: string,
):
  | { ok: true; value: ConfigFile; lineOf: (path: readonly PropertyKey[]) => number | null }
  | { ok: false; issues: ConfigIssue[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      // The first syntax error is the one to fix: the parser's later errors are usually its consequences
      // (one unclosed `[` gave 16), so they are counted, not listed.
      issues: doc.errors.slice(0, 1).map((e) => {
        const at = lc.linePos(e.pos[0]);
        const more = doc.errors.length - 1;
        return {
          file,
          path: '',
          line: at.line,
          message:
            `YAML syntax at line ${at.line}, column ${at.col}: ${e.message.split('\n')[0] ?? e.code}` +
            (more > 0
              ? ` (${more} more YAML error${more > 1 ? 's' : ''} after it, usually caused by this one)`
              : ''),
        };
      }),
    };
  }
  const contents = doc.contents;
  if (
    contents !== null &&
    !isMap(contents) &&
    !isSeq(contents) &&
    doc.toJS() !== null &&
    typeof doc.toJS() !== 'object'
  ) {
    return { ok: false, issues: [{ file, path: '', line: 1, message: 'top level must be a mapping' }] };
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = ConfigFile.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data, lineOf: (p) => lineOf(doc, lc, p) };
  return {
    ok: false,
    issues: parsed.error.issues.map((iss) => {
      const p = iss.code === 'unrecognized_keys' ? [...iss.path, iss.keys[0] ?? ''] : iss.path;
      return { file, path: formatPath(p), line: lineOf(doc, lc, p), message: iss.message };
    }),
  };
}

/**
 * Merges validated files into one configuration (pure). Rules: `site`, `alerting`, `demo` at most once;
 * camera ids unique; a demo stream mount at most once.
 * @throws ConfigError listing every conflict.
 */
export function mergeConfigFiles(
  files: {
    file: string;
    dir: string;
    value: ConfigFile;
    /** Line of a path in the file (from {@link parseConfigText}), for the conflict messages. */
    lineOf?: (path: readonly PropertyKey[]) => number | null;
  }[],
): TowerWatchConfig {
  const issues: ConfigIssue[] = [];
  let site: TowerWatchConfig['site'] | undefined;
  let alerting: TowerWatchConfig['alerting'] | undefined;
  let demo: TowerWatchConfig['demo'] = null;
  const cameras: TowerWatchConfig['cameras'] = [];
  const owner = new Map<string, string>();
  const once = (key: string, file: string, seen: boolean): boolean => {
    if (seen)
      issues.push({ file, path: key, line: null, message: `"${key}" is already defined in another file` });
    return !seen;
  };
  for (const { file, dir, value, lineOf: lineIn } of files) {
    const at = (...p: PropertyKey[]) => lineIn?.(p) ?? null;
    if (value.site && once('site', file, site !== undefined)) site = value.site;
    if (value.alerting && once('alerting', file, alerting !== undefined)) alerting = value.alerting;
    if (value.demo && once('demo', file, demo !== null)) {
      const mounts = new Set<string>();
      value.demo.streams.forEach((s, i) => {
        if (mounts.has(s.mount))
          issues.push({
            file,
            path: `demo.streams[${i}].mount`,
            line: at('demo', 'streams', i, 'mount'),
            message: `duplicate mount "${s.mount}"`,
          });
        mounts.add(s.mount);
      });
      demo = { ...value.demo, baseDir: dir };
    }
    (value.cameras ?? []).forEach((c, i) => {
      const prev = owner.get(c.id);
      if (prev !== undefined) {
        issues.push({
          file,
          path: `cameras[${i}].id`,
          line: at('cameras', i, 'id'),
          message: `duplicate camera id "${c.id}" (also in ${prev})`,
        });
        return;
      }
      owner.set(c.id, file);
      cameras.push(c);
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    site: site ?? { id: 'default', name: 'TowerWatch' },
    alerting: alerting ?? AlertingConfig.parse({}),
    demo,
    cameras,
  };
}

/**
 * Reads every `*.yaml`/`*.yml` file directly in `dir` (sorted by name), validates and merges them.
 * @throws ConfigError on any unreadable, invalid or conflicting file, or when `dir` has no config file.
 */
export function loadConfigDir(dir: string): TowerWatchConfig {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort();
  } catch (e) {
    throw new ConfigError([
      { file: dir, path: '', line: null, message: `cannot read config directory: ${(e as Error).message}` },
    ]);
  }
  if (names.length === 0)
    throw new ConfigError([{ file: dir, path: '', line: null, message: 'no *.yaml config file found' }]);
  const issues: ConfigIssue[] = [];
  const files: Parameters<typeof mergeConfigFiles>[0] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    const res = parseConfigText(file, readFileSync(file, 'utf8'));
    if (res.ok) files.push({ file, dir, value: res.value, lineOf: res.lineOf });
    else issues.push(...res.issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return mergeConfigFiles(files);
}
