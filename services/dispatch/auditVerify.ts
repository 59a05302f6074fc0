/**
 * CLI: verifies the dispatch audit hash chain (`npm run audit:verify`).
 *
 *   tsx services/dispatch/auditVerify.ts [--db <file.sqlite>] [--pg <postgres-url> [--schema <name>]]
 *
 * Default database: the service's own — PostgreSQL when `TOWERWATCH_DATABASE_URL` is set (its `schema`
 * parameter), else `$TOWERWATCH_DATA_DIR/towerwatch.sqlite` (`./data/towerwatch.sqlite`), opened read-only.
 * Exit status: 0 the chain verifies (prints the row count); 1 the chain is broken (prints the first bad row id
 * and what is wrong); 2 usage or database error.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { storageBackend } from '../store/database.ts';
import { verifyAuditChain, type AuditVerification } from './audit.ts';
import { pgExecutor } from './pgRepository.ts';
import { sqlDispatchRepository } from './sqlRepository.ts';
import { sqliteExecutor } from './sqliteRepository.ts';

/** Runs the verification. @returns the process exit status (0, 1 or 2) and the lines to print. */
export async function runAuditVerify(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; out: string }> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { db: { type: 'string' }, pg: { type: 'string' }, schema: { type: 'string' } },
    }).values;
  } catch (e) {
    return {
      code: 2,
      out: `usage: auditVerify [--db file] [--pg url [--schema name]]\n${(e as Error).message}`,
    };
  }
  let result: AuditVerification;
  let where: string;
  try {
    const fromEnv = args.pg || args.db ? null : storageBackend(env['TOWERWATCH_DATABASE_URL']);
    const pgTarget = args.pg
      ? { url: args.pg, schema: args.schema ?? 'public' }
      : fromEnv?.kind === 'postgres'
        ? { url: fromEnv.connectionString, schema: args.schema ?? fromEnv.schema }
        : null;
    if (pgTarget) {
      const pool = new pg.Pool({ connectionString: pgTarget.url, max: 1 });
      try {
        where = `postgres schema ${pgTarget.schema}`;
        result = await verifyAuditChain(sqlDispatchRepository(pgExecutor(pool, pgTarget.schema)));
      } finally {
        await pool.end();
      }
    } else {
      const file = args.db ?? path.join(env['TOWERWATCH_DATA_DIR'] ?? './data', 'towerwatch.sqlite');
      where = file;
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        result = await verifyAuditChain(sqlDispatchRepository(sqliteExecutor(db)));
      } finally {
        db.close();
      }
    }
  } catch (e) {
    return { code: 2, out: `audit verification failed to run: ${(e as Error).message}` };
  }
  if (result.ok) return { code: 0, out: `audit chain OK: ${result.rows} rows (${where})` };
  return { code: 1, out: `audit chain BROKEN at row ${result.badRowId}: ${result.problem} (${where})` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { code, out } = await runAuditVerify(process.argv.slice(2), process.env);
  (code === 0 ? process.stdout : process.stderr).write(out + '\n');
  process.exit(code);
}
