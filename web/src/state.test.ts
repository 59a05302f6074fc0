import { describe, expect, it } from 'vitest';
import { cameraHealthFixture } from '../../services/api/testFixtures.ts';
import type { Alert, CameraHealth, ServerEvent } from '../../services/schemas/api.ts';
import {
  applyEvent,
  applyEvents,
  applySnapshot,
  initialState,
  MAX_CLOSED,
  replaceCameras,
  resetEventCursor,
  sanitizeEventId,
  selectCameras,
  selectClosedAlerts,
  selectOpenAlerts,
} from './state.ts';

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id,
    type: 'hotspot',
    status: 'open',
    cameraId: 'cam-a',
    cameraName: '一号塔',
    presetId: null,
    firstSeenAt: '2025-06-01T02:00:00.000Z',
    lastSeenAt: '2025-06-01T02:00:10.000Z',
    closedAt: null,
    peakScore: 0.8,
    box: { x: 1, y: 2, w: 3, h: 4 },
    frameWidth: 640,
    frameHeight: 512,
    hits: 3,
    snapshotUrl: `/api/alerts/${id}/snapshot.jpg`,
    ...over,
  };
}

function camera(id: string, over: Partial<CameraHealth> = {}): CameraHealth {
  return cameraHealthFixture({
    id,
    name: id,
    channel: 'thermal',
    statusSince: '2025-06-01T00:00:00.000Z',
    lastFrameAt: '2025-06-01T02:00:00.000Z',
    framesSampled: 10,
    framesAnalysed: 10,
    decodeMode: 'keyframes',
    receiver: 'builtin',
    codec: 'h264',
    gopMs: 1000,
    ...over,
  });
}

const at = '2025-06-01T02:00:00.000Z';
const opened = (id: number, a: Alert): ServerEvent => ({ id, at, kind: 'alert.opened', alert: a });
const updated = (id: number, a: Alert): ServerEvent => ({ id, at, kind: 'alert.updated', alert: a });
const closed = (id: number, a: Alert): ServerEvent => ({ id, at, kind: 'alert.closed', alert: a });
const camStatus = (id: number, c: CameraHealth): ServerEvent => ({
  id,
  at,
  kind: 'camera.status',
  camera: c,
});

describe('applyEvent: exactly-once', () => {
  it('applies a new event and advances lastEventId', () => {
    const s = applyEvent(initialState(), opened(1, alert('a1')));
    expect(s.lastEventId).toBe(1);
    expect(selectOpenAlerts(s).map((a) => a.id)).toEqual(['a1']);
  });

  it('drops a duplicate (same id) and returns the same state object', () => {
    const s1 = applyEvent(initialState(), opened(1, alert('a1')));
    const s2 = applyEvent(s1, opened(1, alert('a1', { hits: 99 })));
    expect(s2).toBe(s1);
    expect(s2.alerts.a1?.hits).toBe(3);
  });

  it('drops an event older than the highest seen (out-of-order / replay overlap)', () => {
    const s1 = applyEvents(initialState(), [opened(1, alert('a1')), updated(5, alert('a1', { hits: 5 }))]);
    const s2 = applyEvent(s1, updated(4, alert('a1', { hits: 4 })));
    expect(s2).toBe(s1);
    expect(s2.alerts.a1?.hits).toBe(5);
    expect(s2.lastEventId).toBe(5);
  });

  it('drops everything up to a cursor restored from storage', () => {
    const s = applyEvents(initialState(10), [
      opened(9, alert('old')),
      opened(10, alert('old2')),
      opened(11, alert('new')),
    ]);
    expect(Object.keys(s.alerts)).toEqual(['new']);
    expect(s.lastEventId).toBe(11);
  });

  it('a full replay applied twice gives the same state as once', () => {
    const events = [
      opened(1, alert('a1')),
      camStatus(2, camera('cam-a')),
      updated(3, alert('a1', { hits: 7, peakScore: 0.93 })),
      opened(4, alert('a2', { type: 'smoke' })),
      closed(5, alert('a1', { status: 'closed', closedAt: '2025-06-01T02:10:00.000Z' })),
    ];
    const once = applyEvents(initialState(), events);
    const twice = applyEvents(once, events);
    expect(twice).toBe(once);
  });

  it('ignores events with a non-numeric id', () => {
    const s0 = initialState();
    const bad = { ...opened(1, alert('a1')), id: Number.NaN };
    expect(applyEvent(s0, bad)).toBe(s0);
  });
});

