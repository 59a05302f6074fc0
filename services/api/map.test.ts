import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigDir } from '../config/loadConfig.ts';
import { loadDispatchConfig } from '../dispatch/config.ts';
import { buildMapData } from '../map/mapData.ts';
import { MapResponse } from '../schemas/api.ts';
import { openSqliteStore } from '../store/sqliteStore.ts';
import { silentLogger } from '../util/logger.ts';
import { createApp, type AppDeps } from './app.ts';

const DEMO = path.resolve(import.meta.dirname, '../../camera-config/demo');
const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(map: AppDeps['map']): Promise<string> {
  const { app } = createApp({
    store: openSqliteStore(':memory:'),
    evidence: { writeSnapshot: () => undefined, readSnapshot: () => null },
    health: () => ({ status: 'ok', startedAt: '2026-01-01T00:00:00.000Z', models: [], cameras: [] }),
    cameras: () => [],
    log: silentLogger(),
    ...(map ? { map } : {}),
  });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('GET /api/map', () => {
  it('serves the demo district: every camera with its FOV wedge, the jurisdictions and zones', async () => {
    const config = loadConfigDir(DEMO);
    const dispatch = loadDispatchConfig(path.join(DEMO, 'dispatch'));
    const base = await serve(() => buildMapData(config.site, config.cameras, dispatch));
    const res = await fetch(`${base}/api/map`);
    expect(res.status).toBe(200);
    const body = MapResponse.parse(await res.json());
    expect(body.site.id).toBe(config.site.id);
    expect(body.cameras.map((c) => c.id)).toEqual(config.cameras.map((c) => c.id));
    for (const c of body.cameras) {
      expect(c.location).not.toBeNull();
      expect(c.fov).toHaveLength(1);
      expect(c.fov[0]!.polygon[0]).toEqual([c.location!.lon, c.location!.lat]);
    }
    expect(body.jurisdictions.map((j) => j.properties.id)).toEqual(
      dispatch.jurisdictions.map((j) => j.properties.id),
    );
    expect(body.zones.length).toBe(dispatch.zones.length);
    expect(body.tiles).toBeNull();
    const b = body.bounds!;
    for (const c of body.cameras) {
      expect(c.location!.lat).toBeGreaterThanOrEqual(b.south);
      expect(c.location!.lat).toBeLessThanOrEqual(b.north);
    }
  });

  it('answers 404 as JSON when no map is configured', async () => {
    const base = await serve(undefined);
    const res = await fetch(`${base}/api/map`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
