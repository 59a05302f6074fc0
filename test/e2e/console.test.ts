/**
 * Browser test of the walking skeleton: the real entry point (`services/main.ts`, as `npm start` runs it) on
 * the embedded demo site, and Debian's Chromium driven by playwright-core. Within 60 s of start an alert from
 * a real clip must appear in the console without a reload; SIGTERM must leave no child process.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../services/runtime.ts';
import {
  E2E_DUTY_PASSWORD,
  getJson,
  launchChromium,
  loginCookie,
  startMainProcess,
  type MainProcess,
} from '../support/e2e.ts';
import { pgrep, waitFor } from '../support/procs.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts');
let main: MainProcess;
let base: string;
let rtspPort: number;
let startedAt: number;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // the README's command, so the SIGTERM test below goes through npm as a service manager's stop would
  main = await startMainProcess({}, 'npm');
  ({ base, rtspPort, startedAt } = main);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (main && main.proc.exitCode === null) main.proc.kill('SIGKILL');
});

describe('duty console', () => {
  it('shows an alert from the demo fleet within 60 s of start, live, in zh-CN', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // Logged out, the console sends staff to the login page (the alert API needs a session) and back after it.
    await page.goto(base);
    await page.waitForURL(/\/login\?next=%2F$/, { timeout: 20_000 });
    expect((await fetch(`${base}/api/alerts`)).status).toBe(401);
    await page.fill('[data-testid="login-username"]', 'duty1');
    await page.fill('[data-testid="login-password"]', E2E_DUTY_PASSWORD);
    await page.click('[data-testid="login-submit"]');
    await page.waitForURL(`${base}/`, { timeout: 20_000 });
    await expect
      .poll(() => page.getAttribute('[data-testid="conn-state"]', 'data-state'), { timeout: 20_000 })
      .toBe('connected');
    const card = page.locator('[data-testid="alert-card"]').first();
    await card.waitFor({ timeout: Math.max(1000, 60_000 - (Date.now() - startedAt)) });
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeLessThan(60_000);
    expect(['hotspot', 'smoke']).toContain(await card.getAttribute('data-alert-type'));
    expect(await page.locator('html').getAttribute('lang')).toMatch(/^zh/);
    const img = card.locator('img').first();
    await expect
      .poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-zh-CN.png') });

    const id = await card.getAttribute('data-alert-id');
    const cookie = await loginCookie(base, 'duty1', E2E_DUTY_PASSWORD);
    const api = await getJson<{ alerts: { id: string }[] }>(base, cookie, '/api/alerts');
    expect(api.alerts.map((a) => a.id)).toContain(id);

    await page.selectOption('[data-testid="lang-switch"]', 'en');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-en.png') });

    // Alert detail: the camera's live view plays (moving video, no transcoding) within a few seconds.
    const opened = Date.now();
    await page.goto(`${base}/alerts/${encodeURIComponent(id ?? '')}`);
    const live = page.locator('[data-testid="live-view"]');
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    const t0 = await live.locator('video').evaluate((v) => (v as HTMLVideoElement).currentTime);
    await expect
      .poll(() => live.locator('video').evaluate((v) => (v as HTMLVideoElement).currentTime), {
        timeout: 10_000,
      })
      .toBeGreaterThan(t0 + 0.5);
    // Reported, not asserted (issue #6 asks for moving video within 3 s; a loaded CI machine is no stopwatch):
    // page open → live state → video time advanced by 0.5 s.
    console.log(`live view: moving video ${Date.now() - opened} ms after opening the alert page`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'alert-detail-live.png') });
    await page.close();
  });

  it('after a reload: the camera panel matches /api/health, and the header says the alarm needs a click', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${base}/login`);
    await page.fill('[data-testid="login-username"]', 'duty1');
    await page.fill('[data-testid="login-password"]', E2E_DUTY_PASSWORD);
    await page.click('[data-testid="login-submit"]');
    await page.waitForURL(`${base}/`, { timeout: 20_000 });
    // The login click unlocked audio; a reload (no gesture since) leaves it to the browser's autoplay policy.
    const reloadedAt = Date.now();
    await page.reload();
    await expect
      .poll(() => page.getAttribute('[data-testid="conn-state"]', 'data-state'), { timeout: 20_000 })
      .toBe('connected');
    // The fresh page replays the whole event log; each camera's last status event carries the last-frame time of
    // its status change (the demo cameras came online a minute ago). The panel must show the live figures.
    const cookie = await loginCookie(base, 'duty1', E2E_DUTY_PASSWORD);
    const health = await getJson<{ cameras: { id: string }[] }>(base, cookie, '/api/health');
    const rows = page.locator('[data-testid="camera-row"]');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(health.cameras.length);
    await expect
      .poll(
        async () => {
          const times = await rows
            .locator('time')
            .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
          return times.every((t) => t !== null && Date.parse(t) >= reloadedAt - 5000);
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    // Headless Chromium holds audio until a gesture: the header says so, and one click anywhere unlocks it.
    const blocked = page.locator('[data-testid="alarm-blocked"]');
    await blocked.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-sound-blocked.png') });
    await page.mouse.click(5, 500);
    await expect.poll(() => blocked.count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });

  it('stops on SIGTERM to `npm start` leaving no service, ffmpeg or RTSP server', async () => {
    expect(pgrep(`"port":${rtspPort},`).length).toBe(1);
    const exited = new Promise<number | null>((r) => main.proc.once('exit', (code) => r(code)));
    main.proc.kill('SIGTERM');
    expect(await exited, main.output().slice(-2000)).toBe(0);
    await waitFor(
      'children gone',
      () => pgrep(`127.0.0.1:${rtspPort}/`).length === 0 && pgrep(`"port":${rtspPort},`).length === 0,
      10_000,
    );
    // the service itself (npm's child) is gone too: its port no longer answers
    await waitFor(
      'service gone',
      async () => (await fetch(`${base}/api/health`).catch(() => null)) === null,
      10_000,
    );
  });
});
