/**
 * The duty video wall: one page per LED panel (`/wall?panel=N&layout=4&dwell=15`), a grid of live views that
 * cycles through the cameras (web/src/wall.ts), a tile outlined in red while its camera has an open alert not
 * acknowledged here (and held in place meanwhile), and a full-screen button for the panel and for each tile.
 * The live views share one ffmpeg per camera on the server, whatever the number of walls.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert, CameraHealth } from '../../../services/schemas/api.ts';
import { useAlerts, useCameras } from '../hooks.ts';
import { navigate, pathOf } from '../router.ts';
import {
  DWELL_CHOICES_S,
  gridColumns,
  initialTiles,
  rotateTiles,
  unacknowledgedByCamera,
  WALL_LAYOUTS,
  WALL_PANELS,
  type WallParams,
  type WallTiles,
} from '../wall.ts';
import { statusTone } from './CameraPanel.tsx';
import { LiveView } from './LiveView.tsx';

/** Requests full screen for an element, or leaves it when that element is already full screen. */
function toggleFullscreen(el: Element | null): void {
  if (!el) return;
  if (document.fullscreenElement === el) void document.exitFullscreen().catch(() => undefined);
  else void el.requestFullscreen?.().catch(() => undefined);
}

export function VideoWall({ params }: { params: WallParams }) {
  const { t } = useTranslation();
  const { cameras } = useCameras();
  const { open } = useAlerts();
  const [acknowledged, setAcknowledged] = useState<ReadonlySet<string>>(() => new Set());
  const wallRef = useRef<HTMLDivElement>(null);
  const [fullscreen, setFullscreen] = useState(false);

  const onWall = useMemo(() => cameras.filter((c) => c.status !== 'disabled'), [cameras]);
  const ids = useMemo(() => onWall.map((c) => c.id), [onWall]);
  const byId = useMemo(() => new Map<string, CameraHealth>(onWall.map((c) => [c.id, c])), [onWall]);
  const alertsById = useMemo(() => new Map<string, Alert>(open.map((a) => [a.id, a])), [open]);
  const pending = useMemo(() => unacknowledgedByCamera(open, acknowledged), [open, acknowledged]);

  // Tiles: reset when the camera list, layout or panel changes; rotated every dwell.
  const key = `${params.panel}|${params.layout}|${ids.join('\n')}`;
  const [wall, setWall] = useState<WallTiles & { key: string }>(() => ({
    key,
    ...initialTiles(ids, params.layout, params.panel),
  }));
  let current = wall;
  if (wall.key !== key) {
    current = { key, ...initialTiles(ids, params.layout, params.panel) };
    setWall(current);
  }
  const latest = useRef({ ids, layout: params.layout, held: new Set(pending.keys()) });
  useEffect(() => {
    latest.current = { ids, layout: params.layout, held: new Set(pending.keys()) };
  }, [ids, params.layout, pending]);
  useEffect(() => {
    const timer = setInterval(() => {
      const l = latest.current;
      setWall((w) => ({ key: w.key, ...rotateTiles(w, l.ids, l.layout, l.held) }));
    }, params.dwellS * 1000);
    return () => clearInterval(timer);
  }, [params.dwellS, key]);

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement === wallRef.current);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  const go = (p: Partial<WallParams>) =>
    navigate(pathOf({ name: 'wall', params: { ...params, ...p } }), true);
  const acknowledge = useCallback(
    (alertIds: readonly string[]) => setAcknowledged((s) => new Set([...s, ...alertIds])),
    [],
  );
  const cols = gridColumns(params.layout);

  return (
    <main
      className={`video-wall${fullscreen ? ' is-fullscreen' : ''}`}
      ref={wallRef}
      data-testid="video-wall"
      data-layout={params.layout}
      data-panel={params.panel}
    >
      <div className="wall-toolbar">
        <label>
          {t('wall.panel')}{' '}
          <select
            data-testid="wall-panel"
            value={params.panel}
            onChange={(e) => go({ panel: Number(e.target.value) })}
          >
            {Array.from({ length: WALL_PANELS }, (_, i) => i + 1).map((n) => (
              <option key={n} value={n}>
                {t('wall.panelN', { n })}
              </option>
            ))}
          </select>
        </label>
        <span className="wall-layouts" role="group" aria-label={t('wall.layout')}>
          {WALL_LAYOUTS.map((l) => (
            <button
              key={l}
              type="button"
              className={`btn small${l === params.layout ? ' active' : ''}`}
              aria-pressed={l === params.layout}
              data-testid={`wall-layout-${l}`}
              onClick={() => go({ layout: l })}
            >
              {t('wall.tiles', { count: l })}
            </button>
          ))}
        </span>
        <label>
          {t('wall.dwell')}{' '}
          <select
            data-testid="wall-dwell"
            value={params.dwellS}
            onChange={(e) => go({ dwellS: Number(e.target.value) })}
          >
            {[...new Set([...DWELL_CHOICES_S, params.dwellS])]
              .sort((a, b) => a - b)
              .map((s) => (
                <option key={s} value={s}>
                  {t('wall.seconds', { count: s })}
                </option>
              ))}
          </select>
        </label>
        <span className="muted wall-count">{t('wall.cameraCount', { count: ids.length })}</span>
        <button
          type="button"
          className="btn small"
          data-testid="wall-fullscreen"
          onClick={() => toggleFullscreen(wallRef.current)}
        >
          {fullscreen ? t('wall.exitFullscreen') : t('wall.fullscreen')}
        </button>
      </div>
      <div
        className="wall-grid"
        style={{ gridTemplateColumns: `repeat(${cols}, 1fr)`, gridTemplateRows: `repeat(${cols}, 1fr)` }}
      >
        {current.tiles.map((id, i) => {
          const cam = id === null ? undefined : byId.get(id);
          if (id === null || cam === undefined)
            return (
              <div key={`empty-${i}`} className="wall-tile empty" data-testid="wall-tile-empty">
                <span className="muted">{t('wall.noCamera')}</span>
              </div>
            );
          const alertIds = pending.get(id) ?? [];
          const latestAlert = alertIds.map((a) => alertsById.get(a)).find((a) => a !== undefined);
          return (
            <WallTile
              key={`${i}-${id}`}
              camera={cam}
              alertIds={alertIds}
              alert={latestAlert}
              onAcknowledge={acknowledge}
            />
          );
        })}
      </div>
    </main>
  );
}

