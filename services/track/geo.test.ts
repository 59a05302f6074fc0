import { describe, expect, it } from 'vitest';
import { bearingDeg, cameraGeoOf, destination, detectionGeo, toEnu, triangulate } from './geo.ts';

const O = { lat: 30, lon: 120 };

describe('bearingDeg (pinhole)', () => {
  it('is the azimuth at the centre and ±hfov/2 at the edges', () => {
    expect(bearingDeg(90, 60, 0.5)).toBeCloseTo(90, 9);
    expect(bearingDeg(90, 60, 1)).toBeCloseTo(120, 9);
    expect(bearingDeg(10, 60, 0)).toBeCloseTo(340, 9);
  });
  it('uses atan((2u-1)·tan(hfov/2)), not the linear approximation', () => {
    // u = 0.75, hfov 60°: atan(0.5·tan 30°) = 16.102°, linear would give 15°.
    expect(bearingDeg(0, 60, 0.75)).toBeCloseTo(16.1021, 3);
  });
});

describe('ENU and destination', () => {
  it('1 km north and east of the origin', () => {
    const n = destination(O, 0, 1000);
    expect(toEnu(O, n).y).toBeCloseTo(1000, 6);
    const e = destination(O, 90, 1000);
    expect(toEnu(O, e).x).toBeCloseTo(1000, 6);
    expect(toEnu(O, e).y).toBeCloseTo(0, 6);
  });
});

describe('triangulate', () => {
  const B = destination(O, 90, 2000); // camera B 2 km east of A
  const target = destination(O, 45, 1414.2136); // 1 km N, 1 km E of A
  const bearing = (from: { lat: number; lon: number }) => {
    const d = toEnu(from, target);
    return ((Math.atan2(d.x, d.y) * 180) / Math.PI + 360) % 360;
  };
  it('finds the crossing point of two rays', () => {
    const r = triangulate(
      { camera: O, bearingDeg: bearing(O), rangeM: 3000 },
      { camera: B, bearingDeg: bearing(B), rangeM: 3000 },
    );
    expect(r).not.toBeNull();
    const e = toEnu(O, r!.position);
    expect(e.x).toBeCloseTo(1000, 0);
    expect(e.y).toBeCloseTo(1000, 0);
    expect(r!.angleDeg).toBeCloseTo(90, 1);
  });
  it('rejects near-parallel rays, points behind a camera and beyond range', () => {
    expect(
      triangulate({ camera: O, bearingDeg: 0, rangeM: 3000 }, { camera: B, bearingDeg: 355, rangeM: 3000 }),
    ).toBeNull();
    expect(
      triangulate({ camera: O, bearingDeg: 225, rangeM: 3000 }, { camera: B, bearingDeg: 315, rangeM: 3000 }),
    ).toBeNull();
    expect(
      triangulate(
        { camera: O, bearingDeg: bearing(O), rangeM: 1000 },
        { camera: B, bearingDeg: bearing(B), rangeM: 3000 },
      ),
    ).toBeNull();
  });
});

describe('detectionGeo', () => {
  const g = { location: { ...O, heightM: 40 }, azimuthDeg: 0, hfovDeg: 60, rangeM: 3000 };
  it('gives the bearing and the ray clipped to range', () => {
    const d = detectionGeo({ x: 310, y: 100, w: 20, h: 20 }, 640, 480, g);
    expect(d.bearingDeg).toBeCloseTo(0, 6);
    expect(toEnu(O, d.ray!.to).y).toBeCloseTo(3000, 3);
    expect(d.rayPosition).toBeNull();
  });
  it('estimates a flat-ground range from the preset tilt', () => {
    // box bottom at the image centre row, tilt 1.5° down: range = 40 / tan(1.5°) = 1527.4 m
    const d = detectionGeo({ x: 310, y: 220, w: 20, h: 20 }, 640, 480, { ...g, tiltDeg: 1.5 });
    expect(toEnu(O, d.rayPosition!).y).toBeCloseTo(1527.4, 0);
  });
  it('has no bearing without azimuth/hfov', () => {
    expect(detectionGeo({ x: 0, y: 0, w: 1, h: 1 }, 10, 10, { rangeM: 3000 }).bearingDeg).toBeNull();
  });
});

describe('cameraGeoOf', () => {
  it('preset pointing overrides the camera', () => {
    const cam = {
      azimuthDeg: 10,
      hfovDeg: 50,
      rangeM: 3000,
      presets: [{ id: 'p1', azimuthDeg: 200, tiltDeg: 2 }],
    };
    expect(cameraGeoOf(cam, 'p1')).toMatchObject({ azimuthDeg: 200, hfovDeg: 50, tiltDeg: 2 });
    expect(cameraGeoOf(cam, null)).toMatchObject({ azimuthDeg: 10, tiltDeg: undefined });
  });
});
