/**
 * Pure lookups over the demo fleet of a config: which camera the built-in demo RTSP server feeds with a clip.
 * Used by the end-to-end checks (`scripts/models/eval.ts`, test/medium/smokeClips.test.ts) to analyse a clip with
 * the settings (masks, ROI) its installed demo camera has.
 */
import path from 'node:path';
import type { CameraConfig, TowerWatchConfig } from '../schemas/config.ts';

/**
 * The camera whose URL ends in the mount of the demo stream that plays `clipName` (a file name, matched against
 * the base name of each `demo.streams[].clip`); undefined when the config has no demo server, no stream plays
 * that clip, or no camera reads that mount. The first matching stream and camera win.
 */
export function demoCameraPlaying(config: TowerWatchConfig, clipName: string): CameraConfig | undefined {
  const mount = config.demo?.streams.find((s) => path.basename(s.clip) === clipName)?.mount;
  if (mount === undefined) return undefined;
  return config.cameras.find((c) => {
    try {
      return new URL(c.url).pathname === `/${mount}`;
    } catch {
      return false;
    }
  });
}
