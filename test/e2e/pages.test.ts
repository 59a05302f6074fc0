/**
 * Browser test of the staff dashboard, the SLA deadlines and the locale coverage of every page, on the real
 * entry point (`services/main.ts`) with the embedded demo site and Debian's Chromium (playwright-core).
 * Two real alerts from the demo fleet are reviewed through the API (one confirmed and dispatched to the
 * environment bureau, one dismissed as cloud); then the dashboard must draw its charts with that data, the
 * board / case page / office portal (phone, 390 px) must show the case's deadlines, the audit trail must name
 * the duty officer, and every page in zh-CN and en must show no raw i18n key. Screenshots go to
 * test/e2e/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../services/runtime.ts';
import {
  ensureWebBuilt,
  launchChromium,
  startMainProcess,
  stopMainProcess,
  type MainProcess,
} from '../support/e2e.ts';
import { waitFor } from '../support/procs.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts');
const USERS = {
  duty: { username: 'duty1', password: 'e2e-pages-duty-Pa55', displayName: '值班员 张敏' },
  office: { username: 'env1', password: 'e2e-pages-env-Pa55', displayName: '环境局 王磊' },
  admin: { username: 'admin', password: 'e2e-pages-admin-Pa55', displayName: '管理员' },
} as const;
const DEPARTMENT = 'env';

let main: MainProcess | undefined;
let base: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
let caseId: string;
let confirmedAlertId: string;
let dismissedCameraId: string;

/** A logged-in API session (cookie + CSRF token), for reviewing alerts without the UI. */
async function apiLogin(who: keyof typeof USERS) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: USERS[who].username, password: USERS[who].password }),
  });
  expect(r.status).toBe(200);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await r.json()) as { csrfToken: string };
  return async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status, `${method} ${url}: ${await res.clone().text()}`).toBeLessThan(300);
    return (await res.json()) as T;
  };
}

async function newPage(kind: 'desktop' | 'phone'): Promise<Page> {
  const ctx = await browser.newContext(
    kind === 'phone'
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1600, height: 1000 } },
  );
  contexts.push(ctx);
  return ctx.newPage();
}

async function login(page: Page, who: keyof typeof USERS, landing: RegExp): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('[data-testid="login-username"]', USERS[who].username);
  await page.fill('[data-testid="login-password"]', USERS[who].password);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(landing, { timeout: 15_000 });
  await page.locator('[data-testid="user-name"]').waitFor();
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/**
 * Dotted tokens that look like an untranslated i18n key (`dashboard.title`, `alertType.fire`) in a page's
 * visible text. File names (`snapshot.jpg`) and numbers do not match.
 */
export function rawKeys(text: string): string[] {
  const found = text.match(/\b[a-z][a-zA-Z0-9]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)+\b/g) ?? [];
  return found.filter((k) => !/\.(jpe?g|png|mp4|ya?ml|json|ts|tsx|html?)$/i.test(k));
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureWebBuilt();
  main = await startMainProcess(
    Object.fromEntries(
      Object.values(USERS).map((u) => [`TOWERWATCH_PASSWORD_${u.username.toUpperCase()}`, u.password]),
    ),
  );
  base = main.base;
  browser = await launchChromium();

  // Two real alerts from the demo fleet: confirm + dispatch one, dismiss the other.
  const duty = await apiLogin('duty');
  const alerts = await waitFor(
    'two alerts from the demo fleet',
    async () => {
      const r = await duty<{ alerts: { id: string; cameraId: string }[] }>('GET', '/api/alerts?limit=20');
      return r.alerts.length >= 2 ? r.alerts : null;
    },
    150_000,
    2000,
  );
  const [a, b] = alerts as [{ id: string; cameraId: string }, { id: string; cameraId: string }];
  const confirmed = await duty<{ case: { id: string; version: number } }>(
    'POST',
    `/api/alerts/${encodeURIComponent(a.id)}/confirm`,
    { priority: 'high' },
  );
  caseId = confirmed.case.id;
  confirmedAlertId = a.id;
  await duty('POST', `/api/cases/${encodeURIComponent(caseId)}/transitions`, {
    action: 'dispatch',
    departmentId: DEPARTMENT,
    expectedVersion: confirmed.case.version,
  });
  await duty('POST', `/api/alerts/${encodeURIComponent(b.id)}/dismiss`, { reason: 'cloud' });
  dismissedCameraId = b.cameraId;
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopMainProcess(main);
});

