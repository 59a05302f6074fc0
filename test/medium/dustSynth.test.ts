/**
 * The physics-based dust detector as the runtime loads it (models/manifest.yaml → loadPhysicsDetectors), checked
 * on a small sample of the synthetic validation (scripts/models/dustEvalLib.ts: dust plumes and weather
 * composited onto real HPWREN frames of camera views not used for tuning) and on the real visible demo clips
 * (smoke and clouds, no dust) looped at 2 s sampling, against the floors in models/dust/card.md.
 * The synthetic part is skipped, with a message, when ../shared/data is absent; the clip part always runs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPhysicsDetectors } from '../../services/detect/dustDetector.ts';
import { REPO_ROOT } from '../../services/runtime.ts';
import { loadBases, meanDetection, runClipLoops, runSynthetic } from '../../scripts/models/dustEvalLib.ts';
import { cardFloors, SHARED_DATA } from '../../scripts/models/evalLib.ts';

const MODELS = path.join(REPO_ROOT, 'models');
const haveData = existsSync(path.join(SHARED_DATA, 'smoke-hpwren', 'test'));
if (!haveData)
  console.warn(`dustSynth: shared data not found at ${SHARED_DATA}; synthetic checks are skipped`);

const dust = () => {
  const [d] = loadPhysicsDetectors(MODELS);
  if (!d) throw new Error('no enabled kind: dust entry in models/manifest.yaml');
  return d;
};

describe('dust detector (physics, unvalidated on real dust)', () => {
  it('is loaded from the manifest with the threshold recorded in its card', () => {
    const d = dust();
    expect(d.spec).toMatchObject({ kind: 'dust', type: 'dust', types: ['dust'] });
    expect(d.spec.threshold).toBe(Number(cardFloors(path.join(MODELS, 'dust', 'card.md'))['threshold']));
  });

  it('raises no alert on the real visible demo clips (smoke, clouds, no dust) looped for 5 minutes each', async () => {
    const floors = cardFloors(path.join(MODELS, 'dust', 'card.md'));
    const d = dust();
    const clips = await runClipLoops(d.spec.threshold, d.spec.params, 150);
    expect(clips.length).toBe(3);
    for (const c of clips) expect(c.alerts, c.clip).toBeLessThanOrEqual(Number(floors['clipAlertsMax']));
  });

  it.skipIf(!haveData)('synthetic sample (held-out camera views) stays above the card floors', async () => {
    const floors = cardFloors(path.join(MODELS, 'dust', 'card.md'));
    const d = dust();
    const bases = await loadBases({ tune: 12, eval: 12, clips: false });
    expect(bases.eval.length).toBeGreaterThanOrEqual(2);
    const r = runSynthetic(bases.eval, d.spec.threshold, d.spec.params, 2);
    expect(meanDetection(r, 0.5, ['medium', 'large'])).toBeGreaterThanOrEqual(
      Number(floors['detectMediumLargeOpacity50']),
    );
    const weather = Object.entries(r.negatives).filter(([k]) => !k.startsWith('smoke'));
    for (const [k, v] of weather) expect(v, k).toBeLessThanOrEqual(Number(floors['weatherFalseAlarmRate']));
    expect(r.strayAlerts).toBeLessThanOrEqual(Number(floors['strayAlerts']));
    for (const k of ['smoke-white', 'smoke-grey'] as const)
      expect(r.negatives[k], k).toBeLessThanOrEqual(Number(floors['smokeFalseAlarmRate']));
  });
});
