import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  JurisdictionBody,
  JurisdictionUpdateBody,
  ZoneBody,
  ZoneType,
  ZoneUpdateBody,
  type AdminConfigResponse,
  type PolygonGeometry,
} from '../../../../services/dispatch/schemas.ts';
import { apiDelete, apiPost, apiPut, isVersionConflict } from '../../api.ts';
import { adminErrorText, usageText, usedByOf, type AdminPageProps } from '../../adminConfig.ts';
import { serverFieldErrors, validatePaths, type FieldErrors } from '../../validation.ts';
import { AdminField, FormFailure } from './AdminDispatch.tsx';
import { AreaMap } from './AreaMap.tsx';

type Kind = 'zone' | 'jurisdiction';

interface Draft {
  kind: Kind;
  /** Id of the feature being edited; null while creating. */
  editing: string | null;
  id: string;
  name: string;
  zoneType: ZoneType | '';
  departmentId: string;
  geometry: PolygonGeometry | null;
}

const blank = (kind: Kind): Draft => ({
  kind,
  editing: null,
  id: '',
  name: '',
  zoneType: '',
  departmentId: '',
  geometry: null,
});

/** `/admin/zones`: jurisdictions and special zones, drawn and edited on the map. */
export function AdminZones({ config, onSaved, onConflict }: AdminPageProps) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [drawSignal, setDrawSignal] = useState(0);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  const fail = (e: unknown) => {
    const list = usedByOf(e);
    const fe = serverFieldErrors(e, t);
    if (fe) setErrors(fe);
    setFailure(
      list
        ? `${adminErrorText(e, t)}: ${list.map((u) => usageText(u, t)).join(t('common.listSep'))}`
        : adminErrorText(e, t),
    );
    if (isVersionConflict(e)) onConflict();
  };

  const start = (d: Draft) => {
    setDraft(d);
    setErrors({});
    setFailure(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    setFailure(null);
    const common = { name: draft.name.trim(), geometry: draft.geometry ?? undefined };
    const body =
      draft.kind === 'zone'
        ? { ...common, zoneType: draft.zoneType || undefined }
        : { ...common, departmentId: draft.departmentId || undefined };
    const create = draft.editing === null;
    const schema =
      draft.kind === 'zone'
        ? create
          ? ZoneBody
          : ZoneUpdateBody
        : create
          ? JurisdictionBody
          : JurisdictionUpdateBody;
    const v = validatePaths(schema, create ? { id: draft.id.trim(), ...body } : body, t);
    // A missing polygon is reported on the geometry field as a whole.
    setErrors(
      v.errors
        ? Object.fromEntries(
            Object.entries(v.errors).map(([k, m]) => [k.startsWith('geometry') ? 'geometry' : k, m]),
          )
        : {},
    );
    if (v.data === null) return;
    const base = draft.kind === 'zone' ? '/api/admin/zones' : '/api/admin/jurisdictions';
    setBusy(true);
    try {
      const next = create
        ? await apiPost<AdminConfigResponse>(base, v.data)
        : await apiPut<AdminConfigResponse>(`${base}/${encodeURIComponent(draft.editing ?? '')}`, v.data);
      onSaved(next);
      setDraft(null);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (kind: Kind, id: string) => {
    setFailure(null);
    setConfirmDelete(null);
    try {
      const base = kind === 'zone' ? '/api/admin/zones' : '/api/admin/jurisdictions';
      onSaved(await apiDelete<AdminConfigResponse>(`${base}/${encodeURIComponent(id)}`));
      if (draft?.editing === id) setDraft(null);
    } catch (err) {
      fail(err);
    }
  };

  const deptName = (id: string) => config.departments.find((d) => d.id === id)?.name ?? id;
  return (
    <section className="admin-section admin-zones">
      <div className="admin-map-col">
        <AreaMap
          testId="zone-map"
          jurisdictions={config.jurisdictions}
          zones={config.zones}
          hideId={draft?.editing ?? null}
          editGeometry={draft?.geometry ?? null}
          drawSignal={drawSignal}
          onGeometry={(g) => {
            setDraft((d) => (d ? { ...d, geometry: g } : d));
            setErrors((cur) => ({ ...cur, geometry: undefined }));
          }}
        />
        <p className="muted small">{t('adminDispatch.area.mapHint')}</p>
      </div>
      <div className="admin-side-col">
        {draft === null ? (
          <div className="form-buttons">
            <button
              type="button"
              className="btn primary"
              data-testid="zone-new"
              onClick={() => start(blank('zone'))}
            >
              {t('adminDispatch.area.newZone')}
            </button>
            <button
              type="button"
              className="btn"
              data-testid="jurisdiction-new"
              onClick={() => start(blank('jurisdiction'))}
            >
              {t('adminDispatch.area.newJurisdiction')}
            </button>
          </div>
        ) : (
          <form
            className="panel admin-form"
            noValidate
            onSubmit={(e) => void submit(e)}
            data-testid="area-form"
          >
            <h3>
              {draft.editing === null
                ? t(
                    draft.kind === 'zone'
                      ? 'adminDispatch.area.newZone'
                      : 'adminDispatch.area.newJurisdiction',
                  )
                : t('adminDispatch.area.editTitle', { id: draft.editing })}
            </h3>
            <AdminField label={t('adminDispatch.area.id')} error={errors['id']}>
              <input
                name="id"
                value={draft.id}
                disabled={draft.editing !== null}
                placeholder={draft.kind === 'zone' ? 'zone-xinhe-yard' : 'jd-xinhe'}
                onChange={(e) => setDraft({ ...draft, id: e.target.value })}
                aria-invalid={errors['id'] !== undefined}
                data-testid="area-id"
              />
            </AdminField>
            <AdminField label={t('adminDispatch.area.name')} error={errors['name']}>
              <input
                name="name"
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
                aria-invalid={errors['name'] !== undefined}
                data-testid="area-name"
              />
            </AdminField>
            {draft.kind === 'zone' ? (
              <AdminField label={t('adminDispatch.area.zoneType')} error={errors['zoneType']}>
                <select
                  name="zoneType"
                  value={draft.zoneType}
                  onChange={(e) => setDraft({ ...draft, zoneType: e.target.value as ZoneType | '' })}
                  aria-invalid={errors['zoneType'] !== undefined}
                  data-testid="area-zone-type"
                >
                  <option value="">{t('validation.choose')}</option>
                  {ZoneType.options.map((z) => (
                    <option key={z} value={z}>
                      {t(`zoneType.${z}`)}
                    </option>
                  ))}
                </select>
              </AdminField>
            ) : (
              <AdminField label={t('adminDispatch.area.department')} error={errors['departmentId']}>
                <select
                  name="departmentId"
                  value={draft.departmentId}
                  onChange={(e) => setDraft({ ...draft, departmentId: e.target.value })}
                  aria-invalid={errors['departmentId'] !== undefined}
                  data-testid="area-department"
                >
                  <option value="">{t('validation.choose')}</option>
                  {config.departments.map((d) => (
                    <option key={d.id} value={d.id}>
                      {d.name}
                    </option>
                  ))}
                </select>
              </AdminField>
            )}
            <AdminField label={t('adminDispatch.area.polygon')} error={errors['geometry']}>
              <span
                className="polygon-state"
                data-testid="area-polygon-state"
                data-drawn={draft.geometry !== null}
              >
                {draft.geometry === null
                  ? t('adminDispatch.area.noPolygon')
                  : t('adminDispatch.area.hasPolygon')}
              </span>
            </AdminField>
            <div className="form-buttons">
              <button
                type="button"
                className="btn"
                data-testid="area-draw"
                onClick={() => {
                  setDraft({ ...draft, geometry: null });
                  setDrawSignal((n) => n + 1);
                }}
              >
                {draft.geometry === null ? t('adminDispatch.area.draw') : t('adminDispatch.area.redraw')}
              </button>
            </div>
            <FormFailure text={failure} />
            <div className="form-buttons">
              <button type="submit" className="btn primary" disabled={busy} data-testid="area-submit">
                {draft.editing === null ? t('adminDispatch.create') : t('adminDispatch.save')}
              </button>
              <button type="button" className="btn" onClick={() => setDraft(null)}>
                {t('adminDispatch.cancel')}
              </button>
            </div>
          </form>
        )}
        {draft === null && <FormFailure text={failure} />}
        <h3>{t('adminDispatch.area.zones')}</h3>
        <ul className="admin-list" data-testid="zone-list">
          {config.zones.map((z) => (
            <li key={z.properties.id} data-testid={`zone-${z.properties.id}`}>
              <span>
                {z.properties.name} <span className="muted">· {t(`zoneType.${z.properties.zoneType}`)}</span>
              </span>
              <span className="row-actions">
                <button
                  type="button"
                  className="btn small"
                  data-testid={`zone-edit-${z.properties.id}`}
                  onClick={() =>
                    start({
                      ...blank('zone'),
                      editing: z.properties.id,
                      id: z.properties.id,
                      name: z.properties.name,
                      zoneType: z.properties.zoneType,
                      geometry: z.geometry,
                    })
                  }
                >
                  {t('adminDispatch.edit')}
                </button>
                <DeleteButton
                  armed={confirmDelete === `zone:${z.properties.id}`}
                  onArm={() => setConfirmDelete(`zone:${z.properties.id}`)}
                  onConfirm={() => void remove('zone', z.properties.id)}
                  testId={`zone-delete-${z.properties.id}`}
                />
              </span>
            </li>
          ))}
        </ul>
        <h3>{t('adminDispatch.area.jurisdictions')}</h3>
        <ul className="admin-list" data-testid="jurisdiction-list">
          {config.jurisdictions.map((j) => (
            <li key={j.properties.id} data-testid={`jurisdiction-${j.properties.id}`}>
              <span>
                {j.properties.name} <span className="muted">→ {deptName(j.properties.departmentId)}</span>
              </span>
              <span className="row-actions">
                <button
                  type="button"
                  className="btn small"
                  data-testid={`jurisdiction-edit-${j.properties.id}`}
                  onClick={() =>
                    start({
                      ...blank('jurisdiction'),
                      editing: j.properties.id,
                      id: j.properties.id,
                      name: j.properties.name,
                      departmentId: j.properties.departmentId,
                      geometry: j.geometry,
                    })
                  }
                >
                  {t('adminDispatch.edit')}
                </button>
                <DeleteButton
                  armed={confirmDelete === `jurisdiction:${j.properties.id}`}
                  onArm={() => setConfirmDelete(`jurisdiction:${j.properties.id}`)}
                  onConfirm={() => void remove('jurisdiction', j.properties.id)}
                  testId={`jurisdiction-delete-${j.properties.id}`}
                />
              </span>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

/** Delete in two clicks: the first arms it, the second ("confirm delete") deletes. */
function DeleteButton(p: { armed: boolean; onArm: () => void; onConfirm: () => void; testId: string }) {
  const { t } = useTranslation();
  return p.armed ? (
    <button
      type="button"
      className="btn small danger"
      onClick={p.onConfirm}
      data-testid={`${p.testId}-confirm`}
    >
      {t('adminDispatch.confirmDelete')}
    </button>
  ) : (
    <button type="button" className="btn small" onClick={p.onArm} data-testid={p.testId}>
      {t('adminDispatch.delete')}
    </button>
  );
}
