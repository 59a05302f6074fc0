import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import L from '../../leaflet.ts';
import '@geoman-io/leaflet-geoman-free';
import '@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css';
import type {
  JurisdictionFeature,
  LatLon,
  PolygonGeometry,
  ZoneFeature,
} from '../../../../services/dispatch/schemas.ts';

/** Props of {@link AreaMap}. */
export interface AreaMapProps {
  jurisdictions: readonly JurisdictionFeature[];
  zones: readonly ZoneFeature[];
  /** Features not drawn in the background (the one being edited), by `properties.id`. */
  hideId?: string | null;
  /** Geometry being edited: drawn highlighted with draggable vertices; null for none. */
  editGeometry?: PolygonGeometry | null;
  /** A polygon was drawn or edited. */
  onGeometry?: (g: PolygonGeometry) => void;
  /** Increment to start drawing a new polygon (click the points, click the first point to finish). */
  drawSignal?: number;
  /** Pick mode: a click on the map reports the point. */
  onPick?: (p: LatLon) => void;
  picked?: LatLon | null;
  testId: string;
}

const JURISDICTION_STYLE: L.PathOptions = {
  color: '#3a5f8a',
  weight: 2,
  dashArray: '6 4',
  fillOpacity: 0.05,
};
const ZONE_STYLE: L.PathOptions = { color: '#ffb020', weight: 2, fillOpacity: 0.25 };
const EDIT_STYLE: L.PathOptions = { color: '#ff4d4f', weight: 3, fillOpacity: 0.3 };

const isPolygon = (g: unknown): g is PolygonGeometry =>
  typeof g === 'object' && g !== null && 'type' in g && (g.type === 'Polygon' || g.type === 'MultiPolygon');

/**
 * The site's jurisdictions (dashed outlines) and special zones (filled) on a plain background — no tile
 * server: the console runs offline. Draws and edits polygons with leaflet-geoman.
 */
export function AreaMap(p: AreaMapProps) {
  const { t, i18n } = useTranslation();
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const background = useRef<L.FeatureGroup | null>(null);
  const editLayer = useRef<L.GeoJSON | null>(null);
  const pickMarker = useRef<L.CircleMarker | null>(null);
  const fitted = useRef(false);
  const cb = useRef(p);
  cb.current = p;

  useEffect(() => {
    if (!el.current) return;
    const m = L.map(el.current, {
      minZoom: 3,
      maxZoom: 19,
      attributionControl: false,
      doubleClickZoom: false,
    });
    m.setView([34.27, 108.95], 12);
    m.pm.setLang(i18n.language.startsWith('zh') ? 'zh' : 'en');
    m.pm.setGlobalOptions({ allowSelfIntersection: false });
    background.current = L.featureGroup().addTo(m);
    m.on('pm:create', (e) => {
      const g = (e.layer as L.Polygon).toGeoJSON().geometry;
      m.removeLayer(e.layer);
      if (isPolygon(g)) cb.current.onGeometry?.(g);
    });
    m.on('click', (e: L.LeafletMouseEvent) => {
      if (m.pm.globalDrawModeEnabled()) return;
      cb.current.onPick?.({ lat: e.latlng.lat, lon: e.latlng.lng });
    });
    map.current = m;
    return () => {
      m.remove();
      map.current = null;
      fitted.current = false;
    };
  }, [i18n.language]);

  // Background layers.
  useEffect(() => {
    const m = map.current;
    const bg = background.current;
    if (!m || !bg) return;
    bg.clearLayers();
    for (const f of p.jurisdictions) {
      if (f.properties.id === p.hideId) continue;
      L.geoJSON(f, { style: JURISDICTION_STYLE, pmIgnore: true, interactive: true })
        .bindTooltip(`${t('adminDispatch.area.jurisdiction')}: ${f.properties.name}`)
        .addTo(bg);
    }
    for (const f of p.zones) {
      if (f.properties.id === p.hideId) continue;
      L.geoJSON(f, { style: ZONE_STYLE, pmIgnore: true })
        .bindTooltip(`${t(`zoneType.${f.properties.zoneType}`)}: ${f.properties.name}`)
        .addTo(bg);
    }
    if (!fitted.current && bg.getLayers().length > 0) {
      m.fitBounds(bg.getBounds(), { padding: [12, 12] });
      fitted.current = true;
    }
  }, [p.jurisdictions, p.zones, p.hideId, t]);

  // The polygon being edited.
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    editLayer.current?.remove();
    editLayer.current = null;
    if (!p.editGeometry) return;
    const layer = L.geoJSON(p.editGeometry, { style: EDIT_STYLE }).addTo(m);
    for (const l of layer.getLayers()) {
      const poly = l as L.Polygon;
      poly.pm.enable({ allowSelfIntersection: false });
      poly.on('pm:edit', () => {
        const g = poly.toGeoJSON().geometry;
        if (isPolygon(g)) cb.current.onGeometry?.(g);
      });
    }
    editLayer.current = layer;
  }, [p.editGeometry]);

  // Start drawing.
  useEffect(() => {
    if (!p.drawSignal || !map.current) return;
    map.current.pm.enableDraw('Polygon', { snappable: true, allowSelfIntersection: false });
  }, [p.drawSignal]);

  // The picked point (routing test).
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    pickMarker.current?.remove();
    pickMarker.current = p.picked
      ? L.circleMarker([p.picked.lat, p.picked.lon], { radius: 7, color: '#ff4d4f', fillOpacity: 0.8 }).addTo(
          m,
        )
      : null;
  }, [p.picked]);

  return (
    <div
      ref={el}
      className="area-map"
      data-testid={p.testId}
      role="application"
      aria-label={t('adminDispatch.area.map')}
    />
  );
}
