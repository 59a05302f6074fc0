import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { format } from 'prettier';
import { beforeEach, describe, expect, it } from 'vitest';
import { CameraConfig } from '../schemas/config.ts';
import {
  cameraVersion,
  ConfigConflictError,
  ConfigRepository,
  CameraNotFoundError,
} from './configRepository.ts';
import { ConfigError, loadConfigDir } from './loadConfig.ts';

const SITE = `# site file
site: { id: t, name: Test }
`;
const CAMERAS = `# Camera fleet (comment at the top)
cameras:
  # first camera: keep this comment
  - id: cam-a
    name: Camera A # trailing comment
    url: rtsp://10.0.0.1/a
    channel: thermal
    detectors: [hotspot]
    sampleIntervalMs: 2000 # explicit default stays
    presets:
      - id: p1
        name: Preset 1 # preset comment
        onvifToken: '1'
  - id: cam-b
    name: Camera B
    url: rtsp://10.0.0.2/b
    channel: visible
    detectors: [smoke]
`;

let dir: string;
let now = Date.parse('2026-11-29T10:00:00Z');
const clock = { now: () => now };

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tw-cfgrepo-'));
  writeFileSync(path.join(dir, 'site.yaml'), SITE);
  writeFileSync(path.join(dir, 'cameras.yaml'), CAMERAS);
  now += 1000;
});

const text = () => readFileSync(path.join(dir, 'cameras.yaml'), 'utf8');

