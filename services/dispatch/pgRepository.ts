/**
 * PostgreSQL dispatch repository (`pg`). Tables live in `schema` (default `public`), created by the same
 * migrations as SQLite and tracked in `<schema>.dispatch_migrations`. Each write is one transaction on one
 * pooled client; the audit chain head is serialised with `pg_advisory_xact_lock` (key derived from the schema
 * name, released at COMMIT/ROLLBACK). READ COMMITTED is enough: case updates are compare-and-set on `version`.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { DispatchRepository } from './repository.ts';
import { migrate, sqlDispatchRepository, type SqlConn, type SqlDb } from './sqlRepository.ts';

/** `?` placeholders → `$1, $2, ...` (our SQL has no `?` inside literals). */
const toPg = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

const connOf = (q: Pool | PoolClient): SqlConn => ({
  all: async <T>(sql: string, params: readonly unknown[] = []) =>
    (await q.query(toPg(sql), params as unknown[])).rows as T[],
  run: async (sql: string, params: readonly unknown[] = []) =>
    (await q.query(toPg(sql), params as unknown[])).rowCount ?? 0,
});

/** Wraps a pool as a {@link SqlDb} whose tables live in `schema`. */
export function pgExecutor(pool: Pool, schema = 'public'): SqlDb {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const lockKey = createHash('sha256')
    .update(`towerwatch.dispatch.audit:${schema}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
  const base = connOf(pool);
  return {
    table: (n) => `"${schema}".${n}`,
    all: (sql, params) => base.all(sql, params),
    run: (sql, params) => base.run(sql, params),
    tx: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(connOf(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    lockChain: async (c) => {
      await c.all('SELECT pg_advisory_xact_lock(?::bigint)', [lockKey]);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Opens the dispatch repository on `pool` in `opts.schema` (created if missing) and migrates it. The caller
 * keeps ownership of the pool.
 */
export async function pgDispatchRepository(
  pool: Pool,
  opts: { schema?: string } = {},
): Promise<DispatchRepository> {
  const schema = opts.schema ?? 'public';
  const ex = pgExecutor(pool, schema);
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await migrate(ex);
  return sqlDispatchRepository(ex);
}
