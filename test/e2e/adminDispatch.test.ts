/**
 * Browser test of the dispatch admin pages on the real entry point (`services/main.ts`) with a temporary copy
 * of the demo configuration (the repository's files are never edited) and Debian's Chromium: the admin
 * creates a street office and a user for it, draws a special zone on the map, adds a rule routing dust in
 * that zone to the new office, checks it with "test routing", and the new office user logs in. Form errors
 * appear next to their fields. Screenshots go to test/e2e/artifacts/admin-*.png.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminConfigResponse } from '../../services/dispatch/schemas.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import {
  ensureWebBuilt,
  launchChromium,
  startMainProcess,
  stopMainProcess,
  type MainProcess,
} from '../support/e2e.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts');
const DEMO = path.join(REPO_ROOT, 'camera-config', 'demo');
const ADMIN = { username: 'admin', password: 'e2e-admin-Pa55word' };
const NEW_USER = { username: 'xinhe1', password: 'e2e-xinhe-Pa55word', displayName: '新河街道 钱进' };
const OFFICE = { id: 'so-xinhe', name: '新河街道办事处' };
const ZONE = { id: 'zone-xinhe-yard', name: '新河料场' };

let main: MainProcess | undefined;
let base: string;
let browser: Browser;
let configDir: string;
const contexts: BrowserContext[] = [];

/** sha256 of every file of the repository's demo dispatch configuration. */
function demoDispatchHash(): string {
  const h = createHash('sha256');
  const dir = path.join(DEMO, 'dispatch');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

async function login(page: Page, username: string, password: string, landing: RegExp): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('[data-testid="login-username"]', username);
  await page.fill('[data-testid="login-password"]', password);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(landing, { timeout: 15_000 });
  await page.locator('[data-testid="user-name"]').waitFor();
}

const repoHashBefore = demoDispatchHash();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureWebBuilt();
  // A private copy of the demo configuration (clips linked, not copied).
  configDir = mkdtempSync(path.join(tmpdir(), 'tw-e2e-admin-config-'));
  cpSync(DEMO, configDir, { recursive: true, filter: (src) => !src.startsWith(path.join(DEMO, 'clips')) });
  symlinkSync(path.join(DEMO, 'clips'), path.join(configDir, 'clips'));
  main = await startMainProcess({
    TOWERWATCH_CONFIG_DIR: configDir,
    TOWERWATCH_PASSWORD_ADMIN: ADMIN.password,
  });
  base = main.base;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopMainProcess(main);
  rmSync(configDir, { recursive: true, force: true });
});

async function desktop(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  contexts.push(ctx);
  return ctx.newPage();
}

