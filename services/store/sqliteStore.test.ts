import { describe, expect, it } from 'vitest';
import type { Alert } from '../schemas/api.ts';
import { openSqliteStore } from './sqliteStore.ts';

const alert = (id: string, firstSeenAt: string, status: Alert['status'] = 'open'): Alert => ({
  id,
  type: 'smoke',
  status,
  cameraId: 'cam-1',
  cameraName: 'Cam 1',
  presetId: null,
  firstSeenAt,
  lastSeenAt: firstSeenAt,
  closedAt: null,
  peakScore: 0.8,
  box: { x: 1, y: 2, w: 3, h: 4 },
  frameWidth: 640,
  frameHeight: 480,
  hits: 2,
  snapshotUrl: `/api/alerts/${id}/snapshot.jpg`,
});

describe('SQLite store', () => {
  it('stores alerts with their events and replays events after an id', async () => {
    const s = openSqliteStore(':memory:');
    const a = alert('a1', '2026-01-01T00:00:00.000Z');
    const e1 = await s.insertAlert(a, { at: a.firstSeenAt, kind: 'alert.opened', alert: a });
    const b = alert('a2', '2026-01-01T00:01:00.000Z');
    const e2 = await s.insertAlert(b, { at: b.firstSeenAt, kind: 'alert.opened', alert: b });
    const closed = { ...a, status: 'closed' as const, closedAt: '2026-01-01T00:02:00.000Z' };
    const e3 = await s.updateAlert(closed, { at: closed.closedAt, kind: 'alert.closed', alert: closed });
    expect([e1.id, e2.id, e3?.id]).toEqual([1, 2, 3]);
    expect((await s.eventsAfter(1, 10)).map((e) => e.id)).toEqual([2, 3]);
    expect((await s.eventsAfter(0, 2)).map((e) => e.kind)).toEqual(['alert.opened', 'alert.opened']);
    expect(await s.lastEventId()).toBe(3);
    expect((await s.listAlerts({ limit: 10 })).map((x) => x.id)).toEqual(['a2', 'a1']);
    expect((await s.listAlerts({ status: 'open', limit: 10 })).map((x) => x.id)).toEqual(['a2']);
    expect((await s.getAlert('a1'))?.status).toBe('closed');
    expect((await s.listOpenAlerts()).map((x) => x.id)).toEqual(['a2']);
  });

  it('rolls back the alert when its event cannot be stored', async () => {
    const s = openSqliteStore(':memory:');
    const a = alert('a1', '2026-01-01T00:00:00.000Z');
    await s.insertAlert(a, { at: a.firstSeenAt, kind: 'alert.opened', alert: a });
    await expect(s.insertAlert(a, { at: a.firstSeenAt, kind: 'alert.opened', alert: a })).rejects.toThrow(
      /UNIQUE/,
    );
    expect(await s.lastEventId()).toBe(1);
    await expect(s.updateAlert(alert('missing', a.firstSeenAt), null)).rejects.toThrow(/not found/);
  });
});
