/**
 * The built-in RTSP client (IO adapter): one RTSP/TCP session per camera (OPTIONS → DESCRIBE → SETUP of the
 * video track with RTP interleaved on the same connection → PLAY, keep-alive, TEARDOWN), handing complete
 * keyframes to its caller. The protocol rules are pure and tested in messages.ts, sdp.ts and depay.ts.
 *
 * Why it exists (docs/decisions.md, "RTSP receive"): a per-camera ffmpeg receiving RTSP pays system calls
 * and wake-ups for every packet of every frame, only to discard 49 of 50 pictures; here the packets of
 * non-key pictures are skipped in the same event-loop turn that reads them, without copying.
 */
import net from 'node:net';
import { redactUrl } from '../../util/logger.ts';
import { KeyframeDepacketizer, parseRtp, type CodedKeyframe, type DepayStats } from './depay.ts';
import {
  authorization,
  buildRequest,
  parseChallenge,
  parseSession,
  RtspDemuxer,
  type AuthChallenge,
  type RtspText,
} from './messages.ts';
import {
  buildReceiverReport,
  parseSenderReports,
  publisherTimeMs,
  ReceptionStats,
  type SenderReport,
} from './rtcp.ts';
import { parseSdpVideo, resolveControlUrl, SdpError, type SdpVideo } from './sdp.ts';

/**
 * Why a session failed: `auth` (401 after sending credentials), `unsupported` (the server or stream needs
 * something this client does not do: the camera should use ffmpeg), `network`/`protocol` (retry).
 */
/**
 * `connect`: no TCP connection to the server at all (refused, unreachable, DNS, connect timeout): the camera or
 * its network is down, which says nothing about whether this client can read the stream. `network`: the
 * connection dropped or went silent after it was made. `protocol`: an answer this client could not use.
 */
export type RtspFailureKind = 'auth' | 'unsupported' | 'connect' | 'network' | 'protocol';

/** A session failure; `message` never contains credentials. */
export class RtspClientError extends Error {
  override name = 'RtspClientError';
  constructor(
    message: string,
    readonly kind: RtspFailureKind,
  ) {
    super(message);
  }
}

export interface RtspSessionOptions {
  /** `rtsp://host[:port]/path`, credentials optionally in the URL userinfo: they are sent only in Authorization headers. */
  url: string;
  /** No byte from the server for this long (or no answer to a request) ends the session, ms. */
  timeoutMs: number;
  /** Called with each complete keyframe (parameter sets in front) and the time its last packet arrived. */
  onKeyframe: (k: CodedKeyframe, receivedAt: number) => void;
  now?: () => number;
}

/** Size of the socket's reusable read buffer, bytes (one read takes whatever the kernel has queued, up to this). */
const READ_BUFFER_BYTES = 256 * 1024;

/** Interval between RTCP receiver reports, ms (RFC 3550 §6.2: the recommended minimum of 5 s). */
const RTCP_RR_INTERVAL_MS = 5000;

/** Extra time allowed for the first media bytes after connecting, ms. */
const FIRST_MEDIA_GRACE_MS = 10_000;

/** One RTSP session receiving keyframes of a camera's first H.264/H.265 video track. */
export class RtspKeyframeSession {
  private socket: net.Socket | null = null;
  private readonly demux = new RtspDemuxer();
  private cseq = 0;
  private readonly pending = new Map<number, (r: RtspText) => void>();
  private readonly requestUrl: string;
  private readonly user: string;
  private readonly password: string;
  private challenge: AuthChallenge | null = null;
  private nc = 0;
  private session: string | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private depay: KeyframeDepacketizer | null = null;
  private rtpChannel = 0;
  private payloadType = -1;
  private clockRate = 90_000;
  private readonly reception = new ReceptionStats();
  /** Latest RTCP sender report and when it arrived (epoch ms). */
  private lastSr: { sr: SenderReport; at: number } | null = null;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private rtcpTimer: NodeJS.Timeout | null = null;
  private ended = false;
  private resolveClosed!: (e: RtspClientError | null) => void;
  /** Settles once when the session ends: the error, or null after {@link stop}. */
  readonly closed: Promise<RtspClientError | null> = new Promise((r) => (this.resolveClosed = r));
  /** The SDP's video track, once described. */
  video: SdpVideo | null = null;
  /** RTP/interleaved bytes received (diagnostics). */
  bytes = 0;
  /** How far the session got (diagnostics in error messages). */
  private phase = 'connecting';

