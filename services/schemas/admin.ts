/**
 * Camera administration API (`/api/admin/...`, admin role): request bodies and responses. The web console
 * validates its forms with these same schemas, so a field error is shown next to the field (zod issue path)
 * before the request is sent, and the server answers 400 with the same paths when it is sent anyway.
 *
 * Secrets never leave the server: a camera's password is answered as `hasPassword`, URL userinfo as `***`.
 */
import { z } from 'zod';
import {
  CameraFields,
  checkCamera,
  DetectionType,
  NormPolygon,
  PresetConfig,
  CameraSecretEnv,
  Slug,
  TourConfig,
} from './config.ts';

/**
 * Camera credentials as the admin form sends them. Leave both `password` and `passwordEnv` out to keep the
 * stored secret (the form never receives it); give one to replace it.
 */
export const AuthInput = z
  .object({
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    passwordEnv: CameraSecretEnv.optional(),
  })
  .strict()
  .refine((a) => a.password === undefined || a.passwordEnv === undefined, {
    message: 'set at most one of password or passwordEnv',
    path: ['passwordEnv'],
  });
export type AuthInput = z.infer<typeof AuthInput>;

/**
 * Body of `POST /api/admin/cameras` and `PUT /api/admin/cameras/:id`: a camera as in `cameras.yaml`, with
 * {@link AuthInput} for credentials (`auth: null` removes them). A URL equal to the redacted URL the API
 * answered (`rtsp://***@host/...`) keeps the stored userinfo.
 */
export const CameraInput = CameraFields.omit({ auth: true })
  .extend({ auth: AuthInput.nullable().optional() })
  .strict()
  .superRefine(checkCamera);
export type CameraInput = z.input<typeof CameraInput>;
/** {@link CameraInput} after parsing (defaults applied). */
export type CameraInputData = z.output<typeof CameraInput>;

/** Credentials as answered: never the password itself. */
export const AdminAuth = z
  .object({ username: z.string(), passwordEnv: z.string().nullable(), hasPassword: z.boolean() })
  .strict();
export type AdminAuth = z.infer<typeof AdminAuth>;

/** A camera as the admin API answers it (`version` is its ETag for `If-Match`). */
export const AdminCamera = CameraFields.omit({ auth: true, url: true })
  .extend({
    /** URL with any userinfo replaced by `***`. */
    url: z.string(),
    urlHasCredentials: z.boolean(),
    auth: AdminAuth.nullable(),
    /** Config file holding the camera, relative to the config directory. */
    file: z.string(),
    /** Opaque version (hash of the stored camera); send it back as `If-Match: "<version>"`. */
    version: z.string(),
  })
  .strict();
export type AdminCamera = z.infer<typeof AdminCamera>;

export const AdminCameraList = z.object({ cameras: z.array(AdminCamera) }).strict();
export type AdminCameraList = z.infer<typeof AdminCameraList>;

/** Body of `PUT /api/admin/cameras/:id/presets/:presetId` (creates the preset when absent). */
export const PresetInput = PresetConfig;
export type PresetInput = z.input<typeof PresetInput>;

/** Body of `PUT /api/admin/cameras/:id/view`: analysis settings of a camera's own view (frames without preset). */
export const ViewInput = z
  .object({
    masks: z.array(NormPolygon).default([]),
    roi: z.array(NormPolygon).optional(),
    sensitivity: z.number().min(0).max(1).default(0.5),
    detectors: z.array(DetectionType).min(1),
  })
  .strict();
export type ViewInput = z.input<typeof ViewInput>;
export type ViewInputData = z.output<typeof ViewInput>;

/** Body of `PUT /api/admin/cameras/:id/tours`: the camera's patrol tours, in order. */
export const ToursInput = z.object({ tours: z.array(TourConfig) }).strict();
export type ToursInput = z.input<typeof ToursInput>;

/**
 * Body of `POST /api/admin/cameras/test`. `cameraId` lets the server use the stored credentials (and stored
 * URL userinfo) of an existing camera when the form did not retype them.
 */
export const TestConnectionBody = z
  .object({
    url: z.string().min(1),
    auth: AuthInput.nullable().optional(),
    cameraId: Slug.optional(),
  })
  .strict();
export type TestConnectionBody = z.input<typeof TestConnectionBody>;
export type TestConnectionData = z.output<typeof TestConnectionBody>;

/** Why a connection test failed. */
export const ConnectionFailure = z.enum([
  'auth_failed',
  'refused',
  'timeout',
  'not_found',
  'not_rtsp',
  'no_video',
  'missing_secret',
  'error',
]);
export type ConnectionFailure = z.infer<typeof ConnectionFailure>;

/** Result of a connection test (ffprobe of the stream). */
export const TestConnectionResult = z.discriminatedUnion('ok', [
  z
    .object({
      ok: z.literal(true),
      codec: z.string(),
      width: z.number().int(),
      height: z.number().int(),
      /** Median keyframe interval, ms; null when fewer than two keyframes were seen. */
      gopMs: z.number().nullable(),
      ms: z.number(),
    })
    .strict(),
  z.object({ ok: z.literal(false), reason: ConnectionFailure, message: z.string(), ms: z.number() }).strict(),
]);
export type TestConnectionResult = z.infer<typeof TestConnectionResult>;

/**
 * Body of `POST /api/admin/cameras/:id/detect`: run the detectors on the camera's latest frame with these
 * (possibly unsaved) settings. `presetId` null = the camera's own view.
 */
export const DetectBody = z
  .object({
    presetId: Slug.nullable(),
    masks: z.array(NormPolygon).default([]),
    roi: z.array(NormPolygon).optional(),
    sensitivity: z.number().min(0).max(1).default(0.5),
    detectors: z.array(DetectionType).min(1).optional(),
  })
  .strict();
export type DetectBody = z.input<typeof DetectBody>;
export type DetectData = z.output<typeof DetectBody>;

/** One detection on the admin's test frame; `box` normalised 0..1 (x, y of the top-left corner, w, h). */
export const AdminDetection = z
  .object({
    type: DetectionType,
    score: z.number(),
    box: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }).strict(),
    /** True when the score reaches the threshold that opens a new track (else only an open alert counts it). */
    opens: z.boolean(),
  })
  .strict();
export type AdminDetection = z.infer<typeof AdminDetection>;

export const DetectResult = z
  .object({
    capturedAt: z.string(),
    /** Preset the frame was taken at (null: the camera's own view). */
    framePresetId: z.string().nullable(),
    width: z.number().int(),
    height: z.number().int(),
    detections: z.array(AdminDetection),
    /** Detection types asked for that have no loaded model. */
    missingModels: z.array(DetectionType),
  })
  .strict();
export type DetectResult = z.infer<typeof DetectResult>;
