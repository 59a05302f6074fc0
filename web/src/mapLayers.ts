/**
 * District map data as Leaflet draws it, pure (Leaflet itself touches `window` on import, so it stays out of
 * here): GeoJSON `[lon, lat]` rings to Leaflet `[lat, lon]`, the alerts that have something to draw, the layer
 * switches and where to frame the view.
 */
import type { Alert, MapResponse } from '../../services/schemas/api.ts';

/** A Leaflet position, `[lat, lon]` degrees. */
export type LatLngTuple = [number, number];

/** The map's layers, each with its own switch and legend entry (drawn bottom to top in this order). */
export const MAP_LAYERS = ['jurisdictions', 'zones', 'fov', 'cameras', 'alerts'] as const;
export type MapLayer = (typeof MAP_LAYERS)[number];
export type LayerVisibility = Readonly<Record<MapLayer, boolean>>;
export const ALL_LAYERS: LayerVisibility = {
  jurisdictions: true,
  zones: true,
  fov: true,
  cameras: true,
  alerts: true,
};

/** GeoJSON ring (`[lon, lat]`) → Leaflet ring (`[lat, lon]`). */
export function ringLatLngs(ring: readonly (readonly number[])[]): LatLngTuple[] {
  return ring.map((p) => [p[1] ?? 0, p[0] ?? 0]);
}

/** Polygon / MultiPolygon geometry → Leaflet's nested rings (outer ring first, then holes, per polygon). */
export function polygonLatLngs(g: MapResponse['jurisdictions'][number]['geometry']): LatLngTuple[][][] {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  return polys.map((poly) => poly.map(ringLatLngs));
}

/** What the map draws for one alert: its bearing ray and its estimated position, when it has them. */
export interface AlertShape {
  alert: Alert;
  ray: [LatLngTuple, LatLngTuple] | null;
  position: { at: LatLngTuple; method: 'triangulated' | 'ray' } | null;
}

/** Shapes of the alerts that carry a ray or a position (others are not placed on the map). */
export function alertShapes(alerts: readonly Alert[]): AlertShape[] {
  const out: AlertShape[] = [];
  for (const a of alerts) {
    const ray: AlertShape['ray'] = a.ray
      ? [
          [a.ray.from.lat, a.ray.from.lon],
          [a.ray.to.lat, a.ray.to.lon],
        ]
      : null;
    const position = a.position
      ? { at: [a.position.lat, a.position.lon] as LatLngTuple, method: a.position.method }
      : null;
    if (ray || position) out.push({ alert: a, ray, position });
  }
  return out;
}

/** Bounds to frame, `[[south, west], [north, east]]`. */
export type FrameBounds = [LatLngTuple, LatLngTuple];

/**
 * Where to frame the view: around the given alerts' rays and positions when there are any (the alert detail),
 * else the whole district (`data.bounds`); null when there is nothing at all.
 */
export function frameBounds(data: MapResponse, focus: readonly AlertShape[] = []): FrameBounds | null {
  const pts: LatLngTuple[] = focus.flatMap((s) => [...(s.ray ?? []), ...(s.position ? [s.position.at] : [])]);
  if (pts.length > 0) {
    const lats = pts.map((p) => p[0]);
    const lons = pts.map((p) => p[1]);
    return [
      [Math.min(...lats), Math.min(...lons)],
      [Math.max(...lats), Math.max(...lons)],
    ];
  }
  const b = data.bounds;
  return b
    ? [
        [b.south, b.west],
        [b.north, b.east],
      ]
    : null;
}
