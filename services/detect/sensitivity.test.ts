import { describe, expect, it } from 'vitest';
import { thresholdsFor } from './sensitivity.ts';

describe('thresholdsFor', () => {
  it('0.5 is the model threshold; higher sensitivity lowers it; keep < enter', () => {
    expect(thresholdsFor(0.8).enter).toBeCloseTo(0.8, 9);
    expect(thresholdsFor(0.8, 1).enter).toBeCloseTo(0.3509, 3);
    expect(thresholdsFor(0.8, 0).enter).toBeCloseTo(0.9672, 3);
    expect(thresholdsFor(0.8).keep).toBeCloseTo(0.6538, 3);
    const a = thresholdsFor(0.6, 0.3);
    const b = thresholdsFor(0.6, 0.7);
    expect(b.enter).toBeLessThan(a.enter);
    expect(a.keep).toBeLessThan(a.enter);
  });
});
