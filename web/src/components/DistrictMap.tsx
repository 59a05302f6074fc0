/**
 * The district map (Leaflet, SVG renderer). No tile server by default: the layers are drawn on a plain
 * background, so it works without internet; a tile layer is added only when the server configures one
 * (`TOWERWATCH_MAP_TILE_URL`). Markers are circle markers (no icon images, nothing fetched from a CDN); Leaflet's
 * CSS is bundled. Loaded lazily (see MapView.tsx) so the console does not carry Leaflet.
 *
 * Every SVG path gets a class per layer (`map-jurisdiction`, `map-zone`, `map-fov`, `map-camera`, `map-ray`,
 * `map-position`), which the styles and the browser tests use.
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert, MapResponse } from '../../../services/schemas/api.ts';
import {
  alertShapes,
  frameBounds,
  polygonLatLngs,
  MAP_LAYERS,
  type LayerVisibility,
  type MapLayer,
} from '../mapLayers.ts';
import { navigate } from '../router.ts';

export interface DistrictMapProps {
  data: MapResponse;
  /** Alerts whose bearing rays / positions are drawn. */
  alerts: readonly Alert[];
  layers: LayerVisibility;
  /** Frame these alerts (alert detail) instead of the whole district. */
  focusAlerts?: boolean;
  /** Clicking an alert's ray or position opens its page. */
  linkAlerts?: boolean;
  /** Camera to emphasise (the alert's camera on the alert detail). */
  highlightCameraId?: string;
  className?: string;
}

const STYLE = {
  jurisdiction: { color: '#5b8def', weight: 2, fillColor: '#5b8def', fillOpacity: 0.06 },
  zone: { color: '#ffb020', weight: 2, dashArray: '6 4', fillColor: '#ffb020', fillOpacity: 0.12 },
  fovThermal: { color: '#ff7a45', weight: 1, fillColor: '#ff7a45', fillOpacity: 0.14 },
  fovVisible: { color: '#36cfc9', weight: 1, fillColor: '#36cfc9', fillOpacity: 0.12 },
  camera: { color: '#0b1017', weight: 2, fillColor: '#ffffff', fillOpacity: 1 },
  ray: { color: '#ff4d4f', weight: 3, dashArray: '8 6' },
  position: { color: '#ff4d4f', weight: 2, fillColor: '#ff4d4f', fillOpacity: 0.85 },
} as const;

/** Tooltip content as a text node: Leaflet puts string content in as HTML, names come from configuration. */
function text(s: string): HTMLElement {
  const span = document.createElement('span');
  span.textContent = s;
  return span;
}

