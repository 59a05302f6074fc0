import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SampledFrame } from '../capture/cameraWorker.ts';
import { ConfigRepository } from '../config/configRepository.ts';
import type { Detector } from '../detect/detectLoop.ts';
import type { DetectOptions } from '../detect/onnxModel.ts';
import type { Actor } from '../dispatch/access.ts';
import { CameraInput } from '../schemas/admin.ts';
import { CameraConfig } from '../schemas/config.ts';
import { ManualClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import {
  CameraAdminService,
  changedFields,
  classifyProbeFailure,
  liveChange,
  type AdminAuditRecord,
} from './cameraAdminService.ts';

const base = CameraConfig.parse({
  id: 'cam-a',
  name: 'A',
  url: 'rtsp://10.0.0.1/a',
  channel: 'thermal',
  detectors: ['hotspot'],
  presets: [{ id: 'p1', name: 'P1', onvifToken: '1' }],
  onvif: { host: '10.0.0.1' },
});

describe('liveChange', () => {
  it('replaces the config entry for analysis settings, restarts for capture settings', () => {
    const masks = [
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
    ] as CameraConfig['masks'];
    expect(liveChange(base, { ...base })).toBe('none');
    expect(liveChange(base, { ...base, masks })).toBe('config');
    expect(liveChange(base, { ...base, name: 'B', sensitivity: 0.8 })).toBe('config');
    expect(
      liveChange(base, { ...base, presets: [{ ...base.presets[0]!, masks: masks!, detectors: ['smoke'] }] }),
    ).toBe('config');
    expect(liveChange(base, { ...base, url: 'rtsp://10.0.0.9/a' })).toBe('restart');
    expect(liveChange(base, { ...base, auth: { username: 'u', passwordEnv: 'X' } })).toBe('restart');
    expect(liveChange(base, { ...base, sampleIntervalMs: 5000 })).toBe('restart');
    expect(liveChange(base, { ...base, presets: [{ ...base.presets[0]!, onvifToken: '2' }] })).toBe(
      'restart',
    );
    expect(liveChange(base, { ...base, enabled: false })).toBe('stop');
    expect(liveChange({ ...base, enabled: false }, base)).toBe('start');
    expect(liveChange({ ...base, enabled: false }, { ...base, enabled: false, url: 'rtsp://x/y' })).toBe(
      'config',
    );
    expect(liveChange(null, base)).toBe('start');
    expect(liveChange(base, null)).toBe('remove');
  });
});

describe('changedFields', () => {
  it('names changed fields, per preset, never values', () => {
    const after: CameraConfig = {
      ...base,
      auth: { username: 'u', password: 'hunter2-secret' },
      presets: [{ ...base.presets[0]!, sensitivity: 0.9 }],
    };
    const f = changedFields(base, after);
    expect(f).toEqual(['auth', 'presets.p1.sensitivity']);
    expect(JSON.stringify(f)).not.toContain('hunter2');
  });
});

describe('classifyProbeFailure', () => {
  it('maps ffprobe messages to reasons', () => {
    expect(classifyProbeFailure('method DESCRIBE failed: 401 Unauthorized', false)).toBe('auth_failed');
    expect(classifyProbeFailure('Connection to tcp://10.0.0.1:554 failed: Connection refused', false)).toBe(
      'refused',
    );
    expect(classifyProbeFailure('method DESCRIBE failed: 404 Not Found', false)).toBe('not_found');
    expect(classifyProbeFailure('Command failed', true)).toBe('timeout');
    expect(classifyProbeFailure('Connection timed out', false)).toBe('timeout');
    expect(classifyProbeFailure('Invalid data found when processing input', false, 40)).toBe('not_rtsp');
    // A hung host: ffprobe's 5 s I/O timeout ends in the same message.
    expect(classifyProbeFailure('Invalid data found when processing input', false, 5200)).toBe('timeout');
    expect(classifyProbeFailure('something else', false)).toBe('error');
  });
});

/** A fake runtime recording what the service did to it. */
function fakeRuntime() {
  const cams = new Map<string, CameraConfig>();
  const workers = new Set<string>();
  const calls: string[] = [];
  const frames = new Map<string, SampledFrame>();
  return {
    cams,
    workers,
    calls,
    frames,
    control: {
      set: (c: CameraConfig) => {
        cams.set(c.id, c);
        calls.push(`set:${c.id}`);
      },
      remove: (id: string) => {
        cams.delete(id);
        calls.push(`remove:${id}`);
      },
      startWorker: (c: CameraConfig) => {
        workers.add(c.id);
        calls.push(`start:${c.id}:${c.url}`);
      },
      stopWorker: (id: string) => {
        workers.delete(id);
        calls.push(`stop:${id}`);
        return Promise.resolve();
      },
      lastFrame: (id: string) => frames.get(id) ?? null,
    },
  };
}

const actor: Actor = {
  userId: 'u_admin',
  username: 'admin',
  role: 'admin',
  departmentId: null,
  requestId: 'r1',
};

/** A detector that "finds" one box and honours masks the way the real one does (centre inside a mask → dropped). */
function fakeDetector(): Detector & { seen: DetectOptions[] } {
  const seen: DetectOptions[] = [];
  return {
    seen,
    spec: { name: 'fake', type: 'hotspot', threshold: 0.5 },
    detect: (frame, opts) => {
      seen.push(opts ?? {});
      const box = { x: 40, y: 20, w: 20, h: 10 };
      const cx = (box.x + box.w / 2) / frame.width;
      const cy = (box.y + box.h / 2) / frame.height;
      const masked = (opts?.masks ?? []).some((m) => {
        const xs = m.map((p) => p[0]);
        const ys = m.map((p) => p[1]);
        return (
          cx >= Math.min(...xs) && cx <= Math.max(...xs) && cy >= Math.min(...ys) && cy <= Math.max(...ys)
        );
      });
      return Promise.resolve({
        model: 'fake',
        type: 'hotspot',
        detections: masked ? [] : [{ type: 'hotspot', box, score: 0.8 }],
        views: 1,
        tiled: false,
        ms: 1,
      });
    },
  };
}

let dir: string;
let rt: ReturnType<typeof fakeRuntime>;
let audits: AdminAuditRecord[];
let svc: CameraAdminService;
let det: ReturnType<typeof fakeDetector>;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tw-camadmin-'));
  writeFileSync(
    path.join(dir, 'cameras.yaml'),
    `# fleet
cameras:
  - id: cam-a # the thermal one
    name: A
    url: rtsp://127.0.0.1:8554/a
    auth: { username: viewer, password: s3cret-Pw }
    channel: thermal
    detectors: [hotspot]
`,
  );
  rt = fakeRuntime();
  audits = [];
  det = fakeDetector();
  svc = new CameraAdminService({
    repo: new ConfigRepository(dir),
    runtime: rt.control,
    detectors: new Map([['hotspot', det]]),
    probe: () => Promise.reject(new Error('unused')),
    connectPtz: () => Promise.reject(new Error('unused')),
    encodeJpeg: () => Promise.resolve(Buffer.from('jpeg')),
    audit: (r) => {
      audits.push(r);
      return Promise.resolve();
    },
    clock: new ManualClock(Date.UTC(2026, 10, 29, 12)),
    log: silentLogger(),
    toRuntime: (c) => ({ ...c, url: c.url.replace(':8554/', ':18554/') }),
  });
});

