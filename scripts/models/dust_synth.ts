/**
 * Synthetic validation of the physics-based dust detector (models/dust/card.md reports its output).
 *
 *   npx tsx scripts/models/dust_synth.ts [--tune-n 12] [--eval-n 60] [--hours 0.5] [--threshold T] [--json FILE]
 *
 * 1. Tuning (smoke-hpwren/train base frames): the threshold grid THRESHOLDS is run and the lowest threshold
 *    whose weather/exposure/static negatives raise no alert and whose smoke-coloured plumes raise alerts on
 *    ≤ 10 % of sequences is chosen (skipped with --threshold).
 * 2. Evaluation (smoke-hpwren/test + FIgLib demo clip frames, other camera views): detection rate by size and
 *    opacity, false-alarm rates by negative kind, and the demo clips looped for --hours at 2 s sampling.
 * Needs ../shared/data (or $TOWERWATCH_SHARED_DATA). Deterministic (fixed seeds).
 */
import { writeFileSync } from 'node:fs';
import { loadManifest, type DustEntry } from '../../services/detect/manifest.ts';
import { DEFAULT_DUST_PARAMS, type DustParams } from '../../services/detect/dust.ts';
import { CARD_RUN, loadBases, runClipLoops, runSynthetic, summarise as summary, type SyntheticResult } from './dustEvalLib.ts';
import path from 'node:path';

const THRESHOLDS = [0.2, 0.25, 0.3, 0.35];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function manifestParams(): DustParams {
  const m = loadManifest(path.resolve(import.meta.dirname, '../../models/manifest.yaml'));
  const e = m.models.find((x): x is DustEntry => x.kind === 'dust');
  return e?.params ?? DEFAULT_DUST_PARAMS;
}

async function main(): Promise<void> {
  const params = manifestParams();
  const tuneN = Number(arg('--tune-n') ?? CARD_RUN.tuneN);
  const evalN = Number(arg('--eval-n') ?? CARD_RUN.evalN);
  const hours = Number(arg('--hours') ?? CARD_RUN.hours);
  const bases = await loadBases({ tune: tuneN, eval: evalN });
  console.log(`base frames: tune ${bases.tune.length} (smoke-hpwren/train), eval ${bases.eval.length} (smoke-hpwren/test + demo clips; ${bases.dropped} dropped as same view as a tuning frame)`);
  let threshold = arg('--threshold') !== undefined ? Number(arg('--threshold')) : NaN;
  const tuning: SyntheticResult[] = [];
  if (!Number.isFinite(threshold)) {
    for (const t of THRESHOLDS) {
      const r = runSynthetic(bases.tune, t, params, 1);
      tuning.push(r);
      console.log(`tuning:\n${summary(r)}`);
    }
    const ok = tuning.filter(
      (r) =>
        Object.entries(r.negatives).every(([k, v]) => (k.startsWith('smoke') ? v <= 0.1 : v === 0)) && r.strayAlerts === 0,
    );
    threshold = (ok[0] ?? tuning.at(-1)!).threshold;
    console.log(`chosen threshold: ${threshold}`);
  }
  const ev = runSynthetic(bases.eval, threshold, params, 2);
  console.log(`evaluation (held-out camera views):\n${summary(ev)}`);
  const clips = await runClipLoops(threshold, params, Math.round((hours * 3_600_000) / 2000));
  for (const c of clips) console.log(`  demo clip ${c.clip} looped ${c.hours} h: ${c.alerts} alerts (${c.alertsPerHour}/h), raw dust boxes on ${(c.rawBoxFrames * 100).toFixed(1)} % of samples`);
  const out = arg('--json');
  if (out) {
    writeFileSync(out, JSON.stringify({ threshold, params, tuneBases: bases.tune.length, evalBases: bases.eval.length, dropped: bases.dropped, tuning, evaluation: ev, clips }, null, 1) + '\n');
    console.log(`wrote ${out}`);
  }
}

await main();
