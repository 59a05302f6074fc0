import { describe, expect, it } from 'vitest';
import { parseSdpVideo, resolveControlUrl, SdpError } from './sdp.ts';

describe('parseSdpVideo', () => {
  it('reads an H.264 track with its out-of-band SPS/PPS (gst-rtsp-server style)', () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=Session',
      'a=control:*',
      'm=audio 0 RTP/AVP 0',
      'a=control:stream=1',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      'a=fmtp:96 packetization-mode=1;profile-level-id=640028;sprop-parameter-sets=Z2QAKKzZQHgCJ+IQAAADABAAAAMDwPGDGWA=,aOvjyyLA',
      'a=control:stream=0',
    ].join('\r\n');
    const v = parseSdpVideo(sdp);
    expect([v.codec, v.payloadType, v.clockRate, v.control, v.donl]).toEqual([
      'h264',
      96,
      90000,
      'stream=0',
      false,
    ]);
    expect(v.parameterSets.map((p) => p[0]! & 0x1f)).toEqual([7, 8]);
  });

  it('reads H.265 parameter sets in VPS, SPS, PPS order and flags DONL', () => {
    const v = parseSdpVideo(
      'm=video 0 RTP/AVP 97\na=rtpmap:97 H265/90000\na=fmtp:97 sprop-pps=RAHAc8GJ; sprop-sps=QgEB; sprop-vps=QAEM; sprop-max-don-diff=2\n',
    );
    expect(v.codec).toBe('hevc');
    expect(v.parameterSets.map((p) => (p[0]! >> 1) & 0x3f)).toEqual([32, 33, 34]);
    expect(v.donl).toBe(true);
    expect(v.control).toBeNull();
  });

  it('names what it found when no video is supported', () => {
    expect(() => parseSdpVideo('m=video 0 RTP/AVP 26\na=rtpmap:26 JPEG/90000\n')).toThrow(
      new SdpError('no H.264/H.265 video in SDP (found: video JPEG)'),
    );
    expect(() => parseSdpVideo('m=audio 0 RTP/AVP 0\n')).toThrow('no video media in SDP');
  });
});

describe('resolveControlUrl', () => {
  it('follows RFC 2326 §C.1.1', () => {
    expect(resolveControlUrl('rtsp://h/cam/', 'trackID=1')).toBe('rtsp://h/cam/trackID=1');
    expect(resolveControlUrl('rtsp://h/cam', '/trackID=1')).toBe('rtsp://h/cam/trackID=1');
    expect(resolveControlUrl('rtsp://h/cam', 'rtsp://other/x')).toBe('rtsp://other/x');
    expect(resolveControlUrl('rtsp://h/cam', '*')).toBe('rtsp://h/cam');
    expect(resolveControlUrl('rtsp://h/cam', null)).toBe('rtsp://h/cam');
  });
});
