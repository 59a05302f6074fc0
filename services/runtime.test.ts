import { describe, expect, it } from 'vitest';
import { outboundFromEnv } from './runtime.ts';

describe('outboundFromEnv', () => {
  it('is off without configuration', () => {
    expect(outboundFromEnv({})).toBeNull();
  });
  it('configures a signed webhook and MQTT with a topic prefix', () => {
    const o = outboundFromEnv({
      TOWERWATCH_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
      TOWERWATCH_WEBHOOK_SECRET: 's3cret',
      TOWERWATCH_MQTT_URL: 'mqtt://127.0.0.1:1883',
    });
    expect(o?.config).toEqual({
      webhooks: [{ url: 'http://127.0.0.1:9/hook', secret: 's3cret' }],
      mqtt: { topicPrefix: 'towerwatch/cases' },
    });
  });
});
