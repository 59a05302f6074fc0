import { describe, expect, it } from 'vitest';
import {
  authorization,
  buildRequest,
  parseChallenge,
  parseSession,
  RtspDemuxer,
  RtspProtocolError,
} from './messages.ts';

const frame = (channel: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([0x24, channel, payload.length >> 8, payload.length & 0xff]), payload]);

describe('RtspDemuxer', () => {
  const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\n';
  const response = Buffer.from(
    `RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );

  it('splits responses (with bodies) and interleaved frames fed in one chunk', () => {
    const rtp = Buffer.alloc(1400, 7);
    const items = new RtspDemuxer().push(
      Buffer.concat([response, frame(0, rtp), frame(1, Buffer.from([1, 2]))]),
    );
    expect(items.map((i) => i.kind)).toEqual(['response', 'data', 'data']);
    const r = items[0]!;
    expect(r.kind === 'response' && [r.status, r.reason, r.headers.cseq, r.body.toString()]).toEqual([
      200,
      'OK',
      '2',
      sdp,
    ]);
    const d = items[1]!;
    expect(d.kind === 'data' && [d.channel, d.payload.equals(rtp)]).toEqual([0, true]);
  });

  it('gives the same items whatever the chunking (byte by byte included)', () => {
    const stream = Buffer.concat([
      frame(0, Buffer.alloc(300, 1)),
      response,
      Buffer.from('\r\n'),
      frame(0, Buffer.alloc(70_000 % 65_536, 2)),
      frame(1, Buffer.alloc(5, 3)),
    ]);
    const whole = new RtspDemuxer().push(stream);
    for (const size of [1, 3, 17, 1000]) {
      const d = new RtspDemuxer();
      const got = [];
      for (let i = 0; i < stream.length; i += size) got.push(...d.push(stream.subarray(i, i + size)));
      expect(got.map((i) => (i.kind === 'data' ? i.payload.toString('hex') : i.kind))).toEqual(
        whole.map((i) => (i.kind === 'data' ? i.payload.toString('hex') : i.kind)),
      );
    }
    expect(whole.length).toBe(4);
  });

  it('parses requests from the server and rejects garbage', () => {
    const [q] = new RtspDemuxer().push(Buffer.from('GET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 9\r\n\r\n'));
    expect(q?.kind === 'request' && q.reason).toBe('GET_PARAMETER');
    expect(() => new RtspDemuxer().push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(RtspProtocolError);
    expect(() => new RtspDemuxer().push(Buffer.from('\u0001\u0002garbage'))).toThrow(RtspProtocolError);
    expect(() =>
      new RtspDemuxer().push(Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n')),
    ).toThrow(/Content-Length/);
  });
});

describe('requests and authentication', () => {
  it('serialises a request with CSeq first and a blank line at the end', () => {
    expect(buildRequest('SETUP', 'rtsp://h/x/stream=0', 3, { Transport: 'RTP/AVP/TCP' }).toString()).toBe(
      'SETUP rtsp://h/x/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP\r\n\r\n',
    );
  });

  it('answers the RFC 2617 §3.5 Digest example exactly', () => {
    const c = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(c).toMatchObject({ scheme: 'digest', realm: 'testrealm@host.com', qop: 'auth,auth-int' });
    const h = authorization(c!, 'Mufasa', 'Circle Of Life', 'GET', '/dir/index.html', 1, '0a4f113b');
    expect(h).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(h).toContain('qop=auth, nc=00000001, cnonce="0a4f113b"');
    expect(h).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('prefers Digest over Basic, skips non-MD5 Digest, answers Basic', () => {
    const both = 'Basic realm="cam"\nDigest realm="cam", nonce="n1"';
    expect(parseChallenge(both)?.scheme).toBe('digest');
    expect(
      parseChallenge('Digest realm="cam", nonce="n", algorithm=SHA-256\nBasic realm="cam"')?.scheme,
    ).toBe('basic');
    expect(parseChallenge('Bearer x')).toBeNull();
    expect(authorization({ scheme: 'basic', realm: 'r' }, 'admin', 'p@ss:1', 'DESCRIBE', 'rtsp://h/x')).toBe(
      `Basic ${Buffer.from('admin:p@ss:1').toString('base64')}`,
    );
  });

  it('reads the session id and its timeout (60 s by default)', () => {
    expect(parseSession('12345678;timeout=30')).toEqual({ id: '12345678', timeoutS: 30 });
    expect(parseSession('ABCDEF')).toEqual({ id: 'ABCDEF', timeoutS: 60 });
    expect(parseSession(undefined)).toBeNull();
  });
});
