import { describe, expect, it } from 'vitest';
import { hasUserinfo, redactUrl, urlEndpoint } from './logger.ts';

describe('redactUrl', () => {
  it('removes user and password from RTSP URLs, including reserved characters', () => {
    expect(redactUrl('rtsp://admin:p%40ss%23w%3Ard@10.0.0.5:554/Streaming/101')).toBe(
      'rtsp://***@10.0.0.5:554/Streaming/101',
    );
    expect(redactUrl('error opening rtsp://u:secret@h/x: 401')).toBe('error opening rtsp://***@h/x: 401');
  });
  it('redacts up to the last @ of the authority: an un-encoded @ in the user or password leaks nothing', () => {
    expect(redactUrl('rtsp://ops@site:Pw9x@127.0.0.1:18999/x')).toBe('rtsp://***@127.0.0.1:18999/x');
    expect(redactUrl('rtsp://u:p@w@h a rtsp://v:q@g/y')).toBe('rtsp://***@h a rtsp://***@g/y');
  });
  it('leaves URLs without credentials alone, and an @ in the path', () => {
    expect(redactUrl('rtsp://127.0.0.1:8554/cam-1')).toBe('rtsp://127.0.0.1:8554/cam-1');
    expect(redactUrl('rtsp://h/stream@2')).toBe('rtsp://h/stream@2');
  });
});

describe('hasUserinfo / urlEndpoint', () => {
  it('sees userinfo with or without a password, not an @ in the path', () => {
    expect(hasUserinfo('rtsp://u:p@h/x')).toBe(true);
    expect(hasUserinfo('rtsp://***@h/x')).toBe(true);
    expect(hasUserinfo('rtsp://h/x@y')).toBe(false);
  });
  it('compares scheme, host and port only', () => {
    expect(urlEndpoint('rtsp://u:p@Cam.example:554/a')).toBe(urlEndpoint('rtsp://cam.example:554/b?x=1'));
    expect(urlEndpoint('rtsp://h/a')).not.toBe(urlEndpoint('rtsp://h:8554/a'));
    expect(urlEndpoint('rtsp://h/a')).not.toBe(urlEndpoint('rtsps://h/a'));
    expect(urlEndpoint('not a url')).toBeNull();
  });
});
