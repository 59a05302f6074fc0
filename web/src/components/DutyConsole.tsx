import { useTranslation } from 'react-i18next';
import { useAlerts, useConnection } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { isStaff, useSession } from '../session.ts';
import { AlertCard } from './AlertCard.tsx';
import { AlertReview } from './AlertReview.tsx';
import { CameraPanel } from './CameraPanel.tsx';

/** The alert queue (logged-in staff; review actions for duty staff). */
export function DutyConsole({ freshAlertId }: { freshAlertId: string | null }) {
  const { t } = useTranslation();
  const { open, closed } = useAlerts();
  const { loadFailed } = useConnection();
  const session = useSession();
  const staff = isStaff(session.user?.role);
  return (
    <>
      {loadFailed && (
        <div className="notice" role="alert">
          {t('conn.loadFailed')}
        </div>
      )}
      <div className="layout">
        <main className="alerts-main" aria-labelledby="open-alerts-title">
          <h2 id="open-alerts-title">{t('alerts.openTitle')}</h2>
          {open.length === 0 ? (
            <div className="empty-state" data-testid="alerts-empty">
              <p className="empty-title">{t('alerts.empty')}</p>
              <p className="muted">{t('alerts.emptyHint')}</p>
            </div>
          ) : (
            <div className="alert-list" data-testid="open-alerts">
              {open.map((a) => (
                <AlertCard key={a.id} alert={a} fresh={a.id === freshAlertId}>
                  <a
                    className="detail-link"
                    {...linkProps(`/alerts/${encodeURIComponent(a.id)}`)}
                    data-testid="alert-detail-link"
                  >
                    {t('alerts.detail')}
                  </a>
                  {staff && <AlertReview alert={a} />}
                </AlertCard>
              ))}
            </div>
          )}
          <details className="closed-section" data-testid="closed-alerts">
            <summary>{t('alerts.closedTitle', { count: closed.length })}</summary>
            {closed.length === 0 ? (
              <p className="muted">{t('alerts.closedEmpty')}</p>
            ) : (
              <div className="alert-list closed">
                {closed.map((a) => (
                  <AlertCard key={a.id} alert={a} compact>
                    {staff && <AlertReview alert={a} />}
                  </AlertCard>
                ))}
              </div>
            )}
          </details>
        </main>
        <CameraPanel />
      </div>
    </>
  );
}
