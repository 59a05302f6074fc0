import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../services/schemas/api.ts';
import { formatDateTime, formatPercent } from '../format.ts';
import { TypeIcon } from './TypeIcon.tsx';

/** `compact` = a card in "recently closed": smaller, and `data-testid="closed-alert-card"` so that
 * `alert-card` only ever matches OPEN alerts. */
export function AlertCard({
  alert,
  compact = false,
  fresh = false,
  children,
}: {
  alert: Alert;
  compact?: boolean;
  /** Just raised the alarm: highlighted until acknowledged. */
  fresh?: boolean;
  /** Review actions (duty staff) and links, under the facts. */
  children?: ReactNode;
}) {
  const { t, i18n } = useTranslation();
  const lng = i18n.language;
  const typeLabel = t(`alertType.${alert.type}`);
  return (
    <article
      className={`alert-card type-${alert.type} status-${alert.status}${compact ? ' compact' : ''}${fresh ? ' fresh' : ''}`}
      data-testid={compact ? 'closed-alert-card' : 'alert-card'}
      data-alert-id={alert.id}
      data-alert-type={alert.type}
      data-alert-status={alert.status}
    >
      <a
        className="snapshot"
        href={alert.snapshotUrl}
        target="_blank"
        rel="noreferrer"
        title={t('alerts.openSnapshot')}
      >
        <img
          src={alert.snapshotUrl}
          alt={t('alerts.snapshotAlt', { camera: alert.cameraName, type: typeLabel })}
          loading="lazy"
          width={alert.frameWidth > 0 ? alert.frameWidth : undefined}
          height={alert.frameHeight > 0 ? alert.frameHeight : undefined}
        />
      </a>
      <div className="alert-body">
        <header className="alert-head">
          <span className="alert-type">
            <TypeIcon type={alert.type} />
            {typeLabel}
          </span>
          <span className="alert-score" title={t('alerts.peakScore')}>
            {t('alerts.peakScore')} <strong>{formatPercent(alert.peakScore, lng)}</strong>
          </span>
        </header>
        <dl className="alert-facts">
          <div>
            <dt>{t('alerts.camera')}</dt>
            <dd className="camera-name">{alert.cameraName}</dd>
          </div>
          {alert.presetId !== null && (
            <div>
              <dt>{t('alerts.preset')}</dt>
              <dd>{alert.presetId}</dd>
            </div>
          )}
          <div>
            <dt>{t('alerts.firstSeen')}</dt>
            <dd>
              <time dateTime={alert.firstSeenAt}>{formatDateTime(alert.firstSeenAt, lng)}</time>
            </dd>
          </div>
          <div>
            <dt>{t('alerts.lastSeen')}</dt>
            <dd>
              <time dateTime={alert.lastSeenAt}>{formatDateTime(alert.lastSeenAt, lng)}</time>
            </dd>
          </div>
          {alert.status === 'closed' && (
            <div>
              <dt>{t('alerts.closedAt')}</dt>
              <dd>
                <time dateTime={alert.closedAt ?? undefined}>{formatDateTime(alert.closedAt, lng)}</time>
              </dd>
            </div>
          )}
          <div>
            <dt>{t('alerts.hits')}</dt>
            <dd>{t('alerts.hitsValue', { count: alert.hits })}</dd>
          </div>
        </dl>
        {children}
      </div>
    </article>
  );
}
