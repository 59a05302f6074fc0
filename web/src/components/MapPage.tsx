import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAlerts } from '../hooks.ts';
import { ALL_LAYERS, alertShapes, MAP_LAYERS, type LayerVisibility } from '../mapLayers.ts';
import { MapView } from './MapView.tsx';

/** Legend swatch per layer (colours as drawn in DistrictMap.tsx). */
const SWATCH: Record<(typeof MAP_LAYERS)[number], string[]> = {
  jurisdictions: ['swatch-jurisdiction'],
  zones: ['swatch-zone'],
  fov: ['swatch-fov-thermal', 'swatch-fov-visible'],
  cameras: ['swatch-camera'],
  alerts: ['swatch-ray', 'swatch-position'],
};

/** The district map page: camera sites, FOV wedges, jurisdictions, zones and the open alerts' rays, offline. */
export function MapPage() {
  const { t } = useTranslation();
  const { open } = useAlerts();
  const [layers, setLayers] = useState<LayerVisibility>(ALL_LAYERS);
  const placed = useMemo(() => alertShapes(open).length, [open]);
  return (
    <main className="page map-page" data-testid="map-page">
      <div className="map-main">
        <MapView alerts={open} layers={layers} linkAlerts />
      </div>
      <aside className="panel map-side">
        <h2>{t('map.layers')}</h2>
        <ul className="map-layers">
          {MAP_LAYERS.map((k) => (
            <li key={k}>
              <label>
                <input
                  type="checkbox"
                  data-testid={`map-layer-${k}`}
                  checked={layers[k]}
                  onChange={(e) => setLayers({ ...layers, [k]: e.target.checked })}
                />
                <span className="swatches" aria-hidden="true">
                  {SWATCH[k].map((s) => (
                    <span key={s} className={`swatch ${s}`} />
                  ))}
                </span>
                {t(`map.layer.${k}`)}
              </label>
            </li>
          ))}
        </ul>
        <h2>{t('map.legend')}</h2>
        <dl className="map-legend">
          <dt>
            <span className="swatch swatch-fov-thermal" /> <span className="swatch swatch-fov-visible" />
          </dt>
          <dd>{t('map.legendFov')}</dd>
          <dt>
            <span className="swatch swatch-ray" />
          </dt>
          <dd>{t('map.legendRay')}</dd>
          <dt>
            <span className="swatch swatch-position" />
          </dt>
          <dd>{t('map.legendPosition')}</dd>
        </dl>
        <p className="muted" data-testid="map-alert-count">
          {t('map.alertsPlaced', { count: placed, open: open.length })}
        </p>
        <p className="muted small">{t('map.offlineNote')}</p>
      </aside>
    </main>
  );
}
