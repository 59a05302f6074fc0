/**
 * Browser-test support: starts the real entry point (`services/main.ts`, as `npm start` runs it) on the embedded
 * demo site on free ports with a fresh data directory, and launches Debian's Chromium through playwright-core.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { REPO_ROOT } from '../../services/runtime.ts';
import { freePort, waitFor } from './procs.ts';

export interface MainProcess {
  proc: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  rtspPort: number;
  /** epoch ms just before the process was spawned */
  startedAt: number;
  /** Last 20 kB of the process's stdout + stderr. */
  output: () => string;
}

/** Password of the demo duty user (`duty1`) in every e2e run, unless a test sets its own. */
export const E2E_DUTY_PASSWORD = 'e2e-duty-Pa55word';

/**
 * Logs in over the API.
 * @returns the session's `Cookie` header value (`tw_session=…`)
 * @throws Error when the login is not answered 200
 */
export async function loginCookie(base: string, username: string, password: string): Promise<string> {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (r.status !== 200) throw new Error(`login ${username}: HTTP ${r.status} ${await r.text()}`);
  return (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** GET of a JSON API path with a session cookie. @throws Error on a non-2xx answer */
export async function getJson<T>(base: string, cookie: string, p: string): Promise<T> {
  const r = await fetch(`${base}${p}`, { headers: { cookie, accept: 'application/json' } });
  if (!r.ok) throw new Error(`GET ${p}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** Puts a session cookie (from {@link loginCookie}) into a browser context, as a login in that browser would. */
export async function useSessionCookie(ctx: BrowserContext, base: string, cookie: string): Promise<void> {
  const i = cookie.indexOf('=');
  await ctx.addCookies([{ name: cookie.slice(0, i), value: cookie.slice(i + 1), url: base }]);
}

/**
 * Spawns the service and waits until `/api/health` answers (≤ 45 s).
 * @param launcher `node` (default: `node --import tsx services/main.ts`) or `npm`: the README's `npm start`, so
 *   that a test can check that signals reach the service through npm (its `proc` is then npm's process)
 */
export async function startMainProcess(
  extraEnv: Record<string, string> = {},
  launcher: 'node' | 'npm' = 'node',
): Promise<MainProcess> {
  const port = await freePort();
  const rtspPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const startedAt = Date.now();
  let out = '';
  const [cmd, args] =
    launcher === 'npm'
      ? ['npm', ['start', '--silent']]
      : [process.execPath, ['--import', 'tsx', 'services/main.ts']];
  const proc = spawn(cmd, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TOWERWATCH_PASSWORD_DUTY1: E2E_DUTY_PASSWORD,
      ...extraEnv,
      PORT: String(port),
      HOST: '127.0.0.1',
      TOWERWATCH_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'tw-e2e-')),
      TOWERWATCH_DEMO_RTSP_PORT: String(rtspPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-20_000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  await waitFor('console up', async () => (await fetch(`${base}/api/health`).catch(() => null))?.ok, 45_000);
  return { proc, base, rtspPort, startedAt, output: () => out };
}

/** SIGTERM, then SIGKILL after 10 s. */
export async function stopMainProcess(p: MainProcess | undefined): Promise<void> {
  if (!p || p.proc.exitCode !== null) return;
  const exited = new Promise((r) => p.proc.once('exit', r));
  p.proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
}

/** Headless Debian Chromium (CHROMIUM_PATH overrides), with the flags this closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Newest modification time under a directory (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The server serves web/dist: rebuilds it (vite, a few seconds) when it is missing or older than the web
 * sources or the shared schemas the web imports.
 */
export function ensureWebBuilt(): void {
  const index = path.join(REPO_ROOT, 'web', 'dist', 'index.html');
  const src = Math.max(
    ...['web/src', 'services/schemas', 'services/dispatch'].map((d) => newestMtime(path.join(REPO_ROOT, d))),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= src) return;
  execFileSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      // vitest sets NODE_ENV=test, which would bundle React's development build: test what ships.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
}
