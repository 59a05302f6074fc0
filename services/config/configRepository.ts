/**
 * Config repository: the adapter through which admin edits reach `camera-config/<site>/*.yaml`.
 *
 * - Validation: the edited file is re-validated with the same zod schemas and merge rules the loader uses
 *   ({@link parseConfigText}, {@link mergeConfigFiles}); any problem throws {@link ConfigError} naming the file,
 *   line, path and reason, and nothing is written.
 * - Comments survive: the file is edited through the `yaml` Document API, node by node; unchanged keys keep
 *   their comments, order and style, and keys left at their schema default are not added.
 * - Atomic: the new text goes to a temporary file in the same directory, is fsynced, then renamed over the
 *   old one (rename(2) is atomic within a file system), so a crash leaves either the old or the new file.
 * - Backup: the previous text is kept as `.backups/<file>.<UTC timestamp>.bak` (the loader reads only `*.yaml`
 *   directly in the directory, so backups are never loaded); the newest {@link ConfigRepositoryOptions.keepBackups}
 *   per file are kept.
 * - Concurrency: writes are serialised in-process, and each write names the version (a hash of the stored
 *   camera) it was based on; a different current version throws {@link ConfigConflictError} (HTTP 409), also
 *   when the file was edited by hand in between.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import {
  isCollection,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  YAMLMap,
  YAMLSeq,
  type Document,
  type Node as YamlNode,
  type ToStringOptions,
  visit,
} from 'yaml';
import { canonicalJson } from '../dispatch/audit.ts';
import {
  CameraFields,
  PresetConfig,
  TourConfig,
  type CameraConfig,
  type ConfigFile,
} from '../schemas/config.ts';
import { iso, systemClock, type Clock } from '../util/clock.ts';
import { ConfigError, mergeConfigFiles, parseConfigText } from './loadConfig.ts';

/**
 * Longest flow sequence of collections (its JSON text, chars) kept on one line when a file is written: a 4-point
 * polygon such as `[[0.0, 0.0], [1.0, 0.0], [1.0, 0.18], [0.0, 0.18]]` stays flow; longer ones, which Prettier
 * (printWidth 110, at the indentation of a preset's `masks:`) would break over lines, are written as blocks.
 */
const LONG_FLOW_CHARS = 60;

/** How edited files are written back: lines not folded (flow collections: see {@link yamlText}). */
const YAML_OUTPUT: ToStringOptions = { lineWidth: 0 };

/**
 * The file text of an edited document, flow collections spaced as Prettier (and the shipped files) write them:
 * `[hotspot, smoke]` and `{ id: demo }`. yaml has one padding option for both kinds, which rewrote every
 * untouched `[hotspot]` in a file as `[ hotspot ]` on any save; flow sequences are therefore stringified without
 * padding (an instance override of `toString`, which yaml calls for collections with the stringify context).
 * A long flow sequence of collections (a mask or ROI polygon of many points, or a list of such polygons) is written
 * as a block sequence of its items (`- [0.1, 0.2]` per point): with `lineWidth: 0` yaml would put it on one line
 * past Prettier's width, and Prettier would fold it again on the next format (see {@link LONG_FLOW_CHARS}).
 */
function yamlText(doc: Document): string {
  visit(doc, {
    Seq(_key, node) {
      if (!node.flow) return;
      if (node.items.some((i) => isCollection(i)) && JSON.stringify(node.toJSON()).length > LONG_FLOW_CHARS) {
        node.flow = false;
        return;
      }
      const own = node.toString.bind(node) as (ctx?: object, ...rest: unknown[]) => string;
      node.toString = (ctx?: object, ...rest: unknown[]) =>
        own(ctx ? { ...ctx, flowCollectionPadding: '' } : ctx, ...rest);
    },
  });
  return doc.toString(YAML_OUTPUT);
}

/** A camera as stored: its validated config, the file that holds it and its version. */
export interface StoredCamera {
  camera: CameraConfig;
  /** Absolute path of the YAML file holding the camera. */
  file: string;
  /** Opaque version: the first 16 hex digits of sha256 of the camera's canonical JSON. */
  version: string;
}

/** 409: the camera changed since the caller read it (or a camera with that id already exists). */
export class ConfigConflictError extends Error {
  override name = 'ConfigConflictError';
  constructor(
    message: string,
    readonly currentVersion: string | null,
  ) {
    super(message);
  }
}

