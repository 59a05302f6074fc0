/**
 * Browser test of the live view when the camera goes away, on the real entry point (`services/main.ts`) with
 * the embedded demo site and Debian's Chromium: the alert page's live view plays; the demo RTSP server (a
 * child of main, in its own process group) is stopped, and the view must say "offline" without a reload;
 * a demo RTSP server is started again on the same port (from this test, with the demo config's streams) and
 * the video must play again on the same page; 10 s after the page closes no live-view ffmpeg may remain.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startDemoRtspServer, type DemoRtspServer } from '../../services/demo/demoRtspServer.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { DemoStream } from '../../services/schemas/config.ts';
import {
  E2E_DUTY_PASSWORD,
  ensureWebBuilt,
  getJson,
  launchChromium,
  loginCookie,
  startMainProcess,
  stopMainProcess,
  type MainProcess,
  useSessionCookie,
} from '../support/e2e.ts';
import { pgrep, waitFor } from '../support/procs.ts';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts');
const DEMO_DIR = path.join(REPO_ROOT, 'camera-config', 'demo');
const ZH = JSON.parse(readFileSync(path.join(REPO_ROOT, 'web', 'src', 'locales', 'zh-CN.json'), 'utf8')) as {
  live: { offline: string };
};

let main: MainProcess | undefined;
let browser: Browser;
let restarted: DemoRtspServer | undefined;

/** The live-view ffmpeg processes of this test's cameras (`-c copy` to fragmented MP4; not the capture ones). */
const liveFfmpegs = () => pgrep(`127.0.0.1:${main!.rtspPort}/.*frag_keyframe`);

const videoTime = (page: Page) =>
  page.locator('[data-testid="live-view"] video').evaluate((v) => (v as HTMLVideoElement).currentTime);

/** Waits until the video's current time has moved on by more than 0.5 s. */
async function expectPlaying(page: Page): Promise<void> {
  const t0 = await videoTime(page);
  await expect.poll(() => videoTime(page), { timeout: 20_000 }).toBeGreaterThan(t0 + 0.5);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureWebBuilt();
  main = await startMainProcess();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopMainProcess(main);
  await restarted?.stop();
});

describe('live view without the camera', () => {
  it('shows offline while the RTSP server is down, recovers without a reload, and leaves no ffmpeg', async () => {
    const m = main!;
    const cookie = await loginCookie(m.base, 'duty1', E2E_DUTY_PASSWORD);
    const alert = await waitFor(
      'an alert from the demo fleet',
      async () =>
        (await getJson<{ alerts: { id: string }[] }>(m.base, cookie, '/api/alerts?limit=5')).alerts[0] ??
        null,
      120_000,
      1000,
    );
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await useSessionCookie(ctx, m.base, cookie);
    const page = await ctx.newPage();
    await page.goto(`${m.base}/alerts/${encodeURIComponent(alert.id)}`);
    const live = page.locator('[data-testid="live-view"]');
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 30_000 }).toBe('live');
    await expectPlaying(page);
    expect(liveFfmpegs().length).toBe(1);

    // Stop the demo RTSP server (main's child, its own process group: the server and its feeders).
    const [serverPid] = pgrep(`"port":${m.rtspPort},`);
    expect(serverPid).toBeDefined();
    process.kill(-serverPid!, 'SIGTERM');
    await waitFor('demo RTSP server gone', () => pgrep(`"port":${m.rtspPort},`).length === 0, 15_000, 200);
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 30_000 }).toBe('offline');
    expect((await live.locator('.live-overlay').textContent())?.trim()).toBe(ZH.live.offline);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-offline.png') });

    // Bring it back on the same port with the demo config's streams: the same page plays again.
    const site = parseYaml(readFileSync(path.join(DEMO_DIR, 'site.yaml'), 'utf8')) as {
      demo: { streams: unknown[] };
    };
    restarted = await startDemoRtspServer({
      port: m.rtspPort,
      baseDir: DEMO_DIR,
      streams: site.demo.streams.map((s) => DemoStream.parse(s)),
      log: pino({ level: 'silent' }),
    });
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 60_000 }).toBe('live');
    expect(await live.locator('.live-overlay').count()).toBe(0);
    await expectPlaying(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-recovered.png') });
    expect(liveFfmpegs().length).toBe(1);

    // The last viewer leaves: the live ffmpeg stops (5 s idle delay) well within 10 s.
    await page.close();
    await waitFor(
      'no live-view ffmpeg 10 s after the page closed',
      () => liveFfmpegs().length === 0,
      10_000,
      250,
    );
  });
});
