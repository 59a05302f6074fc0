import { describe, expect, it } from 'vitest';
import { appendCapped, clipBatchFfmpegArgs, clipFfmpegArgs, FrameRing, type ClipFrame } from './clip.ts';

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
