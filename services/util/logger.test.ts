import { describe, expect, it } from 'vitest';
import { redactUrl } from './logger.ts';

describe('redactUrl', () => {
  it('removes user and password from RTSP URLs, including reserved characters', () => {
    expect(redactUrl('rtsp://admin:p%40ss%23w%3Ard@10.0.0.5:554/Streaming/101')).toBe(
      'rtsp://***@10.0.0.5:554/Streaming/101',
    );
    expect(redactUrl('error opening rtsp://u:secret@h/x: 401')).toBe('error opening rtsp://***@h/x: 401');
  });
  it('leaves URLs without credentials alone', () => {
    expect(redactUrl('rtsp://127.0.0.1:8554/cam-1')).toBe('rtsp://127.0.0.1:8554/cam-1');
  });
});
