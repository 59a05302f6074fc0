import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  ConfirmBody,
  DismissBody,
  DismissReason,
  MergeBody,
  Priority,
  type Case,
} from '../../../services/dispatch/schemas.ts';
import type { Alert } from '../../../services/schemas/api.ts';
import { apiPost } from '../api.ts';
import { caseOfAlert, selectMergeTargets } from '../caseState.ts';
import { errorText } from '../errors.ts';
import { formatDateTime } from '../format.ts';
import { useCameraName, useCases } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { getStore } from '../store.ts';
import { validate, type FieldErrors } from '../validation.ts';
import { DispatchForm } from './DispatchForm.tsx';
import { InlineForm, SelectField, TextAreaField } from './Field.tsx';

/** Alerts dismissed in this page's lifetime (the API has no per-alert review read; a 409 covers the rest). */
const dismissedHere = new Map<string, string>();

type Mode = 'idle' | 'confirm' | 'dismiss' | 'merge';

/** Review actions of one alert for duty staff: confirm → dispatch, dismiss with a reason, merge into a case. */
export function AlertReview({ alert }: { alert: Alert }) {
  const { t } = useTranslation();
  const cases = useCases();
  const [mode, setMode] = useState<Mode>('idle');
  const [dismissed, setDismissed] = useState(dismissedHere.get(alert.id) ?? null);
  const linked = caseOfAlert(cases, alert.id);

  if (dismissed !== null) {
    return (
      <div className="review done" data-testid="alert-dismissed">
        {t('review.dismissedAs', { reason: t(`dismissReason.${dismissed}`) })}
      </div>
    );
  }
  if (linked !== null) {
    return (
      <div
        className="review linked"
        data-testid="alert-case"
        data-case-id={linked.id}
        data-case-state={linked.state}
      >
        <a {...linkProps(`/cases/${encodeURIComponent(linked.id)}`)} data-testid="alert-case-link">
          {t('review.linkedCase', { state: t(`caseState.${linked.state}`) })}
        </a>
        {linked.state === 'new' && <DispatchForm kase={linked} onDone={() => undefined} />}
      </div>
    );
  }
  return (
    <div className="review" data-testid="alert-review">
      <div className="review-buttons">
        <button
          type="button"
          className={`btn primary${mode === 'confirm' ? ' active' : ''}`}
          onClick={() => setMode(mode === 'confirm' ? 'idle' : 'confirm')}
          data-testid="alert-confirm"
        >
          {t('review.confirm')}
        </button>
        <button
          type="button"
          className={`btn${mode === 'dismiss' ? ' active' : ''}`}
          onClick={() => setMode(mode === 'dismiss' ? 'idle' : 'dismiss')}
          data-testid="alert-dismiss"
        >
          {t('review.dismiss')}
        </button>
        <button
          type="button"
          className={`btn${mode === 'merge' ? ' active' : ''}`}
          onClick={() => setMode(mode === 'merge' ? 'idle' : 'merge')}
          data-testid="alert-merge"
        >
          {t('review.merge')}
        </button>
      </div>
      {mode === 'confirm' && <ConfirmForm alert={alert} />}
      {mode === 'dismiss' && (
        <DismissForm
          alert={alert}
          onDone={(reason) => {
            dismissedHere.set(alert.id, reason);
            setDismissed(reason);
          }}
        />
      )}
      {mode === 'merge' && <MergeForm alert={alert} targets={selectMergeTargets(cases)} />}
    </div>
  );
}

