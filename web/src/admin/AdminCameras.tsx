import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CameraInput, type AdminCamera, type TestConnectionResult } from '../../../services/schemas/admin.ts';
import type { DetectionType } from '../../../services/schemas/config.ts';
import { FieldError } from '../components/Field.tsx';
import { useCameras } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { adminApi, adminErrorText, issuesToErrors, serverFieldErrors, type PathErrors } from './adminApi.ts';

const TYPES: DetectionType[] = ['hotspot', 'smoke', 'dust'];

/** The camera form's state: text inputs as strings (converted when the body is built). */
interface FormState {
  id: string;
  name: string;
  url: string;
  detectUrl: string;
  channel: 'thermal' | 'visible';
  enabled: boolean;
  detectors: DetectionType[];
  sampleIntervalMs: string;
  decodeMode: 'auto' | 'all' | 'keyframes';
  rtspClient: 'auto' | 'builtin' | 'ffmpeg';
  username: string;
  password: string;
  passwordEnv: string;
  onvifHost: string;
  onvifPort: string;
  lat: string;
  lon: string;
  heightM: string;
  azimuthDeg: string;
  hfovDeg: string;
  rangeM: string;
}

const EMPTY: FormState = {
  id: '',
  name: '',
  url: 'rtsp://',
  detectUrl: '',
  channel: 'visible',
  enabled: true,
  detectors: ['smoke'],
  sampleIntervalMs: '2000',
  decodeMode: 'auto',
  rtspClient: 'auto',
  username: '',
  password: '',
  passwordEnv: '',
  onvifHost: '',
  onvifPort: '80',
  lat: '',
  lon: '',
  heightM: '40',
  azimuthDeg: '',
  hfovDeg: '',
  rangeM: '3000',
};

const str = (v: number | undefined | null) => (v === undefined || v === null ? '' : String(v));
const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

function formOf(c: AdminCamera): FormState {
  return {
    id: c.id,
    name: c.name,
    url: c.url,
    detectUrl: c.detectUrl ?? '',
    channel: c.channel,
    enabled: c.enabled,
    detectors: c.detectors,
    sampleIntervalMs: str(c.sampleIntervalMs),
    decodeMode: c.decodeMode,
    rtspClient: c.rtspClient,
    username: c.auth?.username ?? '',
    password: '',
    passwordEnv: c.auth?.passwordEnv ?? '',
    onvifHost: c.onvif?.host ?? '',
    onvifPort: str(c.onvif?.port ?? 80),
    lat: str(c.location?.lat),
    lon: str(c.location?.lon),
    heightM: str(c.location?.heightM ?? 40),
    azimuthDeg: str(c.azimuthDeg),
    hfovDeg: str(c.hfovDeg),
    rangeM: str(c.rangeM),
  };
}

/** The request body: the edited fields over the stored camera (presets, tours, masks are kept). */
function bodyOf(f: FormState, current: AdminCamera | null): CameraInput {
  const keep = current
    ? {
        presets: current.presets,
        tours: current.tours,
        stallTimeoutS: current.stallTimeoutS,
        ...(current.masks ? { masks: current.masks } : {}),
        ...(current.roi ? { roi: current.roi } : {}),
        ...(current.sensitivity !== undefined ? { sensitivity: current.sensitivity } : {}),
      }
    : {};
  const auth =
    f.username.trim() === ''
      ? null
      : {
          username: f.username.trim(),
          ...(f.password !== '' ? { password: f.password } : {}),
          ...(f.password === '' && f.passwordEnv.trim() !== '' ? { passwordEnv: f.passwordEnv.trim() } : {}),
        };
  const location =
    f.lat.trim() === '' && f.lon.trim() === ''
      ? undefined
      : { lat: num(f.lat), lon: num(f.lon), heightM: num(f.heightM) ?? 40 };
  return {
    ...keep,
    id: f.id.trim(),
    name: f.name.trim(),
    url: f.url.trim(),
    ...(f.detectUrl.trim() !== '' ? { detectUrl: f.detectUrl.trim() } : {}),
    channel: f.channel,
    enabled: f.enabled,
    detectors: f.detectors,
    sampleIntervalMs: num(f.sampleIntervalMs),
    decodeMode: f.decodeMode,
    rtspClient: f.rtspClient,
    auth,
    ...(f.onvifHost.trim() !== ''
      ? { onvif: { host: f.onvifHost.trim(), port: num(f.onvifPort) ?? 80 } }
      : {}),
    ...(location ? { location: location as { lat: number; lon: number; heightM: number } } : {}),
    ...(num(f.azimuthDeg) !== undefined ? { azimuthDeg: num(f.azimuthDeg) } : {}),
    ...(num(f.hfovDeg) !== undefined ? { hfovDeg: num(f.hfovDeg) } : {}),
    rangeM: num(f.rangeM),
  };
}

