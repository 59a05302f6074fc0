/**
 * Pure builders of ffmpeg command lines. Nothing here spawns anything; the adapters in this folder do.
 */

/** How a camera's stream is decoded for sampling. */
export type DecodeMode =
  /** Decode every frame, keep one per interval (works for any GOP). */
  | 'all'
  /** Decode keyframes only (`-skip_frame nokey`): ~6× less CPU per 1080p25 camera end to end (BENCHMARKS.md), valid when the GOP ≤ the interval. */
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
  if (input.decodeMode === 'keyframes') args.push('-skip_frame', 'nokey');
  args.push('-i', input.url, '-an', '-sn', '-dn');
  const filters = [`fps=fps=${fpsRational(input.sampleIntervalMs)}`];
  if (input.maxWidth !== undefined) filters.push(`scale='min(${input.maxWidth},iw)':-2`);
  args.push('-vf', filters.join(','));
  args.push('-pix_fmt', 'rgb24', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1');
  return args;
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
 * Arguments of the live-view ffmpeg: RTSP in, the video track copied without re-encoding (`-c copy`) into
 * fragmented MP4 on stdout, one fragment per keyframe, for Media Source Extensions in the browser.
 */
export function buildLiveArgs(url: string, ioTimeoutMs = 5000): string[] {
  const rtsp = /^rtsps?:\/\//i.test(url)
    ? ['-rtsp_transport', 'tcp', '-timeout', String(ioTimeoutMs * 1000)]
    : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...rtsp,
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
    'pipe:1',
  ];
}
