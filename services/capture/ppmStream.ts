/**
 * Pure incremental parser for a stream of binary PPM (P6) images, as written by ffmpeg's `ppm` encoder to a
 * pipe: `P6\n<width> <height>\n<maxval>\n` followed by width×height×3 bytes (RGB24, maxval 255).
 */

/** A decoded RGB frame: `data.length === width * height * 3` (packed RGB24, row-major, no padding). */
export interface RgbImage {
  width: number;
  height: number;
  data: Buffer;
  /**
   * Size at which people should see this frame, px, when it differs from `width`×`height`: set when ffmpeg
   * stretched the frame to a model's input size (non-uniform scale, `captureFrameSize` in ffmpegArgs.ts). Evidence
   * (snapshots, clip frames, admin sample frames) is rendered at this size and alert boxes are reported in
   * its pixels; detection works on the stretched pixels. Absent: the frame is shown as it is.
   */
  display?: { width: number; height: number };
}

/** The size people see a frame at (`display` when set, else its own size), px. */
export function shownSize(img: RgbImage): { width: number; height: number } {
  return img.display ?? { width: img.width, height: img.height };
}

/** Thrown when the byte stream is not a PPM stream (the caller restarts the producer). */
export class PpmFormatError extends Error {
  override name = 'PpmFormatError';
}

const MAX_SIDE = 16384;

/**
 * Feeds arbitrary chunks; returns the frames completed by each chunk. Keeps at most one partial frame.
 *
 * Each frame's pixels are copied once, straight from the pipe chunks into a buffer of the frame's size
 * (allocated when its header is parsed); nothing else is concatenated or copied. The buffer is backed by a
 * `SharedArrayBuffer`, so handing the frame to a detection worker thread (`postMessage`) shares it instead of
 * copying it: a frame is written once here and only read afterwards (detectors, evidence, the pre-roll ring
 * never modify pixels).
 */
export class PpmStreamParser {
  /** Bytes of the header being parsed (a few dozen at most). */
  private head: Buffer = Buffer.alloc(0);
  private frame: { width: number; height: number; data: Buffer; filled: number; headerBytes: number } | null =
    null;

  /**
   * @returns complete frames, in order.
   * @throws PpmFormatError on a malformed header, maxval ≠ 255 or absurd dimensions (> 16384 px).
   */
  push(chunk: Buffer): RgbImage[] {
    const out: RgbImage[] = [];
    let rest = chunk;
    while (rest.length > 0) {
      const f = this.frame;
      if (f) {
        const n = Math.min(rest.length, f.data.length - f.filled);
        rest.copy(f.data, f.filled, 0, n);
        f.filled += n;
        rest = rest.subarray(n);
        if (f.filled === f.data.length) {
          out.push({ width: f.width, height: f.height, data: f.data });
          this.frame = null;
        }
        continue;
      }
      const buf = this.head.length > 0 ? Buffer.concat([this.head, rest]) : rest;
      const header = parseHeader(buf);
      if (!header) {
        if (buf.length > 256) throw new PpmFormatError('PPM header longer than 256 bytes');
        this.head = Buffer.from(buf); // own copy: `rest` may be a view of the caller's chunk
        break;
      }
      this.head = Buffer.alloc(0);
      const size = header.width * header.height * 3;
      this.frame = {
        width: header.width,
        height: header.height,
        data: sharedBuffer(size),
        filled: 0,
        headerBytes: header.offset,
      };
      rest = buf.subarray(header.offset);
    }
    return out;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.head.length + (this.frame ? this.frame.headerBytes + this.frame.filled : 0);
  }
}

/** A zeroed Buffer of `size` bytes over a SharedArrayBuffer (shared, not copied, by `postMessage`). */
function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/**
 * Parses a PPM (P6) header at the start of `b`.
 * @returns the frame size and the offset of its first pixel byte, or null when more bytes are needed.
 * @throws PpmFormatError on a malformed header.
 */
function parseHeader(b: Buffer): { width: number; height: number; offset: number } | null {
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

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
