import { z } from 'zod';

/**
 * A row-count query parameter (`?limit=N`): a whole number in 1..`max`, `fallback` when absent. The text must be
 * plain digits, so `abc`, an empty value, `1.5`, `0x10` or `1e2` are refused with a message naming the rule
 * (`z.coerce.number()` turned `abc` into "received NaN", an empty value into 0 and `0x10` into 16).
 */
export const queryLimit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, { message: `must be a whole number from 1 to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, { message: `must be from 1 to ${max}` })
        .max(max, { message: `must be from 1 to ${max}` }),
    )
    .default(fallback);
