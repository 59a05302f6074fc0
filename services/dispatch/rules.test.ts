import { cpSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../util/clock.ts';
import { LoginThrottle } from './auth.ts';
import { DispatchConfigError, loadDispatchConfig } from './config.ts';
import { isHeif, normalisePhoto } from './evidence.ts';
import { buildReport, median, reportCsv } from './reports.ts';
import type { Case, SlaPolicy } from './schemas.ts';
import { evaluateSla, policyFor } from './sla.ts';
import { DEMO_DISPATCH_DIR, demoDispatchConfig } from './testSupport.ts';

const c = (over: Partial<Case>): Case => ({
  id: 'c',
  state: 'dispatched',
  version: 2,
  alertType: 'smoke',
  priority: 'normal',
  cameraId: 'cam',
  presetId: null,
  alertIds: ['a'],
  position: null,
  positionSource: 'none',
  jurisdictionId: null,
  zoneId: null,
  zoneType: null,
  suggestedDepartmentId: null,
  departmentId: 'env',
  disposition: null,
  createdAt: '2026-05-01T07:50:00.000Z',
  createdBy: 'u',
  updatedAt: '2026-05-01T08:00:00.000Z',
  dispatchedAt: '2026-05-01T08:00:00.000Z',
  acceptedAt: null,
  onSiteAt: null,
  resolvedAt: null,
  verifiedAt: null,
  closedAt: null,
  overdue: [],
  escalationLevel: 0,
  ...over,
});
const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const MIN = 60_000;

describe('sla', () => {
  const policy: SlaPolicy = {
    acceptMin: 10,
    arriveMin: 30,
    resolveMin: 60,
    escalateAfterMin: 15,
    maxLevel: 2,
  };
  it('picks the most specific policy', () => {
    const ps = demoDispatchConfig().sla;
    expect(policyFor({ alertType: 'hotspot', priority: 'urgent' }, ps)).toMatchObject({ acceptMin: 5 });
    expect(policyFor({ alertType: 'smoke', priority: 'urgent' }, ps)).toMatchObject({ acceptMin: 10 });
    expect(policyFor({ alertType: 'dust', priority: 'normal' }, ps)).toMatchObject({ acceptMin: 30 });
  });
  it('computes overdue stages, escalation levels and the next change', () => {
    expect(evaluateSla(c({}), policy, T0 + 10 * MIN)).toMatchObject({
      overdue: [],
      level: 0,
      nextChangeAt: T0 + 10 * MIN + 1,
    });
    expect(evaluateSla(c({}), policy, T0 + 11 * MIN)).toMatchObject({
      overdue: ['accept'],
      level: 0,
      nextChangeAt: T0 + 25 * MIN,
    });
    expect(evaluateSla(c({}), policy, T0 + 25 * MIN)).toMatchObject({ level: 1 });
    expect(evaluateSla(c({}), policy, T0 + 31 * MIN)).toMatchObject({
      overdue: ['accept', 'arrive'],
      level: 1,
    });
    expect(evaluateSla(c({}), policy, T0 + 600 * MIN)).toMatchObject({ level: 2 });
    const accepted = c({ state: 'accepted', acceptedAt: '2026-05-01T08:05:00.000Z' });
    expect(evaluateSla(accepted, policy, T0 + 20 * MIN)).toMatchObject({ overdue: [], level: 0 });
    expect(evaluateSla(c({ state: 'resolved' }), policy, T0 + 600 * MIN)).toMatchObject({
      overdue: [],
      deadlines: null,
    });
  });
});

describe('reports', () => {
  it('medians, rates and CSV', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    const cases = [
      c({ acceptedAt: '2026-05-01T08:10:00.000Z', resolvedAt: '2026-05-01T09:50:00.000Z' }),
      c({ id: 'c2', acceptedAt: '2026-05-01T08:20:00.000Z', overdue: ['accept'] }),
    ];
    const dismissed = [
      {
        alertId: 'x',
        kind: 'dismissed' as const,
        caseId: null,
        alertType: 'smoke' as const,
        cameraId: 'cam',
        presetId: null,
        reason: 'fog' as const,
        note: null,
        actorId: 'u',
        at: 't',
      },
    ];
    const rows = buildReport(cases, dismissed, 'type');
    expect(rows).toEqual([
      {
        key: 'smoke',
        cases: 2,
        dismissed: 1,
        medianMinutesToAccept: 15,
        medianMinutesToResolve: 120,
        overdueRate: 0.5,
        falseAlarmRate: 0.333,
      },
    ]);
    expect(buildReport(cases, dismissed, 'department')[0]).toMatchObject({
      key: 'env',
      falseAlarmRate: null,
    });
    const csv = reportCsv([{ ...rows[0]!, key: '=cmd|"x"' }], 'type');
    expect(csv.startsWith('\uFEFFtype,cases,')).toBe(true);
    expect(csv.split('\r\n')[1]).toBe(`"'=cmd|""x""",2,1,15,120,0.5,0.333`);
  });
});