describe('console pages', () => {
  it('the dashboard draws its charts with the reviewed alerts and the new case', async () => {
    const page = await newPage('desktop');
    await login(page, 'duty', /\/$/);
    await page.click('[data-testid="nav-dashboard"]');
    await page.waitForURL(/\/dashboard$/);
    for (const id of ['chart-alerts', 'chart-cases-type', 'chart-cases-dept', 'chart-false-alarms']) {
      const chart = page.locator(`[data-testid="${id}"]`);
      await chart.locator('svg').first().waitFor({ timeout: 20_000 });
      expect(Number(await chart.getAttribute('data-total')), id).toBeGreaterThan(0);
      // Bars are drawn: the SVG has more paths than the empty axes alone.
      expect(await chart.locator('svg path').count(), id).toBeGreaterThan(3);
    }
    const row = page.locator(`[data-testid="false-alarm-row"][data-camera-id="${dismissedCameraId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('云');
    await page.click('[data-testid="range-7"]');
    await expect.poll(() => page.getAttribute('[data-testid="range-7"]', 'aria-pressed')).toBe('true');
    await page.locator('[data-testid="chart-alerts"] svg').first().waitFor();
    await shot(page, 'dashboard-zh-CN');
  });

  it('shows the SLA deadlines on the board, the case page and the office portal, and names the actors', async () => {
    const duty = await newPage('desktop');
    await login(duty, 'duty', /\/$/);
    await duty.goto(`${base}/cases`);
    const card = duty.locator(`[data-testid="case-card"][data-case-id="${caseId}"]`);
    await card.waitFor({ timeout: 15_000 });
    await expect.poll(() => card.locator('[data-testid="deadline"]').count(), { timeout: 10_000 }).toBe(3);
    expect(await card.locator('[data-testid="deadline"][data-state="pending"]').count()).toBe(3);
    await shot(duty, 'board-deadlines');

    await duty.goto(`${base}/cases/${encodeURIComponent(caseId)}`);
    const page = duty.locator('[data-testid="case-page"]');
    await page.waitFor();
    expect(await page.locator('[data-testid="deadline"]').count()).toBe(3);
    const actors = await page.locator('.audit-actor').allTextContents();
    expect(actors.join(' ')).toContain(USERS.duty.displayName);
    expect(actors.join(' ')).not.toMatch(/\bu_[0-9a-f]{8}/);
    await shot(duty, 'case-deadlines');

    const office = await newPage('phone');
    await login(office, 'office', /\/office$/);
    const officeCard = office.locator(`[data-testid="case-card"][data-case-id="${caseId}"]`);
    await officeCard.waitFor({ timeout: 15_000 });
    await expect
      .poll(() => officeCard.locator('[data-testid="deadline"]').count(), { timeout: 10_000 })
      .toBe(3);
    // Fits the phone: nothing wider than the 390 px viewport.
    expect(await office.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(office, 'office-deadlines-390');
  });

  it('shows no raw i18n key on any page, in zh-CN and en', async () => {
    const duty = await newPage('desktop');
    await login(duty, 'duty', /\/$/);
    const office = await newPage('phone');
    await login(office, 'office', /\/office$/);
    const admin = await newPage('desktop');
    await login(admin, 'admin', /\/cases$/);
    const routes: { who: Page; path: string; name: string; ready: string }[] = [
      { who: duty, path: '/', name: 'console', ready: 'closed-alerts' },
      {
        who: duty,
        path: `/alerts/${encodeURIComponent(confirmedAlertId)}`,
        name: 'alert',
        ready: 'alert-detail',
      },
      { who: duty, path: '/cases', name: 'board', ready: 'case-card' },
      { who: duty, path: `/cases/${encodeURIComponent(caseId)}`, name: 'case', ready: 'audit-row' },
      { who: duty, path: '/dashboard', name: 'dashboard', ready: 'chart-alerts' },
      { who: duty, path: '/no-such-page/x/y', name: 'not-found', ready: 'nav-console' },
      { who: duty, path: '/wall?layout=4', name: 'video-wall', ready: 'video-wall' },
      { who: duty, path: '/map', name: 'map', ready: 'map-page' },
      { who: admin, path: '/admin/cameras', name: 'admin-cameras', ready: 'camera-row' },
      { who: admin, path: '/admin/cameras/tower-02-thermal', name: 'admin-camera', ready: 'view-editor' },
      { who: admin, path: '/admin/departments', name: 'admin-departments', ready: 'department-table' },
      { who: admin, path: '/admin/zones', name: 'admin-zones', ready: 'zone-list' },
      { who: admin, path: '/admin/rules', name: 'admin-rules', ready: 'rules-table' },
      { who: admin, path: '/admin/sla', name: 'admin-sla', ready: 'sla-table' },
      { who: admin, path: '/admin/users', name: 'admin-users', ready: 'user-table' },
      { who: office, path: '/office', name: 'office', ready: 'case-card' },
      { who: office, path: `/cases/${encodeURIComponent(caseId)}`, name: 'office-case', ready: 'audit-row' },
    ];
    const anonymous = await newPage('desktop');
    routes.push(
      // logged out, the console sends you to the login page
      { who: anonymous, path: '/', name: 'console-logged-out', ready: 'login-username' },
      { who: anonymous, path: '/login', name: 'login', ready: 'login-username' },
    );
    for (const lng of ['zh-CN', 'en'] as const) {
      for (const p of [duty, office, admin, anonymous]) {
        await p.goto(`${base}/`);
        await p.evaluate((l) => localStorage.setItem('towerwatch.lang', l), lng);
      }
      for (const r of routes) {
        await r.who.goto(`${base}${r.path}`);
        await r.who.locator(`[data-testid="${r.ready}"]`).first().waitFor({ timeout: 20_000 });
        expect(await r.who.locator('html').getAttribute('lang')).toBe(lng);
        const text = await r.who.locator('body').innerText();
        expect(rawKeys(text), `${r.name} (${lng})`).toEqual([]);
        if (lng === 'zh-CN') expect(text, r.name).toMatch(/[\u4e00-\u9fff]/);
        await shot(r.who, `locale-${r.name}-${lng}`);
      }
    }
  });
});

describe('raw key detector', () => {
  it('finds dotted keys and ignores file names, times and coordinates', () => {
    expect(rawKeys('接单时限 sla.met 2026/11/29 12:00:00 34.25000, 108.95000 snapshot.jpg')).toEqual([
      'sla.met',
    ]);
    expect(rawKeys('alertType.fire · dashboard.title')).toEqual(['alertType.fire', 'dashboard.title']);
  });
});