export function DistrictMap({
  data,
  alerts,
  layers,
  focusAlerts = false,
  linkAlerts = false,
  highlightCameraId,
  className,
}: DistrictMapProps) {
  const { t } = useTranslation();
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const groups = useRef<Record<MapLayer, L.FeatureGroup> | null>(null);
  const framed = useRef(false);

  // The map itself: created once per mount.
  useEffect(() => {
    if (!el.current) return;
    const m = L.map(el.current, {
      zoomControl: true,
      attributionControl: data.tiles !== null,
      zoomSnap: 0.25,
    });
    if (data.tiles)
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(m);
    const g = Object.fromEntries(MAP_LAYERS.map((k) => [k, L.featureGroup()])) as Record<
      MapLayer,
      L.FeatureGroup
    >;
    map.current = m;
    groups.current = g;
    framed.current = false;
    const ro = new ResizeObserver(() => m.invalidateSize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      m.remove();
      map.current = null;
      groups.current = null;
    };
  }, [data.tiles]);

  // Static layers: jurisdictions, zones, FOV wedges, camera sites.
  useEffect(() => {
    const g = groups.current;
    if (!g) return;
    g.jurisdictions.clearLayers();
    g.zones.clearLayers();
    g.fov.clearLayers();
    g.cameras.clearLayers();
    for (const j of data.jurisdictions) {
      L.polygon(polygonLatLngs(j.geometry), { ...STYLE.jurisdiction, className: 'map-jurisdiction' })
        .bindTooltip(text(j.properties.name), {
          permanent: true,
          direction: 'center',
          className: 'map-area-label',
        })
        .addTo(g.jurisdictions);
    }
    for (const z of data.zones) {
      L.polygon(polygonLatLngs(z.geometry), { ...STYLE.zone, className: 'map-zone' })
        .bindTooltip(text(`${z.properties.name} · ${t(`zoneType.${z.properties.zoneType}`)}`), {
          sticky: true,
        })
        .addTo(g.zones);
    }
    for (const c of data.cameras) {
      for (const f of c.fov) {
        const style = c.channel === 'thermal' ? STYLE.fovThermal : STYLE.fovVisible;
        const label = f.presetId === null ? c.name : `${c.name} · ${t('map.preset', { preset: f.presetId })}`;
        L.polygon(
          f.polygon.map(([lon, lat]) => [lat, lon] as [number, number]),
          { ...style, className: `map-fov map-fov-${c.channel}` },
        )
          .bindTooltip(
            text(
              `${label} · ${t('map.fovTip', { azimuth: f.azimuthDeg, hfov: f.hfovDeg, range: c.rangeM })}`,
            ),
            {
              sticky: true,
            },
          )
          .addTo(g.fov);
      }
      if (c.location) {
        const hi = c.id === highlightCameraId;
        L.circleMarker([c.location.lat, c.location.lon], {
          ...STYLE.camera,
          ...(hi ? { fillColor: '#ff4d4f' } : {}),
          radius: hi ? 9 : 7,
          className: 'map-camera',
        })
          .bindTooltip(text(c.name), {
            permanent: true,
            direction: 'right',
            offset: [8, 0],
            className: 'map-label',
          })
          .addTo(g.cameras);
      }
    }
    // Redrawn paths are appended on top: keep sites and alerts above the areas.
    g.cameras.bringToFront();
    g.alerts.bringToFront();
  }, [data, highlightCameraId, t]);

  // Alerts: bearing rays and positions.
  useEffect(() => {
    const g = groups.current;
    const m = map.current;
    if (!g || !m) return;
    g.alerts.clearLayers();
    const shapes = alertShapes(alerts);
    for (const s of shapes) {
      const tip = `${t(`alertType.${s.alert.type}`)} · ${s.alert.cameraName}`;
      const open = () => navigate(`/alerts/${encodeURIComponent(s.alert.id)}`);
      if (s.ray) {
        const ray = L.polyline(s.ray, { ...STYLE.ray, className: 'map-ray' })
          .bindTooltip(
            text(
              s.alert.bearingDeg === undefined
                ? tip
                : `${tip} · ${t('map.bearing', { bearing: s.alert.bearingDeg.toFixed(1) })}`,
            ),
            { sticky: true },
          )
          .addTo(g.alerts);
        if (linkAlerts) ray.on('click', open);
      }
      if (s.position) {
        const p = L.circleMarker(s.position.at, {
          ...STYLE.position,
          radius: s.position.method === 'triangulated' ? 8 : 6,
          className: `map-position map-position-${s.position.method}`,
        })
          .bindTooltip(text(`${tip} · ${t(`map.method.${s.position.method}`)}`))
          .addTo(g.alerts);
        if (linkAlerts) p.on('click', open);
      }
    }
    if (!framed.current) {
      const b = frameBounds(data, focusAlerts ? shapes : []);
      if (b) {
        m.fitBounds(b, { padding: [30, 30], maxZoom: 15 });
        framed.current = true;
      }
    }
  }, [alerts, data, focusAlerts, linkAlerts, t]);

  // Layer switches.
  useEffect(() => {
    const g = groups.current;
    const m = map.current;
    if (!g || !m) return;
    for (const k of MAP_LAYERS) {
      if (layers[k]) g[k].addTo(m);
      else g[k].remove();
    }
  }, [layers]);

  return (
    <div ref={el} className={`district-map${className ? ` ${className}` : ''}`} data-testid="district-map" />
  );
}