describe('config', () => {
  it('loads the demo data', () => {
    const cfg = demoDispatchConfig();
    expect(cfg.departments.map((d) => d.id)).toContain('zhujian');
    expect(cfg.jurisdictions).toHaveLength(4);
    expect(cfg.evidence.keepExifLocation).toBe(false);
  });
  it('names file, path and reason for schema and reference errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-dispatch-cfg-'));
    try {
      cpSync(DEMO_DISPATCH_DIR, dir, { recursive: true });
      writeFileSync(path.join(dir, 'rules.yaml'), 'rules:\n  - { zoneType: volcano, departmentId: env }\n');
      expect(() => loadDispatchConfig(dir)).toThrow(/rules\.yaml:2: rules\[0\]\.zoneType: /);
      writeFileSync(
        path.join(dir, 'rules.yaml'),
        'rules:\n  - { zoneType: farmland, departmentId: police }\n',
      );
      const err = (() => {
        try {
          loadDispatchConfig(dir);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(DispatchConfigError);
      expect((err as DispatchConfigError).issues).toEqual([
        {
          file: path.join(dir, 'rules.yaml'),
          path: 'rules[0].departmentId',
          line: 2,
          message: 'unknown department "police"',
        },
      ]);
      expect((err as Error).message).toContain(
        'rules.yaml:2: rules[0].departmentId: unknown department "police"',
      );
      writeFileSync(
        path.join(dir, 'zones.geojson'),
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"z","name":"z","zoneType":"farmland"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}]}',
      );
      expect(() => loadDispatchConfig(dir)).toThrow(
        /zones\.geojson:1: features\[0\]\.geometry\.coordinates\[0\]: a linear ring must be closed/,
      );
      writeFileSync(path.join(dir, 'zones.geojson'), '{"type":"FeatureCollection",\n"features":[}\n');
      expect(() => loadDispatchConfig(dir)).toThrow(/zones\.geojson:2: \(root\): syntax: /);
      writeFileSync(path.join(dir, 'rules.yaml'), 'rules:\n  - { zoneType: farmland departmentId: env }\n');
      expect(() => loadDispatchConfig(dir)).toThrow(/rules\.yaml:2: \(root\): syntax: /);
      cpSync(DEMO_DISPATCH_DIR, dir, { recursive: true });
      const depts = readFileSync(path.join(dir, 'departments.yaml'), 'utf8');
      writeFileSync(
        path.join(dir, 'departments.yaml'),
        `${depts}  - { id: env, name: again, kind: bureau }\n`,
      );
      const lines = depts.split('\n');
      const firstEnv = lines.findIndex((l) => l.includes('{ id: env,')) + 1;
      expect(() => loadDispatchConfig(dir)).toThrow(
        `departments.yaml:${lines.length}: departments[${lines.filter((l) => l.startsWith('  - ')).length}].id: duplicate id "env" (first used at departments[0].id, line ${firstEnv})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('evidence photos', () => {
  const settings = {
    maxPhotoBytes: 1_000_000,
    maxPhotos: 6,
    keepExifLocation: false,
    maxSidePx: 640,
    retentionDays: 0,
  };
  it('re-encodes PNG to JPEG, scales down, strips EXIF unless configured', async () => {
    const png = await sharp({ create: { width: 1280, height: 960, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const out = await normalisePhoto({ originalName: 'a.png', data: png }, 1, settings);
    expect(out).toMatchObject({ width: 640, height: 480 });
    expect((await sharp(out.jpeg).metadata()).format).toBe('jpeg');
    const withExif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'TestCam' } })
      .toBuffer();
    expect((await sharp(withExif).metadata()).exif).toBeDefined();
    const stripped = await normalisePhoto({ originalName: 'b.jpg', data: withExif }, 1, settings);
    expect((await sharp(stripped.jpeg).metadata()).exif).toBeUndefined();
    const kept = await normalisePhoto({ originalName: 'b.jpg', data: withExif }, 1, {
      ...settings,
      keepExifLocation: true,
    });
    expect((await sharp(kept.jpeg).metadata()).exif).toBeDefined();
  });
  it('rejects HEIC, garbage and oversize photos', async () => {
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(32)]);
    expect(isHeif(heic)).toBe(true);
    await expect(normalisePhoto({ originalName: 'x.heic', data: heic }, 2, settings)).rejects.toThrow(
      /photo 2 \("x.heic"\) is HEIC/,
    );
    await expect(
      normalisePhoto({ originalName: 'x.jpg', data: Buffer.from('nope') }, 1, settings),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_image' });
    await expect(
      normalisePhoto({ originalName: 'x.jpg', data: Buffer.alloc(2_000_000) }, 1, settings),
    ).rejects.toMatchObject({ code: 'photo_too_large' });
  });
});

describe('LoginThrottle', () => {
  it('allows 5 failures per (ip, username) in 15 minutes', () => {
    const clock = new ManualClock();
    const t = new LoginThrottle(clock);
    for (let i = 0; i < 5; i++) {
      t.check('1.2.3.4', 'bob');
      t.fail('1.2.3.4', 'bob');
    }
    expect(() => t.check('1.2.3.4', 'bob')).toThrow(/too many failed logins/);
    t.check('1.2.3.4', 'alice'); // other username from the same IP still allowed (IP budget is 20)
    t.check('5.6.7.8', 'bob');
    clock.advance(15 * MIN);
    t.check('1.2.3.4', 'bob');
  });
});
