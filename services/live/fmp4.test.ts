import { describe, expect, it } from 'vitest';
import { avcCodecString, Mp4BoxSplitter } from './fmp4.ts';

const box = (type: string, payload: Buffer) => {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + payload.length, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, payload]);
};

describe('Mp4BoxSplitter', () => {
  it('splits top-level boxes across arbitrary chunks', () => {
    const stream = Buffer.concat([
      box('ftyp', Buffer.alloc(12)),
      box('moov', Buffer.alloc(100, 1)),
      box('moof', Buffer.alloc(3)),
      box('mdat', Buffer.alloc(5000)),
    ]);
    for (const n of [1, 7, 64, stream.length]) {
      const s = new Mp4BoxSplitter();
      const types: string[] = [];
      for (let i = 0; i < stream.length; i += n)
        types.push(...s.push(stream.subarray(i, i + n)).map((b) => b.type));
      expect(types).toEqual(['ftyp', 'moov', 'moof', 'mdat']);
    }
  });
  it('rejects a stream that is not MP4', () => {
    expect(() => new Mp4BoxSplitter().push(Buffer.from([0, 0, 0, 1, 0x66, 0x6f, 0x6f, 0x21]))).toThrow(
      /box size/,
    );
  });
});

describe('avcCodecString', () => {
  it('reads profile, constraints and level from avcC', () => {
    const avcC = Buffer.concat([Buffer.from('avcC', 'latin1'), Buffer.from([1, 0x64, 0x00, 0x1f, 0xff])]);
    expect(avcCodecString(Buffer.concat([Buffer.alloc(20), avcC]))).toBe('avc1.64001f');
    expect(avcCodecString(Buffer.from('hvcC....', 'latin1'))).toBeNull();
  });
});
