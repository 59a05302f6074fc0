import { useState, type FormEvent } from 'react';
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
import { validate, withoutChangedField, type FieldErrors } from '../validation.ts';
import { DispatchForm } from './DispatchForm.tsx';
import { FieldError } from './Field.tsx';

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
  const submit = async (e: FormEvent) => {
    e.preventDefault();
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
    <form
      className="inline-form"
      onChange={(e) => setErrors((cur) => withoutChangedField(cur, e))}
      onSubmit={(e) => void submit(e)}
      noValidate
      data-testid={`${action}-form`}
    >
      <label className="field">
        <span>{t('caseForm.reason')}</span>
        <textarea
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          rows={3}
          name="reason"
          data-testid="action-reason"
          aria-invalid={errors['reason'] !== undefined}
        />
        <FieldError message={errors['reason']} />
      </label>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      <button type="submit" className="btn danger" disabled={busy} data-testid={`${action}-submit`}>
        {t(`caseAction.${action}`)}
      </button>
    </form>
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

  const submit = async (e: FormEvent) => {
    e.preventDefault();
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
    <form
      className="inline-form resolve-form"
      onChange={(e) => setErrors((cur) => withoutChangedField(cur, e))}
      onSubmit={(e) => void submit(e)}
      noValidate
      data-testid="resolve-form"
    >
      <label className="field">
        <span>{t('caseForm.disposition')}</span>
        <select
          value={disposition}
          onChange={(e) => setDisposition(e.target.value)}
          name="disposition"
          data-testid="resolve-disposition"
          aria-invalid={errors['disposition'] !== undefined}
        >
          <option value="">{t('caseForm.chooseDisposition')}</option>
          {Disposition.options.map((d) => (
            <option key={d} value={d}>
              {t(`disposition.${d}`)}
            </option>
          ))}
        </select>
        <FieldError message={errors['disposition']} />
      </label>
      <label className="field">
        <span>{t('caseForm.note')}</span>
        <textarea
          value={note}
          onChange={(e) => setNote(e.target.value)}
          rows={3}
          name="note"
          data-testid="resolve-note"
          aria-invalid={errors['note'] !== undefined}
        />
        <FieldError message={errors['note']} />
      </label>
      <label className="field">
        <span>{t('caseForm.photos', { max: EVIDENCE.maxPhotos })}</span>
        <input
          type="file"
          accept="image/*"
          capture="environment"
          multiple
          name="photos"
          data-testid="resolve-photos"
          onChange={(e) => setPhotos(Array.from(e.target.files ?? []))}
          aria-invalid={errors['photos'] !== undefined}
        />
        {photos.length > 0 && (
          <span className="muted small" data-testid="resolve-photo-count">
            {t('caseForm.photosChosen', { count: photos.length })}
          </span>
        )}
        <FieldError message={errors['photos']} />
      </label>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      <button type="submit" className="btn primary" disabled={busy} data-testid="resolve-submit">
        {busy ? t('common.sending') : t('caseAction.resolve')}
      </button>
    </form>
  );
}

/** Which form field a server error belongs to. */
function errText(e: unknown): string | null {
  const code = (e as { code?: string } | null)?.code;
  return code === 'unsupported_image' || code === 'photo_too_large' || code === 'too_many_photos'
    ? 'photos'
    : null;
}
