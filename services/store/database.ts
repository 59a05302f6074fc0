/**
 * Storage backend selection. `TOWERWATCH_DATABASE_URL` unset (or empty) → the embedded SQLite file
 * `<dataDir>/towerwatch.sqlite` for both the alert store and the dispatch repository; a `postgres://` or
 * `postgresql://` URL → PostgreSQL for both (one pool). An optional `schema` query parameter
 * (`…/towerwatch?schema=site_a`, lower-case letters, digits, `_`) puts the tables in that schema (created if
 * missing; default `public`); every other part of the URL is passed to `pg` unchanged (`sslmode`, …).
 */
import { DatabaseUrl } from '../schemas/env.ts';

export type StorageBackend =
  | { kind: 'sqlite' }
  | {
      kind: 'postgres';
      /** Connection string for `pg` (without the `schema` parameter). */
      connectionString: string;
      schema: string;
      /** For logs: the URL with its password replaced by `***`. */
      redacted: string;
    };

/** The URL with its password (if any) replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Parses `TOWERWATCH_DATABASE_URL`. @throws an Error naming the variable and the reason (never the password)
 * when the value is not a usable PostgreSQL URL.
 */
export function storageBackend(raw: string | undefined): StorageBackend {
  if (raw === undefined || raw.trim() === '') return { kind: 'sqlite' };
  const r = DatabaseUrl.safeParse(raw);
  if (!r.success)
    throw new Error(`invalid TOWERWATCH_DATABASE_URL: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const u = new URL(r.data);
  const schema = u.searchParams.get('schema') ?? 'public';
  u.searchParams.delete('schema');
  const connectionString = u.toString();
  return { kind: 'postgres', connectionString, schema, redacted: redactDatabaseUrl(connectionString) };
}