/** 409: a camera with that id already exists (create only); the HTTP answer names the `id` field. */
export class CameraExistsError extends ConfigConflictError {
  override name = 'CameraExistsError';
  constructor(
    readonly cameraId: string,
    readonly file: string,
  ) {
    super(`camera "${cameraId}" already exists (${file})`, null);
  }
}

/** 404: no camera with that id in any config file. */
export class CameraNotFoundError extends Error {
  override name = 'CameraNotFoundError';
  constructor(readonly cameraId: string) {
    super(`camera "${cameraId}" not found`);
  }
}

export interface ConfigRepositoryOptions {
  clock?: Clock;
  /** Backups kept per file (default 20). */
  keepBackups?: number;
  /** File new cameras go to when no file has a `cameras` list yet (default `cameras.yaml`). */
  newCameraFile?: string;
}

/** Version of a camera: hash of its canonical JSON (stable across key order and YAML formatting). */
export function cameraVersion(cam: CameraConfig): string {
  return createHash('sha256')
    .update(canonicalJson(JSON.parse(JSON.stringify(cam)) as unknown))
    .digest('hex')
    .slice(0, 16);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Default values of an object schema's fields (`field.parse(undefined)` when it succeeds with a value). */
function defaultsOf(shape: Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>) {
  const out = new Map<string, unknown>();
  for (const [k, f] of Object.entries(shape)) {
    const r = f.safeParse(undefined);
    if (r.success && r.data !== undefined) out.set(k, r.data);
  }
  return out;
}
const CAMERA_DEFAULTS = defaultsOf(CameraFields.shape);
const PRESET_DEFAULTS = defaultsOf(PresetConfig.shape);
const TOUR_DEFAULTS = defaultsOf(TourConfig.shape);

/** Defaults of the object at `p` inside a camera (camera, preset or tour), else none. */
function defaultsAt(p: readonly (string | number)[]): Map<string, unknown> | undefined {
  if (p.length === 0) return CAMERA_DEFAULTS;
  if (p.length === 2 && p[0] === 'presets') return PRESET_DEFAULTS;
  if (p.length === 2 && p[0] === 'tours') return TOUR_DEFAULTS;
  return undefined;
}

const sameJson = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** Flow style for short leaf collections: points `[x, y]`, polygons, `{ lat, lon }`, detector lists. */
function styleNew(node: unknown): void {
  if (isSeq(node)) {
    node.items.forEach(styleNew);
    if (node.items.every((i) => isScalar(i) || (isSeq(i) && i.items.every((j) => isScalar(j)))))
      node.flow = true;
  } else if (isMap(node)) {
    node.items.forEach((p) => styleNew(p.value));
    if (node.items.every((p) => isScalar(p.value)) && node.items.length <= 4) node.flow = true;
  }
}

function newNode(doc: Document, value: unknown): YamlNode {
  const n = doc.createNode(value) as YamlNode;
  styleNew(n);
  return n;
}

/**
 * Makes the YAML node `node` hold `value`, reusing the existing nodes (and so their comments) wherever the
 * shape allows. Keys absent from the node whose new value equals the schema default are not added.
 * @returns the node to store at this place (the same one when updated in place).
 */
function sync(doc: Document, node: unknown, value: unknown, at: (string | number)[]): unknown {
  if (isPlainObject(value) && isMap(node)) {
    const defaults = defaultsAt(at);
    for (const pair of [...node.items]) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!(k in value) || value[k] === undefined) node.delete(pair.key);
    }
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const cur: unknown = node.get(k, true);
      if (cur === undefined) {
        if (defaults?.has(k) && sameJson(defaults.get(k), v)) continue;
        node.set(k, newNode(doc, v));
      } else {
        const next = sync(doc, cur, v, [...at, k]);
        if (next !== cur) node.set(k, next);
      }
    }
    return node;
  }
  if (Array.isArray(value) && isSeq(node)) {
    const keyed =
      value.every((v) => isPlainObject(v) && typeof v['id'] === 'string') &&
      node.items.every((n) => isMap(n) && typeof n.get('id') === 'string');
    if (keyed) {
      // Lists of objects with ids (presets, tours): match by id so a reorder or insert keeps each item's comments.
      const byId = new Map(node.items.map((n) => [String((n as YAMLMap).get('id')), n]));
      node.items = value.map((v, i) => {
        const old = byId.get(String((v as Record<string, unknown>)['id']));
        return (old ? sync(doc, old, v, [...at, i]) : newNode(doc, v)) as never;
      });
      return node;
    }
    if (node.items.length === value.length) {
      node.items = node.items.map((n, i) => sync(doc, n, value[i], [...at, i]) as never);
      return node;
    }
    const fresh = newNode(doc, value);
    if (isSeq(fresh)) fresh.flow = node.flow ?? fresh.flow;
    return fresh;
  }
  if (isScalar(node) && !isPlainObject(value) && !Array.isArray(value)) {
    if (node.value !== value) node.value = value;
    return node;
  }
  return newNode(doc, value);
}

