import { useTranslation } from 'react-i18next';
import type { Case } from '../../../services/dispatch/schemas.ts';
import { formatDateTime } from '../format.ts';
import { deadlineStatus, SLA_STAGES, splitDuration, useNow, type Deadlines } from '../sla.ts';

/** "2 h 40 min" / "1 d 2 h 5 min" / "12 min" in the UI language. */
function useDuration(): (ms: number) => string {
  const { t } = useTranslation();
  return (ms) => {
    const { d, h, m } = splitDuration(ms);
    if (d > 0) return t('sla.dhm', { d, h, m });
    if (h > 0) return m > 0 ? t('sla.hm', { h, m }) : t('sla.h', { h });
    return t('sla.m', { m });
  };
}

/**
 * The SLA deadlines (accept, on site, resolve) of a case's current dispatch cycle with the time left or past,
 * refreshed every 30 s; overdue stages are highlighted. Nothing when `deadlines` is null (no policy applies
 * or the case is not active).
 */
export function DeadlineList({
  c,
  deadlines,
  compact = false,
}: {
  c: Pick<Case, 'acceptedAt' | 'onSiteAt' | 'resolvedAt'>;
  deadlines: Deadlines | null;
  compact?: boolean;
}) {
  const { t, i18n } = useTranslation();
  const now = useNow();
  const duration = useDuration();
  if (deadlines === null) return null;
  return (
    <>
      {!compact && <h4 className="dl-title">{t('sla.title')}</h4>}
      <ul
        className={`deadlines${compact ? ' compact' : ''}`}
        data-testid="deadlines"
        aria-label={t('sla.title')}
      >
        {SLA_STAGES.map((s) => {
          const st = deadlineStatus(c, s, deadlines[s], now);
          return (
            <li
              key={s}
              className={`deadline dl-${st.state}`}
              data-testid="deadline"
              data-stage={s}
              data-state={st.state}
            >
              <span className="dl-stage">{t(`sla.stage.${s}`)}</span>
              <time dateTime={deadlines[s]} className="dl-time">
                {formatDateTime(deadlines[s], i18n.language)}
              </time>
              <span className="dl-left">
                {st.state === 'met'
                  ? t('sla.met')
                  : st.state === 'pending'
                    ? t('sla.left', { time: duration(st.ms) })
                    : t('sla.overdueBy', { time: duration(st.ms) })}
              </span>
            </li>
          );
        })}
      </ul>
    </>
  );
}
