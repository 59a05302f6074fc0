import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  PresetInput,
  ToursInput,
  ViewInput,
  type AdminCamera,
  type DetectResult,
} from '../../../services/schemas/admin.ts';
import type { DetectionType, PresetConfig, TourConfig } from '../../../services/schemas/config.ts';
import { FieldError } from '../components/Field.tsx';
import { linkProps } from '../router.ts';
import { adminApi, adminErrorText, issuesToErrors, serverFieldErrors, type PathErrors } from './adminApi.ts';
import type { NormPt } from './geometry.ts';
import { MaskEditor } from './MaskEditor.tsx';

const TYPES: DetectionType[] = ['hotspot', 'smoke', 'dust'];

/** Which view is edited: a preset, or the camera's own view (a camera without presets). */
type ViewKey = { kind: 'camera' } | { kind: 'preset'; id: string };

/** Editor of one view: frame + masks/ROI, sensitivity, detectors, trial detection, save. */
function ViewEditor({
  camera,
  view,
  onSaved,
}: {
  camera: AdminCamera;
  view: ViewKey;
  onSaved: (c: AdminCamera) => void;
}) {
  const { t } = useTranslation();
  const preset = view.kind === 'preset' ? camera.presets.find((p) => p.id === view.id) : undefined;
  const [masks, setMasks] = useState<NormPt[][]>((preset ? preset.masks : camera.masks) ?? []);
  const [roi, setRoi] = useState<NormPt[][]>((preset ? preset.roi : camera.roi) ?? []);
  const [sensitivity, setSensitivity] = useState(preset ? preset.sensitivity : (camera.sensitivity ?? 0.5));
  const [detectors, setDetectors] = useState<DetectionType[]>(
    (preset ? preset.detectors : undefined) ?? camera.detectors,
  );
  const [name, setName] = useState(preset?.name ?? '');
  const [onvifToken, setOnvifToken] = useState(preset?.onvifToken ?? '');
  const [dwellS, setDwellS] = useState(String(preset?.dwellS ?? 60));
  const [settleS, setSettleS] = useState(String(preset?.settleS ?? 5));
  const [nonce, setNonce] = useState(() => Date.now());
  const [frame, setFrame] = useState<{ width: number; height: number } | null>(null);
  const [result, setResult] = useState<DetectResult | null>(null);
  const [errors, setErrors] = useState<PathErrors>({});
  const [status, setStatus] = useState<{ kind: 'ok' | 'error' | 'busy'; text: string } | null>(null);
  const dirtyKey = JSON.stringify([masks, roi, sensitivity, detectors]);
  useEffect(() => setResult(null), [dirtyKey]);

  const runDetect = async () => {
    setStatus({ kind: 'busy', text: t('adminCam.detect.running') });
    try {
      const r = await adminApi.detect(camera.id, {
        presetId: preset ? preset.id : null,
        masks,
        ...(roi.length > 0 ? { roi } : {}),
        sensitivity,
        detectors,
      });
      setResult(r);
      setStatus({ kind: 'ok', text: t('adminCam.detect.done', { count: r.detections.length }) });
    } catch (e) {
      setStatus({ kind: 'error', text: adminErrorText(e, t) });
    }
  };

  const save = async () => {
    setStatus({ kind: 'busy', text: t('adminCam.saving') });
    try {
      let saved: AdminCamera;
      if (preset) {
        const body = {
          ...preset,
          name,
          ...(onvifToken.trim() !== '' ? { onvifToken: onvifToken.trim() } : { onvifToken: undefined }),
          dwellS: Number(dwellS),
          settleS: Number(settleS),
          masks,
          ...(roi.length > 0 ? { roi } : { roi: undefined }),
          sensitivity,
          detectors,
        };
        const check = PresetInput.safeParse(body);
        if (!check.success) {
          setErrors(issuesToErrors(check.error.issues, t));
          setStatus(null);
          return;
        }
        saved = await adminApi.savePreset(camera.id, camera.version, check.data);
      } else {
        const body = { masks, ...(roi.length > 0 ? { roi } : {}), sensitivity, detectors };
        const check = ViewInput.safeParse(body);
        if (!check.success) {
          setErrors(issuesToErrors(check.error.issues, t));
          setStatus(null);
          return;
        }
        saved = await adminApi.saveView(camera.id, camera.version, check.data);
      }
      setErrors({});
      setStatus({ kind: 'ok', text: t('adminCam.saved') });
      onSaved(saved);
    } catch (e) {
      const fe = serverFieldErrors(e, t);
      if (fe) setErrors(fe);
      setStatus({ kind: 'error', text: adminErrorText(e, t) });
    }
  };

  const gotoPreset = async () => {
    if (!preset) return;
    setStatus({ kind: 'busy', text: t('adminCam.goto.moving') });
    try {
      await adminApi.gotoPreset(camera.id, preset.id);
      setStatus({ kind: 'ok', text: t('adminCam.goto.done') });
    } catch (e) {
      setStatus({ kind: 'error', text: adminErrorText(e, t) });
    }
  };

  const framePreset = result?.framePresetId;
  return (
    <section className="panel" data-testid="view-editor" data-view={preset ? preset.id : ''}>
      <h3>
        {preset ? t('adminCam.presetTitle', { name: preset.name, id: preset.id }) : t('adminCam.cameraView')}
      </h3>
      {preset && (
        <div className="admin-grid">
          <label className="field">
            <span>{t('adminCam.f.presetName')}</span>
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={errors['name'] !== undefined}
            />
            <FieldError message={errors['name']} />
          </label>
          <label className="field">
            <span>{t('adminCam.f.onvifToken')}</span>
            <input value={onvifToken} onChange={(e) => setOnvifToken(e.target.value)} />
            <FieldError message={errors['onvifToken']} />
          </label>
          <label className="field">
            <span>{t('adminCam.f.dwellS')}</span>
            <input value={dwellS} inputMode="numeric" onChange={(e) => setDwellS(e.target.value)} />
            <FieldError message={errors['dwellS']} />
          </label>
          <label className="field">
            <span>{t('adminCam.f.settleS')}</span>
            <input value={settleS} inputMode="numeric" onChange={(e) => setSettleS(e.target.value)} />
            <FieldError message={errors['settleS']} />
          </label>
        </div>
      )}
      <div className="admin-actions">
        <button
          type="button"
          className="btn small"
          onClick={() => setNonce(Date.now())}
          data-testid="grab-frame"
        >
          {t('adminCam.grabFrame')}
        </button>
        {preset && (
          <button
            type="button"
            className="btn small"
            onClick={() => void gotoPreset()}
            data-testid="goto-preset"
          >
            {t('adminCam.goto.button')}
          </button>
        )}
        {frame && (
          <span className="muted small">
            {t('adminCam.frameSize', { width: frame.width, height: frame.height })}
          </span>
        )}
      </div>
      <MaskEditor
        frameUrl={adminApi.frameUrl(camera.id, nonce)}
        masks={masks}
        roi={roi}
        onChange={(n) => {
          setMasks(n.masks);
          setRoi(n.roi);
        }}
        detections={result?.detections ?? null}
        onFrameInfo={setFrame}
      />
      {Object.entries(errors)
        .filter(([k]) => k.startsWith('masks') || k.startsWith('roi'))
        .slice(0, 1)
        .map(([k, m]) => (
          <FieldError
            key={k}
            message={`${t(k.startsWith('roi') ? 'adminCam.mask.roi' : 'adminCam.mask.masks')}: ${m}`}
          />
        ))}
      <div className="admin-grid">
        <label className="field">
          <span>{t('adminCam.f.sensitivity', { value: sensitivity.toFixed(2) })}</span>
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={sensitivity}
            onChange={(e) => setSensitivity(Number(e.target.value))}
            data-testid="sensitivity"
          />
          <span className="muted small">{t('adminCam.sensitivityHint')}</span>
        </label>
        <fieldset className="field-group">
          <legend>{t('adminCam.f.detectors')}</legend>
          {TYPES.map((ty) => (
            <label key={ty} className="inline">
              <input
                type="checkbox"
                checked={detectors.includes(ty)}
                onChange={(e) =>
                  setDetectors(e.target.checked ? [...detectors, ty] : detectors.filter((d) => d !== ty))
                }
              />
              {t(`alertType.${ty}`)}
            </label>
          ))}
          <FieldError message={errors['detectors']} />
        </fieldset>
      </div>
      <div className="admin-actions">
        <button type="button" className="btn" onClick={() => void runDetect()} data-testid="run-detect">
          {t('adminCam.detect.button')}
        </button>
        <button type="button" className="btn primary" onClick={() => void save()} data-testid="save-view">
          {t('adminCam.save')}
        </button>
        {status && (
          <span
            className={status.kind === 'error' ? 'form-error' : 'muted'}
            role="status"
            data-testid="view-status"
            data-kind={status.kind}
          >
            {status.text}
          </span>
        )}
      </div>
      {result && (
        <p className="muted small" data-testid="detect-result" data-count={result.detections.length}>
          {t('adminCam.detect.summary', { count: result.detections.length, at: result.capturedAt })}
          {result.missingModels.length > 0 &&
            ` ${t('adminCam.detect.missing', { types: result.missingModels.join(', ') })}`}
          {preset &&
            framePreset !== preset.id &&
            ` ${t('adminCam.detect.otherPreset', { preset: framePreset ?? '—' })}`}
        </p>
      )}
    </section>
  );
}

