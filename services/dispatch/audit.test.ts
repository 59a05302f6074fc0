import { describe, expect, it } from 'vitest';
import { canonicalJson, chainAuditRow, GENESIS_HASH, verifyAuditRows, type AuditInput } from './audit.ts';

const input = (i: number): AuditInput => ({
  at: `2026-01-01T00:00:0${i}.000Z`,
  actorId: 'u1',
  actorRole: 'duty',
  action: 'case.dispatch',
  entityType: 'case',
  entityId: 'c1',
  caseId: 'c1',
  fromState: 'new',
  toState: 'dispatched',
  reason: null,
  details: { b: 1, a: [1, 'x'] },
  requestId: null,
});

function chain(n: number) {
  const rows = [];
  let prev = null;
  for (let i = 0; i < n; i++) {
    const r = chainAuditRow(prev, input(i));
    rows.push(r);
    prev = r;
  }
  return rows;
}

describe('audit chain', () => {
  it('canonical JSON sorts keys recursively', () => {
    expect(canonicalJson({ b: 1, a: { d: null, c: 'x' }, e: undefined })).toBe(
      '{"a":{"c":"x","d":null},"b":1}',
    );
  });

  it('verifies a good chain and names the first altered, missing or reordered row', () => {
    const rows = chain(5);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(verifyAuditRows(rows)).toEqual({ ok: true, rows: 5 });

    const altered = rows.map((r) => (r.id === 3 ? { ...r, reason: 'edited' } : r));
    expect(verifyAuditRows(altered)).toMatchObject({ ok: false, badRowId: 3 });

    const missing = rows.filter((r) => r.id !== 2);
    expect(verifyAuditRows(missing)).toMatchObject({ ok: false, badRowId: 3 });

    // Re-hashing an altered row does not help: the next row's prevHash no longer matches.
    const rehashed = chain(5);
    const r2 = chainAuditRow({ id: 1, hash: rehashed[0]!.hash }, { ...input(1), reason: 'forged' });
    rehashed[1] = r2;
    expect(verifyAuditRows(rehashed)).toMatchObject({ ok: false, badRowId: 3 });
  });
});
