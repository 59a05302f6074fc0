import { describe, expect, it } from 'vitest';
import { initialConfirmState, observe, tick, type ConfirmAction, type ConfirmState } from './confirm.ts';

const cfg = { confirmN: 2, confirmM: 3, closeAfterMs: 10_000 };
const box = { x: 1, y: 2, w: 3, h: 4 };

function run(seq: (number | null)[], step = 2000): ConfirmAction['kind'][] {
  let s: ConfirmState = initialConfirmState();
  return seq.map((score, i) => {
    const r = observe(s, { at: i * step, hit: score === null ? null : { score, box } }, cfg);
    s = r.state;
    return r.action.kind;
  });
}

describe('N-of-M confirmation', () => {
  it('does not open on a single hit', () => {
    expect(run([0.9, null, null, null, 0.9, null, null])).not.toContain('open');
  });
  it('opens when N of the last M frames hit, even with a gap', () => {
    expect(run([0.9, null, 0.8])).toEqual(['none', 'none', 'open']);
    expect(run([0.9, 0.8])).toEqual(['none', 'open']);
  });
  it('does not count hits that left the window', () => {
    expect(run([0.9, null, null, 0.8])).toEqual(['none', 'none', 'none', 'none']);
  });
  it('updates on further hits and reports new peaks', () => {
    let s = initialConfirmState();
    s = observe(s, { at: 0, hit: { score: 0.6, box } }, cfg).state;
    s = observe(s, { at: 1, hit: { score: 0.7, box } }, cfg).state;
    const a = observe(s, { at: 2, hit: { score: 0.65, box } }, cfg);
    expect(a.action).toMatchObject({ kind: 'update', peak: false });
    const b = observe(a.state, { at: 3, hit: { score: 0.95, box } }, cfg);
    expect(b.action).toMatchObject({ kind: 'update', peak: true });
    expect(b.state.peakScore).toBe(0.95);
  });
  it('closes after the quiet period, on a frame or on a timer tick, and can reopen', () => {
    expect(run([0.9, 0.9, null, null, null, null, null, null])).toEqual([
      'none',
      'open',
      'none',
      'none',
      'none',
      'none',
      'close',
      'none',
    ]);
    let s = initialConfirmState();
    s = observe(s, { at: 0, hit: { score: 0.9, box } }, cfg).state;
    s = observe(s, { at: 1000, hit: { score: 0.9, box } }, cfg).state;
    expect(tick(s, 10_999, cfg).action.kind).toBe('none');
    const closed = tick(s, 11_000, cfg);
    expect(closed.action).toEqual({ kind: 'close', at: 11_000 });
    expect(closed.state.open).toBe(false);
    const again = observe(
      observe(closed.state, { at: 12_000, hit: { score: 0.5, box } }, cfg).state,
      { at: 13_000, hit: { score: 0.5, box } },
      cfg,
    );
    expect(again.action.kind).toBe('open');
  });
});
