// The gradient-at-saturation plot: ∂F/∂g = 2(1−r)g + 2r(1−g) of the refined gate at the run's mean r
// (and lighter at r = 0, ½, 1) and g(1−g) of the plain sigmoid gate, over x = g ∈ [0, 1], above the
// empirical density of g of the current run's selected layer; rug marks at the focused token's g.

import type { JSX } from 'react';
import { gradientChart, type GradientCurve } from '../../viz/gradient.js';
import type { ChartBox, Histogram } from '../../viz/histogram.js';

export const CURVE_COLORS = { refined: '#E69F00', plain: '#56B4E9', density: '#009E73' } as const;

export interface GradientPlotProps {
  width: number;
  meanR: number | null;
  density: Histogram | null;
  /** The focused token's g values (selected head), or null. */
  focus: Float64Array | null;
}

const HEIGHT = 250;
const MARGIN = { top: 12, right: 48, bottom: 32, left: 42 };

export function GradientPlot({ width, meanR, density, focus }: GradientPlotProps): JSX.Element {
  const box: ChartBox = { width, height: HEIGHT, margin: MARGIN };
  const chart = gradientChart(box, { meanR, density });
  const { plot } = chart;
  const style = (c: GradientCurve): { stroke: string; strokeWidth: number; strokeDasharray?: string; strokeOpacity?: number } =>
    c.role === 'refined'
      ? { stroke: CURVE_COLORS.refined, strokeWidth: 2.2 }
      : c.role === 'plain'
        ? { stroke: CURVE_COLORS.plain, strokeWidth: 2.2 }
        : { stroke: 'var(--muted)', strokeWidth: 1, strokeDasharray: '4 3', strokeOpacity: 0.8 };
  return (
    <svg width={width} height={HEIGHT} role="img" aria-label="Gate gradient against g over the density of g" data-testid="sat-gradient">
      {chart.density ? <path d={chart.density} fill={CURVE_COLORS.density} fillOpacity={0.2} stroke={CURVE_COLORS.density} strokeOpacity={0.45} /> : null}
      <g className="axis">
        {chart.yTicks.map((t) => (
          <g key={t.label} transform={`translate(0,${t.at})`}>
            <line x1={plot.x0 - 3} x2={plot.x1} stroke="var(--line)" strokeOpacity={0.5} />
            <text x={plot.x0 - 5} dy="0.32em" textAnchor="end">
              {t.label}
            </text>
          </g>
        ))}
        {chart.densityTicks.map((t) => (
          <g key={`d${t.label}`} transform={`translate(${plot.x1},${t.at})`}>
            <line x2={3} stroke={CURVE_COLORS.density} />
            <text x={5} dy="0.32em" style={{ fill: CURVE_COLORS.density }}>
              {t.label}
            </text>
          </g>
        ))}
        <line x1={plot.x0} x2={plot.x1} y1={plot.y1 + 0.5} y2={plot.y1 + 0.5} />
        {chart.xTicks.map((t) => (
          <g key={t.label} transform={`translate(${t.at},${plot.y1})`}>
            <line y2={4} />
            <text y={14} textAnchor="middle">
              {t.label}
            </text>
          </g>
        ))}
        <text x={(plot.x0 + plot.x1) / 2} y={HEIGHT - 4} textAnchor="middle">
          g (base gate)
        </text>
        <text transform={`translate(11,${(plot.y0 + plot.y1) / 2}) rotate(-90)`} textAnchor="middle">
          gradient wrt g
        </text>
        <text transform={`translate(${width - 6},${(plot.y0 + plot.y1) / 2}) rotate(90)`} textAnchor="middle" style={{ fill: CURVE_COLORS.density }}>
          density of g
        </text>
      </g>
      {chart.curves.map((c) => (
        <g key={c.id} data-curve={c.id}>
          <path d={c.path} fill="none" {...style(c)} />
          {c.role === 'reference' ? (
            <text x={c.labelAt.x + (c.labelAt.anchor === 'start' ? 4 : -4)} y={c.labelAt.y + 11} textAnchor={c.labelAt.anchor}>
              {c.label}
            </text>
          ) : null}
        </g>
      ))}
      {focus
        ? Array.from(focus, (g, i) =>
            Number.isNaN(g) ? null : <line key={i} className="cursor" x1={chart.x(g)} x2={chart.x(g)} y1={plot.y1 - 8} y2={plot.y1} stroke="var(--fg)" strokeOpacity={0.8} />,
          )
        : null}
    </svg>
  );
}
