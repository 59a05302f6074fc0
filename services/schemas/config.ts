/**
 * Configuration schemas: the single source of truth for `camera-config/*.yaml`.
 *
 * Every object is `.strict()`: an unknown key is an error, so a typo never silently disables a setting.
 */
import { z } from 'zod';

/** Detection types TowerWatch raises alerts for. */
export const DetectionType = z.enum(['hotspot', 'smoke', 'dust']);
export type DetectionType = z.infer<typeof DetectionType>;

/** Camera/site identifier: lowercase slug, used in URLs, file names and log lines. */
export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a lowercase slug: a-z, 0-9, "-" or "_", at most 63 chars');

/**
 * An RTSP URL. Credentials may be embedded (`rtsp://user:pass@host/path`); user and password must be
 * percent-encoded when they contain reserved characters (RFC 3986 §3.2.1).
 */
export const RtspUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'rtsp:' || u.protocol === 'rtsps:';
  } catch {
    return false;
  }
}, 'must be an rtsp:// or rtsps:// URL');

/** One camera (a PTZ or fixed camera on a tower). */
export const CameraConfig = z
  .object({
    id: Slug,
    name: z.string().min(1),
    url: RtspUrl,
    /**
     * Credentials kept out of the URL (recommended): the service inserts them percent-encoded, so any
     * character works. `passwordEnv` names an environment variable holding the password.
     */
    auth: z
      .object({
        username: z.string().min(1),
        password: z.string().optional(),
        passwordEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/)
          .optional(),
      })
      .strict()
      .refine(
        (a) => (a.password === undefined) !== (a.passwordEnv === undefined),
        'set exactly one of password or passwordEnv',
      )
      .optional(),
    /** `thermal`: 8-bit white-hot palette video; `visible`: colour video. */
    channel: z.enum(['thermal', 'visible']),
    enabled: z.boolean().default(true),
    /** Sampling interval between analysed frames, ms. Default 2000 (one frame every 2 s). */
    sampleIntervalMs: z.number().int().min(100).max(600_000).default(2000),
    /** Detectors run on this camera's frames. */
    detectors: z.array(DetectionType).min(1),
    /** No frame for this long (s) → the stream is treated as stalled and restarted. */
    stallTimeoutS: z.number().min(2).max(600).default(10),
    /** Where the tower stands (WGS84 degrees) and how high the camera is mounted (m). */
    location: z
      .object({
        lat: z.number().min(-90).max(90),
        lon: z.number().min(-180).max(180),
        heightM: z.number().min(0).default(40),
      })
      .strict()
      .optional(),
    /** Azimuth of the optical axis, degrees clockwise from true north. */
    azimuthDeg: z.number().min(0).lt(360).optional(),
    /** Horizontal field of view, degrees. */
    hfovDeg: z.number().gt(0).max(180).optional(),
  })
  .strict();
export type CameraConfig = z.infer<typeof CameraConfig>;

/**
 * Alert confirmation: a detection must be present on `confirmN` of the last `confirmM` sampled frames of the
 * same camera+preset before an alert opens (Pyronear-style multi-frame confirmation); an open alert closes
 * after `closeAfterMs` without a detection.
 */
export const AlertingConfig = z
  .object({
    confirmN: z.number().int().min(1).default(2),
    confirmM: z.number().int().min(1).default(3),
    closeAfterMs: z.number().int().min(1000).default(60_000),
  })
  .strict()
  .refine((a) => a.confirmN <= a.confirmM, { message: 'confirmN must be <= confirmM', path: ['confirmN'] });
export type AlertingConfig = z.infer<typeof AlertingConfig>;

/** A stream served by the built-in demo RTSP server: a clip looped without re-encoding. */
export const DemoStream = z
  .object({
    /** Mount path on the demo RTSP server: rtsp://127.0.0.1:<port>/<mount>. */
    mount: Slug,
    /** Clip path, relative to the config file's directory. */
    clip: z.string().min(1),
  })
  .strict();
export type DemoStream = z.infer<typeof DemoStream>;

export const DemoConfig = z
  .object({
    rtspPort: z.number().int().min(1024).max(65535).default(8554),
    streams: z.array(DemoStream).min(1),
  })
  .strict();
export type DemoConfig = z.infer<typeof DemoConfig>;

export const SiteInfo = z.object({ id: Slug, name: z.string().min(1) }).strict();
export type SiteInfo = z.infer<typeof SiteInfo>;

/**
 * One YAML file under the config directory. Files are merged: `site`, `alerting` and `demo` may each appear in
 * at most one file; camera ids must be unique across files.
 */
export const ConfigFile = z
  .object({
    site: SiteInfo.optional(),
    alerting: AlertingConfig.optional(),
    demo: DemoConfig.optional(),
    cameras: z.array(CameraConfig).optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFile>;

/** The merged, validated configuration the service runs with. */
export interface TowerWatchConfig {
  site: SiteInfo;
  alerting: AlertingConfig;
  demo: (DemoConfig & { baseDir: string }) | null;
  cameras: CameraConfig[];
}
