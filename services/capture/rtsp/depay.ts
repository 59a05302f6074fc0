/**
 * Pure RTP depacketization of keyframes (H.264: RFC 6184; H.265: RFC 7798) for keyframe-only sampling.
 *
 * Only what a keyframe-only sampler needs is kept: parameter sets (SPS/PPS, and VPS for H.265) and the slices
 * of keyframes (H.264 IDR, NAL type 5; H.265 IRAP, types 16–21). Slices of other pictures are parsed just far
 * enough to be skipped and are never copied, which is where the saving over a general-purpose demuxer comes
 * from: for a 2 s GOP, 49 of 50 pictures are dropped before any byte of them is copied.
 */
import type { VideoCodec } from './sdp.ts';
import { h264SpsWithoutReordering, hevcSpsWithoutReordering } from './sps.ts';

/** The fields of an RTP packet (RFC 3550 §5.1) the client uses. */
export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  /** Sequence number, 16 bits. */
  seq: number;
  /** Media timestamp, 32 bits, in the payload's clock (90 kHz for video). */
  timestamp: number;
  /** Synchronisation source of the stream, 32 bits. */
  ssrc: number;
  /** Payload (padding removed): a view into the packet. */
  payload: Buffer;
}

/**
 * Parses an RTP packet: 12-byte fixed header, CSRC list, optional header extension, optional padding.
 * @returns null for a packet that is not RTP version 2 or is truncated.
 */
export function parseRtp(b: Buffer): RtpPacket | null {
  if (b.length < 12 || b[0]! >> 6 !== 2) return null;
  const cc = b[0]! & 0x0f;
  let off = 12 + 4 * cc;
  if (b[0]! & 0x10) {
    if (b.length < off + 4) return null;
    off += 4 + 4 * b.readUInt16BE(off + 2);
  }
  let end = b.length;
  if (b[0]! & 0x20) end -= b[b.length - 1]!;
  if (end < off) return null;
  return {
    payloadType: b[1]! & 0x7f,
    marker: (b[1]! & 0x80) !== 0,
    seq: b.readUInt16BE(2),
    timestamp: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(off, end),
  };
}

/** One complete keyframe, ready for a decoder's raw-stream input. */
export interface CodedKeyframe {
  codec: VideoCodec;
  /** RTP timestamp of the picture (32 bits, payload clock). */
  timestamp: number;
  /**
   * The access unit in Annex B byte-stream form (ITU-T H.264/H.265 Annex B: each NAL unit after a 4-byte start
   * code), parameter sets first, so it decodes on its own.
   */
  annexB: Buffer;
  /**
   * The publisher's wall-clock time of the picture, Unix epoch ms, from its RTP timestamp and the latest RTCP
   * sender report (rtcp.ts `publisherTimeMs`); absent until the server sent one.
   */
  sentAt?: number;
}

/** Counters of what the depacketizer saw (diagnostics and tests). */
export interface DepayStats {
  packets: number;
  /** Sequence-number gaps (packets lost or reordered). */
  gaps: number;
  keyframes: number;
  /** Keyframes dropped: a packet of theirs was lost, or a fragment came without its start. */
  brokenKeyframes: number;
  /** Keyframes dropped because no parameter set had been seen yet (in band or in the SDP). */
  keyframesWithoutParameterSets: number;
  /** Packets of payload types this client does not handle (STAP-B, MTAP, FU-B, PACI). */
  unsupportedPackets: number;
  /** SPSs that could not be parsed to declare "no reordering" (sps.ts), passed on unchanged. */
  spsNotRewritten: number;
}

/** Largest access unit assembled, bytes (a 4K IDR is a few MB; anything above is a broken stream). */
const MAX_AU_BYTES = 16 * 1024 * 1024;
const START = Buffer.from([0, 0, 0, 1]);

type NalKind = 'param' | 'key' | 'slice' | 'other';

function nalKind(codec: VideoCodec, header: number): { kind: NalKind; type: number } {
  if (codec === 'h264') {
    const t = header & 0x1f;
    if (t === 7 || t === 8) return { kind: 'param', type: t };
    if (t === 5) return { kind: 'key', type: t };
    if (t >= 1 && t <= 4) return { kind: 'slice', type: t };
    return { kind: 'other', type: t };
  }
  const t = (header >> 1) & 0x3f;
  if (t >= 32 && t <= 34) return { kind: 'param', type: t };
  if (t >= 16 && t <= 21) return { kind: 'key', type: t };
  if (t <= 9) return { kind: 'slice', type: t };
  return { kind: 'other', type: t };
}

