/**
 * Adapter for the spawn host (`spawnHost.cjs`): starts children from a small helper process instead of this
 * one, so that starting ffmpeg never blocks TowerWatch's event loop for the fork of a large process (see the
 * host's header for the measurements and nodejs/node#14917). The children look like `ChildProcess` to their
 * users ({@link SupervisedChild}): stdio streams exist at once (data flows once the host has passed the real
 * pipes over), `exit` and `close` carry (code, signal), `error` carries a spawn failure.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** What TowerWatch uses of a child process; a Node `ChildProcess` and a {@link HostedChild} both are one. */
export interface SupervisedChild {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals | number): boolean;
  on(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
}

type Stdio = 'ignore' | 'pipe';

type HostMessage =
  | { op: 'ready' }
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'stdio'; id: number; fd: 0 | 1 | 2 }
  | { op: 'error'; id: number; code: string; message: string }
  | { op: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** A child started by the host. Signals sent before the host reported its pid are delivered once it has. */
export class HostedChild extends EventEmitter implements SupervisedChild {
  pid: number | undefined = undefined;
  /** Written data is held here until the host has passed the child's stdin over, then flows into it. */
  readonly stdin: PassThrough | null;
  readonly stdout: PassThrough | null;
  readonly stderr: PassThrough | null;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private readonly pendingGroupSignals: NodeJS.Signals[] = [];
  private exited = false;
  private failed = false;
  private openStreams = 0;
  private readonly spawnedP: Promise<void>;
  private resolveSpawned!: () => void;

  constructor(stdio: readonly [Stdio, Stdio, Stdio]) {
    super();
    this.stdin = stdio[0] === 'pipe' ? new PassThrough() : null;
    this.stdout = stdio[1] === 'pipe' ? new PassThrough() : null;
    this.stderr = stdio[2] === 'pipe' ? new PassThrough() : null;
    this.spawnedP = new Promise((r) => (this.resolveSpawned = r));
  }

  /** Resolves once the host has reported the pid, or the spawn failed. */
  spawned(): Promise<void> {
    return this.spawnedP;
  }

  /** Signals the child itself (like `ChildProcess.kill`). */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.exited) return false; // like ChildProcess: never signal a pid that may have been reused
    if (this.pid === undefined) {
      if (!this.failed && !this.exited)
        this.pendingGroupSignals.push(typeof signal === 'number' ? 'SIGKILL' : signal);
      return !this.failed;
    }
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Signals the child's process group; before the pid is known, queues the signal. */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.exited) return;
    if (this.pid === undefined) {
      if (!this.failed && !this.exited) this.pendingGroupSignals.push(signal);
      return;
    }
    try {
      process.kill(-this.pid, signal);
    } catch {
      /* already exited */
    }
  }

  /** @internal host message for this child. */
  handle(m: HostMessage, socket: Socket | undefined): void {
    if (m.op === 'spawned') {
      this.pid = m.pid;
      this.resolveSpawned();
      for (const s of this.pendingGroupSignals.splice(0)) this.signalGroup(s);
    } else if (m.op === 'stdio' && socket) {
      if (m.fd === 0 && this.stdin) {
        // The child's stdin is one end of a socketpair (libuv), so the passed handle can be written to.
        this.stdin.pipe(socket);
        socket.on('close', () => this.stdin?.unpipe(socket));
      } else if (m.fd === 1 && this.stdout) socket.pipe(this.stdout);
      else if (m.fd === 2 && this.stderr) socket.pipe(this.stderr);
      else socket.destroy();
      // A reset pipe (the child was SIGKILLed) still ends our side.
      socket.on('error', () => socket.destroy());
      if (m.fd !== 0) {
        // 'close' waits for the child's output pipes, like ChildProcess: the host sends every pipe before the
        // exit message (one ordered channel), so at exit the count is complete.
        this.openStreams++;
        socket.once('close', () => {
          if (m.fd === 1) this.stdout?.end();
          if (m.fd === 2) this.stderr?.end();
          this.openStreams--;
          this.maybeClose();
        });
      }
    } else if (m.op === 'error') {
      this.failed = true;
      this.resolveSpawned();
      const e = Object.assign(new Error(`spawn failed: ${m.message}`), { code: m.code });
      this.emit('error', e);
      this.exitCode = -2;
      this.stdout?.end();
      this.stderr?.end();
      this.exited = true;
      this.maybeClose();
    } else if (m.op === 'exit') {
      this.exited = true;
      this.resolveSpawned(); // also when the host died before reporting the pid

      this.exitCode = m.code;
      this.signalCode = m.signal;
      this.emit('exit', m.code, m.signal);
      this.maybeClose();
    }
  }

  private closed = false;
  private maybeClose(): void {
    if (this.closed || !this.exited || this.openStreams > 0) return;
    this.closed = true;
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/** The running host process and its children. */
export class SpawnHost {
  private nextId = 1;
  private dead = false;
  private readonly children = new Map<number, HostedChild>();

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: HostMessage, socket?: Socket) => {
      if (m.op === 'ready') return;
      const c = this.children.get(m.id);
      if (!c) {
        socket?.destroy();
        return;
      }
      c.handle(m, socket);
      if (m.op === 'exit' || m.op === 'error') {
        this.children.delete(m.id);
        this.refIfBusy();
      }
    });
    proc.channel?.unref();
    // The host died (crash, OOM kill): its children would run on unreported. Kill their groups from here and
    // report them exited, so that their owners restart them (later spawns go direct: `alive` is false).
    // EPIPE on a send to a dying host arrives here (sends pass a callback too); never crash on it.
    proc.on('error', () => undefined);
    proc.once('exit', () => (this.dead = true));
    // 'close' comes after the IPC channel has ended, i.e. after every message the host sent was handled: the
    // children still listed here never reported their exit.
    proc.once('close', () => {
      this.dead = true;
      for (const [id, c] of this.children) {
        c.signalGroup('SIGKILL');
        c.handle({ op: 'exit', id, code: null, signal: 'SIGKILL' }, undefined);
      }
      this.children.clear();
    });
  }

  /** The host's pid (tests, diagnostics). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /**
   * Forks the host (do it early, while this process is small) and waits until it is ready.
   * @throws Error when the host does not start within `timeoutMs`.
   */
  static async start(timeoutMs = 10_000): Promise<SpawnHost> {
    const file = fileURLToPath(new URL('./spawnHost.cjs', import.meta.url));
    const proc = fork(file, [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`spawn host did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      proc.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    proc.unref();
    return new SpawnHost(proc);
  }

  /**
   * Starts `file args` in its own process group through the host. A piped stdin is a socketpair end passed
   * over like the output pipes; what is written to `child.stdin` before it arrives is buffered.
   */
  spawn(
    file: string,
    args: readonly string[],
    opts: { stdio?: readonly [Stdio, Stdio, Stdio]; cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ): HostedChild {
    const stdio = opts.stdio ?? (['ignore', 'pipe', 'pipe'] as const);
    const child = new HostedChild(stdio);
    const id = this.nextId++;
    this.children.set(id, child);
    this.refIfBusy();
    const fail = (code: string, message: string) => {
      if (!this.children.delete(id)) return;
      this.refIfBusy();
      child.handle({ op: 'error', id, code, message }, undefined);
    };
    if (!this.alive) {
      queueMicrotask(() => fail('EHOSTDOWN', 'spawn host is not running'));
      return child;
    }
    // send() returning false only means back-pressure (the message is still delivered); a failed write
    // reaches the callback.
    this.proc.send(
      {
        op: 'spawn',
        id,
        file,
        args,
        stdio,
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.env ? { env: opts.env } : {}),
      },
      (err) => {
        if (err) fail('EHOSTDOWN', `spawn host: ${err.message}`);
      },
    );
    return child;
  }

  /** True while the host process is alive and connected. */
  get alive(): boolean {
    return this.proc.connected && !this.dead;
  }

  /** Stops the host; it SIGKILLs the process groups of children still running. */
  close(): void {
    if (!this.proc.connected) return;
    this.proc.send({ op: 'shutdown' });
    this.proc.disconnect();
  }

  /** Keep this process alive while children are running (their exit must be reported). */
  private refIfBusy(): void {
    if (this.children.size > 0) this.proc.channel?.ref();
    else this.proc.channel?.unref();
  }
}
