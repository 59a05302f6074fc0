import express from 'express';
import { describe, expect, it } from 'vitest';
import { bodyErrorAnswer } from './bodyErrors.ts';

/** Runs one request through express.json() in-process and returns what the parser passed to `next`. */
async function parserError(body: string, limit = '1kb', contentEncoding?: string): Promise<unknown> {
  const parse = express.json({ limit });
  const { Readable } = await import('node:stream');
  const req = Object.assign(Readable.from([Buffer.from(body)]), {
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...(contentEncoding ? { 'content-encoding': contentEncoding } : {}),
    },
  });
  return new Promise((resolve) => parse(req as never, {} as never, (err?: unknown) => resolve(err)));
}

describe('bodyErrorAnswer', () => {
  it('answers 413 with the limit for a body over it', async () => {
    expect(bodyErrorAnswer(await parserError(`{"note":"${'x'.repeat(2000)}"}`))).toEqual({
      status: 413,
      code: 'body_too_large',
      message: 'request body is larger than the limit of 1024 bytes',
    });
  });

  it('answers 400 bad_json for broken JSON and for a bare null (strict mode)', async () => {
    expect(bodyErrorAnswer(await parserError('{"a":'))).toMatchObject({ status: 400, code: 'bad_json' });
    expect(bodyErrorAnswer(await parserError('null'))).toMatchObject({ status: 400, code: 'bad_json' });
  });

  it('answers 415 for an unsupported content encoding', async () => {
    expect(bodyErrorAnswer(await parserError('{}', '1kb', 'br2'))).toMatchObject({
      status: 415,
      code: 'unsupported_encoding',
    });
  });

  it('leaves other errors alone', () => {
    expect(bodyErrorAnswer(new Error('boom'))).toBeNull();
    expect(bodyErrorAnswer(null)).toBeNull();
    expect(bodyErrorAnswer({ type: 'x', status: 500 })).toBeNull();
  });
});
