/**
 * Routing (pure): from an alert's position to a suggested department.
 *
 * 1. Position. If the alert carries a position (`AlertPosition` from the lead's geolocation, when present),
 *    use it. Otherwise, if the camera's location, azimuth and horizontal field of view are known, cast a
 *    **bearing ray** from the camera through the centre of the detection box (pinhole model:
 *    `bearing = azimuth + atan((2u - 1) * tan(hfov / 2))`, `u` = box centre x / frame width) and sample
 *    points every `ray.stepM` metres from `ray.minRangeM` to `ray.maxRangeM` (great-circle destination
 *    formula, mean Earth radius 6 371 008.8 m). The **first sample inside a special zone** is taken as the
 *    position (a zone along the line of sight is the likeliest source); the jurisdiction is the one at that
 *    point. When no sample hits a zone, the first sample inside a jurisdiction is taken. Without any hit the
 *    camera position itself is used (`positionSource: 'camera'`). Overlapping polygons: the first feature in
 *    file order wins.
 * 2. Rule. Every rule whose given conditions (alertType, zoneType, zoneId, jurisdictionId) all match is a candidate;
 *    the most specific (most conditions given) wins, then the higher `priority`, then the earlier rule.
 *    Without a matching rule, the department bound to the jurisdiction (its street office) is suggested when
 *    `fallbackToJurisdiction` is true. Otherwise the suggestion is null and duty staff choose.
 */
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import type { Alert } from '../schemas/api.ts';
import type { DetectionType } from '../schemas/config.ts';
import type {
  Department,
  JurisdictionFeature,
  LatLon,
  PositionSource,
  RulesFile,
  ZoneFeature,
  ZoneType,
} from './schemas.ts';

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS_M = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** Everything routing needs, loaded from `camera-config/<site>/dispatch/` (see `config.ts`). */
export interface RoutingData {
  departments: Department[];
  jurisdictions: JurisdictionFeature[];
  zones: ZoneFeature[];
  rules: RulesFile;
}

/** Camera geometry for the bearing ray: WGS84 location, azimuth of the image centre and horizontal FOV (deg). */
export interface CameraGeo {
  location: LatLon | null;
  azimuthDeg: number | null;
  hfovDeg: number | null;
}

/** Routing outcome stored on the case. `matchedBy`: index of the winning rule, `jurisdiction` or null. */
export interface RoutingResult {
  position: LatLon | null;
  positionSource: PositionSource;
  jurisdictionId: string | null;
  zoneId: string | null;
  zoneType: ZoneType | null;
  suggestedDepartmentId: string | null;
  matchedBy: number | 'jurisdiction' | null;
}

/**
 * Great-circle destination from `origin` after `distanceM` metres on initial bearing `bearingDeg` (0 = north,
 * clockwise). Spherical Earth; error < 0.5 % at these ranges.
 */
export function destinationPoint(origin: LatLon, bearingDeg: number, distanceM: number): LatLon {
  const d = distanceM / EARTH_RADIUS_M;
  const b = rad(bearingDeg);
  const lat1 = rad(origin.lat);
  const lon1 = rad(origin.lon);
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lon2 =
    lon1 +
    Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: deg(lat2), lon: ((deg(lon2) + 540) % 360) - 180 };
}

/**
 * Bearing (deg, 0..360) from the camera to the centre of a box, pinhole model.
 * @param boxCenterX box centre x in frame pixels; @param frameWidth frame width in pixels.
 */
export function bearingToPixel(
  azimuthDeg: number,
  hfovDeg: number,
  boxCenterX: number,
  frameWidth: number,
): number {
  const u = Math.min(1, Math.max(0, boxCenterX / frameWidth));
  const offset = deg(Math.atan((2 * u - 1) * Math.tan(rad(hfovDeg / 2))));
  return (((azimuthDeg + offset) % 360) + 360) % 360;
}

/** The first jurisdiction and the first zone (file order) containing `p`. */
export function locate(p: LatLon, data: Pick<RoutingData, 'jurisdictions' | 'zones'>) {
  const pt: [number, number] = [p.lon, p.lat];
  const jurisdiction = data.jurisdictions.find((f) => booleanPointInPolygon(pt, f.geometry)) ?? null;
  const zone = data.zones.find((f) => booleanPointInPolygon(pt, f.geometry)) ?? null;
  return { jurisdiction, zone };
}

/**
 * Samples the ray and returns the chosen point and what it lies in (see the module doc for the order), or
 * null when no sample hits a zone or jurisdiction.
 */
