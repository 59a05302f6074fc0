/**
 * API and socket payload schemas, shared by the server and the web console (the web imports these types,
 * never copies them). All times are ISO-8601 strings in UTC (`Z`).
 */
import { z } from 'zod';
import { queryId, queryLimit } from './query.ts';
import type { CaseEvent } from '../dispatch/schemas.ts';
import { JurisdictionFeature as MapJurisdiction, ZoneFeature as MapZone } from '../dispatch/schemas.ts';
import { DetectionType } from './config.ts';

/** Axis-aligned box in frame pixels: x, y = top-left corner; w, h = size (px). */
export const Box = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }).strict();
export type Box = z.infer<typeof Box>;

/** A WGS84 position, degrees. */
export const GeoPoint = z.object({ lat: z.number(), lon: z.number() }).strict();
export type GeoPoint = z.infer<typeof GeoPoint>;

export const AlertStatus = z.enum(['open', 'closed']);
export type AlertStatus = z.infer<typeof AlertStatus>;

/** An alert as the API and the console see it. */
export const Alert = z
  .object({
    id: z.string(),
    type: DetectionType,
    status: AlertStatus,
    cameraId: z.string(),
    cameraName: z.string(),
    presetId: z.string().nullable(),
    /** First/last frame (server UTC) with a detection counted toward this alert. */
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    closedAt: z.string().nullable(),
    /** Highest detection score seen, 0..1. */
    peakScore: z.number(),
    /** Box of the best detection in frame pixels, and the frame size it refers to. */
    box: Box,
    frameWidth: z.number().int(),
    frameHeight: z.number().int(),
    /** Number of frames with a detection that were counted toward this alert. */
    hits: z.number().int(),
    /** URL path of the JPEG snapshot with the box drawn. */
    snapshotUrl: z.string(),
    // --- Optional (added by the detect/track work; absent on alerts stored before it) ---
    /** Tracker id of the fire within its camera + preset + type (one track = one alert). */
    trackId: z.string().optional(),
    /**
     * Bearing of the box centre from the camera, degrees clockwise from true north (pinhole model, see
     * services/track/geo.ts); absent when the camera (or preset) has no azimuth/hfov configured.
     */
    bearingDeg: z.number().optional(),
    /** The bearing ray from the camera, clipped to the camera's `rangeM`; null when the camera has no location. */
    ray: z.object({ from: GeoPoint, to: GeoPoint }).strict().nullable().optional(),
    /**
     * Estimated position: `triangulated` = intersection of bearing rays of two cameras that saw the same type
     * within the triangulation window; `ray` = point on the bearing ray at the flat-ground range implied by the
     * preset tilt and the mast height. Null when neither is available.
     */
    position: GeoPoint.extend({ method: z.enum(['triangulated', 'ray']) })
      .strict()
      .nullable()
      .optional(),
    /** URL path of the JPEG snapshot without boxes. */
    cleanSnapshotUrl: z.string().optional(),
    /** URL path of a short H.264 MP4 (yuv420p, faststart) of the frames before and during the alert. */
    clipUrl: z.string().optional(),
  })
  .strict();
export type Alert = z.infer<typeof Alert>;

export const CameraStatus = z.enum([
  'starting',
  'online',
  'stalled',
  'offline',
  'auth_failed',
  'degraded',
  'ptz_fault',
  'disabled',
]);
export type CameraStatus = z.infer<typeof CameraStatus>;

export const CameraHealth = z
  .object({
    id: z.string(),
    name: z.string(),
    channel: z.enum(['thermal', 'visible']),
    status: CameraStatus,
    /** Status as a plain online/offline flag for dashboards. */
    online: z.boolean(),
    statusSince: z.string(),
    lastFrameAt: z.string().nullable(),
    framesSampled: z.number().int(),
    framesAnalysed: z.number().int(),
    framesDropped: z.number().int(),
    /** Frames not analysed because the PTZ camera was moving, settling or faulted. */
    framesSkippedPtz: z.number().int(),
    /** Preset the camera is at (null: fixed camera, moving, or unknown). */
    presetId: z.string().nullable(),
    /** Frames dropped before detection because they were flat (grey/black/green decoder output). */
    framesCorrupt: z.number().int(),
    restarts: z.number().int(),
    /**
     * The most recent failure seen (redacted), kept after the camera recovers so staff can see why it last went
     * down; read it together with `status` (the console shows it only while the camera is not online).
     */
    lastError: z.string().nullable(),
    /** Effective decode mode (after probing) and what the probe found; null until probed. */
    decodeMode: z.enum(['all', 'keyframes']).nullable(),
    /** What receives the stream (config `rtspClient`): `builtin` client or `ffmpeg`; null before the first start. */
    receiver: z.enum(['builtin', 'ffmpeg']).nullable(),
    /** Sampled keyframes not decoded because the camera's decoder was still busy (counted, never silent). */
    keyframesDropped: z.number().int(),
    codec: z.string().nullable(),
    gopMs: z.number().nullable(),
  })
  .strict();
