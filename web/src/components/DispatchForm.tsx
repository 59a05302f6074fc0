import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { TransitionBody, type Case } from '../../../services/dispatch/schemas.ts';
import { apiPost } from '../api.ts';
import { useDepartments } from '../departments.ts';
import { errorText } from '../errors.ts';
import { getStore } from '../store.ts';
import { validate, type FieldErrors } from '../validation.ts';
import { InlineForm, SelectField } from './Field.tsx';

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

  const submit = async () => {
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
    <InlineForm
      testId="dispatch-form"
      onSubmit={submit}
      setErrors={setErrors}
      failure={failure}
      busy={busy}
      submitLabel={t('dispatch.submit')}
      submitClass="primary"
      submitTestId="dispatch-submit"
    >
      <SelectField
        label={t('dispatch.department')}
        name="departmentId"
        value={departmentId}
        onChange={setDepartmentId}
        placeholder={t('dispatch.chooseDepartment')}
        options={departments.map((d) => ({
          value: d.id,
          label: d.name + (d.id === kase.suggestedDepartmentId ? ` ${t('dispatch.suggestedMark')}` : ''),
        }))}
        error={errors['departmentId']}
        testId="dispatch-department"
        extra={{ 'data-suggested': kase.suggestedDepartmentId ?? '' }}
      />
      <p className="muted small" data-testid="dispatch-suggestion">
        {kase.suggestedDepartmentId === null
          ? t('dispatch.noSuggestion')
          : overriding
            ? t('dispatch.override')
            : t('dispatch.suggested')}
      </p>
    </InlineForm>
  );
}