/** Text of a connection test result. */
function testText(r: TestConnectionResult, t: ReturnType<typeof useTranslation>['t']): string {
  if (r.ok)
    return t('adminCam.test.ok', {
      codec: r.codec.toUpperCase(),
      width: r.width,
      height: r.height,
      gop: r.gopMs === null ? t('adminCam.test.gopUnknown') : `${r.gopMs} ms`,
    });
  return `${t(`adminCam.test.fail.${r.reason}`)} — ${r.message}`;
}

function CameraForm({
  current,
  onSaved,
  onCancel,
}: {
  current: AdminCamera | null;
  onSaved: (c: AdminCamera | null) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [f, setF] = useState<FormState>(current ? formOf(current) : EMPTY);
  const [errors, setErrors] = useState<PathErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [test, setTest] = useState<TestConnectionResult | 'running' | null>(null);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => {
    setF((cur) => ({ ...cur, [k]: v }));
  };
  const err = (p: string) => errors[p];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = bodyOf(f, current);
    const check = CameraInput.safeParse(body);
    if (!check.success) {
      setErrors(issuesToErrors(check.error.issues, t));
      return;
    }
    setErrors({});
    setFailure(null);
    setBusy(true);
    try {
      const saved = current
        ? await adminApi.update(current.id, current.version, body)
        : await adminApi.create(body);
      onSaved(saved);
    } catch (x) {
      const fe = serverFieldErrors(x, t);
      if (fe) setErrors(fe);
      setFailure(adminErrorText(x, t));
    } finally {
      setBusy(false);
    }
  };

  const runTest = async () => {
    setTest('running');
    try {
      const body = bodyOf(f, current);
      setTest(
        await adminApi.test({
          url: body.url,
          auth: body.auth ?? null,
          ...(current ? { cameraId: current.id } : {}),
        }),
      );
    } catch (x) {
      setTest(null);
      setFailure(adminErrorText(x, t));
    }
  };

  const remove = async () => {
    if (!current || !window.confirm(t('adminCam.confirmDelete', { id: current.id }))) return;
    setBusy(true);
    try {
      await adminApi.remove(current.id, current.version);
      onSaved(null);
    } catch (x) {
      setFailure(adminErrorText(x, t));
    } finally {
      setBusy(false);
    }
  };

  const text = (k: keyof FormState, label: string, path: string, extra: Record<string, unknown> = {}) => (
    <label className="field">
      <span>{label}</span>
      <input
        name={path}
        value={f[k] as string}
        onChange={(e) => set(k, e.target.value as never)}
        aria-invalid={err(path) !== undefined}
        data-testid={`cam-${path}`}
        {...extra}
      />
      <FieldError message={err(path)} />
    </label>
  );

  return (
    <form className="panel admin-form" onSubmit={(e) => void submit(e)} noValidate data-testid="camera-form">
      <h3>{current ? t('adminCam.editTitle', { id: current.id }) : t('adminCam.addTitle')}</h3>
      <div className="admin-grid">
        {text('id', t('adminCam.f.id'), 'id', current ? { readOnly: true } : {})}
        {text('name', t('adminCam.f.name'), 'name')}
        {text('url', t('adminCam.f.url'), 'url', { className: 'wide' })}
        {text('detectUrl', t('adminCam.f.detectUrl'), 'detectUrl', { className: 'wide' })}
        <label className="field">
          <span>{t('adminCam.f.channel')}</span>
          <select
            value={f.channel}
            onChange={(e) => set('channel', e.target.value as FormState['channel'])}
            data-testid="cam-channel"
          >
            <option value="thermal">{t('adminCam.channel.thermal')}</option>
            <option value="visible">{t('adminCam.channel.visible')}</option>
          </select>
        </label>
        <label className="field-group checkbox">
          <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          <span>{t('adminCam.f.enabled')}</span>
        </label>
        <fieldset className="field-group">
          <legend>{t('adminCam.f.detectors')}</legend>
          {TYPES.map((ty) => (
            <label key={ty} className="inline">
              <input
                type="checkbox"
                checked={f.detectors.includes(ty)}
                onChange={(e) =>
                  set(
                    'detectors',
                    e.target.checked ? [...f.detectors, ty] : f.detectors.filter((d) => d !== ty),
                  )
                }
              />
              {t(`alertType.${ty}`)}
            </label>
          ))}
          <FieldError message={err('detectors')} />
        </fieldset>
        {text('sampleIntervalMs', t('adminCam.f.sampleIntervalMs'), 'sampleIntervalMs', {
          inputMode: 'numeric',
        })}
        <label className="field">
          <span>{t('adminCam.f.decodeMode')}</span>
          <select
            value={f.decodeMode}
            onChange={(e) => set('decodeMode', e.target.value as FormState['decodeMode'])}
          >
            {(['auto', 'all', 'keyframes'] as const).map((m) => (
              <option key={m} value={m}>
                {t(`adminCam.decode.${m}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('adminCam.f.rtspClient')}</span>
          <select
            value={f.rtspClient}
            onChange={(e) => set('rtspClient', e.target.value as FormState['rtspClient'])}
          >
            {(['auto', 'builtin', 'ffmpeg'] as const).map((m) => (
              <option key={m} value={m}>
                {t(`adminCam.rtspClient.${m}`)}
              </option>
            ))}
          </select>
        </label>
        {text('username', t('adminCam.f.username'), 'auth.username', { autoComplete: 'off' })}
        <label className="field">
          <span>{t('adminCam.f.password')}</span>
          <input
            type="password"
            name="auth.password"
            autoComplete="new-password"
            value={f.password}
            placeholder={current?.auth?.hasPassword ? t('adminCam.passwordKept') : ''}
            onChange={(e) => set('password', e.target.value)}
            aria-invalid={err('auth.password') !== undefined}
            data-testid="cam-auth.password"
          />
          <FieldError message={err('auth.password')} />
        </label>
        {text('passwordEnv', t('adminCam.f.passwordEnv'), 'auth.passwordEnv', {
          placeholder: 'CAM_01_PASSWORD',
        })}
        {text('onvifHost', t('adminCam.f.onvifHost'), 'onvif.host')}
        {text('onvifPort', t('adminCam.f.onvifPort'), 'onvif.port', { inputMode: 'numeric' })}
        {text('lat', t('adminCam.f.lat'), 'location.lat', { inputMode: 'decimal' })}
        {text('lon', t('adminCam.f.lon'), 'location.lon', { inputMode: 'decimal' })}
        {text('heightM', t('adminCam.f.heightM'), 'location.heightM', { inputMode: 'decimal' })}
        {text('azimuthDeg', t('adminCam.f.azimuthDeg'), 'azimuthDeg', { inputMode: 'decimal' })}
        {text('hfovDeg', t('adminCam.f.hfovDeg'), 'hfovDeg', { inputMode: 'decimal' })}
        {text('rangeM', t('adminCam.f.rangeM'), 'rangeM', { inputMode: 'decimal' })}
      </div>
      <p className="muted small">{t('adminCam.credentialsHint')}</p>
      <div className="admin-actions">
        <button type="button" className="btn" onClick={() => void runTest()} data-testid="cam-test">
          {t('adminCam.test.button')}
        </button>
        {test !== null && (
          <span
            className={test === 'running' ? 'muted' : test.ok ? 'test-ok' : 'form-error'}
            data-testid="cam-test-result"
            data-ok={test === 'running' ? '' : String(test.ok)}
            data-reason={test === 'running' || test.ok ? '' : test.reason}
            role="status"
          >
            {test === 'running' ? t('adminCam.test.running') : testText(test, t)}
          </span>
        )}
      </div>
      <FieldError message={err('_form')} />
      {failure !== null && (
        <p className="form-error" role="alert" data-testid="cam-failure">
          {failure}
        </p>
      )}
      <div className="admin-actions">
        <button type="submit" className="btn primary" disabled={busy} data-testid="cam-save">
          {t('adminCam.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('adminCam.cancel')}
        </button>
        {current && (
          <button type="button" className="btn danger" onClick={() => void remove()} disabled={busy}>
            {t('adminCam.delete')}
          </button>
        )}
      </div>
    </form>
  );
}

/** `/admin/cameras`: the camera table, add/edit form with connection test. Admin role only. */
export function AdminCameras() {
  const { t } = useTranslation();
  const { cameras: health } = useCameras();
  const [list, setList] = useState<AdminCamera[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [editing, setEditing] = useState<AdminCamera | 'new' | null>(null);
  const load = useCallback(() => {
    adminApi.list().then(
      (l) => {
        setList(l);
        setFailure(null);
      },
      (e: unknown) => setFailure(adminErrorText(e, t)),
    );
  }, [t]);
  useEffect(load, [load]);

  return (
    <main className="page admin-page" data-testid="admin-cameras">
      <h2>{t('adminCam.title')}</h2>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      <div className="admin-actions">
        <button type="button" className="btn primary" onClick={() => setEditing('new')} data-testid="cam-add">
          {t('adminCam.add')}
        </button>
      </div>
      {editing !== null && (
        <CameraForm
          key={editing === 'new' ? 'new' : `${editing.id}:${editing.version}`}
          current={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            load();
          }}
        />
      )}
      {list === null ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <table className="admin-table" data-testid="camera-table">
          <thead>
            <tr>
              <th>{t('adminCam.f.id')}</th>
              <th>{t('adminCam.f.name')}</th>
              <th>{t('adminCam.f.channel')}</th>
              <th>{t('adminCam.status')}</th>
              <th>{t('adminCam.f.url')}</th>
              <th>{t('adminCam.f.detectors')}</th>
              <th>{t('adminCam.presets')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((c) => {
              const h = health.find((x) => x.id === c.id);
              return (
                <tr key={c.id} data-testid="camera-row" data-camera-id={c.id}>
                  <td>{c.id}</td>
                  <td>{c.name}</td>
                  <td>{t(`adminCam.channel.${c.channel}`)}</td>
                  <td>{h ? t(`cameraStatus.${h.status}`) : c.enabled ? '—' : t('cameraStatus.disabled')}</td>
                  <td className="mono">{c.url}</td>
                  <td>{c.detectors.map((d) => t(`alertType.${d}`)).join(' · ')}</td>
                  <td>{c.presets.length}</td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="btn small"
                      onClick={() => setEditing(c)}
                      data-testid="cam-edit"
                    >
                      {t('adminCam.edit')}
                    </button>
                    <a
                      className="btn small"
                      {...linkProps(`/admin/cameras/${encodeURIComponent(c.id)}`)}
                      data-testid="cam-views"
                    >
                      {t('adminCam.viewsLink')}
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}
