/**
 * Detection off the main thread: a pool of `worker_threads`, each holding every enabled model (one long-lived
 * onnxruntime session per model per worker, warmed up at load). `pool.detectors` are `Detector`s with the same
 * `detect(frame, opts)` contract as `OnnxModel`, so the DetectLoop and its callers do not change.
 *
 * Why: onnxruntime-node runs `session.run` synchronously on the calling JS thread, and the preprocessing
 * (crop, normalise, tiling) is JS too. In-process, every camera's inference and preprocessing shared the one
 * main thread (and one serialised session per model) with the capture pipes and sockets: one core is the ceiling
 * (about 0.5 CPU-s per camera-minute on the main thread in-process, BENCHMARKS.md §2). With one worker per core,
 * inference runs in parallel and the main thread only moves frames.
 *
 * Frames from capture live in a `SharedArrayBuffer` (PpmStreamParser), so posting one to a worker shares its
 * pixels instead of copying them (0.9 MB for a 640×480 frame); other frames are copied once (structured clone).
 * They are never transferred: the caller still needs the frame for evidence snapshots after detection.
 * Scheduling: each request goes to the live worker with the fewest requests pending. A worker that dies
 * rejects its pending requests (the DetectLoop logs them as failed detections and goes on) and is restarted.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { DetectionType } from '../schemas/config.ts';
import type { Logger } from '../util/logger.ts';
import type { Detector } from './detectLoop.ts';
import { ModelLoadError, type DetectOptions, type DetectorResult, type ModelInfo } from './onnxModel.ts';

/**
 * Default nice increment of detection worker threads over the main thread. Measured (BENCHMARKS.md §2, 40 cameras at nice 0): a 1.2 MB
 * frame crosses the 64 KiB ffmpeg pipe in ~20 reads, each waiting for the main thread's turn on a busy CPU, so
 * read times reached p95 0.7 s / max 1.2 s and frames missed their 2 s interval while inference ran at the same
 * priority. 10 gives the workers ~1/10 of a nice-0 thread's CPU weight when both want the CPU (CFS weights).
 */
export const DETECT_WORKER_NICENESS = 10;

/** workerData of one pool worker. */
export interface PoolWorkerInit {
  modelsDir: string;
  manifestFile?: string | undefined;
  types?: DetectionType[] | undefined;
  /** onnxruntime intra-op threads per session (1: parallelism comes from the workers). */
  threads: number;
  /** Added to the worker thread's nice value before loading (Linux; 0 = unchanged; result capped at 19). */
  niceness: number;
}

/** Main → worker. */
export type PoolRequest =
  | {
      kind: 'detect';
      id: number;
      model: string;
      frame: { width: number; height: number; data: Uint8Array };
      opts: DetectOptions;
    }
  | { kind: 'close' };

/** Worker → main. */
export type PoolReply =
  | { kind: 'ready'; specs: ModelInfo[] }
  | { kind: 'failed'; error: string }
  | {
      kind: 'result';
      id: number;
      result?: DetectorResult;
      error?: string;
      /** CPU time of the worker thread so far, s (NaN off Linux): lets benches split CPU per stage. */
      threadCpuS: number;
      /** The worker isolate's used V8 heap, bytes (`v8.getHeapStatistics().used_heap_size`); at most once a second, else absent. */
      heapUsedBytes?: number;
    };

/**
 * CPU time (user + system) of the calling thread, s, from `/proc/thread-self/stat` (Linux, USER_HZ = 100);
 * NaN where that file does not exist.
 */
