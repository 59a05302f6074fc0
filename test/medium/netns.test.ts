/**
 * Dead cameras on a real (namespaced) network: one test host whose RTSP port is closed, and one address that
 * swallows every packet (a "non-routable" camera: SYNs leave on a veth to a MAC nobody has, so connect()
 * hangs until the I/O timeout). Both live in a network namespace this test creates on this machine; nothing
 * leaves it. A healthy camera on the demo RTSP server keeps its normal frame rate throughout.
 *
 * Needs root and iproute2 (`ip netns`); skipped with a reason otherwise.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraWorker, type SampledFrame } from '../../services/capture/cameraWorker.ts';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { CameraConfig } from '../../services/schemas/config.ts';
import { systemClock } from '../../services/util/clock.ts';
import { freePort, waitFor } from '../support/procs.ts';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const canNetns = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    ip('netns', 'list');
    return true;
  } catch {
    return false;
  }
})();

const tag = String(process.pid % 10_000);
const ns = `tw-${tag}`;
const vethRoot = `twr${tag}`;
const vethNs = `twn${tag}`;
const net = `198.18.${Number(tag) % 250}`; // RFC 2544 benchmarking range, only on this veth pair
const log = pino({ level: 'silent' });
let server: DemoRtspServer;
let port: number;
const workers: CameraWorker[] = [];

function camera(id: string, url: string): CameraConfig {
  return CameraConfig.parse({
    id,
    name: id,
    url,
    channel: 'visible',
    detectors: ['smoke'],
    sampleIntervalMs: 1000,
    stallTimeoutS: 5,
    decodeMode: 'all',
  });
}

function run(cam: CameraConfig) {
  const frames: SampledFrame[] = [];
  const w = new CameraWorker(cam, {
    clock: systemClock,
    log,
    onFrame: (f) => frames.push(f),
    onStatus: () => undefined,
    backoff: { baseMs: 500, capMs: 4000 },
  });
  workers.push(w);
  w.start();
  return { w, frames };
}

describe.skipIf(!canNetns)('dead cameras on a namespaced network (needs root + ip netns)', () => {
  beforeAll(async () => {
    ip('netns', 'add', ns);
    ip('link', 'add', vethRoot, 'type', 'veth', 'peer', 'name', vethNs);
    ip('link', 'set', vethNs, 'netns', ns);
    ip('addr', 'add', `${net}.1/24`, 'dev', vethRoot);
    ip('link', 'set', vethRoot, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${net}.2/24`, 'dev', vethNs);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', vethNs, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    // .3 "exists" at the link layer with a MAC nobody owns: packets go out and vanish.
    ip('neigh', 'replace', `${net}.3`, 'lladdr', '02:00:00:00:00:99', 'dev', vethRoot, 'nud', 'permanent');
    port = await freePort();
    server = await startDemoRtspServer({
      port,
      baseDir: path.join(REPO_ROOT, 'camera-config', 'demo', 'clips'),
      log,
      streams: [{ mount: 'healthy', clip: 'thermal-siteE-a35.mp4' }],
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await server?.stop();
    for (const cmd of [
      ['link', 'del', vethRoot],
      ['netns', 'del', ns],
    ]) {
      try {
        ip(...cmd);
      } catch {
        /* already gone */
      }
    }
  });

  it('a closed port and a black-holed address never slow the healthy camera', async () => {
    const healthy = run(camera('healthy', `rtsp://127.0.0.1:${port}/healthy`));
    const closed = run(camera('closed-port', `rtsp://${net}.2:554/stream`));
    const blackhole = run(camera('blackhole', `rtsp://${net}.3:554/stream`));
    await waitFor('healthy frames', () => healthy.frames.length >= 1, 60_000);
    const n0 = healthy.frames.length;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 20_000));
    const rate = (healthy.frames.length - n0) / ((Date.now() - t0) / 1000);
    expect(rate).toBeGreaterThan(0.75); // configured: 1 frame/s
    expect(closed.w.status.status).toBe('offline');
    expect(closed.w.status.restarts).toBeGreaterThanOrEqual(2);
    expect(closed.w.status.lastError).toMatch(/refused/i);
    expect(['offline', 'starting']).toContain(blackhole.w.status.status);
    expect(blackhole.w.status.restarts).toBeGreaterThanOrEqual(1);
    expect(blackhole.frames).toHaveLength(0);
  }, 120_000);
});
