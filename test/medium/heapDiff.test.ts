/**
 * The soak's heap-snapshot comparison (`scripts/bench/heapDiff.ts`) on real V8 snapshots of this process: a
 * known number of objects of a known class, kept in a known array between the two snapshots, must show up as
 * exactly that growth and that holder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { diffHeap, groupHeap, newObjectRetainers, type Snapshot } from '../../scripts/bench/heapDiff.ts';

class SoakLeakProbe {
  constructor(readonly n: number) {}
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-heapdiff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('heapDiff', () => {
  it('finds objects kept between two snapshots, their count and what holds them', () => {
    const kept: SoakLeakProbe[] = [];
    const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Snapshot;
    const early = read(v8.writeHeapSnapshot(path.join(dir, 'early.heapsnapshot')));
    for (let i = 0; i < 1234; i++) kept.push(new SoakLeakProbe(i));
    const late = read(v8.writeHeapSnapshot(path.join(dir, 'late.heapsnapshot')));

    const row = diffHeap(groupHeap(early), groupHeap(late)).find((r) => r.key === 'object:SoakLeakProbe');
    expect(row).toMatchObject({ count: 1234, lateCount: 1234 });
    expect(row!.bytes).toBeGreaterThan(0);
    const held = newObjectRetainers(early, late).find((r) => r.key.startsWith('object:SoakLeakProbe <- '));
    expect(held).toEqual({
      key: 'object:SoakLeakProbe <- object:Array .[element]',
      count: 1234,
    });
    expect(kept).toHaveLength(1234);
  }, 60_000);
});
