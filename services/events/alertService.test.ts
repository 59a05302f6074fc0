import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Alert, ServerEvent } from '../schemas/api.ts';
import type { Store } from '../store/repository.ts';
import { openSqliteStore } from '../store/sqliteStore.ts';
import { destination, toEnu } from '../track/geo.ts';
import { ManualClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import type { ClipFrame } from './clip.ts';
import { AlertService } from './alertService.ts';
import type { ClipEncoder } from './clip.ts';
import type { EvidenceStore } from './evidenceStore.ts';

const W = 64,
  H = 48;
const image = { width: W, height: H, data: Buffer.alloc(W * H * 3, 40) };
const th = { enter: 0.6, keep: 0.4 };
const A = { lat: 30, lon: 120 };
const B = destination(A, 90, 2000);

/** Wraps a store so that every call resolves after a random 0–3 ms (an asynchronous database's round trips). */
function slow(inner: Store, rnd: () => number): Store {
  const delay = () => new Promise((r) => setTimeout(r, Math.floor(rnd() * 4)));
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(inner) as [string, (...a: unknown[]) => Promise<unknown>][])
    out[k] = async (...a: unknown[]) => {
      await delay();
      const r = await f(...a);
      await delay();
      return r;
    };
  return out as unknown as Store;
}

function setup(wrap: (s: Store) => Store = (s) => s) {
  const store = wrap(openSqliteStore(':memory:'));
  const files = new Map<string, Buffer>();
  const evidence: Required<EvidenceStore> = {
    writeSnapshot: (id, b) => void files.set(`${id}.jpg`, b),
    readSnapshot: (id) => files.get(`${id}.jpg`) ?? null,
    writeCleanSnapshot: (id, b) => void files.set(`${id}.clean.jpg`, b),
    readCleanSnapshot: (id) => files.get(`${id}.clean.jpg`) ?? null,
    writeClip: (id, b) => void files.set(`${id}.mp4`, b),
    readClip: (id) => files.get(`${id}.mp4`) ?? null,
    clipFile: () => null,
  };
  const encoded: number[] = [];
  const clips: ClipEncoder = {
    encode: (frames) => {
      encoded.push(frames.length);
      return Promise.resolve(Buffer.from('mp4'));
    },
  };
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const events: ServerEvent[] = [];
  const svc = new AlertService({
    store,
    evidence,
    clock,
    log: silentLogger(),
    publish: (e) => events.push(e),
    alerting: { confirmN: 2, confirmM: 3, closeAfterMs: 10_000 },
    cameraName: (id) => id,
    clips,
    preRollFrames: 3,
    cameraGeo: (id) =>
      id === 'cam-a'
        ? { location: { ...A, heightM: 40 }, azimuthDeg: 45, hfovDeg: 60, rangeM: 3000 }
        : { location: { ...B, heightM: 40 }, azimuthDeg: 315, hfovDeg: 60, rangeM: 3000 },
  });
  const frame = (cameraId: string, x: number | null, score = 0.9) => {
    clock.advance(2000);
    return svc.observeFrame({ cameraId, presetId: null, capturedAt: clock.now(), image }, [
      {
        type: 'hotspot',
        thresholds: th,
        detections: x === null ? [] : [{ score, box: { x, y: 20, w: 4, h: 4 } }],
      },
    ]);
  };
  return { store, files, encoded, events, svc, frame, clock };
}

