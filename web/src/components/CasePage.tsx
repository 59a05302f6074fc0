import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type {
  AuditEntry,
  CaseAction,
  CaseDetailResponse,
  Feedback,
} from '../../../services/dispatch/schemas.ts';
import { apiGet, isVersionConflict } from '../api.ts';
import { isOverdue } from '../caseState.ts';
import { departmentName, useDepartments } from '../departments.ts';
import { errorText } from '../errors.ts';
import { formatDateTime } from '../format.ts';
import { useCase, useCameraName } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { useSession } from '../session.ts';
import { getStore } from '../store.ts';
import { CaseActions } from './CaseActions.tsx';
import { DeadlineList } from './Deadlines.tsx';

/** `GET /api/cases/:id` also answers the actions the caller may take now. */
type CaseDetail = CaseDetailResponse & { allowedActions?: CaseAction[] };

export function CasePage({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const departments = useDepartments();
  const live = useCase(id);
  const cameraName = useCameraName();
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** Highest version produced by this page's own actions (no "changed by someone else" notice for those). */
  const ownVersion = useRef(0);

  const load = useCallback(async () => {
    try {
      const d = await apiGet<CaseDetail>(`/api/cases/${encodeURIComponent(id)}`);
      setDetail(d);
      setFailure(null);
      getStore().applyCase(d.case);
    } catch (e) {
      setFailure(errorText(e, t));
    }
  }, [id, t]);

  useEffect(() => {
    void load();
  }, [load]);

  // A newer version arrived over the socket (someone else acted): reload the trail and the actions.
  const liveVersion = live?.version ?? 0;
  const shownVersion = detail?.case.version ?? 0;
  useEffect(() => {
    if (detail !== null && liveVersion > shownVersion) {
      if (liveVersion > ownVersion.current) setNotice(t('case.updatedLive'));
      void load();
    }
  }, [liveVersion, shownVersion, detail, load, t]);

  const onError = (e: unknown) => {
    if (isVersionConflict(e)) {
      setNotice(t('case.conflict'));
      void load();
    }
  };

  if (detail === null) {
    return (
      <main className="page case-page">
        <p className={failure === null ? 'muted' : 'form-error'} data-testid="case-load">
          {failure ?? t('common.loading')}
        </p>
      </main>
    );
  }
  const c = detail.case;
  const lng = i18n.language;
  const back = session.user?.role === 'office' ? '/office' : '/cases';
  const audit = [...detail.audit].sort((a, b) => a.id - b.id);
  return (
    <main
      className="page case-page"
      data-testid="case-page"
      data-case-id={c.id}
      data-case-state={c.state}
      data-version={c.version}
    >
      <p>
        <a {...linkProps(back)} data-testid="case-back">
          {session.user?.role === 'office' ? t('nav.backToOffice') : t('nav.backToBoard')}
        </a>
      </p>
      <header className="case-head">
        <h2>
          {t(`alertType.${c.alertType}`)} · {cameraName(c.cameraId)}
        </h2>
        <span className={`badge state state-${c.state}`} data-testid="case-state">
          {t(`caseState.${c.state}`)}
        </span>
        <span className={`badge prio-${c.priority}`}>{t(`priority.${c.priority}`)}</span>
        {isOverdue(c) && (
          <span className="badge overdue-badge" data-testid="case-overdue">
            {t('cases.overdue', {
              stages: c.overdue.map((s) => t(`slaStage.${s}`)).join(t('common.listSep')),
            })}
          </span>
        )}
        {c.escalationLevel > 0 && (
          <span className="badge escalated">{t('cases.escalated', { level: c.escalationLevel })}</span>
        )}
      </header>
      {notice !== null && (
        <p className="notice" role="status" data-testid="case-notice">
          {notice}
        </p>
      )}
      <div className="case-grid">
        <section className="panel">
          <h3>{t('case.details')}</h3>
          <dl className="facts">
            <dt>{t('case.department')}</dt>
            <dd data-testid="case-department">{departmentName(departments, c.departmentId)}</dd>
            <dt>{t('case.suggested')}</dt>
            <dd>{departmentName(departments, c.suggestedDepartmentId)}</dd>
            <dt>{t('case.location')}</dt>
            <dd>
              {c.position !== null ? `${c.position.lat.toFixed(5)}, ${c.position.lon.toFixed(5)}` : '—'} (
              {t(`positionSource.${c.positionSource}`)})
            </dd>
            <dt>{t('case.jurisdiction')}</dt>
            <dd>{c.jurisdictionId ?? '—'}</dd>
            <dt>{t('case.zone')}</dt>
            <dd>{c.zoneType !== null ? t(`zoneType.${c.zoneType}`) : '—'}</dd>
            <dt>{t('case.disposition')}</dt>
            <dd>{c.disposition !== null ? t(`disposition.${c.disposition}`) : '—'}</dd>
            <dt>{t('case.created')}</dt>
            <dd>{formatDateTime(c.createdAt, lng)}</dd>
            <dt>{t('case.dispatchedAt')}</dt>
            <dd>{formatDateTime(c.dispatchedAt, lng)}</dd>
            <dt>{t('case.acceptedAt')}</dt>
            <dd>{formatDateTime(c.acceptedAt, lng)}</dd>
            <dt>{t('case.onSiteAt')}</dt>
            <dd>{formatDateTime(c.onSiteAt, lng)}</dd>
            <dt>{t('case.resolvedAt')}</dt>
            <dd>{formatDateTime(c.resolvedAt, lng)}</dd>
            <dt>{t('case.verifiedAt')}</dt>
            <dd>{formatDateTime(c.verifiedAt, lng)}</dd>
            <dt>{t('case.closedAt')}</dt>
            <dd>{formatDateTime(c.closedAt, lng)}</dd>
          </dl>
          <DeadlineList c={c} deadlines={detail.deadlines} />
          <CaseActions
            key={c.version}
            kase={c}
            allowed={detail.allowedActions ?? []}
            onChanged={(next) => {
              ownVersion.current = Math.max(ownVersion.current, next.version);
              setNotice(null);
              void load();
            }}
            onError={onError}
          />
        </section>
        <section className="panel">
          <h3>{t('case.alerts', { count: c.alertIds.length })}</h3>
          <div className="thumbs">
            {c.alertIds.map((a) => (
              <a
                key={a}
                href={`/api/alerts/${encodeURIComponent(a)}/snapshot.jpg`}
                target="_blank"
                rel="noreferrer"
              >
                <img
                  src={`/api/alerts/${encodeURIComponent(a)}/snapshot.jpg`}
                  alt={t('case.alertSnapshot')}
                  loading="lazy"
                />
              </a>
            ))}
          </div>
          <h3>{t('case.feedback')}</h3>
          <FeedbackList caseId={c.id} feedback={detail.feedback} />
        </section>
      </div>
      <section className="panel">
        <h3>{t('case.timeline')}</h3>
        <ol className="timeline" data-testid="audit-trail">
          {audit.map((e) => (
            <AuditRow
              key={e.id}
              e={e}
              currentUserId={session.user?.id ?? null}
              currentUserName={session.user?.displayName ?? null}
              actorNames={detail.actorNames}
            />
          ))}
        </ol>
      </section>
    </main>
  );
}

function FeedbackList({ caseId, feedback }: { caseId: string; feedback: readonly Feedback[] }) {
  const { t, i18n } = useTranslation();
  if (feedback.length === 0) return <p className="muted">{t('case.noFeedback')}</p>;
  return (
    <ul className="feedback-list" data-testid="feedback-list">
      {feedback.map((f) => (
        <li key={f.id}>
          <div className="muted small">
            {formatDateTime(f.at, i18n.language)} · {t(`role.${f.actorRole}`)}
          </div>
          {f.note !== null && <p>{f.note}</p>}
          {f.disposition !== null && <p>{t(`disposition.${f.disposition}`)}</p>}
          <div className="thumbs">
            {f.photos.map((p) => {
              const url = `/api/cases/${encodeURIComponent(caseId)}/photos/${encodeURIComponent(p.file)}`;
              return (
                <a key={p.file} href={url} target="_blank" rel="noreferrer">
                  <img
                    src={url}
                    alt={t('case.photo')}
                    width={p.width}
                    height={p.height}
                    loading="lazy"
                    data-testid="feedback-photo"
                  />
                </a>
              );
            })}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** `u_3c52235a-e781-…` → `u_3c52235a` (for a user the API named no display name for; full id in the tooltip). */
function shortId(id: string): string {
  const m = /^([a-z]+_[0-9a-f]{8})[0-9a-f-]{20,}$/.exec(id);
  return m?.[1] ?? id;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function AuditRow({
  e,
  currentUserId,
  currentUserName,
  actorNames,
}: {
  e: AuditEntry;
  currentUserId: string | null;
  currentUserName: string | null;
  /** User id → display name (`CaseDetailResponse.actorNames`). */
  actorNames: Readonly<Record<string, string>>;
}) {
  const { t, i18n } = useTranslation();
  const departments = useDepartments();
  const actionKey = `auditAction.${e.action}`;
  const action = i18n.exists(actionKey) ? t(actionKey) : e.action;
  const actor =
    e.actorRole === 'system'
      ? t('audit.system')
      : e.actorId === currentUserId && currentUserName !== null
        ? currentUserName
        : (actorNames[e.actorId] ?? shortId(e.actorId));
  const d = e.details;
  const extra: string[] = [];
  if (e.action === 'case.dispatch') {
    extra.push(t('audit.dispatchedTo', { department: departmentName(departments, str(d['departmentId'])) }));
    if (d['override'] === true)
      extra.push(
        t('audit.override', { department: departmentName(departments, str(d['suggestedDepartmentId'])) }),
      );
  }
  const disp = str(d['disposition']);
  if (disp !== null) extra.push(t(`disposition.${disp}`));
  let reason = e.reason;
  if (e.action === 'case.overdue') {
    reason = null;
    const stage = str(d['stage']);
    if (stage !== null) extra.push(t('audit.overdueStage', { stage: t(`slaStage.${stage}`) }));
  }
  if (e.action === 'case.escalate') {
    reason = null;
    extra.push(t('cases.escalated', { level: Number(d['toLevel'] ?? 0) }));
  }
  const note = str(d['note']);
  if (note !== null) extra.push(t('audit.note', { note }));
  if (Array.isArray(d['photos']) && d['photos'].length > 0)
    extra.push(t('audit.photos', { count: d['photos'].length }));
  const alertId = str(d['alertId']);
  if (e.action === 'alert.merge' && alertId !== null) extra.push(t('audit.mergedAlert', { id: alertId }));
  return (
    <li
      className="audit-row"
      data-testid="audit-row"
      data-action={e.action}
      data-from={e.fromState ?? ''}
      data-to={e.toState ?? ''}
    >
      <time dateTime={e.at} className="audit-time">
        {formatDateTime(e.at, i18n.language)}
      </time>
      <span className="audit-action">{action}</span>
      <span className="audit-actor" title={e.actorId}>
        {actor} <span className="muted">({t(`role.${e.actorRole}`)})</span>
      </span>
      {(e.fromState !== null || e.toState !== null) && e.fromState !== e.toState && (
        <span className="audit-states">
          {e.fromState !== null ? t(`caseState.${e.fromState}`) : '—'} →{' '}
          {e.toState !== null ? t(`caseState.${e.toState}`) : '—'}
        </span>
      )}
      {reason !== null && <span className="audit-reason">{t('audit.reason', { reason })}</span>}
      {extra.length > 0 && <span className="audit-extra muted">{extra.join(' · ')}</span>}
    </li>
  );
}
