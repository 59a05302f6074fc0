/** Translated text for a failed API call (stable server codes → locale keys; else the server's message). */
import type { TFunction } from 'i18next';
import { ApiError } from './api.ts';

const KNOWN = new Set([
  'version_conflict',
  'already_reviewed',
  'unauthorized',
  'rate_limited',
  'forbidden',
  'not_found',
  'invalid_transition',
  'unsupported_image',
  'photo_too_large',
  'too_many_photos',
  'csrf',
  'reason_required',
  'disposition_required',
  'unknown_department',
  'in_use',
  'last_admin',
  'username_taken',
  'invalid_reference',
  'bad_request',
]);

export function errorText(e: unknown, t: TFunction): string {
  if (e instanceof ApiError) {
    if (e.code === 'rate_limited') {
      const d = e.details as { retryAfterS?: number } | undefined;
      return t('errors.rate_limited', { seconds: d?.retryAfterS ?? 60 });
    }
    if (e.code === 'unsupported_image') return `${t('errors.unsupported_image')} (${e.message})`;
    if (KNOWN.has(e.code)) return t(`errors.${e.code}`);
    return t('errors.generic', { message: e.message });
  }
  return t('errors.network');
}
