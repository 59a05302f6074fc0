/**
 * The built-in RTSP client against servers the demo server cannot play: a camera that asks for HTTP Digest
 * credentials (RFC 2617) and serves a stream the client cannot depacketize (Motion JPEG), and a camera whose
 * replies carry the wrong CSeq (a firmware quirk ffmpeg only warns about). Real sockets, a real CameraWorker, the
 * demo RTSP server, real ffmpeg for the fallback.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CameraWorker, type WorkerStatus } from '../../services/capture/cameraWorker.ts';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { CameraConfig } from '../../services/schemas/config.ts';
import { systemClock } from '../../services/util/clock.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { freePort, waitFor } from '../support/procs.ts';

const PASSWORD = 'Circle Of Life/1%';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const servers: Server[] = [];
const sockets: Socket[] = [];
const workers: CameraWorker[] = [];
let demo: DemoRtspServer | null = null;

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await demo?.stop();
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

/** Starts a keyframe-sampled thermal camera with `rtspClient: auto`, a 3 s stall timeout and a short backoff. */
function startAutoWorker(id: string, url: string, log: pino.Logger, backoffCapMs: number): CameraWorker {
  const w = new CameraWorker(
    CameraConfig.parse({
      id,
      name: id,
      url,
      channel: 'thermal',
      detectors: ['hotspot'],
      decodeMode: 'keyframes',
      rtspClient: 'auto',
      stallTimeoutS: 3,
    }),
    {
      clock: systemClock,
      log,
      onFrame: () => undefined,
      onStatus: () => undefined,
      backoff: { baseMs: 200, capMs: backoffCapMs },
    },
  );
  workers.push(w);
  w.start();
  return w;
}

/** A minimal RTSP camera: Digest on DESCRIBE, an MJPEG-only SDP; records the requests it got. */
async function mjpegCamera(): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const nonce = 'a1b2c3d4';
  const server = createServer((sock) => {
    sockets.push(sock);
    let buf = '';
    sock.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const req = buf.slice(0, end);
        buf = buf.slice(end + 4);
        requests.push(req);
        const [method, uri] = req.split(' ');
        const cseq = /CSeq: (\d+)/i.exec(req)?.[1] ?? '0';
        const reply = (status: string, headers: string[] = [], body = '') =>
          sock.write(
            `RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${headers.map((h) => `${h}\r\n`).join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          );
        if (method === 'OPTIONS') reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
        else if (method === 'DESCRIBE') {
          const auth = /Authorization: Digest (.*)/i.exec(req)?.[1] ?? '';
          const response = /response="([0-9a-f]+)"/.exec(auth)?.[1];
          const expected = md5(`${md5(`admin:cam:${PASSWORD}`)}:${nonce}:${md5(`DESCRIBE:${uri}`)}`);
          if (response !== expected)
            reply('401 Unauthorized', [`WWW-Authenticate: Digest realm="cam", nonce="${nonce}"`]);
          else
            reply(
              '200 OK',
              ['Content-Type: application/sdp', `Content-Base: ${uri}/`],
              'v=0\r\ns=MJPEG\r\nm=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\na=control:track1\r\n',
            );
        } else reply('454 Session Not Found');
      }
    });
  });
  servers.push(server);
  const port = await new Promise<number>((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)),
  );
  return { port, requests };
}

describe('built-in RTSP client', () => {
  it('answers a Digest challenge, and hands a stream it cannot read to ffmpeg (auto) without leaking the password', async () => {
    const cam = await mjpegCamera();
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
    const statuses: WorkerStatus[] = [];
    const w = new CameraWorker(
      CameraConfig.parse({
        id: 'mjpeg',
        name: 'mjpeg',
        url: `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cam.port}/live`,
        channel: 'visible',
        detectors: ['smoke'],
        decodeMode: 'keyframes', // no probe: straight to the receiver
        rtspClient: 'auto',
        stallTimeoutS: 5,
      }),
      {
        clock: systemClock,
        log,
        onFrame: () => undefined,
        onStatus: (s) => statuses.push(s),
        backoff: { baseMs: 200, capMs: 1000 },
      },
    );
    workers.push(w);
    w.start();
    // The built-in client authenticated (the server only answers DESCRIBE to the right Digest response)…
    await waitFor(
      'an authenticated DESCRIBE',
      () => cam.requests.some((r) => /^DESCRIBE [\s\S]*Authorization: Digest/.test(r)),
      10_000,
      100,
    );
    // …found no H.264/H.265 and gave the camera to ffmpeg, which then fails at SETUP (454): offline, retried.
    await waitFor('the ffmpeg receiver', () => w.status.receiver === 'ffmpeg', 10_000, 100);
    await waitFor('ffmpeg to fail', () => statuses.some((s) => s.status === 'offline'), 20_000, 200);
    expect(lines.join('')).toContain('built-in RTSP client cannot read this stream');
    expect(lines.join('')).toContain('no H.264/H.265 video in SDP (found: video JPEG)');
    expect(w.status.receiver).toBe('ffmpeg');
    const all = lines.join('') + statuses.map((s) => s.lastError ?? '').join('');
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(encodeURIComponent(PASSWORD));
    // The client never put the credentials in a request line.
    expect(cam.requests.filter((r) => r.split('\r\n')[0]!.includes('admin:'))).toEqual([]);
  });

  it('with rtspClient builtin, reports the unreadable stream instead of falling back', async () => {
    const cam = await mjpegCamera();
    const statuses: WorkerStatus[] = [];
    const w = new CameraWorker(
      CameraConfig.parse({
        id: 'mjpeg-builtin',
        name: 'mjpeg-builtin',
        url: `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cam.port}/live`,
        channel: 'visible',
        detectors: ['smoke'],
        decodeMode: 'keyframes',
        rtspClient: 'builtin',
        stallTimeoutS: 5,
      }),
      {
        clock: systemClock,
        log: pino({ level: 'silent' }),
        onFrame: () => undefined,
        onStatus: (s) => statuses.push(s),
        backoff: { baseMs: 200, capMs: 1000 },
      },
    );
    workers.push(w);
    w.start();
    await waitFor('offline', () => statuses.find((s) => s.status === 'offline'), 10_000, 100);
    expect(w.status.receiver).toBe('builtin');
    expect(w.status.lastError).toContain('no H.264/H.265 video in SDP');
  });

  it('auto: after two failures in a row without a frame, tries ffmpeg and keeps it when it delivers', async () => {
    demo = await startDemoRtspServer({
      port: await freePort(),
      baseDir: path.join(REPO_ROOT, 'camera-config', 'demo', 'clips'),
      log: pino({ level: 'silent' }),
      streams: [{ mount: 'quirk', clip: 'thermal-siteE-a35.mp4' }],
    });
    const proxy = await cseqQuirkProxy(Number(new URL(demo.urls['quirk']!).port));
    const lines: string[] = [];
    const w = startAutoWorker(
      'cseq-quirk',
      `rtsp://127.0.0.1:${proxy.port}/quirk`,
      pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }),
      1000,
    );
    // The built-in client matches replies by CSeq: it never sees its answers and gives up (twice)…
    await waitFor('the ffmpeg receiver', () => w.status.receiver === 'ffmpeg', 40_000, 100);
    expect(w.status.restarts).toBeGreaterThanOrEqual(2);
    // …ffmpeg warns about the CSeq and plays: frames flow and ffmpeg stays.
    await waitFor('frames', () => w.status.framesSampled >= 2, 40_000, 200);
    expect(w.status.status).toBe('online');
    expect(lines.join('')).toContain('ffmpeg receives this stream from now on');
    const restarts = w.status.restarts;
    await new Promise((r) => setTimeout(r, 4000));
    expect(w.status.receiver).toBe('ffmpeg');
    expect(w.status.restarts).toBe(restarts);
    expect(proxy.rewritten()).toBeGreaterThan(0);
  }, 120_000);

  it('auto: a server that is down (connection refused) does not switch the camera to ffmpeg', async () => {
    const port = await freePort();
    /** The receivers seen (each attempt's stays set through the backoff wait after it, ≥ 200 ms). */
    const receivers = new Set<string | null>();
    const w = startAutoWorker('server-down', `rtsp://127.0.0.1:${port}/late`, pino({ level: 'silent' }), 500);
    // Refused several times (more than AUTO_FFMPEG_AFTER_BUILTIN_FAILURES), always with the built-in client.
    await waitFor(
      'refused attempts',
      () => {
        receivers.add(w.status.receiver);
        return w.status.restarts >= 5;
      },
      30_000,
      20,
    );
    expect(w.status.status).toBe('offline');
    expect(w.status.lastError).toContain('ECONNREFUSED');
    expect([...receivers].filter((r) => r !== null)).toEqual(['builtin']);
    const late = await startDemoRtspServer({
      port,
      baseDir: path.join(REPO_ROOT, 'camera-config', 'demo', 'clips'),
      log: pino({ level: 'silent' }),
      streams: [{ mount: 'late', clip: 'thermal-siteE-a35.mp4' }],
    });
    try {
      await waitFor('frames', () => w.status.framesSampled >= 2, 40_000, 200);
      expect(w.status.status).toBe('online');
      expect(w.status.receiver).toBe('builtin');
    } finally {
      await w.stop();
      await late.stop();
    }
  }, 120_000);
});

