import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { queryLimit } from './query.ts';

describe('queryLimit', () => {
  const Q = z.object({ limit: queryLimit(500, 100) });

  it('reads plain digits in range and falls back when absent', () => {
    expect(Q.parse({ limit: '25' })).toEqual({ limit: 25 });
    expect(Q.parse({})).toEqual({ limit: 100 });
  });

  it.each(['abc', '', ' ', '1.5', '0x10', '1e2', '-3', '%ZZ'])('refuses %j with the rule, never NaN', (v) => {
    const r = Q.safeParse({ limit: v });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['limit']);
    expect(r.error!.issues[0]!.message).toBe('must be a whole number from 1 to 500');
  });

  it('refuses numbers out of range', () => {
    for (const v of ['0', '501'])
      expect(Q.safeParse({ limit: v }).error!.issues[0]!.message).toBe('must be from 1 to 500');
  });
});
