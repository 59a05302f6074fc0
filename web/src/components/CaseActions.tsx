import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  Disposition,
  EvidenceSettings,
  FeedbackFields,
  TransitionBody,
  type Case,
  type CaseAction,
} from '../../../services/dispatch/schemas.ts';
import { apiPost } from '../api.ts';
import { errorText } from '../errors.ts';
import { getStore } from '../store.ts';
import { validate, type FieldErrors } from '../validation.ts';
import { DispatchForm } from './DispatchForm.tsx';
import { InlineForm, Field, SelectField, TextAreaField } from './Field.tsx';

/** Actions that need a reason (mirrors `REASON_REQUIRED` of the case machine). */
const NEEDS_REASON: ReadonlySet<CaseAction> = new Set(['return', 'reopen', 'cancel']);
/** Photo limits the server applies by default (`evidence.yaml` may lower them; the server answers 413/400). */
const EVIDENCE = EvidenceSettings.parse({});
const DANGER: ReadonlySet<CaseAction> = new Set(['return', 'cancel', 'reopen']);

export interface ActionProps {
  kase: Case;
  /** A write succeeded (the new case record). */
  onChanged: (c: Case) => void;
  /** A write failed: 409 version_conflict makes the caller reload. */
  onError: (e: unknown) => void;
}

async function transition(kase: Case, body: TransitionBody): Promise<Case> {
  const r = await apiPost<{ case: Case }>(`/api/cases/${encodeURIComponent(kase.id)}/transitions`, body, {
    ifMatch: kase.version,
  });
  getStore().applyCase(r.case);
  return r.case;
}

