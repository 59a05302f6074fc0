/**
 * Browser test of the whole dispatch flow on the real entry point (`services/main.ts`) with the embedded demo
 * site and Debian's Chromium (playwright-core): a duty officer (desktop) confirms a real alert from the demo
 * fleet and dispatches it to the environment bureau; the bureau's field user (phone, 390×844) accepts, goes
 * on site and resolves with a real JPEG photo; the duty officer verifies and closes; the case page lists the
 * whole audit trail; a supervisor watches the case board. Screenshots go to test/e2e/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../services/runtime.ts';
import {
  ensureWebBuilt,
  launchChromium,
  loginCookie,
  startMainProcess,
  stopMainProcess,
  type MainProcess,
} from '../support/e2e.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts');
const USERS = {
  duty: { username: 'duty1', password: 'e2e-duty-Pa55word' },
  office: { username: 'env1', password: 'e2e-env-Pa55word' },
  supervisor: { username: 'sup1', password: 'e2e-sup-Pa55word' },
} as const;
/** The department of the office user above (camera-config/demo/dispatch/users.yaml). */
const OFFICE_DEPARTMENT = 'env';

let main: MainProcess | undefined;
let base: string;
let startedAt: number;
let browser: Browser;
const contexts: BrowserContext[] = [];

const passwordEnv = (username: string) =>
  `TOWERWATCH_PASSWORD_${username.toUpperCase().replace(/[-.]/g, '_')}`;

async function newContext(kind: 'desktop' | 'phone'): Promise<BrowserContext> {
  const ctx = await browser.newContext(
    kind === 'phone'
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1600, height: 1000 } },
  );
  contexts.push(ctx);
  return ctx;
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

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureWebBuilt();
  const passwords = Object.fromEntries(
    Object.values(USERS).map((u) => [passwordEnv(u.username), u.password]),
  );
  main = await startMainProcess(passwords);
  base = main.base;
  startedAt = main.startedAt;
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopMainProcess(main);
});

