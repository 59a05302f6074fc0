/** Typed React hooks, one per topic, over the console store. */
import { useMemo, useSyncExternalStore } from 'react';
import type { Alert, CameraHealth } from '../../services/schemas/api.ts';
import type { ConnectionState } from './socket.ts';
import { selectCameras, selectClosedAlerts, selectOpenAlerts } from './state.ts';
import { getStore, type StoreState } from './store.ts';

function useStoreState(): StoreState {
  const store = getStore();
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** Open alerts newest first (by first seen) and recently closed alerts, most recently closed first. */
export function useAlerts(): { open: Alert[]; closed: Alert[] } {
  const { alerts } = useStoreState().data;
  return useMemo(
    () => ({ open: selectOpenAlerts({ alerts }), closed: selectClosedAlerts({ alerts }) }),
    [alerts],
  );
}

/** Cameras sorted by id, with the online / total counts for the header. */
export function useCameras(): { cameras: CameraHealth[]; online: number; total: number } {
  const { cameras } = useStoreState().data;
  return useMemo(() => {
    const list = selectCameras({ cameras });
    return { cameras: list, online: list.filter((c) => c.online).length, total: list.length };
  }, [cameras]);
}

export function useConnection(): { state: ConnectionState; replayDone: boolean; loadFailed: boolean } {
  const s = useStoreState();
  return { state: s.connection, replayDone: s.replayDone, loadFailed: s.loadFailed };
}