export function threadCpuSeconds(): number {
  try {
    const s = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

export interface DetectorPoolOptions {
  modelsDir: string;
  manifestFile?: string;
  /** Load only models emitting one of these types (all enabled models when absent). */
  types?: Iterable<DetectionType>;
  /** Worker threads (default: available cores, at least 1). */
  workers?: number;
  /** Intra-op threads per session (default 1). */
  threads?: number;
  /**
   * Nice increment of the worker threads over the main thread (Linux: per thread; default
   * {@link DETECT_WORKER_NICENESS}). Detection is
   * batch work: at a lower priority the main thread (capture pipes, sockets) and the capture ffmpegs preempt
   * it, so under overload detection falls behind (frames replaced and counted by the DetectLoop) instead of
   * capture missing its interval. 0 keeps the process's priority.
   */
  niceness?: number;
  log?: Logger;
}

interface Slot {
  worker: Worker;
  /** Thread CPU reported with the latest reply, s. */
  cpuS: number;
  /** Latest reported V8 heap of the worker isolate, bytes (0 until its first reply). */
  heapBytes: number;
  pending: Map<number, { resolve: (r: DetectorResult) => void; reject: (e: Error) => void }>;
  alive: boolean;
}

const WORKER_FILE = path.join(import.meta.dirname, 'detectWorker.ts');

/**
 * The worker is TypeScript: a tiny ESM bootstrap registers tsx's loader in the thread, then imports it (the
 * `--import` hook of the main thread does not reach worker threads on Node 20).
 */
function bootstrapSource(): string {
  const require = createRequire(import.meta.url);
  const tsxApi = path.join(
    path.dirname(require.resolve('tsx/package.json')),
    'dist',
    'esm',
    'api',
    'index.mjs',
  );
  const target = `file://${WORKER_FILE}`;
  return `import(${JSON.stringify(`file://${tsxApi}`)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
}

/** Model specs answered by a fresh worker, or the load error. */
function spawn(init: PoolWorkerInit): { worker: Worker; ready: Promise<ModelInfo[]> } {
  const worker = new Worker(bootstrapSource(), { eval: true, workerData: init });
  const ready = new Promise<ModelInfo[]>((resolve, reject) => {
    const onMsg = (m: PoolReply) => {
      if (m.kind === 'ready') resolve(m.specs);
      else if (m.kind === 'failed') reject(new ModelLoadError(m.error));
      else return;
      worker.off('message', onMsg);
    };
    worker.on('message', onMsg);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`detection worker exited (code ${code}) while loading`)));
  });
  return { worker, ready };
}

