import { describe, expect, it } from 'vitest';
import {
  AUTO_FFMPEG_AFTER_BUILTIN_FAILURES,
  autoReceiver,
  backoffDelay,
  classifyFailure,
} from './supervision.ts';

describe('backoffDelay', () => {
  const p = { baseMs: 1000, capMs: 30_000 };
  it('doubles per attempt within [d/2, d] and is capped', () => {
    expect(backoffDelay(0, p, 0)).toBe(500);
    expect(backoffDelay(0, p, 0.999)).toBe(1000);
    expect(backoffDelay(3, p, 0)).toBe(4000);
    expect(backoffDelay(10, p, 0.999)).toBe(29_985);
    expect(backoffDelay(1000, p, 0)).toBe(15_000);
  });
});

describe('classifyFailure', () => {
  it('recognises authentication failures', () => {
    expect(classifyFailure('[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized')).toBe('auth_failed');
    expect(classifyFailure('Connection refused')).toBe('offline');
    expect(classifyFailure('')).toBe('offline');
  });
});

describe('autoReceiver', () => {
  it('keeps the built-in client until it failed twice in a row, then tries ffmpeg', () => {
    expect(AUTO_FFMPEG_AFTER_BUILTIN_FAILURES).toBe(2);
    expect(autoReceiver(0)).toBe('builtin');
    expect(autoReceiver(1)).toBe('builtin');
    expect(autoReceiver(2)).toBe('ffmpeg');
    expect(autoReceiver(5)).toBe('ffmpeg');
  });
});
