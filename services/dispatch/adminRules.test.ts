import { describe, expect, it } from 'vitest';
import { areaUsage, departmentUsage, leavesNoAdmin, referenceIssues } from './adminRules.ts';
import { suggestDepartment } from './routing.ts';
import { demoDispatchConfig } from './testSupport.ts';

describe('admin rules: references', () => {
  it('the demo configuration is consistent', () => {
    expect(referenceIssues(demoDispatchConfig())).toEqual([]);
  });

  it('names every broken reference of a rule with its body path', () => {
    const cfg = demoDispatchConfig();
    cfg.rules.rules.push({ departmentId: 'nope', jurisdictionId: 'jd-x', zoneId: 'zone-x', priority: 0 });
    const i = cfg.rules.rules.length - 1;
    expect(referenceIssues(cfg)).toEqual([
      { code: 'unknown_reference', path: ['rules', i, 'departmentId'], message: 'unknown department "nope"' },
      {
        code: 'unknown_reference',
        path: ['rules', i, 'jurisdictionId'],
        message: 'unknown jurisdiction "jd-x"',
      },
      { code: 'unknown_reference', path: ['rules', i, 'zoneId'], message: 'unknown zone "zone-x"' },
    ]);
  });

  it('flags duplicate ids and jurisdictions bound to unknown departments', () => {
    const cfg = demoDispatchConfig();
    const j = cfg.jurisdictions[0]!;
    cfg.jurisdictions.push({ ...j, properties: { ...j.properties, departmentId: 'gone' } });
    const issues = referenceIssues(cfg);
    expect(issues.map((x) => x.code)).toEqual(['duplicate', 'unknown_reference']);
    expect(issues[1]).toMatchObject({ path: ['departmentId'], message: 'unknown department "gone"' });
  });
});

describe('admin rules: what uses a department or area', () => {
  it('lists rules, jurisdictions, users and open cases of a department', () => {
    const cfg = demoDispatchConfig();
    const users = [
      { id: 'u1', username: 'hedong1', departmentId: 'so-hedong' },
      { id: 'u2', username: 'env1', departmentId: 'env' },
    ];
    const usage = departmentUsage('so-hedong', cfg, users, [
      { id: 'case-1', departmentId: 'so-hedong' },
      { id: 'case-2', departmentId: 'env' },
    ]);
    expect(usage.map((u) => `${u.kind}:${u.id}`)).toEqual([
      'rule:6',
      'jurisdiction:jd-hedong',
      'user:u1',
      'case:case-1',
    ]);
    expect(usage.find((u) => u.kind === 'user')?.name).toBe('hedong1');
    expect(departmentUsage('unused-dept', cfg, users, [])).toEqual([]);
  });

  it('lists the rules naming a jurisdiction or a zone (1-based positions)', () => {
    const cfg = demoDispatchConfig();
    expect(areaUsage('jurisdiction', 'jd-hedong', cfg.rules).map((u) => u.id)).toEqual(['6']);
    expect(areaUsage('zone', 'zone-metro-site', cfg.rules)).toEqual([]);
    cfg.rules.rules.push({ zoneId: 'zone-metro-site', departmentId: 'env', priority: 0 });
    expect(areaUsage('zone', 'zone-metro-site', cfg.rules).map((u) => u.id)).toEqual([
      String(cfg.rules.rules.length),
    ]);
  });
});

describe('admin rules: the last admin', () => {
  const users = [
    { id: 'a', role: 'admin' as const, disabled: false },
    { id: 'b', role: 'admin' as const, disabled: true },
    { id: 'c', role: 'duty' as const, disabled: false },
  ];
  it('refuses to disable or demote the only enabled admin', () => {
    expect(leavesNoAdmin(users, { id: 'a', role: 'admin', disabled: true })).toBe(true);
    expect(leavesNoAdmin(users, { id: 'a', role: 'supervisor', disabled: false })).toBe(true);
  });
  it('allows it while another admin stays enabled', () => {
    expect(leavesNoAdmin(users, { id: 'c', role: 'duty', disabled: true })).toBe(false);
    const two = [...users, { id: 'd', role: 'admin' as const, disabled: false }];
    expect(leavesNoAdmin(two, { id: 'a', role: 'admin', disabled: true })).toBe(false);
  });
});

describe('routing: a rule for one zone', () => {
  it('a zoneId rule is more specific than a zoneType rule and only matches that zone', () => {
    const cfg = demoDispatchConfig();
    cfg.rules.rules.push({ alertType: 'dust', zoneId: 'zone-new', departmentId: 'so-new', priority: 0 });
    const facts = { alertType: 'dust' as const, zoneType: 'stockpile_yard' as const, jurisdiction: null };
    expect(suggestDepartment({ ...facts, zoneId: 'zone-new' }, cfg.rules).departmentId).toBe('so-new');
    // Another stockpile yard keeps the zone-type rule (料场扬尘 → 城管局).
    expect(suggestDepartment({ ...facts, zoneId: 'zone-other' }, cfg.rules).departmentId).toBe('chengguan');
    expect(suggestDepartment(facts, cfg.rules).departmentId).toBe('chengguan');
  });
});
