/**
 * Adapter that runs the demo RTSP server (services/demo/rtsp_server.py, GStreamer) with one looping feeder per
 * demo stream. Used by `npm start` on the embedded default and by the medium/e2e tests.
 */
import { execFileSync } from 'node:child_process';
import type { SupervisedChild } from '../capture/processes.ts';
import path from 'node:path';
import { buildLoopFeederArgs } from '../capture/ffmpegArgs.ts';
import { spawnSupervised, stopChild } from '../capture/processes.ts';
import type { DemoStream } from '../schemas/config.ts';
import type { Logger } from '../util/logger.ts';

export interface DemoRtspServer {
  /** rtsp://127.0.0.1:<port>/<mount> per mount. */
  urls: Record<string, string>;
  /** Restarts a loop mount's feeder on another clip (simulates a PTZ camera moving to another view). */
  switchClip(mount: string, clipPath: string): void;
  stop(): Promise<void>;
}

/**
 * Video codec of a clip (`h264`, `hevc`, …) read with ffprobe.
 * @throws Error naming the clip when it is missing or has no video stream.
 */
export function clipCodec(file: string): string {
  try {
    return execFileSync(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
      .trim()
      .split('\n')[0]!
      .trim();
  } catch (e) {
    throw new Error(
      `demo clip ${file}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`,
      { cause: e },
    );
  }
}

/** First UDP port used for feeder → server transport (one per stream). */
const UDP_BASE = 21000;

/**
 * Starts the server and waits for it to print READY.
 * @param baseDir directory that clip paths are relative to.
 * @throws Error when python3-gi / gst-rtsp-server are missing or the port is taken (message includes stderr).
 */
export async function startDemoRtspServer(opts: {
  port: number;
  baseDir: string;
  streams: (Omit<DemoStream, 'mode'> & { mode?: DemoStream['mode'] })[];
  log: Logger;
  python?: string;
  udpBase?: number;
  ffmpegPath?: string;
  /** Require HTTP Basic credentials on every mount (credential-handling tests). */
  auth?: { user: string; password: string };
}): Promise<DemoRtspServer> {
  const udpBase = opts.udpBase ?? UDP_BASE + (opts.port % 1000) * 20;
  const streams = opts.streams.map((s, i) => ({
    mount: s.mount,
    udpPort: udpBase + i,
    codec: clipCodec(path.resolve(opts.baseDir, s.clip)),
    mode: s.mode,
    clip: path.resolve(opts.baseDir, s.clip),
    feeder: [
      opts.ffmpegPath ?? 'ffmpeg',
      ...buildLoopFeederArgs(path.resolve(opts.baseDir, s.clip), udpBase + i),
    ],
  }));
  const script = path.join(import.meta.dirname, 'rtsp_server.py');
  const child: SupervisedChild = spawnSupervised(
    opts.python ?? '/usr/bin/python3',
    [script, JSON.stringify({ port: opts.port, auth: opts.auth ?? null, streams })],
    { stdio: ['pipe', 'pipe', 'pipe'] }, // stdin: control channel (switchClip)
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n').filter(Boolean)) opts.log.warn({ component: 'demo-rtsp' }, line);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo RTSP server did not start within 20 s: ${stderr}`)),
      20_000,
    );
    child.stdout?.on('data', (c: Buffer) => {
      const s = c.toString('utf8');
      if (s.includes('READY')) {
        clearTimeout(timer);
        resolve();
      } else if (s.includes('ERROR')) {
        clearTimeout(timer);
        reject(new Error(`demo RTSP server: ${s.trim()}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo RTSP server exited (code ${code}): ${stderr.trim() || 'no output'}`));
    });
  });
  opts.log.info(
    { component: 'demo-rtsp', port: opts.port, mounts: streams.map((s) => s.mount) },
    'demo RTSP server ready',
  );
  return {
    urls: Object.fromEntries(streams.map((s) => [s.mount, `rtsp://127.0.0.1:${opts.port}/${s.mount}`])),
    switchClip: (mount, clipPath) => {
      child.stdin?.write(JSON.stringify({ cmd: 'switch', mount, clip: path.resolve(clipPath) }) + '\n');
    },
    stop: () => stopChild(child, 3000),
  };
}