describe('ConfigRepository', () => {
  it('lists cameras with file and a stable version', () => {
    const repo = new ConfigRepository(dir, { clock });
    const list = repo.list();
    expect(list.map((c) => c.camera.id)).toEqual(['cam-a', 'cam-b']);
    expect(list[0]!.file).toBe(path.join(dir, 'cameras.yaml'));
    expect(list[0]!.version).toBe(cameraVersion(list[0]!.camera));
    expect(repo.get('nope')).toBeNull();
  });

  it('updates a preset mask in place: comments survive, defaults are not added, the loader reads it back', async () => {
    const repo = new ConfigRepository(dir, { clock });
    const a = repo.get('cam-a')!;
    const mask = [
      [0.1, 0.1],
      [0.5, 0.1],
      [0.5, 0.4],
    ] as [number, number][];
    const { before, after } = await repo.update('cam-a', a.version, (c) => ({
      ...c,
      presets: c.presets.map((p) => ({ ...p, masks: [mask], sensitivity: 0.7 })),
    }));
    expect(before.version).toBe(a.version);
    expect(after.version).not.toBe(a.version);
    const t = text();
    for (const c of [
      '# Camera fleet (comment at the top)',
      '# first camera: keep this comment',
      '# trailing comment',
      '# preset comment',
      '# explicit default stays',
    ])
      expect(t).toContain(c);
    expect(t).toContain('masks:');
    expect(t).toContain('[0.1, 0.1]');
    // untouched flow sequences keep their spacing (yaml's default padding rewrote them as `[ smoke ]`)
    expect(t).toContain('    detectors: [smoke]\n');
    expect(t).toContain('    detectors: [hotspot]\n');
    expect(t).toContain('sensitivity: 0.7');
    // Defaults the file did not state (dwellS, settleS, enabled, decodeMode...) are not written.
    expect(t).not.toMatch(/dwellS|settleS|enabled|decodeMode|rangeM|stallTimeoutS/);
    const cfg = loadConfigDir(dir);
    expect(cfg.cameras[0]!.presets[0]!.masks).toEqual([mask]);
    expect(cfg.cameras[1]!.name).toBe('Camera B');
  });

  it('writes a long mask polygon as a block of [x, y] points that Prettier leaves as it is', async () => {
    const repo = new ConfigRepository(dir, { clock });
    const long = [
      [0.098, 0.026],
      [0.142, 0.026],
      [0.125, 0.313],
      [0.129, 0.646],
      [0.047, 0.646],
      [0.048, 0.469],
      [0.074, 0.208],
    ] as [number, number][];
    const short = [
      [0, 0],
      [1, 0],
      [1, 0.2],
    ] as [number, number][];
    const b = repo.get('cam-b')!;
    await repo.update('cam-b', b.version, (c) => ({ ...c, masks: [long], roi: [short] }));
    const t = text();
    expect(t).toContain('    masks:\n      - - [0.098, 0.026]\n        - [0.142, 0.026]\n');
    expect(t).toContain('    roi:\n      - [[0, 0], [1, 0], [1, 0.2]]\n');
    const prettier = { parser: 'yaml', singleQuote: true, printWidth: 110, trailingComma: 'all' } as const;
    expect(await format(t, prettier)).toBe(t);
    // Saving again (another field) keeps the block style; the loader reads the polygon back.
    const b2 = repo.get('cam-b')!;
    await repo.update('cam-b', b2.version, (c) => ({ ...c, name: 'Camera B2' }));
    expect(await format(text(), prettier)).toBe(text());
    expect(loadConfigDir(dir).cameras[1]!.masks).toEqual([long]);
  });

  it('keeps the previous text as a timestamped backup outside the loaded files', async () => {
    const repo = new ConfigRepository(dir, { clock, keepBackups: 2 });
    for (const name of ['A1', 'A2', 'A3']) {
      now += 1000;
      const cur = repo.get('cam-a')!;
      await repo.update('cam-a', cur.version, (c) => ({ ...c, name }));
    }
    const backups = repo.backups(path.join(dir, 'cameras.yaml'));
    expect(backups).toHaveLength(2);
    expect(readFileSync(backups[1]!, 'utf8')).toContain('name: A2');
    expect(readFileSync(backups[0]!, 'utf8')).toContain('name: A1');
    expect(path.basename(backups[0]!)).toMatch(/^cameras\.yaml\.2026-11-29T10-00-\d\d-\d{3}Z\.bak$/);
    // No temporary file left behind; the loader still sees exactly the two yaml files.
    expect(readdirSync(dir).sort()).toEqual(['.backups', 'cameras.yaml', 'site.yaml']);
    expect(loadConfigDir(dir).cameras[0]!.name).toBe('A3');
  });

  it('refuses a stale version with a conflict and writes nothing', async () => {
    const repo = new ConfigRepository(dir, { clock });
    const stale = repo.get('cam-a')!.version;
    await repo.update('cam-a', stale, (c) => ({ ...c, name: 'first' }));
    const after = text();
    const err = await repo.update('cam-a', stale, (c) => ({ ...c, name: 'second' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigConflictError);
    expect((err as ConfigConflictError).currentVersion).toBe(repo.get('cam-a')!.version);
    expect(text()).toBe(after);
  });

  it('serialises concurrent writes: of two writes based on one version exactly one wins', async () => {
    const repo = new ConfigRepository(dir, { clock });
    const v = repo.get('cam-b')!.version;
    const results = await Promise.allSettled([
      repo.update('cam-b', v, (c) => ({ ...c, name: 'X' })),
      repo.update('cam-b', v, (c) => ({ ...c, name: 'Y' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(ConfigConflictError);
    expect(repo.get('cam-b')!.camera.name).toBe('X');
  });

  it('sees a hand edit of the file as a conflict', async () => {
    const repo = new ConfigRepository(dir, { clock });
    const v = repo.get('cam-b')!.version;
    writeFileSync(path.join(dir, 'cameras.yaml'), CAMERAS.replace('Camera B', 'Camera B (hand edit)'));
    await expect(repo.update('cam-b', v, (c) => c)).rejects.toBeInstanceOf(ConfigConflictError);
  });

  it('rejects an invalid result naming file, line, path and reason, and writes nothing', async () => {
    const repo = new ConfigRepository(dir, { clock });
    const v = repo.get('cam-a')!.version;
    const err = await repo
      .update('cam-a', v, (c) => ({ ...c, presets: [...c.presets, { ...c.presets[0]! }] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issue = (err as ConfigError).issues[0]!;
    expect(issue.file).toBe(path.join(dir, 'cameras.yaml'));
    expect(issue.path).toBe('cameras[0].presets[1].id');
    expect(issue.message).toMatch(/duplicate preset id "p1"/);
    expect(issue.line).toBeGreaterThan(1);
    expect(text()).toBe(CAMERAS);
    expect(repo.backups(path.join(dir, 'cameras.yaml'))).toHaveLength(0);
  });

  it('creates a camera without restating defaults, refuses a duplicate id, deletes', async () => {
    const repo = new ConfigRepository(dir, { clock });
    const cam = CameraConfig.parse({
      id: 'cam-c',
      name: 'Camera C',
      url: 'rtsp://10.0.0.3/c',
      channel: 'visible',
      detectors: ['smoke'],
      location: { lat: 34.1, lon: 108.9 },
      masks: [
        [
          [0, 0],
          [1, 0],
          [1, 0.2],
        ],
      ],
    });
    const created = await repo.create(cam);
    expect(created.camera).toEqual(cam);
    const t = text();
    expect(t).toContain('# first camera: keep this comment');
    expect(t).toMatch(/- id: cam-c\n\s+name: Camera C/);
    expect(t).toContain('location: { lat: 34.1, lon: 108.9, heightM: 40 }');
    expect(t).not.toMatch(/cam-c[\s\S]*(enabled|sampleIntervalMs|presets: \[\])/);
    await expect(repo.create(cam)).rejects.toBeInstanceOf(ConfigConflictError);
    expect(loadConfigDir(dir).cameras.map((c) => c.id)).toEqual(['cam-a', 'cam-b', 'cam-c']);

    const removed = await repo.delete('cam-b', repo.get('cam-b')!.version);
    expect(removed.camera.id).toBe('cam-b');
    expect(loadConfigDir(dir).cameras.map((c) => c.id)).toEqual(['cam-a', 'cam-c']);
    await expect(repo.delete('cam-b', 'x')).rejects.toBeInstanceOf(CameraNotFoundError);
  });

  it('refuses a camera id that another file already uses', async () => {
    writeFileSync(
      path.join(dir, 'more.yaml'),
      'cameras:\n  - { id: cam-z, name: Z, url: "rtsp://h/z", channel: visible, detectors: [smoke] }\n',
    );
    const repo = new ConfigRepository(dir, { clock });
    const v = repo.get('cam-a')!.version;
    const err = await repo.update('cam-a', v, (c) => ({ ...c, id: 'cam-z' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/duplicate camera id "cam-z"/);
  });
});
