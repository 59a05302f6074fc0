/**
 * Pure rewriting of sequence parameter sets so that a decoder fed only keyframes outputs each picture at once.
 *
 * Why: a decoder holds back as many pictures as the SPS says may be reordered (H.264 VUI
 * `max_num_reorder_frames`, H.265 `sps_max_num_reorder_pics`; x264 with B-frames writes 1–2). A stream that
 * carries only keyframes has nothing to reorder, but the decoder does not know that, so each sampled frame
 * would come out only after the next one or two — 2–4 s late at one frame per 2 s (measured with ffmpeg 5.1
 * on the demo clips: a 2-frame lag). Declaring "no reordering" is exact for a stream of IDR/IRAP pictures
 * only (every picture starts a new coded video sequence), and it is what a keyframe-only stream is.
 *
 * Syntax: ITU-T H.264 (08/2021) §7.3.2.1.1 and Annex E.1.1; ITU-T H.265 (08/2021) §7.3.2.2.1 and §7.3.3.
 */

/** NAL payload → RBSP: removes emulation-prevention bytes (00 00 03 → 00 00; §7.4.1). */
export function toRbsp(nal: Buffer): Buffer {
  const out = Buffer.allocUnsafe(nal.length);
  let n = 0;
  let zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/** RBSP → NAL payload: inserts emulation-prevention bytes where 00 00 is followed by 00–03. */
export function fromRbsp(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

class BitReader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  get left(): number {
    return this.b.length * 8 - this.pos;
  }
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.b.length * 8) throw new RangeError('SPS ends early');
      v = v * 2 + ((this.b[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
  ue(): number {
    let z = 0;
    while (this.u(1) === 0) if (++z > 31) throw new RangeError('bad Exp-Golomb code');
    return z === 0 ? 0 : 2 ** z - 1 + this.u(z);
  }
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

class BitWriter {
  private readonly bits: number[] = [];
  u(n: number, v: number): void {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
  }
  ue(v: number): void {
    const x = v + 1;
    const len = Math.floor(Math.log2(x));
    this.u(len, 0);
    this.u(len + 1, x);
  }
  /** Copies bits [from, to) of `src`. */
  copy(src: Buffer, from: number, to: number): void {
    for (let p = from; p < to; p++) this.bits.push((src[p >> 3]! >> (7 - (p & 7))) & 1);
  }
  /** rbsp_trailing_bits(): a 1 then zeros to the byte boundary. */
  trailing(): Buffer {
    this.bits.push(1);
    while (this.bits.length % 8 !== 0) this.bits.push(0);
    const out = Buffer.alloc(this.bits.length / 8);
    this.bits.forEach((bit, i) => {
      if (bit) out[i >> 3]! |= 0x80 >> (i & 7);
    });
    return out;
  }
}

function scalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

function hrd(r: BitReader): void {
  const cpbCnt = r.ue() + 1;
  r.u(4);
  r.u(4);
  for (let i = 0; i < cpbCnt; i++) {
    r.ue();
    r.ue();
    r.u(1);
  }
  r.u(5);
  r.u(5);
  r.u(5);
  r.u(5);
}

function h264Rbsp(nal: Buffer): Buffer {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) throw new RangeError('not an H.264 SPS');
  return toRbsp(nal.subarray(1));
}

/** What {@link h264SpsInfo} reports. */
export interface H264SpsInfo {
  /** `profile_idc` (66 Baseline, 77 Main, 100 High, 110 High 10, 122 High 4:2:2, 244 High 4:4:4…). */
  profileIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 (1 when the profile does not signal it). */
  chromaFormatIdc: number;
  /** Bit depth of luma samples (8 when not signalled). */
  bitDepth: number;
  /** Picture size after the cropping window, px (4:2:0 crop units). */
  width: number;
  height: number;
}

/** Reads the SPS fields up to (not including) `vui_parameters_present_flag`. */
function h264SpsHead(r: BitReader): H264SpsInfo & { maxRefFrames: number } {
  const profileIdc = r.u(8);
  r.u(8);
  r.u(8);
  r.ue();
  let chromaFormatIdc = 1;
  let bitDepth = 8;
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) r.u(1);
    bitDepth = r.ue() + 8;
    r.ue();
    r.u(1);
    if (r.u(1))
      for (let i = 0; i < (chromaFormatIdc !== 3 ? 8 : 12); i++) if (r.u(1)) scalingList(r, i < 6 ? 16 : 64);
  }
  r.ue();
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.u(1);
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n; i++) r.se();
  }
  const maxRefFrames = r.ue();
  r.u(1);
  const widthMbs = r.ue() + 1;
  const heightUnits = r.ue() + 1;
  const frameMbsOnly = r.u(1);
  if (!frameMbsOnly) r.u(1);
  r.u(1);
  let crop = [0, 0, 0, 0];
  if (r.u(1)) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  const cropX = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
  const cropY = (chromaFormatIdc === 1 ? 2 : 1) * (2 - frameMbsOnly);
  return {
    profileIdc,
    chromaFormatIdc,
    bitDepth,
    width: widthMbs * 16 - cropX * (crop[0]! + crop[1]!),
    height: heightUnits * 16 * (2 - frameMbsOnly) - cropY * (crop[2]! + crop[3]!),
    maxRefFrames,
  };
}

