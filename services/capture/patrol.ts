/**
 * Patrol-tour IO loop for one PTZ camera (after Pyronear's preset patrol): move to each preset of the active
 * tour, wait the settle time, analyse during the dwell, next. Frames are tagged with the preset only while the
 * camera is known to be at it; while it moves, settles, or after a PTZ fault, frames are not analysed, so an
 * alert can never carry the wrong preset.
 *
 * A move that does not change the picture (dHash of the first frame at the new preset equal to the previous
 * preset's) is `ptz_stuck`; a call that never answers is `ptz_timeout`. Both report a fault, keep analysis off
 * for that preset, and the tour goes on (the next move may succeed).
 */
import type { CameraConfig, PresetConfig, TourConfig } from '../schemas/config.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { dHash, hamming, SAME_VIEW_BITS } from './phash.ts';
import type { RgbImage } from './ppmStream.ts';
import { PtzError, type PtzController } from './ptz.ts';

export type PtzFault = { kind: 'ptz_timeout' | 'ptz_stuck' | 'ptz_error' | 'ptz_auth'; message: string };

/** True when `now` (local wall time, minutes since midnight) lies in one of the "HH:MM-HH:MM" windows (pure). */
export function inSchedule(windows: string[], minutesOfDay: number): boolean {
  if (windows.length === 0) return true;
  return windows.some((w) => {
    const [a, b] = w.split('-').map((t) => {
      const [h, m] = t.split(':').map(Number);
      return (h ?? 0) * 60 + (m ?? 0);
    }) as [number, number];
    return a <= b ? minutesOfDay >= a && minutesOfDay < b : minutesOfDay >= a || minutesOfDay < b; // over midnight
  });
}

/** The tour to run now: the first whose schedule contains `minutesOfDay` (pure). */
export function activeTour(tours: TourConfig[], minutesOfDay: number): TourConfig | null {
  return tours.find((t) => inSchedule(t.schedule, minutesOfDay)) ?? null;
}

export interface PatrolDeps {
  clock: Clock;
  log: Logger;
  connect: () => Promise<PtzController>;
  onFault: (f: PtzFault | null) => void;
  /** Sleep that resolves early when the patrol is stopped. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Timeout of each PTZ call, ms (default 10 000). */
  callTimeoutMs?: number;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export class Patrol {
  /** Preset the camera is at and may be analysed on; undefined while moving/settling/faulted. */
  private current: string | undefined;
  private pendingHashFor: string | null = null;
  private lastHash: { preset: string; hash: bigint } | null = null;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private fault: PtzFault | null = null;

  constructor(
    private readonly camera: CameraConfig,
    private readonly deps: PatrolDeps,
  ) {}

  start(): void {
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /**
   * Tags a frame: the preset id, or undefined when it must not be analysed. The first frame after a move is
   * also compared with the previous preset's view to detect a stuck PTZ.
   */
  tag(image: RgbImage): string | undefined {
    const preset = this.current;
    if (preset === undefined) return undefined;
    if (this.pendingHashFor === preset) {
      this.pendingHashFor = null;
      const hash = dHash(image);
      const prev = this.lastHash;
      this.lastHash = { preset, hash };
      if (prev && prev.preset !== preset && hamming(prev.hash, hash) <= SAME_VIEW_BITS) {
        this.current = undefined;
        this.setFault({
          kind: 'ptz_stuck',
          message: `ptz_stuck: view unchanged after moving from preset ${prev.preset} to ${preset}`,
        });
        return undefined;
      }
      if (this.fault) this.setFault(null);
    }
    return preset;
  }

  private setFault(f: PtzFault | null): void {
    if (f) this.deps.log.warn({ fault: f.kind }, f.message);
    else this.deps.log.info('PTZ recovered');
    this.fault = f;
    this.deps.onFault(f);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const sleep = this.deps.sleep ?? abortableSleep;
    const timeout = this.deps.callTimeoutMs ?? 10_000;
    const presets = new Map(this.camera.presets.map((p) => [p.id, p]));
    let ptz: PtzController | null = null;
    let attempt = 0;
    while (!signal.aborted) {
      if (!ptz) {
        try {
          ptz = await this.deps.connect();
          attempt = 0;
        } catch (e) {
          this.current = undefined;
          this.setFault(toFault(e));
          await sleep(Math.min(60_000, 2000 * 2 ** attempt++), signal);
          continue;
        }
      }
      const d = new Date(this.deps.clock.now());
      const tour = activeTour(this.camera.tours, d.getHours() * 60 + d.getMinutes());
      if (!tour) {
        await sleep(30_000, signal);
        continue;
      }
      for (const id of tour.presets) {
        if (signal.aborted) break;
        const preset = presets.get(id) as PresetConfig;
        this.current = undefined; // moving: nothing is analysed
        try {
          await ptz.gotoPreset(preset, timeout);
        } catch (e) {
          this.setFault(toFault(e));
          await sleep(Math.min(preset.dwellS * 1000, 10_000), signal);
          continue;
        }
        await sleep(preset.settleS * 1000, signal);
        if (signal.aborted) break;
        this.pendingHashFor = id;
        this.current = id;
        this.deps.log.debug({ presetId: id }, 'at preset');
        await sleep(preset.dwellS * 1000, signal);
      }
    }
    ptz?.close();
  }
}

function toFault(e: unknown): PtzFault {
  if (e instanceof PtzError) {
    const kind = e.kind === 'timeout' ? 'ptz_timeout' : e.kind === 'auth' ? 'ptz_auth' : 'ptz_error';
    return { kind, message: `${kind}: ${e.message}` };
  }
  return { kind: 'ptz_error', message: `ptz_error: ${e instanceof Error ? e.message : String(e)}` };
}
