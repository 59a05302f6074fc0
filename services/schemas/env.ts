/**
 * Environment variables with a structure worth validating (zod: the single source of truth for their shape).
 */
import { z } from 'zod';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * `TOWERWATCH_DATABASE_URL`: a `postgres://` or `postgresql://` URL with a host, e.g.
 * `postgres://towerwatch:secret@db.example:5432/towerwatch?schema=site_a`. The optional `schema` query parameter
 * (lower-case letters, digits, `_`) names the PostgreSQL schema of the tables (default `public`). Messages never
 * repeat the value (it may hold a password).
 */
export const DatabaseUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'not a URL (expected postgres://user:password@host:5432/database)',
      });
      return;
    }
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
      ctx.addIssue({ code: 'custom', message: `unsupported scheme "${u.protocol}" (expected postgres://)` });
    else if (!u.hostname) ctx.addIssue({ code: 'custom', message: 'host missing' });
    const schema = u.searchParams.get('schema');
    if (schema !== null && !SCHEMA_NAME.test(schema))
      ctx.addIssue({ code: 'custom', message: `invalid schema "${schema}" (lower-case letters, digits, _)` });
  });
