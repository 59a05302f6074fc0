/**
 * The live dispatch configuration for the admin pages (`GET /api/admin/dispatch-config`), loaded once per
 * page visit; every successful change answers with the new configuration, which replaces it.
 */
import type { TFunction } from 'i18next';
import { useCallback, useEffect, useState } from 'react';
import type { AdminConfigResponse } from '../../services/dispatch/schemas.ts';
import { apiGet, isVersionConflict } from './api.ts';
import { errorText } from './errors.ts';

export interface AdminConfigState {
  config: AdminConfigResponse | null;
  /** The load failed (the error), else null. */
  error: unknown;
  /** Replaces the configuration with a server answer. */
  set: (c: AdminConfigResponse) => void;
  reload: () => void;
}

export function useAdminConfig(): AdminConfigState {
  const [config, setConfig] = useState<AdminConfigResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [seq, setSeq] = useState(0);
  useEffect(() => {
    let live = true;
    apiGet<AdminConfigResponse>('/api/admin/dispatch-config').then(
      (c) => {
        if (!live) return;
        setConfig(c);
        setError(null);
      },
      (e: unknown) => {
        if (live) setError(e);
      },
    );
    return () => {
      live = false;
    };
  }, [seq]);
  const reload = useCallback(() => setSeq((n) => n + 1), []);
  return { config, error, set: setConfig, reload };
}

/** Props of every configuration page. */
export interface AdminPageProps {
  config: AdminConfigResponse;
  /** A change was stored: the server's new configuration. */
  onSaved: (c: AdminConfigResponse) => void;
  /** Someone else changed it first (409 `version_conflict`): reload. */
  onConflict: () => void;
}

/** The references of a 409 `in_use` answer (`details.usedBy`), or null. */
export function usedByOf(e: unknown): { kind: string; id: string; name?: string }[] | null {
  if (typeof e !== 'object' || e === null || !('code' in e) || e.code !== 'in_use') return null;
  const d = (e as { details?: { usedBy?: unknown } }).details;
  return Array.isArray(d?.usedBy) ? (d.usedBy as { kind: string; id: string; name?: string }[]) : null;
}

/** {@link errorText} with the admin pages' wording for a stale configuration version. */
export function adminErrorText(e: unknown, t: TFunction): string {
  return isVersionConflict(e) ? t('adminDispatch.conflict') : errorText(e, t);
}

/** One reference of a 409 `in_use` answer as text ("派单规则第 3 条（…）", "用户 xinhe1"). */
export function usageText(u: { kind: string; id: string; name?: string }, t: TFunction): string {
  if (u.kind === 'rule') {
    return u.name
      ? t('adminDispatch.usedBy.ruleNote', { n: u.id, note: u.name })
      : t('adminDispatch.usedBy.rule', { n: u.id });
  }
  return t(`adminDispatch.usedBy.${u.kind}`, { name: u.name ?? u.id });
}
