/** Test fixtures for the API's wire types (unit tests only). */
import type { CameraHealth } from '../schemas/api.ts';

/** A camera's health: online since 2026-01-01, no frames yet; `over` replaces any field. */
export function cameraHealthFixture(over: Partial<CameraHealth> = {}): CameraHealth {
  return {
    id: 'cam-1',
    name: 'cam-1',
    channel: 'visible',
    status: 'online',
    online: true,
    statusSince: '2026-01-01T00:00:00.000Z',
    lastFrameAt: null,
    framesSampled: 0,
    framesAnalysed: 0,
    framesDropped: 0,
    framesCorrupt: 0,
    framesSkippedPtz: 0,
    presetId: null,
    restarts: 0,
    lastError: null,
    decodeMode: null,
    receiver: null,
    keyframesDropped: 0,
    codec: null,
    gopMs: null,
    ...over,
  };
}
