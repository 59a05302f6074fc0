/**
 * A fake ONVIF PTZ device for medium tests: a real HTTP/SOAP server that answers the calls the `onvif`
 * client makes (GetSystemDateAndTime, GetServices → fault so the client falls back to GetCapabilities,
 * GetCapabilities, GotoPreset, AbsoluteMove). `mode` decides how it behaves on a move.
 */
import { createServer, type Server } from 'node:http';

export type FakePtzMode = 'ok' | 'hang' | 'stuck';

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

export interface FakeOnvif {
  port: number;
  /** Accepted or attempted moves: preset token (or 'absolute') and server time, epoch ms. */
  moves: { token: string; at: number }[];
  mode: FakePtzMode;
  close(): Promise<void>;
}

/**
 * @param onMove called with the preset token when a move is accepted in mode `ok` (e.g. switch the demo clip).
 */
export async function startFakeOnvif(mode: FakePtzMode, onMove: (token: string) => void): Promise<FakeOnvif> {
  const state: FakeOnvif = { port: 0, moves: [], mode, close: () => Promise.resolve() };
  const held: import('node:http').ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const reply = (status: number, xml: string) => {
        res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
        res.end(envelope(xml));
      };
      const xaddr = `http://127.0.0.1:${state.port}/onvif`;
      if (body.includes('GetSystemDateAndTime')) {
        const d = new Date();
        reply(
          200,
          `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
        );
      } else if (body.includes('GetServices')) {
        reply(
          500,
          '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Receiver</SOAP-ENV:Value></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Optional Action Not Implemented</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
        );
      } else if (body.includes('GetCapabilities')) {
        reply(
          200,
          `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${xaddr}/device_service</tt:XAddr></tt:Device><tt:PTZ><tt:XAddr>${xaddr}/ptz_service</tt:XAddr></tt:PTZ></tds:Capabilities></tds:GetCapabilitiesResponse>`,
        );
      } else if (body.includes('GotoPreset') || body.includes('AbsoluteMove')) {
        const token = /<PresetToken>([^<]*)<\/PresetToken>/.exec(body)?.[1] ?? 'absolute';
        state.moves.push({ token, at: Date.now() });
        if (state.mode === 'hang') {
          held.push(res); // never answer
          return;
        }
        if (state.mode === 'ok') onMove(token);
        reply(
          200,
          body.includes('GotoPreset') ? '<tptz:GotoPresetResponse/>' : '<tptz:AbsoluteMoveResponse/>',
        );
      } else {
        reply(
          500,
          '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">not implemented</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as { port: number }).port;
  state.close = () =>
    new Promise<void>((r) => {
      held.forEach((h) => h.destroy());
      server.close(() => r());
    });
  return state;
}
