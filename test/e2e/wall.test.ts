/**
 * Browser test of the duty video wall and the offline district map on the real entry point
 * (`services/main.ts`) with the embedded demo fleet and Debian's Chromium (playwright-core):
 * - the wall at 4 tiles plays 4 live views whose video time advances; switching to 9 tiles works; the tile of
 *   the camera that raises a real alert is outlined until acknowledged; one tile rotates through the cameras;
 * - the map draws every camera site, FOV wedge, jurisdiction and zone of the demo district and the bearing ray
 *   of every open alert, without any request leaving the server (no tiles, no CDN icons);
 * - the alert detail shows that alert's bearing ray on the map.
 * Screenshots go to test/e2e/artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../services/runtime.ts';
import type { Alert, CameraListResponse } from '../../services/schemas/api.ts';
import {
  ensureWebBuilt,
  getJson,
  launchChromium,
  loginCookie,
  startMainProcess,
  stopMainProcess,
  type MainProcess,
} from '../support/e2e.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts');
const DISPATCH = path.join(REPO_ROOT, 'camera-config', 'demo', 'dispatch');
const DUTY = { username: 'duty1', password: 'e2e-wall-duty-Pa55word' };
/** The demo thermal camera whose clip raises a hot-spot alert within about 30 s of start. */
const ALERT_CAMERA = 'tower-02-thermal';

let main: MainProcess | undefined;
let base: string;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
/** Requests the page made to anything but the server itself (tiles, CDNs…): must stay empty. */
const foreign: string[] = [];

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const tiles = () => page.locator('[data-testid="wall-tile"]');
const videoTime = (tile: Locator) =>
  tile.locator('video').evaluate((v) => (v as HTMLVideoElement).currentTime);

/** Session of the duty user for API reads (the monitoring API needs one). */
let cookie: string;

async function openAlerts(): Promise<Alert[]> {
  return (await getJson<{ alerts: Alert[] }>(base, cookie, '/api/alerts?status=open')).alerts;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureWebBuilt();
  main = await startMainProcess({ TOWERWATCH_PASSWORD_DUTY1: DUTY.password });
  base = main.base;
  cookie = await loginCookie(base, DUTY.username, DUTY.password);
  browser = await launchChromium();
  ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  page = await ctx.newPage();
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  await page.goto(`${base}/login?next=${encodeURIComponent('/wall?panel=1&layout=4&dwell=600')}`);
  await page.fill('[data-testid="login-username"]', DUTY.username);
  await page.fill('[data-testid="login-password"]', DUTY.password);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(/\/wall\?/, { timeout: 15_000 });
});

afterAll(async () => {
  await ctx?.close().catch(() => undefined);
  await browser?.close();
  await stopMainProcess(main);
});

describe('video wall', () => {
  it('plays 4 live tiles, switches to 9, and outlines the tile of a camera with a new alert until acknowledged', async () => {
    await page.locator('[data-testid="video-wall"][data-layout="4"]').waitFor({ timeout: 20_000 });
    const cams = (await getJson<CameraListResponse>(base, cookie, '/api/cameras')).cameras;
    const ids = cams.map((c) => c.id).sort();
    await expect.poll(() => tiles().count(), { timeout: 20_000 }).toBe(4);
    expect(await tiles().evaluateAll((els) => els.map((e) => e.getAttribute('data-camera-id')))).toEqual(
      ids.slice(0, 4),
    );

    // Every tile plays: live, and its video time advances (shared ffmpeg per camera, MSE in the page).
    for (let i = 0; i < 4; i++) {
      const tile = tiles().nth(i);
      await expect
        .poll(() => tile.locator('[data-testid="live-view"]').getAttribute('data-state'), { timeout: 30_000 })
        .toBe('live');
    }
    const t0 = await Promise.all([0, 1, 2, 3].map((i) => videoTime(tiles().nth(i))));
    for (let i = 0; i < 4; i++) {
      await expect
        .poll(() => videoTime(tiles().nth(i)), { timeout: 15_000 })
        .toBeGreaterThan((t0[i] ?? 0) + 0.5);
    }
    // Name and status on every tile.
    for (let i = 0; i < 4; i++) {
      const cam = cams.find((c) => c.id === ids[i]);
      await expect.poll(() => tiles().nth(i).textContent()).toContain(cam?.name ?? '?');
    }

    // The demo thermal camera raises a real hot-spot alert: its tile is outlined in red with a label.
    const hot = page.locator(`[data-testid="wall-tile"][data-camera-id="${ALERT_CAMERA}"]`);
    await expect
      .poll(() => hot.getAttribute('data-alert'), {
        timeout: Math.max(10_000, 120_000 - (Date.now() - (main?.startedAt ?? 0))),
        interval: 1000,
      })
      .toBe('true');
    expect(await hot.evaluate((el) => getComputedStyle(el).borderTopColor)).toBe('rgb(255, 77, 79)');
    await expect.poll(() => hot.locator('[data-testid="wall-alert-label"]').textContent()).toMatch(/热点/);
    expect((await openAlerts()).some((a) => a.cameraId === ALERT_CAMERA)).toBe(true);
    // The grid fits the window below the header: no scrolling on an LED panel.
    const last = await tiles().nth(3).boundingBox();
    expect((last?.y ?? Infinity) + (last?.height ?? 0)).toBeLessThanOrEqual(1000);
    await shot('wall-4-alert');

    // 9 tiles: every demo camera (5) plus empty tiles; the URL carries the layout for this panel.
    await page.click('[data-testid="wall-layout-9"]');
    await page.waitForURL(/layout=9/);
    await page.locator('[data-testid="video-wall"][data-layout="9"]').waitFor();
    await expect.poll(() => tiles().count()).toBe(ids.length);
    expect(await page.locator('[data-testid="wall-tile-empty"]').count()).toBe(9 - ids.length);
    for (let i = 0; i < ids.length; i++) {
      await expect
        .poll(() => tiles().nth(i).locator('[data-testid="live-view"]').getAttribute('data-state'), {
          timeout: 30_000,
        })
        .toBe('live');
    }
    expect(await hot.getAttribute('data-alert')).toBe('true');
    await shot('wall-9');

    // Acknowledged on the wall: the outline goes (until the next new alert of that camera).
    await hot.locator('[data-testid="wall-ack"]').click();
    expect(await hot.getAttribute('data-alert')).toBe('false');
  });

  it('rotates one tile through the cameras at the configured dwell', async () => {
    await page.selectOption('[data-testid="wall-panel"]', '4');
    await page.click('[data-testid="wall-layout-1"]');
    await page.selectOption('[data-testid="wall-dwell"]', '10');
    await page.waitForURL(/panel=4&layout=1&dwell=10/);
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const tile = tiles().first();
          // A tile with an open alert is held until acknowledged: acknowledge to let it rotate.
          const ack = tile.locator('[data-testid="wall-ack"]');
          if (await ack.isVisible().catch(() => false)) await ack.click().catch(() => undefined);
          const id = await tile.getAttribute('data-camera-id').catch(() => null);
          if (id) seen.add(id);
          return seen.size;
        },
        { timeout: 45_000, interval: 1000 },
      )
      .toBeGreaterThanOrEqual(3);
    await shot('wall-1');
  });
});

