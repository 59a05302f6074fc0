/**
 * Pure helpers for fragmented MP4 (ISO/IEC 14496-12) as ffmpeg writes it with
 * `-movflags frag_keyframe+empty_moov+default_base_moof`: `ftyp` + `moov` (the init segment), then
 * `moof` + `mdat` pairs, each starting at a keyframe.
 */

export interface Mp4Box {
  type: string;
  /** The whole box, header included. */
  data: Buffer;
}

/** Splits a byte stream into top-level boxes. Keeps at most one partial box. */
export class Mp4BoxSplitter {
  private buf: Buffer = Buffer.alloc(0);

  /**
   * @returns complete top-level boxes in order.
   * @throws Error on a box size < 8 or > 64 MiB (not an MP4 stream).
   */
  push(chunk: Buffer): Mp4Box[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Mp4Box[] = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(0);
      if (size < 8 || size > 64 << 20) throw new Error(`bad MP4 box size ${size}`);
      if (this.buf.length < size) break;
      out.push({ type: this.buf.toString('latin1', 4, 8), data: Buffer.from(this.buf.subarray(0, size)) });
      this.buf = this.buf.subarray(size);
    }
    return out;
  }
}

/**
 * RFC 6381 codec string of the H.264 track in an init segment: `avc1.PPCCLL` from the avcC box
 * (profile_idc, constraint flags, level_idc). Null when there is no avcC (e.g. H.265, which browsers' MSE
 * rarely plays).
 */
export function avcCodecString(init: Buffer): string | null {
  const i = init.indexOf('avcC', 0, 'latin1');
  if (i < 0 || i + 8 > init.length) return null;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `avc1.${hex(init[i + 5]!)}${hex(init[i + 6]!)}${hex(init[i + 7]!)}`;
}