export class DetectorPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Replacement workers still loading their models (close() waits for them, bounded by its grace). */
  private readonly loading = new Set<Promise<void>>();
  /** CPU of workers that have exited, s. */
  private deadCpuS = 0;
  /** One `Detector` per loaded model, in manifest order. */
  readonly detectors: Detector[];

  private constructor(
    private readonly init: PoolWorkerInit,
    readonly specs: ModelInfo[],
    private readonly log: Logger | undefined,
  ) {
    this.detectors = specs.map((spec) => ({
      spec,
      detect: (frame: RgbImage, opts?: DetectOptions) => this.detect(spec.name, frame, opts ?? {}),
    }));
  }

  /**
   * Starts `workers` threads and waits until each has loaded and warmed up every model.
   * @throws ModelLoadError (the first worker's load error; all workers are stopped).
   */
  static async start(o: DetectorPoolOptions): Promise<DetectorPool> {
    const n = Math.max(1, o.workers ?? os.availableParallelism());
    const init: PoolWorkerInit = {
      modelsDir: o.modelsDir,
      manifestFile: o.manifestFile,
      types: o.types ? [...o.types] : undefined,
      threads: o.threads ?? 1,
      niceness: o.niceness ?? DETECT_WORKER_NICENESS,
    };
    const started = Array.from({ length: n }, () => spawn(init));
    let specs: ModelInfo[];
    try {
      specs = (await Promise.all(started.map((s) => s.ready)))[0] ?? [];
    } catch (e) {
      await Promise.all(started.map((s) => s.worker.terminate()));
      throw e;
    }
    const pool = new DetectorPool(init, specs, o.log);
    for (const s of started) pool.adopt(s.worker);
    return pool;
  }

  /**
   * CPU time the worker threads spent so far (preprocessing + inference + decoding), s, as reported with
   * their latest results (NaN off Linux).
   */
  get workerCpuSeconds(): number {
    return this.deadCpuS + this.slots.reduce((a, s) => a + s.cpuS, 0);
  }

  /**
   * Used V8 heap of each live worker isolate, bytes, as of its latest reply (0 before the first one). The main
   * thread's `process.memoryUsage().heapUsed` does not include these; onnxruntime's native buffers are in
   * neither (only in the process RSS).
   */
  get workerHeapBytes(): number[] {
    return this.slots.map((s) => s.heapBytes);
  }

  /** Requests pending per worker (for metrics and tests). */
  get load(): number[] {
    return this.slots.map((s) => s.pending.size);
  }

  private adopt(worker: Worker): void {
    const slot: Slot = { worker, pending: new Map(), alive: true, cpuS: 0, heapBytes: 0 };
    this.slots.push(slot);
    worker.on('message', (m: PoolReply) => {
      if (m.kind !== 'result') return;
      if (Number.isFinite(m.threadCpuS)) slot.cpuS = m.threadCpuS;
      if (m.heapUsedBytes !== undefined) slot.heapBytes = m.heapUsedBytes;
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.result) p.resolve(m.result);
      else p.reject(new Error(m.error ?? 'detection failed in worker'));
    });
    const die = (why: string) => {
      if (!slot.alive) return;
      slot.alive = false;
      this.deadCpuS += slot.cpuS;
      this.slots.splice(this.slots.indexOf(slot), 1);
      for (const p of slot.pending.values()) p.reject(new Error(`detection worker ${why}`));
      slot.pending.clear();
      if (this.closed) return;
      this.log?.error({ why }, 'detection worker died; starting a new one');
      const s = spawn(this.init);
      const loaded: Promise<void> = s.ready
        .then(
          async () => {
            // closed while it loaded: stop it now that no onnxruntime call is running in it
            if (this.closed) await s.worker.terminate();
            else this.adopt(s.worker);
          },
          (e: unknown) => this.log?.error({ err: (e as Error).message }, 'cannot restart detection worker'),
        )
        .finally(() => this.loading.delete(loaded));
      this.loading.add(loaded);
    };
    worker.on('error', (e) => die(`failed: ${e.message}`));
    worker.on('exit', (code) => die(`exited (code ${code})`));
  }

  private detect(model: string, frame: RgbImage, opts: DetectOptions): Promise<DetectorResult> {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.pending.size < best.pending.size) best = s;
    if (!best || this.closed) return Promise.reject(new Error('no detection worker available'));
    const slot = best;
    const id = this.nextId++;
    // Structured clone copies the whole underlying ArrayBuffer: hand over exactly the frame's bytes.
    const d = frame.data;
    const data = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : new Uint8Array(d);
    const req: PoolRequest = {
      kind: 'detect',
      id,
      model,
      frame: { width: frame.width, height: frame.height, data },
      // Every field is passed on (plain data, structured-cloned), so options added later reach the model.
      opts: { ...opts },
    };
    return new Promise<DetectorResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(req);
    });
  }

  /**
   * Stops every worker: new requests are refused at once, requests in flight get up to `graceMs` to finish
   * (terminating a worker in the middle of an onnxruntime run can abort the whole process with an uncaught
   * native `Napi::Error`), then the workers are terminated and anything still pending is rejected. A
   * replacement worker still loading its models is waited for within the same grace and then stopped (not
   * terminated mid-load, for the same reason); past the grace it stops itself once loaded.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + graceMs;
    while (
      (this.slots.some((s) => s.alive && s.pending.size > 0) || this.loading.size > 0) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 20));
    const slots = [...this.slots];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** Replacement workers still loading (0 once close() has resolved within its grace). */
  get loadingWorkers(): number {
    return this.loading.size;
  }
}
