/**
 * Compares two V8 heap snapshots (`.heapsnapshot`, as written by `npm run bench -- soak --heap-snapshots DIR`,
 * `v8.writeHeapSnapshot` or Chrome DevTools) and prints the object groups whose live count and self size grew
 * the most: what a slow heap growth consists of.
 *
 * Usage: `tsx scripts/bench/heapDiff.ts EARLY.heapsnapshot LATE.heapsnapshot [--top N]`.
 *
 * Groups are V8's own node type plus name (the constructor name for objects, the function name for closures,
 * "(string)" for strings, and so on), as DevTools' "Summary" view groups them. The snapshot format
 * (`snapshot.meta.node_fields`, `node_types`, `nodes`, `strings`) is V8's documented heap-snapshot JSON; the
 * field offsets are read from the file's own meta, not assumed.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** One group of a snapshot: live objects and their summed self size (bytes). */
export interface HeapGroup {
  count: number;
  bytes: number;
}

/** Groups a parsed snapshot's nodes by `type:name` (strings, numbers and code kept as one group per type). */
export function groupHeap(s: Snapshot): Map<string, HeapGroup> {
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const typeAt = f.indexOf('type');
  const nameAt = f.indexOf('name');
  const sizeAt = f.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, HeapGroup>();
  for (let i = 0; i + width <= s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!] ?? '?';
    const byName = type === 'object' || type === 'closure' || type === 'native' || type === 'array';
    const key = byName ? `${type}:${s.strings[s.nodes[i + nameAt]!] ?? '?'}` : `(${type})`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count += 1;
    g.bytes += s.nodes[i + sizeAt]!;
    out.set(key, g);
  }
  return out;
}

/** Rows of `late − early` per group, sorted by size growth (bytes), largest first. */
export function diffHeap(
  early: Map<string, HeapGroup>,
  late: Map<string, HeapGroup>,
): { key: string; count: number; bytes: number; lateCount: number }[] {
  const keys = new Set([...early.keys(), ...late.keys()]);
  return [...keys]
    .map((key) => {
      const a = early.get(key) ?? { count: 0, bytes: 0 };
      const b = late.get(key) ?? { count: 0, bytes: 0 };
      return { key, count: b.count - a.count, bytes: b.bytes - a.bytes, lateCount: b.count };
    })
    .sort((x, y) => y.bytes - x.bytes);
}

function main(): void {
  const args = process.argv.slice(2);
  const t = args.indexOf('--top');
  const top = t >= 0 ? Number(args[t + 1]) : 25;
  const files = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--top');
  if (files.length !== 2) {
    process.stderr.write(
      'usage: tsx scripts/bench/heapDiff.ts EARLY.heapsnapshot LATE.heapsnapshot [--top N]\n',
    );
    process.exit(2);
  }
  const [a, b] = files.map((f) => groupHeap(JSON.parse(readFileSync(f, 'utf8')) as Snapshot));
  const total = (m: Map<string, HeapGroup>) => [...m.values()].reduce((s, g) => s + g.bytes, 0) / 2 ** 20;
  process.stdout.write(`live heap ${total(a!).toFixed(2)} → ${total(b!).toFixed(2)} MiB\n`);
  process.stdout.write('Δ KiB\tΔ count\tcount (late)\tgroup\n');
  for (const r of diffHeap(a!, b!).slice(0, top))
    process.stdout.write(`${(r.bytes / 1024).toFixed(1)}\t${r.count}\t${r.lateCount}\t${r.key}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
