import { describe, expect, it } from 'vitest';
import { redactDatabaseUrl, storageBackend } from './database.ts';

describe('storageBackend (TOWERWATCH_DATABASE_URL)', () => {
  it('is SQLite when unset or empty', () => {
    expect(storageBackend(undefined)).toEqual({ kind: 'sqlite' });
    expect(storageBackend('  ')).toEqual({ kind: 'sqlite' });
  });

  it('selects PostgreSQL, takes the schema parameter out of the URL and redacts the password for logs', () => {
    const b = storageBackend(
      ' postgres://tw:s3cr%40t@db.example:5433/towerwatch?schema=site_a&sslmode=require ',
    );
    expect(b).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://tw:s3cr%40t@db.example:5433/towerwatch?sslmode=require',
      schema: 'site_a',
      redacted: 'postgres://tw:***@db.example:5433/towerwatch?sslmode=require',
    });
    expect(storageBackend('postgresql://127.0.0.1/test')).toMatchObject({
      kind: 'postgres',
      schema: 'public',
    });
  });

  it('rejects other schemes, missing hosts, bad schema names and non-URLs without echoing the password', () => {
    for (const bad of [
      'mysql://u:hunter2@h/db',
      'postgres://u:hunter2@/db',
      'postgres://u:hunter2@h/db?schema=Drop;Table',
      'u:hunter2@h/db',
    ]) {
      expect(() => storageBackend(bad)).toThrow(/TOWERWATCH_DATABASE_URL/);
      expect(() => storageBackend(bad)).not.toThrow(/hunter2/);
    }
  });

  it('redacts only the password', () => {
    expect(redactDatabaseUrl('postgres://u:p@h:5432/d')).toBe('postgres://u:***@h:5432/d');
    expect(redactDatabaseUrl('postgres://u@h/d')).toBe('postgres://u@h/d');
  });
});