describe('applyEvent: alerts', () => {
  it('upserts on alert.updated (replaces the alert by id)', () => {
    const s = applyEvents(initialState(), [
      opened(1, alert('a1')),
      updated(2, alert('a1', { hits: 12, peakScore: 0.95 })),
    ]);
    expect(Object.keys(s.alerts)).toEqual(['a1']);
    expect(s.alerts.a1).toMatchObject({ hits: 12, peakScore: 0.95 });
  });

  it('alert.updated for an unknown alert inserts it', () => {
    const s = applyEvent(initialState(), updated(3, alert('late')));
    expect(selectOpenAlerts(s).map((a) => a.id)).toEqual(['late']);
  });

  it('orders open alerts newest first by firstSeenAt, regardless of arrival order', () => {
    const s = applyEvents(initialState(), [
      opened(1, alert('mid', { firstSeenAt: '2025-06-01T02:05:00.000Z' })),
      opened(2, alert('old', { firstSeenAt: '2025-06-01T01:00:00.000Z' })),
      opened(3, alert('new', { firstSeenAt: '2025-06-01T03:00:00.000Z' })),
      // an update with a later lastSeenAt must not move it up
      updated(
        4,
        alert('old', { firstSeenAt: '2025-06-01T01:00:00.000Z', lastSeenAt: '2025-06-01T04:00:00.000Z' }),
      ),
    ]);
    expect(selectOpenAlerts(s).map((a) => a.id)).toEqual(['new', 'mid', 'old']);
  });

  it('alert.closed moves the alert out of the open list into closed', () => {
    const s = applyEvents(initialState(), [
      opened(1, alert('a1')),
      opened(2, alert('a2')),
      closed(3, alert('a1', { status: 'closed', closedAt: '2025-06-01T02:30:00.000Z' })),
    ]);
    expect(selectOpenAlerts(s).map((a) => a.id)).toEqual(['a2']);
    expect(selectClosedAlerts(s).map((a) => a.id)).toEqual(['a1']);
    expect(s.alerts.a1?.closedAt).toBe('2025-06-01T02:30:00.000Z');
  });

  it('alert.closed marks closed even if the payload still says open, using the event time', () => {
    const s = applyEvents(initialState(), [opened(1, alert('a1')), closed(2, alert('a1'))]);
    expect(s.alerts.a1?.status).toBe('closed');
    expect(s.alerts.a1?.closedAt).toBe(at);
    expect(selectOpenAlerts(s)).toEqual([]);
  });

  it('a stale alert.updated (lower id) after close does not reopen it', () => {
    const s1 = applyEvents(initialState(), [
      opened(1, alert('a1')),
      closed(3, alert('a1', { status: 'closed' })),
    ]);
    const s2 = applyEvent(s1, updated(2, alert('a1')));
    expect(s2).toBe(s1);
    expect(selectOpenAlerts(s2)).toEqual([]);
  });

  it('keeps at most MAX_CLOSED closed alerts, dropping the oldest closed', () => {
    let s = initialState();
    let id = 0;
    for (let i = 0; i < MAX_CLOSED + 5; i++) {
      const closedAt = new Date(Date.UTC(2025, 5, 1, 0, i)).toISOString();
      s = applyEvent(s, closed(++id, alert(`c${i}`, { status: 'closed', closedAt })));
    }
    s = applyEvent(s, opened(id + 1, alert('still-open')));
    const closedList = selectClosedAlerts(s);
    expect(closedList).toHaveLength(MAX_CLOSED);
    expect(closedList[0]?.id).toBe(`c${MAX_CLOSED + 4}`);
    expect(s.alerts.c0).toBeUndefined();
    expect(s.alerts['still-open']).toBeDefined();
  });
});

describe('applyEvent: cameras', () => {
  it('camera.status inserts and then upserts a camera', () => {
    const s = applyEvents(initialState(), [
      camStatus(1, camera('cam-b', { name: '二号塔' })),
      camStatus(2, camera('cam-a', { name: '一号塔' })),
      camStatus(
        3,
        camera('cam-b', {
          name: '二号塔',
          status: 'stalled',
          online: false,
          lastError: 'no frame',
          statusSince: '2025-06-01T01:00:00.000Z',
        }),
      ),
    ]);
    expect(Object.keys(s.cameras).sort()).toEqual(['cam-a', 'cam-b']);
    expect(s.cameras['cam-b']).toMatchObject({ status: 'stalled', online: false });
    expect(selectCameras(s).map((c) => c.id)).toHaveLength(2);
  });

  it('camera events do not touch alerts and vice versa', () => {
    const s1 = applyEvent(initialState(), opened(1, alert('a1')));
    const s2 = applyEvent(s1, camStatus(2, camera('cam-a')));
    expect(s2.alerts).toBe(s1.alerts);
    const s3 = applyEvent(s2, updated(3, alert('a1', { hits: 4 })));
    expect(s3.cameras).toBe(s2.cameras);
  });
});

