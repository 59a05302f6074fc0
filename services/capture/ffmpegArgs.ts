/**
 * Pure builders of ffmpeg command lines. Nothing here spawns anything; the adapters in this folder do.
 */

/** How a camera's stream is decoded for sampling. */
export type DecodeMode =
  /** Decode every frame, keep one per interval (works for any GOP). */
  | 'all'
  /** Decode keyframes only (`-discard nokey -skip_frame nokey`): several times less CPU per 1080p25 camera end to end (BENCHMARKS.md, section 1), valid when the GOP ≤ the interval. */
  | 'keyframes';

export interface CaptureArgsInput {
  /** Camera URL (rtsp://, or a file path for tests). Passed to ffmpeg unchanged. */
  url: string;
  /** Interval between sampled frames, ms. */
  sampleIntervalMs: number;
  decodeMode?: DecodeMode;
  /** RTSP lower transport; TCP by default (UDP hangs silently on lossy links). */
  rtspTransport?: 'tcp' | 'udp';
  /** Socket I/O timeout, ms: ffmpeg's `-timeout` (µs) for RTSP. Without it a hung server blocks ffmpeg forever. */
  ioTimeoutMs?: number;
  /** Optional downscale: frames wider than this are scaled down (aspect kept, even sizes), px. */
  maxWidth?: number;
  /**
   * Exact output frame size, px (even): ffmpeg scales inside its pipeline (swscale, bilinear) before the RGB
   * conversion, so Node receives and copies only what the models need (see {@link captureOutputSize}).
   * Applied after `maxWidth` when both are given. A fixed size also means a mid-stream resolution change of
   * the camera never changes the frame size downstream.
   */
  outputSize?: { width: number; height: number } | undefined;
  /**
   * Decoder threads (default 1). Keyframe-only sampling decodes one intra frame per interval: frame threading
   * only adds per-thread buffers (RSS) and a frame of latency, slice threading gains nothing at 0.5 fps.
   * Pass 0 to let ffmpeg choose (its default: one thread per core + 1).
   */
  decoderThreads?: number;
}

/** Formats a sampling rate as an exact rational for ffmpeg's fps filter: 2000 ms → "1000/2000". */
export function fpsRational(sampleIntervalMs: number): string {
  if (!Number.isFinite(sampleIntervalMs) || sampleIntervalMs <= 0) {
    throw new RangeError(`sampleIntervalMs must be > 0, got ${sampleIntervalMs}`);
  }
  return `1000/${Math.round(sampleIntervalMs)}`;
}

/**
 * Builds the arguments of the per-camera sampling ffmpeg: RTSP in, one frame every `sampleIntervalMs` out on
 * stdout as binary PPM (P6: a text header with width/height, then packed RGB24). The per-frame header means
 * a mid-stream resolution change can never misalign a raw buffer.
 *
 * @throws RangeError for a non-positive interval.
 */
export function buildCaptureArgs(input: CaptureArgsInput): string[] {
  const isRtsp = /^rtsps?:\/\//i.test(input.url);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (isRtsp) {
    args.push('-rtsp_transport', input.rtspTransport ?? 'tcp');
    args.push('-timeout', String(Math.round((input.ioTimeoutMs ?? 5000) * 1000)));
  }
  // Keyframe mode: `-discard nokey` drops non-key packets in the demuxer/ffmpeg before they reach the decoder
  // (no bitstream parsing of P-frames in the decoder), `-skip_frame nokey` makes the decoder skip any that get
  // through. Both are input options (before -i).
  if (input.decodeMode === 'keyframes') args.push('-discard', 'nokey', '-skip_frame', 'nokey');
  const threads = input.decoderThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 0)
    throw new RangeError(`decoderThreads must be an integer >= 0, got ${threads}`);
  args.push('-threads', String(threads));
  args.push('-i', input.url, '-an', '-sn', '-dn');
  const filters = [`fps=fps=${fpsRational(input.sampleIntervalMs)}`];
  if (input.maxWidth !== undefined) filters.push(`scale='min(${input.maxWidth},iw)':-2`);
  if (input.outputSize !== undefined) {
    const { width, height } = input.outputSize;
    if (!(width >= 2 && height >= 2 && width % 2 === 0 && height % 2 === 0))
      throw new RangeError(`outputSize must be even and >= 2 px, got ${width}x${height}`);
    filters.push(`scale=${width}:${height}:flags=bilinear`);
  }
  args.push('-vf', filters.join(','));
  args.push('-pix_fmt', 'rgb24', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1');
  return args;
}

