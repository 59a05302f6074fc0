import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../schemas/api.ts';
import { silentLogger } from '../util/logger.ts';
import { createEventFeed } from './eventFeed.ts';
import { cameraHealthFixture } from './testFixtures.ts';

/** An in-memory event log whose reads take `readMs` (an asynchronous database). */
function slowLog(readMs: number) {
  const events: ServerEvent[] = [];
  const add = (id: number): ServerEvent => {
    const e: ServerEvent = {
      id,
      at: '2026-01-01T00:00:00.000Z',
      kind: 'camera.status',
      camera: cameraHealthFixture({ id: `cam-${id}`, name: 'c' }),
    };
    events.push(e);
    return e;
  };
  const store = {
    eventsAfter: async (after: number, limit: number) => {
      const snapshot = events.filter((e) => e.id > after).slice(0, limit);
      await sleep(readMs);
      return snapshot;
    },
    lastEventId: async () => {
      const last = events.at(-1)?.id ?? 0;
      await sleep(readMs);
      return last;
    },
  };
  return { add, store };
}

describe('event feed', () => {
  it('emits live events in id order when writers publish them out of order, and fills unpublished ones', async () => {
    const { add, store } = slowLog(2);
    const live: number[] = [];
    const feed = createEventFeed({ store, emitLive: (e) => live.push(e.id), log: silentLogger() });
    await feed.idle();
    const [e1, e2, e3, , e5] = [add(1), add(2), add(3), add(4), add(5)];
    feed.publish(e2); // e1's writer is slower: e2 must wait
    feed.publish(e1);
    feed.publish(e3);
    feed.publish(e5); // e4 is never published by its writer
    await feed.idle();
    feed.publish(e1); // late duplicate
    expect(live).toEqual([1, 2, 3, 4, 5]);
  });

  it('replays then goes live with each event exactly once while events keep coming', async () => {
    const { add, store } = slowLog(3);
    for (let id = 1; id <= 3; id++) add(id); // stored before the process started
    const live: number[] = [];
    const clients: { got: number[]; done: { lastEventId: number; replayed: number } | null }[] = [];
    const feed = createEventFeed({
      store,
      emitLive: (e) => {
        live.push(e.id);
        for (const c of clients) if (c.done) c.got.push(e.id);
      },
      log: silentLogger(),
    });
    await feed.idle();
    // Events are stored and published (sometimes out of order) while three clients replay from 0, 2 and 50.
    const writer = (async () => {
      for (let id = 4; id <= 40; id += 2) {
        const a = add(id);
        const b = add(id + 1);
        feed.publish(id % 4 === 0 ? b : a);
        await sleep(1);
        feed.publish(id % 4 === 0 ? a : b);
      }
    })();
    const replays = [0, 2, 50].map(async (cursor) => {
      const c = { got: [] as number[], done: null as { lastEventId: number; replayed: number } | null };
      await sleep(cursor === 2 ? 10 : 0);
      await feed.replay(
        cursor,
        (e) => c.got.push(e.id),
        (d) => {
          c.done = d;
          clients.push(c);
        },
      );
      return c;
    });
    const [c0, c2, c50] = await Promise.all(replays);
    await writer;
    await feed.idle();
    const all = Array.from({ length: 41 }, (_, i) => i + 1);
    expect(live).toEqual(all.slice(3));
    expect(c0!.got).toEqual(all);
    expect(c2!.got).toEqual(all.slice(2));
    // A client ahead of the store (its database was replaced) is told the store's position and gets what follows.
    expect(c50!.done!.lastEventId).toBeLessThan(50);
    expect(c50!.got).toEqual(all.slice(c50!.done!.lastEventId));
  });
});
