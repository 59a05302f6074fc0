/**
 * Outbound delivery of case events through a persisted outbox (at-least-once).
 *
 * The service writes one outbox row per target in the **same transaction** as the case change
 * ({@link outboundMessages} is its `outbound` hook), so an event is never lost and never sent for a change that
 * rolled back. {@link OutboxDelivery.drain} (called on a timer) sends due rows:
 * - `webhook:<i>`: `POST` the JSON body to `webhooks[i].url` with headers `x-towerwatch-event`,
 *   `x-towerwatch-delivery` (the outbox id; receivers de-duplicate on it) and
 *   `x-towerwatch-signature: sha256=<hex HMAC-SHA256(secret, raw body)>` (GitHub-style). 2xx = delivered.
 * - `mqtt`: publish (QoS 1) to `<topicPrefix>/<event kind>` on the configured broker.
 * A failure is retried with exponential backoff: 5 s · 2^(attempts−1), capped at 1 h, with no attempt limit
 * (the row stays visible with `lastError`).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { iso, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { DispatchRepository, OutboxMessage } from './repository.ts';
import type { CaseEvent } from './schemas.ts';

/** Outbound targets. */
export interface OutboundConfig {
  webhooks: { url: string; secret: string }[];
  mqtt?: { topicPrefix: string };
}

/** `sha256=<hex>` HMAC-SHA256 of the exact body bytes. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Backoff before attempt `attempts + 1`, ms: 5 s · 2^(attempts−1), max 1 h. */
export function backoffMs(attempts: number): number {
  return Math.min(3600_000, 5000 * 2 ** Math.max(0, attempts - 1));
}

/** The service's `outbound` hook: one outbox row per webhook and one for MQTT. */
export function outboundMessages(
  cfg: OutboundConfig,
  clock: Clock,
): (e: Omit<CaseEvent, 'auditId'>) => OutboxMessage[] {
  return (e) => {
    const body = JSON.stringify({ kind: e.kind, at: e.at, case: e.case });
    const now = iso(clock.now());
    const row = (channel: string, topic: string): OutboxMessage => ({
      id: `ob_${randomUUID()}`,
      channel,
      topic,
      body,
      createdAt: now,
      attempts: 0,
      nextAttemptAt: now,
      deliveredAt: null,
      lastError: null,
    });
    const out = cfg.webhooks.map((_, i) => row(`webhook:${i}`, e.kind));
    if (cfg.mqtt) out.push(row('mqtt', `${cfg.mqtt.topicPrefix}/${e.kind}`));
    return out;
  };
}

/** Transport functions (injected so tests and the runtime choose the IO). */
export interface OutboundTransport {
  /** POSTs; resolves with the HTTP status. */
  post(url: string, body: string, headers: Record<string, string>): Promise<number>;
  /** Publishes with QoS 1; resolves when the broker acknowledged. */
  publish?(topic: string, body: string): Promise<void>;
}

/** `fetch`-based webhook POST with a 10 s timeout. */
export const fetchTransport: OutboundTransport = {
  post: async (url, body, headers) => {
    const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.status;
  },
};

/** Sends due outbox rows. Not re-entrant: one `drain` at a time. */
export class OutboxDelivery {
  private running = false;
  constructor(
    private readonly deps: {
      repo: DispatchRepository;
      clock: Clock;
      log: Logger;
      config: OutboundConfig;
      transport: OutboundTransport;
    },
  ) {}

  /** Sends every due row once. @returns counts of this pass. */
  async drain(limit = 100): Promise<{ delivered: number; failed: number }> {
    if (this.running) return { delivered: 0, failed: 0 };
    this.running = true;
    let delivered = 0;
    let failed = 0;
    try {
      for (const m of await this.deps.repo.dueOutbox(iso(this.deps.clock.now()), limit)) {
        try {
          await this.send(m);
          await this.deps.repo.markOutboxDelivered(m.id, iso(this.deps.clock.now()));
          delivered++;
        } catch (e) {
          failed++;
          const attempts = m.attempts + 1;
          const next = iso(this.deps.clock.now() + backoffMs(attempts));
          await this.deps.repo.markOutboxFailed(m.id, attempts, next, (e as Error).message);
          this.deps.log.warn(
            { outboxId: m.id, channel: m.channel, attempts, err: (e as Error).message },
            'outbound delivery failed',
          );
        }
      }
    } finally {
      this.running = false;
    }
    return { delivered, failed };
  }

  private async send(m: OutboxMessage): Promise<void> {
    if (m.channel.startsWith('webhook:')) {
      const hook = this.deps.config.webhooks[Number(m.channel.slice('webhook:'.length))];
      if (!hook) throw new Error(`no webhook configured for ${m.channel}`);
      const status = await this.deps.transport.post(hook.url, m.body, {
        'content-type': 'application/json',
        'x-towerwatch-event': m.topic,
        'x-towerwatch-delivery': m.id,
        'x-towerwatch-signature': signBody(hook.secret, m.body),
      });
      if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
      return;
    }
    if (m.channel === 'mqtt') {
      if (!this.deps.transport.publish) throw new Error('no MQTT transport');
      await this.deps.transport.publish(m.topic, m.body);
      return;
    }
    throw new Error(`unknown outbox channel ${m.channel}`);
  }
}

/**
 * An MQTT publisher (npm `mqtt`, QoS 1) for {@link OutboundTransport.publish}. The client reconnects on its own;
 * a publish while disconnected fails and is retried by the outbox.
 */
export async function mqttPublisher(
  url: string,
): Promise<{ publish: (topic: string, body: string) => Promise<void>; close: () => Promise<void> }> {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(url, {
    clientId: `towerwatch-dispatch-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 5000,
    connectTimeout: 10_000,
  });
  return {
    publish: async (topic, body) => {
      if (!client.connected) throw new Error('MQTT broker not connected');
      await client.publishAsync(topic, body, { qos: 1 });
    },
    close: () => client.endAsync(),
  };
}
