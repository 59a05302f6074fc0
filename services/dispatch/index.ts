/**
 * Composition helper for the dispatch domain (used by `services/runtime.ts` and by tests): builds the
 * service, auth, router and SLA ticker from a repository and the loaded configuration. Never listens.
 */
import type { Alert } from '../schemas/api.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { DispatchAdmin } from './admin.ts';
import { AuthService } from './auth.ts';
import type { DispatchConfig } from './config.ts';
import { fileCaseEvidenceStore, type CaseEvidenceStore } from './evidence.ts';
import type { DispatchRepository } from './repository.ts';
import { createDispatchRouter } from './router.ts';
import type { CameraGeo } from './routing.ts';
import type { CaseEvent, LatLon } from './schemas.ts';
import { DispatchService, type AlertLookup, type DispatchServiceDeps } from './service.ts';

export { roomsFor } from './access.ts';
export { hasSession, socketRoomsFromCookie } from './router.ts';
export type { AlertLookup } from './service.ts';

/** Options of {@link createDispatch}. */
export interface CreateDispatchOptions {
  repo: DispatchRepository;
  config: DispatchConfig;
  alerts: AlertLookup;
  /** Evidence files root: photos go to `<dataDir>/cases/<caseId>/`. Ignored when `evidence` is given. */
  dataDir: string;
  evidence?: CaseEvidenceStore;
  clock: Clock;
  log: Logger;
  publish?: (room: string, event: CaseEvent) => void;
  cameraGeo?: (cameraId: string) => CameraGeo | null;
  alertPosition?: (alert: Alert) => LatLon | null;
  outbound?: DispatchServiceDeps['outbound'];
  secureCookies?: boolean;
}

/** The wired dispatch domain. */
export interface Dispatch {
  service: DispatchService;
  auth: AuthService;
  /** Admin pages' operations; shares (and updates in place) the `config` object with the service. */
  admin: DispatchAdmin;
  router: ReturnType<typeof createDispatchRouter>;
  /**
   * Starts the SLA ticker (every `everyMs`, default 30 s); each tick first reloads configuration changes
   * made by other processes. @returns a stop function.
   */
  startTicker(everyMs?: number): () => void;
}

/** Builds the dispatch service, auth and router. */
export function createDispatch(o: CreateDispatchOptions): Dispatch {
  const service = new DispatchService({
    repo: o.repo,
    alerts: o.alerts,
    config: o.config,
    evidence: o.evidence ?? fileCaseEvidenceStore(o.dataDir),
    clock: o.clock,
    log: o.log,
    publish: o.publish ?? (() => undefined),
    ...(o.cameraGeo ? { cameraGeo: o.cameraGeo } : {}),
    ...(o.alertPosition ? { alertPosition: o.alertPosition } : {}),
    ...(o.outbound ? { outbound: o.outbound } : {}),
  });
  const auth = new AuthService({ repo: o.repo, clock: o.clock });
  const admin = new DispatchAdmin({ repo: o.repo, config: o.config, clock: o.clock, log: o.log });
  const router = createDispatchRouter({
    service,
    auth,
    admin,
    evidence: o.config.evidence,
    log: o.log,
    secureCookies: o.secureCookies ?? false,
  });
  return {
    service,
    auth,
    admin,
    router,
    startTicker: (everyMs = 30_000) => {
      let running = false;
      const t = setInterval(() => {
        if (running) return;
        running = true;
        admin
          .reload()
          .then(() => service.tick())
          .catch((e: unknown) => o.log.error({ err: (e as Error).message }, 'SLA tick failed'))
          .finally(() => {
            running = false;
          });
      }, everyMs);
      t.unref();
      return () => clearInterval(t);
    },
  };
}