/** What one enabled detector needs from a camera's frames (from the loaded model's spec). */
export interface FrameNeed {
  /** Model input size, px. */
  input: { width: number; height: number };
  /**
   * True when the model analyses the frame at native scale (tiling `auto`/`always`: small, distant targets
   * such as a 3×3 px hot spot must not be scaled away); false when it resizes the whole frame to its input
   * (tiling `never`).
   */
  nativeScale: boolean;
  /**
   * How a whole-frame model maps the frame onto its input: `stretch` (each axis scaled on its own: heatmap
   * models) or `letterbox` (aspect kept, padded: YOLO). Absent: treated as `letterbox` (the frame's aspect is
   * kept).
   */
  resize?: 'stretch' | 'letterbox';
}

/**
 * The frame size a camera's sampling ffmpeg should output, px, or null to keep the native size.
 *
 * Why: every sampled frame is piped to Node, copied, checked, and resized again by each model. A model that
 * resizes the whole frame to its input (smoke: 640×480, tiling `never`) cannot use more pixels than that, so
 * decoding a 1920×1080 keyframe into a 6.2 MB RGB frame only to shrink it in Node wastes the pipe, the copies
 * and the resize. Scaling inside ffmpeg (swscale, before the RGB conversion) is cheaper than any of those.
 * Rules:
 * - any enabled model with `nativeScale` (hotspot tiles thermal frames at native resolution) → native size
 *   (null): downscaling would erase the small targets tiling exists for;
 * - otherwise the smallest aspect-preserving size that still covers every model's input on both axes
 *   (e.g. 1920×1080 with a 640×480 input → 854×480), so the model's own stretch/letterbox sees no fewer pixels
 *   than its input, and evidence snapshots keep the camera's aspect ratio;
 * - never upscale (null when the native size is already within that), sizes rounded up to even numbers
 *   (yuv420p chroma).
 * @param native the probed stream size, px; null when unknown (→ null: keep native).
 * @param needs one entry per enabled detector of the camera (all presets); empty → null.
 */
export function captureOutputSize(
  native: { width: number; height: number } | null,
  needs: readonly FrameNeed[],
): { width: number; height: number } | null {
  if (!native || native.width < 2 || native.height < 2 || needs.length === 0) return null;
  if (needs.some((n) => n.nativeScale)) return null;
  const scale = Math.max(
    ...needs.map((n) => Math.max(n.input.width / native.width, n.input.height / native.height)),
  );
  if (scale >= 1) return null;
  // Round to 1e-6 first so that e.g. 1080 × (480/1080) stays 480, not 480.00000000000006 → 482.
  const evenUp = (v: number, max: number) => Math.min(max, 2 * Math.ceil(Math.round(v * 1e6) / 2e6));
  const width = evenUp(native.width * scale, native.width);
  const height = evenUp(native.height * scale, native.height);
  if (width >= native.width && height >= native.height) return null;
  return { width, height };
}

/** Frame sizes for one camera's sampling ffmpeg ({@link captureFrameSize}). */
export interface CaptureFrameSize {
  /** Size ffmpeg outputs, px; null = native size. */
  output: { width: number; height: number } | null;
  /** Size people see the frames at (`RgbImage.display`) when `output` does not keep the aspect; else null. */
  display: { width: number; height: number } | null;
}

