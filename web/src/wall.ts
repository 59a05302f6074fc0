/**
 * Video wall logic, pure (no React, no DOM): the URL parameters of one LED panel's page, the tile grid, and
 * the rotation of cameras through the tiles. A tile whose camera has an open, not yet acknowledged alert is
 * HELD: it keeps its camera while the other tiles rotate, and a held camera that is not on the wall is put
 * on it at the next rotation, before the regular order.
 */

/** Tiles per panel: 1×1, 2×2, 3×3, 4×4. */
export const WALL_LAYOUTS = [1, 4, 9, 16] as const;
export type WallLayout = (typeof WALL_LAYOUTS)[number];

/** LED panels of the district's video wall; each opens its own page (`/wall?panel=N`). */
export const WALL_PANELS = 6;
export const DEFAULT_LAYOUT: WallLayout = 4;
/** Default time a camera stays on a tile before the next one, s. */
export const DEFAULT_DWELL_S = 15;
/** Dwell bounds, s: shorter than 5 s does not let a live view start (keyframe + MSE); longer than 1 h is "fixed". */
export const MIN_DWELL_S = 5;
export const MAX_DWELL_S = 3600;
/** Choices offered by the page (any value within the bounds works in the URL). */
export const DWELL_CHOICES_S = [10, 15, 30, 60, 300] as const;

/** One panel's page settings, as carried in the URL. */
export interface WallParams {
  /** 1..{@link WALL_PANELS}. */
  panel: number;
  layout: WallLayout;
  /** Seconds a camera stays on a tile, {@link MIN_DWELL_S}..{@link MAX_DWELL_S}. */
  dwellS: number;
}

export const isWallLayout = (n: number): n is WallLayout => (WALL_LAYOUTS as readonly number[]).includes(n);

/** Columns (= rows) of a layout's square grid. */
export const gridColumns = (layout: WallLayout): number => Math.round(Math.sqrt(layout));

function intParam(q: URLSearchParams, name: string): number | null {
  const v = q.get(name);
  if (v === null || !/^\d{1,6}$/.test(v)) return null;
  return Number(v);
}

/**
 * Settings from a query string (`?panel=2&layout=9&dwell=30`). Missing or invalid values fall back to the
 * defaults (panel 1, {@link DEFAULT_LAYOUT}, {@link DEFAULT_DWELL_S}); a dwell outside the bounds is clamped.
 */
export function parseWallParams(search: string): WallParams {
  const q = new URLSearchParams(search);
  const panel = intParam(q, 'panel');
  const layout = intParam(q, 'layout');
  const dwell = intParam(q, 'dwell');
  return {
    panel: panel !== null && panel >= 1 && panel <= WALL_PANELS ? panel : 1,
    layout: layout !== null && isWallLayout(layout) ? layout : DEFAULT_LAYOUT,
    dwellS: dwell === null ? DEFAULT_DWELL_S : Math.min(MAX_DWELL_S, Math.max(MIN_DWELL_S, dwell)),
  };
}

/** Query string of settings (inverse of {@link parseWallParams} for valid settings). */
export function wallSearch(p: WallParams): string {
  return `?panel=${p.panel}&layout=${p.layout}&dwell=${p.dwellS}`;
}

/** Which camera each tile shows (null = empty tile) and where the regular order continues. */
export interface WallTiles {
  /** Exactly `layout` entries. */
  tiles: (string | null)[];
  /** Index into the camera list of the next camera in the regular order. */
  cursor: number;
}

/**
 * First assignment of a panel. With no more cameras than tiles every camera is shown (from the first, the rest
 * of the tiles empty) and nothing rotates; otherwise panel N starts `(N − 1) · layout` cameras into the list, so
 * the six panels open on different cameras.
 * @param cameraIds the cameras on the wall, in display order (ids are unique).
 */
export function initialTiles(cameraIds: readonly string[], layout: WallLayout, panel: number): WallTiles {
  const n = cameraIds.length;
  if (n <= layout) return { tiles: padded(cameraIds, layout), cursor: 0 };
  const start = ((((panel - 1) * layout) % n) + n) % n;
  const tiles = Array.from({ length: layout }, (_, i) => cameraIds[(start + i) % n] ?? null);
  return { tiles, cursor: (start + layout) % n };
}

/**
 * One dwell step. Held tiles (their camera is in `held` and still on the list) keep their camera. The other
 * tiles take, in order: held cameras that are not on the wall (list order), then the next cameras in the regular
 * cyclic order from the cursor, skipping cameras already on the wall; a tile stays empty only when every camera
 * is already shown. With no more cameras than tiles, everything is shown and nothing moves.
 * @param held cameras with an open alert not acknowledged on this wall.
 */
export function rotateTiles(
  state: WallTiles,
  cameraIds: readonly string[],
  layout: WallLayout,
  held: ReadonlySet<string>,
): WallTiles {
  const n = cameraIds.length;
  if (n <= layout) return { tiles: padded(cameraIds, layout), cursor: 0 };
  const known = new Set(cameraIds);
  const tiles: (string | null)[] = Array.from({ length: layout }, (_, i) => {
    const id = state.tiles[i] ?? null;
    return id !== null && known.has(id) && held.has(id) ? id : null;
  });
  const shown = new Set(tiles.filter((id): id is string => id !== null));
  const pending = cameraIds.filter((id) => held.has(id) && !shown.has(id));
  let cursor = ((state.cursor % n) + n) % n;
  let scanned = 0;
  for (let i = 0; i < layout; i++) {
    if (tiles[i] !== null) continue;
    let next = pending.shift();
    while (next === undefined && scanned < n) {
      const c = cameraIds[cursor]!;
      cursor = (cursor + 1) % n;
      scanned++;
      if (!shown.has(c)) next = c;
    }
    if (next === undefined) break;
    tiles[i] = next;
    shown.add(next);
  }
  return { tiles, cursor };
}

function padded(ids: readonly string[], layout: number): (string | null)[] {
  return Array.from({ length: layout }, (_, i) => ids[i] ?? null);
}

/**
 * Open alerts that this wall has not acknowledged, grouped by camera (ids in the given order). Closed alerts
 * never count: an alert that closes releases its tile by itself.
 */
export function unacknowledgedByCamera(
  alerts: readonly { id: string; cameraId: string; status: 'open' | 'closed' }[],
  acknowledged: ReadonlySet<string>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of alerts) {
    if (a.status !== 'open' || acknowledged.has(a.id)) continue;
    const list = out.get(a.cameraId);
    if (list) list.push(a.id);
    else out.set(a.cameraId, [a.id]);
  }
  return out;
}
