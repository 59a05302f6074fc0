import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { allowedActions } from '../../../services/dispatch/caseMachine.ts';
import { isVersionConflict } from '../api.ts';
import { selectOfficeCases } from '../caseState.ts';
import { departmentName, useDepartments } from '../departments.ts';
import { formatDateTime } from '../format.ts';
import { useCases } from '../hooks.ts';
import { useSession } from '../session.ts';
import { getStore } from '../store.ts';
import { CaseActions } from './CaseActions.tsx';
import { CaseCard } from './CaseBoard.tsx';

/** Street-office portal (phone first): my department's cases with their timeline and the unit's actions. */
export function OfficePortal() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const departments = useDepartments();
  const cases = useCases();
  const { active, other } = selectOfficeCases(cases);
  const [conflict, setConflict] = useState<string | null>(null);
  const onError = (e: unknown) => {
    if (isVersionConflict(e)) {
      setConflict(t('case.conflict'));
      void getStore().loadCases();
    }
  };
  const lng = i18n.language;
  return (
    <main className="page office-page" data-testid="office-portal">
      <h2>
        {t('office.title')} · {departmentName(departments, session.user?.departmentId ?? null)}
      </h2>
      {conflict !== null && (
        <p className="notice" role="status">
          {conflict}
        </p>
      )}
      {!cases.loaded && <p className="muted">{t('common.loading')}</p>}
      {cases.loaded && active.length === 0 && (
        <p className="empty-state" data-testid="office-empty">
          {t('office.empty')}
        </p>
      )}
      <div className="office-list">
        {active.map((c) => (
          <CaseCard key={c.id} c={c}>
            <dl className="facts compact">
              <dt>{t('case.dispatchedAt')}</dt>
              <dd>{formatDateTime(c.dispatchedAt, lng)}</dd>
              {c.acceptedAt !== null && (
                <>
                  <dt>{t('case.acceptedAt')}</dt>
                  <dd>{formatDateTime(c.acceptedAt, lng)}</dd>
                </>
              )}
              {c.onSiteAt !== null && (
                <>
                  <dt>{t('case.onSiteAt')}</dt>
                  <dd>{formatDateTime(c.onSiteAt, lng)}</dd>
                </>
              )}
              <dt>{t('case.location')}</dt>
              <dd>
                {c.position !== null ? (
                  <a href={`geo:${c.position.lat},${c.position.lon}`}>
                    {c.position.lat.toFixed(5)}, {c.position.lon.toFixed(5)}
                  </a>
                ) : (
                  '—'
                )}
              </dd>
            </dl>
            <CaseActions
              key={c.version}
              kase={c}
              allowed={allowedActions(c.state, 'office')}
              onChanged={() => setConflict(null)}
              onError={onError}
            />
          </CaseCard>
        ))}
      </div>
      {other.length > 0 && (
        <details className="closed-section" data-testid="office-other">
          <summary>{t('office.other', { count: other.length })}</summary>
          <div className="office-list">
            {other.map((c) => (
              <CaseCard key={c.id} c={c} />
            ))}
          </div>
        </details>
      )}
    </main>
  );
}