describe('CameraAdminService', () => {
  it('never answers the password; a form without a new password keeps the stored one', async () => {
    const a = svc.get('cam-a');
    expect(a.auth).toEqual({ username: 'viewer', passwordEnv: null, hasPassword: true });
    expect(JSON.stringify(a)).not.toContain('s3cret');
    const { auth: _a, file: _f, version, urlHasCredentials: _u, ...rest } = a;
    const input = CameraInput.parse({ ...rest, name: 'A renamed', auth: { username: 'viewer' } });
    const after = await svc.update(actor, 'cam-a', version, input);
    expect(after.name).toBe('A renamed');
    expect(readFileSync(path.join(dir, 'cameras.yaml'), 'utf8')).toContain('password: s3cret-Pw');
    expect(readFileSync(path.join(dir, 'cameras.yaml'), 'utf8')).toContain('# the thermal one');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      action: 'camera.update',
      cameraId: 'cam-a',
      details: { changed: ['name'] },
    });
    expect(JSON.stringify(audits)).not.toContain('s3cret');
    // A name change is a config change: the entry is replaced (with the runtime URL), no worker restart.
    expect(rt.calls).toEqual(['set:cam-a']);
    expect(rt.cams.get('cam-a')!.url).toBe('rtsp://127.0.0.1:18554/a');
  });

  it('accepts its own answer back (auth: null = no credentials) and removes credentials with it', async () => {
    const { file: _f, version, urlHasCredentials: _u, auth: _a, ...rest } = svc.get('cam-a');
    const after = await svc.update(actor, 'cam-a', version, CameraInput.parse({ ...rest, auth: null }));
    expect(after.auth).toBeNull();
    expect(readFileSync(path.join(dir, 'cameras.yaml'), 'utf8')).not.toContain('s3cret');
    // …and the answer, sent back unchanged, is accepted again
    const { file: _f2, version: v2, urlHasCredentials: _u2, ...again } = after;
    await expect(svc.update(actor, 'cam-a', v2, CameraInput.parse(again))).resolves.toMatchObject({
      auth: null,
    });
  });

  it('applies a mask live on the next frame, restarts only for capture changes, starts/stops workers', async () => {
    let v = svc.get('cam-a').version;
    const mask: [number, number][] = [
      [0.3, 0.1],
      [0.7, 0.1],
      [0.7, 0.6],
      [0.3, 0.6],
    ];
    v = (await svc.updateView(actor, 'cam-a', v, { masks: [mask], sensitivity: 0.5, detectors: ['hotspot'] }))
      .version;
    expect(rt.calls).toEqual(['set:cam-a']);
    expect(rt.cams.get('cam-a')!.masks).toEqual([mask]);

    const cur = svc.get('cam-a');
    const { auth: _a, file: _f, version: _v, urlHasCredentials: _u, ...rest } = cur;
    v = (
      await svc.update(
        actor,
        'cam-a',
        v,
        CameraInput.parse({ ...rest, sampleIntervalMs: 5000, auth: { username: 'viewer' } }),
      )
    ).version;
    expect(rt.calls.slice(1)).toEqual(['stop:cam-a', 'set:cam-a', 'start:cam-a:rtsp://127.0.0.1:18554/a']);

    rt.calls.length = 0;
    await svc.create(
      actor,
      CameraInput.parse({
        id: 'cam-b',
        name: 'B',
        url: 'rtsp://10.0.0.2/b',
        channel: 'visible',
        detectors: ['hotspot'],
      }),
    );
    expect(rt.calls).toEqual(['set:cam-b', 'start:cam-b:rtsp://10.0.0.2/b']);
    await svc.remove(actor, 'cam-b', svc.get('cam-b').version);
    expect(rt.calls.slice(2)).toEqual(['stop:cam-b', 'remove:cam-b']);
    expect(audits.map((a) => a.action)).toEqual([
      'camera.update',
      'camera.update',
      'camera.create',
      'camera.delete',
    ]);
    expect(v).not.toBe('');
  });

  it('runs detection on the latest frame with unsaved masks', async () => {
    await expect(svc.detect('cam-a', { presetId: null, masks: [], sensitivity: 0.5 })).rejects.toMatchObject({
      status: 404,
      code: 'no_frame',
    });
    rt.frames.set('cam-a', {
      cameraId: 'cam-a',
      presetId: null,
      capturedAt: Date.UTC(2026, 10, 29, 12),
      seq: 1,
      image: { width: 100, height: 50, data: Buffer.alloc(100 * 50 * 3) },
    });
    const open = await svc.detect('cam-a', { presetId: null, masks: [], sensitivity: 0.5 });
    expect(open.detections).toEqual([
      { type: 'hotspot', score: 0.8, box: { x: 0.4, y: 0.4, w: 0.2, h: 0.2 }, opens: true },
    ]);
    const mask: [number, number][] = [
      [0.35, 0.35],
      [0.65, 0.35],
      [0.65, 0.65],
      [0.35, 0.65],
    ];
    const masked = await svc.detect('cam-a', { presetId: null, masks: [mask], sensitivity: 0.5 });
    expect(masked.detections).toEqual([]);
    expect(det.seen.at(-1)!.masks).toEqual([mask]);
    // Nothing was saved by a trial run.
    expect(svc.get('cam-a').masks).toBeUndefined();
  });

  it('refuses go-to-preset on a camera without ONVIF (409)', async () => {
    const cur = svc.get('cam-a');
    await svc.updatePreset(actor, 'cam-a', cur.version, 'p1', {
      id: 'p1',
      name: 'P1',
      dwellS: 60,
      settleS: 5,
      masks: [],
      sensitivity: 0.5,
    });
    await expect(svc.gotoPreset(actor, 'cam-a', 'p1')).rejects.toMatchObject({ status: 409, code: 'no_ptz' });
    await expect(svc.gotoPreset(actor, 'cam-a', 'nope')).rejects.toMatchObject({ status: 404 });
  });
});

