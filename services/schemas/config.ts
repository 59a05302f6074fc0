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
 * An RTSP URL. Credentials may be embedded as URL userinfo (`user:password@` before the host); user and password must be
 * percent-encoded when they contain reserved characters (RFC 3986 §3.2.1).
 */
export const RtspUrl = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'rtsp:' || u.protocol === 'rtsps:';
    } catch {
      return false;
    }
  }, 'must be an rtsp:// or rtsps:// URL')
  .refine(
    (s) => !/\s/.test(s),
    'must not contain spaces (percent-encode them in a user name or password: %20)',
  )
  .refine(
    (s) => (/^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(s)?.[1] ?? '').split('@').length <= 2,
    'user name and password must be percent-encoded: write "@" as %40 (or use auth: { username, password })',
  )
  .refine((s) => {
    try {
      return new URL(s).hostname !== '';
    } catch {
      return true; // reported by the first check
    }
  }, 'must name a host (rtsp://host[:port]/path)');

/**
 * Name of the environment variable that holds a camera password (`auth.passwordEnv`). Only `CAM_*` names: the
 * service reads no other variable for a camera, so neither a config file nor an admin (connection test, camera
 * form) can make it send its own secrets (`TOWERWATCH_DATABASE_URL`, seed passwords…) to a camera URL.
 */
export const CameraSecretEnv = z
  .string()
  .regex(
    /^CAM_[A-Z0-9_]+$/,
    'must be an environment variable named CAM_… (A-Z, 0-9, _), e.g. CAM_01_PASSWORD',
  );

/** A point in normalised frame coordinates: x, y in 0..1 from the top-left corner. */
export const NormPoint = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);
/** A polygon in normalised frame coordinates (≥ 3 points). */
export const NormPolygon = z.array(NormPoint).min(3);
export type NormPolygon = z.infer<typeof NormPolygon>;

/**
 * A PTZ preset: where the camera looks and how that view is analysed. Detection settings belong to the
 * preset, not the camera (a preset looking at a chimney needs a mask there; one over farmland does not).
 */
export const PresetConfig = z
  .object({
    id: Slug,
    name: z.string().min(1),
    /** ONVIF preset token on the camera, or an absolute PTZ position (pan/tilt in −1..1, zoom 0..1, ONVIF generic space). */
    onvifToken: z.string().min(1).optional(),
    position: z
      .object({
        pan: z.number().min(-1).max(1),
        tilt: z.number().min(-1).max(1),
        zoom: z.number().min(0).max(1),
      })
      .strict()
      .optional(),
    /** Time spent on this preset per tour visit, s. */
    dwellS: z.number().min(5).max(3600).default(60),
    /** Time to wait after the move before analysing (mechanics, autofocus, exposure), s. */
    settleS: z.number().min(0).max(60).default(5),
    /** Areas never analysed (normalised polygons): chimneys, roads, known permitted sources. */
    masks: z.array(NormPolygon).default([]),
    /** When set, only these areas are analysed. */
    roi: z.array(NormPolygon).optional(),
    /** Detectors enabled on this preset (default: the camera's). */
    detectors: z.array(DetectionType).min(1).optional(),
    /** Sensitivity 0..1 (0.5 = the model's tuned threshold; higher = more sensitive). */
    sensitivity: z.number().min(0).max(1).default(0.5),
    /** Azimuth of the optical axis at this preset, degrees clockwise from true north; FOV at this zoom, degrees. */
    azimuthDeg: z.number().min(0).lt(360).optional(),
    hfovDeg: z.number().gt(0).max(180).optional(),
    /** Depression angle below the horizon, degrees (for range estimation). */
    tiltDeg: z.number().min(-90).max(90).optional(),
  })
  .strict();
export type PresetConfig = z.infer<typeof PresetConfig>;

/** A patrol tour: presets visited in order, repeated, optionally only within daily time windows (local time). */
export const TourConfig = z
  .object({
    id: Slug,
    name: z.string().min(1),
    presets: z.array(Slug).min(1),
    /** Daily windows "HH:MM-HH:MM" in the site's local time; empty = always. */
    schedule: z
      .array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:MM-HH:MM"'))
      .default([]),
  })
  .strict();
export type TourConfig = z.infer<typeof TourConfig>;

/**
 * The fields of one camera (a PTZ or fixed camera on a tower), without the cross-field rules of
 * {@link checkCamera}. Admin API bodies (`services/schemas/admin.ts`) are built from it.
 */
