import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import {
  AuditRole,
  CaseAction,
  CaseState,
  DismissReason,
  Disposition,
  PositionSource,
  Priority,
  SlaStage,
  ZoneType,
} from '../../services/dispatch/schemas.ts';
import { BOARD_COLUMNS } from './caseState.ts';
import en from './locales/en.json' with { type: 'json' };
import zhCN from './locales/zh-CN.json' with { type: 'json' };

/** Flatten nested locale JSON to `a.b.c` → value. */
function flatten(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else {
    out[prefix] = obj;
  }
  return out;
}

const locales = { 'zh-CN': flatten(zhCN), en: flatten(en) };

describe('locales', () => {
  it('zh-CN and en have identical key sets', () => {
    expect(Object.keys(locales.en).sort()).toEqual(Object.keys(locales['zh-CN']).sort());
  });

  for (const [lng, entries] of Object.entries(locales)) {
    it(`${lng}: every value is a non-empty string`, () => {
      for (const [key, value] of Object.entries(entries)) {
        expect(typeof value, `${lng}:${key}`).toBe('string');
        expect(String(value).trim(), `${lng}:${key}`).not.toBe('');
      }
    });

    it(`${lng}: covers every alert type and camera status of the contract`, () => {
      for (const type of ['hotspot', 'smoke', 'dust']) expect(entries[`alertType.${type}`]).toBeTruthy();
      for (const s of [
        'starting',
        'online',
        'stalled',
        'offline',
        'auth_failed',
        'degraded',
        'ptz_fault',
        'disabled',
      ])
        expect(entries[`cameraStatus.${s}`]).toBeTruthy();
    });
  }

  for (const [lng, entries] of Object.entries(locales)) {
    it(`${lng}: covers every dispatch enum of services/dispatch/schemas.ts`, () => {
      const need: [string, readonly string[]][] = [
        ['caseState', CaseState.options],
        ['caseAction', CaseAction.options],
        ['dismissReason', DismissReason.options],
        ['disposition', Disposition.options],
        ['priority', Priority.options],
        ['role', AuditRole.options],
        ['slaStage', SlaStage.options],
        ['zoneType', ZoneType.options],
        ['positionSource', PositionSource.options],
        ['boardColumn', BOARD_COLUMNS],
        ['auditAction', CaseAction.options.map((a) => `case.${a}`)],
      ];
      for (const [prefix, values] of need)
        for (const v of values) expect(entries[`${prefix}.${v}`], `${lng}:${prefix}.${v}`).toBeTruthy();
    });
  }

  it('zh-CN uses the agreed alert type wording', () => {
    expect(locales['zh-CN']['alertType.hotspot']).toBe('热点/火点');
    expect(locales['zh-CN']['alertType.smoke']).toBe('烟雾');
    expect(locales['zh-CN']['alertType.dust']).toBe('扬尘');
    expect(locales.en['alertType.hotspot']).toBe('Hot spot');
  });

  it('interpolation placeholders match between languages', () => {
    const vars = (s: unknown) => [...String(s).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(locales['zh-CN'])) {
      expect(vars(locales.en[key]), key).toEqual(vars(locales['zh-CN'][key]));
    }
  });
});

describe('plurals', () => {
  it('en says "1 tile" / "4 tiles"; zh-CN has one form', async () => {
    const i = i18next.createInstance();
    await i.init({ resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } }, lng: 'en' });
    expect([1, 4].map((count) => i.t('wall.tiles', { count }))).toEqual(['1 tile', '4 tiles']);
    expect(i.t('wall.cameraCount', { count: 1 })).toBe('1 camera');
    await i.changeLanguage('zh-CN');
    expect([1, 4].map((count) => i.t('wall.tiles', { count }))).toEqual(['1 分屏', '4 分屏']);
  });
});