describe('dispatch admin pages in the browser', () => {
  it('admin adds a street office, its user, a zone drawn on the map and a rule; test routing shows it; the user logs in', async () => {
    const page = await desktop();
    await login(page, ADMIN.username, ADMIN.password, /\/cases$/);
    await page.click('[data-testid="nav-admin-dispatch"]');
    await page.waitForURL(/\/admin\/departments$/);
    await page.locator('[data-testid="department-table"]').waitFor();

    // 1. A street office. A bad id is refused next to the id field first (same zod schema as the API).
    await page.fill('[data-testid="department-id"]', 'Xin He');
    await page.fill('[data-testid="department-name"]', OFFICE.name);
    await page.click('[data-testid="department-submit"]');
    const idError = page.locator(
      '[data-testid="department-form"] label:has([data-testid="department-id"]) [data-testid="field-error"]',
    );
    await idError.waitFor();
    expect(await page.locator('[data-testid="department-form"] [data-testid="field-error"]').count()).toBe(1);
    await shot(page, 'admin-01-department-error');
    await page.fill('[data-testid="department-id"]', OFFICE.id);
    await page.selectOption('[data-testid="department-kind"]', 'street_office');
    await page.click('[data-testid="department-submit"]');
    await page.locator(`[data-testid="department-${OFFICE.id}"]`).waitFor();
    await shot(page, 'admin-02-departments');

    // 2. A user of the new office.
    await page.click('[data-testid="admin-tab-users"]');
    await page.waitForURL(/\/admin\/users$/);
    await page.locator('[data-testid="user-table"]').waitFor();
    expect(await page.locator('[data-testid="user-table"]').textContent()).not.toMatch(/argon2/);
    await page.fill('[data-testid="user-username"]', NEW_USER.username);
    await page.fill('[data-testid="user-display-name"]', NEW_USER.displayName);
    await page.selectOption('[data-testid="user-role"]', 'office');
    await page.selectOption('[data-testid="user-department"]', OFFICE.id);
    await page.fill('[data-testid="user-password"]', NEW_USER.password);
    await page.click('[data-testid="user-submit"]');
    const row = page.locator(`[data-testid="user-${NEW_USER.username}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(OFFICE.name);
    await shot(page, 'admin-03-users');

    // 3. A stockpile yard drawn on the map (no tile server: plain background + the GeoJSON layers).
    await page.click('[data-testid="admin-tab-zones"]');
    await page.waitForURL(/\/admin\/zones$/);
    const map = page.locator('[data-testid="zone-map"]');
    await map.waitFor();
    expect(await page.locator('[data-testid="zone-map"] .leaflet-tile').count()).toBe(0);
    expect(
      await page.locator('[data-testid="zone-map"] path.leaflet-interactive').count(),
    ).toBeGreaterThanOrEqual(9);
    await page.click('[data-testid="zone-new"]');
    await page.fill('[data-testid="area-id"]', ZONE.id);
    await page.fill('[data-testid="area-name"]', ZONE.name);
    await page.selectOption('[data-testid="area-zone-type"]', 'stockpile_yard');
    await page.click('[data-testid="area-draw"]');
    const box = (await map.boundingBox())!;
    const at = (fx: number, fy: number) => ({ x: box.x + box.width * fx, y: box.y + box.height * fy });
    const corners = [at(0.46, 0.62), at(0.52, 0.62), at(0.52, 0.7), at(0.46, 0.7), at(0.46, 0.62)];
    for (const c of corners) {
      await page.mouse.click(c.x, c.y);
      await page.waitForTimeout(250);
    }
    await expect
      .poll(() => page.getAttribute('[data-testid="area-polygon-state"]', 'data-drawn'), { timeout: 10_000 })
      .toBe('true');
    await shot(page, 'admin-04-zone-drawn');
    await page.click('[data-testid="area-submit"]');
    await page.locator(`[data-testid="zone-${ZONE.id}"]`).waitFor();
    await shot(page, 'admin-05-zones');

    // Edit it: drag one corner on the map (geoman vertex markers), save; the stored ring changes.
    const readZone = () =>
      page.evaluate(async (id) => {
        const r = await fetch('/api/admin/dispatch-config');
        const c = (await r.json()) as AdminConfigResponse;
        return c.zones.find((z) => z.properties.id === id)?.geometry ?? null;
      }, ZONE.id);
    const drawn = JSON.stringify(await readZone());
    await page.click(`[data-testid="zone-edit-${ZONE.id}"]`);
    const vertices = page.locator(
      '[data-testid="zone-map"] .leaflet-marker-pane .marker-icon:not(.marker-icon-middle)',
    );
    await expect.poll(() => vertices.count(), { timeout: 10_000 }).toBe(4);
    const corner = corners[2]!;
    await page.mouse.move(corner.x, corner.y);
    await page.mouse.down();
    await page.mouse.move(corner.x + 15, corner.y + 10, { steps: 5 });
    await page.mouse.up();
    await page.waitForTimeout(300);
    await page.click('[data-testid="area-submit"]');
    await page.locator('[data-testid="area-form"]').waitFor({ state: 'detached' });
    await expect.poll(async () => JSON.stringify(await readZone())).not.toBe(drawn);

    // The stored polygon: a closed ring of the five clicks (one corner moved).
    const geometry = (await readZone())!;
    expect(geometry.type).toBe('Polygon');
    const ring = (geometry.coordinates as number[][][])[0]!;
    expect(ring.length).toBe(5);
    expect(ring[0]).toEqual(ring[4]);
    const lon = ring.slice(0, 4).reduce((s, p) => s + p[0]!, 0) / 4;
    const lat = ring.slice(0, 4).reduce((s, p) => s + p[1]!, 0) / 4;

    // 4. A rule: dust in this zone → the new office. An unfinished row shows its error next to the field.
    await page.click('[data-testid="admin-tab-rules"]');
    await page.waitForURL(/\/admin\/rules$/);
    await page.locator('[data-testid="rules-table"]').waitFor();
    const n = await page.locator('[data-testid^="rule-row-"]').count();
    await page.click('[data-testid="rule-add"]');
    await page.selectOption(`[data-testid="rule-${n}-alertType"]`, 'dust');
    await page.click('[data-testid="rules-submit"]');
    const deptError = page.locator(
      `[data-testid="rule-row-${n}"] label:has([data-testid="rule-${n}-departmentId"]) [data-testid="field-error"]`,
    );
    await deptError.waitFor();
    await shot(page, 'admin-06-rule-error');
    await page.selectOption(`[data-testid="rule-${n}-zoneId"]`, ZONE.id);
    await page.selectOption(`[data-testid="rule-${n}-departmentId"]`, OFFICE.id);
    await page.fill(`[data-testid="rule-${n}-note"]`, '新河料场扬尘 → 新河街道');
    await page.click('[data-testid="rules-submit"]');
    await page.locator('[data-testid="rules-saved"]').waitFor();
    expect(await deptError.count()).toBe(0);

    // 5. Test routing: pick a point on the map, then the zone's centre, for a dust alert.
    const testMap = page.locator('[data-testid="route-test-map"]');
    await testMap.scrollIntoViewIfNeeded();
    const tb = (await testMap.boundingBox())!;
    await page.mouse.click(tb.x + tb.width / 2, tb.y + tb.height / 2);
    await expect.poll(() => page.inputValue('[data-testid="route-test-lat"]')).toMatch(/^\d+\.\d+$/);
    expect(await page.inputValue('[data-testid="route-test-lon"]')).toMatch(/^\d+\.\d+$/);
    await page.fill('[data-testid="route-test-lat"]', lat.toFixed(6));
    await page.fill('[data-testid="route-test-lon"]', lon.toFixed(6));
    await page.selectOption('[data-testid="route-test-type"]', 'dust');
    await page.click('[data-testid="route-test-submit"]');
    const result = page.locator('[data-testid="route-test-result"]');
    await result.waitFor();
    expect(await result.getAttribute('data-department')).toBe(OFFICE.id);
    expect(await result.getAttribute('data-matched')).toBe(String(n));
    expect(await page.textContent('[data-testid="route-test-department"]')).toBe(OFFICE.name);
    await result.scrollIntoViewIfNeeded();
    await shot(page, 'admin-07-route-test');
    // Smoke at the same point does not use the new rule.
    await page.selectOption('[data-testid="route-test-type"]', 'smoke');
    await page.click('[data-testid="route-test-submit"]');
    await expect.poll(() => result.getAttribute('data-department')).not.toBe(OFFICE.id);

    // 6. The office cannot be deleted while its user and the rule use it (409 listing them).
    await page.click('[data-testid="admin-tab-departments"]');
    await page.click(`[data-testid="department-delete-${OFFICE.id}"]`);
    await page.click(`[data-testid="department-delete-confirm-${OFFICE.id}"]`);
    const inUse = page.locator('[data-testid="department-in-use"]');
    await inUse.waitFor();
    expect(await inUse.textContent()).toContain(NEW_USER.username);
    await page.locator(`[data-testid="department-${OFFICE.id}"]`).waitFor();
    await shot(page, 'admin-08-department-in-use');

    // 7. The new office user logs in and lands on the office portal.
    const office = await desktop();
    await login(office, NEW_USER.username, NEW_USER.password, /\/office$/);
    expect(await office.textContent('[data-testid="user-name"]')).toContain(NEW_USER.displayName);
    await shot(office, 'admin-09-new-office-user');

    // The repository's configuration files were never touched.
    expect(demoDispatchHash()).toBe(repoHashBefore);
  });
});
