/**
 * Start-up refusals of the real entry point (`node --import tsx services/main.ts`, what `npm start` runs): a bad
 * camera or dispatch config file exits 78 (EX_CONFIG) naming file, line, path and reason before anything is
 * started; a taken console port exits 1 naming the variable that moves it.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../services/runtime.ts';
import { freePort } from '../support/procs.ts';

let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'tw-startup-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the demo config directory (clips included: the demo streams are resolved from it). */
function demoConfigCopy(name: string): string {
  const dir = path.join(work, name);
  cpSync(path.join(REPO_ROOT, 'camera-config/demo'), dir, { recursive: true });
  return dir;
}

/** Runs main.ts to exit (≤ 60 s). */
function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main.ts did not exit within 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('start-up refusals', () => {
  it('a bad camera file exits 78 naming file:line, path and reason', async () => {
    const dir = demoConfigCopy('bad-camera');
    const file = path.join(dir, 'cameras.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('sampleIntervalMs: 2000', 'sampleIntervalMs: -5'));
    const line =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('sampleIntervalMs: -5')) + 1;
    const r = await runMain({ TOWERWATCH_CONFIG_DIR: dir, TOWERWATCH_DATA_DIR: path.join(work, 'd1') });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${file}:${line}: cameras[0].sampleIntervalMs: `);
  }, 90_000);

  it('a bad dispatch file exits 78 with its line, before the demo RTSP server or the console starts', async () => {
    const dir = demoConfigCopy('bad-dispatch');
    const rules = path.join(dir, 'dispatch/rules.yaml');
    writeFileSync(rules, 'rules:\n  - { zoneType: farmland, departmentId: police }\n');
    const r = await runMain({ TOWERWATCH_CONFIG_DIR: dir, TOWERWATCH_DATA_DIR: path.join(work, 'd2') });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${rules}:2: rules[0].departmentId: unknown department "police"`);
    expect(r.stdout).not.toContain('demo RTSP');
    expect(r.stdout).not.toContain('console listening');
  }, 90_000);

  it('a taken console port exits 1 and says to set PORT', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((ok) => holder.listen(port, '0.0.0.0', ok));
    try {
      const r = await runMain({
        TOWERWATCH_DATA_DIR: path.join(work, 'd3'),
        PORT: String(port),
        TOWERWATCH_DEMO_RTSP_PORT: String(await freePort()),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('EADDRINUSE');
      expect(r.stderr).toContain('set PORT to a free port');
    } finally {
      await new Promise<void>((ok) => holder.close(() => ok()));
    }
  }, 90_000);
});
