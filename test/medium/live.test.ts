/**
 * Live view for real: the demo RTSP server, one `-c copy` ffmpeg per camera shared by viewers, fragmented MP4
 * over socket.io; stopped after the last viewer leaves; "offline" while the camera is gone, back when it returns.
 */
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pino } from 'pino';
import { Server as SocketServer } from 'socket.io';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { LiveViewHub } from '../../services/live/liveView.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import type { LiveClientToServer, LiveServerToClient, LiveState } from '../../services/schemas/api.ts';
import { CameraConfig } from '../../services/schemas/config.ts';
import { freePort, pgrep, waitFor } from '../support/procs.ts';

const log = pino({ level: 'silent' });
let rtsp: DemoRtspServer;
let rtspPort: number;
let http: Server;
let io: SocketServer;
let hub: LiveViewHub;
let base: string;

beforeAll(async () => {
  rtspPort = await freePort();
  const clips = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips');
  rtsp = await startDemoRtspServer({
    port: rtspPort,
    baseDir: clips,
    log,
    streams: [{ mount: 'cam', clip: 'hpwren-figlib-1528757406.mp4' }],
  });
  const cam = CameraConfig.parse({
    id: 'cam',
    name: 'cam',
    url: `rtsp://127.0.0.1:${rtspPort}/cam`,
    channel: 'visible',
    detectors: ['smoke'],
  });
  http = createServer();
  io = new SocketServer(http);
  hub = new LiveViewHub({ cameras: new Map([['cam', cam]]), log, idleStopMs: 2000 });
  hub.attach(io);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
});

afterAll(async () => {
  await hub?.close();
  await io?.close();
  await rtsp?.stop();
});

function viewer() {
  const s: Socket<LiveServerToClient, LiveClientToServer> = ioClient(`${base}/live`, {
    transports: ['websocket'],
    forceNew: true,
  });
  const got = {
    init: [] as { codec: string; data: Buffer }[],
    segments: [] as Buffer[],
    states: [] as LiveState[],
  };
  s.on('init', (p) => got.init.push({ codec: p.codec, data: Buffer.from(p.data as ArrayBuffer) }));
  s.on('segment', (p) => got.segments.push(Buffer.from(p.data as ArrayBuffer)));
  s.on('status', (p) => got.states.push(p.state));
  s.on('connect', () => s.emit('watch', { cameraId: 'cam' }));
  return { s, got };
}

describe('live view', () => {
  it('streams H.264 as fragmented MP4 to two viewers from one ffmpeg, and stops it after they leave', async () => {
    const a = viewer();
    const b = viewer();
    await waitFor(
      'init + 2 segments',
      () => a.got.init.length > 0 && a.got.segments.length >= 2 && b.got.segments.length >= 2,
      30_000,
      100,
    );
    const init = a.got.init[0]!;
    expect(init.codec).toMatch(/^avc1\.[0-9a-f]{6}$/);
    expect(init.data.toString('latin1', 4, 8)).toBe('ftyp');
    expect(a.got.segments[0]!.toString('latin1', 4, 8)).toBe('moof');
    expect(hub.running).toBe(1);
    expect(pgrep(`127.0.0.1:${rtspPort}/cam`).filter(Boolean).length).toBe(1); // one shared ffmpeg
    a.s.close();
    b.s.close();
    await waitFor(
      'live ffmpeg stopped after the idle delay',
      () => hub.running === 0 && pgrep(`127.0.0.1:${rtspPort}/cam`).length === 0,
      10_000,
      200,
    );
  }, 60_000);

  it('shows offline while the camera is gone and recovers when it returns', async () => {
    const v = viewer();
    await waitFor('live', () => v.got.states.includes('live'), 30_000, 100);
    await rtsp.stop();
    await waitFor('offline', () => v.got.states.at(-1) === 'offline', 30_000, 100);
    const n = v.got.segments.length;
    rtsp = await startDemoRtspServer({
      port: rtspPort,
      baseDir: path.join(REPO_ROOT, 'camera-config', 'demo', 'clips'),
      log,
      streams: [{ mount: 'cam', clip: 'hpwren-figlib-1528757406.mp4' }],
    });
    await waitFor(
      'live again with new segments',
      () => v.got.states.at(-1) === 'live' && v.got.segments.length > n,
      45_000,
      200,
    );
    v.s.close();
  }, 120_000);
});