/** Add-a-preset form (id, name, ONVIF token). */
function AddPreset({ camera, onSaved }: { camera: AdminCamera; onSaved: (c: AdminCamera) => void }) {
  const { t } = useTranslation();
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState<PathErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const add = async () => {
    const check = PresetInput.safeParse({
      id: id.trim(),
      name: name.trim(),
      ...(token.trim() ? { onvifToken: token.trim() } : {}),
    });
    if (!check.success) {
      setErrors(issuesToErrors(check.error.issues, t));
      return;
    }
    setErrors({});
    try {
      onSaved(await adminApi.savePreset(camera.id, camera.version, check.data));
      setId('');
      setName('');
      setToken('');
      setFailure(null);
    } catch (e) {
      setErrors(serverFieldErrors(e, t) ?? {});
      setFailure(adminErrorText(e, t));
    }
  };
  return (
    <div className="admin-grid compact" data-testid="add-preset">
      <label className="field">
        <span>{t('adminCam.f.presetId')}</span>
        <input value={id} onChange={(e) => setId(e.target.value)} aria-invalid={errors['id'] !== undefined} />
        <FieldError message={errors['id']} />
      </label>
      <label className="field">
        <span>{t('adminCam.f.presetName')}</span>
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={errors['name'] !== undefined}
        />
        <FieldError message={errors['name']} />
      </label>
      <label className="field">
        <span>{t('adminCam.f.onvifToken')}</span>
        <input value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      <button type="button" className="btn small" onClick={() => void add()}>
        {t('adminCam.addPreset')}
      </button>
      {failure && <p className="form-error">{failure}</p>}
    </div>
  );
}