describe('AlertService', () => {
  it('reports boxes, frame size and snapshots of a stretched frame in its display px', async () => {
    const { store, files, svc, clock } = setup();
    // 64×48 frame stretched from a 96×48 (2:1) view: x × 1.5, y stays
    const stretched = { ...image, display: { width: 96, height: 48 } };
    for (const x of [30, 30]) {
      clock.advance(2000);
      await svc.observeFrame(
        { cameraId: 'cam-a', presetId: null, capturedAt: clock.now(), image: stretched },
        [{ type: 'hotspot', thresholds: th, detections: [{ score: 0.9, box: { x, y: 20, w: 4, h: 4 } }] }],
      );
    }
    await svc.idle();
    const [a] = (await store.listAlerts({ limit: 10 })) as [Alert];
    expect([a.frameWidth, a.frameHeight]).toEqual([96, 48]);
    expect(a.box).toEqual({ x: 45, y: 20, w: 6, h: 4 });
    // box centre 48 of 96 px: the same fraction as 32 of 64 in the stretched frame, so the bearing is unchanged
    expect(a.bearingDeg).toBeCloseTo(45 + 60 * (48 / 96 - 0.5), 1);
    const meta = await sharp(files.get(`${a.id}.jpg`)).metadata();
    expect([meta.width, meta.height]).toEqual([96, 48]);
    const clean = await sharp(files.get(`${a.id}.clean.jpg`)).metadata();
    expect([clean.width, clean.height]).toEqual([96, 48]);
  });

  it('opens one alert per fire with bearing, ray, clean snapshot and clip, and closes it after the quiet period', async () => {
    const { store, files, encoded, events, svc, frame, clock } = setup();
    await frame('cam-a', null);
    await frame('cam-a', 30);
    await frame('cam-a', 30);
    await frame('cam-a', 31, 0.5); // below enter, above keep: counted on the open track
    await svc.idle();
    const [a] = (await store.listAlerts({ limit: 10 })) as [Alert];
    expect(await store.listAlerts({ limit: 10 })).toHaveLength(1);
    expect(a.hits).toBe(3);
    expect(a.bearingDeg).toBeCloseTo(45, 0);
    expect(a.ray?.from).toEqual(A);
    expect(a.position).toBeNull();
    expect(a.trackId).toBe('t1');
    expect(a.clipUrl).toBe(`/api/alerts/${a.id}/clip.mp4`);
    expect(a.cleanSnapshotUrl).toBe(`/api/alerts/${a.id}/clean.jpg`);
    expect(files.has(`${a.id}.clean.jpg`) && files.has(`${a.id}.mp4`)).toBe(true);
    expect(encoded[0]).toBe(3); // 2 pre-roll frames + the opening frame
    clock.advance(10_000);
    await svc.tick();
    await svc.idle();
    expect((await store.getAlert(a.id))?.status).toBe('closed');
    expect(encoded[1]).toBe(4); // rebuilt at close with the frame seen while open
    expect(events.map((e) => e.kind)).toContain('alert.closed');
  });

  it('reports a camera view as tracking from its first candidate detection until the track is forgotten or closed', async () => {
    const { svc, frame, clock } = setup();
    await frame('cam-a', null);
    await svc.idle();
    expect(svc.tracking('cam-a', null, 'hotspot')).toBe(false);
    await frame('cam-a', 30); // tentative track
    await svc.idle();
    expect(svc.tracking('cam-a', null, 'hotspot')).toBe(true);
    expect(svc.tracking('cam-a', null, 'smoke')).toBe(false);
    expect(svc.tracking('cam-a', 'p1', 'hotspot')).toBe(false);
    expect(svc.tracking('cam-b', null, 'hotspot')).toBe(false);
    await frame('cam-a', 30); // opens
    clock.advance(10_000);
    await svc.tick();
    await svc.idle();
    expect(svc.tracking('cam-a', null, 'hotspot')).toBe(false);
  });

  it('raises two alerts for two fires on one camera', async () => {
    const { store, svc, clock } = setup();
    for (let i = 0; i < 2; i++) {
      clock.advance(2000);
      await svc.observeFrame({ cameraId: 'cam-a', presetId: null, capturedAt: clock.now(), image }, [
        {
          type: 'hotspot',
          thresholds: th,
          detections: [
            { score: 0.9, box: { x: 0, y: 0, w: 2, h: 2 } },
            { score: 0.8, box: { x: 60, y: 44, w: 2, h: 2 } },
          ],
        },
      ]);
    }
    expect(await store.listAlerts({ limit: 10 })).toHaveLength(2);
  });

  it('one incident = one alert: a second track near an open alert joins it and keeps it open; a far one does not', async () => {
    const { store, svc, clock } = setup();
    const big = { width: 640, height: 480, data: Buffer.alloc(640 * 480 * 3, 40) };
    const box = (x: number) => ({ x, y: 200, w: 10, h: 10 });
    const observe = async (xs: number[]) => {
      clock.advance(2000);
      await svc.observeFrame({ cameraId: 'cam-a', presetId: null, capturedAt: clock.now(), image: big }, [
        { type: 'hotspot', thresholds: th, detections: xs.map((x) => ({ score: 0.9, box: box(x) })) },
      ]);
    };
    await observe([100]);
    await observe([100]); // t1 confirmed: alert 1
    // The plume spreads: a blob 60 px away (outside the tracker's 24 px gate, inside the incident gate of
    // 0.1 × 800 px = 80 px between the boxes) is confirmed as its own track t2 and joins alert 1.
    await observe([100, 160]);
    await observe([100, 160]);
    expect(await store.listAlerts({ limit: 10 })).toHaveLength(1);
    // t1's blob fades; t2 keeps the alert open past t1's quiet period (10 s).
    for (let i = 0; i < 7; i++) await observe([160]);
    await svc.idle();
    const alerts = await store.listAlerts({ limit: 10 });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.status).toBe('open');
    // A second fire far across the view (400 px) is another incident.
    await observe([160, 560]);
    await observe([160, 560]);
    expect(await store.listAlerts({ limit: 10 })).toHaveLength(2);
    // Everything fades: both alerts close after the quiet period.
    for (let i = 0; i < 6; i++) await observe([]);
    await svc.idle();
    expect((await store.listAlerts({ limit: 10 })).map((a) => a.status)).toEqual(['closed', 'closed']);
  });

  it('JPEG-encodes frames only for clips: none while quiet, the pre-roll once when an alert opens', async () => {
    const store = openSqliteStore(':memory:');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let encodes = 0;
    const clipLengths: number[] = [];
    const svc = new AlertService({
      store,
      evidence: { writeSnapshot: () => undefined, readSnapshot: () => null, writeClip: () => undefined },
      clock,
      log: silentLogger(),
      publish: () => undefined,
      alerting: { confirmN: 2, confirmM: 3, closeAfterMs: 10_000 },
      cameraName: (id) => id,
      clips: {
        encode: (frames) => {
          clipLengths.push(frames.length);
          return Promise.resolve(Buffer.from('mp4'));
        },
      },
      encodeJpeg: () => {
        encodes++;
        return Promise.resolve(Buffer.from('jpeg'));
      },
      preRollFrames: 3,
    });
    const frame = async (x: number | null) => {
      clock.advance(2000);
      await svc.observeFrame({ cameraId: 'cam-a', presetId: null, capturedAt: clock.now(), image }, [
        {
          type: 'hotspot',
          thresholds: th,
          detections: x === null ? [] : [{ score: 0.9, box: { x, y: 20, w: 4, h: 4 } }],
        },
      ]);
    };
    for (let i = 0; i < 10; i++) await frame(null);
    expect(encodes).toBe(0); // a quiet camera costs no JPEG work
    await frame(30); // candidate, not yet an alert: still raw
    expect(encodes).toBe(0);
    await frame(30); // alert opens: 3 pre-roll frames + this one
    expect(encodes).toBe(4);
    await frame(30); // open alert: each new frame once
    expect(encodes).toBe(5);
    await svc.idle();
    expect(clipLengths[0]).toBe(4);
  });

  it('muxes the camera keyframes into clips when they are browser-playable H.264: no JPEG at all', async () => {
    const store = openSqliteStore(':memory:');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let encodes = 0;
    const clips: ClipFrame[][] = [];
    const svc = new AlertService({
      store,
      evidence: { writeSnapshot: () => undefined, readSnapshot: () => null, writeClip: () => undefined },
      clock,
      log: silentLogger(),
      publish: () => undefined,
      alerting: { confirmN: 2, confirmM: 3, closeAfterMs: 10_000 },
      cameraName: (id) => id,
      clips: {
        encode: (frames) => {
          clips.push([...frames]);
          return Promise.resolve(Buffer.from('mp4'));
        },
      },
      encodeJpeg: () => {
        encodes++;
        return Promise.resolve(Buffer.from('jpeg'));
      },
      preRollFrames: 3,
    });
    // x264's 320×240 High-profile SPS, then a (token) IDR slice.
    const sps = Buffer.from('6764000cacd94141fb011000000300100000030140f1429960', 'hex');
    const coded = (i: number) => ({
      codec: 'h264' as const,
      timestamp: i,
      annexB: Buffer.concat([Buffer.from([0, 0, 0, 1]), sps, Buffer.from([0, 0, 0, 1, 0x65, i])]),
    });
    for (let i = 0; i < 6; i++) {
      clock.advance(2000);
      await svc.observeFrame(
        { cameraId: 'cam-a', presetId: null, capturedAt: clock.now(), image, coded: coded(i) },
        [
          {
            type: 'hotspot',
            thresholds: th,
            detections: i < 3 ? [] : [{ score: 0.9, box: { x: 30, y: 20, w: 4, h: 4 } }],
          },
        ],
      );
    }
    await svc.idle();
    expect(encodes).toBe(0);
    // Opened on frame 4 (index 4): pre-roll 1–3 + itself, each frame its own keyframe.
    expect(clips[0]!.map((f) => f.h264?.at(-1))).toEqual([1, 2, 3, 4]);
    expect(clips[0]!.every((f) => f.jpeg === undefined)).toBe(true);
  });

  it("one camera's slow evidence work never delays another camera's alert (one chain per camera)", async () => {
    const store = openSqliteStore(':memory:');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const imageA = { width: W, height: H, data: Buffer.alloc(W * H * 3, 40) };
    const imageB = { width: W, height: H, data: Buffer.alloc(W * H * 3, 60) };
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((r) => (release = r));
    const events: ServerEvent[] = [];
    const svc = new AlertService({
      store,
      evidence: { writeSnapshot: () => undefined, readSnapshot: () => null, writeClip: () => undefined },
      clock,
      log: silentLogger(),
      publish: (e) => events.push(e),
      alerting: { confirmN: 2, confirmM: 3, closeAfterMs: 10_000 },
      cameraName: (id) => id,
      clips: { encode: () => Promise.resolve(Buffer.from('mp4')) },
      // cam-a's JPEG encoder hangs (a starved libuv pool, a huge frame) until released.
      encodeJpeg: (img) => (img === imageA ? blocked : Promise.resolve()).then(() => Buffer.from('jpeg')),
      preRollFrames: 3,
    });
    const frame = (cameraId: string, img: typeof image) => {
      clock.advance(1000);
      return svc.observeFrame({ cameraId, presetId: null, capturedAt: clock.now(), image: img }, [
        { type: 'hotspot', thresholds: th, detections: [{ score: 0.9, box: { x: 30, y: 20, w: 4, h: 4 } }] },
      ]);
    };
    const a1 = frame('cam-a', imageA);
    const a2 = frame('cam-a', imageA); // opens cam-a's alert: waits for its pre-roll JPEGs
    await frame('cam-b', imageB);
    await frame('cam-b', imageB); // cam-b's alert opens while cam-a is still stuck
    expect(
      events
        .filter((e) => e.kind === 'alert.opened')
        .map((e) => e.kind === 'alert.opened' && e.alert.cameraId),
    ).toEqual(['cam-b']);
    release();
    await Promise.all([a1, a2]);
    await svc.idle();
    expect((await store.listOpenAlerts()).map((a) => a.cameraId).sort()).toEqual(['cam-a', 'cam-b']);
  });

  it('renders peak snapshots outside the chain, coalesced, ending with the latest peak', async () => {
    const { store, files, svc, frame } = setup();
    await frame('cam-a', 30, 0.7);
    await frame('cam-a', 30, 0.7); // opens
    const id = (await store.listOpenAlerts())[0]!.id;
    const opened = files.get(`${id}.jpg`);
    await frame('cam-a', 32, 0.8); // new peaks, boxes move
    await frame('cam-a', 34, 0.95);
    await svc.idle();
    const a = (await store.getAlert(id))!;
    expect(a.peakScore).toBe(0.95);
    expect(a.box.x).toBe(34);
    const { renderSnapshot } = await import('./snapshot.ts');
    const latest = await renderSnapshot(image, [{ box: a.box, type: 'hotspot' }]);
    expect(files.get(`${id}.jpg`)?.equals(latest)).toBe(true);
    expect(files.get(`${id}.jpg`)?.equals(opened!)).toBe(false);
  });

  it('triangulates two cameras that see the same type', async () => {
    const { store, svc, frame } = setup();
    // cam-a (45°) and cam-b (315°, 2 km east) centre boxes → rays cross 1 km N, 1 km E of cam-a.
    await frame('cam-a', 30);
    await frame('cam-a', 30);
    await frame('cam-b', 30);
    await frame('cam-b', 30);
    await svc.idle();
    const alerts = await store.listAlerts({ limit: 10 });
    expect(alerts).toHaveLength(2);
    for (const a of alerts) {
      expect(a.position?.method).toBe('triangulated');
      const e = toEnu(A, a.position!);
      expect(e.x).toBeCloseTo(1000, -1);
      expect(e.y).toBeCloseTo(1000, -1);
    }
  });

  it('with a slow asynchronous store, concurrent cameras lose no update of a triangulated pair, events in store order', async () => {
    // Deterministic pseudo-random delays (LCG), several rounds: camera B's opening triangulates and rewrites
    // camera A's alert while A's own (non-peak) update reads and writes it.
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 12; round++) {
      const { store, events, svc, frame } = setup((s) => slow(s, rnd));
      await frame('cam-a', 30);
      await frame('cam-a', 30); // A's alert opens (hits 2)
      await Promise.all([frame('cam-a', 30, 0.5), frame('cam-b', 30)]);
      await Promise.all([frame('cam-a', 30, 0.5), frame('cam-b', 30)]); // B opens and triangulates with A
      await svc.idle();
      const alerts = await store.listAlerts({ limit: 10 });
      expect(alerts).toHaveLength(2);
      for (const a of alerts)
        expect(a.position?.method, `round ${round}, ${a.cameraId}`).toBe('triangulated');
      expect(alerts.find((x) => x.cameraId === 'cam-a')!.hits, `round ${round}`).toBe(4);
      const ids = events.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
    }
  });
});
