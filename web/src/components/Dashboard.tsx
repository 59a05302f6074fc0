import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DashboardResponse } from '../../../services/dispatch/schemas.ts';
import { apiGet } from '../api.ts';
import {
  browserTimeZone,
  DASHBOARD_RANGES,
  lastDays,
  seriesByDay,
  seriesTotal,
  type DashboardRange,
} from '../dashboard.ts';
import { departmentName, useDepartments } from '../departments.ts';
import { errorText } from '../errors.ts';
import { formatPercent } from '../format.ts';
import { useCameraName } from '../hooks.ts';
import { Chart, type ChartOption } from './Chart.tsx';

/** Stacked bars per day, one series per key. */
function dayBars(
  days: readonly string[],
  keys: readonly string[],
  series: Record<string, number[]>,
  name: (k: string) => string,
): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: keys.map((k) => ({
      type: 'bar',
      stack: 'day',
      name: name(k),
      data: series[k] ?? [],
      barMaxWidth: 40,
    })),
  };
}

/**
 * Staff dashboard: reviewed alerts and cases per day (by type, by department), minutes to accept / resolve
 * per department (median, p90) and the false-alarm rate per camera with the dismissal reasons, over the last
 * 7/30/90 days. Days are calendar days in the browser's time zone (sent to the API as `tz`).
 */
