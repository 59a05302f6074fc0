/**
 * The walking skeleton, for real: the demo RTSP server loops real clips, real ffmpeg samples them, real
 * onnxruntime runs the shipped models, alerts land in a real SQLite file and reach a socket.io client.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { TestClient } from '../../services/dispatch/testSupport.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTowerWatch, REPO_ROOT, type Runtime } from '../../services/runtime.ts';
import type { Alert, HealthResponse, ServerEvent } from '../../services/schemas/api.ts';
import { silentLogger } from '../../services/util/logger.ts';
import { freePort, pgrep, waitFor } from '../support/procs.ts';

let rt: Runtime;
let dataDir: string;
let rtspPort: number;

/** Staff session for the monitoring API and the socket (the demo config has users). */
const PASSWORD = 'medium-pipeline-Pa55word';
let duty: TestClient;

beforeAll(async () => {
  process.env['TOWERWATCH_PASSWORD_DUTY1'] = PASSWORD;
  dataDir = mkdtempSync(path.join(tmpdir(), 'tw-medium-'));
  rtspPort = await freePort();
  rt = await startTowerWatch({
    configDir: path.join(REPO_ROOT, 'camera-config', 'demo'),
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demoRtspPort: rtspPort,
    log: silentLogger(),
  });
  duty = new TestClient(rt.url);
  expect(await duty.login('duty1', PASSWORD)).toBe(200);
});

afterAll(async () => {
  await rt?.stop();
  delete process.env['TOWERWATCH_PASSWORD_DUTY1'];
});

describe('demo fleet end to end', () => {
  it('brings every demo camera online over RTSP', async () => {
    const health = await waitFor(
      'all cameras online',
      async () => {
        const h = (await duty.req('GET', '/api/health')).body as HealthResponse;
        return h.cameras.every((c) => c.online) ? h : null;
      },
      60_000,
    );
    expect(health.cameras.length).toBeGreaterThanOrEqual(4);
    expect(health.models.map((m) => m.type).sort()).toEqual(['dust', 'hotspot', 'smoke']);
  });

  it('raises a hot-spot alert and a smoke alert from the real clips, with snapshots', async () => {
    const alerts = await waitFor(
      'a hotspot and a smoke alert',
      async () => {
        const { alerts } = (await duty.req('GET', '/api/alerts')).body as { alerts: Alert[] };
        const types = new Set(alerts.map((a) => a.type));
        return types.has('hotspot') && types.has('smoke') ? alerts : null;
      },
      90_000,
      1000,
    );
    for (const a of alerts) {
      expect(a.box.w).toBeGreaterThan(0);
      expect(a.box.x + a.box.w).toBeLessThanOrEqual(a.frameWidth + 1);
      expect(Date.parse(a.firstSeenAt)).not.toBeNaN();
      expect((await fetch(`${rt.url}${a.snapshotUrl}`)).status).toBe(401); // not without a session
      const snap = await fetch(`${rt.url}${a.snapshotUrl}`, { headers: { cookie: duty.cookie } });
      expect(snap.status).toBe(200);
      expect(snap.headers.get('content-type')).toBe('image/jpeg');
      const buf = Buffer.from(await snap.arrayBuffer());
      expect(buf.subarray(0, 2).toString('hex')).toBe('ffd8');
    }
    const thermal = alerts.filter((a) => a.type === 'hotspot').map((a) => a.cameraId);
    expect(thermal.every((id) => id.includes('thermal'))).toBe(true);
    // The demo clips hold smoke and clouds but no dust: the dust detector runs on the visible cameras and must
    // stay silent (models/dust/card.md).
    expect(alerts.filter((a) => a.type === 'dust')).toEqual([]);
  });

  it('exposes the pipeline in Prometheus metrics (frames, alerts, inference time, worker heaps)', async () => {
    const text = await (await fetch(`${rt.url}/metrics`)).text();
    const values = (name: string): number[] =>
      [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
    const sum = (name: string) => values(name).reduce((a, b) => a + b, 0);
    // Every frame sampled is analysed, dropped (counted) or still in flight.
    const sampled = sum('towerwatch_frames_sampled_total');
    const analysed = sum('towerwatch_frames_analysed_total');
    expect(analysed).toBeGreaterThan(0);
    expect(analysed + sum('towerwatch_frames_dropped_total')).toBeLessThanOrEqual(sampled);
    // The previous test saw a hot-spot and a smoke alert open.
    expect(text).toMatch(/^towerwatch_alerts_opened_total\{camera="[^"]+",type="hotspot"\} [1-9]/m);
    expect(text).toMatch(/^towerwatch_alerts_opened_total\{camera="[^"]+",type="smoke"\} [1-9]/m);
    expect(text).toMatch(/^towerwatch_inference_seconds_count\{model="hotspot"\} [1-9]/m);
    expect(text).toMatch(/^towerwatch_inference_seconds_count\{model="smoke"\} [1-9]/m);
    const heaps = values('towerwatch_detect_worker_heap_used_bytes');
    expect(heaps.length).toBeGreaterThan(0);
    expect(Math.max(...heaps)).toBeGreaterThan(1e6);
  });

  it('replays events to a reconnecting client exactly once', async () => {
    const all: ServerEvent[] = [];
    const opts = { transports: ['websocket'], forceNew: true, extraHeaders: { cookie: duty.cookie } };
    const s1 = ioClient(rt.url, { ...opts, auth: { lastEventId: 0 } });
    s1.on('event', (e: ServerEvent) => all.push(e));
    const done1 = await new Promise<{ lastEventId: number }>((r) => s1.once('replay.done', r));
    s1.close();
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
    const mid = all[Math.floor(all.length / 2)]!.id;
    const again: ServerEvent[] = [];
    const s2 = ioClient(rt.url, { ...opts, auth: { lastEventId: mid } });
    s2.on('event', (e: ServerEvent) => again.push(e));
    await new Promise((r) => s2.once('replay.done', r));
    s2.close();
    expect(again[0]?.id).toBe(mid + 1);
    expect(new Set(again.map((e) => e.id)).size).toBe(again.length);
    expect(again.at(-1)!.id).toBeGreaterThanOrEqual(done1.lastEventId);
  });

  it('leaves no ffmpeg or RTSP server behind after stop', async () => {
    const serverTag = `"port":${rtspPort},`;
    const before = pgrep(serverTag).length;
    expect(before).toBeGreaterThan(0);
    await rt.stop();
    await waitFor(
      'children gone',
      () => pgrep(`127.0.0.1:${rtspPort}/`).length === 0 && pgrep(serverTag).length === 0,
      10_000,
    );
  });
});