describe('CameraAdminService.testConnection', () => {
  function service(probe: (url: string, s: number, timeoutMs: number) => Promise<object>) {
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 12));
    const calls: number[] = [];
    const s = new CameraAdminService({
      repo: new ConfigRepository(dir),
      runtime: rt.control,
      detectors: new Map(),
      probe: async (url, sec, timeoutMs) => {
        calls.push(timeoutMs);
        return (await probe(url, sec, timeoutMs)) as never;
      },
      connectPtz: () => Promise.reject(new Error('unused')),
      encodeJpeg: () => Promise.resolve(Buffer.from('jpeg')),
      audit: () => Promise.resolve(),
      clock,
      log: silentLogger(),
      probeTimeoutMs: 25_000,
    });
    return { s, clock, calls };
  }

  it('retries once when the stream does not answer within the I/O timeout, within the overall budget', async () => {
    let n = 0;
    const t = service(() => {
      n++;
      t.clock.advance(5000);
      return n === 1
        ? Promise.reject(new Error('rtsp://127.0.0.1:1/x: Invalid data found when processing input'))
        : Promise.resolve({ codec: 'h264', width: 336, height: 256, gopMs: 2000 });
    });
    const r = await t.s.testConnection({ url: 'rtsp://127.0.0.1:1/x' });
    expect(r).toMatchObject({ ok: true, codec: 'h264', ms: 10_000 });
    expect(t.calls).toEqual([25_000, 20_000]);
  });

  it('does not retry a definite answer (refused) and reports a second timeout as timeout', async () => {
    const refused = service(() => Promise.reject(new Error('Connection refused')));
    expect(await refused.s.testConnection({ url: 'rtsp://127.0.0.1:1/x' })).toMatchObject({
      ok: false,
      reason: 'refused',
    });
    expect(refused.calls).toHaveLength(1);
    const hung = service(() => {
      hung.clock.advance(5000);
      return Promise.reject(new Error('Invalid data found when processing input'));
    });
    expect(await hung.s.testConnection({ url: 'rtsp://127.0.0.1:1/x' })).toMatchObject({
      ok: false,
      reason: 'timeout',
      ms: 10_000,
    });
    expect(hung.calls).toHaveLength(2);
  });
});
