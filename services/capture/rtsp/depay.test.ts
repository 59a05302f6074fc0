import { describe, expect, it } from 'vitest';
import { KeyframeDepacketizer, KeyframeSampler, parseRtp, type RtpPacket } from './depay.ts';

// Real parameter sets (x264 with B-frames, 320×240; x265) — see sps.test.ts.
const SPS = Buffer.from('6764000cacd94141fb011000000300100000030140f1429960', 'hex');
const PPS = Buffer.from('68ebe3cb22c0', 'hex');

let seq = 1000;
const pkt = (payload: Buffer, ts: number, marker = false, s = seq++): RtpPacket => ({
  payloadType: 96,
  marker,
  seq: s & 0xffff,
  timestamp: ts,
  ssrc: 1,
  payload,
});
const stapA = (...nals: Buffer[]) =>
  Buffer.concat([
    Buffer.from([24]),
    ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n]),
  ]);
/** FU-A fragments of one NAL unit, `size` payload bytes each. */
const fuA = (nal: Buffer, size: number): Buffer[] => {
  const out: Buffer[] = [];
  const body = nal.subarray(1);
  for (let off = 0; off < body.length; off += size) {
    const s = off === 0 ? 0x80 : 0;
    const e = off + size >= body.length ? 0x40 : 0;
    out.push(
      Buffer.concat([
        Buffer.from([(nal[0]! & 0xe0) | 28, s | e | (nal[0]! & 0x1f)]),
        body.subarray(off, off + size),
      ]),
    );
  }
  return out;
};
const idr = Buffer.concat([Buffer.from([0x65]), Buffer.alloc(5000, 0xab)]);
const pSlice = Buffer.concat([Buffer.from([0x41]), Buffer.alloc(3000, 0xcd)]);

describe('parseRtp', () => {
  it('reads the fixed header, skips CSRCs and the extension, strips padding', () => {
    const p = Buffer.concat([
      Buffer.from([0xb1, 0xe0, 0x12, 0x34, 0, 0, 0x30, 0x39, 1, 2, 3, 4]), // V=2 P=1 X=1 CC=1, M=1 PT=96
      Buffer.from([9, 9, 9, 9]), // CSRC
      Buffer.from([0xbe, 0xde, 0, 1, 7, 7, 7, 7]), // extension, 1 word
      Buffer.from([0x65, 1, 2]),
      Buffer.from([0, 0, 3]), // padding, 3 bytes
    ]);
    const r = parseRtp(p)!;
    expect([r.payloadType, r.marker, r.seq, r.timestamp, r.ssrc]).toEqual([
      96,
      true,
      0x1234,
      12345,
      0x01020304,
    ]);
    expect([...r.payload]).toEqual([0x65, 1, 2]);
    expect(parseRtp(Buffer.from([0x40, 0, 0]))).toBeNull();
    expect(parseRtp(Buffer.alloc(12))).toBeNull(); // version 0
  });
});

describe('KeyframeDepacketizer (H.264, RFC 6184)', () => {
  it('assembles STAP-A parameter sets + FU-A IDR into one Annex B keyframe and skips other pictures', () => {
    const d = new KeyframeDepacketizer('h264');
    expect(d.push(pkt(stapA(SPS, PPS), 3000))).toBeNull();
    const frags = fuA(idr, 1400);
    const got = frags.map((f, i) => d.push(pkt(f, 3000, i === frags.length - 1)));
    const k = got.at(-1)!;
    expect(got.slice(0, -1).every((g) => g === null)).toBe(true);
    expect(k.timestamp).toBe(3000);
    // The SPS now declares no reordering (sps.ts); the PPS and the IDR are copied as they were.
    const parts = k.annexB.toString('hex').split('00000001').filter(Boolean);
    expect(parts.length).toBe(3);
    expect(parseInt(parts[0]!.slice(0, 2), 16) & 0x1f).toBe(7);
    expect(parts[1]).toBe(PPS.toString('hex'));
    expect(parts[2]).toBe(idr.toString('hex'));
    // A P picture (single NAL and fragmented) produces nothing.
    expect(d.push(pkt(pSlice.subarray(0, 900), 6000, true))).toBeNull();
    for (const f of fuA(pSlice, 1000))
      expect(d.push(pkt(f, 9000, f === fuA(pSlice, 1000).at(-1)))).toBeNull();
    expect(d.stats).toMatchObject({ keyframes: 1, gaps: 0, brokenKeyframes: 0 });
  });

  it('uses the SDP parameter sets, ends a picture on a timestamp change without a marker', () => {
    const d = new KeyframeDepacketizer('h264', [SPS, PPS]);
    expect(d.push(pkt(idr.subarray(0, 1000), 100))).toBeNull();
    const k = d.push(pkt(pSlice.subarray(0, 100), 200));
    expect(k?.timestamp).toBe(100);
    expect(k!.annexB.subarray(-1000).equals(idr.subarray(0, 1000))).toBe(true);
  });

  it('drops a keyframe with a lost packet, and one without parameter sets, counting both', () => {
    const d = new KeyframeDepacketizer('h264', [SPS, PPS]);
    const frags = fuA(idr, 1000);
    frags.forEach((f, i) => {
      if (i !== 2) d.push(pkt(f, 500, i === frags.length - 1));
      else seq++; // lost
    });
    expect(d.stats).toMatchObject({ keyframes: 0, brokenKeyframes: 1, gaps: 1 });
    const bare = new KeyframeDepacketizer('h264');
    expect(bare.push(pkt(idr, 1, true))).toBeNull();
    expect(bare.stats.keyframesWithoutParameterSets).toBe(1);
  });

  it('counts unsupported packetizations (FU-B) and breaks the picture', () => {
    const d = new KeyframeDepacketizer('h264', [SPS, PPS]);
    d.push(pkt(idr.subarray(0, 500), 7));
    d.push(pkt(Buffer.from([29, 0x85, 1, 2]), 7, true));
    expect(d.stats).toMatchObject({ unsupportedPackets: 1, brokenKeyframes: 1, keyframes: 0 });
  });
});

