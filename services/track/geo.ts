/**
 * Pure "where is it" geometry: bearing of a detection from the camera's pointing, bearing rays on a local
 * East-North-Up (ENU) plane, and two-camera triangulation.
 *
 * Local plane: equirectangular projection around an origin, x = east, y = north (m):
 *   x = R·Δλ·cos φ0, y = R·Δφ (R = 6 371 008.8 m, IUGG mean Earth radius). Error < 0.1 % within 20 km, far
 *   below the bearing error of a few tenths of a degree at 1–3 km.
 */

export interface LatLon {
  lat: number;
  lon: number;
}

const R = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** Normalises an angle to [0, 360) degrees. */
export const normDeg = (d: number): number => ((d % 360) + 360) % 360;

/**
 * Bearing (degrees clockwise from true north, [0, 360)) of a point at horizontal image position `u`.
 * Pinhole camera: the angle off the optical axis is atan((2u − 1) · tan(hfov / 2)) (exact for a rectilinear
 * lens; the linear approximation hfov·(u − 0.5) is off by up to ~1.5° at the edge of a 60° view).
 * @param azimuthDeg optical axis azimuth, degrees clockwise from north.
 * @param hfovDeg horizontal field of view, degrees (0 < hfov < 180).
 * @param u box-centre x / frame width, 0..1 (0 = left edge).
 */
export function bearingDeg(azimuthDeg: number, hfovDeg: number, u: number): number {
  return normDeg(azimuthDeg + deg(Math.atan((2 * u - 1) * Math.tan(rad(hfovDeg) / 2))));
}

/** WGS84 → local ENU metres around `origin`. */
export function toEnu(origin: LatLon, p: LatLon): { x: number; y: number } {
  return { x: R * rad(p.lon - origin.lon) * Math.cos(rad(origin.lat)), y: R * rad(p.lat - origin.lat) };
}

/** Local ENU metres around `origin` → WGS84. */
export function fromEnu(origin: LatLon, e: { x: number; y: number }): LatLon {
  return { lat: origin.lat + deg(e.y / R), lon: origin.lon + deg(e.x / (R * Math.cos(rad(origin.lat)))) };
}

/** Point at `distanceM` along `bearing` from `from` (the end of a bearing ray clipped to the camera's range). */
export function destination(from: LatLon, bearing: number, distanceM: number): LatLon {
  return fromEnu(from, { x: distanceM * Math.sin(rad(bearing)), y: distanceM * Math.cos(rad(bearing)) });
}

export interface Sighting {
  camera: LatLon;
  /** Bearing of the detection, degrees. */
  bearingDeg: number;
  /** The camera's useful range, m (rays are clipped to it). */
  rangeM: number;
}

/**
 * Intersects two bearing rays on the ENU plane around the first camera.
 * Rejects (null): rays crossing at less than `minAngleDeg` (near-parallel: the position error grows as
 * 1/sin(angle); 10° ≈ ×5.8), intersections behind either camera, and points beyond either camera's range.
 * @returns the position and the crossing angle (degrees, 0..90), or null.
 */
export function triangulate(
  a: Sighting,
  b: Sighting,
  minAngleDeg = 10,
): { position: LatLon; angleDeg: number } | null {
  const pb = toEnu(a.camera, b.camera);
  const da = { x: Math.sin(rad(a.bearingDeg)), y: Math.cos(rad(a.bearingDeg)) };
  const db = { x: Math.sin(rad(b.bearingDeg)), y: Math.cos(rad(b.bearingDeg)) };
  const cross = da.x * db.y - da.y * db.x; // sin of the angle between the rays
  const angle = deg(Math.asin(Math.min(1, Math.abs(cross))));
  if (angle < minAngleDeg) return null;
  // a0 + t·da = pb + s·db  →  t = (pb × db) / (da × db), s = (pb × da) / (da × db)
  const t = (pb.x * db.y - pb.y * db.x) / cross;
  const s = (pb.x * da.y - pb.y * da.x) / cross;
  if (t <= 0 || s <= 0 || t > a.rangeM || s > b.rangeM) return null;
  return { position: fromEnu(a.camera, { x: t * da.x, y: t * da.y }), angleDeg: angle };
}

