/**
 * PTZ control: the adapter interface the patrol loop drives, and the ONVIF implementation (npm `onvif`).
 * Every camera call has a timeout: a PTZ endpoint that never answers raises {@link PtzError} `timeout` instead
 * of blinding the camera (or the site).
 */
import { Cam } from 'onvif';
import type { PresetConfig } from '../schemas/config.ts';

export type PtzErrorKind = 'timeout' | 'auth' | 'error';

/** A failed camera call. The message never contains credentials. */
export class PtzError extends Error {
  override name = 'PtzError';
  constructor(
    readonly kind: PtzErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface PtzController {
  /** Moves to a preset (ONVIF token, else absolute position). Resolves when the camera acknowledged the move. */
  gotoPreset(preset: PresetConfig, timeoutMs: number): Promise<void>;
  close(): void;
}

/** Rejects with PtzError('timeout') when `p` does not settle within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PtzError('timeout', `${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function classify(e: unknown, what: string): PtzError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/401|authentication|not ?authori[sz]ed/i.test(msg))
    return new PtzError('auth', `${what}: authentication failed`);
  if (/time ?out|ETIMEDOUT/i.test(msg)) return new PtzError('timeout', `${what}: ${msg}`);
  return new PtzError('error', `${what}: ${msg.replace(/[a-z]+:\/\/[^\s/@]*@/gi, '***@')}`);
}

type CamLike = {
  gotoPreset(o: { profileToken: string; preset: string }, cb: (err: Error | null) => void): void;
  absoluteMove(
    o: { profileToken: string; x: number; y: number; zoom: number },
    cb: (err: Error | null) => void,
  ): void;
};

/**
 * Connects to an ONVIF device (device service at http://host:port/onvif/device_service).
 * @param profileToken media profile the PTZ commands address (most cameras: the first profile).
 * @throws PtzError on timeout, authentication failure or a SOAP fault.
 */
export async function connectOnvifPtz(opts: {
  host: string;
  port: number;
  username?: string | undefined;
  password?: string | undefined;
  profileToken?: string;
  timeoutMs: number;
}): Promise<PtzController> {
  let cam: CamLike | undefined;
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      cam = new Cam(
        {
          hostname: opts.host,
          port: opts.port,
          username: opts.username,
          password: opts.password,
          timeout: opts.timeoutMs,
          preserveAddress: true,
        },
        (err: Error | null) => (err ? reject(classify(err, 'ONVIF connect')) : resolve()),
      ) as unknown as CamLike;
    }),
    opts.timeoutMs,
    'ONVIF connect',
  );
  const c = cam!;
  const profileToken = opts.profileToken ?? 'Profile_1';
  return {
    gotoPreset(preset, timeoutMs) {
      const what = `PTZ move to preset ${preset.id}`;
      return withTimeout(
        new Promise<void>((resolve, reject) => {
          const cb = (err: Error | null) => (err ? reject(classify(err, what)) : resolve());
          if (preset.onvifToken) c.gotoPreset({ profileToken, preset: preset.onvifToken }, cb);
          else if (preset.position)
            c.absoluteMove(
              { profileToken, x: preset.position.pan, y: preset.position.tilt, zoom: preset.position.zoom },
              cb,
            );
          else reject(new PtzError('error', `${what}: preset has neither onvifToken nor position`));
        }),
        timeoutMs,
        what,
      );
    },
    close() {
      /* the onvif client keeps no connection open */
    },
  };
}