describe('camera list freshness (a fresh console replays the whole event log over the health snapshot)', () => {
  const t = (h: number) => `2025-06-01T${String(h).padStart(2, '0')}:00:00.000Z`;

  it('a replayed status change older than the snapshot does not overwrite it', () => {
    const snap = applySnapshot(initialState(0), {
      cameras: [camera('cam-a', { name: '一号塔 (new)', statusSince: t(5), lastFrameAt: t(9) })],
    });
    const s = applyEvents(snap, [
      camStatus(1, camera('cam-a', { status: 'offline', online: false, statusSince: t(1), name: '一号塔' })),
      camStatus(
        2,
        camera('cam-a', { status: 'online', statusSince: t(2), name: '一号塔', lastFrameAt: t(2) }),
      ),
    ]);
    expect(s.lastEventId).toBe(2);
    expect(s.cameras['cam-a']).toMatchObject({ name: '一号塔 (new)', statusSince: t(5), lastFrameAt: t(9) });
    // A newer status change still applies.
    const s2 = applyEvent(
      s,
      camStatus(3, camera('cam-a', { status: 'stalled', online: false, statusSince: t(10) })),
    );
    expect(s2.cameras['cam-a']).toMatchObject({ status: 'stalled', statusSince: t(10) });
  });

  it('replaceCameras drops cameras missing from health and takes its fields, unless the held status is newer', () => {
    const held = applyEvents(initialState(0), [
      camStatus(1, camera('deleted', { statusSince: t(1) })),
      camStatus(2, camera('cam-a', { name: 'old name', statusSince: t(2), lastFrameAt: t(2) })),
      camStatus(3, camera('cam-b', { status: 'offline', online: false, statusSince: t(8) })),
    ]);
    const s = replaceCameras(held, [
      camera('cam-a', { name: 'new name', statusSince: t(2), lastFrameAt: t(7), framesSampled: 99 }),
      camera('cam-b', { status: 'online', statusSince: t(6) }), // fetched before cam-b's offline event
      camera('cam-new', { statusSince: t(7) }),
    ]);
    expect(
      selectCameras(s)
        .map((c) => c.id)
        .sort(),
    ).toEqual(['cam-a', 'cam-b', 'cam-new']);
    expect(s.cameras['cam-a']).toMatchObject({ name: 'new name', lastFrameAt: t(7), framesSampled: 99 });
    expect(s.cameras['cam-b']).toMatchObject({ status: 'offline', statusSince: t(8) });
    expect(s.lastEventId).toBe(3);
  });
});

describe('snapshot and cursor', () => {
  it('applySnapshot loads alerts and cameras without moving the cursor; later events apply over it', () => {
    const s0 = applySnapshot(initialState(7), {
      alerts: [alert('a1', { hits: 10 })],
      cameras: [camera('cam-a')],
    });
    expect(s0.lastEventId).toBe(7);
    expect(selectOpenAlerts(s0).map((a) => a.id)).toEqual(['a1']);
    // replay: id 7 already seen (dropped), id 8 is new
    const s1 = applyEvents(s0, [
      updated(7, alert('a1', { hits: 1 })),
      closed(8, alert('a1', { status: 'closed' })),
    ]);
    expect(s1.alerts.a1).toMatchObject({ status: 'closed', hits: 3 });
  });

  it('resetEventCursor lowers the cursor only when the server is behind', () => {
    const s = initialState(50);
    expect(resetEventCursor(s, 60)).toBe(s);
    expect(resetEventCursor(s, 3).lastEventId).toBe(3);
  });

  it('sanitizeEventId accepts stored strings and rejects junk', () => {
    expect(sanitizeEventId('42')).toBe(42);
    expect(sanitizeEventId(null)).toBe(0);
    expect(sanitizeEventId('abc')).toBe(0);
    expect(sanitizeEventId(-3)).toBe(0);
    expect(sanitizeEventId(1.5)).toBe(0);
  });
});
