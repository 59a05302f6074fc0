/**
 * One alert/event/camera-status store suite, run against SQLite (file, WAL) and PostgreSQL (a fresh schema per
 * run, dropped after, so parallel runs do not collide). Needs PostgreSQL on 127.0.0.1:5432 with trust auth
 * (database `test`); override with TOWERWATCH_TEST_PG_URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraHealthFixture } from '../../services/api/testFixtures.ts';
import type { Alert, CameraHealth } from '../../services/schemas/api.ts';
import { openPgStore } from '../../services/store/pgStore.ts';
import type { Store } from '../../services/store/repository.ts';
import { openSqliteStore } from '../../services/store/sqliteStore.ts';

const PG_URL = process.env['TOWERWATCH_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const mkAlert = (id: string, firstSeenAt: string, over: Partial<Alert> = {}): Alert => ({
  id,
  type: 'smoke',
  status: 'open',
  cameraId: 'cam-1',
  cameraName: '塔 1',
  presetId: null,
  firstSeenAt,
  lastSeenAt: firstSeenAt,
  closedAt: null,
  peakScore: 0.8125,
  box: { x: 1, y: 2, w: 3, h: 4 },
  frameWidth: 640,
  frameHeight: 480,
  hits: 2,
  snapshotUrl: `/api/alerts/${id}/snapshot.jpg`,
  ...over,
});
const opened = (a: Alert) => ({ at: a.firstSeenAt, kind: 'alert.opened' as const, alert: a });
const health = (id: string, status: CameraHealth['status'], at: string, lastError: string | null = null) =>
  cameraHealthFixture({ id, name: id, status, online: status === 'online', statusSince: at, lastError });

const t = (min: number) => new Date(Date.UTC(2026, 4, 1, 8, min)).toISOString();

/** The shared store suite. */
function runStoreSuite(
  name: string,
  makeStore: () => Promise<{ store: Store; reopen: () => Promise<Store>; done: () => Promise<void> }>,
) {
  describe(`Store: ${name}`, () => {
    let store: Store;
    let reopen: () => Promise<Store>;
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reopen, done } = await makeStore());
    });
    afterAll(async () => {
      await done();
    });

    it('starts empty', async () => {
      expect(await store.lastEventId()).toBe(0);
      expect(await store.eventsAfter(0, 10)).toEqual([]);
      expect(await store.listAlerts({ limit: 10 })).toEqual([]);
      expect(await store.getAlert('nope')).toBeNull();
    });

    it('inserts alerts with their events (ids 1, 2, …) and reads them back unchanged', async () => {
      const a1 = mkAlert('a1', t(0), {
        bearingDeg: 45.5,
        ray: { from: { lat: 30, lon: 120 }, to: { lat: 30.01, lon: 120.01 } },
        position: null,
        trackId: 't1',
      });
      const e1 = await store.insertAlert(a1, opened(a1));
      expect(e1).toEqual({ ...opened(a1), id: 1 });
      const a2 = mkAlert('a2', t(5), { cameraId: 'cam-2', type: 'hotspot' });
      expect((await store.insertAlert(a2, opened(a2))).id).toBe(2);
      expect(await store.getAlert('a1')).toEqual(a1);
      expect(await store.lastEventId()).toBe(2);
    });

    it('updates an alert with or without an event; an unknown alert is an error and appends nothing', async () => {
      const a1 = (await store.getAlert('a1'))!;
      const hit = { ...a1, hits: 3, lastSeenAt: t(1), peakScore: 0.9 };
      expect(await store.updateAlert(hit, null)).toBeNull();
      expect(await store.lastEventId()).toBe(2);
      expect(await store.getAlert('a1')).toEqual(hit);
      const closed: Alert = { ...hit, status: 'closed', closedAt: t(2) };
      const e = await store.updateAlert(closed, { at: t(2), kind: 'alert.closed', alert: closed });
      expect(e?.id).toBe(3);
      await expect(store.updateAlert(mkAlert('missing', t(0)), null)).rejects.toThrow(/not found/);
      await expect(
        store.updateAlert(mkAlert('missing', t(0)), opened(mkAlert('missing', t(0)))),
      ).rejects.toThrow(/not found/);
      expect(await store.lastEventId()).toBe(3);
    });

    it('rolls back the alert when the insert fails (duplicate id): no event is left behind', async () => {
      const a2 = (await store.getAlert('a2'))!;
      await expect(store.insertAlert(a2, opened(a2))).rejects.toThrow();
      expect((await store.eventsAfter(3, 10)).length).toBe(0);
      expect(await store.getAlert('a2')).toEqual(a2);
    });

    it('lists newest first (by firstSeenAt, not insert order) with status/camera filters and a limit', async () => {
      // Inserted out of time order; a3 is the newest.
      const a3 = mkAlert('a3', t(30), { cameraId: 'cam-2' });
      const a0 = mkAlert('a0', t(-10), { cameraId: 'cam-1' });
      await store.insertAlert(a3, opened(a3));
      await store.insertAlert(a0, opened(a0));
      const ids = async (q: Parameters<Store['listAlerts']>[0]) =>
        (await store.listAlerts(q)).map((a) => a.id);
      expect(await ids({ limit: 10 })).toEqual(['a3', 'a2', 'a1', 'a0']);
      expect(await ids({ limit: 2 })).toEqual(['a3', 'a2']);
      expect(await ids({ status: 'open', limit: 10 })).toEqual(['a3', 'a2', 'a0']);
      expect(await ids({ status: 'closed', limit: 10 })).toEqual(['a1']);
      expect(await ids({ cameraId: 'cam-2', limit: 10 })).toEqual(['a3', 'a2']);
      expect(await ids({ cameraId: 'cam-1', status: 'open', limit: 10 })).toEqual(['a0']);
      expect(await ids({ cameraId: 'nobody', limit: 10 })).toEqual([]);
      expect((await store.listOpenAlerts()).map((a) => a.id)).toEqual(['a3', 'a2', 'a0']);
    });

    it('replays events after an id in ascending order, paged, with their bodies', async () => {
      const all = await store.eventsAfter(0, 100);
      expect(all.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
      expect(all.map((e) => e.kind)).toEqual([
        'alert.opened',
        'alert.opened',
        'alert.closed',
        'alert.opened',
        'alert.opened',
      ]);
      expect((await store.eventsAfter(2, 2)).map((e) => e.id)).toEqual([3, 4]);
      expect(await store.eventsAfter(5, 10)).toEqual([]);
      const closed = all[2]!;
      expect(closed.kind === 'alert.closed' && closed.alert.closedAt).toBe(t(2));
    });

    it('appends plain events and records camera status history (newest first) with its event', async () => {
      const e = await store.appendEvent({ at: t(40), kind: 'alert.opened', alert: mkAlert('x', t(40)) });
      expect(e.id).toBe(6);
      const s1 = await store.recordStatus(health('cam-1', 'starting', t(41)));
      const s2 = await store.recordStatus(health('cam-1', 'offline', t(42), 'rtsp: 401'));
      await store.recordStatus(health('cam-2', 'online', t(43)));
      expect([s1.id, s2.id]).toEqual([7, 8]);
      expect(s2).toMatchObject({
        kind: 'camera.status',
        at: t(42),
        camera: { id: 'cam-1', status: 'offline' },
      });
      expect(await store.statusHistory('cam-1', 10)).toEqual([
        { cameraId: 'cam-1', status: 'offline', at: t(42), lastError: 'rtsp: 401' },
        { cameraId: 'cam-1', status: 'starting', at: t(41), lastError: null },
      ]);
      expect(await store.statusHistory('cam-1', 1)).toHaveLength(1);
      expect(await store.statusHistory('cam-3', 10)).toEqual([]);
      expect((await store.eventsAfter(8, 10)).map((e) => e.kind)).toEqual(['camera.status']);
      expect(await store.lastEventId()).toBe(9);
    });

    it('concurrent writers get distinct ids, and every id a reader sees comes after all lower committed ones', async () => {
      const before = await store.lastEventId();
      const n = 200;
      const seen: number[][] = [];
      const writes = Array.from({ length: n }, (_, i) => {
        const a = mkAlert(`c${i}`, t(100 + i), { cameraId: `cam-${i % 4}` });
        return store.insertAlert(a, opened(a));
      });
      // A reader polling while they commit: each read is a gap-free run after `before`.
      let writing = true;
      const all = Promise.all(writes).finally(() => (writing = false));
      const reader = (async () => {
        while (writing) seen.push((await store.eventsAfter(before, 1000)).map((e) => e.id));
      })();
      const ids = (await all).map((e) => e.id);
      await reader;
      expect(new Set(ids).size).toBe(n);
      const sorted = [...ids].sort((x, y) => x - y);
      expect(sorted).toEqual(Array.from({ length: n }, (_, i) => before + 1 + i));
      for (const s of seen) expect(s).toEqual(Array.from({ length: s.length }, (_, i) => before + 1 + i));
      expect(await store.lastEventId()).toBe(before + n);
    });

    it('re-opening an existing database keeps its data and continues the ids', async () => {
      const last = await store.lastEventId();
      const again = await reopen();
      expect(await again.lastEventId()).toBe(last);
      expect((await again.getAlert('a1'))?.status).toBe('closed');
      const a = mkAlert('after-reopen', t(200));
      expect((await again.insertAlert(a, opened(a))).id).toBe(last + 1);
      await again.close();
    });
  });
}