/**
 * The capture frame size, extending {@link captureOutputSize} with one case: when every enabled model is a
 * whole-frame `stretch` model (tiling `never`) with the same input size, ffmpeg outputs **exactly** that size
 * (non-uniform scale, upscaling a short axis if need be). The model then receives the frame as it is, with no
 * resize in Node: swscale scales in the same pass as its YUV → RGB conversion (+2 ms of ffmpeg CPU per
 * 640×360 → 640×480 frame, measured with `ffmpeg -skip_frame nokey … -vf scale=640:480` on this project's
 * 2-core machine, 2026-11-30), where sharp's stretch of the aspect-kept frame cost 2.0 ms (854×480 → 640×480)
 * to 6.4 ms (640×360 → 640×480) of libvips CPU plus a 0.9 MB copy. This is what NVRs do for their detect
 * stream (Frigate's `detect.width/height` are applied by ffmpeg). People still see the camera's aspect:
 * `display` is the aspect-kept size the old rule gives (or the native size), and evidence is rendered at it.
 * Letterbox models (YOLO), mixed input sizes, tiling models and dust (`height: 0` work size) keep the
 * aspect-kept rule, with `display` null.
 * @param native the probed stream size, px; null when unknown (→ native output, no display size).
 */
export function captureFrameSize(
  native: { width: number; height: number } | null,
  needs: readonly FrameNeed[],
): CaptureFrameSize {
  const kept = captureOutputSize(native, needs);
  const first = needs[0];
  const exact =
    native !== null &&
    first !== undefined &&
    needs.every(
      (n) =>
        !n.nativeScale &&
        n.resize === 'stretch' &&
        n.input.width === first.input.width &&
        n.input.height === first.input.height,
    ) &&
    first.input.width >= 2 &&
    first.input.height >= 2 &&
    first.input.width % 2 === 0 &&
    first.input.height % 2 === 0;
  if (!exact || native === null) return { output: kept, display: null };
  const { width, height } = first.input;
  if (width === native.width && height === native.height) return { output: null, display: null };
  const display = kept ?? native;
  return {
    output: { width, height },
    display: display.width === width && display.height === height ? null : { ...display },
  };
}

/**
 * Arguments for a demo/test publisher that loops a clip into MPEG-TS over UDP without re-encoding
 * (`-c copy`), at real-time pace (`-re`).
 */
export function buildLoopFeederArgs(clipPath: string, udpPort: number): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-stream_loop',
    '-1',
    '-i',
    clipPath,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-f',
    'mpegts',
    `udp://127.0.0.1:${udpPort}?pkt_size=1316`,
  ];
}

/**
 * How the live view's ffmpeg probes its input before writing the MP4 header.
 * - `fast`: no analysis (`-analyzeduration 0 -probesize 32`): the codec parameters come from the RTSP SDP
 *   (`sprop-parameter-sets`, sent by nearly every IP camera), so the header is out as soon as PLAY answers.
 *   Measured on the demo server (2 fps thermal clip, GOP 1 s): header after 0.7 s, first fragment 1.7 s, against
 *   11.9 s with ffmpeg's defaults (5 s analysis at 2 fps) and 2.9 s with `normal`.
 * - `normal`: one second of analysis (`-analyzeduration 1000000`), for a camera whose SDP lacks the parameters
 *   (the fast header then has no `avcC`; the live view retries in this mode).
 */
export type LiveProbe = 'fast' | 'normal';

/**
 * Arguments for a live view: RTSP over TCP, video copied (no transcoding) into fragmented MP4 on stdout, a
 * fragment at every keyframe and at least every 250 ms (`-frag_duration`, so low-fps or long-GOP cameras do not
 * wait a whole GOP per fragment), written at once (`-flush_packets 1`).
 */
export function buildLiveArgs(url: string, ioTimeoutMs = 5000, probe: LiveProbe = 'normal'): string[] {
  const rtsp = /^rtsps?:\/\//i.test(url)
    ? ['-rtsp_transport', 'tcp', '-timeout', String(ioTimeoutMs * 1000)]
    : [];
  const analysis =
    probe === 'fast' ? ['-analyzeduration', '0', '-probesize', '32'] : ['-analyzeduration', '1000000'];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...rtsp,
    ...analysis,
    '-i',
    url,
    '-map',
    '0:v:0',
    '-an',
    '-c:v',
    'copy',
    '-f',
    'mp4',
    '-movflags',
    'frag_keyframe+empty_moov+default_base_moof',
    '-frag_duration',
    '250000',
    '-flush_packets',
    '1',
    'pipe:1',
  ];
}

