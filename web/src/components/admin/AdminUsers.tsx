import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  CreateUserBody,
  PasswordBody,
  Role,
  UpdateUserBody,
  type AdminUser,
  type Department,
} from '../../../../services/dispatch/schemas.ts';
import { apiGet, apiPatch, apiPost } from '../../api.ts';
import { departmentName } from '../../departments.ts';
import { serverFieldErrors, validatePaths, withoutChangedField, type FieldErrors } from '../../validation.ts';
import { adminErrorText } from '../../adminConfig.ts';
import { AdminField, FormFailure } from './AdminDispatch.tsx';

interface UserDraft {
  /** null while creating. */
  id: string | null;
  username: string;
  displayName: string;
  role: Role | '';
  departmentId: string;
  password: string;
}

const blank: UserDraft = {
  id: null,
  username: '',
  displayName: '',
  role: '',
  departmentId: '',
  password: '',
};

/** `/admin/users`: create users, set role and department, reset passwords, disable (never the last admin). */
export function AdminUsers({ departments }: { departments: readonly Department[] }) {
  const { t } = useTranslation();
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [draft, setDraft] = useState<UserDraft>(blank);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [reset, setReset] = useState<{ id: string; password: string; error?: string | undefined } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    apiGet<{ users: AdminUser[] }>('/api/admin/users').then(
      (r) => setUsers(r.users),
      (e: unknown) => setFailure(adminErrorText(e, t)),
    );
  }, [t]);
  useEffect(load, [load]);

  const fail = (e: unknown) => {
    const fe = serverFieldErrors(e, t);
    if (fe) setErrors(fe);
    setFailure(adminErrorText(e, t));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setNotice(null);
    const dept = draft.role === 'office' ? draft.departmentId || undefined : undefined;
    const v =
      draft.id === null
        ? validatePaths(
            CreateUserBody,
            {
              username: draft.username.trim(),
              displayName: draft.displayName.trim(),
              role: draft.role || undefined,
              departmentId: dept,
              password: draft.password,
            },
            t,
          )
        : validatePaths(
            UpdateUserBody,
            {
              displayName: draft.displayName.trim(),
              role: draft.role || undefined,
              departmentId: dept ?? null,
            },
            t,
          );
    if (v.data !== null && draft.role === 'office' && dept === undefined) {
      setErrors({ departmentId: t('validation.choose') });
      return;
    }
    setErrors(v.errors ?? {});
    if (v.data === null) return;
    setBusy(true);
    try {
      if (draft.id === null) await apiPost<{ user: AdminUser }>('/api/admin/users', v.data);
      else await apiPatch<{ user: AdminUser }>(`/api/admin/users/${encodeURIComponent(draft.id)}`, v.data);
      setNotice(t('adminDispatch.saved'));
      setDraft(blank);
      load();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const setDisabled = async (u: AdminUser, disabled: boolean) => {
    setFailure(null);
    setNotice(null);
    try {
      await apiPatch(`/api/admin/users/${encodeURIComponent(u.id)}`, { disabled });
      load();
    } catch (err) {
      setFailure(adminErrorText(err, t));
    }
  };

  const resetPassword = async (e: FormEvent) => {
    e.preventDefault();
    if (!reset) return;
    const v = validatePaths(PasswordBody, { password: reset.password }, t);
    if (v.data === null) {
      setReset({ ...reset, error: v.errors['password'] });
      return;
    }
    try {
      await apiPost(`/api/admin/users/${encodeURIComponent(reset.id)}/password`, v.data);
      setReset(null);
      setNotice(t('adminDispatch.users.passwordSet'));
    } catch (err) {
      setReset({ ...reset, error: adminErrorText(err, t) });
    }
  };

  return (
    <section className="admin-section">
      {notice !== null && (
        <p className="notice" role="status" data-testid="users-notice">
          {notice}
        </p>
      )}
      {users === null ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <table className="admin-table" data-testid="user-table">
          <thead>
            <tr>
              <th>{t('adminDispatch.users.username')}</th>
              <th>{t('adminDispatch.users.displayName')}</th>
              <th>{t('adminDispatch.users.role')}</th>
              <th>{t('adminDispatch.users.department')}</th>
              <th>{t('adminDispatch.users.status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-testid={`user-${u.username}`} className={u.disabled ? 'muted' : undefined}>
                <td>
                  <code>{u.username}</code>
                </td>
                <td>{u.displayName}</td>
                <td>{t(`role.${u.role}`)}</td>
                <td>{u.departmentId === null ? '—' : departmentName(departments, u.departmentId)}</td>
                <td>{u.disabled ? t('adminDispatch.users.disabled') : t('adminDispatch.users.enabled')}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="btn small"
                    onClick={() => {
                      setDraft({
                        id: u.id,
                        username: u.username,
                        displayName: u.displayName,
                        role: u.role,
                        departmentId: u.departmentId ?? '',
                        password: '',
                      });
                      setErrors({});
                    }}
                  >
                    {t('adminDispatch.edit')}
                  </button>
                  <button
                    type="button"
                    className="btn small"
                    onClick={() => setReset({ id: u.id, password: '' })}
                  >
                    {t('adminDispatch.users.resetPassword')}
                  </button>
                  <button
                    type="button"
                    className="btn small"
                    data-testid={`user-toggle-${u.username}`}
                    onClick={() => void setDisabled(u, !u.disabled)}
                  >
                    {u.disabled ? t('adminDispatch.users.enable') : t('adminDispatch.users.disable')}
                  </button>
                  {reset?.id === u.id && (
                    <form className="inline-form" noValidate onSubmit={(e) => void resetPassword(e)}>
                      <AdminField label={t('adminDispatch.users.newPassword')} error={reset.error}>
                        <input
                          type="password"
                          autoComplete="new-password"
                          value={reset.password}
                          onChange={(e) => setReset({ id: u.id, password: e.target.value })}
                        />
                      </AdminField>
                      <button type="submit" className="btn small primary">
                        {t('adminDispatch.save')}
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="panel admin-form"
        noValidate
        onChange={(e) => setErrors((cur) => withoutChangedField(cur, e))}
        onSubmit={(e) => void submit(e)}
        data-testid="user-form"
      >
        <h3>
          {draft.id === null
            ? t('adminDispatch.users.create')
            : t('adminDispatch.users.editTitle', { name: draft.username })}
        </h3>
        <AdminField label={t('adminDispatch.users.username')} error={errors['username']}>
          <input
            name="username"
            autoCapitalize="none"
            value={draft.username}
            disabled={draft.id !== null}
            onChange={(e) => setDraft({ ...draft, username: e.target.value })}
            aria-invalid={errors['username'] !== undefined}
            data-testid="user-username"
          />
        </AdminField>
        <AdminField label={t('adminDispatch.users.displayName')} error={errors['displayName']}>
          <input
            name="displayName"
            value={draft.displayName}
            onChange={(e) => setDraft({ ...draft, displayName: e.target.value })}
            aria-invalid={errors['displayName'] !== undefined}
            data-testid="user-display-name"
          />
        </AdminField>
        <AdminField label={t('adminDispatch.users.role')} error={errors['role']}>
          <select
            name="role"
            value={draft.role}
            onChange={(e) => setDraft({ ...draft, role: e.target.value as Role | '' })}
            aria-invalid={errors['role'] !== undefined}
            data-testid="user-role"
          >
            <option value="">{t('validation.choose')}</option>
            {Role.options.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </AdminField>
        {draft.role === 'office' && (
          <AdminField label={t('adminDispatch.users.department')} error={errors['departmentId']}>
            <select
              name="departmentId"
              value={draft.departmentId}
              onChange={(e) => setDraft({ ...draft, departmentId: e.target.value })}
              aria-invalid={errors['departmentId'] !== undefined}
              data-testid="user-department"
            >
              <option value="">{t('validation.choose')}</option>
              {departments.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </AdminField>
        )}
        {draft.id === null && (
          <AdminField label={t('adminDispatch.users.password')} error={errors['password']}>
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              value={draft.password}
              onChange={(e) => setDraft({ ...draft, password: e.target.value })}
              aria-invalid={errors['password'] !== undefined}
              data-testid="user-password"
            />
          </AdminField>
        )}
        <FormFailure text={failure} />
        <div className="form-buttons">
          <button type="submit" className="btn primary" disabled={busy} data-testid="user-submit">
            {draft.id === null ? t('adminDispatch.create') : t('adminDispatch.save')}
          </button>
          {draft.id !== null && (
            <button type="button" className="btn" onClick={() => setDraft(blank)}>
              {t('adminDispatch.cancel')}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
