import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { acquireSpawnHost, spawnHostPid, spawnSupervised, supervisedCommand } from './processes.ts';

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

describe('supervisedCommand', () => {
  it('wraps in setpriv, then nice, keeping the arguments in order', () => {
    expect(supervisedCommand('ffmpeg', ['-i', 'x'], { niceness: 10, setpriv: true, nice: true })).toEqual([
      '/usr/bin/setpriv',
      ['--pdeathsig', 'SIGKILL', '--', '/usr/bin/nice', '-n', '10', 'ffmpeg', '-i', 'x'],
    ]);
    expect(supervisedCommand('ffmpeg', ['-i', 'x'], { setpriv: false, nice: true })).toEqual([
      'ffmpeg',
      ['-i', 'x'],
    ]);
    expect(supervisedCommand('ffmpeg', [], { niceness: 5, setpriv: false, nice: false })).toEqual([
      'ffmpeg',
      [],
    ]);
  });

  it('rejects a niceness outside 1..19', () => {
    expect(() => supervisedCommand('x', [], { niceness: -5, setpriv: false, nice: true })).toThrow(
      RangeError,
    );
    expect(() => supervisedCommand('x', [], { niceness: 20, setpriv: false, nice: true })).toThrow(
      RangeError,
    );
  });

  it('runs a child that much nicer than this process', async () => {
    const c = spawnSupervised('/bin/sh', ['-c', 'cut -d" " -f19 /proc/self/stat'], { niceness: 7 });
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => c.once('close', r));
    expect(Number(out.trim())).toBe(Math.min(19, os.getPriority() + 7));
  });
});