runStoreSuite('sqlite', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-alert-store-'));
  const file = path.join(dir, 'towerwatch.sqlite');
  const store = openSqliteStore(file);
  return Promise.resolve({
    store,
    reopen: () => Promise.resolve(openSqliteStore(file)),
    done: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

runStoreSuite('postgres', async () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
  const schema = `tw_store_test_${Math.random().toString(36).slice(2, 10)}`;
  const store = await openPgStore(pool, { schema });
  return {
    store,
    reopen: () => openPgStore(pool, { schema }),
    done: async () => {
      await store.close();
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
});

describe('Store: postgres, event ids in commit order', () => {
  it('a slowly committing writer holds back later writers, so no reader sees an id before a lower one', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 5 });
    const schema = `tw_store_test_${Math.random().toString(36).slice(2, 10)}`;
    try {
      const store = await openPgStore(pool, { schema });
      // Test-only: a deferred trigger sleeps at COMMIT of the event of alert "slow" (after its id was taken).
      await pool.query(`
        CREATE FUNCTION "${schema}".slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.body->'alert'->>'id' = 'slow' THEN PERFORM pg_sleep(0.4); END IF;
          RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON "${schema}".events
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "${schema}".slow_commit();`);
      const slow = mkAlert('slow', t(0));
      const fast = mkAlert('fast', t(1));
      const pSlow = store.insertAlert(slow, opened(slow));
      await new Promise((r) => setTimeout(r, 100)); // the slow one has its id and is committing
      const pFast = store.insertAlert(fast, opened(fast));
      await new Promise((r) => setTimeout(r, 100));
      // While "slow" is still committing, a reader must not see "fast" alone.
      expect((await store.eventsAfter(0, 10)).map((e) => e.id)).toEqual([]);
      const [eSlow, eFast] = await Promise.all([pSlow, pFast]);
      expect([eSlow.id, eFast.id]).toEqual([1, 2]);
      expect((await store.eventsAfter(0, 10)).map((e) => e.id)).toEqual([1, 2]);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });
});
