import { describe, expect, it } from 'vitest';
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
      for (const s of ['starting', 'online', 'stalled', 'offline', 'auth_failed', 'degraded', 'disabled'])
        expect(entries[`cameraStatus.${s}`]).toBeTruthy();
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
