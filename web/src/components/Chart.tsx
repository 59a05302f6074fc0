/**
 * One ECharts chart (tree-shaken core: bar charts, grid, tooltip, legend, SVG renderer). The option is
 * composed from `echarts` types so a typo in an option key fails the typecheck. The chart is resized with its
 * box and disposed on unmount.
 */
import { BarChart, type BarSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type TooltipComponentOption,
} from 'echarts/components';
import { init, use, type ComposeOption, type ECharts } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

use([BarChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer]);

/** The option subset this console uses. */
export type ChartOption = ComposeOption<
  BarSeriesOption | GridComponentOption | TooltipComponentOption | LegendComponentOption
>;

/**
 * A chart box. `total` (the sum of the plotted values) is exposed as `data-total` for tests and screen readers
 * get `label` as the accessible name.
 */
export function Chart({
  option,
  label,
  total,
  testId,
  empty,
  height = 280,
}: {
  option: ChartOption;
  label: string;
  total: number;
  testId: string;
  /** Shown over the chart while `total` is 0 ("no data in this range"). */
  empty?: string;
  /** px */
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const c = init(el, 'dark', { renderer: 'svg' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ backgroundColor: 'transparent', ...option }, { notMerge: true });
  }, [option]);

  return (
    <div className="chart-box">
      <div
        ref={box}
        className="chart"
        role="img"
        aria-label={label}
        data-testid={testId}
        data-total={total}
        style={{ height }}
      />
      {total === 0 && empty !== undefined && <p className="chart-empty muted">{empty}</p>}
    </div>
  );
}
