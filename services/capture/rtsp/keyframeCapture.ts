/**
 * Keyframe capture through the built-in RTSP client (IO adapter): an {@link RtspKeyframeSession} receives the
 * camera's keyframes, a {@link KeyframeSampler} keeps one per sampling interval, and a long-lived per-camera
 * ffmpeg decodes just those ({@link buildKeyframeDecodeArgs}) into PPM frames. ffmpeg reads them from its stdin
 * with blocking reads, so it sleeps between keyframes instead of receiving every packet of the stream (a Unix
 * socket input costs 0.08 CPU-s/min per idle decoder: ffmpeg polls network inputs every 100 ms).
 */
import type { Writable } from 'node:stream';
import { buildKeyframeDecodeArgs, ivfFileHeader, ivfFrameHeader } from '../ffmpegArgs.ts';
import { PpmStreamParser, type RgbImage } from '../ppmStream.ts';
import { spawnSupervised, stopChild, type SupervisedChild } from '../processes.ts';
import { RtspClientError, RtspKeyframeSession, type RtspFailureKind } from './client.ts';
import { KeyframeSampler, type CodedKeyframe } from './depay.ts';

/** Keyframes written to the decoder and not yet decoded, beyond which a new keyframe is dropped (counted). */
export const MAX_DECODES_IN_FLIGHT = 2;
/** A keyframe undecoded for this long is taken as one ffmpeg rejected (it never answers for it), ms. */
const DECODE_STALE_MS = 10_000;

export interface KeyframeCaptureOptions {
  url: string;
  sampleIntervalMs: number;
  /** RTSP inactivity / answer timeout, ms. */
  timeoutMs: number;
  outputSize?: { width: number; height: number } | undefined;
  ffmpegPath?: string;
  now: () => number;
  /** A decoded sampled frame with the keyframe it came from; `readMs` as in SampledFrame. */
  onFrame: (image: RgbImage, readMs: number, coded: CodedKeyframe) => void;
  /** The capture ended (not after {@link KeyframeCapture.stop}); `reason` carries no credentials. */
  onEnd: (reason: string, kind: RtspFailureKind) => void;
}

/** One camera's built-in capture: RTSP session + sampler + decoder. Create, `start()`, later `stop()`. */
export class KeyframeCapture {
  private session: RtspKeyframeSession | null = null;
  private decoder: SupervisedChild | null = null;
  /** The decoder's stdin (IVF stream of sampled keyframes). */
  private input: Writable | null = null;
  private readonly inFlight: { at: number; coded: CodedKeyframe }[] = [];
  private stopped = false;
  private ended = false;
  private startedAt: number | null = null;
  private sampler: KeyframeSampler | null = null;
  /** Sampled keyframes not decoded because {@link MAX_DECODES_IN_FLIGHT} were already waiting. */
  dropped = 0;
  /** The decoder process (diagnostics: CPU/RSS in the bench). */
  get decoderPid(): number | undefined {
    return this.decoder?.pid;
  }

  constructor(private readonly o: KeyframeCaptureOptions) {}

  /** Bytes received from the RTSP server (diagnostics). */
  get bytes(): number {
    return this.session?.bytes ?? 0;
  }

  /**
   * Starts the RTSP session, then the decoder on its first use of a codec. Failures end the capture through
   * `onEnd` (never thrown).
   */
  start(): void {
    let session: RtspKeyframeSession;
    try {
      session = new RtspKeyframeSession({
        url: this.o.url,
        timeoutMs: this.o.timeoutMs,
        now: this.o.now,
        onKeyframe: (k) => this.keyframe(k),
      });
    } catch (e) {
      const err = e as RtspClientError;
      queueMicrotask(() => this.end(err.message, err.kind ?? 'protocol'));
      return;
    }
    this.session = session;
    void session.closed.then((e) => {
      if (e) this.end(e.message, e.kind);
    });
    session
      .start()
      .then((video) => {
        this.sampler = new KeyframeSampler(this.o.sampleIntervalMs, video.clockRate);
        this.startDecoder(video.codec);
      })
      .catch((e: unknown) => {
        const err = e instanceof RtspClientError ? e : new RtspClientError(String(e), 'protocol');
        this.end(err.message, err.kind);
      });
  }

  /** Stops the session (TEARDOWN) and the decoder. Resolves when both are gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.cleanup();
  }

  private keyframe(k: CodedKeyframe): void {
    if (!this.sampler?.take(k.timestamp)) return;
    const input = this.input;
    if (!input || this.ended) return;
    const now = this.o.now();
    while (this.inFlight.length > 0 && now - this.inFlight[0]!.at > DECODE_STALE_MS) this.inFlight.shift();
    if (this.inFlight.length >= MAX_DECODES_IN_FLIGHT) {
      this.dropped++;
      return;
    }
    this.inFlight.push({ at: now, coded: k });
    this.startedAt ??= now;
    input.write(ivfFrameHeader(k.annexB.length, now - this.startedAt));
    input.write(k.annexB);
  }

  private startDecoder(codec: 'h264' | 'hevc'): void {
    if (this.stopped || this.ended) return;
    const child = spawnSupervised(
      this.o.ffmpegPath ?? 'ffmpeg',
      buildKeyframeDecodeArgs({ codec, input: 'pipe:0', outputSize: this.o.outputSize }),
      { stdio: ['pipe', 'pipe', 'pipe'], stdinViaHost: true },
    );
    this.decoder = child;
    const parser = new PpmStreamParser();
    let stderr = '';
    let frameStartAt: number | null = null;
    child.stdout?.on('data', (chunk: Buffer) => {
      const now = this.o.now();
      frameStartAt ??= now;
      let frames: RgbImage[];
      try {
        frames = parser.push(chunk);
      } catch (e) {
        this.end(`bad frame stream from the keyframe decoder: ${(e as Error).message}`, 'protocol');
        return;
      }
      if (frames.length === 0) return;
      const readMs = now - frameStartAt;
      frameStartAt = parser.pending > 0 ? now : null;
      for (const image of frames) {
        const src = this.inFlight.shift();
        if (src) this.o.onFrame(image, readMs, src.coded);
      }
    });
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
    child.stdin?.on('error', () => undefined); // EPIPE when it exits; its 'close' reports why
    child.once('close', (code, signal) => {
      if (this.decoder !== child) return;
      this.decoder = null;
      const last = stderr.trim().split('\n').slice(-2).join(' | ');
      this.end(last || `keyframe decoder exited (code ${code}, signal ${signal})`, 'protocol');
    });
    child.stdin?.write(ivfFileHeader(codec));
    this.input = child.stdin;
  }

  private end(reason: string, kind: RtspFailureKind): void {
    if (this.ended) return;
    this.ended = true;
    void this.cleanup();
    if (!this.stopped) this.o.onEnd(reason, kind);
  }

  private async cleanup(): Promise<void> {
    this.ended = true;
    this.input?.end();
    this.input = null;
    const d = this.decoder;
    this.decoder = null;
    const s = this.session;
    this.session = null;
    await Promise.all([s?.stop(), d ? stopChild(d) : undefined]);
  }
}
