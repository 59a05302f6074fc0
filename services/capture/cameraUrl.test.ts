import { describe, expect, it } from 'vitest';
import { redactUrl } from '../util/logger.ts';
import { encodeUserinfo, resolveCameraUrl, withCredentials } from './cameraUrl.ts';

describe('camera credentials', () => {
  const pw = "p@ss#w:rd/1%!'()*";
  it('percent-encodes every reserved character of the password', () => {
    expect(encodeUserinfo(pw)).toBe('p%40ss%23w%3Ard%2F1%25%21%27%28%29%2A');
    expect(decodeURIComponent(encodeUserinfo(pw))).toBe(pw);
  });
  it('inserts or replaces userinfo and the result parses with the same credentials', () => {
    const u = withCredentials('rtsp://old:x@10.0.0.5:554/Streaming/101?a=1', 'admin', pw);
    const parsed = new URL(u);
    expect(parsed.hostname).toBe('10.0.0.5');
    expect(parsed.pathname).toBe('/Streaming/101');
    expect(decodeURIComponent(parsed.password)).toBe(pw);
    expect(redactUrl(u)).toBe('rtsp://***@10.0.0.5:554/Streaming/101?a=1');
  });
  it('takes the password from the environment when configured so, and says which variable is missing', () => {
    const cam = { id: 'c1', url: 'rtsp://h/x', auth: { username: 'u', passwordEnv: 'CAM_PW' } };
    expect(resolveCameraUrl(cam, { CAM_PW: 'a:b' })).toBe('rtsp://u:a%3Ab@h/x');
    expect(() => resolveCameraUrl(cam, {})).toThrow('environment variable CAM_PW');
    expect(resolveCameraUrl({ id: 'c2', url: 'rtsp://h/y' })).toBe('rtsp://h/y');
  });
  it('gives the sampling ffmpeg the detect sub-stream when configured (same credentials), the live view the main stream', () => {
    const cam = {
      id: 'c3',
      url: 'rtsp://h/Streaming/101',
      detectUrl: 'rtsp://h/Streaming/102',
      auth: { username: 'u', password: 'p' },
    };
    expect(resolveCameraUrl(cam, {}, 'detect')).toBe('rtsp://u:p@h/Streaming/102');
    expect(resolveCameraUrl(cam, {})).toBe('rtsp://u:p@h/Streaming/101');
    expect(resolveCameraUrl({ id: 'c4', url: 'rtsp://h/a' }, {}, 'detect')).toBe('rtsp://h/a');
  });
});
