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
  /** Unexpected exits of the server process so far, oldest first (each was followed by a restart). */
  crashes(): DemoServerCrash[];
  /** PID of the current server process (diagnostics and crash tests). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** One unexpected exit of the demo server process. */
export interface DemoServerCrash {
  /** Epoch ms. */
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last meaningful stderr line (e.g. a GStreamer assertion). */
  reason: string;
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
  const argv = [script, JSON.stringify({ port: opts.port, auth: opts.auth ?? null, streams })];
  let child = await launchDemoProcess(opts.python ?? '/usr/bin/python3', argv, opts.log);
  opts.log.info(
    { component: 'demo-rtsp', port: opts.port, mounts: streams.map((s) => s.mount) },
    'demo RTSP server ready',
  );
  // Supervision of crashes (not of clean exits): gst-rtsp-server 1.22 (Debian 12) can abort under load (seen: `assertion failed: (queue_duration >=
  // 0)` in gst_rtsp_stream_transport_backlog_push when TCP clients read slowly). Every demo camera would then stay
  // offline, so a crash is logged with its reason and the server restarted on the same port; cameras reconnect on
  // their own retry schedule.
  let stopped = false;
  let restartTimer: NodeJS.Timeout | null = null;
  const crashes: DemoServerCrash[] = [];
  const watch = (c: SupervisedChild & { stderrTail: () => string }) => {
    c.once('exit', (code, signal) => {
      if (stopped) return;
      if (code === 0) {
        // A clean exit is rtsp_server.py's SIGTERM/SIGINT handler: someone stopped it on purpose (an operator,
        // or a test simulating an outage). Only crashes (a signal such as SIGABRT/SIGKILL, or an error code) restart.
        opts.log.warn(
          { component: 'demo-rtsp', port: opts.port },
          'demo RTSP server stopped from outside; not restarting',
        );
        return;
      }
      const crash: DemoServerCrash = {
        at: Date.now(),
        code,
        signal,
        reason: lastMeaningfulLine(c.stderrTail()) ?? `exit code ${code ?? signal ?? '?'}`,
      };
      crashes.push(crash);
      opts.log.error(
        {
          component: 'demo-rtsp',
          port: opts.port,
          code,
          signal,
          reason: crash.reason,
          crashes: crashes.length,
        },
        'demo RTSP server crashed; restarting',
      );
      const restart = () => {
        restartTimer = null;
        if (stopped) return;
        launchDemoProcess(opts.python ?? '/usr/bin/python3', argv, opts.log).then(
          (next) => {
            if (stopped) return void stopChild(next, 3000);
            child = next;
            watch(next);
            opts.log.info({ component: 'demo-rtsp', port: opts.port }, 'demo RTSP server restarted');
          },
          (e: unknown) => {
            opts.log.error(
              { component: 'demo-rtsp', port: opts.port, err: (e as Error).message },
              'restart failed',
            );
            restartTimer = setTimeout(restart, DEMO_RESTART_DELAY_MS * 5);
          },
        );
      };
      restartTimer = setTimeout(restart, DEMO_RESTART_DELAY_MS);
    });
  };
  watch(child);
  return {
    urls: Object.fromEntries(streams.map((s) => [s.mount, `rtsp://127.0.0.1:${opts.port}/${s.mount}`])),
    switchClip: (mount, clipPath) => {
      child.stdin?.write(JSON.stringify({ cmd: 'switch', mount, clip: path.resolve(clipPath) }) + '\n');
    },
    crashes: () => [...crashes],
    pid: () => child.pid,
    stop: async () => {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      await stopChild(child, 3000);
    },
  };
}

/** Delay before a crashed demo server is restarted, ms (a failed restart retries after 5×). */
export const DEMO_RESTART_DELAY_MS = 1000;

/** The last stderr line that says something (GStreamer prints a bare `**` line before its assertion). */
function lastMeaningfulLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 2)
    .at(-1);
}

/**
 * Spawns rtsp_server.py and resolves once it prints READY.
 * @throws Error with the server's stderr when it fails to start within 20 s or exits first.
 */
async function launchDemoProcess(
  python: string,
  argv: string[],
  log: Logger,
): Promise<SupervisedChild & { stderrTail: () => string }> {
  const child: SupervisedChild = spawnSupervised(python, argv, {
    stdio: ['pipe', 'pipe', 'pipe'], // stdin: control channel (switchClip)
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n').filter(Boolean)) log.warn({ component: 'demo-rtsp' }, line);
  });
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolve();
    };
    const timer = setTimeout(
      () => settle(new Error(`demo RTSP server did not start within 20 s: ${stderr}`)),
      20_000,
    );
    child.once('exit', (code) =>
      settle(new Error(`demo RTSP server exited (code ${code}): ${stderr.trim() || 'no output'}`)),
    );
    child.stdout?.on('data', (c: Buffer) => {
      const s = c.toString('utf8');
      if (s.includes('READY')) settle();
      else if (s.includes('ERROR')) settle(new Error(`demo RTSP server: ${s.trim()}`));
    });
  }).catch(async (e: unknown) => {
    await stopChild(child, 3000);
    throw e;
  });
  return Object.assign(child, { stderrTail: () => stderr });
}
