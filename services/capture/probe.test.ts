import { describe, expect, it } from 'vitest';
import {
  buildProbeArgs,
  chooseDecodeMode,
  gopFromPackets,
  parseProbeJson,
  explainProbeFailure,
} from './probe.ts';

describe('gopFromPackets', () => {
  it('takes the median keyframe interval', () => {
    const pk = [0, 0.04, 2, 2.04, 4, 6.5, 8.5].map((t) => ({
      ptsS: t,
      key: t === Math.round(t * 2) / 2 && t !== 0.04 && t !== 2.04,
    }));
    expect(gopFromPackets(pk)).toBe(2000);
  });
  it('is null with fewer than two keyframes', () => {
    expect(
      gopFromPackets([
        { ptsS: 0, key: true },
        { ptsS: 1, key: false },
      ]),
    ).toBeNull();
  });
});

describe('chooseDecodeMode', () => {
  it('decodes keyframes only when the GOP is no longer than the sampling interval', () => {
    expect(chooseDecodeMode(1000, 2000)).toBe('keyframes');
    expect(chooseDecodeMode(2000, 2000)).toBe('keyframes');
    expect(chooseDecodeMode(1006, 1000)).toBe('keyframes'); // RTSP timestamp jitter on a 1 s GOP
    expect(chooseDecodeMode(1500, 1000)).toBe('all');
    expect(chooseDecodeMode(60_000, 2000)).toBe('all');
    expect(chooseDecodeMode(null, 2000)).toBe('all');
  });
});

describe('parseProbeJson', () => {
  it('reads codec, size and GOP', () => {
    const j = JSON.stringify({
      streams: [{ codec_type: 'video', codec_name: 'hevc', width: 1366, height: 767 }],
      packets: [
        { pts_time: '0.0', flags: 'K__' },
        { pts_time: '0.5', flags: '___' },
        { pts_time: '1.0', flags: 'K__' },
        { pts_time: '2.0', flags: 'K_' },
      ],
    });
    expect(parseProbeJson(j)).toEqual({ codec: 'hevc', width: 1366, height: 767, gopMs: 1000 });
    expect(() => parseProbeJson('{"streams":[]}')).toThrow(/no video/);
  });
  it('builds ffprobe arguments with TCP and a timeout for RTSP', () => {
    const a = buildProbeArgs('rtsp://h/x', 6);
    expect(a).toContain('-rtsp_transport');
    expect(a[a.indexOf('-read_intervals') + 1]).toBe('%+6');
    expect(a.at(-1)).toBe('rtsp://h/x');
  });
});

describe('explainProbeFailure', () => {
  const invalid = 'rtsp://cam/stream: Invalid data found when processing input';

  it('names a silent camera: connection accepted, no answer until the I/O timeout', () => {
    expect(explainProbeFailure(invalid, 5200)).toBe(
      `no RTSP answer: the camera accepted the connection but sent nothing for 5 s (ffprobe: ${invalid})`,
    );
  });

  it('keeps an immediate "Invalid data" (a non-RTSP server) and other messages as they are', () => {
    expect(explainProbeFailure(invalid, 80)).toBe(invalid);
    expect(explainProbeFailure('Connection refused', 9000)).toBe('Connection refused');
  });
});
