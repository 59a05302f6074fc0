import { describe, expect, it } from 'vitest';
import { initialGroupState, observe, tick, type ConfirmAction, type GroupState } from './confirm.ts';

const cfg = { confirmN: 2, confirmM: 3, closeAfterMs: 10_000 };
const th = { enter: 0.6, keep: 0.4 };
const box = (x: number, y = 100, w = 10, h = 10) => ({ x, y, w, h });

/** Runs frames of detections (2 s apart) through one group; returns the action kinds per frame. */
function run(
  frames: { score: number; x: number }[][],
  step = 2000,
): { kinds: string[][]; all: ConfirmAction[] } {
  let s: GroupState = initialGroupState();
  const all: ConfirmAction[] = [];
  const kinds = frames.map((dets, i) => {
    const r = observe(
      s,
      { at: i * step, detections: dets.map((d) => ({ score: d.score, box: box(d.x) })) },
      th,
      cfg,
    );
    s = r.state;
    all.push(...r.actions);
    return r.actions.map((a) => a.kind);
  });
  return { kinds, all };
}

const hit = (x = 100, score = 0.9) => [{ score, x }];

describe('tracker: N-of-M confirmation', () => {
  it('does not open on a single hit', () => {
    expect(run([hit(), [], [], [], hit(), [], []]).all.some((a) => a.kind === 'open')).toBe(false);
  });
  it('opens when N of the last M frames hit, even with a gap', () => {
    expect(run([hit(), [], hit()]).kinds).toEqual([[], [], ['open']]);
    expect(run([hit(), hit()]).kinds).toEqual([[], ['open']]);
  });
  it('does not count hits that left the window', () => {
    expect(run([hit(), [], [], hit()]).kinds.flat()).toEqual([]);
  });
  it('follows a drifting target with one track and reports peaks', () => {
    const { all } = run([hit(100, 0.7), hit(104, 0.8), hit(108, 0.75), hit(112, 0.95)]);
    expect(all.map((a) => a.kind)).toEqual(['open', 'update', 'update']);
    expect(all[1]).toMatchObject({ kind: 'update', peak: false });
    expect(all[2]).toMatchObject({ kind: 'update', peak: true, score: 0.95 });
    expect(new Set(all.map((a) => a.trackId)).size).toBe(1);
  });
});

describe('tracker: hysteresis', () => {
  it('an unconfirmed track ignores scores between keep and enter', () => {
    expect(run([hit(100, 0.5), hit(100, 0.5), hit(100, 0.5)]).all).toEqual([]);
  });
  it('an open track keeps counting scores down to keep', () => {
    const { all } = run([hit(100, 0.7), hit(100, 0.7), hit(100, 0.45), hit(100, 0.45)]);
    expect(all.map((a) => a.kind)).toEqual(['open', 'update', 'update']);
  });
});

describe('tracker: one fire = one alert', () => {
  it('two separate fires on one preset are two alerts', () => {
    const { all } = run([
      [
        { score: 0.9, x: 100 },
        { score: 0.8, x: 600 },
      ],
      [
        { score: 0.9, x: 101 },
        { score: 0.8, x: 601 },
      ],
    ]);
    const opens = all.filter((a) => a.kind === 'open');
    expect(opens).toHaveLength(2);
    expect(opens[0]!.trackId).not.toBe(opens[1]!.trackId);
  });
  it('a second blob next to an open track never opens a duplicate', () => {
    const { all } = run([
      hit(100),
      hit(100),
      [
        { score: 0.9, x: 100 },
        { score: 0.9, x: 118 },
      ],
      [
        { score: 0.9, x: 100 },
        { score: 0.9, x: 118 },
      ],
      [
        { score: 0.9, x: 100 },
        { score: 0.9, x: 118 },
      ],
    ]);
    expect(all.filter((a) => a.kind === 'open')).toHaveLength(1);
  });
});

describe('tracker: closing', () => {
  it('closes after the quiet period on a frame, and can reopen as a new track', () => {
    const { kinds, all } = run([hit(), hit(), [], [], [], [], [], hit(), hit()]);
    expect(kinds).toEqual([[], ['open'], [], [], [], [], ['close'], [], ['open']]);
    const opens = all.filter((a) => a.kind === 'open');
    expect(opens[0]!.trackId).not.toBe(opens[1]!.trackId);
  });
  it('closes on a timer tick when frames stop', () => {
    let s = initialGroupState();
    s = observe(s, { at: 0, detections: [{ score: 0.9, box: box(1) }] }, th, cfg).state;
    s = observe(s, { at: 1000, detections: [{ score: 0.9, box: box(1) }] }, th, cfg).state;
    expect(tick(s, 10_999, cfg).actions).toEqual([]);
    const closed = tick(s, 11_000, cfg);
    expect(closed.actions).toEqual([{ kind: 'close', trackId: 't1', at: 11_000 }]);
    expect(closed.state.tracks).toHaveLength(0);
  });
});
