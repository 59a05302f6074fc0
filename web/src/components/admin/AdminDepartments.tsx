import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  DepartmentBody,
  DepartmentUpdateBody,
  type AdminConfigResponse,
  type Department,
} from '../../../../services/dispatch/schemas.ts';
import { apiDelete, apiPost, apiPut, isVersionConflict } from '../../api.ts';
import { adminErrorText, usageText, usedByOf, type AdminPageProps } from '../../adminConfig.ts';
import { serverFieldErrors, validatePaths, withoutChangedField, type FieldErrors } from '../../validation.ts';
import { AdminField, FormFailure } from './AdminDispatch.tsx';

const KINDS: Department['kind'][] = ['street_office', 'bureau'];

/** `/admin/departments`: bureaus and street offices (create, rename, delete when unused). */
export function AdminDepartments({ config, onSaved, onConflict }: AdminPageProps) {
  const { t } = useTranslation();
  const blank = { id: '', name: '', kind: 'street_office' as Department['kind'] };
  const [form, setForm] = useState(blank);
  const [editing, setEditing] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [usedBy, setUsedBy] = useState<{
    id: string;
    list: { kind: string; id: string; name?: string }[];
  } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const fail = (e: unknown) => {
    const fe = serverFieldErrors(e, t);
    if (fe) setErrors(fe);
    setFailure(adminErrorText(e, t));
    if (isVersionConflict(e)) onConflict();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const v =
      editing === null
        ? validatePaths(DepartmentBody, { ...form, id: form.id.trim(), name: form.name.trim() }, t)
        : validatePaths(DepartmentUpdateBody, { name: form.name.trim(), kind: form.kind }, t);
    setErrors(v.errors ?? {});
    if (v.data === null) return;
    setBusy(true);
    try {
      const next =
        editing === null
          ? await apiPost<AdminConfigResponse>('/api/admin/departments', v.data)
          : await apiPut<AdminConfigResponse>(
              `/api/admin/departments/${encodeURIComponent(editing)}`,
              v.data,
            );
      onSaved(next);
      setForm(blank);
      setEditing(null);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (id: string) => {
    setConfirmDelete(null);
    setUsedBy(null);
    setFailure(null);
    try {
      onSaved(await apiDelete<AdminConfigResponse>(`/api/admin/departments/${encodeURIComponent(id)}`));
    } catch (err) {
      const list = usedByOf(err);
      if (list) setUsedBy({ id, list });
      else fail(err);
    }
  };

  return (
    <section className="admin-section">
      <table className="admin-table" data-testid="department-table">
        <thead>
          <tr>
            <th>{t('adminDispatch.dept.id')}</th>
            <th>{t('adminDispatch.dept.name')}</th>
            <th>{t('adminDispatch.dept.kind')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {config.departments.map((d) => (
            <tr key={d.id} data-testid={`department-${d.id}`}>
              <td>
                <code>{d.id}</code>
              </td>
              <td>{d.name}</td>
              <td>{t(`adminDispatch.dept.kinds.${d.kind}`)}</td>
              <td className="row-actions">
                <button
                  type="button"
                  className="btn small"
                  onClick={() => {
                    setEditing(d.id);
                    setForm({ id: d.id, name: d.name, kind: d.kind });
                    setErrors({});
                  }}
                >
                  {t('adminDispatch.edit')}
                </button>
                {confirmDelete === d.id ? (
                  <button
                    type="button"
                    className="btn small danger"
                    data-testid={`department-delete-confirm-${d.id}`}
                    onClick={() => void remove(d.id)}
                  >
                    {t('adminDispatch.confirmDelete')}
                  </button>
                ) : (
                  <button
                    type="button"
                    className="btn small"
                    data-testid={`department-delete-${d.id}`}
                    onClick={() => setConfirmDelete(d.id)}
                  >
                    {t('adminDispatch.delete')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {usedBy !== null && (
        <div className="form-error" role="alert" data-testid="department-in-use">
          <p>{t('adminDispatch.inUse', { id: usedBy.id })}</p>
          <ul>
            {usedBy.list.map((u) => (
              <li key={`${u.kind}:${u.id}`}>{usageText(u, t)}</li>
            ))}
          </ul>
        </div>
      )}
      <form
        className="panel admin-form"
        noValidate
        onChange={(e) => setErrors((cur) => withoutChangedField(cur, e))}
        onSubmit={(e) => void submit(e)}
        data-testid="department-form"
      >
        <h3>
          {editing === null
            ? t('adminDispatch.dept.create')
            : t('adminDispatch.dept.editTitle', { id: editing })}
        </h3>
        <AdminField label={t('adminDispatch.dept.id')} error={errors['id']}>
          <input
            name="id"
            value={form.id}
            disabled={editing !== null}
            placeholder="so-xinhe"
            onChange={(e) => setForm({ ...form, id: e.target.value })}
            aria-invalid={errors['id'] !== undefined}
            data-testid="department-id"
          />
        </AdminField>
        <AdminField label={t('adminDispatch.dept.name')} error={errors['name']}>
          <input
            name="name"
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            aria-invalid={errors['name'] !== undefined}
            data-testid="department-name"
          />
        </AdminField>
        <AdminField label={t('adminDispatch.dept.kind')} error={errors['kind']}>
          <select
            name="kind"
            value={form.kind}
            onChange={(e) => setForm({ ...form, kind: e.target.value as Department['kind'] })}
            data-testid="department-kind"
          >
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`adminDispatch.dept.kinds.${k}`)}
              </option>
            ))}
          </select>
        </AdminField>
        <FormFailure text={failure} />
        <div className="form-buttons">
          <button type="submit" className="btn primary" disabled={busy} data-testid="department-submit">
            {editing === null ? t('adminDispatch.create') : t('adminDispatch.save')}
          </button>
          {editing !== null && (
            <button
              type="button"
              className="btn"
              onClick={() => {
                setEditing(null);
                setForm(blank);
                setErrors({});
              }}
            >
              {t('adminDispatch.cancel')}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