/** Input of {@link buildKeyframeDecodeArgs}. */
export interface KeyframeDecodeArgsInput {
  /** Codec of the keyframes (ffmpeg decoder name). */
  codec: 'h264' | 'hevc';
  /**
   * Where ffmpeg reads the keyframes, as an IVF stream ({@link ivfFileHeader}): an ffmpeg input URL, `pipe:0`
   * (stdin: blocking reads, no wake-ups while idle) for the built-in RTSP client.
   */
  input: string;
  /** Exact output size, px (even); as in {@link CaptureArgsInput.outputSize}. */
  outputSize?: { width: number; height: number } | undefined;
  /** Decoder threads (default 1, see {@link CaptureArgsInput.decoderThreads}). */
  decoderThreads?: number;
}

/**
 * Arguments of the per-camera keyframe decoder used with the built-in RTSP client (`rtspClient: builtin`): the
 * keyframes the client sampled come in framed as IVF, one PPM frame goes out per keyframe, at once. Every
 * choice here removes one frame of lag, each measured with ffmpeg 5.1 on a 1280×960 demo clip fed at 2 fps
 * (scripts/bench notes in docs/decisions.md, "RTSP receive"):
 * - IVF framing, not a raw Annex B stream: the raw demuxer's parser ends a picture only when the next one
 *   starts (even an access unit delimiter after it did not help), IVF carries each picture's size;
 * - no `-fflags nobuffer`: it discards the packets read while probing, i.e. the first keyframe;
 * - `-flush_packets 1`: otherwise the tail of each PPM frame stays in ffmpeg's 32 KiB output buffer until the
 *   next frame pushes it out;
 * - `-fps_mode passthrough`: no frame dropped or duplicated from timestamps; the client already sampled;
 * - the decoder's own reordering delay is removed upstream, in the SPS (rtsp/sps.ts).
 * @throws RangeError for a bad output size or thread count.
 */
export function buildKeyframeDecodeArgs(input: KeyframeDecodeArgsInput): string[] {
  const threads = input.decoderThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 0)
    throw new RangeError(`decoderThreads must be an integer >= 0, got ${threads}`);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  args.push('-probesize', '32', '-analyzeduration', '0', '-flags', 'low_delay');
  // The decoder is named: ffmpeg 5.1's IVF demuxer knows no FourCC for H.265 (the stream comes out as codec
  // "none"), and a named decoder sets the stream's codec.
  args.push('-threads', String(threads), '-c:v', input.codec, '-f', 'ivf', '-i', input.input);
  args.push('-an', '-sn', '-dn');
  if (input.outputSize !== undefined) {
    const { width, height } = input.outputSize;
    if (!(width >= 2 && height >= 2 && width % 2 === 0 && height % 2 === 0))
      throw new RangeError(`outputSize must be even and >= 2 px, got ${width}x${height}`);
    args.push('-vf', `scale=${width}:${height}:flags=bilinear`);
  }
  args.push('-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', '-flush_packets', '1');
  args.push('-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1');
  return args;
}

/**
 * The 32-byte IVF file header (the container of libvpx test streams; ffmpeg's `ivf` demuxer maps the FourCC
 * through its BMP tag table, so `H264` and `HEVC` work): signature `DKIF`, version 0, header size 32, FourCC,
 * width/height (informative: the decoder reads the SPS), time base 1/1000 (frame timestamps in ms), frame count
 * 0 (unknown, live).
 */
export function ivfFileHeader(codec: 'h264' | 'hevc', width = 0, height = 0): Buffer {
  const h = Buffer.alloc(32);
  h.write('DKIF', 0, 'latin1');
  h.writeUInt16LE(0, 4);
  h.writeUInt16LE(32, 6);
  h.write(codec === 'h264' ? 'H264' : 'HEVC', 8, 'latin1');
  h.writeUInt16LE(Math.min(0xffff, width), 12);
  h.writeUInt16LE(Math.min(0xffff, height), 14);
  h.writeUInt32LE(1000, 16);
  h.writeUInt32LE(1, 20);
  return h;
}

/** The 12-byte IVF frame header: payload size (bytes, u32 LE) and timestamp (ms, u64 LE). */
export function ivfFrameHeader(size: number, ptsMs: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(size, 0);
  h.writeBigUInt64LE(BigInt(Math.max(0, Math.round(ptsMs))), 4);
  return h;
}
