import { describe, expect, it } from 'vitest';
import {
  buildCaptureArgs,
  buildKeyframeDecodeArgs,
  buildLiveArgs,
  buildLoopFeederArgs,
  captureFrameSize,
  captureOutputSize,
  fpsRational,
  ivfFileHeader,
  ivfFrameHeader,
} from './ffmpegArgs.ts';

describe('buildCaptureArgs', () => {
  it('pulls RTSP over TCP with an I/O timeout and samples at the interval as PPM on stdout', () => {
    const a = buildCaptureArgs({ url: 'rtsp://127.0.0.1:8554/cam', sampleIntervalMs: 2000 });
    expect(a).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '5000000',
      '-threads',
      '1',
      '-i',
      'rtsp://127.0.0.1:8554/cam',
      '-an',
      '-sn',
      '-dn',
      '-vf',
      'fps=fps=1000/2000',
      '-pix_fmt',
      'rgb24',
      '-f',
      'image2pipe',
      '-c:v',
      'ppm',
      'pipe:1',
    ]);
  });

  it('puts -skip_frame nokey before -i in keyframe mode', () => {
    const a = buildCaptureArgs({ url: 'rtsp://h/x', sampleIntervalMs: 1000, decodeMode: 'keyframes' });
    expect(a.indexOf('-skip_frame')).toBeGreaterThan(-1);
    expect(a.indexOf('-skip_frame')).toBeLessThan(a.indexOf('-i'));
    expect(a[a.indexOf('-skip_frame') + 1]).toBe('nokey');
  });

  it('passes the URL unchanged, credentials included, as one argument', () => {
    const url =
      'rtsp://admin:p%40ss%23w%3Ard%2F1%25@10.1.2.3:554/Streaming/Channels/101?transportmode=unicast';
    const a = buildCaptureArgs({ url, sampleIntervalMs: 2000 });
    expect(a[a.indexOf('-i') + 1]).toBe(url);
  });

  it('omits RTSP options for files and honours transport, timeout and downscale', () => {
    expect(buildCaptureArgs({ url: '/tmp/a.mp4', sampleIntervalMs: 500 })).not.toContain('-rtsp_transport');
    const a = buildCaptureArgs({
      url: 'rtsp://h/x',
      sampleIntervalMs: 500,
      rtspTransport: 'udp',
      ioTimeoutMs: 2500,
      maxWidth: 1280,
    });
    expect(a.slice(a.indexOf('-rtsp_transport'), a.indexOf('-rtsp_transport') + 4)).toEqual([
      '-rtsp_transport',
      'udp',
      '-timeout',
      '2500000',
    ]);
    expect(a[a.indexOf('-vf') + 1]).toBe("fps=fps=1000/500,scale='min(1280,iw)':-2");
  });

  it('rejects non-positive intervals', () => {
    expect(() => fpsRational(0)).toThrow(RangeError);
    expect(() => buildCaptureArgs({ url: 'rtsp://h/x', sampleIntervalMs: -1 })).toThrow(/sampleIntervalMs/);
  });
});

describe('buildLoopFeederArgs', () => {
  it('loops a clip in real time without re-encoding into MPEG-TS over UDP', () => {
    const a = buildLoopFeederArgs('/clips/a.mp4', 20001);
    expect(a).toContain('-re');
    expect(a.slice(a.indexOf('-stream_loop'), a.indexOf('-stream_loop') + 2)).toEqual(['-stream_loop', '-1']);
    expect(a.slice(a.indexOf('-c'), a.indexOf('-c') + 2)).toEqual(['-c', 'copy']);
    expect(a.at(-1)).toBe('udp://127.0.0.1:20001?pkt_size=1316');
  });
});

describe('buildLiveArgs', () => {
  it('copies the video track into fragmented MP4 over TCP', () => {
    const a = buildLiveArgs('rtsp://h/x');
    expect(a.slice(a.indexOf('-c:v'), a.indexOf('-c:v') + 2)).toEqual(['-c:v', 'copy']);
    expect(a[a.indexOf('-movflags') + 1]).toBe('frag_keyframe+empty_moov+default_base_moof');
    expect(a[a.indexOf('-frag_duration') + 1]).toBe('250000');
    // Normal probing: one second of analysis, before the input.
    expect(a[a.indexOf('-analyzeduration') + 1]).toBe('1000000');
    expect(a.indexOf('-analyzeduration')).toBeLessThan(a.indexOf('-i'));
    // Fast start: codec parameters from the SDP, no analysis.
    const f = buildLiveArgs('rtsp://h/x', 5000, 'fast');
    expect(f.slice(f.indexOf('-analyzeduration'), f.indexOf('-analyzeduration') + 4)).toEqual([
      '-analyzeduration',
      '0',
      '-probesize',
      '32',
    ]);
    expect(a).toContain('tcp');
    expect(a.at(-1)).toBe('pipe:1');
  });
});

