/**
 * The console's durable event feed over an asynchronous store: live events reach the live room strictly in
 * ascending id order, and a (re)connecting client gets every event after its `lastEventId` exactly once, in
 * order — first replayed from the store, then live.
 *
 * Why this exists: with a synchronous store an event was published in the same tick as its commit and the replay
 * ran in one tick, so neither could interleave. With an asynchronous store (PostgreSQL), two writers' events can
 * be published in the other order than their ids, and live events can be emitted while a replay page is being
 * read. The console drops any event whose id is not above the highest it has applied, so out-of-order delivery
 * would lose events.
 *
 * How: the feed keeps `position`, the highest id emitted to the live room (every committed event up to it has
 * been emitted there, or is a gap). `publish(e)` emits `e` at once when it is the next id (the common case, no
 * store read); an older id is ignored (already emitted); a newer id means some committed event has not been
 * published yet (another writer is about to publish it, or nobody will), so the feed reads the missing events
 * from the store and emits them in order. This relies on the store's guarantee that event ids are assigned in
 * commit order (`store/repository.ts`). A replay reads pages up to `position` and joins the live room
 * synchronously at the moment its cursor has reached `position`, so nothing falls between replay and live.
 */
import type { ServerEvent } from '../schemas/api.ts';
import type { EventRepository } from '../store/repository.ts';
import type { Logger } from '../util/logger.ts';

/** Events read per store page (replay and catch-up). */
export const FEED_PAGE = 500;

export interface EventFeed {
  /** Hands a stored event to the feed (call after its transaction committed). */
  publish(e: ServerEvent): void;
  /**
   * Replays the events after `cursor` through `emit`, then calls `joinLive` synchronously with the id up to
   * which the client is now complete (the store's last event id as far as the feed has emitted it; lower than
   * `cursor` when the store is behind the client, e.g. its database was replaced). Stops early when `closed()`.
   */
  replay(
    cursor: number,
    emit: (e: ServerEvent) => void,
    joinLive: (p: { lastEventId: number; replayed: number }) => void,
    closed?: () => boolean,
  ): Promise<void>;
  /** Resolves when no catch-up read is running (tests). */
  idle(): Promise<void>;
}

export function createEventFeed(deps: {
  store: Pick<EventRepository, 'eventsAfter' | 'lastEventId'>;
  /** Emits to the live room. */
  emitLive: (e: ServerEvent) => void;
  log: Logger;
}): EventFeed {
  const { store, emitLive, log } = deps;
  let position: number | null = null;
  /** A catch-up read is wanted (an event newer than the next id was published). */
  let dirty = false;
  let catchUp: Promise<void> | null = null;

  const ready: Promise<void> = store.lastEventId().then(
    (id) => {
      position ??= id;
    },
    (e: unknown) => {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'event feed: cannot read last event id');
      position ??= 0;
    },
  );

  const emitNext = (e: ServerEvent) => {
    position = e.id;
    emitLive(e);
  };

  /**
   * Reads the store after `position` and emits what is new, until the store has no more and no publish asked
   * for another read meanwhile.
   */
  async function runCatchUp(): Promise<void> {
    await ready;
    for (;;) {
      dirty = false;
      const page = await store.eventsAfter(position!, FEED_PAGE);
      // `publish` may have emitted some of them meanwhile (fast path): skip ids already emitted.
      for (const e of page) if (e.id > position!) emitNext(e);
      if (page.length < FEED_PAGE && !dirty) return;
    }
  }

  function scheduleCatchUp(): Promise<void> {
    dirty = true;
    catchUp ??= runCatchUp()
      .catch((e: unknown) => {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'event feed: catch-up read failed');
      })
      .finally(() => {
        catchUp = null;
      });
    return catchUp;
  }

  return {
    publish(e) {
      if (position !== null && e.id <= position) return;
      if (position !== null && e.id === position + 1) {
        emitNext(e);
        return;
      }
      void scheduleCatchUp();
    },

    async replay(cursor, emit, joinLive, closed = () => false) {
      await ready;
      let replayed = 0;
      let waitedForFeed = false;
      for (;;) {
        if (closed()) return;
        // Synchronous from here to `joinLive`: no live event can be emitted in between.
        const upTo = position!;
        if (cursor >= upTo) {
          if (cursor > upTo && !waitedForFeed) {
            // The client is ahead of the live room: maybe committed events are still being published. Let the
            // feed catch up with the store once, then decide.
            waitedForFeed = true;
            await scheduleCatchUp();
            continue;
          }
          joinLive({ lastEventId: upTo, replayed });
          return;
        }
        const page = await store.eventsAfter(cursor, FEED_PAGE);
        if (closed()) return;
        let complete = page.length < FEED_PAGE;
        for (const e of page) {
          // Newer than what the live room has had: the client will get it live after joining.
          if (e.id > upTo) {
            complete = true;
            break;
          }
          emit(e);
          replayed++;
          cursor = e.id;
        }
        // Every committed event up to `upTo` has been replayed (ids in between are gaps).
        if (complete && cursor < upTo) cursor = upTo;
      }
    },

    idle: async () => {
      await ready;
      while (catchUp) await catchUp;
    },
  };
}