export function Dashboard() {
  const { t, i18n } = useTranslation();
  const departments = useDepartments();
  const cameraName = useCameraName();
  const [range, setRange] = useState<DashboardRange>(30);
  const [data, setData] = useState<DashboardResponse | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const tz = browserTimeZone();

  useEffect(() => {
    let live = true;
    const { from, to } = lastDays(new Date(), range);
    const q = new URLSearchParams({ from, to, tz });
    apiGet<DashboardResponse>(`/api/reports/dashboard?${q.toString()}`).then(
      (d) => {
        if (!live) return;
        setData(d);
        setFailure(null);
      },
      (e: unknown) => {
        if (live) setFailure(errorText(e, t));
      },
    );
    return () => {
      live = false;
    };
  }, [range, tz, reload, t]);

  const charts = useMemo(() => {
    if (data === null) return null;
    const n = data.days.length;
    const typeName = (k: string) => t(`alertType.${k}`);
    const alerts = seriesByDay(n, data.alertsByDay, (r) => r.alertType);
    const casesType = seriesByDay(n, data.casesByDay, (r) => r.alertType);
    const casesDept = seriesByDay(n, data.casesByDay, (r) => r.departmentId);
    const deptName = (k: string) =>
      k === '(none)' ? t('dashboard.noDepartment') : departmentName(departments, k);
    const timingNames = data.timings.map((x) => deptName(x.departmentId));
    const timingSeries = (['acceptP50', 'acceptP90', 'resolveP50', 'resolveP90'] as const).map((k) => ({
      type: 'bar' as const,
      name: t(`dashboard.${k}`),
      barMaxWidth: 40,
      data: data.timings.map((x) => x[k]),
    }));
    const fa = [...data.falseAlarms].sort((a, b) => b.rate - a.rate);
    return {
      alerts: {
        option: dayBars(data.days, alerts.keys, alerts.series, typeName),
        total: seriesTotal(alerts.series),
      },
      casesType: {
        option: dayBars(data.days, casesType.keys, casesType.series, typeName),
        total: seriesTotal(casesType.series),
      },
      casesDept: {
        option: dayBars(data.days, casesDept.keys, casesDept.series, deptName),
        total: seriesTotal(casesDept.series),
      },
      timings: {
        option: {
          tooltip: { trigger: 'axis' },
          legend: { top: 0 },
          grid: { left: 48, right: 16, top: 36, bottom: 28 },
          xAxis: { type: 'category', data: timingNames },
          yAxis: { type: 'value', name: t('dashboard.minutes') },
          series: timingSeries,
        } satisfies ChartOption,
        total: seriesTotal(Object.fromEntries(timingSeries.map((s) => [s.name, s.data]))),
      },
      falseAlarms: {
        rows: fa,
        option: {
          tooltip: { trigger: 'axis' },
          grid: { left: 48, right: 16, top: 16, bottom: 28 },
          xAxis: { type: 'category', data: fa.map((f) => cameraName(f.cameraId)) },
          yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
          series: [
            {
              type: 'bar',
              barMaxWidth: 40,
              name: t('dashboard.rate'),
              data: fa.map((f) => Math.round(f.rate * 1000) / 10),
            },
          ],
        } satisfies ChartOption,
        total: fa.reduce((a, f) => a + f.reviewed, 0),
      },
    };
  }, [data, t, departments, cameraName]);

  const lng = i18n.language;
  return (
    <main className="page dashboard-page" data-testid="dashboard">
      <div className="dashboard-head">
        <h2>{t('dashboard.title')}</h2>
        <div className="range-picker" role="group" aria-label={t('dashboard.range')}>
          {DASHBOARD_RANGES.map((r) => (
            <button
              key={r}
              type="button"
              className={`btn small${r === range ? ' active' : ''}`}
              aria-pressed={r === range}
              data-testid={`range-${r}`}
              onClick={() => setRange(r)}
            >
              {t('dashboard.lastDays', { count: r })}
            </button>
          ))}
          <button type="button" className="btn small" onClick={() => setReload((x) => x + 1)}>
            {t('dashboard.refresh')}
          </button>
        </div>
      </div>
      <p className="muted small" data-testid="dashboard-zone">
        {t('dashboard.zoneNote', { tz })}
      </p>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      {charts === null && failure === null && <p className="muted">{t('common.loading')}</p>}
      {charts !== null && data !== null && (
        <div className="dashboard-grid">
          <section className="panel">
            <h3>{t('dashboard.alertsByType')}</h3>
            <Chart
              testId="chart-alerts"
              label={t('dashboard.alertsByType')}
              empty={t('dashboard.noData')}
              {...charts.alerts}
            />
          </section>
          <section className="panel">
            <h3>{t('dashboard.casesByType')}</h3>
            <Chart
              testId="chart-cases-type"
              label={t('dashboard.casesByType')}
              empty={t('dashboard.noData')}
              {...charts.casesType}
            />
          </section>
          <section className="panel">
            <h3>{t('dashboard.casesByDepartment')}</h3>
            <Chart
              testId="chart-cases-dept"
              label={t('dashboard.casesByDepartment')}
              empty={t('dashboard.noData')}
              {...charts.casesDept}
            />
          </section>
          <section className="panel">
            <h3>{t('dashboard.timings')}</h3>
            <Chart
              testId="chart-timings"
              label={t('dashboard.timings')}
              empty={t('dashboard.noData')}
              {...charts.timings}
            />
            <table className="data-table" data-testid="timings-table">
              <thead>
                <tr>
                  <th>{t('dashboard.department')}</th>
                  <th>{t('dashboard.cases')}</th>
                  <th>{t('dashboard.acceptP50')}</th>
                  <th>{t('dashboard.acceptP90')}</th>
                  <th>{t('dashboard.resolveP50')}</th>
                  <th>{t('dashboard.resolveP90')}</th>
                </tr>
              </thead>
              <tbody>
                {data.timings.map((x) => (
                  <tr key={x.departmentId}>
                    <td>
                      {x.departmentId === '(none)'
                        ? t('dashboard.noDepartment')
                        : departmentName(departments, x.departmentId)}
                    </td>
                    <td>{x.cases}</td>
                    <td>{x.acceptP50 ?? '—'}</td>
                    <td>{x.acceptP90 ?? '—'}</td>
                    <td>{x.resolveP50 ?? '—'}</td>
                    <td>{x.resolveP90 ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="panel wide">
            <h3>{t('dashboard.falseAlarms')}</h3>
            <Chart
              testId="chart-false-alarms"
              label={t('dashboard.falseAlarms')}
              empty={t('dashboard.noData')}
              {...charts.falseAlarms}
            />
            <table className="data-table" data-testid="false-alarm-table">
              <thead>
                <tr>
                  <th>{t('dashboard.camera')}</th>
                  <th>{t('dashboard.reviewed')}</th>
                  <th>{t('dashboard.dismissed')}</th>
                  <th>{t('dashboard.rate')}</th>
                  <th>{t('dashboard.reasons')}</th>
                </tr>
              </thead>
              <tbody>
                {charts.falseAlarms.rows.map((f) => (
                  <tr key={f.cameraId} data-testid="false-alarm-row" data-camera-id={f.cameraId}>
                    <td>{cameraName(f.cameraId)}</td>
                    <td>{f.reviewed}</td>
                    <td>{f.dismissed}</td>
                    <td>{formatPercent(f.rate, lng)}</td>
                    <td>
                      {Object.entries(f.reasons)
                        .sort((a, b) => b[1] - a[1])
                        .map(([r, n]) => `${t(`dismissReason.${r}`)} ${n}`)
                        .join(t('common.listSep')) || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      )}
    </main>
  );
}
