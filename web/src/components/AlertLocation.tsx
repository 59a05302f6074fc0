import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../services/schemas/api.ts';
import { ALL_LAYERS } from '../mapLayers.ts';
import { MapView } from './MapView.tsx';

/** Where an alert is: its bearing and estimated position, and the district map framed on its bearing ray. */
export function AlertLocation({ alert }: { alert: Alert }) {
  const { t } = useTranslation();
  const alerts = useMemo(() => [alert], [alert]);
  const placed = Boolean(alert.ray) || Boolean(alert.position);
  return (
    <section className="alert-location" data-testid="alert-location">
      <h3>{t('map.location')}</h3>
      <dl className="facts">
        <dt>{t('map.bearingLabel')}</dt>
        <dd>{alert.bearingDeg === undefined ? '—' : `${alert.bearingDeg.toFixed(1)}°`}</dd>
        <dt>{t('map.positionLabel')}</dt>
        <dd>
          {alert.position
            ? `${alert.position.lat.toFixed(5)}, ${alert.position.lon.toFixed(5)} (${t(`map.method.${alert.position.method}`)})`
            : '—'}
        </dd>
      </dl>
      {placed ? (
        <MapView
          alerts={alerts}
          layers={ALL_LAYERS}
          focusAlerts
          highlightCameraId={alert.cameraId}
          className="alert-map"
        />
      ) : (
        <p className="muted">{t('map.notPlaced')}</p>
      )}
    </section>
  );
}
