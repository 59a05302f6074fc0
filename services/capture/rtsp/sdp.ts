/**
 * Pure SDP reading for the built-in RTSP client: the first H.264 or H.265 video media of a DESCRIBE answer
 * (RFC 8866 session description; RTP payload formats RFC 6184 for H.264, RFC 7798 for H.265).
 */

/** Video codecs the built-in client depacketizes. */
export type VideoCodec = 'h264' | 'hevc';

/** What the client needs from the SDP's video media. */
export interface SdpVideo {
  codec: VideoCodec;
  /** RTP payload type (96–127 for dynamic types). */
  payloadType: number;
  /** RTP clock rate, Hz (90 000 for video). */
  clockRate: number;
  /** `a=control` of the media: absolute URL, relative path or `*`; null when absent. */
  control: string | null;
  /**
   * Parameter sets announced out of band (`sprop-parameter-sets` for H.264: SPS and PPS; `sprop-vps`,
   * `sprop-sps`, `sprop-pps` for H.265), as raw NAL units (no start code). Empty when not announced.
   */
  parameterSets: Buffer[];
  /** H.265 `sprop-max-don-diff` > 0: packets carry a DONL field (RFC 7798 §4.4.1); the client rejects that. */
  donl: boolean;
}

/** Thrown when the SDP has no video media the client can depacketize. */
export class SdpError extends Error {
  override name = 'SdpError';
}

function fmtpParams(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const sp = line.indexOf(' ');
  if (sp < 0) return out;
  for (const part of line.slice(sp + 1).split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

function base64Nals(v: string | undefined): Buffer[] {
  if (!v) return [];
  return v
    .split(',')
    .map((s) => Buffer.from(s.trim(), 'base64'))
    .filter((b) => b.length > 0);
}

/**
 * Parses an SDP and returns its first video media with an H.264 or H.265 `rtpmap`.
 * @throws SdpError when there is no video media, or the video codecs are all unsupported (the message names
 *   them, e.g. "no H.264/H.265 video in SDP (found: video JPEG)").
 */
export function parseSdpVideo(sdp: string): SdpVideo {
  const lines = sdp.split(/\r?\n/).map((l) => l.trim());
  const found: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const m = /^m=(\w+) \S+ \S+ (.*)$/.exec(lines[i]!);
    i++;
    if (!m) continue;
    const kind = m[1]!;
    const pts = m[2]!.split(/\s+/).map(Number);
    const attrs: string[] = [];
    while (i < lines.length && !lines[i]!.startsWith('m=')) attrs.push(lines[i++]!);
    if (kind !== 'video') continue;
    let control: string | null = null;
    const codecs = new Map<number, { name: string; clock: number }>();
    const fmtp = new Map<number, Map<string, string>>();
    for (const a of attrs) {
      if (a.startsWith('a=control:')) control = a.slice('a=control:'.length).trim();
      const r = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(a);
      if (r) codecs.set(Number(r[1]), { name: r[2]!.toUpperCase(), clock: Number(r[3]) });
      const f = /^a=fmtp:(\d+) /.exec(a);
      if (f) fmtp.set(Number(f[1]), fmtpParams(a));
    }
    for (const pt of pts) {
      const c = codecs.get(pt);
      if (!c) continue;
      found.push(`${kind} ${c.name}`);
      const p = fmtp.get(pt) ?? new Map<string, string>();
      if (c.name === 'H264')
        return {
          codec: 'h264',
          payloadType: pt,
          clockRate: c.clock,
          control,
          parameterSets: base64Nals(p.get('sprop-parameter-sets')),
          donl: false,
        };
      if (c.name === 'H265')
        return {
          codec: 'hevc',
          payloadType: pt,
          clockRate: c.clock,
          control,
          parameterSets: [
            ...base64Nals(p.get('sprop-vps')),
            ...base64Nals(p.get('sprop-sps')),
            ...base64Nals(p.get('sprop-pps')),
          ],
          donl: Number(p.get('sprop-max-don-diff') ?? '0') > 0,
        };
    }
  }
  throw new SdpError(
    found.length > 0 ? `no H.264/H.265 video in SDP (found: ${found.join(', ')})` : 'no video media in SDP',
  );
}

/**
 * The URL a media's SETUP goes to (RFC 2326 §C.1.1): an absolute `control` as is; `*` or none → the base;
 * a relative one appended to the base with exactly one `/`.
 * @param base Content-Base (or Content-Location, or the DESCRIBE URL).
 */
export function resolveControlUrl(base: string, control: string | null): string {
  if (control === null || control === '' || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return `${base.replace(/\/+$/, '')}/${control.replace(/^\/+/, '')}`;
}
