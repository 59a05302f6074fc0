import { describe, expect, it } from 'vitest';
import {
  gridColumns,
  initialTiles,
  parseWallParams,
  rotateTiles,
  unacknowledgedByCamera,
  wallSearch,
  WALL_LAYOUTS,
  type WallTiles,
} from './wall.ts';

const cams = (n: number) => Array.from({ length: n }, (_, i) => `c${i + 1}`);
const none = new Set<string>();

describe('wall parameters', () => {
  it('defaults, validates and clamps', () => {
    expect(parseWallParams('')).toEqual({ panel: 1, layout: 4, dwellS: 15 });
    expect(parseWallParams('?panel=6&layout=16&dwell=30')).toEqual({ panel: 6, layout: 16, dwellS: 30 });
    expect(parseWallParams('?panel=7&layout=5&dwell=abc')).toEqual({ panel: 1, layout: 4, dwellS: 15 });
    expect(parseWallParams('?panel=0&layout=-4&dwell=1').dwellS).toBe(5);
    expect(parseWallParams('?dwell=999999').dwellS).toBe(3600);
    expect(parseWallParams('?panel=2.5').panel).toBe(1);
  });

  it('wallSearch is the inverse of parseWallParams', () => {
    for (const layout of WALL_LAYOUTS) {
      const p = { panel: 3, layout, dwellS: 60 };
      expect(parseWallParams(wallSearch(p))).toEqual(p);
    }
  });

  it('grids are square', () => {
    expect(WALL_LAYOUTS.map(gridColumns)).toEqual([1, 2, 3, 4]);
  });
});

describe('initialTiles', () => {
  it('shows every camera without rotation when they fit', () => {
    expect(initialTiles(cams(5), 9, 3)).toEqual({
      tiles: ['c1', 'c2', 'c3', 'c4', 'c5', null, null, null, null],
      cursor: 0,
    });
  });

  it('starts each panel at a different place in the list', () => {
    expect(initialTiles(cams(10), 4, 1)).toEqual({ tiles: ['c1', 'c2', 'c3', 'c4'], cursor: 4 });
    expect(initialTiles(cams(10), 4, 2)).toEqual({ tiles: ['c5', 'c6', 'c7', 'c8'], cursor: 8 });
    expect(initialTiles(cams(10), 4, 3)).toEqual({ tiles: ['c9', 'c10', 'c1', 'c2'], cursor: 2 });
    expect(initialTiles([], 1, 1)).toEqual({ tiles: [null], cursor: 0 });
  });
});

describe('rotateTiles', () => {
  it('pages through the cameras cyclically, every camera in turn', () => {
    const ids = cams(5);
    let s: WallTiles = initialTiles(ids, 4, 1);
    const seen: (string | null)[][] = [s.tiles];
    for (let i = 0; i < 3; i++) {
      s = rotateTiles(s, ids, 4, none);
      seen.push(s.tiles);
    }
    expect(seen).toEqual([
      ['c1', 'c2', 'c3', 'c4'],
      ['c5', 'c1', 'c2', 'c3'],
      ['c4', 'c5', 'c1', 'c2'],
      ['c3', 'c4', 'c5', 'c1'],
    ]);
  });

  it('one tile cycles through every camera', () => {
    const ids = cams(3);
    let s = initialTiles(ids, 1, 1);
    const shown = [s.tiles[0]];
    for (let i = 0; i < 4; i++) {
      s = rotateTiles(s, ids, 1, none);
      shown.push(s.tiles[0]);
    }
    expect(shown).toEqual(['c1', 'c2', 'c3', 'c1', 'c2']);
  });

  it('keeps a held tile in place while the others rotate, never showing a camera twice', () => {
    const ids = cams(6);
    const s0 = initialTiles(ids, 4, 1); // c1..c4, cursor 4
    const s1 = rotateTiles(s0, ids, 4, new Set(['c2']));
    expect(s1.tiles).toEqual(['c5', 'c2', 'c6', 'c1']);
    const s2 = rotateTiles(s1, ids, 4, new Set(['c2']));
    expect(s2.tiles).toEqual(['c3', 'c2', 'c4', 'c5']);
    expect(new Set(s2.tiles).size).toBe(4);
    // Released (acknowledged or closed): its tile rotates again, the camera comes round in the regular order.
    const s3 = rotateTiles(s2, ids, 4, none);
    expect(s3.tiles).toEqual(['c6', 'c1', 'c2', 'c3']);
  });

  it('puts a held camera that is not on the wall up at the next rotation', () => {
    const ids = cams(8);
    const s0 = initialTiles(ids, 4, 1); // c1..c4
    const s1 = rotateTiles(s0, ids, 4, new Set(['c7']));
    expect(s1.tiles).toEqual(['c7', 'c5', 'c6', 'c8']);
  });

  it('with every tile held, nothing moves and the order is not advanced', () => {
    const ids = cams(6);
    const s0 = initialTiles(ids, 1, 1);
    const s1 = rotateTiles(s0, ids, 1, new Set(['c1', 'c3']));
    expect(s1).toEqual(s0);
  });

  it('does not rotate when all cameras fit, and drops cameras that left the list', () => {
    expect(rotateTiles({ tiles: ['c1', 'c2', 'c3', 'c4'], cursor: 0 }, cams(3), 4, none)).toEqual({
      tiles: ['c1', 'c2', 'c3', null],
      cursor: 0,
    });
    const s = rotateTiles({ tiles: ['gone', 'c2'], cursor: 7 }, cams(5), 1, new Set(['gone']));
    expect(s.tiles).toEqual(['c3']);
  });
});

describe('unacknowledgedByCamera', () => {
  it('groups open, unacknowledged alerts by camera', () => {
    const m = unacknowledgedByCamera(
      [
        { id: 'a1', cameraId: 'c1', status: 'open' },
        { id: 'a2', cameraId: 'c1', status: 'open' },
        { id: 'a3', cameraId: 'c2', status: 'closed' },
        { id: 'a4', cameraId: 'c3', status: 'open' },
      ],
      new Set(['a4']),
    );
    expect([...m.entries()]).toEqual([['c1', ['a1', 'a2']]]);
  });
});
