import { describe, expect, it } from 'vitest';
import { groupEvents, matchCounts, matchEvents, parseYoloLabels, prf } from './evaluate.ts';

describe('evaluation helpers', () => {
  it('parses YOLO labels, filtering classes', () => {
    expect(parseYoloLabels('1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.1 0.1\n', 100, 50, [1])).toEqual([
      { x: 40, y: 15, w: 20, h: 20 },
    ]);
  });
  it('matches by IoU ≥ 0.1 or centre inside, one to one, best score first', () => {
    const gts = [{ x: 0, y: 0, w: 10, h: 10 }];
    const preds = [
      { score: 0.5, box: { x: 2, y: 2, w: 2, h: 2 } },
      { score: 0.9, box: { x: 4, y: 4, w: 40, h: 40 } }, // centre outside, IoU < 0.1
    ];
    expect(matchCounts(preds, gts)).toEqual({ tp: 1, fp: 1, fn: 0 });
    expect(prf({ tp: 1, fp: 1, fn: 0 })).toMatchObject({ precision: 0.5, recall: 1, f1: 0.6667 });
  });
});

describe('event-level matching (one fire = one alert)', () => {
  const box = (x: number, y: number, s = 4) => ({ x, y, w: s, h: s });
  // Two fires one after the other at distant places.
  const frames = [
    { atMs: 0, boxes: [box(100, 100)] },
    { atMs: 500, boxes: [box(101, 100)] },
    { atMs: 1000, boxes: [box(200, 50)] },
    { atMs: 1500, boxes: [box(202, 52)] },
    { atMs: 2000, boxes: [] },
  ];

  it('groups labelled boxes into events by place', () => {
    const ev = groupEvents(frames);
    expect(ev).toHaveLength(2);
    expect(ev[0]).toMatchObject({ startMs: 0, endMs: 500, box: { x: 100, y: 100, w: 5, h: 4 } });
    expect(ev[1]).toMatchObject({ startMs: 1000, endMs: 1500 });
  });

  it('counts alerted, duplicated and missed events and false alerts', () => {
    const ev = groupEvents(frames);
    const m = matchEvents(
      [
        { firstSeenMs: 400, lastSeenMs: 800, box: box(99, 101, 8) }, // event 1
        { firstSeenMs: 900, lastSeenMs: 900, box: box(102, 99, 8) }, // event 1 again: duplicate
        { firstSeenMs: 1000, lastSeenMs: 3000, box: box(300, 200) }, // nowhere near a fire: false
        { firstSeenMs: 60_000, lastSeenMs: 62_000, box: box(200, 50) }, // right place, long after the fire ended: false
      ],
      ev,
    );
    expect(m).toEqual({ events: 2, alerted: 1, duplicated: 1, falseAlerts: 2, delaysMs: [400] });
  });

  it('an alert on one of two fires at the same time goes to the fire at its place', () => {
    const ev = groupEvents([{ atMs: 0, boxes: [box(10, 10), box(300, 10)] }]);
    const m = matchEvents([{ firstSeenMs: 2000, lastSeenMs: 4000, box: box(301, 11) }], ev);
    expect(m).toMatchObject({ events: 2, alerted: 1, duplicated: 0, falseAlerts: 0 });
  });

  it('an alert already open when its fire starts counts with delay 0', () => {
    const ev = groupEvents([{ atMs: 10_000, boxes: [box(10, 10)] }]);
    const m = matchEvents([{ firstSeenMs: 4000, lastSeenMs: 12_000, box: box(11, 11) }], ev);
    expect(m).toMatchObject({ events: 1, alerted: 1, falseAlerts: 0, delaysMs: [0] });
  });
});
