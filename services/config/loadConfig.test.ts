import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigDir, mergeConfigFiles, parseConfigText } from './loadConfig.ts';

const good = `
site: { id: demo, name: Demo }
cameras:
  - id: tower-01
    name: Tower 1
    url: rtsp://127.0.0.1:8554/tower-01
    channel: thermal
    detectors: [hotspot]
`;

describe('parseConfigText', () => {
  it('accepts a valid file and applies defaults', () => {
    const r = parseConfigText('a.yaml', good);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const cam = r.value.cameras?.[0];
    expect(cam?.sampleIntervalMs).toBe(2000);
    expect(cam?.enabled).toBe(true);
  });

  it('rejects unknown keys naming the file, path and line', () => {
    const r = parseConfigText(
      'cams.yaml',
      good.replace('channel: thermal', 'channel: thermal\n    sampleInterval: 5'),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ file: 'cams.yaml', path: 'cameras[0].sampleInterval', line: 8 });
    expect(r.issues[0]?.message).toMatch(/unrecognized/i);
  });

  it('reports a bad value with its path and reason', () => {
    const r = parseConfigText('c.yaml', good.replace('rtsp://127.0.0.1:8554/tower-01', 'http://x/y'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ path: 'cameras[0].url', line: 6 });
    expect(r.issues[0]?.message).toContain('rtsp://');
  });

  it('reports YAML syntax errors with a line', () => {
    const r = parseConfigText('s.yaml', 'cameras:\n  - id: [unclosed\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]?.message).toMatch(/YAML syntax/);
    // where the parser noticed it: the end of the text, after the unclosed `[`
    expect(r.issues[0]?.line).toBe(3);
  });

  it('reports the first of cascading YAML syntax errors, with its line and column, and counts the rest', () => {
    const text = [
      'site: { id: demo, name: Demo }',
      'cameras:',
      '  - id: a',
      '    url: rtsp://127.0.0.1/a',
      '    detectors: [hotspot',
      '  - id: b',
      '    url: rtsp://127.0.0.1/b',
      '',
    ].join('\n');
    const r = parseConfigText('cameras.yaml', text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    // the parser notices the unclosed `[` of line 5 where the next item starts
    expect(r.issues[0]?.line).toBe(6);
    expect(r.issues[0]?.message).toMatch(/^YAML syntax at line 6, column 3: .*\]/);
    expect(r.issues[0]?.message).toMatch(/\d+ more YAML errors? after it/);
  });

  it('rejects confirmN > confirmM', () => {
    const r = parseConfigText('s.yaml', 'alerting: { confirmN: 4, confirmM: 3 }');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]?.path).toBe('alerting.confirmN');
  });
});

describe('mergeConfigFiles', () => {
  it('rejects duplicate camera ids across files', () => {
    const a = parseConfigText('a.yaml', good);
    const b = parseConfigText('b.yaml', good.replace('site: { id: demo, name: Demo }', ''));
    if (!a.ok || !b.ok) throw new Error('fixtures must parse');
    expect(() =>
      mergeConfigFiles([
        { file: 'a.yaml', dir: '.', value: a.value },
        { file: 'b.yaml', dir: '.', value: b.value },
      ]),
    ).toThrow(/duplicate camera id "tower-01" \(also in a.yaml\)/);
  });

  it('names the line of a duplicate camera id', () => {
    const b = parseConfigText('b.yaml', good.replace('site: { id: demo, name: Demo }', ''));
    if (!b.ok) throw new Error('fixture must parse');
    const a = parseConfigText('a.yaml', good);
    if (!a.ok) throw new Error('fixture must parse');
    const idLine =
      good
        .replace('site: { id: demo, name: Demo }', '')
        .split('\n')
        .findIndex((l) => /id: tower-01/.test(l)) + 1;
    try {
      mergeConfigFiles([
        { file: 'a.yaml', dir: '.', value: a.value, lineOf: a.lineOf },
        { file: 'b.yaml', dir: '.', value: b.value, lineOf: b.lineOf },
      ]);
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues[0]).toMatchObject({
        file: 'b.yaml',
        path: 'cameras[0].id',
        line: idLine,
      });
      expect((e as Error).message).toContain(`b.yaml:${idLine}: cameras[0].id: duplicate camera id`);
    }
  });
});

describe('loadConfigDir', () => {
  it('fails fast with every issue of every file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'twcfg-'));
    writeFileSync(path.join(dir, '1.yaml'), good.replace('thermal', 'infrared'));
    writeFileSync(path.join(dir, '2.yaml'), 'bogus: 1');
    try {
      loadConfigDir(dir);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain(`${path.join(dir, '1.yaml')}:7: cameras[0].channel`);
      expect(msg).toContain(`${path.join(dir, '2.yaml')}:1: bogus`);
    }
  });

  it('loads the shipped demo configuration', () => {
    const cfg = loadConfigDir(path.resolve(import.meta.dirname, '../../camera-config/demo'));
    expect(cfg.cameras.length).toBeGreaterThanOrEqual(4);
    expect(cfg.demo?.streams.length).toBeGreaterThanOrEqual(4);
  });
});