export type CameraHealth = z.infer<typeof CameraHealth>;

/** A camera as the API shows it: configuration without secrets (URL userinfo redacted) plus live health. */
export const CameraInfo = CameraHealth.extend({
  /** Camera URL with any credentials replaced by `***`. */
  url: z.string(),
  detectors: z.array(DetectionType),
  sampleIntervalMs: z.number().int(),
  enabled: z.boolean(),
  azimuthDeg: z.number().nullable(),
  hfovDeg: z.number().nullable(),
  location: z.object({ lat: z.number(), lon: z.number(), heightM: z.number() }).strict().nullable(),
}).strict();
export type CameraInfo = z.infer<typeof CameraInfo>;

export const CameraListResponse = z.object({ cameras: z.array(CameraInfo) }).strict();
export type CameraListResponse = z.infer<typeof CameraListResponse>;

/** One status change of a camera, as stored. */
export const CameraStatusChange = z
  .object({ cameraId: z.string(), status: CameraStatus, at: z.string(), lastError: z.string().nullable() })
  .strict();
export type CameraStatusChange = z.infer<typeof CameraStatusChange>;

export const HealthResponse = z
  .object({
    status: z.enum(['ok', 'degraded']),
    startedAt: z.string(),
    models: z.array(z.object({ name: z.string(), type: DetectionType }).strict()),
    cameras: z.array(CameraHealth),
  })
  .strict();
export type HealthResponse = z.infer<typeof HealthResponse>;

/**
 * `GET /api/health` without a session when logins are configured: enough for a load balancer, Docker's
 * HEALTHCHECK or an uptime monitor (overall status, camera counts), nothing about the cameras themselves (names,
 * last errors with hosts and paths, which stay behind the login as the rest of the monitoring API).
 */
export const HealthProbe = z
  .object({
    status: z.enum(['ok', 'degraded']),
    startedAt: z.string(),
    cameras: z.object({ total: z.number().int(), online: z.number().int() }).strict(),
  })
  .strict();
export type HealthProbe = z.infer<typeof HealthProbe>;

export const AlertListQuery = z
  .object({
    status: AlertStatus.optional(),
    cameraId: queryId().optional(),
    limit: queryLimit(500, 100),
  })
  .strict();
export type AlertListQuery = z.infer<typeof AlertListQuery>;

/** Query of `GET /api/cameras/:id/status-history`: the newest `limit` status changes (default 200, at most 1000). */
export const StatusHistoryQuery = z.object({ limit: queryLimit(1000, 200) }).strict();
export type StatusHistoryQuery = z.infer<typeof StatusHistoryQuery>;

export const AlertListResponse = z.object({ alerts: z.array(Alert) }).strict();
export type AlertListResponse = z.infer<typeof AlertListResponse>;

/** Error body of every 4xx/5xx response. */
export const ErrorResponse = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).strict(),
  })
  .strict();
export type ErrorResponse = z.infer<typeof ErrorResponse>;

// ---------------------------------------------------------------------------------------------------------
// Socket.io

/** Event kinds in the durable event log (replayed to clients that reconnect). */
export const EventKind = z.enum(['alert.opened', 'alert.updated', 'alert.closed', 'camera.status']);
export type EventKind = z.infer<typeof EventKind>;

/**
 * One durable event. `id` increases strictly; a client remembers the highest id it has seen and sends it as
 * `auth.lastEventId` on (re)connect; the server replays every later event before live ones, so each event
 * reaches the client exactly once (the client drops ids it has already seen).
 * `at` (ISO 8601 UTC, ms): for `alert.opened` and `alert.updated` it is the capture time of the frame that
 * triggered the event (`SampledFrame.capturedAt`, set when the CameraWorker received the frame), so a client
 * can measure frame → console latency as receipt time − `at` (the capacity bench does); for `alert.closed` the
 * close time, for `camera.status` the time of the change.
 */
export const ServerEvent = z.discriminatedUnion('kind', [
  z.object({ id: z.number().int(), at: z.string(), kind: z.literal('alert.opened'), alert: Alert }).strict(),
  z.object({ id: z.number().int(), at: z.string(), kind: z.literal('alert.updated'), alert: Alert }).strict(),
  z.object({ id: z.number().int(), at: z.string(), kind: z.literal('alert.closed'), alert: Alert }).strict(),
  z
    .object({ id: z.number().int(), at: z.string(), kind: z.literal('camera.status'), camera: CameraHealth })
    .strict(),
]);
export type ServerEvent = z.infer<typeof ServerEvent>;

