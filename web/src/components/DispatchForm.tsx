import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { TransitionBody, type Case } from '../../../services/dispatch/schemas.ts';
import { apiPost } from '../api.ts';
import { useDepartments } from '../departments.ts';
import { errorText } from '../errors.ts';
import { getStore } from '../store.ts';
import { validate, withoutChangedField, type FieldErrors } from '../validation.ts';
import { FieldError } from './Field.tsx';

/**
 * Dispatch a case (new / returned / reopened) to a department. The routing suggestion is pre-selected and
 * marked; staff may override it (the audit row records the override).
 */
export function DispatchForm({
  kase,
  onDone,
  onConflict,
}: {
  kase: Case;
  onDone: (c: Case) => void;
  onConflict?: (e: unknown) => void;
}) {
  const { t } = useTranslation();
  const departments = useDepartments();
  const [departmentId, setDepartmentId] = useState(
    kase.state === 'new'
      ? (kase.suggestedDepartmentId ?? '')
      : (kase.departmentId ?? kase.suggestedDepartmentId ?? ''),
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const v = validate(TransitionBody, { action: 'dispatch', departmentId: departmentId || undefined }, t);
    if (v.data === null || v.data.departmentId === undefined) {
      setErrors(v.errors ?? { departmentId: t('validation.choose') });
      return;
    }
    setErrors({});
    setBusy(true);
    setFailure(null);
    try {
      const r = await apiPost<{ case: Case }>(
        `/api/cases/${encodeURIComponent(kase.id)}/transitions`,
        v.data,
        {
          ifMatch: kase.version,
        },
      );
      getStore().applyCase(r.case);
      onDone(r.case);
    } catch (err) {
      setFailure(errorText(err, t));
      onConflict?.(err);
    } finally {
      setBusy(false);
    }
  };

  const overriding =
    kase.suggestedDepartmentId !== null && departmentId !== '' && departmentId !== kase.suggestedDepartmentId;
  return (
    <form
      className="inline-form"
      onChange={(e) => setErrors((cur) => withoutChangedField(cur, e))}
      onSubmit={(e) => void submit(e)}
      noValidate
      data-testid="dispatch-form"
    >
      <label className="field">
        <span>{t('dispatch.department')}</span>
        <select
          value={departmentId}
          onChange={(e) => setDepartmentId(e.target.value)}
          name="departmentId"
          data-testid="dispatch-department"
          data-suggested={kase.suggestedDepartmentId ?? ''}
          aria-invalid={errors['departmentId'] !== undefined}
        >
          <option value="">{t('dispatch.chooseDepartment')}</option>
          {departments.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
              {d.id === kase.suggestedDepartmentId ? ` ${t('dispatch.suggestedMark')}` : ''}
            </option>
          ))}
        </select>
        <FieldError message={errors['departmentId']} />
      </label>
      <p className="muted small" data-testid="dispatch-suggestion">
        {kase.suggestedDepartmentId === null
          ? t('dispatch.noSuggestion')
          : overriding
            ? t('dispatch.override')
            : t('dispatch.suggested')}
      </p>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      <button type="submit" className="btn primary" disabled={busy} data-testid="dispatch-submit">
        {t('dispatch.submit')}
      </button>
    </form>
  );
}
