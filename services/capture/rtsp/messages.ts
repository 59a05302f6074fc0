/**
 * Pure RTSP 1.0 framing (RFC 2326) for a client using RTP over the RTSP TCP connection ("interleaved",
 * §10.12): a byte stream mixing text responses and `$ <channel:u8> <length:u16be> <payload>` binary frames.
 * No IO here: the client adapter (client.ts) feeds socket chunks in and writes the requests built here.
 */
import { createHash } from 'node:crypto';

/** A response (or a request sent by the server, which the client answers or ignores). */
export interface RtspText {
  kind: 'response' | 'request';
  /** Status code (responses), 0 for requests. */
  status: number;
  /** Reason phrase (responses) or method (requests). */
  reason: string;
  /** Header names lower-cased; a repeated header keeps its last value, except `www-authenticate` (all, "\n"-joined). */
  headers: Record<string, string>;
  body: Buffer;
}

/** One interleaved binary frame: RTP or RTCP of the channel set up with `interleaved=a-b`. */
export interface RtspData {
  kind: 'data';
  channel: number;
  /** The frame's payload. A view into the socket chunk when possible: copy what you keep. */
  payload: Buffer;
}

export type RtspItem = RtspText | RtspData;

/** Thrown on bytes that are neither a `$` frame nor an RTSP message (the client drops the connection). */
export class RtspProtocolError extends Error {
  override name = 'RtspProtocolError';
}

/** Longest header block accepted, bytes (a real server's answers are < 4 KiB; SDP bodies come after it). */
const MAX_HEAD = 64 * 1024;
const MAX_BODY = 1024 * 1024;

/**
 * Incremental demultiplexer of the RTSP/TCP byte stream. Binary frames fully inside one chunk are returned as
 * views of it (no copy); only a frame split across chunks is copied, into a buffer of its exact size.
 */
export class RtspDemuxer {
  private partial: { channel: number; data: Buffer; filled: number } | null = null;
  private carry: Buffer = Buffer.alloc(0);

  /**
   * @returns the items completed by this chunk, in stream order.
   * @throws RtspProtocolError on garbage, a header block over 64 KiB or a body over 1 MiB.
   */
  push(chunk: Buffer): RtspItem[] {
    const out: RtspItem[] = [];
    let buf = chunk;
    if (this.partial) {
      const p = this.partial;
      const n = Math.min(buf.length, p.data.length - p.filled);
      buf.copy(p.data, p.filled, 0, n);
      p.filled += n;
      buf = buf.subarray(n);
      if (p.filled < p.data.length) return out;
      out.push({ kind: 'data', channel: p.channel, payload: p.data });
      this.partial = null;
    }
    if (this.carry.length > 0) {
      buf = Buffer.concat([this.carry, buf]);
      this.carry = Buffer.alloc(0);
    }
    let off = 0;
    while (off < buf.length) {
      if (buf[off] === 0x24) {
        if (buf.length - off < 4) break;
        const channel = buf[off + 1]!;
        const len = buf.readUInt16BE(off + 2);
        const start = off + 4;
        if (buf.length - start >= len) {
          out.push({ kind: 'data', channel, payload: buf.subarray(start, start + len) });
          off = start + len;
          continue;
        }
        const data = Buffer.allocUnsafe(len);
        buf.copy(data, 0, start);
        this.partial = { channel, data, filled: buf.length - start };
        return out;
      }
      // Stray CR/LF between messages is allowed.
      if (buf[off] === 0x0d || buf[off] === 0x0a) {
        off++;
        continue;
      }
      const end = buf.indexOf('\r\n\r\n', off, 'latin1');
      if (end < 0) {
        if (buf.length - off > MAX_HEAD) throw new RtspProtocolError('RTSP header block too long');
        const head = buf.subarray(off, Math.min(buf.length, off + 8)).toString('latin1');
        // A message split across chunks starts with "RTSP/" (a response) or a method token (a request).
        if (!/^[A-Z_]+(?:[ /]|$)/.test(head))
          throw new RtspProtocolError(`unexpected bytes in RTSP stream: ${JSON.stringify(head)}`);
        break;
      }
      const text = buf.subarray(off, end).toString('latin1');
      const msg = parseHead(text);
      const len = Number(msg.headers['content-length'] ?? '0');
      if (!Number.isInteger(len) || len < 0 || len > MAX_BODY)
        throw new RtspProtocolError(`bad Content-Length: ${msg.headers['content-length']}`);
      if (buf.length - (end + 4) < len) break;
      out.push({ ...msg, body: Buffer.from(buf.subarray(end + 4, end + 4 + len)) });
      off = end + 4 + len;
    }
    if (off < buf.length) this.carry = Buffer.from(buf.subarray(off));
    return out;
  }
}