/** Patrol tours: ordered preset ids and daily schedule windows per tour. */
function ToursEditor({ camera, onSaved }: { camera: AdminCamera; onSaved: (c: AdminCamera) => void }) {
  const { t } = useTranslation();
  const [tours, setTours] = useState<TourConfig[]>(camera.tours);
  const [errors, setErrors] = useState<PathErrors>({});
  const [status, setStatus] = useState<string | null>(null);
  const update = (i: number, patch: Partial<TourConfig>) =>
    setTours(tours.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const move = (i: number, k: number, d: -1 | 1) => {
    const p = [...tours[i]!.presets];
    const [x] = p.splice(k, 1);
    p.splice(Math.max(0, Math.min(p.length, k + d)), 0, x!);
    update(i, { presets: p });
  };
  const save = async () => {
    const check = ToursInput.safeParse({ tours });
    if (!check.success) {
      setErrors(issuesToErrors(check.error.issues, t));
      return;
    }
    try {
      onSaved(await adminApi.saveTours(camera.id, camera.version, check.data));
      setErrors({});
      setStatus(t('adminCam.saved'));
    } catch (e) {
      setErrors(serverFieldErrors(e, t) ?? {});
      setStatus(adminErrorText(e, t));
    }
  };
  return (
    <section className="panel" data-testid="tours-editor">
      <h3>{t('adminCam.tours.title')}</h3>
      {!camera.onvif && <p className="muted small">{t('adminCam.tours.needOnvif')}</p>}
      {tours.map((tour, i) => (
        <div key={i} className="tour">
          <div className="admin-grid compact">
            <label className="field">
              <span>{t('adminCam.f.tourId')}</span>
              <input value={tour.id} onChange={(e) => update(i, { id: e.target.value })} />
              <FieldError message={errors[`tours.${i}.id`]} />
            </label>
            <label className="field">
              <span>{t('adminCam.f.tourName')}</span>
              <input value={tour.name} onChange={(e) => update(i, { name: e.target.value })} />
              <FieldError message={errors[`tours.${i}.name`]} />
            </label>
            <label className="field">
              <span>{t('adminCam.f.schedule')}</span>
              <input
                value={tour.schedule.join(', ')}
                placeholder="06:00-18:00"
                onChange={(e) =>
                  update(i, {
                    schedule: e.target.value
                      .split(',')
                      .map((s) => s.trim())
                      .filter(Boolean),
                  })
                }
              />
              <FieldError
                message={Object.entries(errors).find(([k]) => k.startsWith(`tours.${i}.schedule`))?.[1]}
              />
            </label>
          </div>
          <ol className="tour-presets">
            {tour.presets.map((p, k) => (
              <li key={`${p}-${k}`}>
                {camera.presets.find((x) => x.id === p)?.name ?? p} <span className="muted">({p})</span>{' '}
                <button
                  type="button"
                  className="btn small"
                  onClick={() => move(i, k, -1)}
                  aria-label={t('adminCam.tours.up')}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="btn small"
                  onClick={() => move(i, k, 1)}
                  aria-label={t('adminCam.tours.down')}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="btn small"
                  onClick={() => update(i, { presets: tour.presets.filter((_, j) => j !== k) })}
                >
                  {t('adminCam.tours.remove')}
                </button>
                <FieldError message={errors[`tours.${i}.presets.${k}`]} />
              </li>
            ))}
          </ol>
          <FieldError message={errors[`tours.${i}.presets`]} />
          <select
            value=""
            onChange={(e) => e.target.value && update(i, { presets: [...tour.presets, e.target.value] })}
            aria-label={t('adminCam.tours.addPreset')}
          >
            <option value="">{t('adminCam.tours.addPreset')}</option>
            {camera.presets.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.id})
              </option>
            ))}
          </select>{' '}
          <button
            type="button"
            className="btn small danger"
            onClick={() => setTours(tours.filter((_, j) => j !== i))}
          >
            {t('adminCam.tours.deleteTour')}
          </button>
        </div>
      ))}
      <FieldError message={errors['tours']} />
      <div className="admin-actions">
        <button
          type="button"
          className="btn small"
          onClick={() =>
            setTours([
              ...tours,
              {
                id: `tour-${tours.length + 1}`,
                name: t('adminCam.tours.newName'),
                presets: [],
                schedule: [],
              },
            ])
          }
        >
          {t('adminCam.tours.add')}
        </button>
        <button type="button" className="btn primary" onClick={() => void save()} data-testid="save-tours">
          {t('adminCam.save')}
        </button>
        {status && <span role="status">{status}</span>}
      </div>
    </section>
  );
}

