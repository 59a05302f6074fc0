import { describe, expect, it } from 'vitest';
import type { JurisdictionFeature, ZoneFeature } from '../dispatch/schemas.ts';
import { MapResponse } from '../schemas/api.ts';
import { CameraConfig } from '../schemas/config.ts';
import { toEnu } from '../track/geo.ts';
import { boundsOf, buildMapData, fovWedge, mapCameraOf, mapTilesFromEnv } from './mapData.ts';

const O = { lat: 34.27, lon: 108.95 };
const cam = (extra: Record<string, unknown>) =>
  CameraConfig.parse({
    id: 'cam-a',
    name: 'Cam A',
    url: 'rtsp://127.0.0.1:8554/a',
    channel: 'visible',
    detectors: ['smoke'],
    ...extra,
  });

/** Bearing (deg from north) and distance (m) of a [lon, lat] position from O. */
function polar(p: readonly [number, number]) {
  const e = toEnu(O, { lon: p[0], lat: p[1] });
  return { bearing: ((Math.atan2(e.x, e.y) * 180) / Math.PI + 360) % 360, dist: Math.hypot(e.x, e.y) };
}

describe('fovWedge', () => {
  it('is a closed ring from the site over the arc at rangeM, spanning azimuth ± hfov/2', () => {
    const ring = fovWedge({ location: { ...O, heightM: 40 }, azimuthDeg: 90, hfovDeg: 60, rangeM: 2000 });
    expect(ring).not.toBeNull();
    const r = ring!;
    expect(r[0]).toEqual([O.lon, O.lat]);
    expect(r.at(-1)).toEqual(r[0]);
    const arc = r.slice(1, -1);
    expect(arc.length).toBe(31); // 60° in 2° steps → 30 segments
    for (const p of arc) expect(polar(p).dist).toBeCloseTo(2000, 3);
    expect(polar(arc[0]!).bearing).toBeCloseTo(60, 6);
    expect(polar(arc.at(-1)!).bearing).toBeCloseTo(120, 6);
    expect(polar(arc[15]!).bearing).toBeCloseTo(90, 6);
  });

  it('wraps across north and keeps at least two segments for a narrow view', () => {
    const r = fovWedge({ location: { ...O, heightM: 40 }, azimuthDeg: 5, hfovDeg: 3, rangeM: 1000 })!;
    expect(r.length).toBe(2 + 3);
    expect(polar(r[1]!).bearing).toBeCloseTo(3.5, 6);
    expect(polar(r[3]!).bearing).toBeCloseTo(6.5, 6);
    const w = fovWedge({ location: { ...O, heightM: 40 }, azimuthDeg: 0, hfovDeg: 20, rangeM: 1000 })!;
    expect(polar(w[1]!).bearing).toBeCloseTo(350, 6);
  });

  it('is null without location, azimuth or field of view', () => {
    expect(fovWedge({ azimuthDeg: 1, hfovDeg: 2, rangeM: 3 })).toBeNull();
    expect(fovWedge({ location: { ...O, heightM: 1 }, hfovDeg: 2, rangeM: 3 })).toBeNull();
    expect(fovWedge({ location: { ...O, heightM: 1 }, azimuthDeg: 2, rangeM: 3 })).toBeNull();
  });
});