/**
 * Assembles keyframes from the RTP packets of one video stream. Packets are grouped into access units by
 * timestamp; an access unit ends at the marker bit or when the timestamp changes. A keyframe is returned
 * once complete, with the latest parameter sets (in-band ones win over the SDP's) in front of it.
 */
export class KeyframeDepacketizer {
  readonly stats: DepayStats = {
    packets: 0,
    gaps: 0,
    keyframes: 0,
    brokenKeyframes: 0,
    keyframesWithoutParameterSets: 0,
    unsupportedPackets: 0,
    spsNotRewritten: 0,
  };
  /** Latest parameter set per NAL type (H.264 SPS 7 / PPS 8; H.265 VPS 32 / SPS 33 / PPS 34). */
  private readonly params = new Map<number, Buffer>();
  private lastSeq: number | null = null;
  private au: { ts: number; key: Buffer[]; bytes: number; broken: boolean; isKey: boolean } | null = null;
  /** Fragments of the NAL unit being reassembled (FU-A / FU), null when none or when it is skipped. */
  private frag: Buffer[] | null = null;
  private fragSkipping = false;

  /**
   * @param parameterSets from the SDP (`sprop-*`), used until in-band ones arrive.
   */
  constructor(
    readonly codec: VideoCodec,
    parameterSets: readonly Buffer[] = [],
  ) {
    for (const p of parameterSets) if (p.length > 0) this.setParam(p);
  }

  /** Feeds one packet of the stream's payload type; returns a keyframe when this packet completes one. */
  push(p: RtpPacket): CodedKeyframe | null {
    this.stats.packets++;
    let out: CodedKeyframe | null = null;
    // A gap breaks both the access unit it may have ended and the one this packet belongs to (the lost
    // packets may have been either's): conservative, and loss is rare over RTSP/TCP.
    const gap = this.lastSeq !== null && p.seq !== ((this.lastSeq + 1) & 0xffff);
    if (gap) {
      this.stats.gaps++;
      if (this.au) this.au.broken = true;
      this.frag = null;
      this.fragSkipping = false;
    }
    this.lastSeq = p.seq;
    if (this.au && this.au.ts !== p.timestamp) out = this.finish();
    this.au ??= { ts: p.timestamp, key: [], bytes: 0, broken: false, isKey: false };
    if (gap) this.au.broken = true;
    this.payload(p.payload);
    if (p.marker) out = this.finish() ?? out;
    return out;
  }

  private setParam(nal: Buffer): void {
    const { type } = nalKind(this.codec, nal[0]!);
    let out: Buffer = Buffer.from(nal);
    if (type === 7 || type === 33) {
      try {
        out = type === 7 ? h264SpsWithoutReordering(nal) : hevcSpsWithoutReordering(nal);
      } catch {
        // Kept as it is: decodes all the same, each frame just comes out after the next one or two.
        this.stats.spsNotRewritten++;
      }
    }
    this.params.set(type, out);
  }

  private nal(nal: Buffer): void {
    if (nal.length === 0) return;
    const au = this.au!;
    const { kind } = nalKind(this.codec, nal[0]!);
    if (kind === 'param') this.setParam(nal);
    else if (kind === 'key') {
      au.isKey = true;
      au.bytes += nal.length;
      if (au.bytes > MAX_AU_BYTES) au.broken = true;
      else au.key.push(Buffer.from(nal));
    }
  }

