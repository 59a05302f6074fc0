import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Case } from '../../../services/dispatch/schemas.ts';
import { BOARD_COLUMNS, isOverdue, selectBoard } from '../caseState.ts';
import { departmentName, useDepartments } from '../departments.ts';
import { formatDateTime } from '../format.ts';
import { useCameraName, useCases } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { caseDeadlines, useSlaPolicies } from '../sla.ts';
import { DeadlineList } from './Deadlines.tsx';

/** A case summary card (board and office portal). */
export function CaseCard({ c, children }: { c: Case; children?: ReactNode }) {
  const { t, i18n } = useTranslation();
  const departments = useDepartments();
  const cameraName = useCameraName();
  const overdue = isOverdue(c);
  const deadlines = caseDeadlines(c, useSlaPolicies());
  return (
    <article
      className={`case-card state-${c.state}${overdue ? ' overdue' : ''}`}
      data-testid="case-card"
      data-case-id={c.id}
      data-case-state={c.state}
      data-overdue={overdue ? 'true' : 'false'}
    >
      <a className="case-link" {...linkProps(`/cases/${encodeURIComponent(c.id)}`)} data-testid="case-link">
        <span className="case-type">{t(`alertType.${c.alertType}`)}</span>
        <span className={`badge state state-${c.state}`}>{t(`caseState.${c.state}`)}</span>
        {c.priority !== 'normal' && (
          <span className={`badge prio-${c.priority}`}>{t(`priority.${c.priority}`)}</span>
        )}
      </a>
      <div className="case-meta muted">
        <span>{cameraName(c.cameraId)}</span>
        <span>{departmentName(departments, c.departmentId ?? c.suggestedDepartmentId)}</span>
        <span>
          <time dateTime={c.updatedAt}>{formatDateTime(c.updatedAt, i18n.language)}</time>
        </span>
      </div>
      {overdue && (
        <div className="overdue-flag" data-testid="case-overdue">
          {t('cases.overdue', { stages: c.overdue.map((s) => t(`slaStage.${s}`)).join(t('common.listSep')) })}
          {c.escalationLevel > 0 && ` · ${t('cases.escalated', { level: c.escalationLevel })}`}
        </div>
      )}
      <DeadlineList c={c} deadlines={deadlines} compact />
      {children}
    </article>
  );
}

/** Case board by state; closed and cancelled cases collapsed below. Live through `case` socket events. */
export function CaseBoard() {
  const { t } = useTranslation();
  const cases = useCases();
  const board = selectBoard(cases);
  return (
    <main className="page board-page" data-testid="case-board">
      <h2>{t('cases.boardTitle')}</h2>
      {!cases.loaded && <p className="muted">{t('common.loading')}</p>}
      <div className="board">
        {BOARD_COLUMNS.map((col) => (
          <section
            key={col}
            className="board-col"
            data-testid={`board-col-${col}`}
            aria-labelledby={`col-${col}`}
          >
            <h3 id={`col-${col}`}>
              {t(`boardColumn.${col}`)} <span className="count">{board.columns[col].length}</span>
            </h3>
            {board.columns[col].map((c) => (
              <CaseCard key={c.id} c={c} />
            ))}
          </section>
        ))}
      </div>
      <details className="closed-section" data-testid="board-done">
        <summary>{t('cases.doneTitle', { count: board.done.length })}</summary>
        <div className="done-list">
          {board.done.map((c) => (
            <CaseCard key={c.id} c={c} />
          ))}
        </div>
      </details>
    </main>
  );
}
