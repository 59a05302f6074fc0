/** Session-wide cached GET resources (departments, SLA policies): fetched once on first use, retried after a failure. */
import { useEffect, useSyncExternalStore } from 'react';
import { apiGet } from './api.ts';

/**
 * A hook over one cached list: `GET url`, then `pick(body)`. Empty until loaded; every component using the hook
 * re-renders when it arrives. A failed load is retried on the next use.
 */
export function cachedList<B, T>(url: string, pick: (body: B) => readonly T[]): () => readonly T[] {
  let list: readonly T[] = [];
  let loading: Promise<void> | null = null;
  const listeners = new Set<() => void>();
  const load = (): Promise<void> =>
    (loading ??= apiGet<B>(url).then(
      (b) => {
        list = pick(b);
        for (const l of listeners) l();
      },
      () => {
        loading = null;
      },
    ));
  const subscribe = (l: () => void) => {
    listeners.add(l);
    return () => listeners.delete(l);
  };
  const snapshot = () => list;
  return function useCachedList() {
    const value = useSyncExternalStore(subscribe, snapshot, snapshot);
    useEffect(() => {
      if (value.length === 0) void load();
    }, [value.length]);
    return value;
  };
}