function parseHead(text: string): Omit<RtspText, 'body'> {
  const lines = text.split('\r\n');
  const first = lines[0] ?? '';
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const k = l.slice(0, c).trim().toLowerCase();
    const v = l.slice(c + 1).trim();
    headers[k] = k === 'www-authenticate' && headers[k] ? `${headers[k]}\n${v}` : v;
  }
  const r = /^RTSP\/\d\.\d (\d{3}) ?(.*)$/.exec(first);
  if (r) return { kind: 'response', status: Number(r[1]), reason: r[2] ?? '', headers };
  const q = /^([A-Z_]+) (\S+) RTSP\/\d\.\d$/.exec(first);
  if (q) return { kind: 'request', status: 0, reason: q[1]!, headers };
  throw new RtspProtocolError(`not an RTSP message: ${JSON.stringify(first.slice(0, 80))}`);
}

/**
 * Serialises a request: `METHOD url RTSP/1.0`, `CSeq`, the given headers, an empty line.
 * @param url the request URL **without credentials** (they never go on the wire in a URL).
 */
export function buildRequest(
  method: string,
  url: string,
  cseq: number,
  headers: Record<string, string> = {},
): Buffer {
  let s = `${method} ${url} RTSP/1.0\r\nCSeq: ${cseq}\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return Buffer.from(`${s}\r\n`, 'latin1');
}

/** A parsed `WWW-Authenticate` challenge. */
export interface AuthChallenge {
  scheme: 'basic' | 'digest';
  realm: string;
  nonce?: string;
  qop?: string;
  opaque?: string;
  algorithm?: string;
}

/**
 * Picks the strongest challenge the client can answer from `WWW-Authenticate` value(s) ("\n"-joined):
 * Digest (MD5, RFC 2617) over Basic (RFC 7617). Null when none is understood.
 */
export function parseChallenge(header: string | undefined): AuthChallenge | null {
  if (!header) return null;
  let basic: AuthChallenge | null = null;
  for (const line of header.split('\n')) {
    const m = /^\s*(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    const params: Record<string, string> = {};
    for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g))
      params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
    if (scheme === 'digest' && params.nonce !== undefined) {
      const alg = params.algorithm;
      if (alg && alg.toUpperCase() !== 'MD5') continue;
      return {
        scheme: 'digest',
        realm: params.realm ?? '',
        nonce: params.nonce,
        ...(params.qop !== undefined ? { qop: params.qop } : {}),
        ...(params.opaque !== undefined ? { opaque: params.opaque } : {}),
        ...(alg ? { algorithm: alg } : {}),
      };
    }
    if (scheme === 'basic') basic = { scheme: 'basic', realm: params.realm ?? '' };
  }
  return basic;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/**
 * The `Authorization` header answering a challenge (RFC 2617 §3.2.2 for Digest with or without
 * `qop=auth`; RFC 7617 for Basic).
 * @param uri the request URL (without credentials), as sent on the request line.
 * @param cnonce client nonce (injected so the function is pure and testable).
 */
export function authorization(
  c: AuthChallenge,
  user: string,
  password: string,
  method: string,
  uri: string,
  nc = 1,
  cnonce = '0a4f113b',
): string {
  if (c.scheme === 'basic') return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const ha1 = md5(`${user}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qop = c.qop
    ?.split(',')
    .map((s) => s.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const ncs = nc.toString(16).padStart(8, '0');
  const response = qop
    ? md5(`${ha1}:${c.nonce}:${ncs}:${cnonce}:${qop}:${ha2}`)
    : md5(`${ha1}:${c.nonce}:${ha2}`);
  let h = `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}"`;
  if (c.algorithm) h += `, algorithm=${c.algorithm}`;
  if (c.opaque !== undefined) h += `, opaque="${c.opaque}"`;
  if (qop) h += `, qop=${qop}, nc=${ncs}, cnonce="${cnonce}"`;
  return h;
}

/**
 * Session id and timeout (s) from a `Session` header (`12345678;timeout=60`, RFC 2326 §12.37; default 60 s).
 */
export function parseSession(header: string | undefined): { id: string; timeoutS: number } | null {
  if (!header) return null;
  const [id, ...rest] = header.split(';').map((s) => s.trim());
  if (!id) return null;
  const t = rest.map((p) => /^timeout\s*=\s*(\d+)$/i.exec(p)).find((m) => m);
  return { id, timeoutS: t ? Math.max(1, Number(t[1])) : 60 };
}
