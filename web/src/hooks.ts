/** Typed React hooks, one per topic, over the console store. */
import { useMemo, useSyncExternalStore } from 'react';
import type { Case } from '../../services/dispatch/schemas.ts';
import type { Alert, CameraHealth } from '../../services/schemas/api.ts';
import type { CasesState } from './caseState.ts';
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

/** Cases visible to the session, as the reducer holds them. */
export function useCases(): CasesState {
  return useStoreState().cases;
}

/** One case from the store (null when not loaded / not visible). */
export function useCase(id: string): Case | null {
  return useStoreState().cases.byId[id] ?? null;
}

/** The alarm counter (+1 per live new alert) and the alert that raised it. */
export function useAlarmSignal(): { seq: number; alertId: string | null } {
  const s = useStoreState();
  return useMemo(() => ({ seq: s.alarmSeq, alertId: s.alarmAlertId }), [s.alarmSeq, s.alarmAlertId]);
}

/** All alerts by id (open and recently closed). */
export function useAlertById(id: string): Alert | null {
  return useStoreState().data.alerts[id] ?? null;
}

/** Camera id → display name (from camera health; the id itself while unknown). */
export function useCameraName(): (id: string) => string {
  const { cameras } = useStoreState().data;
  return useMemo(() => (id: string) => cameras[id]?.name ?? id, [cameras]);
}
