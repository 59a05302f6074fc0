/**
 * Stream probing: which codec, what size, how far apart the keyframes are. The pure parts decide the decode
 * mode; `probeStream` is the ffprobe adapter.
 */
import { signalGroup, spawnSupervised } from './processes.ts';
import type { DecodeMode } from './ffmpegArgs.ts';

export interface StreamProbe {
  codec: string;
  width: number;
  height: number;
  /** Median interval between keyframes, ms; null when fewer than two keyframes were seen. */
  gopMs: number | null;
}

/** One video packet as ffprobe reports it: presentation time (s) and whether it is a keyframe. */
export interface ProbePacket {
  ptsS: number;
  key: boolean;
}

/** Median interval between consecutive keyframes (ms), or null with fewer than two keyframes. */
export function gopFromPackets(packets: ProbePacket[]): number | null {
  const keys = packets
    .filter((p) => p.key && Number.isFinite(p.ptsS))
    .map((p) => p.ptsS)
    .sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < keys.length; i++) {
    const g = keys[i]! - keys[i - 1]!;
    if (g > 0) gaps.push(g);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  return Math.round(gaps[Math.floor(gaps.length / 2)]! * 1000);
}

/** Slack on the GOP measured over RTSP: packet timestamps jitter by a few ms (a 1 s GOP reads as 1006 ms). */
export const GOP_TOLERANCE = 1.1;

/**
 * Keyframe-only decoding when keyframes come at least as often as frames are sampled (each sample can be a
 * keyframe, ~10× cheaper: see docs/decisions.md), within {@link GOP_TOLERANCE}; otherwise decode everything and
 * keep one frame per interval. Unknown GOP → `all` (always correct).
 */
export function chooseDecodeMode(gopMs: number | null, sampleIntervalMs: number): DecodeMode {
  return gopMs !== null && gopMs <= sampleIntervalMs * GOP_TOLERANCE ? 'keyframes' : 'all';
}

/** Parses `ffprobe -of json -show_streams -show_packets` output (pure). @throws Error when there is no video stream. */
export function parseProbeJson(json: string): StreamProbe {
  const d = JSON.parse(json) as {
    streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[];
    packets?: { pts_time?: string; flags?: string }[];
  };
  const v = d.streams?.find((s) => s.codec_type === 'video' || s.codec_name !== undefined);
  if (!v?.codec_name) throw new Error('no video stream found');
  const packets = (d.packets ?? []).map((p) => ({
    ptsS: Number(p.pts_time),
    key: (p.flags ?? '').includes('K'),
  }));
  return { codec: v.codec_name, width: v.width ?? 0, height: v.height ?? 0, gopMs: gopFromPackets(packets) };
}

/** Arguments for probing `url` for `durationS` seconds of packets (pure). */
/** ffprobe's socket I/O timeout (`-timeout`) unless a caller passes another, ms. */
export const PROBE_IO_TIMEOUT_MS = 5000;

/**
 * A readable reason for a failed probe (pure). A host that accepts the TCP connection and never answers makes
 * ffprobe give up after its I/O timeout with "Invalid data found when processing input", the same words a
 * non-RTSP server earns at once: the time it took tells them apart (the admin connection test uses the same
 * rule). Other messages are returned as they are. `elapsedMs`: how long the probe ran.
 */
export function explainProbeFailure(message: string, elapsedMs: number): string {
  if (/Invalid data found/i.test(message) && elapsedMs >= PROBE_IO_TIMEOUT_MS * 0.9)
    return `no RTSP answer: the camera accepted the connection but sent nothing for ${Math.round(elapsedMs / 1000)} s (ffprobe: ${message})`;
  return message;
}

export function buildProbeArgs(url: string, durationS: number, ioTimeoutMs = PROBE_IO_TIMEOUT_MS): string[] {
  const rtsp = /^rtsps?:\/\//i.test(url)
    ? ['-rtsp_transport', 'tcp', '-timeout', String(ioTimeoutMs * 1000)]
    : [];
  return [
    '-v',
    'error',
    ...rtsp,
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_type,codec_name,width,height:packet=pts_time,flags',
    '-read_intervals',
    `%+${durationS}`,
    '-of',
    'json',
    url,
  ];
}

/**
 * Runs ffprobe on the stream for `durationS` seconds of packets.
 * @throws Error with ffprobe's (credential-free: the caller redacts) message on failure or after `timeoutMs`.
 */
export function probeStream(url: string, durationS: number, timeoutMs: number): Promise<StreamProbe> {
  return new Promise((resolve, reject) => {
    // Through spawnSupervised (the spawn host when installed): a probe runs before every capture (re)start.
    const child = spawnSupervised('ffprobe', buildProbeArgs(url, durationS));
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let timedOut = false;
    let tooBig = false;
    child.stdout?.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= 16 << 20) out.push(b);
      else if (!tooBig) {
        tooBig = true;
        signalGroup(child, 'SIGKILL');
      }
    });
    child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (tooBig) {
        reject(new Error('ffprobe output exceeded 16 MiB'));
        return;
      }
      if (code !== 0) {
        const why = timedOut
          ? `ffprobe timed out after ${timeoutMs} ms`
          : `ffprobe exited with ${code ?? signal ?? 'unknown'}`;
        reject(new Error(stderr.trim().split('\n').slice(-2).join(' | ') || why));
        return;
      }
      try {
        resolve(parseProbeJson(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