function WallTile({
  camera,
  alertIds,
  alert,
  onAcknowledge,
}: {
  camera: CameraHealth;
  alertIds: readonly string[];
  alert: Alert | undefined;
  onAcknowledge: (ids: readonly string[]) => void;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  const alerting = alertIds.length > 0;
  return (
    <div
      ref={ref}
      className={`wall-tile${alerting ? ' alerting' : ''}`}
      data-testid="wall-tile"
      data-camera-id={camera.id}
      data-alert={alerting ? 'true' : 'false'}
      onDoubleClick={() => toggleFullscreen(ref.current)}
    >
      <LiveView cameraId={camera.id} />
      {alerting && (
        <div className="wall-alert-label" role="alert" data-testid="wall-alert-label">
          {alert ? t('wall.alertLabel', { type: t(`alertType.${alert.type}`) }) : t('alarm.newAlert')}
          {alertIds.length > 1 && ` ×${alertIds.length}`}
          <button
            type="button"
            className="btn small"
            data-testid="wall-ack"
            onClick={() => onAcknowledge(alertIds)}
          >
            {t('wall.acknowledge')}
          </button>
        </div>
      )}
      <div className="wall-tile-bar">
        <span className="wall-tile-name">{camera.name}</span>
        <span className={`badge tone-${statusTone(camera.status)}`} data-testid="wall-tile-status">
          {t(`cameraStatus.${camera.status}`)}
        </span>
        <button
          type="button"
          className="btn small wall-tile-fs"
          title={t('wall.tileFullscreen')}
          aria-label={t('wall.tileFullscreen')}
          onClick={() => toggleFullscreen(ref.current)}
        >
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path
              d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
            />
          </svg>
        </button>
      </div>
    </div>
  );
}
