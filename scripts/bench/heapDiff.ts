/**
 * Compares two V8 heap snapshots (`.heapsnapshot`, as written by `npm run bench -- soak --heap-snapshots DIR`,
 * `v8.writeHeapSnapshot` or Chrome DevTools) and prints the object groups whose live count and self size grew
 * the most: what a slow heap growth consists of.
 *
 * Usage: `tsx scripts/bench/heapDiff.ts EARLY.heapsnapshot LATE.heapsnapshot [--top N]`; it also prints what holds
 * the objects allocated between the two snapshots (`newObjectRetainers`).
 *
 * Groups are V8's own node type plus name (the constructor name for objects, the function name for closures,
 * "(string)" for strings, and so on), as DevTools' "Summary" view groups them. The snapshot format
 * (`snapshot.meta.node_fields`, `node_types`, `nodes`, `strings`) is V8's documented heap-snapshot JSON; the
 * field offsets are read from the file's own meta, not assumed.
 */
import { readFileSync } from 'node:fs';

/** The parts of V8's heap-snapshot JSON read here. */
export interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** `type:name` for objects, closures, arrays and native nodes; `(type)` for the rest (strings, numbers, code). */
function groupKey(s: Snapshot, node: number): string {
  const f = s.snapshot.meta.node_fields;
  const type = s.snapshot.meta.node_types[0][s.nodes[node + f.indexOf('type')]!] ?? '?';
  const byName = type === 'object' || type === 'closure' || type === 'native' || type === 'array';
  return byName ? `${type}:${s.strings[s.nodes[node + f.indexOf('name')]!] ?? '?'}` : `(${type})`;
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
  const sizeAt = f.indexOf('self_size');
  const out = new Map<string, HeapGroup>();
  for (let i = 0; i + width <= s.nodes.length; i += width) {
    const key = groupKey(s, i);
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

/**
 * What holds the objects that are new in `late` (their V8 node id is not in `early`; ids are stable within one
 * process): counts of `new object's group <- holder's group .edge name`, over every strong edge into a new
 * object, largest first. A growing Map shows as its keys and values held by `(hidden)`/`array` tables; a
 * growing array as `object:Array .[element]`.
 */
export function newObjectRetainers(early: Snapshot, late: Snapshot): { key: string; count: number }[] {
  const idsBefore = new Set<number>();
  const ef = early.snapshot.meta.node_fields;
  for (let i = ef.indexOf('id'); i < early.nodes.length; i += ef.length) idsBefore.add(early.nodes[i]!);
  const f = late.snapshot.meta.node_fields;
  const e = late.snapshot.meta.edge_fields;
  const edgeTypes = late.snapshot.meta.edge_types[0];
  const [idAt, countAt] = [f.indexOf('id'), f.indexOf('edge_count')];
  const [typeAt, nameAt, toAt] = [e.indexOf('type'), e.indexOf('name_or_index'), e.indexOf('to_node')];
  const isNew = (node: number) => !idsBefore.has(late.nodes[node + idAt]!);
  const counts = new Map<string, number>();
  let edge = 0;
  for (let node = 0; node < late.nodes.length; node += f.length) {
    const n = late.nodes[node + countAt]!;
    for (let k = 0; k < n; k++, edge += e.length) {
      const to = late.edges[edge + toAt]!;
      const type = edgeTypes[late.edges[edge + typeAt]!] ?? '?';
      if (type === 'weak' || !isNew(to)) continue;
      const raw = late.edges[edge + nameAt]!;
      const name = type === 'element' || type === 'hidden' ? `[${type}]` : (late.strings[raw] ?? String(raw));
      const key = `${groupKey(late, to)} <- ${groupKey(late, node)}${isNew(node) ? ' (new)' : ''} .${name}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].map(([key, count]) => ({ key, count })).sort((x, y) => y.count - x.count);
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
  const [early, late] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Snapshot);
  const [a, b] = [groupHeap(early!), groupHeap(late!)];
  const total = (m: Map<string, HeapGroup>) => [...m.values()].reduce((s, g) => s + g.bytes, 0) / 2 ** 20;
  process.stdout.write(`self sizes ${total(a).toFixed(2)} → ${total(b).toFixed(2)} MiB\n`);
  process.stdout.write('Δ KiB\tΔ count\tcount (late)\tgroup\n');
  for (const r of diffHeap(a, b).slice(0, top))
    process.stdout.write(`${(r.bytes / 1024).toFixed(1)}\t${r.count}\t${r.lateCount}\t${r.key}\n`);
  process.stdout.write('\nnew objects by holder (count\tnew object <- holder .edge)\n');
  for (const r of newObjectRetainers(early!, late!).slice(0, top))
    process.stdout.write(`${r.count}\t${r.key}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
