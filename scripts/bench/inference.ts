/**
 * Step 3 — inference: per enabled model of models/manifest.yaml, wall ms of `OnnxModel.detect` on a real
 * 1920×1080 frame (preprocessing, every tile, decoding and NMS included — what the DetectLoop pays per frame),
 * with tiling forced on vs one resized view, intra-op threads pinned to 1 (the service default).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { RgbImage } from '../../services/capture/ppmStream.ts';
import { loadManifest, onnxEntries } from '../../services/detect/manifest.ts';
import { OnnxModel } from '../../services/detect/onnxModel.ts';
import {
  fmt,
  log,
  percentile,
  realClip,
  REPO_ROOT,
  syntheticClip,
  table,
  type BenchOptions,
  type StepResult,
} from './common.ts';

export interface InferenceRow {
  model: string;
  variant: 'tiled' | 'single resize';
  manifestMode: string;
  views: number;
  runs: number;
  p50Ms: number;
  p95Ms: number;
}

export interface InferenceData {
  rows: InferenceRow[];
}

/** One 1920×1080 RGB frame from the real-content bench clip (synthetic when that cannot be made). */
function benchFrame(o: BenchOptions): { image: RgbImage; source: string } {
  let clip;
  try {
    clip = o.quick ? syntheticClip(30) : realClip(60);
  } catch {
    clip = syntheticClip(30);
  }
  const data = execFileSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      '5',
      '-i',
      clip.file,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { maxBuffer: 64 << 20 },
  );
  if (data.length !== 1920 * 1080 * 3) throw new Error(`bench frame: got ${data.length} bytes`);
  return { image: { width: 1920, height: 1080, data }, source: `${clip.name} clip, t = 5 s` };
}

export async function benchInference(o: BenchOptions): Promise<StepResult<InferenceData>> {
  const runs = o.quick ? 5 : 30;
  const modelsDir = path.join(REPO_ROOT, 'models');
  const manifest = loadManifest(path.join(modelsDir, 'manifest.yaml'));
  const { image, source } = benchFrame(o);
  const rows: InferenceRow[] = [];
  for (const entry of onnxEntries(manifest).filter((m) => m.enabled)) {
    for (const variant of ['tiled', 'single resize'] as const) {
      const mode = variant === 'tiled' ? 'always' : 'never';
      const model = await OnnxModel.load({ ...entry, tiling: { ...entry.tiling, mode } }, modelsDir, 1);
      try {
        await model.detect(image); // warm-up beyond the load-time one (first real-size preprocessing)
        const ms: number[] = [];
        let views = 0;
        const deadline = Date.now() + (o.quick ? 15_000 : 60_000);
        for (let i = 0; i < runs && Date.now() < deadline; i++) {
          const r = await model.detect(image);
          ms.push(r.ms);
          views = r.views;
        }
        rows.push({
          model: entry.name,
          variant,
          manifestMode: entry.tiling.mode,
          views,
          runs: ms.length,
          p50Ms: percentile(ms, 50),
          p95Ms: percentile(ms, 95),
        });
        log(o, `inference ${entry.name} ${variant}: p50 ${fmt(percentile(ms, 50))} ms (${views} views)`);
      } finally {
        await model.close();
      }
    }
  }
  const ratioRows = onnxEntries(manifest)
    .filter((m) => m.enabled)
    .map((m) => {
      const t = rows.find((r) => r.model === m.name && r.variant === 'tiled');
      const s = rows.find((r) => r.model === m.name && r.variant === 'single resize');
      return [m.name, m.tiling.mode, t && s ? `${fmt(t.p50Ms / s.p50Ms, 1)}×` : 'n/a'];
    });
  const md = [
    `Frame: 1920×1080 RGB from the ${source}. \`OnnxModel.detect\` wall time (preprocessing + all tiles + ` +
      'decoding + NMS), onnxruntime-node CPU, intraOpNumThreads = interOpNumThreads = 1, after one warm-up; ' +
      `${runs} runs per row (fewer if a row hit its time cap). "tiled" forces \`tiling.mode: always\` ` +
      '(native-scale overlapping tiles), "single resize" forces `never`; the manifest column says what ' +
      'production uses.',
    '',
    table(
      ['model', 'variant', 'manifest tiling', 'views/frame', 'runs', 'p50 ms', 'p95 ms'],
      rows.map((r) => [
        r.model,
        r.variant,
        r.manifestMode,
        r.views,
        r.runs,
        fmt(r.p50Ms, 1),
        fmt(r.p95Ms, 1),
      ]),
    ),
    '',
    table(['model', 'manifest tiling', 'tiled / single p50'], ratioRows),
  ].join('\n');
  return {
    id: 'inference',
    title: '3. Inference per 1080p frame: tiling vs single resize',
    markdown: md,
    data: { rows },
  };
}