describe('dispatch flow in the browser', () => {
  it('duty confirms and dispatches a real alert, the field unit resolves it on a phone, duty verifies and closes', async () => {
    const duty = await (await newContext('desktop')).newPage();
    const office = await (await newContext('phone')).newPage();
    const supervisor = await (await newContext('desktop')).newPage();

    // Login page (zh-CN by default), then the duty console.
    await duty.goto(`${base}/login`);
    expect(await duty.locator('html').getAttribute('lang')).toMatch(/^zh/);
    await shot(duty, 'flow-01-login');
    await login(duty, 'duty', /\/$/);
    await expect
      .poll(() => duty.getAttribute('[data-testid="conn-state"]', 'data-state'), { timeout: 20_000 })
      .toBe('connected');

    // The field unit and the supervisor are logged in before the dispatch: their views update live.
    await login(office, 'office', /\/office$/);
    await office.locator('[data-testid="office-portal"]').waitFor();
    await login(supervisor, 'supervisor', /\/$/);
    await supervisor.click('[data-testid="nav-board"]');
    await supervisor.locator('[data-testid="case-board"]').waitFor();

    // A real alert from the demo fleet, not reviewed yet.
    const card = duty.locator('[data-testid="alert-card"]:has([data-testid="alert-review"])').first();
    await card.waitFor({ timeout: Math.max(5_000, 90_000 - (Date.now() - startedAt)) });
    const alertId = await card.getAttribute('data-alert-id');
    expect(alertId).toBeTruthy();
    await shot(duty, 'flow-02-console');

    // Alert detail with its snapshot; confirm → dispatch form with the suggestion pre-selected.
    await card.locator('[data-testid="alert-detail-link"]').click();
    await duty.waitForURL(/\/alerts\//);
    const snapshot = duty.locator('.detail-snapshot img');
    await expect
      .poll(() => snapshot.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await duty.click('[data-testid="alert-confirm"]');
    await duty.click('[data-testid="confirm-submit"]');
    const select = duty.locator('[data-testid="dispatch-department"]');
    await select.waitFor();
    const suggested = await select.getAttribute('data-suggested');
    await expect.poll(() => select.locator('option').count()).toBeGreaterThan(1);
    if (suggested) expect(await select.inputValue()).toBe(suggested);
    if ((await select.inputValue()) !== OFFICE_DEPARTMENT) await select.selectOption(OFFICE_DEPARTMENT);
    await shot(duty, 'flow-03-dispatch');
    await duty.click('[data-testid="dispatch-submit"]');
    const linked = duty.locator('[data-testid="alert-case"][data-case-state="dispatched"]');
    await linked.waitFor({ timeout: 10_000 });
    const caseId = await linked.getAttribute('data-case-id');
    expect(caseId).toMatch(/^case_/);
    const caseSel = `[data-testid="case-card"][data-case-id="${caseId}"]`;

    // Supervisor's board: the case appears in the "dispatched" column without a reload.
    await supervisor.locator(`[data-testid="board-col-dispatched"] ${caseSel}`).waitFor({ timeout: 10_000 });

    // Field unit on the phone: the case arrives live; accept, on site, resolve with a photo.
    const officeCard = office.locator(caseSel);
    await officeCard.waitFor({ timeout: 10_000 });
    await shot(office, 'flow-04-office-dispatched');
    await officeCard.locator('[data-testid="action-accept"]').click();
    await office.locator(`${caseSel}[data-case-state="accepted"]`).waitFor();
    await officeCard.locator('[data-testid="action-arrive"]').click();
    await office.locator(`${caseSel}[data-case-state="on_site"]`).waitFor();
    await officeCard.locator('[data-testid="action-resolve"]').click();
    // Validation next to the field: no disposition chosen yet.
    await officeCard.locator('[data-testid="resolve-submit"]').click();
    await officeCard.locator('[data-testid="field-error"]').first().waitFor();
    await officeCard.locator('[data-testid="resolve-disposition"]').selectOption('stopped_burning');
    await officeCard.locator('[data-testid="resolve-note"]').fill('现场焚烧已扑灭，已教育当事人');
    const cookie = await loginCookie(base, USERS.duty.username, USERS.duty.password);
    const snapRes = await fetch(`${base}/api/alerts/${alertId}/snapshot.jpg`, { headers: { cookie } });
    const jpeg = Buffer.from(await snapRes.arrayBuffer());
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    const fileInput = officeCard.locator('[data-testid="resolve-photos"]');
    expect(await fileInput.getAttribute('capture')).toBe('environment');
    await fileInput.setInputFiles({ name: 'site.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await shot(office, 'flow-05-office-resolve-form');
    await officeCard.locator('[data-testid="resolve-submit"]').click();
    // Resolved cases leave the active list for the collapsed "other cases" section.
    await office
      .locator(`${caseSel}[data-case-state="resolved"]`)
      .waitFor({ state: 'attached', timeout: 15_000 });
    await office.click('[data-testid="office-other"] summary');
    await shot(office, 'flow-06-office-resolved');

    // Duty: the case page (live: it is resolved now); verify, then close, with If-Match.
    await duty.locator('[data-testid="alert-case-link"]').click();
    await duty.locator('[data-testid="case-page"][data-case-state="resolved"]').waitFor({ timeout: 10_000 });
    // A concurrent change (simulated: the server answers 409 version_conflict once) shows "the case changed"
    // and reloads; the retry goes through.
    await duty.route(
      '**/api/cases/*/transitions',
      (route) =>
        route.fulfill({
          status: 409,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'version_conflict', message: 'changed', details: {} } }),
        }),
      { times: 1 },
    );
    await duty.click('[data-testid="action-verify"]');
    await duty.locator('[data-testid="case-notice"]').waitFor();
    await duty.locator('[data-testid="action-error"]').waitFor();
    await duty.click('[data-testid="action-verify"]');
    await duty.locator('[data-testid="case-page"][data-case-state="verified"]').waitFor();
    await duty.click('[data-testid="action-close"]');
    await duty.locator('[data-testid="case-page"][data-case-state="closed"]').waitFor();
    await expect
      .poll(
        () =>
          duty
            .locator('[data-testid="feedback-photo"]')
            .first()
            .evaluate((el) => (el as HTMLImageElement).naturalWidth),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(0);

    // The full audit trail, in order.
    const actions = await duty
      .locator('[data-testid="audit-row"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toEqual([
      'alert.confirm',
      'case.dispatch',
      'case.accept',
      'case.arrive',
      'case.feedback',
      'case.resolve',
      'case.verify',
      'case.close',
    ]);
    const states = await duty
      .locator('[data-testid="audit-row"][data-action="case.dispatch"]')
      .evaluate((r) => [r.getAttribute('data-from'), r.getAttribute('data-to')]);
    expect(states).toEqual(['new', 'dispatched']);
    await shot(duty, 'flow-07-case-closed');

    // Supervisor: the closed case is in the collapsed "closed / cancelled" section, live.
    await supervisor
      .locator(`[data-testid="board-done"] ${caseSel}[data-case-state="closed"]`)
      .waitFor({ state: 'attached', timeout: 10_000 });
    await supervisor.click('[data-testid="board-done"] summary');
    await shot(supervisor, 'flow-08-board');

    // English is selectable on the phone too.
    await office.selectOption('[data-testid="lang-switch"]', 'en');
    expect(await office.locator('html').getAttribute('lang')).toBe('en');
    await shot(office, 'flow-09-office-en');

    // The API agrees with what the pages showed.
    const api = await duty.evaluate(async (id) => {
      const r = await fetch(`/api/cases/${id}`);
      return (await r.json()) as { case: { state: string; departmentId: string; disposition: string } };
    }, caseId);
    expect(api.case).toMatchObject({
      state: 'closed',
      departmentId: OFFICE_DEPARTMENT,
      disposition: 'stopped_burning',
    });
  });
});
