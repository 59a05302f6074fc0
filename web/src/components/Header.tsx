import { useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { audioBlocked, readMuted, subscribeAudio, unlockAudio, writeMuted } from '../alarm.ts';
import { useAlerts, useCameras, useConnection } from '../hooks.ts';
import { isLanguage, LANGUAGES, setLanguage } from '../i18n.ts';
import { linkProps, navigate, useRoute, type Route } from '../router.ts';
import { isStaff, logout, useSession } from '../session.ts';

/** Shared with the alarm hook so the toggle and the beeper agree. */
export const alarmMute = {
  muted: readMuted(),
  listeners: new Set<(m: boolean) => void>(),
  set(m: boolean) {
    this.muted = m;
    writeMuted(m);
    for (const l of this.listeners) l(m);
  },
};

function NavLink({
  to,
  active,
  testId,
  label,
}: {
  to: string;
  active: boolean;
  testId: string;
  label: string;
}) {
  return (
    <a
      {...linkProps(to)}
      className={`nav-link${active ? ' active' : ''}`}
      data-testid={testId}
      aria-current={active ? 'page' : undefined}
    >
      {label}
    </a>
  );
}

export function Header({ alarmActive = false }: { alarmActive?: boolean }) {
  const { t, i18n } = useTranslation();
  const conn = useConnection();
  const { online, total } = useCameras();
  const { open } = useAlerts();
  const session = useSession();
  const route: Route = useRoute();
  const [muted, setMuted] = useState(alarmMute.muted);
  const soundBlocked = useSyncExternalStore(subscribeAudio, audioBlocked);
  const connected = conn.state === 'connected';
  const role = session.user?.role;
  const staffOrAdmin = isStaff(role) || role === 'admin';
  return (
    <header className={`app-header${alarmActive ? ' alarm-active' : ''}`}>
      <h1>
        <span className="brand">{t('app.brand')}</span> <span className="app-title">{t('app.title')}</span>
      </h1>
      {session.user !== null && (
        <nav className="main-nav" aria-label={t('nav.label')}>
          {(staffOrAdmin || role === undefined) && (
            <NavLink
              to="/"
              active={route.name === 'console' || route.name === 'alert'}
              testId="nav-console"
              label={t('nav.console')}
            />
          )}
          {staffOrAdmin && (
            <NavLink
              to="/cases"
              active={route.name === 'board' || route.name === 'case'}
              testId="nav-board"
              label={t('nav.board')}
            />
          )}
          {staffOrAdmin && (
            <NavLink to="/wall" active={route.name === 'wall'} testId="nav-wall" label={t('nav.wall')} />
          )}
          {staffOrAdmin && (
            <NavLink to="/map" active={route.name === 'map'} testId="nav-map" label={t('nav.map')} />
          )}
          {staffOrAdmin && (
            <NavLink
              to="/dashboard"
              active={route.name === 'dashboard'}
              testId="nav-dashboard"
              label={t('nav.dashboard')}
            />
          )}
          {role === 'admin' && (
            <NavLink
              to="/admin/cameras"
              active={route.name === 'adminCameras' || route.name === 'adminCamera'}
              testId="nav-admin-cameras"
              label={t('nav.adminCameras')}
            />
          )}
          {role === 'admin' && (
            <NavLink
              to="/admin/departments"
              active={route.name === 'adminDispatch'}
              testId="nav-admin-dispatch"
              label={t('nav.adminDispatch')}
            />
          )}
          {role === 'office' && (
            <NavLink
              to="/office"
              active={route.name === 'office' || route.name === 'case'}
              testId="nav-office"
              label={t('nav.office')}
            />
          )}
        </nav>
      )}
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
        {role !== 'office' && (
          <>
            <span className="summary" data-testid="camera-summary">
              {t('summary.cameras', { online, total })}
            </span>
            <span className={`summary${open.length > 0 ? ' has-alerts' : ''}`} data-testid="open-count">
              {t('summary.openAlerts', { count: open.length })}
            </span>
          </>
        )}
        {isStaff(role) && (
          <button
            type="button"
            className={`btn small mute${muted ? ' muted' : ''}`}
            data-testid="alarm-mute"
            aria-pressed={muted}
            onClick={() => {
              unlockAudio();
              alarmMute.set(!muted);
              setMuted(!muted);
            }}
          >
            {muted ? t('alarm.unmute') : t('alarm.mute')}
          </button>
        )}
        {isStaff(role) && !muted && soundBlocked && (
          <button
            type="button"
            className="btn small sound-blocked"
            data-testid="alarm-blocked"
            title={t('alarm.blockedHint')}
            onClick={() => unlockAudio()}
          >
            {t('alarm.blocked')}
          </button>
        )}
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
        {session.user !== null ? (
          <span className="user-box">
            <span className="user-name" data-testid="user-name" data-role={session.user.role}>
              {session.user.displayName} · {t(`role.${session.user.role}`)}
            </span>
            <button
              type="button"
              className="btn small"
              data-testid="logout"
              onClick={() => {
                void logout().finally(() => navigate('/login'));
              }}
            >
              {t('auth.logout')}
            </button>
          </span>
        ) : (
          session.status === 'anonymous' &&
          route.name !== 'login' && (
            <a {...linkProps('/login')} className="btn small" data-testid="login-link">
              {t('auth.login')}
            </a>
          )
        )}
      </div>
    </header>
  );
}
