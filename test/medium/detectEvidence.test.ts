/**
 * The evidence clip for real: JPEG frames (or the camera's own H.264 keyframes) → ffmpeg → an MP4 a browser plays
 * (H.264, yuv420p, moov first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ffmpegClipEncoder } from '../../services/events/clip.ts';

describe('ffmpeg clip encoder', () => {
  it('builds a browser-playable H.264 MP4 from sampled JPEG frames', async () => {
    const frames = await Promise.all(
      [0, 1, 2, 3].map(async (i) => ({
        at: i * 2000,
        jpeg: await sharp({
          create: { width: 321, height: 241, channels: 3, background: { r: 60 * i, g: 80, b: 90 } },
        })
          .jpeg()
          .toBuffer(),
      })),
    );
    const mp4 = await ffmpegClipEncoder().encode(frames, 2);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tw-clip-test-')), 'a.mp4');
    writeFileSync(file, mp4);
    const probe = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-show_entries',
        'stream=codec_name,pix_fmt,width,height,nb_frames',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    );
    const s = (JSON.parse(probe.stdout) as { streams: Record<string, unknown>[] }).streams[0];
    expect(s).toMatchObject({
      codec_name: 'h264',
      pix_fmt: 'yuv420p',
      width: 320,
      height: 240,
      nb_frames: '4',
    });
    // +faststart: the moov atom comes before mdat.
    expect(mp4.indexOf('moov')).toBeGreaterThan(0);
    expect(mp4.indexOf('moov')).toBeLessThan(mp4.indexOf('mdat'));
  });

  it('reports ffmpeg failures', async () => {
    await expect(ffmpegClipEncoder().encode([{ at: 0, jpeg: Buffer.from('not a jpeg') }], 2)).rejects.toThrow(
      /ffmpeg exited/,
    );
    await expect(ffmpegClipEncoder().encode([], 2)).rejects.toThrow(/no frames/);
  });

  it('encodes clips asked for together in shared ffmpeg runs; a bad clip fails alone', async () => {
    const jpeg = (w: number, shade: number) =>
      sharp({ create: { width: w, height: 120, channels: 3, background: { r: shade, g: 80, b: 90 } } })
        .jpeg()
        .toBuffer();
    const enc = ffmpegClipEncoder();
    const clip = async (w: number, n: number) =>
      Promise.all(Array.from({ length: n }, async (_, i) => ({ at: i * 2000, jpeg: await jpeg(w, 40 * i) })));
    const jobs = [
      await clip(160, 3),
      await clip(200, 5),
      [{ at: 0, jpeg: Buffer.from('not a jpeg') }],
      await clip(240, 2),
    ];
    // the first starts at once; the other three queue behind it and go into one batch, which fails on the bad clip
    const results = await Promise.allSettled(jobs.map((f) => enc.encode(f, 2)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-clip-batch-'));
    const shapes = results.map((r, i) => {
      if (r.status !== 'fulfilled') return null;
      const file = path.join(dir, `${i}.mp4`);
      writeFileSync(file, r.value);
      const p = spawnSync(
        'ffprobe',
        ['-v', 'error', '-show_entries', 'stream=width,nb_frames', '-of', 'json', file],
        {
          encoding: 'utf8',
        },
      );
      const s = (JSON.parse(p.stdout) as { streams: { width: number; nb_frames: string }[] }).streams[0]!;
      return [s.width, Number(s.nb_frames)];
    });
    // each clip got its own frames, none mixed up
    expect(shapes).toEqual([[160, 3], [200, 5], null, [240, 2]]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
  });

  /** Keyframes as the built-in RTSP client hands them over: one Annex B file per IDR (SPS, PPS, SEI, IDR). */
  function keyframes(n: number, size: string): Buffer[] {
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-clip-kf-'));
    return Array.from({ length: n }, (_, i) => {
      const f = path.join(dir, `${i}.h264`);
      execFileSync('ffmpeg', [
        ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
        ...['-i', `testsrc2=size=${size}:rate=1`, '-ss', String(i), '-frames:v', '1'],
        ...['-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', f],
      ]);
      return readFileSync(f);
    });
  }
  const probe = (mp4: Buffer) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tw-clip-probe-')), 'c.mp4');
    writeFileSync(file, mp4);
    const p = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_name,pix_fmt,width,height,nb_read_frames',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    );
    return (JSON.parse(p.stdout) as { streams: Record<string, unknown>[] }).streams[0];
  };

  it("muxes the camera's H.264 keyframes as they are (no re-encoding), browser-playable", async () => {
    const kf = keyframes(4, '320x240');
    const mp4 = await ffmpegClipEncoder().encode(
      kf.map((h264, i) => ({ at: i * 2000, h264 })),
      2,
    );
    expect(probe(mp4)).toMatchObject({
      codec_name: 'h264',
      pix_fmt: 'yuv420p',
      width: 320,
      height: 240,
      nb_read_frames: '4',
    });
    // Copied, not encoded again: each keyframe's IDR slice is in the file byte for byte (MP4 stores NAL units
    // length-prefixed instead of after start codes).
    for (const k of kf) {
      const idr = k.subarray(k.lastIndexOf(Buffer.from([0, 0, 1, 0x65])) + 3);
      expect(mp4.includes(idr.subarray(0, 200))).toBe(true);
    }
    expect(mp4.indexOf('moov')).toBeLessThan(mp4.indexOf('mdat'));
  });

  it('joins a clip whose frames changed kind or size during the alert, at the first frame size', async () => {
    const jpeg = await sharp({
      create: { width: 640, height: 480, channels: 3, background: { r: 9, g: 80, b: 90 } },
    })
      .jpeg()
      .toBuffer();
    const frames = [
      ...keyframes(2, '320x240').map((h264, i) => ({ at: i * 2000, h264 })),
      ...keyframes(1, '640x360').map((h264) => ({ at: 4000, h264 })),
      { at: 6000, jpeg },
      { at: 8000, jpeg },
    ];
    expect(probe(await ffmpegClipEncoder().encode(frames, 2))).toMatchObject({
      codec_name: 'h264',
      pix_fmt: 'yuv420p',
      width: 320,
      height: 240,
      nb_read_frames: '5',
    });
  });
});