describe('cheaper capture options', () => {
  it('discards non-key packets in keyframe mode and decodes with one thread by default', () => {
    const a = buildCaptureArgs({ url: 'rtsp://h/x', sampleIntervalMs: 2000, decodeMode: 'keyframes' });
    const i = a.indexOf('-i');
    expect(a[a.indexOf('-discard') + 1]).toBe('nokey');
    expect(a.indexOf('-discard')).toBeLessThan(i);
    expect(a[a.indexOf('-threads') + 1]).toBe('1');
    expect(a.indexOf('-threads')).toBeLessThan(i);
    const all = buildCaptureArgs({ url: 'rtsp://h/x', sampleIntervalMs: 2000, decodeMode: 'all' });
    expect(all).not.toContain('-discard');
    expect(all).not.toContain('-skip_frame');
    expect(buildCaptureArgs({ url: 'x.mp4', sampleIntervalMs: 2000, decoderThreads: 0 })).toContain('0');
    expect(() => buildCaptureArgs({ url: 'x.mp4', sampleIntervalMs: 2000, decoderThreads: -1 })).toThrow(
      RangeError,
    );
  });

  it('scales to an exact output size inside ffmpeg, after the fps filter', () => {
    const a = buildCaptureArgs({
      url: 'x.mp4',
      sampleIntervalMs: 2000,
      outputSize: { width: 854, height: 480 },
    });
    expect(a[a.indexOf('-vf') + 1]).toBe('fps=fps=1000/2000,scale=854:480:flags=bilinear');
    expect(() =>
      buildCaptureArgs({ url: 'x.mp4', sampleIntervalMs: 2000, outputSize: { width: 853, height: 480 } }),
    ).toThrow(RangeError);
  });
});

describe('captureOutputSize', () => {
  const smoke = { input: { width: 640, height: 480 }, nativeScale: false };
  const hotspot = { input: { width: 320, height: 256 }, nativeScale: true };
  it('covers a whole-frame model input with the camera aspect kept', () => {
    expect(captureOutputSize({ width: 1920, height: 1080 }, [smoke])).toEqual({ width: 854, height: 480 });
    expect(captureOutputSize({ width: 2560, height: 1440 }, [smoke])).toEqual({ width: 854, height: 480 });
    expect(captureOutputSize({ width: 1280, height: 960 }, [smoke])).toEqual({ width: 640, height: 480 });
  });
  it('keeps the native size for tiling models, unknown sizes, no detectors or small streams', () => {
    expect(captureOutputSize({ width: 1920, height: 1080 }, [smoke, hotspot])).toBeNull();
    expect(captureOutputSize({ width: 320, height: 256 }, [hotspot])).toBeNull();
    expect(captureOutputSize(null, [smoke])).toBeNull();
    expect(captureOutputSize({ width: 1920, height: 1080 }, [])).toBeNull();
    expect(captureOutputSize({ width: 640, height: 360 }, [smoke])).toBeNull();
  });
  it('takes the largest need of several whole-frame models', () => {
    const big = { input: { width: 1024, height: 576 }, nativeScale: false };
    expect(captureOutputSize({ width: 1920, height: 1080 }, [smoke, big])).toEqual({
      width: 1024,
      height: 576,
    });
  });
});