function ConfirmForm({ alert }: { alert: Alert }) {
  const { t } = useTranslation();
  const [priority, setPriority] = useState<Priority>('normal');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const v = validate(ConfirmBody, { priority, ...(note.trim() ? { note: note.trim() } : {}) }, t);
    setErrors(v.errors ?? {});
    if (v.data === null) return;
    setBusy(true);
    setFailure(null);
    try {
      const r = await apiPost<{ case: Case }>(`/api/alerts/${encodeURIComponent(alert.id)}/confirm`, v.data);
      // The case now links this alert: the review switches to the dispatch form with the suggestion.
      getStore().applyCase(r.case);
    } catch (err) {
      setFailure(errorText(err, t));
      setBusy(false);
    }
  };
  return (
    <InlineForm
      testId="confirm-form"
      onSubmit={submit}
      setErrors={setErrors}
      failure={failure}
      busy={busy}
      submitLabel={t('review.confirmSubmit')}
      submitClass="primary"
      submitTestId="confirm-submit"
    >
      <SelectField
        label={t('review.priority')}
        name="priority"
        value={priority}
        onChange={(v) => setPriority(Priority.parse(v))}
        options={Priority.options.map((p) => ({ value: p, label: t(`priority.${p}`) }))}
        error={errors['priority']}
        testId="confirm-priority"
      />
      <TextAreaField
        label={t('review.note')}
        name="note"
        value={note}
        onChange={setNote}
        error={errors['note']}
      />
    </InlineForm>
  );
}

function DismissForm({ alert, onDone }: { alert: Alert; onDone: (reason: DismissReason) => void }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState<string>('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const v = validate(DismissBody, { reason: reason || undefined, ...(note.trim() ? { note } : {}) }, t);
    if (v.data === null) {
      setErrors({
        ...v.errors,
        ...(v.errors['note'] !== undefined ? { note: t('validation.noteRequired') } : {}),
      });
      return;
    }
    setErrors({});
    setBusy(true);
    setFailure(null);
    try {
      await apiPost(`/api/alerts/${encodeURIComponent(alert.id)}/dismiss`, v.data);
      onDone(v.data.reason);
    } catch (err) {
      setFailure(errorText(err, t));
      setBusy(false);
    }
  };
  return (
    <InlineForm
      testId="dismiss-form"
      onSubmit={submit}
      setErrors={setErrors}
      failure={failure}
      busy={busy}
      submitLabel={t('review.dismissSubmit')}
      submitClass="danger"
      submitTestId="dismiss-submit"
    >
      <SelectField
        label={t('review.reason')}
        name="reason"
        value={reason}
        onChange={setReason}
        placeholder={t('review.chooseReason')}
        options={DismissReason.options.map((r) => ({ value: r, label: t(`dismissReason.${r}`) }))}
        error={errors['reason']}
        testId="dismiss-reason"
      />
      <TextAreaField
        label={reason === 'other' ? t('review.noteRequired') : t('review.note')}
        name="note"
        value={note}
        onChange={setNote}
        error={errors['note']}
        testId="dismiss-note"
      />
    </InlineForm>
  );
}

function MergeForm({ alert, targets }: { alert: Alert; targets: Case[] }) {
  const { t, i18n } = useTranslation();
  const cameraName = useCameraName();
  const [caseId, setCaseId] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const v = validate(MergeBody, { caseId }, t);
    setErrors(v.errors ?? {});
    if (v.data === null) return;
    setBusy(true);
    setFailure(null);
    try {
      const r = await apiPost<{ case: Case }>(`/api/alerts/${encodeURIComponent(alert.id)}/merge`, v.data);
      getStore().applyCase(r.case);
    } catch (err) {
      setFailure(errorText(err, t));
      setBusy(false);
    }
  };
  if (targets.length === 0) return <p className="muted">{t('review.noOpenCases')}</p>;
  return (
    <InlineForm
      testId="merge-form"
      onSubmit={submit}
      setErrors={setErrors}
      failure={failure}
      busy={busy}
      submitLabel={t('review.mergeSubmit')}
      submitTestId="merge-submit"
    >
      <SelectField
        label={t('review.mergeInto')}
        name="caseId"
        value={caseId}
        onChange={setCaseId}
        placeholder={t('review.chooseCase')}
        options={targets.map((c) => ({
          value: c.id,
          label:
            `${t(`alertType.${c.alertType}`)} · ${cameraName(c.cameraId)} · ${t(`caseState.${c.state}`)} · ` +
            formatDateTime(c.createdAt, i18n.language) +
            (c.cameraId === alert.cameraId ? ` ${t('review.sameCamera')}` : ''),
        }))}
        error={errors['caseId']}
        testId="merge-case"
      />
    </InlineForm>
  );
}