export const CameraFields = z
  .object({
    id: Slug,
    name: z.string().min(1),
    url: RtspUrl,
    /**
     * Optional sub-stream used for analysis (Frigate's `detect` role): when set, the sampling ffmpeg reads this
     * stream and the live view keeps `url` (the main stream). A camera's 704×576 or 1280×720 sub-stream costs
     * a fraction of the main stream's keyframe decode (the decode cost grows with the pixel count) while the
     * smoke model only uses 640×480; same credentials (`auth`) as `url`.
     */
    detectUrl: RtspUrl.optional(),
    /**
     * Credentials kept out of the URL (recommended): the service inserts them percent-encoded, so any
     * character works. `passwordEnv` names an environment variable holding the password.
     */
    auth: z
      .object({
        username: z.string().min(1),
        password: z.string().optional(),
        passwordEnv: CameraSecretEnv.optional(),
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
    /**
     * `auto`: probe the stream's GOP and decode keyframes only when they come at least once per sampling
     * interval (≈10× cheaper), else decode all frames. `all` / `keyframes` force a mode.
     */
    decodeMode: z.enum(['auto', 'all', 'keyframes']).default('auto'),
    /**
     * Who receives an `rtsp://` stream sampled from keyframes. `auto` (default): TowerWatch's built-in RTSP/TCP
     * client (H.264/H.265; skips the packets of non-key pictures without decoding or copying them; a per-camera
     * ffmpeg decodes only the sampled keyframes; evidence clips are muxed from the camera's own keyframes). It
     * falls back to ffmpeg for a stream it cannot read (another codec, UDP only, an unknown auth scheme) and
     * tries ffmpeg after 2 failures in a row without a frame, keeping ffmpeg when that delivers
     * (supervision.ts `autoReceiver`). `ffmpeg`: one ffmpeg per camera receives, demuxes and decodes the
     * keyframes (the previous default; costs ~2× the capture CPU, BENCHMARKS.md §1). `builtin`: the built-in
     * client only (errors reported, no fallback).
     */
    rtspClient: z.enum(['auto', 'builtin', 'ffmpeg']).default('auto'),
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
    /**
     * Maximum useful range of the camera, m (bearing rays are clipped to it). Default 3000. At most 50 km: beyond the
     * horizon of a 40 m mast (~23 km) no camera resolves a plume, and a huge value would stretch the district map.
     */
    rangeM: z.number().positive().max(50_000).default(3000),
    /** ONVIF endpoint for PTZ control (credentials from `auth`). Absent = fixed camera. */
    onvif: z
      .object({ host: z.string().min(1), port: z.number().int().min(1).max(65535).default(80) })
      .strict()
      .optional(),
    /**
     * Analysis settings of the camera's own view, used for frames without a preset (a fixed camera, or a PTZ
     * camera without presets): areas never analysed, the only areas analysed, sensitivity 0..1 (default 0.5).
     * Frames tagged with a preset use that preset's settings instead.
     */
    masks: z.array(NormPolygon).optional(),
    roi: z.array(NormPolygon).optional(),
    sensitivity: z.number().min(0).max(1).optional(),
    /** PTZ presets; a fixed camera has none (one implicit preset, id null). */
    presets: z.array(PresetConfig).default([]),
    tours: z.array(TourConfig).default([]),
  })
  .strict();

/**
 * Cross-field rules of a camera: preset ids unique, tours name known presets, tours need an ONVIF endpoint.
 * Issues carry the path inside the camera (`presets[2].id`, `tours[0].presets[1]`).
 */
export function checkCamera(
  c: { presets: { id: string }[]; tours: { presets: string[] }[]; onvif?: unknown },
  ctx: z.RefinementCtx,
): void {
  const ids = new Set<string>();
  c.presets.forEach((p, i) => {
    if (ids.has(p.id))
      ctx.addIssue({
        code: 'custom',
        path: ['presets', i, 'id'],
        message: `duplicate preset id "${p.id}"`,
      });
    ids.add(p.id);
  });
  c.tours.forEach((t, i) =>
    t.presets.forEach((pid, j) => {
      if (!ids.has(pid))
        ctx.addIssue({
          code: 'custom',
          path: ['tours', i, 'presets', j],
          message: `unknown preset "${pid}"`,
        });
    }),
  );
  if (c.tours.length > 0 && !c.onvif)
    ctx.addIssue({ code: 'custom', path: ['tours'], message: 'tours need an onvif endpoint' });
}

/** One camera (a PTZ or fixed camera on a tower). */
export const CameraConfig = CameraFields.superRefine(checkCamera);
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
    /**
     * `loop` (default): one live stream per mount, the clip looped without re-encoding, shared by all clients.
     * `file`: each client gets the (MP4) file from its start, not looped.
     * `file-shared`: the file from its start when the mount's first client connects, not looped; later clients
     * join that one stream (one pipeline per mount, as several viewers of one camera; the benches use it so
     * that the camera simulator's CPU stays small next to TowerWatch's).
     */
    mode: z.enum(['loop', 'file', 'file-shared']).default('loop'),
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
