import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { LoginBody } from '../../../services/dispatch/schemas.ts';
import { unlockAudio } from '../alarm.ts';
import { errorText } from '../errors.ts';
import { navigate } from '../router.ts';
import { homeFor, login, useSession } from '../session.ts';
import { validate, withoutChangedField, type FieldErrors } from '../validation.ts';
import { FieldError } from './Field.tsx';

export function LoginPage({ next }: { next: string | null }) {
  const { t } = useTranslation();
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    unlockAudio(); // the login click is the gesture that lets the alarm play later
    const v = validate(LoginBody, { username: username.trim(), password }, t);
    setErrors(v.errors ?? {});
    setFailure(null);
    if (v.data === null) return;
    setBusy(true);
    try {
      const user = await login(v.data.username, v.data.password);
      navigate(next ?? homeFor(user.role), true);
    } catch (err) {
      setFailure(errorText(err, t));
      setBusy(false);
    }
  };

  return (
    <main className="login-page">
      <form
        className="login-form panel"
        onChange={(e) => setErrors((cur) => withoutChangedField(cur, e))}
        onSubmit={(e) => void submit(e)}
        noValidate
        data-testid="login-form"
      >
        <h2>{t('auth.title')}</h2>
        {session.expired && (
          <p className="notice" role="status">
            {t('auth.expired')}
          </p>
        )}
        <label className="field">
          <span>{t('auth.username')}</span>
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-invalid={errors['username'] !== undefined}
            data-testid="login-username"
          />
          <FieldError message={errors['username']} />
        </label>
        <label className="field">
          <span>{t('auth.password')}</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={errors['password'] !== undefined}
            data-testid="login-password"
          />
          <FieldError message={errors['password']} />
        </label>
        {failure !== null && (
          <p className="form-error" role="alert" data-testid="login-error">
            {failure}
          </p>
        )}
        <button type="submit" className="btn primary" disabled={busy} data-testid="login-submit">
          {busy ? t('auth.signingIn') : t('auth.submit')}
        </button>
      </form>
    </main>
  );
}
