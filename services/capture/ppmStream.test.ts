import { describe, expect, it } from 'vitest';
import { PpmFormatError, PpmStreamParser } from './ppmStream.ts';

function ppm(w: number, h: number, fill: number): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`, 'ascii'), Buffer.alloc(w * h * 3, fill)]);
}

describe('PpmStreamParser', () => {
  it('splits a stream into frames whatever the chunking, across size changes', () => {
    const stream = Buffer.concat([ppm(4, 3, 1), ppm(1366, 767, 2), ppm(5, 2, 3)]);
    for (const chunkSize of [65536, 4096 + 13, stream.length]) {
      const p = new PpmStreamParser();
      const frames = [];
      for (let i = 0; i < stream.length; i += chunkSize)
        frames.push(...p.push(stream.subarray(i, i + chunkSize)));
      expect(frames.map((f) => [f.width, f.height, f.data.length, f.data[0]])).toEqual([
        [4, 3, 36, 1],
        [1366, 767, 1366 * 767 * 3, 2],
        [5, 2, 30, 3],
      ]);
      expect(p.pending).toBe(0);
    }
  });

  it('parses byte-by-byte delivery', () => {
    const stream = Buffer.concat([ppm(3, 2, 7), ppm(2, 5, 8)]);
    const p = new PpmStreamParser();
    const frames = [];
    for (let i = 0; i < stream.length; i++) frames.push(...p.push(stream.subarray(i, i + 1)));
    expect(frames.map((f) => [f.width, f.height, f.data[0]])).toEqual([
      [3, 2, 7],
      [2, 5, 8],
    ]);
  });

  it('keeps a partial frame until it is complete', () => {
    const p = new PpmStreamParser();
    const f = ppm(10, 10, 9);
    expect(p.push(f.subarray(0, 100))).toEqual([]);
    expect(p.pending).toBe(100);
    expect(p.push(f.subarray(100))).toHaveLength(1);
  });

  it('rejects garbage and unsupported formats', () => {
    expect(() => new PpmStreamParser().push(Buffer.from('GIF89a'))).toThrow(PpmFormatError);
    expect(() => new PpmStreamParser().push(Buffer.from('P6\n2 2\n65535\n'))).toThrow(/maxval/);
    expect(() => new PpmStreamParser().push(Buffer.from('P6\n99999 2\n255\n'))).toThrow(PpmFormatError);
  });
});

describe('PpmStreamParser buffers', () => {
  it('gives each frame its own SharedArrayBuffer-backed pixels, unaffected by later chunks', () => {
    const p = new PpmStreamParser();
    const chunk = Buffer.concat([ppm(2, 2, 5), ppm(2, 2, 6)]);
    const frames = p.push(chunk);
    chunk.fill(0); // the caller reuses its chunk: the frames keep their pixels
    expect(frames.map((f) => f.data[0])).toEqual([5, 6]);
    expect(frames[0]!.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(frames[0]!.data.buffer).not.toBe(frames[1]!.data.buffer);
    expect(frames[0]!.data.length).toBe(12);
  });

  it('rejects a header that never ends', () => {
    expect(() => new PpmStreamParser().push(Buffer.from(`P6\n${' '.repeat(300)}`))).toThrow(PpmFormatError);
  });
});
