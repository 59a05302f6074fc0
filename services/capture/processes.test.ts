import { describe, expect, it } from 'vitest';
import { acquireSpawnHost, spawnHostPid, spawnSupervised } from './processes.ts';

const run = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) => {
    const c = spawnSupervised(cmd, args);
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    c.once('error', reject);
    c.once('close', () => resolve(out));
  });

describe('spawnSupervised with the spawn host', () => {
  it('goes through the host, falls back to direct spawns when it dies, and replaces it', async () => {
    const release = await acquireSpawnHost();
    try {
      const first = spawnHostPid();
      expect(first).toBeGreaterThan(0);
      expect(await run('/bin/echo', ['one'])).toBe('one\n');
      process.kill(first!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      expect(spawnHostPid()).toBeUndefined();
      expect(await run('/bin/echo', ['two'])).toBe('two\n'); // direct, and starts a new host
      const deadline = Date.now() + 10_000;
      while (spawnHostPid() === undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(spawnHostPid()).not.toBe(first);
      expect(spawnHostPid()).toBeGreaterThan(0);
      expect(await run('/bin/echo', ['three'])).toBe('three\n');
    } finally {
      release();
    }
    expect(spawnHostPid()).toBeUndefined();
  });
});
