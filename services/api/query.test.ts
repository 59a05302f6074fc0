import { describe, expect, it } from 'vitest';
import { repeatedQueryParams } from './query.ts';

describe('repeatedQueryParams', () => {
  it('names each parameter given more than once', () => {
    expect(repeatedQueryParams({ limit: ['1', '2'], status: 'open', cameraId: ['a', 'b', 'c'] })).toEqual([
      { code: 'custom', path: ['limit'], message: 'query parameter "limit" was given 2 times; give it once' },
      {
        code: 'custom',
        path: ['cameraId'],
        message: 'query parameter "cameraId" was given 3 times; give it once',
      },
    ]);
  });

  it('accepts single parameters and a missing query', () => {
    expect(repeatedQueryParams({ limit: '5', status: 'open' })).toEqual([]);
    expect(repeatedQueryParams(undefined)).toEqual([]);
  });
});