describe('KeyframeDepacketizer (H.265, RFC 7798)', () => {
  const nal = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type << 1, 1]), body]);
  const VPS = Buffer.from('40010c01ffff016000000300900000030000030078959809', 'hex');
  const HSPS = Buffer.from(
    '42010101600000030090000003000003003ca00a080f16595964932bc05a020000030002000003001410',
    'hex',
  );
  const HPPS = nal(34, Buffer.from([0xc1, 0x72, 0xb4]));
  it('assembles AP parameter sets + FU IRAP (CRA) and skips trailing pictures', () => {
    const d = new KeyframeDepacketizer('hevc');
    const ap = Buffer.concat([
      Buffer.from([48 << 1, 1]),
      ...[VPS, HSPS, HPPS].flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n]),
    ]);
    d.push(pkt(ap, 90));
    const cra = nal(21, Buffer.alloc(3000, 0x5a));
    const body = cra.subarray(2);
    const frags = [0, 1200, 2400].map((off, i, a) =>
      Buffer.concat([
        Buffer.from([49 << 1, 1, (i === 0 ? 0x80 : 0) | (i === a.length - 1 ? 0x40 : 0) | 21]),
        body.subarray(off, a[i + 1] ?? body.length),
      ]),
    );
    const out = frags.map((f, i) => d.push(pkt(f, 90, i === frags.length - 1)));
    const k = out.at(-1)!;
    expect(k.codec).toBe('hevc');
    expect(k.annexB.subarray(-cra.length).equals(cra)).toBe(true);
    expect(k.annexB.subarray(4, 4 + VPS.length).equals(VPS)).toBe(true);
    expect(d.push(pkt(nal(1, Buffer.alloc(50)), 180, true))).toBeNull();
    expect(d.stats).toMatchObject({ keyframes: 1, spsNotRewritten: 0 });
  });
});

describe('KeyframeSampler', () => {
  const ticks = (s: number) => Math.round(s * 90_000) >>> 0;
  const taken = (gopS: number, intervalMs: number, n: number, start = 0) => {
    const sm = new KeyframeSampler(intervalMs, 90_000);
    const out: number[] = [];
    for (let i = 0; i < n; i++)
      if (sm.take(ticks(start + i * gopS))) out.push(Math.round(i * gopS * 10) / 10);
    return out;
  };
  it('takes every keyframe when the GOP equals the interval, one per slot otherwise, never two in a slot', () => {
    expect(taken(2, 2000, 5)).toEqual([0, 2, 4, 6, 8]);
    expect(taken(1, 2000, 7)).toEqual([0, 2, 4, 6]);
    expect(taken(1.5, 2000, 7)).toEqual([0, 3, 4.5, 6, 9]); // 7.5 shares the 6–8 s slot with 6
    expect(taken(3, 2000, 4)).toEqual([0, 3, 6, 9]);
  });
  it('accepts keyframes up to 10 % early and survives the 32-bit timestamp wrap', () => {
    const sm = new KeyframeSampler(2000, 90_000);
    expect([0, 1.85, 3.85, 5.7, 5.85].map((s) => sm.take(ticks(s)))).toEqual([true, true, true, false, true]);
    expect(taken(2, 2000, 6, 2 ** 32 / 90_000 - 5)).toEqual([0, 2, 4, 6, 8, 10]);
  });
  it('restarts its grid when the clock jumps back', () => {
    const sm = new KeyframeSampler(2000, 90_000);
    expect([100, 102, 50, 51, 52].map((s) => sm.take(ticks(s)))).toEqual([true, true, true, false, true]);
    expect(() => new KeyframeSampler(0, 90_000)).toThrow(RangeError);
  });
});
