import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { DetectionType } from '../../../../services/schemas/config.ts';
import { Priority, SlaBody, type AdminConfigResponse } from '../../../../services/dispatch/schemas.ts';
import { apiPut, isVersionConflict } from '../../api.ts';
import { adminErrorText, type AdminPageProps } from '../../adminConfig.ts';
import { serverFieldErrors, validatePaths, type FieldErrors } from '../../validation.ts';
import { AdminField, FormFailure } from './AdminDispatch.tsx';

const NUMBERS = ['acceptMin', 'arriveMin', 'resolveMin', 'escalateAfterMin', 'maxLevel'] as const;
type NumberField = (typeof NUMBERS)[number];
type PolicyDraft = { key: number; alertType: string; priority: string } & Record<NumberField, string>;

let nextKey = 1;

/** `/admin/sla`: deadlines (minutes from dispatch) per alert type × priority; the most specific policy wins. */
export function AdminSla({ config, onSaved, onConflict }: AdminPageProps) {
  const { t } = useTranslation();
  const [rows, setRows] = useState<PolicyDraft[]>(() =>
    config.sla.map((p) => ({
      key: nextKey++,
      alertType: p.alertType ?? '',
      priority: p.priority ?? '',
      acceptMin: String(p.acceptMin),
      arriveMin: String(p.arriveMin),
      resolveMin: String(p.resolveMin),
      escalateAfterMin: String(p.escalateAfterMin),
      maxLevel: String(p.maxLevel),
    })),
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const update = (i: number, f: keyof PolicyDraft, value: string) => {
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, [f]: value } : r)));
    setSaved(false);
    setErrors((cur) => {
      const next = { ...cur };
      delete next[`policies.${i}.${f}`];
      return next;
    });
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
    const body = {
      policies: rows.map((r) => ({
        alertType: r.alertType || undefined,
        priority: r.priority || undefined,
        acceptMin: num(r.acceptMin),
        arriveMin: num(r.arriveMin),
        resolveMin: num(r.resolveMin),
        escalateAfterMin: num(r.escalateAfterMin),
        maxLevel: num(r.maxLevel),
      })),
      expectedVersion: config.versions.sla,
    };
    const v = validatePaths(SlaBody, body, t);
    setErrors(v.errors ?? {});
    if (v.data === null) return;
    setBusy(true);
    try {
      onSaved(await apiPut<AdminConfigResponse>('/api/admin/sla', v.data));
      setSaved(true);
    } catch (err) {
      const fe = serverFieldErrors(err, t);
      if (fe) setErrors(fe);
      setFailure(adminErrorText(err, t));
      if (isVersionConflict(err)) onConflict();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="admin-section">
      <form noValidate onSubmit={(e) => void save(e)} data-testid="sla-form">
        <p className="muted small">{t('adminDispatch.sla.hint')}</p>
        <table className="admin-table" data-testid="sla-table">
          <thead>
            <tr>
              <th>{t('adminDispatch.rules.alertType')}</th>
              <th>{t('adminDispatch.sla.priority')}</th>
              {NUMBERS.map((f) => (
                <th key={f}>{t(`adminDispatch.sla.${f}`)}</th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.key} data-testid={`sla-row-${i}`}>
                <td>
                  <AdminField
                    label={t('adminDispatch.rules.alertType')}
                    error={errors[`policies.${i}.alertType`]}
                    className="compact"
                  >
                    <select value={r.alertType} onChange={(e) => update(i, 'alertType', e.target.value)}>
                      <option value="">{t('adminDispatch.rules.any')}</option>
                      {DetectionType.options.map((x) => (
                        <option key={x} value={x}>
                          {t(`alertType.${x}`)}
                        </option>
                      ))}
                    </select>
                  </AdminField>
                </td>
                <td>
                  <AdminField
                    label={t('adminDispatch.sla.priority')}
                    error={errors[`policies.${i}.priority`]}
                    className="compact"
                  >
                    <select value={r.priority} onChange={(e) => update(i, 'priority', e.target.value)}>
                      <option value="">{t('adminDispatch.rules.any')}</option>
                      {Priority.options.map((x) => (
                        <option key={x} value={x}>
                          {t(`priority.${x}`)}
                        </option>
                      ))}
                    </select>
                  </AdminField>
                </td>
                {NUMBERS.map((f) => (
                  <td key={f}>
                    <AdminField
                      label={t(`adminDispatch.sla.${f}`)}
                      error={errors[`policies.${i}.${f}`]}
                      className="compact"
                    >
                      <input
                        type="number"
                        className="num"
                        min={f === 'maxLevel' ? 1 : 0}
                        value={r[f]}
                        onChange={(e) => update(i, f, e.target.value)}
                        aria-invalid={errors[`policies.${i}.${f}`] !== undefined}
                        data-testid={`sla-${i}-${f}`}
                      />
                    </AdminField>
                  </td>
                ))}
                <td className="row-actions">
                  <button
                    type="button"
                    className="btn small"
                    onClick={() => {
                      setRows((rs) => rs.filter((_, j) => j !== i));
                      setErrors({});
                    }}
                  >
                    {t('adminDispatch.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <FieldErrorLine message={errors['policies']} />
        <div className="form-buttons">
          <button
            type="button"
            className="btn"
            data-testid="sla-add"
            onClick={() =>
              setRows((rs) => [
                ...rs,
                {
                  key: nextKey++,
                  alertType: '',
                  priority: '',
                  acceptMin: '',
                  arriveMin: '',
                  resolveMin: '',
                  escalateAfterMin: '',
                  maxLevel: '2',
                },
              ])
            }
          >
            {t('adminDispatch.sla.add')}
          </button>
        </div>
        <FormFailure text={failure} />
        {saved && (
          <p className="notice" role="status" data-testid="sla-saved">
            {t('adminDispatch.saved')}
          </p>
        )}
        <button type="submit" className="btn primary" disabled={busy} data-testid="sla-submit">
          {t('adminDispatch.save')}
        </button>
      </form>
    </section>
  );
}

/** The list-level message (e.g. "at least one policy"). */
function FieldErrorLine({ message }: { message: string | undefined }) {
  return message === undefined ? null : (
    <AdminField label="" error={message}>
      {null}
    </AdminField>
  );
}
