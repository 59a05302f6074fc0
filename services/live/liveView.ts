/**
 * Live view without transcoding: per camera ONE ffmpeg (`-c copy` to fragmented MP4) shared by all viewers,
 * started on the first viewer, stopped `idleStopMs` (5 s) after the last one leaves, restarted with backoff while
 * viewers remain (the viewer sees "offline" meanwhile). Viewers talk to the socket.io namespace `/live`;
 * camera URLs and credentials stay on the server.
 */
import type { SupervisedChild } from '../capture/processes.ts';
import type { Namespace, Server as SocketServer } from 'socket.io';
import { resolveCameraUrl } from '../capture/cameraUrl.ts';
import { buildLiveArgs, type LiveProbe } from '../capture/ffmpegArgs.ts';
import { spawnSupervised, stopChild } from '../capture/processes.ts';
import { backoffDelay, DEFAULT_BACKOFF } from '../capture/supervision.ts';
import {
  LiveWatch,
  type LiveClientToServer,
  type LiveServerToClient,
  type LiveState,
} from '../schemas/api.ts';
import type { CameraConfig } from '../schemas/config.ts';
import { redactUrl, type Logger } from '../util/logger.ts';
import { avcCodecString, Mp4BoxSplitter } from './fmp4.ts';

interface Source {
  cam: CameraConfig;
  child: SupervisedChild | null;
  init: { codec: string; data: Buffer } | null;
  viewers: Set<string>;
  state: LiveState;
  stopTimer: NodeJS.Timeout | null;
  restartTimer: NodeJS.Timeout | null;
  attempt: number;
  /**
   * Probe mode of the next start: `fast` (codec parameters from the SDP) until a fast start fails to produce a
   * usable header, then `normal` for this source (see `capture/ffmpegArgs.ts` LiveProbe).
   */
  probe: LiveProbe;
}

export class LiveViewHub {
  private readonly sources = new Map<string, Source>();
  private nsp: Namespace<LiveClientToServer, LiveServerToClient> | null = null;

  constructor(
    private readonly deps: {
      cameras: Map<string, CameraConfig>;
      log: Logger;
      idleStopMs?: number;
      ffmpegPath?: string;
    },
  ) {}

  /** Number of running live ffmpeg processes (tests, health). */
  get running(): number {
    return [...this.sources.values()].filter((s) => s.child !== null).length;
  }

  attach(io: SocketServer): void {
    const nsp = io.of('/live') as Namespace<LiveClientToServer, LiveServerToClient>;
    this.nsp = nsp;
    nsp.on('connection', (socket) => {
      const watching = new Set<string>();
      socket.on('watch', (raw) => {
        const p = LiveWatch.safeParse(raw);
        const cam = p.success ? this.deps.cameras.get(p.data.cameraId) : undefined;
        if (!p.success || !cam) {
          socket.emit('status', {
            cameraId: p.success ? p.data.cameraId : '',
            state: 'offline',
            message: 'unknown camera',
          });
          return;
        }
        watching.add(cam.id);
        void socket.join(room(cam.id));
        const src = this.source(cam);
        src.viewers.add(socket.id);
        if (src.stopTimer) clearTimeout(src.stopTimer);
        src.stopTimer = null;
        socket.emit('status', { cameraId: cam.id, state: src.state });
        if (src.init) socket.emit('init', { cameraId: cam.id, ...src.init });
        if (!src.child && !src.restartTimer) this.start(src);
      });
      const leave = (id: string) => {
        watching.delete(id);
        void socket.leave(room(id));
        const src = this.sources.get(id);
        if (!src) return;
        src.viewers.delete(socket.id);
        if (src.viewers.size === 0 && !src.stopTimer) {
          src.stopTimer = setTimeout(() => void this.stopSource(src), this.deps.idleStopMs ?? 5000);
        }
      };
      socket.on('unwatch', (raw) => {
        const p = LiveWatch.safeParse(raw);
        if (p.success) leave(p.data.cameraId);
      });
      socket.on('disconnect', () => [...watching].forEach(leave));
    });
  }

