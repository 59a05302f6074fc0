/**
 * Spawn host: a small child process that starts TowerWatch's ffmpeg/ffprobe children on its behalf.
 *
 * Why: Node's child_process.spawn() forks the calling process on the event-loop thread, and fork() copies the
 * page tables of the whole process, so spawn() blocks for time proportional to the caller's RSS (nodejs/node
 * #14917; measured here: ~6 ms at 40 MB, ~100 ms median / 300 ms max at 740 MB). A 100-camera TowerWatch
 * (onnxruntime worker threads, frame buffers) spawns clip encoders, probes and restarted captures all the time;
 * each spawn froze frame intake, detection hand-off and socket pushes. This host stays ~40 MB, so its forks
 * are cheap, and it hands each child's stdio pipes back over the IPC channel (handle passing), so data flows
 * straight between ffmpeg and TowerWatch without passing through here.
 *
 * Protocol (process.send, 'advanced' serialisation):
 *   parent → host  { op: 'spawn', id, file, args, stdio: ['ignore'|'pipe' ×3], cwd?, env? }
 *                  { op: 'shutdown' }  (SIGKILL every child's process group, exit)
 *   host → parent  { op: 'spawned', id, pid } then { op: 'stdio', id, fd } with the pipe's handle, per piped fd
 *                  { op: 'error', id, code, message }  (spawn failed, e.g. ENOENT)
 *                  { op: 'exit', id, code, signal }
 * The host dies with its parent: when the IPC channel closes it SIGKILLs every child's process group and exits.
 * Plain CommonJS so that it runs under any loader (tsx, vitest, compiled builds).
 */
/* global setInterval */
'use strict';
const { spawn } = require('node:child_process');

/** id → ChildProcess */
const children = new Map();

function killAll() {
  for (const c of children.values()) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function shutdown() {
  killAll();
  process.exit(0);
}

process.on('message', (m) => {
  if (m && m.op === 'shutdown') return shutdown();
  if (!m || m.op !== 'spawn') return;
  const { id } = m;
  let child;
  try {
    child = spawn(m.file, m.args, {
      stdio: m.stdio,
      detached: true,
      ...(m.cwd ? { cwd: m.cwd } : {}),
      ...(m.env ? { env: m.env } : {}),
    });
  } catch (e) {
    process.send({ op: 'error', id, code: e.code ?? 'ESPAWN', message: String(e.message) });
    return;
  }
  child.once('error', (e) => {
    children.delete(id);
    process.send({ op: 'error', id, code: e.code ?? 'ESPAWN', message: String(e.message) });
  });
  if (child.pid === undefined) return; // 'error' follows
  children.set(id, child);
  process.send({ op: 'spawned', id, pid: child.pid });
  const pipes = [child.stdin, child.stdout, child.stderr];
  pipes.forEach((p, fd) => {
    if (!p) return;
    // Node started reading the child's pipes when it created them; stop that in this same tick (no I/O has been
    // polled yet), or the first bytes would be read here and lost when the handle moves to the parent.
    p.pause();
    if (p._handle && typeof p._handle.readStop === 'function') p._handle.readStop();
    process.send({ op: 'stdio', id, fd }, p);
  });
  child.once('exit', (code, signal) => {
    children.delete(id);
    process.send({ op: 'exit', id, code, signal });
  });
});

// The parent went away (closed the channel, or died: the channel's EOF, or being re-parented when that EOF is
// not seen while handles wait for their acknowledgement).
process.on('disconnect', shutdown);
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutdown();
}, 1000).unref();
process.send({ op: 'ready' });
