import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { DetectionType } from '../../../../services/schemas/config.ts';
import {
  RouteTestBody,
  RulesBody,
  ZoneType,
  type AdminConfigResponse,
  type LatLon,
  type RouteTestResult,
} from '../../../../services/dispatch/schemas.ts';
import { apiPost, apiPut, isVersionConflict } from '../../api.ts';
import { adminErrorText, type AdminPageProps } from '../../adminConfig.ts';
import { serverFieldErrors, validatePaths, type FieldErrors } from '../../validation.ts';
import { AdminField, FormFailure } from './AdminDispatch.tsx';
import { AreaMap } from './AreaMap.tsx';

/** A rule row as edited: '' = condition not set. */
interface RuleDraft {
  key: number;
  alertType: string;
  zoneType: string;
  zoneId: string;
  jurisdictionId: string;
  departmentId: string;
  priority: string;
  note: string;
}

let nextKey = 1;
const opt = (v: string) => (v === '' ? undefined : v);

/** `/admin/rules`: the ordered routing rules and a "test routing" box (point + alert type → department). */
export function AdminRules({ config, onSaved, onConflict }: AdminPageProps) {
  const { t } = useTranslation();
  const [rows, setRows] = useState<RuleDraft[]>(() =>
    config.rules.rules.map((r) => ({
      key: nextKey++,
      alertType: r.alertType ?? '',
      zoneType: r.zoneType ?? '',
      zoneId: r.zoneId ?? '',
      jurisdictionId: r.jurisdictionId ?? '',
      departmentId: r.departmentId,
      priority: String(r.priority),
      note: r.note ?? '',
    })),
  );
  const [fallback, setFallback] = useState(config.rules.fallbackToJurisdiction);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const update = (i: number, patch: Partial<RuleDraft>) => {
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
    setSaved(false);
    setErrors((cur) => {
      const next = { ...cur };
      for (const k of Object.keys(patch)) delete next[`rules.${i}.${k}`];
      return next;
    });
  };
  const move = (i: number, d: -1 | 1) => {
    setRows((rs) => {
      const j = i + d;
      if (j < 0 || j >= rs.length) return rs;
      const next = [...rs];
      [next[i], next[j]] = [next[j]!, next[i]!];
      return next;
    });
    setErrors({});
    setSaved(false);
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const body = {
      rules: rows.map((r) => ({
        alertType: opt(r.alertType),
        zoneType: opt(r.zoneType),
        zoneId: opt(r.zoneId),
        jurisdictionId: opt(r.jurisdictionId),
        departmentId: r.departmentId,
        priority: r.priority.trim() === '' ? 0 : Number(r.priority),
        note: opt(r.note.trim()),
      })),
      fallbackToJurisdiction: fallback,
      expectedVersion: config.versions.rules,
    };
    const v = validatePaths(RulesBody, body, t);
    setErrors(v.errors ?? {});
    if (v.data === null) return;
    setBusy(true);
    try {
      onSaved(await apiPut<AdminConfigResponse>('/api/admin/rules', v.data));
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

  const anyText = t('adminDispatch.rules.any');
  return (
    <section className="admin-section">
      <form noValidate onSubmit={(e) => void save(e)} data-testid="rules-form">
        <p className="muted small">{t('adminDispatch.rules.hint')}</p>
        <table className="admin-table rules-table" data-testid="rules-table">
          <thead>
            <tr>
              <th>#</th>
              <th>{t('adminDispatch.rules.alertType')}</th>
              <th>{t('adminDispatch.rules.zoneType')}</th>
              <th>{t('adminDispatch.rules.zone')}</th>
              <th>{t('adminDispatch.rules.jurisdiction')}</th>
              <th>{t('adminDispatch.rules.department')}</th>
              <th>{t('adminDispatch.rules.priority')}</th>
              <th>{t('adminDispatch.rules.note')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => {
              const err = (f: string) => errors[`rules.${i}.${f}`];
              return (
                <tr key={r.key} data-testid={`rule-row-${i}`}>
                  <td>{i + 1}</td>
                  <RuleSelect
                    row={i}
                    field="alertType"
                    label={t('adminDispatch.rules.alertType')}
                    value={r.alertType}
                    error={err('alertType')}
                    placeholder={anyText}
                    options={DetectionType.options.map((x) => ({ value: x, label: t(`alertType.${x}`) }))}
                    onChange={(v) => update(i, { alertType: v })}
                  />
                  <RuleSelect
                    row={i}
                    field="zoneType"
                    label={t('adminDispatch.rules.zoneType')}
                    value={r.zoneType}
                    error={err('zoneType')}
                    placeholder={anyText}
                    options={ZoneType.options.map((x) => ({ value: x, label: t(`zoneType.${x}`) }))}
                    onChange={(v) => update(i, { zoneType: v })}
                  />
                  <RuleSelect
                    row={i}
                    field="zoneId"
                    label={t('adminDispatch.rules.zone')}
                    value={r.zoneId}
                    error={err('zoneId')}
                    placeholder={anyText}
                    options={config.zones.map((z) => ({ value: z.properties.id, label: z.properties.name }))}
                    onChange={(v) => update(i, { zoneId: v })}
                  />
                  <RuleSelect
                    row={i}
                    field="jurisdictionId"
                    label={t('adminDispatch.rules.jurisdiction')}
                    value={r.jurisdictionId}
                    error={err('jurisdictionId')}
                    placeholder={anyText}
                    options={config.jurisdictions.map((j) => ({
                      value: j.properties.id,
                      label: j.properties.name,
                    }))}
                    onChange={(v) => update(i, { jurisdictionId: v })}
                  />
                  <RuleSelect
                    row={i}
                    field="departmentId"
                    label={t('adminDispatch.rules.department')}
                    value={r.departmentId}
                    error={err('departmentId')}
                    placeholder={t('validation.choose')}
                    options={config.departments.map((d) => ({ value: d.id, label: d.name }))}
                    onChange={(v) => update(i, { departmentId: v })}
                  />
                  <td>
                    <AdminField
                      label={t('adminDispatch.rules.priority')}
                      error={err('priority')}
                      className="compact"
                    >
                      <input
                        type="number"
                        step={1}
                        className="num"
                        value={r.priority}
                        onChange={(e) => update(i, { priority: e.target.value })}
                        aria-invalid={err('priority') !== undefined}
                        data-testid={`rule-${i}-priority`}
                      />
                    </AdminField>
                  </td>
                  <td>
                    <AdminField label={t('adminDispatch.rules.note')} error={err('note')} className="compact">
                      <input
                        value={r.note}
                        onChange={(e) => update(i, { note: e.target.value })}
                        data-testid={`rule-${i}-note`}
                      />
                    </AdminField>
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="btn small"
                      onClick={() => move(i, -1)}
                      disabled={i === 0}
                      aria-label={t('adminDispatch.rules.up')}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className="btn small"
                      onClick={() => move(i, 1)}
                      disabled={i === rows.length - 1}
                      aria-label={t('adminDispatch.rules.down')}
                    >
                      ↓
                    </button>
                    <button
                      type="button"
                      className="btn small"
                      onClick={() => {
                        setRows((rs) => rs.filter((_, j) => j !== i));
                        setErrors({});
                        setSaved(false);
                      }}
                    >
                      {t('adminDispatch.delete')}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <div className="form-buttons">
          <button
            type="button"
            className="btn"
            data-testid="rule-add"
            onClick={() => {
              setRows((rs) => [
                ...rs,
                {
                  key: nextKey++,
                  alertType: '',
                  zoneType: '',
                  zoneId: '',
                  jurisdictionId: '',
                  departmentId: '',
                  priority: '0',
                  note: '',
                },
              ]);
              setSaved(false);
            }}
          >
            {t('adminDispatch.rules.add')}
          </button>
          <label className="check">
            <input
              type="checkbox"
              checked={fallback}
              onChange={(e) => {
                setFallback(e.target.checked);
                setSaved(false);
              }}
            />{' '}
            {t('adminDispatch.rules.fallback')}
          </label>
        </div>
        <FormFailure text={failure} />
        {saved && (
          <p className="notice" role="status" data-testid="rules-saved">
            {t('adminDispatch.saved')}
          </p>
        )}
        <button type="submit" className="btn primary" disabled={busy} data-testid="rules-submit">
          {t('adminDispatch.rules.save')}
        </button>
      </form>
      <RouteTest config={config} />
    </section>
  );
}

/** "Test routing": pick a point on the map (or type it) and an alert type; shows the live routing result. */
function RouteTest({ config }: { config: AdminConfigResponse }) {
  const { t } = useTranslation();
  const [point, setPoint] = useState<{ lat: string; lon: string }>({ lat: '', lon: '' });
  const [alertType, setAlertType] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [result, setResult] = useState<RouteTestResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const picked: LatLon | null =
    point.lat !== '' &&
    point.lon !== '' &&
    Number.isFinite(Number(point.lat)) &&
    Number.isFinite(Number(point.lon))
      ? { lat: Number(point.lat), lon: Number(point.lon) }
      : null;

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const v = validatePaths(
      RouteTestBody,
      { lat: num(point.lat), lon: num(point.lon), alertType: alertType || undefined },
      t,
    );
    setErrors(v.errors ?? {});
    if (v.data === null) return;
    try {
      setResult(await apiPost<RouteTestResult>('/api/admin/route-test', v.data));
    } catch (err) {
      setFailure(adminErrorText(err, t));
    }
  };
  const name = {
    dept: (id: string | null) =>
      id === null ? '—' : (config.departments.find((d) => d.id === id)?.name ?? id),
    zone: (id: string | null) =>
      id === null ? '—' : (config.zones.find((z) => z.properties.id === id)?.properties.name ?? id),
    jur: (id: string | null) =>
      id === null ? '—' : (config.jurisdictions.find((j) => j.properties.id === id)?.properties.name ?? id),
  };

  return (
    <section className="panel route-test" data-testid="route-test">
      <h3>{t('adminDispatch.test.title')}</h3>
      <p className="muted small">{t('adminDispatch.test.hint')}</p>
      <div className="admin-zones">
        <div className="admin-map-col">
          <AreaMap
            testId="route-test-map"
            jurisdictions={config.jurisdictions}
            zones={config.zones}
            picked={picked}
            onPick={(p) => {
              setPoint({ lat: p.lat.toFixed(6), lon: p.lon.toFixed(6) });
              setErrors({});
            }}
          />
        </div>
        <form className="admin-side-col admin-form" noValidate onSubmit={(e) => void run(e)}>
          <AdminField label={t('adminDispatch.test.lat')} error={errors['lat']}>
            <input
              value={point.lat}
              inputMode="decimal"
              onChange={(e) => setPoint({ ...point, lat: e.target.value })}
              aria-invalid={errors['lat'] !== undefined}
              data-testid="route-test-lat"
            />
          </AdminField>
          <AdminField label={t('adminDispatch.test.lon')} error={errors['lon']}>
            <input
              value={point.lon}
              inputMode="decimal"
              onChange={(e) => setPoint({ ...point, lon: e.target.value })}
              aria-invalid={errors['lon'] !== undefined}
              data-testid="route-test-lon"
            />
          </AdminField>
          <AdminField label={t('adminDispatch.rules.alertType')} error={errors['alertType']}>
            <select
              value={alertType}
              onChange={(e) => setAlertType(e.target.value)}
              aria-invalid={errors['alertType'] !== undefined}
              data-testid="route-test-type"
            >
              <option value="">{t('validation.choose')}</option>
              {DetectionType.options.map((x) => (
                <option key={x} value={x}>
                  {t(`alertType.${x}`)}
                </option>
              ))}
            </select>
          </AdminField>
          <FormFailure text={failure} />
          <button type="submit" className="btn primary" data-testid="route-test-submit">
            {t('adminDispatch.test.run')}
          </button>
          {result !== null && (
            <dl
              className="facts"
              data-testid="route-test-result"
              data-department={result.departmentId ?? ''}
              data-matched={result.matchedBy === null ? '' : String(result.matchedBy)}
            >
              <dt>{t('adminDispatch.test.zone')}</dt>
              <dd>{name.zone(result.zoneId)}</dd>
              <dt>{t('adminDispatch.test.jurisdiction')}</dt>
              <dd>{name.jur(result.jurisdictionId)}</dd>
              <dt>{t('adminDispatch.test.department')}</dt>
              <dd data-testid="route-test-department">{name.dept(result.departmentId)}</dd>
              <dt>{t('adminDispatch.test.matchedBy')}</dt>
              <dd data-testid="route-test-matched">
                {typeof result.matchedBy === 'number'
                  ? t('adminDispatch.test.rule', { n: result.matchedBy + 1, note: result.rule?.note ?? '' })
                  : result.matchedBy === 'jurisdiction'
                    ? t('adminDispatch.test.fallback')
                    : t('adminDispatch.test.none')}
              </dd>
            </dl>
          )}
        </form>
      </div>
    </section>
  );
}

/** One select cell of a rule row: labelled, its error next to it, an empty first option (any / choose). */
function RuleSelect(props: {
  row: number;
  field: string;
  label: string;
  value: string;
  error: string | undefined;
  placeholder: string;
  options: readonly { value: string; label: string }[];
  onChange: (value: string) => void;
}) {
  return (
    <td>
      <AdminField label={props.label} error={props.error} className="compact">
        <select
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          aria-invalid={props.error !== undefined}
          data-testid={`rule-${props.row}-${props.field}`}
        >
          <option value="">{props.placeholder}</option>
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </AdminField>
    </td>
  );
}
