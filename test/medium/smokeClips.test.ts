/**
 * Issue #4 acceptance check, for real: each shared HPWREN FIgLib smoke clip is looped over the demo RTSP server
 * (GStreamer + ffmpeg feeder), sampled by real ffmpeg every 2 s, run through the shipped smoke model
 * (onnxruntime-node) and the alert service; each camera must raise exactly one smoke alert, with a bearing,
 * within 30 s of coming online, and no second alert while the clip keeps looping.
 *
 * The three clips run as three cameras of one temporary config (camera-config/demo's azimuth/hfov style), each
 * with the masks / ROI of the demo camera that plays it in camera-config/demo (1528757406: the camera's own mast is
 * masked there, as an installer would; unmasked, the smoke model fires on it — models/smoke/card.md).
 * Skipped with a message when the clips are absent.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../services/config/loadConfig.ts';
import { demoCameraPlaying } from '../../services/demo/demoFleet.ts';
import { REPO_ROOT, startTowerWatch, type Runtime } from '../../services/runtime.ts';
import type { Alert, HealthResponse } from '../../services/schemas/api.ts';
import { silentLogger } from '../../services/util/logger.ts';
import { freePort, waitFor } from '../support/procs.ts';

const CLIPS = ['1528757406', '1530901681', '1559167385'].map((id) => ({
  id,
  file: path.join(REPO_ROOT, 'camera-config', 'demo', 'clips', `hpwren-figlib-${id}.mp4`),
}));
const haveClips = CLIPS.every((c) => existsSync(c.file));
if (!haveClips) console.warn('smokeClips: demo clips missing (scripts/models/make_demo_clips.sh); skipped');

/** Seconds from "camera online" to the first alert, per the issue. */
const FIRST_ALERT_S = 30;
/** Extra looping after the first alert during which no second alert may open. */
const HOLD_S = 20;

let rt: Runtime;

beforeAll(async () => {
  if (!haveClips) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-smokeclips-'));
  const port = await freePort();
  const demo = loadConfigDir(path.join(REPO_ROOT, 'camera-config', 'demo'));
  const cams = CLIPS.map((c, i) => {
    const installed = demoCameraPlaying(demo, path.basename(c.file));
    // JSON is YAML: the installed camera's view settings, verbatim.
    const view = [
      ...(installed?.masks ? [`    masks: ${JSON.stringify(installed.masks)}`] : []),
      ...(installed?.roi ? [`    roi: ${JSON.stringify(installed.roi)}`] : []),
    ];
    return [
      `  - id: smoke-${c.id}
    name: smoke ${c.id}
    url: rtsp://127.0.0.1:${port}/smoke-${c.id}
    channel: visible
    detectors: [smoke]
    sampleIntervalMs: 2000
    location: { lat: 34.25, lon: ${108.9 + i * 0.02}, heightM: 40 }
    azimuthDeg: ${90 + i * 30}
    hfovDeg: 60`,
      ...view,
    ].join('\n');
  });
  const streams = CLIPS.map((c) => `    - { mount: smoke-${c.id}, clip: ${JSON.stringify(c.file)} }`);
  writeFileSync(
    path.join(dir, 'site.yaml'),
    [
      'site: { id: smoke-clips, name: smoke clips }',
      'alerting: { confirmN: 2, confirmM: 3, closeAfterMs: 60000 }',
      'demo:',
      `  rtspPort: ${port}`,
      '  streams:',
      ...streams,
      'cameras:',
      ...cams,
      '',
    ].join('\n'),
  );
  rt = await startTowerWatch({
    configDir: dir,
    dataDir: mkdtempSync(path.join(tmpdir(), 'tw-smokeclips-data-')),
    port: 0,
    host: '127.0.0.1',
    log: silentLogger(),
  });
}, 120_000);

afterAll(async () => {
  await rt?.stop();
});

/** Alerts per camera and first-alert delay (ms after all cameras are online), collected once for all clips. */
let observed: Promise<{ alerts: Alert[]; firstAt: Map<string, number> }> | undefined;
function observe(): Promise<{ alerts: Alert[]; firstAt: Map<string, number> }> {
  observed ??= (async () => {
    await waitFor(
      'all smoke cameras online',
      async () => {
        const h = (await (await fetch(`${rt.url}/api/health`)).json()) as HealthResponse;
        return h.cameras.length === CLIPS.length && h.cameras.every((c) => c.online) ? h : null;
      },
      60_000,
    );
    const online = Date.now();
    const list = async (): Promise<Alert[]> =>
      ((await (await fetch(`${rt.url}/api/alerts`)).json()) as { alerts: Alert[] }).alerts;
    const firstAt = new Map<string, number>();
    // Poll until every clip alerted or the 30 s budget (plus slack for a loaded machine) is spent, then keep
    // the clips looping for HOLD_S more seconds: a second alert on the same clip would show up here.
    const deadline = online + FIRST_ALERT_S * 1000 + 15_000;
    while (Date.now() < deadline && firstAt.size < CLIPS.length) {
      for (const a of await list())
        if (a.type === 'smoke' && !firstAt.has(a.cameraId)) firstAt.set(a.cameraId, Date.now() - online);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, HOLD_S * 1000));
    return { alerts: await list(), firstAt };
  })();
  return observed;
}

describe.skipIf(!haveClips)('shared smoke clips looped over RTSP', () => {
  // Plain check first: the clips stream and alerts are collected. Without it, a broken RTSP/ffmpeg setup would
  // make the bounded checks below pass for the wrong reason.
  it(
    'brings every clip camera online and collects its alerts',
    async () => {
      const { alerts, firstAt } = await observe();
      // What each clip did, for the card's "End-to-end checks".
      for (const c of CLIPS) {
        const mine = alerts.filter((a) => a.cameraId === `smoke-${c.id}`);
        console.log(
          `smoke clip ${c.id}: ${mine.length} alert(s), first after ${firstAt.get(`smoke-${c.id}`) ?? '-'} ms, ${JSON.stringify(mine.map((a) => ({ box: a.box, track: a.trackId, status: a.status, first: a.firstSeenAt, last: a.lastSeenAt, closed: a.closedAt })))}`,
        );
      }
      expect(alerts.every((a) => a.type === 'smoke')).toBe(true);
      const h = (await (await fetch(`${rt.url}/api/health`)).json()) as HealthResponse;
      expect(h.cameras.map((c) => c.online)).toEqual(CLIPS.map(() => true));
    },
    FIRST_ALERT_S * 1000 + 15_000 + HOLD_S * 1000 + 90_000,
  );
  for (const c of CLIPS) {
    // Measured with this test (it prints each clip's alerts) and with `eval.ts --clips-only`, recorded in
    // models/smoke/card.md "End-to-end checks": each clip opens one alert, first after 1.5–2 s.
    it(
      `clip ${c.id}: exactly one smoke alert, with a bearing, within 30 s (issue #4 goal)`,
      async () => {
        const { alerts, firstAt } = await observe();
        const mine = alerts.filter((a) => a.cameraId === `smoke-${c.id}`);
        expect(mine.map((a) => a.type)).toEqual(['smoke']);
        expect(mine[0]!.bearingDeg).toEqual(expect.any(Number));
        expect(firstAt.get(`smoke-${c.id}`)).toBeLessThanOrEqual(FIRST_ALERT_S * 1000);
      },
      FIRST_ALERT_S * 1000 + 15_000 + HOLD_S * 1000 + 90_000,
    );
  }
});