/** Parsed file with its document. */
interface LoadedFile {
  file: string;
  text: string;
  value: ConfigFile;
}

/** Reads, edits and writes the cameras of one config directory. */
export class ConfigRepository {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clock: Clock;

  constructor(
    readonly dir: string,
    private readonly opts: ConfigRepositoryOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Every camera of every file, in load order. @throws ConfigError when a file is invalid. */
  list(): StoredCamera[] {
    return this.loadAll().flatMap((f) =>
      (f.value.cameras ?? []).map((camera) => ({ camera, file: f.file, version: cameraVersion(camera) })),
    );
  }

  /** One camera, or null. @throws ConfigError when a file is invalid. */
  get(id: string): StoredCamera | null {
    return this.list().find((c) => c.camera.id === id) ?? null;
  }

  /**
   * Adds a camera (to the first file that has a `cameras` list, else to `newCameraFile`).
   * @throws CameraExistsError (a ConfigConflictError) when the id exists; ConfigError when the result is invalid.
   */
  create(camera: CameraConfig): Promise<StoredCamera> {
    return this.serial(() => {
      const files = this.loadAll();
      const existing = files.find((f) => (f.value.cameras ?? []).some((c) => c.id === camera.id));
      if (existing) throw new CameraExistsError(camera.id, path.basename(existing.file));
      const target =
        files.find((f) => f.value.cameras !== undefined) ??
        files.find((f) => path.basename(f.file) === (this.opts.newCameraFile ?? 'cameras.yaml'));
      const file = target?.file ?? path.join(this.dir, this.opts.newCameraFile ?? 'cameras.yaml');
      const doc = parseDocument(target?.text ?? '');
      if (!isMap(doc.contents)) doc.contents = new YAMLMap() as never;
      let seq: unknown = doc.get('cameras', true);
      if (!isSeq(seq)) {
        seq = new YAMLSeq();
        doc.set('cameras', seq);
      }
      const node = newNode(doc, JSON.parse(JSON.stringify(camera)) as unknown);
      pruneDefaults(node);
      (seq as YAMLSeq).items.push(node);
      this.write(files, file, target?.text ?? null, yamlText(doc));
      return this.mustGet(camera.id);
    });
  }

  /**
   * Replaces a camera with `change(current)` when its version is `expectedVersion`.
   * @returns the camera before and after.
   * @throws CameraNotFoundError; ConfigConflictError (version differs, or a new id is taken); ConfigError.
   */
  update(
    id: string,
    expectedVersion: string,
    change: (current: CameraConfig) => CameraConfig,
  ): Promise<{ before: StoredCamera; after: StoredCamera }> {
    return this.serial(() => {
      const files = this.loadAll();
      const { f, index, before } = this.locate(files, id, expectedVersion);
      const next = change(before.camera);
      const doc = parseDocument(f.text);
      const seq = doc.get('cameras', true) as YAMLSeq;
      const node = seq.items[index];
      const synced = sync(doc, node, JSON.parse(JSON.stringify(next)) as unknown, []);
      if (synced !== node) seq.items[index] = synced;
      this.write(files, f.file, f.text, yamlText(doc));
      return { before, after: this.mustGet(next.id) };
    });
  }

  /**
   * Removes a camera when its version is `expectedVersion`.
   * @returns the removed camera. @throws CameraNotFoundError; ConfigConflictError; ConfigError.
   */
  delete(id: string, expectedVersion: string): Promise<StoredCamera> {
    return this.serial(() => {
      const files = this.loadAll();
      const { f, index, before } = this.locate(files, id, expectedVersion);
      const doc = parseDocument(f.text);
      (doc.get('cameras', true) as YAMLSeq).items.splice(index, 1);
      this.write(files, f.file, f.text, yamlText(doc));
      return before;
    });
  }

  /** Backups of one config file, oldest first (absolute paths). */
  backups(file: string): string[] {
    const dir = path.join(this.dir, '.backups');
    if (!existsSync(dir)) return [];
    const prefix = `${path.basename(file)}.`;
    return readdirSync(dir)
      .filter((n) => n.startsWith(prefix) && n.endsWith('.bak'))
      .sort()
      .map((n) => path.join(dir, n));
  }

  private serial<T>(fn: () => T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private mustGet(id: string): StoredCamera {
    const c = this.get(id);
    if (!c) throw new CameraNotFoundError(id);
    return c;
  }

  private locate(files: LoadedFile[], id: string, expectedVersion: string) {
    for (const f of files) {
      const index = (f.value.cameras ?? []).findIndex((c) => c.id === id);
      if (index < 0) continue;
      const camera = f.value.cameras![index]!;
      const before = { camera, file: f.file, version: cameraVersion(camera) };
      if (before.version !== expectedVersion)
        throw new ConfigConflictError(
          `camera "${id}" was changed by someone else (version ${before.version}, not ${expectedVersion}); reload and retry`,
          before.version,
        );
      return { f, index, before };
    }
    throw new CameraNotFoundError(id);
  }

  private loadAll(): LoadedFile[] {
    const names = readdirSync(this.dir)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort();
    const out: LoadedFile[] = [];
    const issues: ConfigError['issues'] = [];
    for (const n of names) {
      const file = path.join(this.dir, n);
      const text = readFileSync(file, 'utf8');
      const r = parseConfigText(file, text);
      if (r.ok) out.push({ file, text, value: r.value });
      else issues.push(...r.issues);
    }
    if (issues.length > 0) throw new ConfigError(issues);
    return out;
  }

  /** Validates the new text of `file` together with the other files, backs up the old text, writes atomically. */
  private write(files: LoadedFile[], file: string, oldText: string | null, text: string): void {
    const r = parseConfigText(file, text);
    if (!r.ok) throw new ConfigError(r.issues);
    mergeConfigFiles([
      ...files.filter((f) => f.file !== file).map((f) => ({ file: f.file, dir: this.dir, value: f.value })),
      { file, dir: this.dir, value: r.value, lineOf: r.lineOf },
    ]);
    if (oldText !== null) this.backup(file, oldText);
    const tmp = path.join(
      path.dirname(file),
      `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    const fd = openSync(tmp, 'wx', existsSync(file) ? statSync(file).mode & 0o777 : 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  private backup(file: string, text: string): void {
    const dir = path.join(this.dir, '.backups');
    mkdirSync(dir, { recursive: true });
    const stamp = iso(this.clock.now()).replace(/[:.]/g, '-');
    let name = `${path.basename(file)}.${stamp}.bak`;
    for (let i = 1; existsSync(path.join(dir, name)); i++) name = `${path.basename(file)}.${stamp}-${i}.bak`;
    const fd = openSync(path.join(dir, name), 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const all = this.backups(file);
    for (const old of all.slice(0, Math.max(0, all.length - (this.opts.keepBackups ?? 20))))
      rmSync(old, { force: true });
  }
}

/** Drops keys of a freshly created camera node that only restate a schema default (camera, presets, tours). */
function pruneDefaults(node: unknown): void {
  const prune = (n: unknown, defaults: Map<string, unknown> | undefined) => {
    if (!isMap(n) || !defaults) return;
    for (const pair of [...n.items]) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!defaults.has(k)) continue;
      const v: unknown = isScalar(pair.value) ? pair.value.value : (pair.value as YamlNode | null)?.toJSON();
      if (sameJson(v, defaults.get(k))) n.delete(pair.key);
    }
  };
  prune(node, CAMERA_DEFAULTS);
  if (isMap(node)) {
    for (const [key, d] of [
      ['presets', PRESET_DEFAULTS],
      ['tours', TOUR_DEFAULTS],
    ] as const) {
      const s: unknown = node.get(key, true);
      if (isSeq(s)) s.items.forEach((i) => prune(i, d));
    }
  }
}