describe('mapCameraOf', () => {
  it('gives a fixed camera one wedge from its own pointing', () => {
    const m = mapCameraOf(cam({ location: { ...O }, azimuthDeg: 45, hfovDeg: 25, rangeM: 1500 }));
    expect(m.location).toEqual({ ...O, heightM: 40 });
    expect(m.fov.map((f) => [f.presetId, f.azimuthDeg, f.hfovDeg])).toEqual([[null, 45, 25]]);
    expect(polar(m.fov[0]!.polygon[1]!).dist).toBeCloseTo(1500, 3);
  });

  it('gives a PTZ camera one wedge per preset, preset values overriding the camera, and skips unknown pointings', () => {
    const m = mapCameraOf(
      cam({
        location: { ...O },
        hfovDeg: 40,
        onvif: { host: '10.0.0.9' },
        presets: [
          { id: 'north', name: 'N', onvifToken: '1', azimuthDeg: 0 },
          { id: 'east', name: 'E', onvifToken: '2', azimuthDeg: 90, hfovDeg: 10 },
          { id: 'unknown', name: 'U', onvifToken: '3' },
        ],
      }),
    );
    expect(m.fov.map((f) => [f.presetId, f.azimuthDeg, f.hfovDeg])).toEqual([
      ['north', 0, 40],
      ['east', 90, 10],
    ]);
  });

  it('draws no wedge for a camera without a location', () => {
    const m = mapCameraOf(cam({ azimuthDeg: 45, hfovDeg: 25 }));
    expect(m.location).toBeNull();
    expect(m.fov).toEqual([]);
  });
});

describe('buildMapData', () => {
  const jur: JurisdictionFeature = {
    type: 'Feature',
    properties: { id: 'j1', name: 'J1', departmentId: 'd1' },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [108.9, 34.2],
          [109.1, 34.2],
          [109.1, 34.35],
          [108.9, 34.2],
        ],
      ],
    },
  };
  const zone: ZoneFeature = {
    type: 'Feature',
    properties: { id: 'z1', name: 'Z1', zoneType: 'construction_site' },
    geometry: {
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [108.95, 34.1],
            [108.96, 34.1],
            [108.96, 34.11],
            [108.95, 34.1],
          ],
        ],
      ],
    },
  };

  it('is a valid payload bounding cameras, wedges, jurisdictions and zones', () => {
    const m = buildMapData(
      { id: 's', name: 'Site' },
      [cam({ location: { ...O }, azimuthDeg: 0, hfovDeg: 10, rangeM: 10_000 })],
      { jurisdictions: [jur], zones: [zone] },
    );
    expect(MapResponse.parse(m)).toEqual(m);
    expect(m.tiles).toBeNull();
    expect(m.bounds!.south).toBeCloseTo(34.1, 9); // the zone
    expect(m.bounds!.west).toBeCloseTo(108.9, 9); // the jurisdiction
    expect(m.bounds!.north).toBeGreaterThan(34.35); // the 10 km wedge pointing north
    expect(m.jurisdictions).toEqual([jur]);
    expect(m.zones).toEqual([zone]);
  });

  it('has null bounds and empty layers when there is nothing to place', () => {
    const m = buildMapData({ id: 's', name: 'S' }, [cam({})], null);
    expect(m.bounds).toBeNull();
    expect(m.jurisdictions).toEqual([]);
    expect(MapResponse.parse(m)).toEqual(m);
  });

  it('boundsOf covers every point', () => {
    expect(
      boundsOf([
        [1, 2],
        [-3, 5],
        [2, -1],
      ]),
    ).toEqual({ south: -1, west: -3, north: 5, east: 2 });
  });
});

describe('mapTilesFromEnv', () => {
  it('is null when unset and validates the template', () => {
    expect(mapTilesFromEnv({})).toBeNull();
    expect(mapTilesFromEnv({ TOWERWATCH_MAP_TILE_URL: ' ' })).toBeNull();
    expect(
      mapTilesFromEnv({
        TOWERWATCH_MAP_TILE_URL: 'http://tiles.lan/{z}/{x}/{y}.png',
        TOWERWATCH_MAP_TILE_ATTRIBUTION: '© district GIS',
      }),
    ).toEqual({ url: 'http://tiles.lan/{z}/{x}/{y}.png', attribution: '© district GIS' });
    expect(() => mapTilesFromEnv({ TOWERWATCH_MAP_TILE_URL: 'http://tiles.lan/{z}.png' })).toThrow(
      /TOWERWATCH_MAP_TILE_URL/,
    );
    expect(() => mapTilesFromEnv({ TOWERWATCH_MAP_TILE_URL: 'file:///{z}/{x}/{y}' })).toThrow();
  });
});
