import { useTranslation } from 'react-i18next';
import type { CameraHealth } from '../../../services/schemas/api.ts';
import { formatDateTime } from '../format.ts';
import { useCameras } from '../hooks.ts';

/** Badge colour class per status: online green; stalled/offline/auth_failed red; degraded amber; else grey. */
export function statusTone(status: CameraHealth['status']): 'ok' | 'bad' | 'warn' | 'idle' {
  switch (status) {
    case 'online':
      return 'ok';
    case 'stalled':
    case 'offline':
    case 'auth_failed':
      return 'bad';
    case 'degraded':
    case 'ptz_fault':
      return 'warn';
    case 'starting':
    case 'disabled':
      return 'idle';
  }
}

export function CameraPanel() {
  const { t, i18n } = useTranslation();
  const { cameras } = useCameras();
  return (
    <aside className="camera-panel" aria-labelledby="camera-panel-title">
      <h2 id="camera-panel-title">{t('cameras.title')}</h2>
      {cameras.length === 0 ? (
        <p className="muted">{t('cameras.empty')}</p>
      ) : (
        <ul className="camera-list">
          {cameras.map((c) => (
            <li
              key={c.id}
              className="camera-row"
              data-testid="camera-row"
              data-camera-id={c.id}
              data-status={c.status}
            >
              <div className="camera-main">
                <span className="camera-title">{c.name}</span>
                <span className={`badge tone-${statusTone(c.status)}`}>{t(`cameraStatus.${c.status}`)}</span>
              </div>
              <div className="camera-meta muted">
                <span>{t(`cameras.channel.${c.channel}`)}</span>
                <span>
                  {t('cameras.lastFrame')}{' '}
                  <time dateTime={c.lastFrameAt ?? undefined}>
                    {formatDateTime(c.lastFrameAt, i18n.language, t('cameras.never'))}
                  </time>
                </span>
              </div>
              {c.status !== 'online' && c.lastError !== null && (
                <div className="camera-error">{c.lastError}</div>
              )}
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
