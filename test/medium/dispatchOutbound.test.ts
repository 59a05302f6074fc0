/**
 * Outbound: case events reach a webhook (HMAC-signed, retried with backoff after a failure) and the local
 * Mosquitto broker (127.0.0.1:1883) through the persisted outbox.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../services/dispatch/access.ts';
import { fileCaseEvidenceStore } from '../../services/dispatch/evidence.ts';
import {
  fetchTransport,
  mqttPublisher,
  OutboxDelivery,
  outboundMessages,
  signBody,
} from '../../services/dispatch/outbound.ts';
import { DispatchService } from '../../services/dispatch/service.ts';
import { sqliteDispatchRepository } from '../../services/dispatch/sqliteRepository.ts';
import { DEMO_CAMERAS, demoDispatchConfig, makeAlert } from '../../services/dispatch/testSupport.ts';
import { ManualClock } from '../../services/util/clock.ts';
import { silentLogger } from '../../services/util/logger.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tw-dispatch-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const duty: Actor = { userId: 'u', username: 'duty1', role: 'duty', departmentId: null, requestId: null };

describe('outbound delivery', () => {
  it('signs webhooks, retries with backoff, and publishes to MQTT', async () => {
    const received: { body: string; sig: string | undefined; delivery: string | undefined }[] = [];
    let fail = 1;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (fail-- > 0) {
          res.statusCode = 503;
          res.end();
          return;
        }
        received.push({
          body,
          sig: req.headers['x-towerwatch-signature'] as string | undefined,
          delivery: req.headers['x-towerwatch-delivery'] as string | undefined,
        });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const sub = await connectAsync('mqtt://127.0.0.1:1883');
    const prefix = `towerwatch-test-${Math.random().toString(36).slice(2, 8)}`;
    const mqttMsgs: { topic: string; body: string }[] = [];
    sub.on('message', (topic, payload) => mqttMsgs.push({ topic, body: payload.toString() }));
    await sub.subscribeAsync(`${prefix}/#`, { qos: 1 });
    const pub = await mqttPublisher('mqtt://127.0.0.1:1883');

    const db = new Database(':memory:');
    const repo = await sqliteDispatchRepository(db);
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 8));
    const config = { webhooks: [{ url, secret: 's3cret' }], mqtt: { topicPrefix: prefix } };
    const svc = new DispatchService({
      repo,
      alerts: { getAlert: (id) => Promise.resolve(id === 'a1' ? makeAlert('a1') : null) },
      cameraGeo: (id) => DEMO_CAMERAS[id] ?? null,
      config: demoDispatchConfig(),
      evidence: fileCaseEvidenceStore(dir),
      clock,
      publish: () => undefined,
      log: silentLogger(),
      outbound: outboundMessages(config, clock),
    });
    const delivery = new OutboxDelivery({
      repo,
      clock,
      log: silentLogger(),
      config,
      transport: { ...fetchTransport, publish: pub.publish },
    });
    try {
      const c = await svc.confirmAlert(duty, 'a1', { priority: 'normal' });
      expect(await delivery.drain()).toEqual({ delivered: 1, failed: 1 }); // webhook 503, MQTT ok
      expect(await delivery.drain()).toEqual({ delivered: 0, failed: 0 }); // backing off
      clock.advance(5000);
      expect(await delivery.drain()).toEqual({ delivered: 1, failed: 0 });
      expect(received).toHaveLength(1);
      expect(received[0]!.sig).toBe(signBody('s3cret', received[0]!.body));
      expect(JSON.parse(received[0]!.body)).toMatchObject({ kind: 'case.created', case: { id: c.id } });
      for (let i = 0; i < 50 && mqttMsgs.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(mqttMsgs[0]).toMatchObject({ topic: `${prefix}/case.created` });
      expect(JSON.parse(mqttMsgs[0]!.body)).toMatchObject({ case: { id: c.id } });
    } finally {
      await pub.close();
      await sub.endAsync();
      server.close();
      db.close();
    }
  });
});