  private payload(b: Buffer): void {
    if (b.length === 0) return;
    const h264 = this.codec === 'h264';
    const type = h264 ? b[0]! & 0x1f : (b[0]! >> 1) & 0x3f;
    const single = h264 ? type >= 1 && type <= 23 : type <= 47;
    const aggregate = h264 ? type === 24 : type === 48;
    const fu = h264 ? type === 28 : type === 49;
    if (single) return this.nal(b);
    if (aggregate) {
      let off = h264 ? 1 : 2;
      while (off + 2 <= b.length) {
        const size = b.readUInt16BE(off);
        off += 2;
        if (off + size > b.length) {
          this.au!.broken = true;
          return;
        }
        this.nal(b.subarray(off, off + size));
        off += size;
      }
      return;
    }
    if (fu) {
      const hdrLen = h264 ? 2 : 3;
      if (b.length < hdrLen) return;
      const fuHeader = b[hdrLen - 1]!;
      const start = (fuHeader & 0x80) !== 0;
      const end = (fuHeader & 0x40) !== 0;
      if (start) {
        const first = h264 ? (b[0]! & 0xe0) | (fuHeader & 0x1f) : (b[0]! & 0x81) | ((fuHeader & 0x3f) << 1);
        const { kind } = nalKind(this.codec, first);
        // Slices of non-key pictures are skipped without copying (or allocating) a byte.
        this.fragSkipping = kind === 'slice' || kind === 'other';
        if (this.fragSkipping) this.frag = null;
        else {
          const nalHeader = h264 ? Buffer.from([first]) : Buffer.from([first, b[1]!]);
          this.frag = [nalHeader, Buffer.from(b.subarray(hdrLen))];
          this.au!.bytes += b.length;
          if (kind === 'key') this.au!.isKey = true;
        }
      } else if (this.fragSkipping) {
        if (end) this.fragSkipping = false;
        return;
      } else if (!this.frag) {
        // A continuation without its start: the start was lost.
        this.au!.broken = true;
        return;
      } else {
        this.frag.push(Buffer.from(b.subarray(hdrLen)));
        this.au!.bytes += b.length;
        if (this.au!.bytes > MAX_AU_BYTES) {
          this.au!.broken = true;
          this.frag = null;
          return;
        }
      }
      if (end && this.frag) {
        const nal = Buffer.concat(this.frag);
        this.frag = null;
        this.nal(nal);
      }
      return;
    }
    this.stats.unsupportedPackets++;
    this.au!.broken = true;
  }

  private finish(): CodedKeyframe | null {
    const au = this.au;
    this.au = null;
    this.frag = null;
    this.fragSkipping = false;
    if (!au?.isKey) return null;
    if (au.broken || au.key.length === 0) {
      this.stats.brokenKeyframes++;
      return null;
    }
    const need = this.codec === 'h264' ? [7, 8] : [32, 33, 34];
    const params = need.map((t) => this.params.get(t));
    if (params.some((p) => p === undefined)) {
      this.stats.keyframesWithoutParameterSets++;
      return null;
    }
    this.stats.keyframes++;
    const parts: Buffer[] = [];
    for (const n of [...(params as Buffer[]), ...au.key]) parts.push(START, n);
    return { codec: this.codec, timestamp: au.ts, annexB: Buffer.concat(parts) };
  }
}

/**
 * Chooses which keyframes to decode so that at most one frame per sampling interval is analysed: the time
 * axis (RTP timestamps, unwrapped from 32 bits) is cut into slots of `intervalMs` from the first keyframe, and
 * the first keyframe of each slot is taken, with a tolerance of 10 % of the interval for keyframes that come
 * a little early (a 2 s GOP sampled every 2 s takes every keyframe). Like ffmpeg's `fps` filter on a
 * keyframe-only stream, without duplicated frames when the GOP is longer than the interval.
 */
export class KeyframeSampler {
  private last: number | null = null;
  private ext = 0;
  private t0 = 0;
  private due = 0;

  /**
   * @param intervalMs sampling interval, ms (> 0).
   * @param clockRate RTP clock rate, Hz (> 0).
   * @throws RangeError for a non-positive interval or clock rate.
   */
  constructor(
    readonly intervalMs: number,
    readonly clockRate: number,
    readonly tolerance = 0.1,
  ) {
    if (!(intervalMs > 0) || !(clockRate > 0))
      throw new RangeError(`intervalMs and clockRate must be > 0, got ${intervalMs}, ${clockRate}`);
  }

  /** True when the keyframe with this RTP timestamp should be decoded. */
  take(rtpTimestamp: number): boolean {
    const interval = (this.intervalMs * this.clockRate) / 1000;
    if (this.last === null) {
      this.last = rtpTimestamp;
      this.ext = 0;
      return this.restart(0, interval);
    }
    // Signed 32-bit difference: unwraps the 13-hour 90 kHz wrap-around.
    this.ext += (rtpTimestamp - this.last) | 0;
    this.last = rtpTimestamp;
    const t = this.ext;
    // A jump backwards (the source restarted its clock) starts a new grid.
    if (t < this.due - 2 * interval) return this.restart(t, interval);
    if (t < this.due - this.tolerance * interval) return false;
    this.due = this.t0 + (Math.floor((t - this.t0 + this.tolerance * interval) / interval) + 1) * interval;
    return true;
  }

  private restart(t: number, interval: number): boolean {
    this.t0 = t;
    this.due = t + interval;
    return true;
  }
}
