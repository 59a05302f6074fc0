import { describe, expect, it } from 'vitest';
import { fromRbsp, h264SpsWithoutReordering, hevcSpsWithoutReordering, toRbsp } from './sps.ts';

// Real SPSs written by x264 (High, 3 B-frames, 320×240; Constrained Baseline) and x265 (3 B-frames).
const H264_HIGH_B3 = Buffer.from('6764000cacd94141fb011000000300100000030140f1429960', 'hex');
const H264_BASELINE = Buffer.from('6742c00bd90141fb011000000300100000030140f142a480', 'hex');
const HEVC_B3 = Buffer.from(
  '42010101600000030090000003000003003ca00a080f16595964932bc05a020000030002000003001410',
  'hex',
);

describe('emulation prevention', () => {
  it('inserts 0x03 where 00 00 meets 00–03, and removes exactly those', () => {
    const rbsp = Buffer.from([1, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0, 0, 4]);
    const nal = fromRbsp(rbsp);
    expect([...nal]).toEqual([1, 0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 3, 3, 0, 0, 4]);
    expect(toRbsp(nal).equals(rbsp)).toBe(true);
  });
});

describe('h264SpsWithoutReordering', () => {
  for (const [name, sps] of [
    ['High with B-frames', H264_HIGH_B3],
    ['Constrained Baseline', H264_BASELINE],
  ] as const) {
    it(`${name}: keeps everything before the restriction fields, is stable when applied again`, () => {
      const out = h264SpsWithoutReordering(sps);
      expect(out[0]).toBe(sps[0]);
      // Profile, constraints, level and the first bytes of the SPS are untouched.
      expect(out.subarray(0, 6).equals(sps.subarray(0, 6))).toBe(true);
      expect(h264SpsWithoutReordering(out).equals(out)).toBe(true);
      expect(out.length).toBeLessThanOrEqual(sps.length + 4);
    });
  }
  it('rejects what is not an SPS, and a truncated one', () => {
    expect(() => h264SpsWithoutReordering(Buffer.from([0x68, 0xeb]))).toThrow(/not an H.264 SPS/);
    expect(() => h264SpsWithoutReordering(H264_HIGH_B3.subarray(0, 6))).toThrow(RangeError);
  });
});

describe('hevcSpsWithoutReordering', () => {
  it('keeps the header and profile_tier_level, is stable when applied again', () => {
    const out = hevcSpsWithoutReordering(HEVC_B3);
    expect(out.subarray(0, 14).equals(HEVC_B3.subarray(0, 14))).toBe(true);
    expect(out.equals(HEVC_B3)).toBe(false);
    expect(hevcSpsWithoutReordering(out).equals(out)).toBe(true);
    expect(() => hevcSpsWithoutReordering(HEVC_B3.subarray(0, 10))).toThrow(RangeError);
    expect(() => hevcSpsWithoutReordering(Buffer.from([0x40, 0x01]))).toThrow(/not an H.265 SPS/);
  });
});
