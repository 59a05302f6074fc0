import { lazy, Suspense, useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { beep } from '../alarm.ts';
import { useAlarmSignal } from '../hooks.ts';
import { linkProps, navigate, pathOf, useRoute, type Route } from '../router.ts';
import { homeFor, isStaff, useSession, type SessionState } from '../session.ts';
import { AdminCameraPage } from '../admin/AdminCameraPage.tsx';
import { AdminCameras } from '../admin/AdminCameras.tsx';
import { AlertDetail } from './AlertDetail.tsx';
import { DutyConsole } from './DutyConsole.tsx';
import { alarmMute, Header } from './Header.tsx';
import { LoginPage } from './LoginPage.tsx';
import { VideoWall } from './VideoWall.tsx';

// Pages behind a login are split out of the entry bundle (the dashboard's chart library alone is ~500 kB).
const CaseBoard = lazy(() => import('./CaseBoard.tsx').then((m) => ({ default: m.CaseBoard })));
const CasePage = lazy(() => import('./CasePage.tsx').then((m) => ({ default: m.CasePage })));
const OfficePortal = lazy(() => import('./OfficePortal.tsx').then((m) => ({ default: m.OfficePortal })));
const Dashboard = lazy(() => import('./Dashboard.tsx').then((m) => ({ default: m.Dashboard })));
const MapPage = lazy(() => import('./MapPage.tsx').then((m) => ({ default: m.MapPage })));

/** The dispatch admin pages (with the map libraries) load only when an admin opens them. */
const AdminDispatch = lazy(() =>
  import('./admin/AdminDispatch.tsx').then((m) => ({ default: m.AdminDispatch })),
);

/** How long the visual alarm stays on after a new alert (ms). */
const ALARM_VISUAL_MS = 15_000;

/** Where a route sends a user who may not see it (null = allowed). */
function redirectFor(route: Route, s: SessionState): string | null {
  const role = s.user?.role;
  switch (route.name) {
    case 'login':
      return s.status === 'authenticated' && role !== undefined ? homeFor(role) : null;
    case 'console':
    case 'alert':
      // The alert API needs a session (camera positions, snapshots, live video).
      if (s.status === 'anonymous') return pathOf({ name: 'login', next: pathOf(route) });
      return role === 'office' ? '/office' : null;
    case 'board':
      if (s.status === 'anonymous') return pathOf({ name: 'login', next: '/cases' });
      return role === 'office' ? '/office' : null;
    case 'case':
      return s.status === 'anonymous' ? pathOf({ name: 'login', next: pathOf(route) }) : null;
    case 'office':
      if (s.status === 'anonymous') return pathOf({ name: 'login', next: '/office' });
      return role !== undefined && role !== 'office' ? homeFor(role) : null;
    case 'wall':
    case 'map':
    case 'dashboard':
      // Staff pages (duty, supervisor, admin), like the case board.
      if (s.status === 'anonymous') return pathOf({ name: 'login', next: pathOf(route) });
      return role === 'office' ? '/office' : null;
    case 'adminDispatch':
    case 'adminCameras':
    case 'adminCamera':
      if (s.status === 'anonymous') return pathOf({ name: 'login', next: pathOf(route) });
      return role !== undefined && role !== 'admin' ? homeFor(role) : null;
    case 'notFound':
      return null;
  }
}

/** Beep and flash for every live new alert (duty staff only), unless muted. */
function useAlarm(enabled: boolean): { active: boolean; alertId: string | null; acknowledge: () => void } {
  const { seq, alertId } = useAlarmSignal();
  const seen = useRef(seq);
  const [active, setActive] = useState(false);
  useEffect(() => {
    if (seq === seen.current) return;
    seen.current = seq;
    if (!enabled) return;
    if (!alarmMute.muted) beep();
    setActive(true);
    const timer = setTimeout(() => setActive(false), ALARM_VISUAL_MS);
    return () => clearTimeout(timer);
  }, [seq, enabled]);
  return { active: active && enabled, alertId, acknowledge: () => setActive(false) };
}

export function App() {
  const { t } = useTranslation();
  const route = useRoute();
  const session = useSession();
  const alarm = useAlarm(isStaff(session.user?.role));
  const redirect = session.status === 'unknown' ? null : redirectFor(route, session);
  useEffect(() => {
    if (redirect !== null) navigate(redirect, true);
  }, [redirect]);

  let page: ReactNode;
  if (session.status === 'unknown') page = <p className="page muted">{t('common.loading')}</p>;
  else if (redirect !== null) page = null;
  else {
    switch (route.name) {
      case 'login':
        page = <LoginPage next={route.next} />;
        break;
      case 'console':
        page = <DutyConsole freshAlertId={alarm.active ? alarm.alertId : null} />;
        break;
      case 'alert':
        page = <AlertDetail id={route.id} />;
        break;
      case 'board':
        page = <CaseBoard />;
        break;
      case 'case':
        page = <CasePage key={route.id} id={route.id} />;
        break;
      case 'office':
        page = <OfficePortal />;
        break;
      case 'wall':
        page = <VideoWall params={route.params} />;
        break;
      case 'map':
        page = <MapPage />;
        break;
      case 'dashboard':
        page = <Dashboard />;
        break;
      case 'adminDispatch':
        page = (
          <Suspense fallback={<p className="page muted">{t('common.loading')}</p>}>
            <AdminDispatch key={route.section} section={route.section} />
          </Suspense>
        );
        break;
      case 'adminCameras':
        page = <AdminCameras />;
        break;
      case 'adminCamera':
        page = <AdminCameraPage key={route.id} id={route.id} />;
        break;
      case 'notFound':
        page = (
          <main className="page">
            <p>{t('common.notFound')}</p>
            <a {...linkProps('/')}>{t('nav.console')}</a>
          </main>
        );
        break;
    }
  }

  return (
    <div className={`app${alarm.active ? ' alarm-on' : ''}`}>
      <Header alarmActive={alarm.active} />
      {alarm.active && (
        <div className="alarm-banner" role="alert" data-testid="alarm-banner">
          <span>{t('alarm.newAlert')}</span>
          {alarm.alertId !== null && (
            <a {...linkProps(`/alerts/${encodeURIComponent(alarm.alertId)}`)}>{t('alarm.show')}</a>
          )}
          <button type="button" className="btn small" onClick={alarm.acknowledge} data-testid="alarm-ack">
            {t('alarm.acknowledge')}
          </button>
        </div>
      )}
      <Suspense fallback={<p className="page muted">{t('common.loading')}</p>}>{page}</Suspense>
    </div>
  );
}