export function locateAlongRay(
  origin: LatLon,
  bearingDeg: number,
  ray: RulesFile['ray'],
  data: Pick<RoutingData, 'jurisdictions' | 'zones'>,
): { position: LatLon; jurisdiction: JurisdictionFeature | null; zone: ZoneFeature | null } | null {
  let firstJurisdiction: { position: LatLon; jurisdiction: JurisdictionFeature } | null = null;
  for (let r = ray.minRangeM; r <= ray.maxRangeM + 1e-9; r += ray.stepM) {
    const p = destinationPoint(origin, bearingDeg, r);
    const hit = locate(p, data);
    if (hit.zone) return { position: p, jurisdiction: hit.jurisdiction, zone: hit.zone };
    if (hit.jurisdiction && !firstJurisdiction)
      firstJurisdiction = { position: p, jurisdiction: hit.jurisdiction };
  }
  return firstJurisdiction ? { ...firstJurisdiction, zone: null } : null;
}

/**
 * The most specific matching rule's department, else the jurisdiction's department (when enabled), else null.
 */
export function suggestDepartment(
  facts: {
    alertType: DetectionType;
    zoneType: ZoneType | null;
    jurisdiction: JurisdictionFeature | null;
    /** Id of the special zone hit (optional for callers that only know the type). */
    zoneId?: string | null;
  },
  rules: RulesFile,
): { departmentId: string | null; matchedBy: number | 'jurisdiction' | null } {
  let best: { i: number; specificity: number; priority: number } | null = null;
  rules.rules.forEach((r, i) => {
    if (r.alertType !== undefined && r.alertType !== facts.alertType) return;
    if (r.zoneType !== undefined && r.zoneType !== facts.zoneType) return;
    if (r.jurisdictionId !== undefined && r.jurisdictionId !== facts.jurisdiction?.properties.id) return;
    if (r.zoneId !== undefined && r.zoneId !== (facts.zoneId ?? null)) return;
    const specificity = [r.alertType, r.zoneType, r.zoneId, r.jurisdictionId].filter(
      (x) => x !== undefined,
    ).length;
    if (
      !best ||
      specificity > best.specificity ||
      (specificity === best.specificity && r.priority > best.priority)
    ) {
      best = { i, specificity, priority: r.priority };
    }
  });
  const winner = best as { i: number } | null;
  if (winner) return { departmentId: rules.rules[winner.i]!.departmentId, matchedBy: winner.i };
  if (rules.fallbackToJurisdiction && facts.jurisdiction) {
    return { departmentId: facts.jurisdiction.properties.departmentId, matchedBy: 'jurisdiction' };
  }
  return { departmentId: null, matchedBy: null };
}

/**
 * Routes an alert: position (alert position, else bearing ray, else camera), zone, jurisdiction, suggestion.
 * @param alertPosition a known position of the detection (null when only the camera bearing is known).
 * @param camera the camera geometry, or null when the camera is unknown.
 */
export function routeAlert(
  alert: Pick<Alert, 'type' | 'box' | 'frameWidth'>,
  alertPosition: LatLon | null,
  camera: CameraGeo | null,
  data: RoutingData,
): RoutingResult {
  let position: LatLon | null = null;
  let positionSource: PositionSource = 'none';
  let jurisdiction: JurisdictionFeature | null = null;
  let zone: ZoneFeature | null = null;
  if (alertPosition) {
    position = alertPosition;
    positionSource = 'alert';
    ({ jurisdiction, zone } = locate(alertPosition, data));
  } else if (camera?.location) {
    const hit =
      camera.azimuthDeg !== null && camera.hfovDeg !== null
        ? locateAlongRay(
            camera.location,
            bearingToPixel(
              camera.azimuthDeg,
              camera.hfovDeg,
              alert.box.x + alert.box.w / 2,
              alert.frameWidth,
            ),
            data.rules.ray,
            data,
          )
        : null;
    if (hit) {
      ({ position, jurisdiction, zone } = hit);
      positionSource = 'bearing_ray';
    } else {
      position = camera.location;
      positionSource = 'camera';
      ({ jurisdiction, zone } = locate(camera.location, data));
    }
  }
  const s = suggestDepartment(
    {
      alertType: alert.type,
      zoneType: zone?.properties.zoneType ?? null,
      zoneId: zone?.properties.id ?? null,
      jurisdiction,
    },
    data.rules,
  );
  return {
    position,
    positionSource,
    jurisdictionId: jurisdiction?.properties.id ?? null,
    zoneId: zone?.properties.id ?? null,
    zoneType: zone?.properties.zoneType ?? null,
    suggestedDepartmentId: s.departmentId,
    matchedBy: s.matchedBy,
  };
}
