import { describe, expect, it } from 'vitest';
import {
  appendCapped,
  clipBatchFfmpegArgs,
  clipCopyable,
  clipFfmpegArgs,
  clipMixedFfmpegArgs,
  clipRuns,
  FrameRing,
  jpegSize,
  type ClipFrame,
} from './clip.ts';
import { h264SpsInfo } from '../capture/rtsp/sps.ts';

// SPSs written by x264: 320×240 High (B-frames), 1920×1080 High, 320×240 High 4:4:4, 320×240 High 10.
const SPS_320 = Buffer.from('6764000cacd94141fb011000000300100000030140f1429960', 'hex');
const SPS_1080 = Buffer.from('67640028ace401e0089f970110000003001000000300a0f1831120', 'hex');
const SPS_444 = Buffer.from('67f4000b919c80a0fd80880000030008000003005078a14890', 'hex');
const SPS_10BIT = Buffer.from('676e000ba6ce40507ec044000003000400000300283c50a448', 'hex');
const au = (sps: Buffer) =>
  Buffer.concat([Buffer.from([0, 0, 0, 1]), sps, Buffer.from([0, 0, 0, 1, 0x65, 0x88, 0x84])]);

const f = (at: number) => ({ at, jpeg: Buffer.from([at]) });

describe('clip frames', () => {
  it('the ring keeps the most recent frames', () => {
    const r = new FrameRing(3);
    [1, 2, 3, 4].forEach((i) => r.push(f(i)));
    expect(r.snapshot().map((x) => x.at)).toEqual([2, 3, 4]);
  });
  it('a long alert keeps its pre-roll, its start and its most recent frames', () => {
    let frames: ClipFrame[] = [f(0), f(1)];
    for (let i = 2; i < 20; i++) frames = appendCapped(frames, f(i), 2, 10, 3);
    expect(frames).toHaveLength(10);
    expect(frames.map((x) => x.at)).toEqual([0, 1, 2, 3, 4, 15, 16, 17, 18, 19]);
  });
  it('builds browser-playable H.264 arguments', () => {
    const a = clipFfmpegArgs('/tmp/x', 2, '/tmp/x/out.mp4');
    expect(a.join(' ')).toContain('-c:v libx264');
    expect(a.join(' ')).toContain('-pix_fmt yuv420p');
    expect(a.join(' ')).toContain('-movflags +faststart');
    expect(a.at(-1)).toBe('/tmp/x/out.mp4');
  });
  it('maps each batch input to its own output with the same encoding options', () => {
    const a = clipBatchFfmpegArgs([
      { dir: '/t/a', fps: 2, out: '/t/a/clip.mp4' },
      { dir: '/t/b', fps: 4, out: '/t/b/clip.mp4' },
    ]).join(' ');
    expect(a).toContain('-framerate 2 -i /t/a/%05d.jpg -framerate 4 -i /t/b/%05d.jpg');
    expect(a).toMatch(
      /-map 0:v .*-c:v libx264 .*-threads 1 \/t\/a\/clip\.mp4 -map 1:v .*-movflags \+faststart .*\/t\/b\/clip\.mp4$/,
    );
    expect(() => clipBatchFfmpegArgs([])).toThrow(RangeError);
  });
});

describe('keyframe clips', () => {
  it('reads profile, chroma format, bit depth and the cropped size from the SPS', () => {
    expect(h264SpsInfo(SPS_1080)).toEqual({
      profileIdc: 100,
      chromaFormatIdc: 1,
      bitDepth: 8,
      width: 1920,
      height: 1080,
    });
    expect(h264SpsInfo(SPS_444)).toMatchObject({
      profileIdc: 244,
      chromaFormatIdc: 3,
      width: 320,
      height: 240,
    });
    expect(h264SpsInfo(SPS_10BIT)).toMatchObject({ profileIdc: 110, bitDepth: 10 });
  });

  it('muxes only browser-playable H.264 up to 1280 px wide', () => {
    const k = (sps: Buffer, codec: 'h264' | 'hevc' = 'h264') => ({ codec, timestamp: 0, annexB: au(sps) });
    expect(clipCopyable(k(SPS_320))).toBe(true);
    expect(clipCopyable(k(SPS_1080))).toBe(false); // too wide
    expect(clipCopyable(k(SPS_1080), 1920)).toBe(true);
    expect(clipCopyable(k(SPS_444))).toBe(false);
    expect(clipCopyable(k(SPS_10BIT))).toBe(false);
    expect(clipCopyable(k(SPS_320, 'hevc'))).toBe(false);
    expect(clipCopyable({ codec: 'h264', timestamp: 0, annexB: Buffer.from([0, 0, 0, 1, 0x65, 1]) })).toBe(
      false,
    );
  });

  it('splits frames into runs of one kind and one SPS', () => {
    const frames: ClipFrame[] = [
      { at: 1, h264: au(SPS_320) },
      { at: 2, h264: au(SPS_320) },
      { at: 3, h264: au(SPS_1080) },
      { at: 4, jpeg: Buffer.from([1]) },
      { at: 5, jpeg: Buffer.from([2]) },
    ];
    expect(clipRuns(frames).map((r) => [r.kind, r.frames.map((f) => f.at)])).toEqual([
      ['h264', [1, 2]],
      ['h264', [3]],
      ['jpeg', [4, 5]],
    ]);
  });

  it('reads a JPEG size from its SOF marker', () => {
    const sof = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x01, 0xe0, 0x02, 0x80, 3,
    ]);
    expect(jpegSize(Buffer.concat([sof, Buffer.alloc(8)]))).toEqual({ width: 640, height: 480 });
    expect(jpegSize(Buffer.from([0xff, 0xd8, 0x00]))).toBeNull();
  });

  it('copies keyframe jobs and encodes JPEG jobs in one batch', () => {
    const a = clipBatchFfmpegArgs([
      { kind: 'copy', dir: '/t/a/keyframes.h264', fps: 2, out: '/t/a/clip.mp4' },
      { dir: '/t/b', fps: 2, out: '/t/b/clip.mp4' },
    ]).join(' ');
    expect(a).toContain('-framerate 2 -f h264 -i /t/a/keyframes.h264 -framerate 2 -i /t/b/%05d.jpg');
    expect(a).toContain(
      '-map 0:v -c:v copy -bsf:v setts=ts=N/(2*TB) -movflags +faststart -an /t/a/clip.mp4 -map 1:v -vf',
    );
  });

  it('scales, pads and concatenates the runs of a mixed clip to the first frame size', () => {
    const a = clipMixedFfmpegArgs(
      [
        { kind: 'h264', path: '/t/run0.h264' },
        { kind: 'jpeg', path: '/t/run1' },
      ],
      2,
      { width: 1920, height: 1080 },
      '/t/clip.mp4',
    );
    const fc = a[a.indexOf('-filter_complex') + 1]!;
    expect(fc).toContain(
      '[0:v]setpts=N/(2*TB),scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720',
    );
    expect(fc).toContain('[v0][v1]concat=n=2:v=1:a=0[out]');
    expect(a.join(' ')).toContain('-f h264 -i /t/run0.h264 -framerate 2 -i /t/run1/%05d.jpg');
    expect(a).not.toContain('-vf');
    expect(a.slice(-1)).toEqual(['/t/clip.mp4']);
    expect(() => clipMixedFfmpegArgs([], 2, { width: 2, height: 2 }, '/x')).toThrow(RangeError);
  });
});
