/**
 * Held-out evaluation through the production TypeScript path (loader, tiling/resize, post-processing, NMS),
 * shared by `npm run eval` (scripts/models/eval.ts) and test/medium/detectModels.test.ts.
 *
 * Data (read-only, /work/shared/data or $TOWERWATCH_SHARED_DATA): FLAME-T site E (held out from hot-spot
 * training) and smoke-hpwren/test (held out from smoke training). Matching rule: services/detect/evaluate.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../services/capture/ppmStream.ts';
import { addCounts, matchCounts, parseYoloLabels, prf, type Counts } from '../../services/detect/evaluate.ts';
import type { OnnxModel } from '../../services/detect/onnxModel.ts';

export const SHARED_DATA = process.env['TOWERWATCH_SHARED_DATA'] ?? path.resolve(import.meta.dirname, '../../../shared/data');

/** Decodes an image file to RGB24. */
export async function readRgb(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return { width: info.width, height: info.height, data };
  const rgb = Buffer.alloc(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) rgb.fill(data[i * info.channels]!, i * 3, i * 3 + 3);
  return { width: info.width, height: info.height, data: rgb };
}

/** Every `every`-th image of a folder (sorted by name), at most `limit`. */
export function sample(dir: string, every: number, limit = Infinity, filter: (f: string) => boolean = () => true): string[] {
  return readdirSync(dir)
    .filter(filter)
    .sort()
    .filter((_, i) => i % every === 0)
    .slice(0, limit);
}

/**
 * Box-level P/R/F1 of the hot-spot model on FLAME-T site E fire boxes (class 1), per camera and pooled.
 * @param every take every n-th frame per camera (1 = all 420 frames).
 */
export async function evalHotspot(model: OnnxModel, every = 1): Promise<Record<string, ReturnType<typeof prf>>> {
  const dir = path.join(SHARED_DATA, 'flame-t', 'site-E');
  const per = new Map<string, Counts>();
  for (const cam of ['A35', 'Tau', 'Lepton']) {
    for (const f of sample(path.join(dir, 'images'), every, Infinity, (n) => n.startsWith(`${cam}_`))) {
      const img = await readRgb(path.join(dir, 'images', f));
      const lbl = path.join(dir, 'labels', f.replace(/\.jpe?g$/, '.txt'));
      const gts = existsSync(lbl) ? parseYoloLabels(readFileSync(lbl, 'utf8'), img.width, img.height, [1]) : [];
      const r = await model.detect(img);
      per.set(cam, addCounts(per.get(cam) ?? { tp: 0, fp: 0, fn: 0 }, matchCounts(r.detections, gts)));
    }
  }
  const pooled = [...per.values()].reduce(addCounts, { tp: 0, fp: 0, fn: 0 });
  return { pooled: prf(pooled), ...Object.fromEntries([...per].map(([k, v]) => [k, prf(v)])) };
}

/**
 * Smoke model on smoke-hpwren/test: box-level P/R/F1 on the full frames and frame-level recall (a frame with
 * any box is positive; every test frame contains smoke), plus the false-positive rate on smoke-free 320×256
 * windows (x ∈ {0, 320}, y ∈ {0, 224}, no mask pixel within 32 px — the card's negative windows), each
 * analysed as its own frame the way the runtime would.
 */
export async function evalSmoke(
  model: OnnxModel,
  every = 1,
  limit = Infinity,
): Promise<{ box: ReturnType<typeof prf>; frameRecall: number; negWindows: number; negFpRate: number; frames: number }> {
  const dir = path.join(SHARED_DATA, 'smoke-hpwren', 'test');
  let counts: Counts = { tp: 0, fp: 0, fn: 0 };
  let pos = 0,
    frames = 0,
    neg = 0,
    negFp = 0;
  for (const f of sample(path.join(dir, 'images'), every, limit)) {
    const img = await readRgb(path.join(dir, 'images', f));
    const stem = f.replace(/\.[a-z]+$/, '');
    const lbl = path.join(dir, 'labels_yolo', `${stem}.txt`);
    const gts = existsSync(lbl) ? parseYoloLabels(readFileSync(lbl, 'utf8'), img.width, img.height) : [];
    const r = await model.detect(img);
    counts = addCounts(counts, matchCounts(r.detections, gts));
    frames++;
    if (r.detections.length > 0) pos++;
    const maskFile = path.join(dir, 'masks', `${stem}.png`);
    if (!existsSync(maskFile)) continue;
    const { data: mask, info } = await sharp(maskFile).greyscale().raw().toBuffer({ resolveWithObject: true });
    for (const y0 of [0, 224])
      for (const x0 of [0, 320]) {
        if (x0 + 320 > img.width || y0 + 256 > img.height) continue;
        let clean = true;
        for (let y = Math.max(0, y0 - 32); clean && y < Math.min(info.height, y0 + 256 + 32); y++)
          for (let x = Math.max(0, x0 - 32); x < Math.min(info.width, x0 + 320 + 32); x++)
            if (mask[(y * info.width + x) * info.channels]! > 127) {
              clean = false;
              break;
            }
        if (!clean) continue;
        const win = Buffer.alloc(320 * 256 * 3);
        for (let y = 0; y < 256; y++)
          img.data.copy(win, y * 320 * 3, ((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + 320) * 3);
        neg++;
        if ((await model.detect({ width: 320, height: 256, data: win })).detections.length > 0) negFp++;
      }
  }
  const q = (v: number) => Math.round(v * 1e4) / 1e4;
  return { box: prf(counts), frameRecall: q(frames ? pos / frames : 0), negWindows: neg, negFpRate: q(neg ? negFp / neg : 0), frames };
}

/** Floors recorded in a model card: the JSON in its ```json floors … ``` block. */
export function cardFloors(cardFile: string): Record<string, number | string> {
  const m = /```json floors\n([\s\S]*?)```/.exec(readFileSync(cardFile, 'utf8'));
  if (!m) throw new Error(`${cardFile}: no \`\`\`json floors block`);
  return JSON.parse(m[1]!) as Record<string, number | string>;
}