describe('district map', () => {
  it('draws camera sites, FOV wedges, jurisdictions, zones and open alerts’ bearing rays, offline', async () => {
    const jurisdictions = (
      JSON.parse(readFileSync(path.join(DISPATCH, 'jurisdictions.geojson'), 'utf8')) as {
        features: unknown[];
      }
    ).features.length;
    const zones = (
      JSON.parse(readFileSync(path.join(DISPATCH, 'zones.geojson'), 'utf8')) as { features: unknown[] }
    ).features.length;
    const cams = (await getJson<CameraListResponse>(base, cookie, '/api/cameras')).cameras;

    await page.click('[data-testid="nav-map"]');
    await page.waitForURL(/\/map$/);
    const map = page.locator('[data-testid="district-map"]');
    await map.waitFor({ timeout: 20_000 });
    const count = (cls: string) => map.locator(`svg path.${cls}`).count();
    await expect.poll(() => count('map-camera'), { timeout: 15_000 }).toBe(cams.length);
    expect(await count('map-fov')).toBe(cams.length); // fixed cameras: one wedge each
    expect(await count('map-fov-thermal')).toBe(cams.filter((c) => c.channel === 'thermal').length);
    expect(await count('map-jurisdiction')).toBe(jurisdictions);
    expect(await count('map-zone')).toBe(zones);
    expect(await map.locator('.leaflet-tooltip.map-label').count()).toBe(cams.length);
    expect(await map.locator('.leaflet-tooltip.map-area-label').count()).toBe(jurisdictions);
    // No tile layer by default.
    expect(await map.locator('.leaflet-tile').count()).toBe(0);
    // One bearing ray per open alert that has one (the hot-spot alert above at least).
    await expect
      .poll(
        async () => {
          const withRay = (await openAlerts()).filter((a) => a.ray).length;
          const drawn = await count('map-ray');
          return withRay >= 1 && drawn === withRay;
        },
        { timeout: 15_000, interval: 1000 },
      )
      .toBe(true);
    await page.waitForTimeout(500); // let fitBounds' animation settle for the screenshot
    await shot('map');

    // Layer switches.
    await page.uncheck('[data-testid="map-layer-fov"]');
    expect(await count('map-fov')).toBe(0);
    await page.check('[data-testid="map-layer-fov"]');
    expect(await count('map-fov')).toBe(cams.length);

    // Alert detail: the map framed on that alert's bearing ray.
    const alert = (await openAlerts()).find((a) => a.cameraId === ALERT_CAMERA && a.ray) ?? null;
    expect(alert, 'an open alert with a bearing ray').not.toBeNull();
    await page.goto(`${base}/alerts/${encodeURIComponent(alert?.id ?? '')}`);
    const loc = page.locator('[data-testid="alert-location"]');
    await loc.locator('svg path.map-ray').waitFor({ timeout: 20_000 });
    expect(await loc.locator('svg path.map-ray').count()).toBe(1);
    expect(await loc.textContent()).toContain(`${(alert?.bearingDeg ?? NaN).toFixed(1)}°`);
    await page.waitForTimeout(500);
    await loc.screenshot({ path: path.join(ARTIFACTS, 'alert-detail-map.png') });

    // English.
    await page.selectOption('[data-testid="lang-switch"]', 'en');
    await page.click('[data-testid="nav-map"]');
    await page.locator('[data-testid="map-page"]').getByText('Legend').waitFor();
    await expect.poll(() => count('map-camera')).toBe(cams.length);
    await page.waitForTimeout(500);
    await shot('map-en');

    expect(foreign).toEqual([]);
  });
});
