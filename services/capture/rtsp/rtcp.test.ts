import { describe, expect, it } from 'vitest';
import {
  buildReceiverReport,
  parseSenderReports,
  publisherTimeMs,
  ReceptionStats,
  type SenderReport,
} from './rtcp.ts';

/** An SR (RFC 3550 §6.4.1 layout, no report blocks) followed by an SDES, as gst-rtsp-server sends them. */
function compound(ntpMsw: number, ntpLsw: number, rtp: number): Buffer {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(0x11223344, 4);
  sr.writeUInt32BE(ntpMsw, 8);
  sr.writeUInt32BE(ntpLsw, 12);
  sr.writeUInt32BE(rtp, 16);
  sr.writeUInt32BE(100, 20);
  sr.writeUInt32BE(140_000, 24);
  const sdes = Buffer.from([0x81, 202, 0, 2, 0x11, 0x22, 0x33, 0x44, 1, 1, 0x61, 0]);
  return Buffer.concat([sdes, sr]);
}

describe('parseSenderReports', () => {
  it('reads the NTP/RTP pair of an SR inside a compound packet', () => {
    // 2026-11-30T00:00:00.500Z: Unix 1795996800 s → NTP 1795996800 + 2208988800; .5 s = 2^31 in the LSW.
    const [sr, ...rest] = parseSenderReports(compound(1795996800 + 2208988800, 2 ** 31, 90_000));
    expect(rest).toEqual([]);
    expect(sr!.ssrc).toBe(0x11223344);
    expect(sr!.ntpMs).toBe(Date.parse('2026-11-30T00:00:00.500Z'));
    expect(sr!.rtpTimestamp).toBe(90_000);
    // Middle 32 bits: low 16 of the MSW, high 16 of the LSW.
    expect(sr!.ntpMiddle).toBe(((((1795996800 + 2208988800) & 0xffff) << 16) | 0x8000) >>> 0);
  });

  it('stops at a truncated or non-RTCP packet without throwing', () => {
    const whole = compound(3_900_000_000, 0, 1);
    expect(parseSenderReports(whole.subarray(0, whole.length - 4))).toEqual([]);
    expect(parseSenderReports(Buffer.from([0x00, 200, 0, 6]))).toEqual([]);
    expect(parseSenderReports(Buffer.alloc(0))).toEqual([]);
  });
});

describe('publisherTimeMs', () => {
  const sr: SenderReport = { ssrc: 1, ntpMs: 1_000_000, ntpMiddle: 0, rtpTimestamp: 4_294_900_000 };
  it('adds the RTP offset at the payload clock, across the 32-bit wrap and backwards', () => {
    expect(publisherTimeMs(sr, 4_294_900_000 + 90_000, 90_000)).toBe(1_001_000);
    // 67 296 ticks to the wrap + 22 704 after it = 90 000 ticks = 1 s later.
    expect(publisherTimeMs(sr, 22_704, 90_000)).toBe(1_001_000);
    expect(publisherTimeMs(sr, 4_294_900_000 - 45_000, 90_000)).toBe(999_500);
  });
});

describe('ReceptionStats', () => {
  it('extends the sequence across the wrap and reports loss per interval', () => {
    const s = new ReceptionStats();
    for (const q of [65533, 65534, 65535, 0, 1, 2]) s.packet(q, 7);
    expect(s.ssrc).toBe(7);
    expect(s.report()).toEqual({ extendedMax: 65536 + 2, cumulativeLost: 0, fractionLost: 0 });
    // 3..10 expected, 5 and 6 lost: 2 of 8.
    for (const q of [3, 4, 7, 8, 9, 10]) s.packet(q, 7);
    expect(s.report()).toEqual({ extendedMax: 65536 + 10, cumulativeLost: 2, fractionLost: 64 });
    // A duplicate counts as received and does not move the maximum.
    s.packet(10, 7);
    expect(s.report()).toEqual({ extendedMax: 65536 + 10, cumulativeLost: 1, fractionLost: 0 });
  });
});

describe('buildReceiverReport', () => {
  it('writes an RR with one block and an SDES CNAME, word-aligned', () => {
    const b = buildReceiverReport({
      ssrc: 0xdeadbeef,
      sourceSsrc: 0x11223344,
      extendedMax: 65546,
      cumulativeLost: 2,
      fractionLost: 64,
      lastSr: 0x12345678,
      sinceLastSrMs: 500,
      cname: 'towerwatch',
    });
    expect(b.length % 4).toBe(0);
    expect([b[0], b[1], b.readUInt16BE(2)]).toEqual([0x81, 201, 7]);
    expect(b.readUInt32BE(4)).toBe(0xdeadbeef);
    expect(b.readUInt32BE(8)).toBe(0x11223344);
    expect(b[12]).toBe(64);
    expect(b.readUInt32BE(12) & 0xffffff).toBe(2);
    expect(b.readUInt32BE(16)).toBe(65546);
    expect(b.readUInt32BE(24)).toBe(0x12345678);
    expect(b.readUInt32BE(28)).toBe(32768); // 0.5 s in 1/65536 s
    const sdes = b.subarray(32);
    expect([sdes[0], sdes[1]]).toEqual([0x81, 202]);
    expect((sdes.readUInt16BE(2) + 1) * 4).toBe(sdes.length);
    expect(sdes[8]).toBe(1);
    expect(sdes.subarray(10, 10 + sdes[9]!).toString()).toBe('towerwatch');
    expect(sdes[10 + sdes[9]!]).toBe(0);
    // The RR/SDES pair is itself valid RTCP that the SR parser walks (and skips) without error.
    expect(parseSenderReports(b)).toEqual([]);
  });
});