/**
 * Profile, chroma format, bit depth and cropped picture size of an H.264 SPS NAL unit (§7.4.2.1.1).
 * @throws RangeError when it cannot be parsed.
 */
export function h264SpsInfo(nal: Buffer): H264SpsInfo {
  const { maxRefFrames: _unused, ...info } = h264SpsHead(new BitReader(h264Rbsp(nal)));
  return info;
}

/**
 * An H.264 SPS NAL unit (with its 1-byte header) declaring no picture reordering: VUI
 * `bitstream_restriction_flag` = 1 with `max_num_reorder_frames` = 0 and `max_dec_frame_buffering` =
 * max(1, `max_num_ref_frames`); the other restriction fields are kept (or set to their inferred defaults when
 * the SPS had none, §E.2.1). Everything before them is copied bit for bit.
 * @throws RangeError when the SPS cannot be parsed (truncated, not an SPS).
 */
export function h264SpsWithoutReordering(nal: Buffer): Buffer {
  const rbsp = h264Rbsp(nal);
  const r = new BitReader(rbsp);
  const { maxRefFrames } = h264SpsHead(r);
  const w = new BitWriter();
  const vuiFlagAt = r.pos;
  let restriction = { mvOverBoundaries: 1, maxBytesPerPicDenom: 2, maxBitsPerMbDenom: 1, mvH: 16, mvV: 16 };
  if (!r.u(1)) {
    w.copy(rbsp, 0, vuiFlagAt);
    // vui_parameters_present_flag = 1, then every VUI flag 0 up to bitstream_restriction_flag.
    w.u(1, 1);
    w.u(8, 0);
  } else {
    if (r.u(1) && r.u(8) === 255) r.u(32);
    if (r.u(1)) r.u(1);
    if (r.u(1)) {
      r.u(4);
      if (r.u(1)) r.u(24);
    }
    if (r.u(1)) {
      r.ue();
      r.ue();
    }
    if (r.u(1)) r.u(65);
    const nal = r.u(1);
    if (nal) hrd(r);
    const vcl = r.u(1);
    if (vcl) hrd(r);
    if (nal || vcl) r.u(1);
    r.u(1);
    w.copy(rbsp, 0, r.pos);
    if (r.u(1))
      restriction = {
        mvOverBoundaries: r.u(1),
        maxBytesPerPicDenom: r.ue(),
        maxBitsPerMbDenom: r.ue(),
        mvH: r.ue(),
        mvV: r.ue(),
      };
  }
  w.u(1, 1);
  w.u(1, restriction.mvOverBoundaries);
  w.ue(restriction.maxBytesPerPicDenom);
  w.ue(restriction.maxBitsPerMbDenom);
  w.ue(restriction.mvH);
  w.ue(restriction.mvV);
  w.ue(0);
  w.ue(Math.max(1, maxRefFrames));
  return Buffer.concat([nal.subarray(0, 1), fromRbsp(w.trailing())]);
}

/**
 * An H.265 SPS NAL unit (with its 2-byte header) with `sps_max_num_reorder_pics[i]` = 0 for every sub-layer;
 * every other bit is copied.
 * @throws RangeError when the SPS cannot be parsed (truncated, not an SPS).
 */
export function hevcSpsWithoutReordering(nal: Buffer): Buffer {
  if (((nal[0]! >> 1) & 0x3f) !== 33) throw new RangeError('not an H.265 SPS');
  const rbsp = toRbsp(nal.subarray(2));
  const r = new BitReader(rbsp);
  r.u(4);
  const maxSubLayersMinus1 = r.u(3);
  r.u(1);
  // profile_tier_level(1, maxSubLayersMinus1): general part (88 + 8 bits), then sub-layer flags.
  r.u(32);
  r.u(32);
  r.u(24);
  r.u(8);
  const profilePresent: number[] = [];
  const levelPresent: number[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.u(1));
    levelPresent.push(r.u(1));
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.u(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) {
      r.u(32);
      r.u(32);
      r.u(24);
    }
    if (levelPresent[i]) r.u(8);
  }
  r.ue();
  if (r.ue() === 3) r.u(1);
  r.ue();
  r.ue();
  if (r.u(1)) {
    r.ue();
    r.ue();
    r.ue();
    r.ue();
  }
  r.ue();
  r.ue();
  r.ue();
  const orderingAll = r.u(1);
  const w = new BitWriter();
  w.copy(rbsp, 0, r.pos);
  for (let i = orderingAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    w.ue(r.ue());
    r.ue();
    w.ue(0);
    w.ue(r.ue());
  }
  // The rest, up to (not including) the original rbsp_trailing_bits.
  let end = rbsp.length * 8 - 1;
  while (end > r.pos && ((rbsp[end >> 3]! >> (7 - (end & 7))) & 1) === 0) end--;
  w.copy(rbsp, r.pos, end);
  return Buffer.concat([nal.subarray(0, 2), fromRbsp(w.trailing())]);
}
