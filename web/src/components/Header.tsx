import { useTranslation } from 'react-i18next';
import { useAlerts, useCameras, useConnection } from '../hooks.ts';
import { isLanguage, LANGUAGES, setLanguage } from '../i18n.ts';

export function Header() {
  const { t, i18n } = useTranslation();
  const conn = useConnection();
  const { online, total } = useCameras();
  const { open } = useAlerts();
  const connected = conn.state === 'connected';
  return (
    <header className="app-header">
      <h1>
        <span className="brand">{t('app.brand')}</span> <span className="app-title">{t('app.title')}</span>
      </h1>
      <div className="header-status">
        <span
          className={`conn conn-${conn.state}`}
          data-testid="conn-state"
          data-state={connected ? 'connected' : 'disconnected'}
          role="status"
        >
          <span className="dot" aria-hidden="true" />
          {t(`conn.${conn.state}`)}
        </span>
        <span className="summary" data-testid="camera-summary">
          {t('summary.cameras', { online, total })}
        </span>
        <span className={`summary${open.length > 0 ? ' has-alerts' : ''}`} data-testid="open-count">
          {t('summary.openAlerts', { count: open.length })}
        </span>
        <label className="lang">
          <span className="sr-only">{t('lang.label')}</span>
          <select
            data-testid="lang-switch"
            value={isLanguage(i18n.language) ? i18n.language : 'zh-CN'}
            onChange={(e) => {
              if (isLanguage(e.target.value)) void setLanguage(e.target.value);
            }}
          >
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {t(`lang.${l}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
    </header>
  );
}
