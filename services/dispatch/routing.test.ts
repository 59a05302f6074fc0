import { describe, expect, it } from 'vitest';
import {
  bearingToPixel,
  destinationPoint,
  routeAlert,
  suggestDepartment,
  type RoutingData,
} from './routing.ts';
import type { JurisdictionFeature, RulesFile } from './schemas.ts';
import { DEMO_CAMERAS, demoDispatchConfig, makeAlert } from './testSupport.ts';

const square = (lon0: number, lat0: number, lon1: number, lat1: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lon0, lat0],
      [lon1, lat0],
      [lon1, lat1],
      [lon0, lat1],
      [lon0, lat0],
    ] as [number, number][],
  ],
});
const jur = (id: string, dept: string, g: ReturnType<typeof square>): JurisdictionFeature => ({
  type: 'Feature',
  properties: { id, name: id, departmentId: dept },
  geometry: g,
});
const rules = (r: RulesFile['rules'], fallbackToJurisdiction = true): RulesFile => ({
  rules: r,
  fallbackToJurisdiction,
  ray: { stepM: 100, minRangeM: 100, maxRangeM: 3000 },
});

describe('routing', () => {
  it('computes destinations and pixel bearings', () => {
    const p = destinationPoint({ lat: 34, lon: 108 }, 90, 1000);
    expect(p.lat).toBeCloseTo(34, 4);
    expect(p.lon).toBeCloseTo(108 + 1000 / (111_195 * Math.cos((34 * Math.PI) / 180)), 4);
    expect(bearingToPixel(350, 60, 320, 320)).toBeCloseTo(20, 6);
    expect(bearingToPixel(10, 60, 0, 320)).toBeCloseTo(340, 6);
    expect(bearingToPixel(45, 25, 160, 320)).toBeCloseTo(45, 6);
  });

  it('most specific rule wins, then priority, then order; falls back to the jurisdiction', () => {
    const j = jur('j1', 'street-1', square(0, 0, 1, 1));
    const r = rules([
      { alertType: 'smoke', departmentId: 'a', priority: 0 },
      { zoneType: 'farmland', departmentId: 'b', priority: 0 },
      { zoneType: 'farmland', departmentId: 'c', priority: 5 },
      { alertType: 'smoke', zoneType: 'farmland', jurisdictionId: 'j1', departmentId: 'd', priority: 0 },
    ]);
    expect(
      suggestDepartment({ alertType: 'smoke', zoneType: 'farmland', jurisdiction: j }, r).departmentId,
    ).toBe('d');
    expect(
      suggestDepartment({ alertType: 'hotspot', zoneType: 'farmland', jurisdiction: j }, r).departmentId,
    ).toBe('c');
    expect(
      suggestDepartment({ alertType: 'smoke', zoneType: null, jurisdiction: null }, r).departmentId,
    ).toBe('a');
    expect(suggestDepartment({ alertType: 'dust', zoneType: null, jurisdiction: j }, r)).toEqual({
      departmentId: 'street-1',
      matchedBy: 'jurisdiction',
    });
    expect(
      suggestDepartment({ alertType: 'dust', zoneType: null, jurisdiction: j }, rules([], false))
        .departmentId,
    ).toBeNull();
  });

  it('samples the bearing ray and takes the first zone hit', () => {
    const data: RoutingData = {
      departments: [],
      jurisdictions: [
        jur('near', 'street-near', square(108.0, 34.0, 108.01, 34.02)),
        jur('far', 'street-far', square(108.01, 34.0, 108.05, 34.02)),
      ],
      zones: [
        {
          type: 'Feature',
          properties: { id: 'z', name: 'z', zoneType: 'stockpile_yard' },
          geometry: square(108.02, 34.005, 108.03, 34.015),
        },
      ],
      rules: rules([{ zoneType: 'stockpile_yard', departmentId: 'cg', priority: 0 }]),
    };
    const cam = { location: { lat: 34.01, lon: 108.001 }, azimuthDeg: 90, hfovDeg: 40 };
    const r = routeAlert(makeAlert('a', { box: { x: 150, y: 0, w: 20, h: 10 } }), null, cam, data);
    expect(r).toMatchObject({
      positionSource: 'bearing_ray',
      zoneId: 'z',
      jurisdictionId: 'far',
      suggestedDepartmentId: 'cg',
      matchedBy: 0,
    });
    // Looking west: no zone; first jurisdiction hit along the ray is "near".
    const west = routeAlert(
      makeAlert('a'),
      null,
      { ...cam, location: { lat: 34.01, lon: 108.009 }, azimuthDeg: 270 },
      data,
    );
    expect(west).toMatchObject({
      positionSource: 'bearing_ray',
      zoneId: null,
      jurisdictionId: 'near',
      suggestedDepartmentId: 'street-near',
    });
    // A known position wins over the ray; no camera and no position → nothing.
    expect(routeAlert(makeAlert('a'), { lat: 34.01, lon: 108.025 }, cam, data)).toMatchObject({
      positionSource: 'alert',
      zoneId: 'z',
    });
    expect(routeAlert(makeAlert('a'), null, null, data)).toMatchObject({
      positionSource: 'none',
      suggestedDepartmentId: null,
    });
  });

  it('routes the demo cameras to the intended departments', () => {
    const cfg = demoDispatchConfig();
    const route = (cameraId: string, type: 'hotspot' | 'smoke' | 'dust') =>
      routeAlert(makeAlert('a', { cameraId, type }), null, DEMO_CAMERAS[cameraId]!, cfg);
    expect(route('tower-01-thermal', 'hotspot')).toMatchObject({
      zoneType: 'construction_site',
      suggestedDepartmentId: 'zhujian',
    });
    expect(route('tower-01-thermal', 'smoke')).toMatchObject({
      jurisdictionId: 'jd-hedong',
      suggestedDepartmentId: 'so-hedong',
    });
    expect(route('tower-02-thermal', 'hotspot')).toMatchObject({
      zoneType: 'industrial_park',
      suggestedDepartmentId: 'env',
    });
    expect(route('tower-03-visible', 'smoke')).toMatchObject({
      zoneType: 'farmland',
      suggestedDepartmentId: 'so-yanbei',
    });
    expect(route('tower-04-visible', 'dust')).toMatchObject({
      zoneType: 'stockpile_yard',
      suggestedDepartmentId: 'chengguan',
    });
    expect(route('tower-05-visible', 'smoke')).toMatchObject({
      zoneType: 'river_corridor',
      suggestedDepartmentId: 'chengguan',
    });
  });
});
