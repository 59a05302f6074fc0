/**
 * Pure incremental parser for a stream of binary PPM (P6) images, as written by ffmpeg's `ppm` encoder to a
 * pipe: `P6\n<width> <height>\n<maxval>\n` followed by width×height×3 bytes (RGB24, maxval 255).
 */

/** A decoded RGB frame: `data.length === width * height * 3` (packed RGB24, row-major, no padding). */
export interface RgbImage {
  width: number;
  height: number;
  data: Buffer;
}

/** Thrown when the byte stream is not a PPM stream (the caller restarts the producer). */
export class PpmFormatError extends Error {
  override name = 'PpmFormatError';
}

const MAX_SIDE = 16384;

/**
 * Feeds arbitrary chunks; returns the frames completed by each chunk. Keeps at most one partial frame.
 */
export class PpmStreamParser {
  private buf: Buffer = Buffer.alloc(0);
  /** Chunks received while a frame of known size is incomplete (appended without copying: O(n), not O(n²)). */
  private tail: Buffer[] = [];
  private tailLen = 0;
  /** Bytes needed in `buf` (+ tail) before the next frame is complete; 0 = unknown (header not parsed). */
  private need = 0;

  /**
   * @returns complete frames, in order.
   * @throws PpmFormatError on a malformed header, maxval ≠ 255 or absurd dimensions (> 16384 px).
   */
  push(chunk: Buffer): RgbImage[] {
    if (this.need > 0 && this.buf.length + this.tailLen + chunk.length < this.need) {
      this.tail.push(chunk);
      this.tailLen += chunk.length;
      return [];
    }
    this.buf = Buffer.concat([this.buf, ...this.tail, chunk]);
    this.tail = [];
    this.tailLen = 0;
    this.need = 0;
    const out: RgbImage[] = [];
    for (;;) {
      const header = this.parseHeader();
      if (!header) break;
      const size = header.width * header.height * 3;
      if (this.buf.length < header.offset + size) {
        this.need = header.offset + size;
        break;
      }
      // Copy: the frame must not alias the (reused) concat buffer.
      out.push({
        width: header.width,
        height: header.height,
        data: Buffer.from(this.buf.subarray(header.offset, header.offset + size)),
      });
      this.buf = this.buf.subarray(header.offset + size);
    }
    return out;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buf.length + this.tailLen;
  }

  private parseHeader(): { width: number; height: number; offset: number } | null {
    const b = this.buf;
    if (b.length < 2) return null;
    if (b[0] !== 0x50 || b[1] !== 0x36)
      throw new PpmFormatError(`expected "P6" magic, got 0x${b.subarray(0, 2).toString('hex')}`);
    const tokens: number[] = [];
    let i = 2;
    while (tokens.length < 3) {
      while (i < b.length && isSpace(b[i]!)) i++;
      if (i < b.length && b[i] === 0x23) {
        while (i < b.length && b[i] !== 0x0a) i++; // comment line
        continue;
      }
      const start = i;
      while (i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
      if (i >= b.length) return null; // need more bytes
      if (i === start) throw new PpmFormatError(`bad PPM header byte 0x${b[i]!.toString(16)}`);
      tokens.push(Number(b.subarray(start, i).toString('ascii')));
      if (i - start > 6) throw new PpmFormatError('PPM header number too long');
    }
    if (i >= b.length) return null;
    if (!isSpace(b[i]!)) throw new PpmFormatError('PPM header must end with one whitespace byte');
    const [width, height, maxval] = tokens as [number, number, number];
    if (maxval !== 255) throw new PpmFormatError(`unsupported PPM maxval ${maxval} (need 255)`);
    if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
      throw new PpmFormatError(`implausible frame size ${width}x${height}`);
    }
    return { width, height, offset: i + 1 };
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
