/**
 * Hash-chained audit log (全程留痕), pure part.
 *
 * Every row stores `prevHash` (the previous row's `hash`; 64 zeros for row 1) and
 * `hash = sha256_hex(prevHash + canonicalJson(row without "hash"))`. Ids are consecutive from 1, so a deleted,
 * inserted, reordered or edited row breaks the chain at (or right after) that row. Canonical JSON: object keys
 * sorted by code unit, no whitespace, `JSON.stringify` for scalars (RFC 8785-like for the values we store:
 * strings, integers, booleans, null).
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from './schemas.ts';

/** An audit row before the repository has chained it (id, prevHash, hash are assigned at insert). */
export type AuditInput = Omit<AuditEntry, 'id' | 'prevHash' | 'hash'>;

/** `prevHash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON of a value: sorted object keys, no whitespace; `undefined` object members are dropped.
 * @throws TypeError for non-finite numbers, bigints and functions (not representable).
 */
export function canonicalJson(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x)).join(',')}]`;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof v}`);
  }
}

/** sha256 hex of `prevHash + canonicalJson(row without hash)`. */
export function auditHash(row: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(row.prevHash).update(canonicalJson(row)).digest('hex');
}

/**
 * Chains a new row after `prev` (null for the very first row): id = prev.id + 1, prevHash = prev.hash.
 * Repositories call this inside the write transaction, after locking the chain head.
 */
export function chainAuditRow(prev: { id: number; hash: string } | null, input: AuditInput): AuditEntry {
  const row: Omit<AuditEntry, 'hash'> = {
    ...input,
    id: (prev?.id ?? 0) + 1,
    prevHash: prev?.hash ?? GENESIS_HASH,
  };
  return { ...row, hash: auditHash(row) };
}

/** Result of a chain verification. `badRowId` is the first row that does not verify. */
export type AuditVerification =
  { ok: true; rows: number } | { ok: false; rows: number; badRowId: number; problem: string };

/**
 * Incremental verifier: feed rows in id order with {@link AuditChainVerifier.push}; it stops at the first bad
 * row. Used by {@link verifyAuditRows} and by the paging verifier in the CLI.
 */
export class AuditChainVerifier {
  private prev: { id: number; hash: string } | null = null;
  private n = 0;
  private bad: { id: number; problem: string } | null = null;

  /** @returns false once a bad row has been seen (further rows are ignored). */
  push(row: AuditEntry): boolean {
    if (this.bad) return false;
    this.n++;
    const expectedId = (this.prev?.id ?? 0) + 1;
    const expectedPrev = this.prev?.hash ?? GENESIS_HASH;
    let problem: string | null = null;
    if (row.id !== expectedId)
      problem = `expected row id ${expectedId}, found ${row.id} (row missing or inserted)`;
    else if (row.prevHash !== expectedPrev) problem = 'prevHash does not match the previous row';
    else {
      const { hash, ...rest } = row;
      if (auditHash(rest) !== hash) problem = 'hash does not match the row content (row altered)';
    }
    if (problem) {
      this.bad = { id: row.id, problem };
      return false;
    }
    this.prev = { id: row.id, hash: row.hash };
    return true;
  }

  /** The verification result so far. */
  result(): AuditVerification {
    return this.bad
      ? { ok: false, rows: this.n, badRowId: this.bad.id, problem: this.bad.problem }
      : { ok: true, rows: this.n };
  }
}

/** Verifies rows given in id order. Pure. */
export function verifyAuditRows(rows: Iterable<AuditEntry>): AuditVerification {
  const v = new AuditChainVerifier();
  for (const r of rows) if (!v.push(r)) break;
  return v.result();
}

/**
 * Verifies the whole stored chain, paging through `auditAfter` (ascending id).
 * @returns `{ ok: true, rows }` or the first bad row id and what is wrong with it.
 */
export async function verifyAuditChain(repo: {
  auditAfter(afterId: number, limit: number): Promise<AuditEntry[]>;
}): Promise<AuditVerification> {
  const v = new AuditChainVerifier();
  let cursor = 0;
  for (;;) {
    const page = await repo.auditAfter(cursor, 1000);
    for (const r of page) if (!v.push(r)) return v.result();
    if (page.length < 1000) return v.result();
    cursor = page[page.length - 1]!.id;
  }
}
