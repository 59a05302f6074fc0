/**
 * Query-string checks shared by every route that reads `req.query`.
 *
 * Express parses a parameter given twice (`?limit=1&limit=2`) into an array; a zod schema such as
 * `z.coerce.number()` then reports "expected number, received NaN", which names neither the cause nor the fix.
 * These issues (zod's issue shape, so they travel in the same 400 `details`) say which parameter was repeated.
 */

/** One problem with a query parameter, shaped like a zod issue. */
export interface QueryIssue {
  code: 'custom';
  path: [string];
  message: string;
}

/**
 * Issues for each parameter that arrived more than once (an array value); `[]` when every parameter is single.
 * Pure; `query` is Express's parsed `req.query` (string or string[] values under the default "simple" parser).
 */
export function repeatedQueryParams(query: unknown): QueryIssue[] {
  if (typeof query !== 'object' || query === null) return [];
  return Object.entries(query as Record<string, unknown>)
    .filter(([, v]) => Array.isArray(v))
    .map(([k, v]) => ({
      code: 'custom' as const,
      path: [k] as [string],
      message: `query parameter "${k}" was given ${(v as unknown[]).length} times; give it once`,
    }));
}
