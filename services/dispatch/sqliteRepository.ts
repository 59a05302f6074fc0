/**
 * SQLite dispatch repository (better-sqlite3). Give it a **dedicated connection** to the same database file
 * as the alert store (`new Database(file)`): WAL lets both connections work, writers serialise on the file
 * lock. Migrations are tracked in `dispatch_migrations`; the database's `user_version` (owned by the alert
 * store) is never touched.
 *
 * Concurrency: within the process, an async mutex serialises every statement batch on the connection, so one
 * request's transaction never interleaves with another's. Across processes, a write transaction starts with
 * `BEGIN IMMEDIATE` (takes the write lock up front, so no deadlock-prone lock upgrade); `busy_timeout` makes
 * SQLite wait for the lock, and a `SQLITE_BUSY` that still escapes is retried with exponential backoff
 * (up to {@link BUSY_RETRIES} times), so callers do not see SQLITE_BUSY under normal contention.
 */
import type Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DispatchRepository } from './repository.ts';
import { migrate, sqlDispatchRepository, type SqlConn, type SqlDb } from './sqlRepository.ts';

/** Retries of a write transaction's `BEGIN IMMEDIATE`/`COMMIT` after `SQLITE_BUSY`. */
export const BUSY_RETRIES = 30;

const isBusy = (e: unknown) =>
  typeof e === 'object' && e !== null && 'code' in e && String(e.code).startsWith('SQLITE_BUSY');

/** A FIFO async mutex. */
function mutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Wraps a better-sqlite3 connection as a {@link SqlDb}. Exported for the multi-process test. */
export function sqliteExecutor(db: Database.Database): SqlDb {
  if ((db.pragma('busy_timeout', { simple: true }) as number) < 5000) db.pragma('busy_timeout = 5000');
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const conn: SqlConn = {
    all: <T>(sql: string, params: readonly unknown[] = []) =>
      Promise.resolve(stmt(sql).all(...params) as T[]),
    run: (sql: string, params: readonly unknown[] = []) => Promise.resolve(stmt(sql).run(...params).changes),
  };
  const lock = mutex();
  async function withBusyRetry(sql: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        db.exec(sql);
        return;
      } catch (e) {
        if (!isBusy(e) || attempt >= BUSY_RETRIES) throw e;
        await sleep(Math.min(1000, 5 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }
  return {
    table: (n) => n,
    all: (sql, params) => lock(() => conn.all(sql, params)),
    run: (sql, params) => lock(() => conn.run(sql, params)),
    tx: (fn) =>
      lock(async () => {
        if (db.inTransaction)
          throw new Error(
            'dispatch repository connection is already in a transaction (use a dedicated connection)',
          );
        await withBusyRetry('BEGIN IMMEDIATE');
        try {
          const out = await fn(conn);
          await withBusyRetry('COMMIT');
          return out;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      }),
    lockChain: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/**
 * Opens the dispatch repository on `db` (WAL is switched on if the file is not in WAL yet) and migrates it.
 * The caller keeps ownership of `db` (`close()` does not close it).
 */
export async function sqliteDispatchRepository(db: Database.Database): Promise<DispatchRepository> {
  if (!db.memory && db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
  const ex = sqliteExecutor(db);
  await migrate(ex);
  return sqlDispatchRepository(ex);
}