  /** Stops every live ffmpeg. */
  async close(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => this.stopSource(s)));
  }

  private source(cam: CameraConfig): Source {
    let s = this.sources.get(cam.id);
    if (!s) {
      s = {
        cam,
        child: null,
        init: null,
        viewers: new Set(),
        state: 'starting',
        stopTimer: null,
        restartTimer: null,
        attempt: 0,
        probe: 'fast',
      };
      this.sources.set(cam.id, s);
    }
    return s;
  }

  private setState(src: Source, state: LiveState, message?: string): void {
    if (src.state === state) return;
    src.state = state;
    this.nsp
      ?.to(room(src.cam.id))
      .emit('status', { cameraId: src.cam.id, state, ...(message ? { message } : {}) });
  }

  private start(src: Source): void {
    const log = this.deps.log.child({ cameraId: src.cam.id, component: 'live' });
    let url: string;
    try {
      url = resolveCameraUrl(src.cam);
    } catch (e) {
      this.setState(src, 'offline', (e as Error).message);
      return;
    }
    const probe = src.probe;
    const child = spawnSupervised(this.deps.ffmpegPath ?? 'ffmpeg', buildLiveArgs(url, 5000, probe));
    src.child = child;
    src.init = null;
    const splitter = new Mp4BoxSplitter();
    let head: Buffer[] = [];
    let pendingMoof: Buffer | null = null;
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      let boxes;
      try {
        boxes = splitter.push(chunk);
      } catch (e) {
        log.error({ err: (e as Error).message }, 'bad live stream; restarting');
        void stopChild(child);
        return;
      }
      for (const b of boxes) {
        if (!src.init && (b.type === 'ftyp' || b.type === 'moov')) {
          head.push(b.data);
          if (b.type === 'moov') {
            const data = Buffer.concat(head);
            head = [];
            const codec = avcCodecString(data);
            if (!codec && probe === 'fast') {
              // No avcC: the SDP did not carry the parameters. Start again with analysis, at once.
              log.info('live header without codec parameters; restarting with stream analysis');
              src.probe = 'normal';
              src.attempt = 0;
              void stopChild(child);
              return;
            }
            if (!codec) {
              this.setState(src, 'unsupported', 'live view plays H.264 only');
              void stopChild(child);
              return;
            }
            src.init = { codec, data };
            src.attempt = 0;
            this.nsp?.to(room(src.cam.id)).emit('init', { cameraId: src.cam.id, ...src.init });
            this.setState(src, 'live');
          }
        } else if (b.type === 'moof') {
          pendingMoof = b.data;
        } else if (b.type === 'mdat' && pendingMoof) {
          this.nsp
            ?.to(room(src.cam.id))
            .emit('segment', { cameraId: src.cam.id, data: Buffer.concat([pendingMoof, b.data]) });
          pendingMoof = null;
        }
      }
    });
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.once('close', () => {
      if (src.child !== child) return;
      src.child = null;
      if (src.viewers.size === 0 || src.state === 'unsupported') return;
      if (probe === 'fast' && !src.init) {
        // A fast start that never produced a header: retry at once with stream analysis.
        if (src.probe === 'fast') log.info('live view fast start failed; restarting with stream analysis');
        src.probe = 'normal';
        this.start(src);
        return;
      }
      const why = redactUrl(stderr.trim().split('\n').at(-1) ?? '') || 'stream ended';
      this.setState(src, 'offline', why);
      const delay = backoffDelay(src.attempt++, { ...DEFAULT_BACKOFF, capMs: 10_000 }, Math.random());
      log.info({ delayMs: delay, why }, 'live view ffmpeg exited; retrying');
      src.restartTimer = setTimeout(() => {
        src.restartTimer = null;
        if (src.viewers.size > 0) this.start(src);
      }, delay);
    });
  }

  private async stopSource(src: Source): Promise<void> {
    if (src.stopTimer) clearTimeout(src.stopTimer);
    if (src.restartTimer) clearTimeout(src.restartTimer);
    src.stopTimer = src.restartTimer = null;
    const c = src.child;
    src.child = null;
    src.init = null;
    src.state = 'starting';
    if (c) await stopChild(c);
  }
}

const room = (cameraId: string) => `live:${cameraId}`;