/** Handshake auth a console client sends. */
export const SocketAuth = z.object({ lastEventId: z.number().int().min(0).optional() }).strict();
export type SocketAuth = z.infer<typeof SocketAuth>;

/** Socket.io event names and payloads, server → client. */
export interface ServerToClientEvents {
  /** Every durable event (live or replayed), in id order. */
  event: (e: ServerEvent) => void;
  /** Sent once after the replay on connect: ids up to `lastEventId` have been delivered. */
  'replay.done': (p: { lastEventId: number; replayed: number }) => void;
  /** Case events (dispatch domain), delivered only to the rooms a user belongs to (role and department). */
  case: (e: CaseEvent) => void;
}
export type ClientToServerEvents = Record<string, never>;

export const SOCKET_EVENT = 'event' as const;

// ---------------------------------------------------------------------------------------------------------
// Live view (socket.io namespace `/live`)

/** Live-view state of one camera as the viewer sees it. */
export const LiveState = z.enum(['starting', 'live', 'offline', 'unsupported']);
export type LiveState = z.infer<typeof LiveState>;

export const LiveWatch = z.object({ cameraId: z.string().min(1) }).strict();
export type LiveWatch = z.infer<typeof LiveWatch>;

/** Server → viewer on `/live`. Segments are fragmented-MP4 bytes for Media Source Extensions. */
export interface LiveServerToClient {
  /** Init segment (ftyp+moov) and its RFC 6381 codec string; sent first, and again after a restart. */
  init: (p: { cameraId: string; codec: string; data: ArrayBuffer | Buffer }) => void;
  /** One moof+mdat fragment (starts at a keyframe). */
  segment: (p: { cameraId: string; data: ArrayBuffer | Buffer }) => void;
  status: (p: { cameraId: string; state: LiveState; message?: string }) => void;
}

export interface LiveClientToServer {
  watch: (p: LiveWatch) => void;
  unwatch: (p: LiveWatch) => void;
}

// ---------------------------------------------------------------------------------------------------------
// District map (`GET /api/map`)

/** A closed GeoJSON ring, positions `[lon, lat]` in degrees (RFC 7946 order). */
export const LonLatRing = z.array(z.tuple([z.number(), z.number()])).min(4);
export type LonLatRing = z.infer<typeof LonLatRing>;

/** Field of view of a camera at one preset (null: a fixed camera) as a wedge on the ground. */
export const MapFov = z
  .object({
    presetId: z.string().nullable(),
    /** Optical axis, degrees clockwise from true north. */
    azimuthDeg: z.number(),
    /** Horizontal field of view, degrees. */
    hfovDeg: z.number(),
    /** Wedge: camera site → arc at the camera's `rangeM` → camera site. */
    polygon: LonLatRing,
  })
  .strict();
export type MapFov = z.infer<typeof MapFov>;

/** A camera site on the map. `location` null: not placed (no `location` in its config), no wedge either. */
export const MapCamera = z
  .object({
    id: z.string(),
    name: z.string(),
    channel: z.enum(['thermal', 'visible']),
    location: z.object({ lat: z.number(), lon: z.number(), heightM: z.number() }).strict().nullable(),
    /** Useful range, m (wedges and bearing rays are clipped to it). */
    rangeM: z.number(),
    fov: z.array(MapFov),
  })
  .strict();
export type MapCamera = z.infer<typeof MapCamera>;

/** Everything static the district map draws; alerts (rays, positions) come from the alert API and socket. */
export const MapResponse = z
  .object({
    site: z.object({ id: z.string(), name: z.string() }).strict(),
    /** Bounding box of every camera site, wedge and polygon; null when there is nothing to draw. */
    bounds: z
      .object({ south: z.number(), west: z.number(), north: z.number(), east: z.number() })
      .strict()
      .nullable(),
    /**
     * Optional raster tile source (`https://…/{z}/{x}/{y}.png`, e.g. a tile server inside the district network);
     * null = no tiles, the map draws on a plain background (works offline).
     */
    tiles: z.object({ url: z.string(), attribution: z.string() }).strict().nullable(),
    cameras: z.array(MapCamera),
    /** Street-office jurisdictions and special zones (empty without a dispatch configuration). */
    jurisdictions: z.array(MapJurisdiction),
    zones: z.array(MapZone),
  })
  .strict();
export type MapResponse = z.infer<typeof MapResponse>;
