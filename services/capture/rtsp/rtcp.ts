/**
 * RTCP for the built-in RTSP client (pure): sender reports in, receiver reports out (RFC 3550 §6.4), and the
 * publisher's wall-clock time of a picture from its RTP timestamp.
 *
 * Why: a sender report maps the stream's RTP clock to the sender's wall clock (NTP format), so each sampled
 * keyframe gets the time the camera stamped it (`CodedKeyframe.sentAt`): latency can then be measured from the
 * publisher, not only from the moment TowerWatch read the frame. Receiver reports tell the camera that the
 * session is alive and what was lost; some RTSP servers count them as liveness besides RTSP keep-alives.
 */

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). RFC 868 / RFC 5905. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;
const TWO_32 = 4_294_967_296;

/** One RTCP sender report's timing (RFC 3550 §6.4.1). */
export interface SenderReport {
  /** SSRC of the sender. */
  ssrc: number;
  /** The sender's wall clock at `rtpTimestamp`, Unix epoch ms (from the 64-bit NTP timestamp). */
  ntpMs: number;
  /** Middle 32 bits of the NTP timestamp (echoed as LSR in receiver reports). */
  ntpMiddle: number;
  /** RTP timestamp corresponding to `ntpMs` (payload clock units). */
  rtpTimestamp: number;
}

/**
 * The sender reports in one RTCP compound packet (other packet types are skipped). Malformed or truncated
 * packets end the walk; what was parsed before them is returned. Never throws.
 */
export function parseSenderReports(b: Buffer): SenderReport[] {
  const out: SenderReport[] = [];
  let off = 0;
  while (off + 4 <= b.length) {
    if (b[off]! >> 6 !== 2) break;
    const pt = b[off + 1]!;
    const bytes = (b.readUInt16BE(off + 2) + 1) * 4;
    if (off + bytes > b.length) break;
    if (pt === 200 && bytes >= 28) {
      const msw = b.readUInt32BE(off + 8);
      const lsw = b.readUInt32BE(off + 12);
      out.push({
        ssrc: b.readUInt32BE(off + 4),
        ntpMs: (msw - NTP_UNIX_OFFSET_S) * 1000 + (lsw / TWO_32) * 1000,
        ntpMiddle: (((msw & 0xffff) << 16) | (lsw >>> 16)) >>> 0,
        rtpTimestamp: b.readUInt32BE(off + 16),
      });
    }
    off += bytes;
  }
  return out;
}

/**
 * The publisher's wall-clock time of a picture, Unix epoch ms: `sr.ntpMs + Δrtp / clockRate`, with Δrtp the
 * signed 32-bit difference (RTP timestamps wrap; RFC 3550 §5.1).
 * @param clockRate RTP clock of the payload, Hz (90 000 for video).
 */
export function publisherTimeMs(sr: SenderReport, rtpTimestamp: number, clockRate: number): number {
  const delta = (rtpTimestamp - sr.rtpTimestamp) | 0;
  return sr.ntpMs + (delta / clockRate) * 1000;
}

/**
 * Reception statistics of one RTP source for receiver reports: extended highest sequence number with wrap
 * cycles, packets received, and loss since the previous report (RFC 3550 Appendix A.1 and A.3, without the
 * probation and resync rules: over RTSP/TCP the sequence is in order).
 */
export class ReceptionStats {
  /** SSRC of the source (from its RTP packets). */
  ssrc = 0;
  private base = -1;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;

  /** Counts one RTP packet. */
  packet(seq: number, ssrc: number): void {
    this.received++;
    if (this.base < 0) {
      this.base = seq;
      this.maxSeq = seq;
      this.ssrc = ssrc;
      return;
    }
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta > 0 && delta < 0x8000) {
      if (seq < this.maxSeq) this.cycles += 0x10000;
      this.maxSeq = seq;
    }
  }

  /** Whether any packet was counted. */
  get started(): boolean {
    return this.base >= 0;
  }

  /**
   * Values for the next report block, and starts a new report interval.
   * @returns extended highest sequence number, cumulative packets lost (clamped to 24-bit signed), and the
   * fraction lost since the last call (0–255, fixed point /256).
   */
  report(): { extendedMax: number; cumulativeLost: number; fractionLost: number } {
    const extendedMax = this.cycles + this.maxSeq;
    const expected = extendedMax - this.base + 1;
    const lost = expected - this.received;
    const expectedInterval = expected - this.expectedPrior;
    const lostInterval = expectedInterval - (this.received - this.receivedPrior);
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const fractionLost =
      expectedInterval <= 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    return {
      extendedMax: extendedMax >>> 0,
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, lost)),
      fractionLost,
    };
  }
}

/** What a receiver report says (RFC 3550 §6.4.2, one report block). */
export interface ReceiverReportInput {
  /** Our SSRC (random, chosen once per session). */
  ssrc: number;
  /** The source's SSRC. */
  sourceSsrc: number;
  extendedMax: number;
  cumulativeLost: number;
  fractionLost: number;
  /** Middle 32 bits of the last SR's NTP timestamp; 0 without one. */
  lastSr: number;
  /** Time since that SR arrived, ms (sent in units of 1/65 536 s); 0 without one. */
  sinceLastSrMs: number;
  /** CNAME for the SDES chunk a compound packet must carry (RFC 3550 §6.1). */
  cname: string;
}

/**
 * A compound RTCP packet: RR with one report block (interarrival jitter sent as 0: not measured) followed by an
 * SDES with the CNAME, padded to 32-bit words.
 */
export function buildReceiverReport(r: ReceiverReportInput): Buffer {
  const rr = Buffer.alloc(32);
  rr[0] = 0x81; // V=2, P=0, RC=1
  rr[1] = 201;
  rr.writeUInt16BE(7, 2);
  rr.writeUInt32BE(r.ssrc >>> 0, 4);
  rr.writeUInt32BE(r.sourceSsrc >>> 0, 8);
  rr.writeUInt32BE((((r.fractionLost & 0xff) << 24) | (r.cumulativeLost & 0xffffff)) >>> 0, 12);
  rr.writeUInt32BE(r.extendedMax >>> 0, 16);
  rr.writeUInt32BE(0, 20);
  rr.writeUInt32BE(r.lastSr >>> 0, 24);
  rr.writeUInt32BE(
    r.lastSr === 0 ? 0 : Math.min(0xffffffff, Math.round((r.sinceLastSrMs * 65536) / 1000)),
    28,
  );
  const name = Buffer.from(r.cname, 'utf8').subarray(0, 255);
  // SSRC + CNAME item (type, length, text) + at least one zero byte ending the item list, to a word boundary.
  const chunk = 4 + 2 + name.length;
  const padded = Math.ceil((chunk + 1) / 4) * 4;
  const sdes = Buffer.alloc(4 + padded);
  sdes[0] = 0x81; // V=2, P=0, SC=1
  sdes[1] = 202;
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  sdes.writeUInt32BE(r.ssrc >>> 0, 4);
  sdes[8] = 1; // CNAME
  sdes[9] = name.length;
  name.copy(sdes, 10);
  return Buffer.concat([rr, sdes]);
}
