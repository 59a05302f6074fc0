/**
 * Step 5 — socket.io fan-out: an in-process `createApp` server (in-memory SQLite store), N socket.io clients in a
 * worker thread (so they do not share the server's event loop), alerts published through the store + publisher
 * exactly as the AlertService does; latency = client receipt − publish call, on the shared monotonic clock
 * (`performance.timeOrigin + performance.now()`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { createApp } from '../../services/api/app.ts';
import type { Alert } from '../../services/schemas/api.ts';
import { openSqliteStore } from '../../services/store/sqliteStore.ts';
import { silentLogger } from '../../services/util/logger.ts';
import { fmt, log, percentile, sleep, table, type BenchOptions, type StepResult } from './common.ts';

export interface FanoutData {
  clients: number;
  connected: number;
  events: number;
  delivered: number;
  expected: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Per event: time until the last client had it. */
  allClientsP95Ms: number;
}

/** Plain-JS worker: connects the clients, records (event id, receipt time). */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { io } = require(workerData.client);
const now = () => performance.timeOrigin + performance.now();
const sockets = [];
const got = [];
let ready = 0;
for (let c = 0; c < workerData.clients; c++) {
  const s = io(workerData.url, { auth: { lastEventId: workerData.lastEventId }, transports: ['websocket'], forceNew: true, reconnection: false });
  sockets.push(s);
  s.on('event', (e) => got.push(c, e.id, now()));
  s.once('replay.done', () => { if (++ready === workerData.clients) parentPort.postMessage({ type: 'ready' }); });
  s.on('connect_error', (err) => parentPort.postMessage({ type: 'error', message: String(err && err.message) }));
}
parentPort.on('message', (m) => {
  if (m === 'report') parentPort.postMessage({ type: 'report', ready, got: Float64Array.from(got) });
  if (m === 'close') { for (const s of sockets) s.close(); parentPort.postMessage({ type: 'closed' }); }
});
`;

const alert = (i: number, at: string): Alert => ({
  id: `fan-${i}`,
  type: 'smoke',
  status: 'open',
  cameraId: `cam-${i % 50}`,
  cameraName: `Tower ${i % 50}`,
  presetId: null,
  firstSeenAt: at,
  lastSeenAt: at,
  closedAt: null,
  peakScore: 0.9,
  box: { x: 100, y: 200, w: 30, h: 20 },
  frameWidth: 1920,
  frameHeight: 1080,
  hits: 3,
  snapshotUrl: `/api/alerts/fan-${i}/snapshot.jpg`,
});

function waitMessage<T>(w: Worker, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      w.off('message', on);
      reject(new Error(`worker: no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: { type: string; message?: string }) => {
      if (m.type === type) {
        clearTimeout(timer);
        w.off('message', on);
        resolve(m as T);
      }
    };
    w.on('message', on);
  });
}

export async function benchFanout(o: BenchOptions): Promise<StepResult<FanoutData>> {
  const clients = o.quick ? 20 : 200;
  const events = o.quick ? 10 : 50;
  const everyMs = 100;
  const store = openSqliteStore(':memory:');
  const { app, attach } = createApp({
    store,
    evidence: { writeSnapshot: () => undefined, readSnapshot: () => null },
    health: () => ({ status: 'ok', startedAt: new Date().toISOString(), models: [], cameras: [] }),
    cameras: () => [],
    log: silentLogger(),
  });
  const server: Server = createServer(app);
  const { io, publish } = attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      url,
      clients,
      lastEventId: await store.lastEventId(),
      client: createRequire(import.meta.url).resolve('socket.io-client'),
    },
  });
  try {
    const errors: string[] = [];
    worker.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'error' && errors.length < 5) errors.push(m.message ?? '');
    });
    const tc = performance.now();
    try {
      await waitMessage(worker, 'ready', 60_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}; connect errors: ${errors.join('; ') || 'none'}`, {
        cause: e,
      });
    }
    log(o, `fanout: ${clients} clients connected in ${((performance.now() - tc) / 1000).toFixed(1)} s`);
    const sentAt = new Map<number, number>();
    for (let i = 0; i < events; i++) {
      const a = alert(i, new Date().toISOString());
      const t = performance.timeOrigin + performance.now();
      const e = await store.insertAlert(a, { at: a.firstSeenAt, kind: 'alert.opened', alert: a });
      publish(e);
      sentAt.set(e.id, t);
      await sleep(everyMs);
    }
    // Wait (bounded) until every client has every event.
    const expected = clients * events;
    let rep: { ready: number; got: Float64Array } = { ready: 0, got: new Float64Array() };
    const tw = Date.now();
    do {
      await sleep(250);
      worker.postMessage('report');
      rep = await waitMessage(worker, 'report', 10_000);
    } while (rep.got.length / 3 < expected && Date.now() - tw < 10_000);
    const lat: number[] = [];
    const lastPerEvent = new Map<number, number>();
    for (let k = 0; k + 2 < rep.got.length; k += 3) {
      const id = rep.got[k + 1]!;
      const sent = sentAt.get(id);
      if (sent === undefined) continue;
      const l = rep.got[k + 2]! - sent;
      lat.push(l);
      lastPerEvent.set(id, Math.max(lastPerEvent.get(id) ?? 0, l));
    }
    const data: FanoutData = {
      clients,
      connected: rep.ready,
      events,
      delivered: lat.length,
      expected,
      p50Ms: percentile(lat, 50),
      p95Ms: percentile(lat, 95),
      maxMs: Math.max(...lat),
      allClientsP95Ms: percentile([...lastPerEvent.values()], 95),
    };
    const md = [
      `${clients} socket.io clients (websocket transport, one worker thread) connected to an in-process ` +
        '`createApp` server (in-memory SQLite store); ' +
        `${events} alerts published one every ${everyMs} ms through \`store.insertAlert\` + \`publish\` ` +
        '(what the AlertService does). Latency = receipt in the client − the moment before `insertAlert`.',
      '',
      table(
        [
          'clients',
          'events',
          'delivered / expected',
          'p50 ms',
          'p95 ms',
          'max ms',
          'p95 until all clients had it, ms',
        ],
        [
          [
            `${data.connected}/${clients}`,
            events,
            `${data.delivered}/${expected}`,
            fmt(data.p50Ms, 2),
            fmt(data.p95Ms, 2),
            fmt(data.maxMs, 2),
            fmt(data.allClientsP95Ms, 2),
          ],
        ],
      ),
    ].join('\n');
    return { id: 'fanout', title: '5. Fan-out: socket.io delivery to console clients', markdown: md, data };
  } finally {
    worker.postMessage('close');
    await waitMessage(worker, 'closed', 5000).catch(() => undefined);
    await worker.terminate();
    await io.close();
    server.close();
    await store.close();
  }
}
