/**
 * Composition helper for camera administration (used by `services/runtime.ts`): the config repository, the
 * service with the production adapters (ffprobe, ONVIF, sharp, the dispatch audit chain) and its router.
 */
import { probeStream } from '../capture/probe.ts';
import type { PtzController } from '../capture/ptz.ts';
import { ConfigRepository } from '../config/configRepository.ts';
import type { Detector } from '../detect/detectLoop.ts';
import type { AuthService } from '../dispatch/auth.ts';
import type { DispatchRepository } from '../dispatch/repository.ts';
import { renderSnapshot } from '../events/snapshot.ts';
import type { CameraConfig, DetectionType } from '../schemas/config.ts';
import { iso, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { CameraAdminService, type CameraRuntimeControl } from './cameraAdminService.ts';
import { createAdminRouter } from './router.ts';

export interface CreateCameraAdminOptions {
  configDir: string;
  /** The dispatch repository: admin changes are rows of its hash-chained audit log (entity `camera`). */
  auditRepo: Pick<DispatchRepository, 'commit'>;
  auth: AuthService;
  runtime: CameraRuntimeControl;
  detectors: Map<DetectionType, Detector>;
  ensureDetectors?: (types: DetectionType[]) => Promise<void>;
  connectPtz: (cam: CameraConfig) => Promise<PtzController>;
  toRuntime?: (cam: CameraConfig) => CameraConfig;
  clock: Clock;
  log: Logger;
}

/** Builds the camera-admin service and its router (mount under `/api/admin`). */
export function createCameraAdmin(o: CreateCameraAdminOptions): {
  service: CameraAdminService;
  router: ReturnType<typeof createAdminRouter>;
} {
  const log = o.log.child({ domain: 'camera-admin' });
  const service = new CameraAdminService({
    repo: new ConfigRepository(o.configDir, { clock: o.clock }),
    runtime: o.runtime,
    detectors: o.detectors,
    ...(o.ensureDetectors ? { ensureDetectors: o.ensureDetectors } : {}),
    probe: probeStream,
    connectPtz: o.connectPtz,
    encodeJpeg: (img) => renderSnapshot(img, []),
    audit: async (r) => {
      await o.auditRepo.commit({
        audit: [
          {
            at: iso(o.clock.now()),
            actorId: r.actor.userId,
            actorRole: r.actor.role,
            action: r.action,
            entityType: 'camera',
            entityId: r.cameraId,
            caseId: null,
            fromState: null,
            toState: null,
            reason: null,
            details: r.details,
            requestId: r.actor.requestId,
          },
        ],
      });
    },
    clock: o.clock,
    log,
    ...(o.toRuntime ? { toRuntime: o.toRuntime } : {}),
  });
  return { service, router: createAdminRouter({ service, auth: o.auth, log, configDir: o.configDir }) };
}
