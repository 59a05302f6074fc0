import { useTranslation } from 'react-i18next';
import { useAlerts, useConnection } from '../hooks.ts';
import { AlertCard } from './AlertCard.tsx';
import { CameraPanel } from './CameraPanel.tsx';
import { Header } from './Header.tsx';

export function App() {
  const { t } = useTranslation();
  const { open, closed } = useAlerts();
  const { loadFailed } = useConnection();
  return (
    <div className="app">
      <Header />
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
                <AlertCard key={a.id} alert={a} />
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
                  <AlertCard key={a.id} alert={a} compact />
                ))}
              </div>
            )}
          </details>
        </main>
        <CameraPanel />
      </div>
    </div>
  );
}