/** `/admin/cameras/:id`: the camera's views (presets or its own view) with the mask/ROI editor, and tours. */
export function AdminCameraPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const [camera, setCamera] = useState<AdminCamera | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const saved = (c: AdminCamera) => {
    setCamera(c);
    setNotice(t('adminCam.savedLive'));
  };
  const load = useCallback(() => {
    adminApi.get(id).then(
      (c) => {
        setCamera(c);
        setFailure(null);
      },
      (e: unknown) => setFailure(adminErrorText(e, t)),
    );
  }, [id, t]);
  useEffect(load, [load]);

  if (camera === null)
    return (
      <main className="page">
        {failure ? <p className="form-error">{failure}</p> : <p className="muted">{t('common.loading')}</p>}
      </main>
    );
  const presetId = selected ?? camera.presets[0]?.id ?? null;
  const view: ViewKey = presetId === null ? { kind: 'camera' } : { kind: 'preset', id: presetId };
  const deletePreset = async (p: string) => {
    if (!window.confirm(t('adminCam.confirmDeletePreset', { id: p }))) return;
    try {
      setCamera(await adminApi.deletePreset(camera.id, camera.version, p));
      setSelected(null);
    } catch (e) {
      setFailure(adminErrorText(e, t));
    }
  };
  return (
    <main
      className="page admin-page"
      data-testid="admin-camera"
      data-camera-id={camera.id}
      data-version={camera.version}
    >
      <a {...linkProps('/admin/cameras')}>{t('adminCam.back')}</a>
      <h2>
        {camera.name} <span className="muted">({camera.id})</span>
      </h2>
      {failure && (
        <p className="form-error" role="alert">
          {failure}{' '}
          <button type="button" className="btn small" onClick={load}>
            {t('adminCam.reload')}
          </button>
        </p>
      )}
      {notice && (
        <p className="notice" role="status" data-testid="saved-notice">
          {notice}
        </p>
      )}
      <section className="panel">
        <h3>{t('adminCam.presets')}</h3>
        {camera.presets.length === 0 ? (
          <p className="muted small">{t('adminCam.noPresets')}</p>
        ) : (
          <ul className="preset-list" data-testid="preset-list">
            {camera.presets.map((p: PresetConfig) => (
              <li key={p.id} className={p.id === presetId ? 'active' : ''}>
                <button type="button" className="btn small" onClick={() => setSelected(p.id)}>
                  {p.name} ({p.id})
                </button>{' '}
                <span className="muted small">
                  {t('adminCam.presetSummary', {
                    masks: p.masks.length,
                    sensitivity: p.sensitivity.toFixed(2),
                  })}
                </span>{' '}
                <button type="button" className="btn small danger" onClick={() => void deletePreset(p.id)}>
                  {t('adminCam.delete')}
                </button>
              </li>
            ))}
          </ul>
        )}
        <AddPreset camera={camera} onSaved={saved} />
      </section>
      <ViewEditor
        key={`${camera.id}:${presetId ?? ''}:${camera.version}`}
        camera={camera}
        view={view}
        onSaved={saved}
      />
      {camera.presets.length > 0 && <ToursEditor key={camera.version} camera={camera} onSaved={saved} />}
    </main>
  );
}