  constructor(private readonly o: RtspSessionOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new RtspClientError(`bad RTSP URL: ${redactUrl(o.url)}`, 'protocol');
    }
    if (u.protocol !== 'rtsp:')
      throw new RtspClientError(`${u.protocol} is not supported by the built-in client`, 'unsupported');
    this.user = decodeURIComponent(u.username);
    this.password = decodeURIComponent(u.password);
    u.username = '';
    u.password = '';
    this.requestUrl = u.toString();
  }

  /** Depacketizer counters (null before DESCRIBE). */
  get stats(): DepayStats | null {
    return this.depay?.stats ?? null;
  }

  /**
   * Connects and plays. Resolves with the video track once PLAY is answered; keyframes then flow to
   * `onKeyframe` until the session ends ({@link closed}).
   * @throws RtspClientError (auth, unsupported, network, protocol).
   */
  async start(): Promise<SdpVideo> {
    const u = new URL(this.requestUrl);
    await new Promise<void>((resolve, reject) => {
      // `onread`: the socket reads into one reusable buffer and calls back directly, without the stream
      // machinery and without a new Buffer per read (every packet of a 25 fps stream is read, 49 of 50
      // pictures are thrown away). Everything kept from a chunk is copied by the demuxer/depacketizer.
      const s = net.connect({
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: Number(u.port || 554),
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
          callback: (n: number, buf: Uint8Array) => {
            this.data(Buffer.from(buf.buffer, buf.byteOffset, n));
            return !this.ended;
          },
        },
      });
      this.socket = s;
      s.setNoDelay(true);
      // Until media flows, allow 10 s more: a live server may start its pipeline only at PLAY and wait for a
      // keyframe (the demo server with several cameras starting at once: 5–8 s).
      let connected = false;
      s.setTimeout(this.o.timeoutMs + FIRST_MEDIA_GRACE_MS, () =>
        this.fail(
          new RtspClientError(
            `RTSP timeout: nothing received for ${this.o.timeoutMs + (this.bytes > 0 ? 0 : FIRST_MEDIA_GRACE_MS)} ms (${this.phase})`,
            connected ? 'network' : 'connect',
          ),
        ),
      );
      s.once('connect', () => {
        connected = true;
        resolve();
      });
      s.once('error', (e) => {
        const err = new RtspClientError(
          `RTSP connection failed: ${e.message}`,
          connected ? 'network' : 'connect',
        );
        reject(err);
        this.fail(err);
      });
      s.once('close', () => this.fail(new RtspClientError('RTSP server closed the connection', 'network')));
    });
    this.phase = 'before OPTIONS answer';
    const opts = await this.request('OPTIONS', this.requestUrl);
    this.phase = 'before DESCRIBE answer';
    const describe = await this.request('DESCRIBE', this.requestUrl, { Accept: 'application/sdp' });
    let video: SdpVideo;
    try {
      video = parseSdpVideo(describe.body.toString('utf8'));
    } catch (e) {
      if (e instanceof SdpError) throw this.fail(new RtspClientError(e.message, 'unsupported'));
      throw e;
    }
    if (video.donl)
      throw this.fail(new RtspClientError('H.265 with DONL (sprop-max-don-diff > 0)', 'unsupported'));
    this.video = video;
    this.payloadType = video.payloadType;
    this.clockRate = video.clockRate;
    this.depay = new KeyframeDepacketizer(video.codec, video.parameterSets);
    const base = describe.headers['content-base'] ?? describe.headers['content-location'] ?? this.requestUrl;
    this.phase = 'before SETUP answer';
    const setup = await this.request('SETUP', resolveControlUrl(base, video.control), {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
    });
    const transport = setup.headers.transport ?? '';
    if (!/TCP/i.test(transport) && transport !== '')
      throw this.fail(new RtspClientError(`server refused RTP over TCP: ${transport}`, 'unsupported'));
    const ch = /interleaved=(\d+)/i.exec(transport);
    this.rtpChannel = ch ? Number(ch[1]) : 0;
    const sess = parseSession(setup.headers.session);
    if (!sess) throw this.fail(new RtspClientError('SETUP answer without a Session header', 'protocol'));
    this.session = sess.id;
    this.phase = 'before PLAY answer';
    await this.request('PLAY', base, { Range: 'npt=0.000-' });
    this.phase = 'after PLAY, no media yet';
    const canGetParameter = /GET_PARAMETER/i.test(opts.headers.public ?? '');
    // Refresh at half the session timeout (RFC 2326 §12.37), and at least every 30 s.
    const every = Math.min(30_000, (sess.timeoutS * 1000) / 2);
    this.keepalive = setInterval(() => {
      this.send(canGetParameter ? 'GET_PARAMETER' : 'OPTIONS', this.requestUrl);
    }, every);
    this.keepalive.unref();
    this.rtcpTimer = setInterval(() => this.receiverReport(), RTCP_RR_INTERVAL_MS);
    this.rtcpTimer.unref();
    return video;
  }

  /** Sends TEARDOWN (best effort) and closes the connection. Resolves at once if already ended. */
  async stop(): Promise<void> {
    if (this.ended) return;
    if (this.session && this.socket?.writable) {
      this.send('TEARDOWN', this.requestUrl);
      await new Promise((r) => setTimeout(r, 20));
    }
    this.end(null);
  }

  private data(chunk: Buffer): void {
    let items;
    try {
      items = this.demux.push(chunk);
    } catch (e) {
      this.fail(new RtspClientError((e as Error).message, 'protocol'));
      return;
    }
    const now = this.o.now?.() ?? Date.now();
    for (const it of items) {
      if (it.kind === 'data') {
        if (this.bytes === 0) {
          this.socket?.setTimeout(this.o.timeoutMs);
          this.phase = 'media flowing';
        }
        this.bytes += it.payload.length;
        if (it.channel === this.rtpChannel + 1) {
          const sr = parseSenderReports(it.payload).at(-1);
          if (sr) this.lastSr = { sr, at: now };
          continue;
        }
        if (it.channel !== this.rtpChannel || !this.depay) continue;
        const p = parseRtp(it.payload);
        if (!p || p.payloadType !== this.payloadType) continue;
        this.reception.packet(p.seq, p.ssrc);
        const k = this.depay.push(p);
        if (!k) continue;
        this.o.onKeyframe(
          this.lastSr ? { ...k, sentAt: publisherTimeMs(this.lastSr.sr, k.timestamp, this.clockRate) } : k,
          now,
        );
      } else if (it.kind === 'response') {
        const cseq = Number(it.headers.cseq);
        const cb = this.pending.get(cseq);
        this.pending.delete(cseq);
        cb?.(it);
      }
      // Requests from the server (ANNOUNCE, GET_PARAMETER as keep-alive probes) need no answer from a player.
    }
  }

  /** Sends an RTCP receiver report (+ SDES) on the interleaved RTCP channel once RTP has arrived. */
  private receiverReport(): void {
    if (!this.reception.started || !this.socket?.writable) return;
    const now = this.o.now?.() ?? Date.now();
    const rtcp = buildReceiverReport({
      ssrc: this.ssrc,
      sourceSsrc: this.reception.ssrc,
      ...this.reception.report(),
      lastSr: this.lastSr?.sr.ntpMiddle ?? 0,
      sinceLastSrMs: this.lastSr ? now - this.lastSr.at : 0,
      cname: 'towerwatch',
    });
    const head = Buffer.from([0x24, this.rtpChannel + 1, 0, 0]);
    head.writeUInt16BE(rtcp.length, 2);
    this.socket.write(Buffer.concat([head, rtcp]));
  }

  private headers(method: string, url: string, extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { 'User-Agent': 'TowerWatch', ...extra };
    if (this.session) h.Session = this.session;
    if (this.challenge)
      h.Authorization = authorization(this.challenge, this.user, this.password, method, url, ++this.nc);
    return h;
  }

  private send(method: string, url: string, extra: Record<string, string> = {}): number {
    const cseq = ++this.cseq;
    this.socket?.write(buildRequest(method, url, cseq, this.headers(method, url, extra)));
    return cseq;
  }

  /** Sends a request and waits for its answer; retries once with credentials after a 401. */
  private async request(method: string, url: string, extra: Record<string, string> = {}): Promise<RtspText> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.exchange(method, url, extra);
      if (res.status === 401 && attempt === 0 && this.user !== '') {
        const c = parseChallenge(res.headers['www-authenticate']);
        if (!c)
          throw this.fail(
            new RtspClientError(
              `RTSP ${method}: 401 with an unsupported authentication scheme`,
              'unsupported',
            ),
          );
        this.challenge = c;
        this.nc = 0;
        continue;
      }
      if (res.status === 401)
        throw this.fail(new RtspClientError(`RTSP ${method}: 401 Unauthorized`, 'auth'));
      if (res.status < 200 || res.status >= 300) {
        const kind = res.status === 461 || res.status === 501 ? 'unsupported' : 'protocol';
        throw this.fail(new RtspClientError(`RTSP ${method}: ${res.status} ${res.reason}`, kind));
      }
      return res;
    }
  }

  private exchange(method: string, url: string, extra: Record<string, string>): Promise<RtspText> {
    if (this.ended) return Promise.reject(new RtspClientError('RTSP session ended', 'network'));
    return new Promise<RtspText>((resolve, reject) => {
      const cseq = this.send(method, url, extra);
      // Answers during the set-up get the same grace as the first media: a live server prepares its pipeline
      // while it answers DESCRIBE/SETUP.
      const ms = this.o.timeoutMs + FIRST_MEDIA_GRACE_MS;
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        reject(this.fail(new RtspClientError(`RTSP ${method}: no answer in ${ms} ms`, 'network')));
      }, ms);
      this.pending.set(cseq, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      void this.closed.then((e) => {
        if (!this.pending.has(cseq)) return;
        this.pending.delete(cseq);
        clearTimeout(timer);
        reject(e ?? new RtspClientError('RTSP session stopped', 'network'));
      });
    });
  }

  /** Ends the session with an error (first error wins); returns it for `throw this.fail(...)`. */
  private fail(e: RtspClientError): RtspClientError {
    this.end(e);
    return e;
  }

  private end(e: RtspClientError | null): void {
    if (this.ended) return;
    this.ended = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
    if (this.rtcpTimer) clearInterval(this.rtcpTimer);
    this.rtcpTimer = null;
    this.socket?.destroy();
    this.socket = null;
    this.resolveClosed(e);
  }
}
