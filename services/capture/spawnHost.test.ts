import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnHost, type HostedChild } from './spawnHost.ts';
import { stopChild } from './processes.ts';

let host: SpawnHost;
beforeAll(async () => {
  host = await SpawnHost.start();
});
afterAll(() => host.close());

const collect = (c: HostedChild) => {
  let out = '',
    err = '';
  c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  c.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    c.once('close', (code, signal) => r([code, signal])),
  );
  return { closed, out: () => out, err: () => err };
};

describe('SpawnHost', () => {
  it('runs a child whose stdout, stderr and exit code reach this process, close after all output', async () => {
    const c = host.spawn('/bin/sh', ['-c', 'head -c 300000 /dev/zero | tr "\\0" a; echo oops >&2; exit 3']);
    const r = collect(c);
    const [code, signal] = await r.closed;
    expect([code, signal]).toEqual([3, null]);
    expect(r.out().length).toBe(300000);
    expect(r.err()).toBe('oops\n');
    expect(c.pid).toBeGreaterThan(0);
  });

  it('pipes stdin to the child, including what was written before the host passed it over', async () => {
    const c = host.spawn('/usr/bin/wc', ['-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const r = collect(c);
    c.stdin!.write(Buffer.alloc(200_000, 1)); // before the handle has arrived
    await new Promise((ok) => setTimeout(ok, 200));
    c.stdin!.end(Buffer.alloc(1000, 2));
    const [code] = await r.closed;
    expect(code).toBe(0);
    expect(r.out().toString().trim()).toBe('201000');
  });

  it('stops a child that has not reported its pid yet (the signal waits for it)', async () => {
    const c = host.spawn('/bin/sleep', ['30']);
    const r = collect(c);
    await stopChild(c, 500);
    const [, signal] = await r.closed;
    expect(signal).toBe('SIGTERM');
  });

  it('reports a spawn failure as error then close, like ChildProcess', async () => {
    const c = host.spawn('/nonexistent/ffmpeg', []);
    const err = new Promise<Error>((r) => c.once('error', r));
    const r = collect(c);
    expect(((await err) as Error & { code?: string }).code).toBe('ENOENT');
    await r.closed;
  });

  it("kills its children's process groups when TowerWatch goes away", async () => {
    const h = await SpawnHost.start();
    const c = h.spawn('/bin/sleep', ['30']);
    await c.spawned();
    const pid = c.pid!;
    h.close();
    const deadline = Date.now() + 5000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      // Gone, or a zombie waiting for init to reap it (state Z): either way no longer running.
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      alive = stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
    }
    expect(alive).toBe(false);
  });

  it('reports its children exited and kills them when the host itself dies', async () => {
    const h = await SpawnHost.start();
    const c = h.spawn('/bin/sleep', ['30']);
    await c.spawned();
    const r = collect(c);
    process.kill(h.pid!, 'SIGKILL');
    const [code, signal] = await r.closed;
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    expect(h.alive).toBe(false);
    await new Promise((res) => setTimeout(res, 200));
    const stat = existsSync(`/proc/${c.pid}/stat`) ? readFileSync(`/proc/${c.pid}/stat`, 'utf8') : '';
    expect(stat === '' || /^\d+ \(.*\) Z/.test(stat)).toBe(true);
  });

  it('after its host died, a new child fails at once and stopping it never hangs', async () => {
    const h = await SpawnHost.start();
    process.kill(h.pid!, 'SIGKILL');
    while (h.alive) await new Promise((res) => setTimeout(res, 20));
    const c = h.spawn('/bin/sleep', ['30']);
    const err = new Promise<Error>((r) => c.once('error', r));
    const r = collect(c);
    expect(((await err) as Error & { code?: string }).code).toBe('EHOSTDOWN');
    await r.closed;
    await stopChild(c, 100);
  });
});
