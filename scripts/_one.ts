import { pino } from 'pino';
import { readFileSync } from 'node:fs';
import { startDemoRtspServer } from '../services/demo/demoRtspServer.ts';
import { KeyframeCapture } from '../services/capture/rtsp/keyframeCapture.ts';
import { spawnSupervised } from '../services/capture/processes.ts';
import { buildCaptureArgs } from '../services/capture/ffmpegArgs.ts';
const log = pino({ level: 'warn' });
const [dir, clip] = [process.argv[2]!, process.argv[3]!];
const N = Number(process.env.N ?? 4);
const srv = await startDemoRtspServer({ port: 18554, baseDir: dir, log, streams: [{ mount: 'c0', clip, mode: 'file-shared' } as never] });
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const pids: number[] = []; let frames = 0;
const caps: KeyframeCapture[] = [];
for (let i = 0; i < N; i++) {
  if (process.env.MODE === 'ffmpeg') {
    const c = spawnSupervised('ffmpeg', buildCaptureArgs({ url: 'rtsp://127.0.0.1:18554/c0', sampleIntervalMs: 2000, decodeMode: 'keyframes' }));
    c.stdout?.on('data', () => undefined); setTimeout(() => pids.push(c.pid!), 100);
  } else {
    const k = new KeyframeCapture({ url: 'rtsp://127.0.0.1:18554/c0', sampleIntervalMs: 2000, timeoutMs: 5000, now: Date.now, onFrame: () => frames++, onEnd: (r) => console.log('END', r) });
    k.start(); caps.push(k);
  }
}
await new Promise((r) => setTimeout(r, 8000));
for (const k of caps) pids.push(k.decoderPid!);
const c0 = pids.map(cpu); const n0 = process.cpuUsage(); const f0 = frames;
await new Promise((r) => setTimeout(r, 30000));
const c1 = pids.map(cpu); const n1 = process.cpuUsage(n0);
console.log(process.env.MODE ?? 'builtin', 'ffmpeg CPU s/min per cam', ((c1.reduce((a, b) => a + b) - c0.reduce((a, b) => a + b)) / N * 2).toFixed(3), 'node s/min per cam', ((n1.user + n1.system) / 1e6 / N * 2).toFixed(3), 'frames', frames - f0);
process.exit(0);