/**
 * A TCP proxy in front of an RTSP server that answers every request with `CSeq: 9999` (firmware seen in the
 * field gets the CSeq wrong; ffmpeg logs "CSeq … expected" and goes on). Once PLAY is answered, bytes pass
 * unchanged (interleaved RTP).
 */
async function cseqQuirkProxy(target: number): Promise<{ port: number; rewritten: () => number }> {
  let rewritten = 0;
  const server = createServer((down) => {
    sockets.push(down);
    const up = connect(target, '127.0.0.1');
    sockets.push(up);
    let playAsked = false;
    let passThrough = false;
    let pending = Buffer.alloc(0);
    down.on('data', (c: Buffer) => {
      if (/^PLAY /m.test(c.toString('latin1'))) playAsked = true;
      up.write(c);
    });
    up.on('data', (c: Buffer) => {
      if (passThrough) return void down.write(c);
      pending = Buffer.concat([pending, c]);
      for (;;) {
        const text = pending.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0 || !text.startsWith('RTSP/')) break;
        const len = Number(/Content-Length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + 4 + len) break;
        const head = text.slice(0, end).replace(/^CSeq: *\d+/im, 'CSeq: 9999');
        rewritten++;
        down.write(
          Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), pending.subarray(end + 4, end + 4 + len)]),
        );
        pending = pending.subarray(end + 4 + len);
        if (playAsked) {
          passThrough = true;
          if (pending.length > 0) down.write(pending);
          return;
        }
      }
    });
    const close = () => {
      down.destroy();
      up.destroy();
    };
    down.on('close', close);
    up.on('close', close);
    down.on('error', close);
    up.on('error', close);
  });
  servers.push(server);
  const port = await new Promise<number>((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)),
  );
  return { port, rewritten: () => rewritten };
}
