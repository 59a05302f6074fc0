/**
 * TowerWatch capacity bench:
 * `npm run bench -- [decode|capacity|inference|store|fanout|soak|all] [--quick] [--soak-minutes M] [--soak-cameras N] [--heap-snapshots DIR] [--soak-samples FILE] [--series TEXT] [--levels N,N]`.
 * Prints a table per step and rewrites that step's section of BENCHMARKS.md (`--no-write` to skip).
 * Every step is bounded in time; the default `all` run takes several minutes on 2 cores.
 */
import path from 'node:path';
import { acquireSpawnHost, killAllChildrenSync } from '../../services/capture/processes.ts';
import {
  BENCHMARKS_MD,
  log,
  machineDescription,
  sectionBody,
  writeSection,
  type BenchOptions,
  type StepResult,
} from './common.ts';
import { benchDecode } from './decode.ts';

type Step = (o: BenchOptions) => Promise<StepResult>;

const STEPS: Record<string, () => Promise<Step>> = {
  decode: () => Promise.resolve(benchDecode),
  capacity: async () => (await import('./capacity.ts')).benchCapacity,
  inference: async () => (await import('./inference.ts')).benchInference,
  store: async () => (await import('./store.ts')).benchStore,
  fanout: async () => (await import('./fanout.ts')).benchFanout,
  soak: async () => (await import('./soak.ts')).benchSoak,
};
const ALL = ['decode', 'capacity', 'inference', 'store', 'fanout', 'soak'];

function usage(): never {
  process.stderr.write(
    `usage: tsx scripts/bench/index.ts <${[...Object.keys(STEPS), 'all'].join('|')}>... [--quick] [--no-write] [--soak-minutes M] [--soak-cameras N] [--heap-snapshots DIR] [--soak-samples FILE] [--series TEXT] [--levels N,N] [--models DIR]\n`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const valued = new Set([
    '--soak-minutes',
    '--soak-cameras',
    '--heap-snapshots',
    '--soak-samples',
    '--series',
    '--levels',
    '--models',
  ]);
  const names = argv.filter((a, i) => !a.startsWith('--') && !valued.has(argv[i - 1] ?? ''));
  if (names.length === 0) names.push('all');
  const steps = names.flatMap((n) => (n === 'all' ? ALL : [n]));
  if (steps.some((s) => !(s in STEPS))) usage();
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const series = value('--series');
  const levelsArg = value('--levels');
  const levels = levelsArg?.split(',').map(Number);
  const modelsDir = value('--models');
  if (modelsDir !== undefined && steps.some((s) => s !== 'capacity' && s !== 'soak'))
    process.stderr.write(
      '--models applies to the capacity and soak steps only; the other steps use models/\n',
    );
  if (levels?.some((n) => !Number.isInteger(n) || n < 1)) usage();
  const o: BenchOptions = {
    quick,
    verbose: true,
    ...(series !== undefined ? { series } : {}),
    ...(levels ? { levels } : {}),
    ...(modelsDir !== undefined ? { modelsDir: path.resolve(modelsDir) } : {}),
  };
  const failures: string[] = [];
  // As in production (services/runtime.ts): children are started from the small spawn host, so spawning an
  // ffmpeg never blocks this process's event loop for the fork of its large address space.
  const releaseSpawnHost = await acquireSpawnHost();
  for (const name of steps) {
    const machine = machineDescription();
    const t0 = Date.now();
    log(o, `step ${name}${quick ? ' (quick)' : ''}`);
    try {
      const step = await STEPS[name]!();
      const r = await step(o);
      const wallS = (Date.now() - t0) / 1000;
      const extra = argv
        .flatMap((a, i) =>
          valued.has(a) &&
          (a === '--models'
            ? name === 'capacity' || name === 'soak'
            : name === (a.startsWith('--soak') ? 'soak' : 'capacity'))
            ? [` ${a} ${JSON.stringify(argv[i + 1] ?? '')}`]
            : [],
        )
        .join('');
      const command0 =
        names.length === 1 && names[0] === name
          ? `npm run bench -- ${name}${quick ? ' --quick' : ''}`
          : `npm run bench -- ${names.join(' ')}${quick ? ' --quick' : ''}\` (this section alone: \`npm run bench -- ${name}${quick ? ' --quick' : ''}`;
      const command = command0 + extra;
      const body = sectionBody(r, command, machine, wallS);
      process.stdout.write(`\n${body}\n\n`);
      if (write) {
        writeSection(r.id, body);
        log(o, `wrote section "${r.id}" of ${BENCHMARKS_MD}`);
      }
    } catch (e) {
      failures.push(name);
      process.stderr.write(`step ${name} failed: ${(e as Error).stack ?? String(e)}\n`);
    }
  }
  releaseSpawnHost();
  if (failures.length > 0) {
    process.stderr.write(`failed steps: ${failures.join(', ')}\n`);
    process.exitCode = 1;
  }
}

process.once('exit', () => killAllChildrenSync());
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    killAllChildrenSync();
    process.exit(130);
  });

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
