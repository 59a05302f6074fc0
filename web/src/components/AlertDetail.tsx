import { useEffect, useState } from 'react';
import { LiveView } from './LiveView.tsx';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../services/schemas/api.ts';
import { apiGet } from '../api.ts';
import { errorText } from '../errors.ts';
import { formatDateTime, formatPercent } from '../format.ts';
import { useAlertById } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { isStaff, useSession } from '../session.ts';
import { AlertReview } from './AlertReview.tsx';
import { AlertLocation } from './AlertLocation.tsx';

/** One alert: the full-size snapshot with its box, the facts, and the review actions. */
export function AlertDetail({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const live = useAlertById(id);
  const [fetched, setFetched] = useState<Alert | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    if (live !== null) return;
    let stop = false;
    apiGet<Alert>(`/api/alerts/${encodeURIComponent(id)}`).then(
      (a) => !stop && setFetched(a),
      (e: unknown) => !stop && setFailure(errorText(e, t)),
    );
    return () => {
      stop = true;
    };
  }, [id, live, t]);
  const alert = live ?? fetched;
  const lng = i18n.language;
  return (
    <main className="page alert-detail" data-testid="alert-detail">
      <p>
        <a {...linkProps('/')}>{t('nav.backToConsole')}</a>
      </p>
      {alert === null ? (
        <p className={failure === null ? 'muted' : 'form-error'}>{failure ?? t('common.loading')}</p>
      ) : (
        <div className="detail-grid">
          <a href={alert.snapshotUrl} target="_blank" rel="noreferrer" className="detail-snapshot">
            <img
              src={alert.snapshotUrl}
              alt={t('alerts.snapshotAlt', { camera: alert.cameraName, type: t(`alertType.${alert.type}`) })}
            />
          </a>
          <section className="panel">
            <h2>
              {t(`alertType.${alert.type}`)} · {alert.cameraName}
            </h2>
            <dl className="facts">
              <dt>{t('alerts.status')}</dt>
              <dd>{t(`alertStatus.${alert.status}`)}</dd>
              <dt>{t('alerts.peakScore')}</dt>
              <dd>{formatPercent(alert.peakScore, lng)}</dd>
              <dt>{t('alerts.preset')}</dt>
              <dd>{alert.presetId ?? '—'}</dd>
              <dt>{t('alerts.firstSeen')}</dt>
              <dd>{formatDateTime(alert.firstSeenAt, lng)}</dd>
              <dt>{t('alerts.lastSeen')}</dt>
              <dd>{formatDateTime(alert.lastSeenAt, lng)}</dd>
              <dt>{t('alerts.closedAt')}</dt>
              <dd>{formatDateTime(alert.closedAt, lng)}</dd>
              <dt>{t('alerts.hits')}</dt>
              <dd>{t('alerts.hitsValue', { count: alert.hits })}</dd>
            </dl>
            <h3>{t('live.title')}</h3>
            <LiveView cameraId={alert.cameraId} />
            <AlertLocation alert={alert} />
            {isStaff(session.user?.role) && <AlertReview alert={alert} />}
          </section>
        </div>
      )}
    </main>
  );
}
