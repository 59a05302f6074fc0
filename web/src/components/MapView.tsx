/**
 * The district map as the pages use it: loads `GET /api/map` once per page load and the Leaflet component
 * lazily (its own chunk), with loading and error states.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MapResponse } from '../../../services/schemas/api.ts';
import { apiGet } from '../api.ts';
import { errorText } from '../errors.ts';
import type { DistrictMapProps } from './DistrictMap.tsx';

const DistrictMap = lazy(() => import('./DistrictMap.tsx').then((m) => ({ default: m.DistrictMap })));

let mapRequest: Promise<MapResponse> | null = null;

/** The map payload (static: fetched once per page load; a failed request is retried on the next mount). */
export function useMapData(): { data: MapResponse | null; error: unknown } {
  const [state, setState] = useState<{ data: MapResponse | null; error: unknown }>({
    data: null,
    error: null,
  });
  useEffect(() => {
    let stop = false;
    const req = (mapRequest ??= apiGet<MapResponse>('/api/map'));
    req.then(
      (data) => !stop && setState({ data, error: null }),
      (error: unknown) => {
        mapRequest = null;
        if (!stop) setState({ data: null, error });
      },
    );
    return () => {
      stop = true;
    };
  }, []);
  return state;
}

/** {@link DistrictMap} once the payload and the Leaflet chunk are loaded. */
export function MapView(props: Omit<DistrictMapProps, 'data'>) {
  const { t } = useTranslation();
  const { data, error } = useMapData();
  if (error !== null) return <p className="form-error">{errorText(error, t)}</p>;
  const loading = <p className="muted map-loading">{t('common.loading')}</p>;
  if (data === null) return loading;
  return (
    <Suspense fallback={loading}>
      <DistrictMap data={data} {...props} />
    </Suspense>
  );
}
