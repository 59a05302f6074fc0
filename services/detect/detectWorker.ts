/**
 * Entry point of one detection worker thread (see detectorPool.ts): loads the enabled models of the manifest
 * once (one long-lived onnxruntime session per model, warmed up at load by `OnnxModel.load`), then answers
 * detect requests. onnxruntime-node's `session.run` is synchronous on the calling thread, so running it here
 * keeps the main thread (sockets, capture pipes, alert logic) free and lets several cores infer at once.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { loadManifestModels, type OnnxModel } from './onnxModel.ts';
import { threadCpuSeconds, type PoolReply, type PoolRequest, type PoolWorkerInit } from './detectorPool.ts';

const port = parentPort;
if (!port) throw new Error('detectWorker.ts must run in a worker thread');
const init = workerData as PoolWorkerInit;

// On Linux, setpriority(PRIO_PROCESS, 0) applies to the calling thread only: this worker, not the main thread.
// onnxruntime threads created from here inherit it. Elsewhere it may apply to the process: skip it there.
if (init.niceness !== 0 && process.platform === 'linux') {
  try {
    os.setPriority(Math.min(19, os.getPriority() + init.niceness));
  } catch {
    // Not permitted (e.g. a seccomp profile): run at the inherited priority.
  }
}

let models: OnnxModel[];
try {
  models = await loadManifestModels(init.modelsDir, {
    threads: init.threads,
    ...(init.types ? { types: init.types } : {}),
    ...(init.manifestFile ? { manifestFile: init.manifestFile } : {}),
  });
} catch (e) {
  const reply: PoolReply = { kind: 'failed', error: (e as Error).message };
  port.postMessage(reply);
  process.exit(1);
}
const byName = new Map(models.map((m) => [m.spec.name, m]));

/**
 * The isolate's used heap for the pool's metric, at most once a second: `v8.getHeapStatistics()` costs
 * ~0.3 ms on this machine, too much to pay on every detection reply (per frame and model).
 */
let heapReportedAt = 0;
function heapReport(): { heapUsedBytes?: number } {
  const now = Date.now();
  if (now - heapReportedAt < 1000) return {};
  heapReportedAt = now;
  return { heapUsedBytes: v8.getHeapStatistics().used_heap_size };
}

port.on('message', (req: PoolRequest) => {
  if (req.kind === 'close') {
    void Promise.all(models.map((m) => m.close())).finally(() => port.close());
    return;
  }
  const model = byName.get(req.model);
  if (!model) {
    const reply: PoolReply = {
      kind: 'result',
      id: req.id,
      error: `no model "${req.model}" in this worker`,
      threadCpuS: threadCpuSeconds(),
    };
    port.postMessage(reply);
    return;
  }
  const data = Buffer.from(req.frame.data.buffer, req.frame.data.byteOffset, req.frame.data.byteLength);
  model
    .detect({ width: req.frame.width, height: req.frame.height, data }, req.opts)
    .then(
      (result): PoolReply => ({
        kind: 'result',
        id: req.id,
        result,
        threadCpuS: threadCpuSeconds(),
        ...heapReport(),
      }),
      (e: unknown): PoolReply => ({
        kind: 'result',
        id: req.id,
        error: e instanceof Error ? e.message : String(e),
        threadCpuS: threadCpuSeconds(),
      }),
    )
    .then((reply) => port.postMessage(reply))
    .catch(() => undefined);
});

const ready: PoolReply = { kind: 'ready', specs: models.map((m) => m.spec) };
port.postMessage(ready);
