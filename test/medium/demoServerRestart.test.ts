/**
 * The demo RTSP server (GStreamer) restarts itself after a crash: gst-rtsp-server 1.22 can abort under load
 * (`gst_rtsp_stream_transport_backlog_push: assertion failed`), which used to leave every demo camera offline.
 * A real server is killed with SIGABRT (what a failed GStreamer assertion does); the crash is recorded with its
 * reason, the server comes back on the same port and a real ffprobe reads the stream again.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { freePort } from '../support/procs.ts';

const CLIP = path.join(REPO_ROOT, 'camera-config', 'demo', 'clips', 'thermal-siteE-a35.mp4');
let server: DemoRtspServer;

const probe = async (url: string): Promise<string> =>
  (
    await promisify(execFile)('ffprobe', [
      ...['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v:0'],
      ...['-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url],
    ])
  ).stdout.trim();

/** A real demo server with one mount, `thermal`, playing the FLAME-T demo clip. */
const startThermal = async (): Promise<DemoRtspServer> =>
  startDemoRtspServer({
    port: await freePort(),
    baseDir: '/',
    streams: [{ mount: 'thermal', clip: CLIP, mode: 'file' }],
    log: pino({ level: 'silent' }),
  });

beforeAll(async () => {
  server = await startThermal();
}, 60_000);
afterAll(async () => {
  await server.stop();
});

describe('demo RTSP server supervision', () => {
  it('records a crash and serves the stream again after the restart', async () => {
    const url = server.urls['thermal']!;
    expect(await probe(url)).toBe('h264,320,256');
    const first = server.pid();
    expect(first).toBeGreaterThan(0);
    process.kill(first!, 'SIGABRT');
    const deadline = Date.now() + 30_000;
    while ((server.pid() === first || server.crashes().length === 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(server.crashes()).toHaveLength(1);
    expect(server.crashes()[0]!.signal).toBe('SIGABRT');
    expect(server.pid()).not.toBe(first);
    expect(await probe(url)).toBe('h264,320,256');
  }, 60_000);

  it('stays down after a clean exit from outside (SIGTERM: an operator or an outage test stopped it)', async () => {
    const s = await startThermal();
    try {
      const pid = s.pid()!;
      process.kill(pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 3000)); // > DEMO_RESTART_DELAY_MS
      expect(s.crashes()).toHaveLength(0);
      expect(s.pid()).toBe(pid);
      await expect(probe(s.urls['thermal']!)).rejects.toThrow();
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('stays down after stop() (no restart of a server that was stopped on purpose)', async () => {
    const s = await startThermal();
    const pid = s.pid();
    await s.stop();
    await new Promise((r) => setTimeout(r, 2500)); // > DEMO_RESTART_DELAY_MS
    expect(s.crashes()).toHaveLength(0);
    expect(s.pid()).toBe(pid);
    await expect(probe(s.urls['thermal']!)).rejects.toThrow();
  }, 60_000);
});
