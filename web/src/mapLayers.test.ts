import { describe, expect, it } from 'vitest';
import type { Alert, MapResponse } from '../../services/schemas/api.ts';
import { alertShapes, frameBounds, polygonLatLngs, ringLatLngs } from './mapLayers.ts';

const base: Alert = {
  id: 'a1',
  type: 'hotspot',
  status: 'open',
  cameraId: 'c1',
  cameraName: 'C1',
  presetId: null,
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-01-01T00:00:00.000Z',
  closedAt: null,
  peakScore: 0.9,
  box: { x: 0, y: 0, w: 1, h: 1 },
  frameWidth: 10,
  frameHeight: 10,
  hits: 2,
  snapshotUrl: '/x.jpg',
};

const data = (bounds: MapResponse['bounds']): MapResponse => ({
  site: { id: 's', name: 'S' },
  bounds,
  tiles: null,
  cameras: [],
  jurisdictions: [],
  zones: [],
});

describe('map layers', () => {
  it('swaps GeoJSON [lon, lat] into Leaflet [lat, lon], for polygons and multipolygons', () => {
    expect(ringLatLngs([[108.9, 34.2]])).toEqual([[34.2, 108.9]]);
    const ring: [number, number][] = [
      [1, 2],
      [3, 4],
      [5, 6],
      [1, 2],
    ];
    expect(polygonLatLngs({ type: 'Polygon', coordinates: [ring] })).toEqual([
      [
        [
          [2, 1],
          [4, 3],
          [6, 5],
          [2, 1],
        ],
      ],
    ]);
    expect(polygonLatLngs({ type: 'MultiPolygon', coordinates: [[ring], [ring]] })).toHaveLength(2);
  });

  it('places only alerts with a ray or a position', () => {
    const shapes = alertShapes([
      base,
      { ...base, id: 'a2', ray: { from: { lat: 1, lon: 2 }, to: { lat: 3, lon: 4 } }, position: null },
      { ...base, id: 'a3', ray: null, position: { lat: 5, lon: 6, method: 'triangulated' } },
    ]);
    expect(shapes.map((s) => s.alert.id)).toEqual(['a2', 'a3']);
    expect(shapes[0]!.ray).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(shapes[1]!.position).toEqual({ at: [5, 6], method: 'triangulated' });
  });

  it('frames the focused alerts, else the district, else nothing', () => {
    const d = data({ south: 0, west: 0, north: 10, east: 10 });
    const shapes = alertShapes([
      {
        ...base,
        ray: { from: { lat: 1, lon: 8 }, to: { lat: 3, lon: 4 } },
        position: { lat: 2, lon: 9, method: 'ray' },
      },
    ]);
    expect(frameBounds(d, shapes)).toEqual([
      [1, 4],
      [3, 9],
    ]);
    expect(frameBounds(d)).toEqual([
      [0, 0],
      [10, 10],
    ]);
    expect(frameBounds(data(null))).toBeNull();
  });
});