describe('captureFrameSize', () => {
  const smoke = { input: { width: 640, height: 480 }, nativeScale: false, resize: 'stretch' as const };
  it('outputs exactly the input of a stretch model, with the aspect-kept size for people', () => {
    expect(captureFrameSize({ width: 1920, height: 1080 }, [smoke])).toEqual({
      output: { width: 640, height: 480 },
      display: { width: 854, height: 480 },
    });
    // a 640×360 sub-stream is stretched up to 640×480 (what the model would get anyway); shown at native size
    expect(captureFrameSize({ width: 640, height: 360 }, [smoke])).toEqual({
      output: { width: 640, height: 480 },
      display: { width: 640, height: 360 },
    });
    // same aspect as the input: plain downscale, nothing to un-stretch
    expect(captureFrameSize({ width: 1280, height: 960 }, [smoke])).toEqual({
      output: { width: 640, height: 480 },
      display: null,
    });
    expect(captureFrameSize({ width: 640, height: 480 }, [smoke])).toEqual({ output: null, display: null });
  });
  it('keeps the aspect-kept rule for letterbox, unknown-resize, mixed-size, tiling models and unknown sizes', () => {
    const yolo = { ...smoke, resize: 'letterbox' as const };
    const unknown = { input: { width: 640, height: 480 }, nativeScale: false };
    const other = { ...smoke, input: { width: 320, height: 320 } };
    const hotspot = { input: { width: 320, height: 256 }, nativeScale: true, resize: 'stretch' as const };
    const dust = { input: { width: 320, height: 0 }, nativeScale: false };
    const hd = { width: 1920, height: 1080 };
    expect(captureFrameSize(hd, [yolo])).toEqual({ output: { width: 854, height: 480 }, display: null });
    expect(captureFrameSize(hd, [unknown])).toEqual({ output: { width: 854, height: 480 }, display: null });
    expect(captureFrameSize(hd, [smoke, other])).toEqual({
      output: { width: 854, height: 480 },
      display: null,
    });
    expect(captureFrameSize(hd, [smoke, dust])).toEqual({
      output: { width: 854, height: 480 },
      display: null,
    });
    expect(captureFrameSize(hd, [smoke, hotspot])).toEqual({ output: null, display: null });
    expect(captureFrameSize(null, [smoke])).toEqual({ output: null, display: null });
    expect(captureFrameSize(hd, [])).toEqual({ output: null, display: null });
  });
  it('accepts several stretch models of one input size', () => {
    expect(captureFrameSize({ width: 1920, height: 1080 }, [smoke, { ...smoke }]).output).toEqual({
      width: 640,
      height: 480,
    });
  });
});

describe('buildKeyframeDecodeArgs', () => {
  it('decodes IVF-framed keyframes with a named decoder and flushes each PPM frame at once', () => {
    const a = buildKeyframeDecodeArgs({ codec: 'hevc', input: 'unix:/tmp/x.sock' });
    expect(a.slice(a.indexOf('-c:v'), a.indexOf('-i') + 2)).toEqual([
      '-c:v',
      'hevc',
      '-f',
      'ivf',
      '-i',
      'unix:/tmp/x.sock',
    ]);
    expect(a).not.toContain('nobuffer'); // would discard the first keyframe (read while probing)
    expect(a[a.indexOf('-flush_packets') + 1]).toBe('1');
    expect(a[a.indexOf('-fps_mode') + 1]).toBe('passthrough');
    expect(a).not.toContain('-vf');
    expect(a.slice(-5)).toEqual(['-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1']);
  });

  it('scales to an exact output size and rejects odd sizes and bad thread counts', () => {
    const a = buildKeyframeDecodeArgs({
      codec: 'h264',
      input: 'pipe:0',
      outputSize: { width: 640, height: 480 },
    });
    expect(a[a.indexOf('-vf') + 1]).toBe('scale=640:480:flags=bilinear');
    expect(() =>
      buildKeyframeDecodeArgs({ codec: 'h264', input: 'pipe:0', outputSize: { width: 641, height: 480 } }),
    ).toThrow(RangeError);
    expect(() => buildKeyframeDecodeArgs({ codec: 'h264', input: 'pipe:0', decoderThreads: -1 })).toThrow(
      RangeError,
    );
  });
});

describe('IVF headers', () => {
  it('writes the 32-byte file header and 12-byte frame headers little-endian', () => {
    const h = ivfFileHeader('hevc', 1920, 1080);
    expect(h.length).toBe(32);
    expect(h.toString('latin1', 0, 4)).toBe('DKIF');
    expect(h.readUInt16LE(6)).toBe(32);
    expect(h.toString('latin1', 8, 12)).toBe('HEVC');
    expect([h.readUInt16LE(12), h.readUInt16LE(14)]).toEqual([1920, 1080]);
    expect([h.readUInt32LE(16), h.readUInt32LE(20)]).toEqual([1000, 1]);
    expect(ivfFileHeader('h264').toString('latin1', 8, 12)).toBe('H264');
    const f = ivfFrameHeader(123_456, 2000.4);
    expect([f.length, f.readUInt32LE(0), Number(f.readBigUInt64LE(4))]).toEqual([12, 123_456, 2000]);
  });
});