/**
 * The geometry of a camera at a preset from its config (preset azimuth/hfov override the camera's; tilt only
 * exists per preset). Shape-compatible with `CameraConfig` in services/schemas/config.ts.
 */
export function cameraGeoOf(
  cam: {
    location?: { lat: number; lon: number; heightM: number } | undefined;
    azimuthDeg?: number | undefined;
    hfovDeg?: number | undefined;
    rangeM: number;
    presets: readonly {
      id: string;
      azimuthDeg?: number | undefined;
      hfovDeg?: number | undefined;
      tiltDeg?: number | undefined;
    }[];
  },
  presetId: string | null,
): CameraGeo {
  const p = presetId === null ? undefined : cam.presets.find((x) => x.id === presetId);
  return {
    location: cam.location,
    azimuthDeg: p?.azimuthDeg ?? cam.azimuthDeg,
    hfovDeg: p?.hfovDeg ?? cam.hfovDeg,
    tiltDeg: p?.tiltDeg,
    rangeM: cam.rangeM,
  };
}

/** Where a camera (at a preset) looks; preset values override the camera's. */
export interface CameraGeo {
  location?: { lat: number; lon: number; heightM: number } | undefined;
  azimuthDeg?: number | undefined;
  hfovDeg?: number | undefined;
  /** Depression of the optical axis below the horizon, degrees (positive = looking down). */
  tiltDeg?: number | undefined;
  rangeM: number;
}

/** Geometry of one detection: bearing, bearing ray, and the single-camera position estimate. */
export interface DetectionGeo {
  bearingDeg: number | null;
  ray: { from: LatLon; to: LatLon } | null;
  /** Point on the ray at the flat-ground range (method `ray`), or null. */
  rayPosition: LatLon | null;
}

/**
 * Bearing, ray (clipped to `rangeM`) and flat-ground position of a box (frame px).
 * Flat-ground range: depression of the box's bottom edge (where a plume or fire meets the ground) =
 * tilt + atan((2v − 1) · tan(vfov/2)), with tan(vfov/2) = tan(hfov/2) · H / W (square pixels, pinhole), and
 * range = mast height / tan(depression). Only used when the preset has a tilt, the depression is ≥ 0.05° and
 * the range is within `rangeM`; on real terrain this is a rough estimate (a 0.1° error at 2 km from a 40 m
 * mast moves the point by ~10 %).
 */
export function detectionGeo(
  box: { x: number; y: number; w: number; h: number },
  frameW: number,
  frameH: number,
  g: CameraGeo,
): DetectionGeo {
  if (g.azimuthDeg === undefined || g.hfovDeg === undefined)
    return { bearingDeg: null, ray: null, rayPosition: null };
  const b = bearingDeg(g.azimuthDeg, g.hfovDeg, (box.x + box.w / 2) / frameW);
  if (!g.location) return { bearingDeg: b, ray: null, rayPosition: null };
  const from = { lat: g.location.lat, lon: g.location.lon };
  const ray = { from, to: destination(from, b, g.rangeM) };
  let rayPosition: LatLon | null = null;
  if (g.tiltDeg !== undefined) {
    const v = (box.y + box.h) / frameH;
    const tanHalfV = Math.tan(rad(g.hfovDeg) / 2) * (frameH / frameW);
    const dep = g.tiltDeg + deg(Math.atan((2 * v - 1) * tanHalfV));
    if (dep >= 0.05) {
      const range = g.location.heightM / Math.tan(rad(dep));
      if (range <= g.rangeM) rayPosition = destination(from, b, range);
    }
  }
  return { bearingDeg: b, ray, rayPosition };
}
