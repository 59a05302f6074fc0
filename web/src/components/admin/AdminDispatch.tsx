import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { adminErrorText, useAdminConfig } from '../../adminConfig.ts';
import { ADMIN_DISPATCH_SECTIONS, linkProps, type AdminDispatchSection } from '../../router.ts';
import { FieldError } from '../Field.tsx';
import { AdminDepartments } from './AdminDepartments.tsx';
import { AdminRules } from './AdminRules.tsx';
import { AdminSla } from './AdminSla.tsx';
import { AdminUsers } from './AdminUsers.tsx';
import { AdminZones } from './AdminZones.tsx';
import './admin.css';

/** A labelled form field with its validation message right under it (the console's {@link FieldError}). */
export function AdminField({
  label,
  error,
  children,
  className,
}: {
  label: string;
  error: string | undefined;
  children: ReactNode;
  className?: string;
}) {
  return (
    <label className={`field${className ? ` ${className}` : ''}`}>
      <span>{label}</span>
      {children}
      <FieldError message={error} />
    </label>
  );
}

/** A failure line (server or network), or nothing. */
export function FormFailure({ text }: { text: string | null }) {
  if (text === null) return null;
  return (
    <p className="form-error" role="alert" data-testid="admin-failure">
      {text}
    </p>
  );
}

/** Admin pages of the dispatch configuration: departments, zones (map), rules, SLA, users. */
export function AdminDispatch({ section }: { section: AdminDispatchSection }) {
  const { t } = useTranslation();
  const cfg = useAdminConfig();
  let body: ReactNode;
  if (section === 'users') body = <AdminUsers departments={cfg.config?.departments ?? []} />;
  else if (cfg.error !== null)
    body = (
      <p className="form-error" role="alert">
        {adminErrorText(cfg.error, t)}
      </p>
    );
  else if (cfg.config === null) body = <p className="muted">{t('common.loading')}</p>;
  else {
    const props = { config: cfg.config, onSaved: cfg.set, onConflict: cfg.reload };
    switch (section) {
      case 'departments':
        body = <AdminDepartments {...props} />;
        break;
      case 'zones':
        body = <AdminZones {...props} />;
        break;
      case 'rules':
        body = <AdminRules {...props} />;
        break;
      case 'sla':
        body = <AdminSla {...props} />;
        break;
    }
  }
  return (
    <main className="page admin-page" data-testid={`admin-${section}`}>
      <h2>{t('adminDispatch.title')}</h2>
      <nav className="admin-tabs" aria-label={t('adminDispatch.title')}>
        {ADMIN_DISPATCH_SECTIONS.map((s) => (
          <a
            key={s}
            {...linkProps(`/admin/${s}`)}
            className={`nav-link${s === section ? ' active' : ''}`}
            aria-current={s === section ? 'page' : undefined}
            data-testid={`admin-tab-${s}`}
          >
            {t(`adminDispatch.tab.${s}`)}
          </a>
        ))}
      </nav>
      {body}
    </main>
  );
}
