/** The evidence clip for real: JPEG frames → ffmpeg → an MP4 a browser plays (H.264, yuv420p, moov first). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
});