/** The buttons (and their small forms) for the actions the current user may take now. */
export function CaseActions({
  kase,
  allowed,
  onChanged,
  onError,
}: ActionProps & { allowed: readonly CaseAction[] }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<CaseAction | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  if (allowed.length === 0) return null;

  const simple = async (action: CaseAction) => {
    setBusy(true);
    setFailure(null);
    try {
      onChanged(await transition(kase, { action }));
    } catch (e) {
      setFailure(errorText(e, t));
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  const done = (c: Case) => {
    setOpen(null);
    onChanged(c);
  };

  return (
    <div className="case-actions" data-testid="case-actions">
      <div className="review-buttons">
        {allowed.map((a) => {
          const needsForm = a === 'dispatch' || a === 'resolve' || NEEDS_REASON.has(a);
          return (
            <button
              key={a}
              type="button"
              className={`btn${DANGER.has(a) ? ' danger' : ' primary'}${open === a ? ' active' : ''}`}
              disabled={busy}
              data-testid={`action-${a}`}
              onClick={() => {
                setFailure(null);
                if (needsForm) setOpen(open === a ? null : a);
                else void simple(a);
              }}
            >
              {t(`caseAction.${a}`)}
            </button>
          );
        })}
      </div>
      {failure !== null && (
        <p className="form-error" role="alert" data-testid="action-error">
          {failure}
        </p>
      )}
      {open === 'dispatch' && <DispatchForm kase={kase} onDone={done} onConflict={onError} />}
      {open === 'resolve' && <ResolveForm kase={kase} onChanged={done} onError={onError} />}
      {open !== null && NEEDS_REASON.has(open) && (
        <ReasonForm key={open} kase={kase} action={open} onChanged={done} onError={onError} />
      )}
    </div>
  );
}

function ReasonForm({ kase, action, onChanged, onError }: ActionProps & { action: CaseAction }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const v = validate(TransitionBody, { action, reason }, t);
    if (v.data === null || v.data.reason === undefined) {
      setErrors(v.errors ?? { reason: t('validation.required') });
      return;
    }
    setErrors({});
    setBusy(true);
    setFailure(null);
    try {
      onChanged(await transition(kase, v.data));
    } catch (err) {
      setFailure(errorText(err, t));
      onError(err);
      setBusy(false);
    }
  };
  return (
    <InlineForm
      testId={`${action}-form`}
      onSubmit={submit}
      setErrors={setErrors}
      failure={failure}
      busy={busy}
      submitLabel={t(`caseAction.${action}`)}
      submitClass="danger"
      submitTestId={`${action}-submit`}
    >
      <TextAreaField
        label={t('caseForm.reason')}
        name="reason"
        value={reason}
        onChange={setReason}
        rows={3}
        error={errors['reason']}
        testId="action-reason"
      />
    </InlineForm>
  );
}

/**
 * Resolve on site: notes, disposition and photos from the phone camera. Sends the note and photos as field
 * feedback (multipart), then the `resolve` transition with the disposition and `If-Match`.
 */
export function ResolveForm({ kase, onChanged, onError }: ActionProps) {
  const { t } = useTranslation();
  const [note, setNote] = useState('');
  const [disposition, setDisposition] = useState('');
  const [photos, setPhotos] = useState<File[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const fields = validate(
      FeedbackFields,
      { note: note || undefined, disposition: disposition || undefined },
      t,
    );
    const errs: FieldErrors = { ...(fields.errors ?? {}) };
    if (disposition === '') errs['disposition'] = t('validation.choose');
    if (photos.length > EVIDENCE.maxPhotos)
      errs['photos'] = t('caseForm.tooManyPhotos', { max: EVIDENCE.maxPhotos });
    else if (photos.some((p) => p.size > EVIDENCE.maxPhotoBytes))
      errs['photos'] = t('caseForm.photoTooLarge', { mb: Math.round(EVIDENCE.maxPhotoBytes / 1048576) });
    setErrors(errs);
    if (fields.data === null || Object.keys(errs).length > 0) return;
    const parsedDisposition = Disposition.parse(disposition);
    setBusy(true);
    setFailure(null);
    try {
      let current = kase;
      if (fields.data.note !== undefined || photos.length > 0) {
        const form = new FormData();
        if (fields.data.note !== undefined && fields.data.note !== '') form.append('note', fields.data.note);
        for (const p of photos) form.append('photos', p, p.name);
        const r = await apiPost<{ case: Case }>(`/api/cases/${encodeURIComponent(kase.id)}/feedback`, form);
        current = r.case;
      }
      onChanged(await transition(current, { action: 'resolve', disposition: parsedDisposition }));
    } catch (err) {
      setFailure(errorText(err, t));
      if (errText(err) === 'photos') setErrors({ photos: errorText(err, t) });
      onError(err);
      setBusy(false);
    }
  };

  return (
    <InlineForm
      testId="resolve-form"
      className="resolve-form"
      onSubmit={submit}
      setErrors={setErrors}
      failure={failure}
      busy={busy}
      submitLabel={busy ? t('common.sending') : t('caseAction.resolve')}
      submitClass="primary"
      submitTestId="resolve-submit"
    >
      <SelectField
        label={t('caseForm.disposition')}
        name="disposition"
        value={disposition}
        onChange={setDisposition}
        placeholder={t('caseForm.chooseDisposition')}
        options={Disposition.options.map((d) => ({ value: d, label: t(`disposition.${d}`) }))}
        error={errors['disposition']}
        testId="resolve-disposition"
      />
      <TextAreaField
        label={t('caseForm.note')}
        name="note"
        value={note}
        onChange={setNote}
        rows={3}
        error={errors['note']}
        testId="resolve-note"
      />
      <Field
        label={t('caseForm.photos', { max: EVIDENCE.maxPhotos })}
        error={errors['photos']}
        after={
          photos.length > 0 && (
            <span className="muted small" data-testid="resolve-photo-count">
              {t('caseForm.photosChosen', { count: photos.length })}
            </span>
          )
        }
      >
        {(aria) => (
          <input
            type="file"
            accept="image/*"
            capture="environment"
            multiple
            name="photos"
            data-testid="resolve-photos"
            onChange={(e) => setPhotos(Array.from(e.target.files ?? []))}
            {...aria}
          />
        )}
      </Field>
    </InlineForm>
  );
}

/** Which form field a server error belongs to. */
function errText(e: unknown): string | null {
  const code = (e as { code?: string } | null)?.code;
  return code === 'unsupported_image' || code === 'photo_too_large' || code === 'too_many_photos'
    ? 'photos'
    : null;
}
