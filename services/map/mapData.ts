/**
 * Pure district-map geometry for `GET /api/map`: camera sites, field-of-view wedges per camera / PTZ preset,
 * jurisdiction and zone polygons, and their common bounding box. Computed once from the (static) configuration;
 * the bearing geometry itself lives in services/track/geo.ts and is reused, not re-derived, here.
 */
import type { JurisdictionFeature, ZoneFeature } from '../dispatch/schemas.ts';
import type { LonLatRing, MapCamera, MapFov, MapResponse } from '../schemas/api.ts';
import type { CameraConfig } from '../schemas/config.ts';
import { cameraGeoOf, destination, type CameraGeo } from '../track/geo.ts';

/** Largest angle between two consecutive arc points of a wedge, degrees (≤ 0.4 % chord error at 10°→2°). */
export const FOV_ARC_STEP_DEG = 2;

/**
 * The ground wedge a camera sees at one pointing: apex at the camera site, an arc at `rangeM` from
 * `azimuth − hfov/2` to `azimuth + hfov/2` (clockwise), back to the apex. Arc points every ≤ {@link FOV_ARC_STEP_DEG}°
 * (at least 2 segments), each placed with {@link destination} (local ENU plane, see geo.ts).
 * @returns a closed ring of `[lon, lat]` degrees (GeoJSON order), or null when the geometry lacks a location,
 *   azimuth or field of view.
 */
export function fovWedge(g: CameraGeo): LonLatRing | null {
  if (!g.location || g.azimuthDeg === undefined || g.hfovDeg === undefined) return null;
  const apex = { lat: g.location.lat, lon: g.location.lon };
  const steps = Math.max(2, Math.ceil(g.hfovDeg / FOV_ARC_STEP_DEG));
  const start = g.azimuthDeg - g.hfovDeg / 2;
  const ring: [number, number][] = [[apex.lon, apex.lat]];
  for (let i = 0; i <= steps; i++) {
    const p = destination(apex, start + (g.hfovDeg * i) / steps, g.rangeM);
    ring.push([p.lon, p.lat]);
  }
  ring.push([apex.lon, apex.lat]);
  return ring;
}

/**
 * A camera as the map draws it. A fixed camera (no presets) gets one wedge (presetId null) from its own
 * azimuth/hfov; a PTZ camera gets one wedge per preset, preset values overriding the camera's
 * ({@link cameraGeoOf}). Pointings without azimuth/hfov, and every wedge of a camera without a location, are left out.
 */
export function mapCameraOf(cam: CameraConfig): MapCamera {
  const presetIds: (string | null)[] = cam.presets.length === 0 ? [null] : cam.presets.map((p) => p.id);
  const fov: MapFov[] = [];
  for (const presetId of presetIds) {
    const g = cameraGeoOf(cam, presetId);
    const polygon = fovWedge(g);
    if (polygon && g.azimuthDeg !== undefined && g.hfovDeg !== undefined)
      fov.push({ presetId, azimuthDeg: g.azimuthDeg, hfovDeg: g.hfovDeg, polygon });
  }
  return {
    id: cam.id,
    name: cam.name,
    channel: cam.channel,
    location: cam.location ?? null,
    rangeM: cam.rangeM,
    fov,
  };
}

type Bounds = NonNullable<MapResponse['bounds']>;

/** Bounding box of `[lon, lat]` positions; null for none. */
export function boundsOf(points: Iterable<readonly [number, number]>): Bounds | null {
  let b: Bounds | null = null;
  for (const [lon, lat] of points) {
    if (b === null) b = { south: lat, west: lon, north: lat, east: lon };
    else {
      b.south = Math.min(b.south, lat);
      b.north = Math.max(b.north, lat);
      b.west = Math.min(b.west, lon);
      b.east = Math.max(b.east, lon);
    }
  }
  return b;
}

function* polygonPositions(f: JurisdictionFeature | ZoneFeature): Generator<readonly [number, number]> {
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  for (const poly of polys) for (const ring of poly) yield* ring;
}

/**
 * The whole `GET /api/map` payload.
 * @param site the site id and name (services/schemas/config.ts `site`).
 * @param cameras every configured camera (disabled ones too: their masts still stand).
 * @param routing jurisdictions and zones from the dispatch configuration, or null without one.
 * @param tiles optional raster tile source; null = plain background (offline).
 */
export function buildMapData(
  site: { id: string; name: string },
  cameras: readonly CameraConfig[],
  routing: { jurisdictions: JurisdictionFeature[]; zones: ZoneFeature[] } | null,
  tiles: { url: string; attribution: string } | null = null,
): MapResponse {
  const mapCameras = cameras.map(mapCameraOf);
  const jurisdictions = routing?.jurisdictions ?? [];
  const zones = routing?.zones ?? [];
  function* all(): Generator<readonly [number, number]> {
    for (const c of mapCameras) {
      if (c.location) yield [c.location.lon, c.location.lat];
      for (const f of c.fov) yield* f.polygon;
    }
    for (const f of jurisdictions) yield* polygonPositions(f);
    for (const f of zones) yield* polygonPositions(f);
  }
  return {
    site: { id: site.id, name: site.name },
    bounds: boundsOf(all()),
    tiles,
    cameras: mapCameras,
    jurisdictions,
    zones,
  };
}

/**
 * Optional tile source from the environment: `TOWERWATCH_MAP_TILE_URL` (an http(s) URL template with `{z}`,
 * `{x}` and `{y}`, e.g. a tile server inside the district network) and `TOWERWATCH_MAP_TILE_ATTRIBUTION`
 * (shown in the map corner). Unset or empty → null (plain background, no network requests).
 * @throws Error naming the variable when the URL is not an http(s) template with {z}, {x} and {y}.
 */
export function mapTilesFromEnv(
  env: Record<string, string | undefined>,
): { url: string; attribution: string } | null {
  const url = env['TOWERWATCH_MAP_TILE_URL']?.trim();
  if (!url) return null;
  if (!/^https?:\/\//.test(url) || !['{z}', '{x}', '{y}'].every((p) => url.includes(p)))
    throw new Error('TOWERWATCH_MAP_TILE_URL must be an http(s) URL template containing {z}, {x} and {y}');
  return { url, attribution: env['TOWERWATCH_MAP_TILE_ATTRIBUTION']?.trim() ?? '' };
}
