// A chart of per-token series on the token axis (shared by Compare and Interventions).

import type { JSX, MouseEvent } from 'react';
import { useStore } from '../state/store.js';
import type { SeriesChart } from '../viz/compare.js';

export interface TokenSeriesChartProps {
  chart: SeriesChart;
  /** One colour per series (chart.paths); `dashes` optional dash patterns per series. */
  colors: readonly string[];
  dashes?: ReadonlyArray<string | undefined>;
  focus: number | null;
  yLabel: string;
  testId: string;
  /** Positions from here on are shaded (e.g. where the compared texts diverge); null for none. */
  shadeFrom: number | null;
  promptLength: number;
  /** Draws the y = 0 grid line at full strength (signed quantities such as Δ log p). */
  zeroLine?: boolean;
  /** The chart's accessible name (default: yLabel). */
  label?: string;
}

/**
 * Per-token lines over a token axis (viz/compare.ts seriesChart): prompt shading, grid and axes with
 * numbers, the focused token's cursor; hover previews a token everywhere, click locks it.
 */
export function TokenSeriesChart({ chart, colors, dashes, focus, yLabel, testId, shadeFrom, promptLength, zeroLine, label }: TokenSeriesChartProps): JSX.Element {
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const p = chart.plot;
  const posAt = (e: MouseEvent<SVGSVGElement>): number | null => {
    const r = e.currentTarget.getBoundingClientRect();
    return chart.posAt(e.clientX - r.left);
  };
  const colW = chart.x(1) - chart.x(0);
  const edge = (pos: number): number => Math.min(p.right, Math.max(p.left, chart.x(pos) - colW / 2));
  return (
    <svg
      width={chart.width}
      height={chart.height}
      role="img"
      aria-label={label ?? yLabel}
      data-testid={testId}
      style={{ cursor: 'crosshair', display: 'block' }}
      onMouseMove={(e) => setHover(posAt(e))}
      onMouseLeave={() => setHover(null)}
      onClick={(e) => {
        const pos = posAt(e);
        if (pos !== null) toggleLock(pos);
      }}
    >
      {promptLength > 0 ? <rect x={p.left} y={p.top} width={Math.max(0, edge(promptLength) - p.left)} height={p.bottom - p.top} fill="var(--fg)" opacity={0.04} /> : null}
      {shadeFrom !== null ? <rect x={edge(shadeFrom)} y={p.top} width={Math.max(0, p.right - edge(shadeFrom))} height={p.bottom - p.top} fill="var(--bad)" opacity={0.07} /> : null}
      <g className="axis">
        <line x1={p.left} x2={p.right} y1={p.bottom} y2={p.bottom} />
        <line x1={p.left} x2={p.left} y1={p.top} y2={p.bottom} />
        {chart.yTicks.map((t) => (
          <g key={t.value} transform={`translate(${p.left},${t.at})`}>
            <line x2={-4} />
            <line x2={p.right - p.left} stroke="var(--line)" strokeOpacity={zeroLine && t.value === 0 ? 1 : 0.45} />
            <text x={-6} dy="0.32em" textAnchor="end">
              {t.label}
            </text>
          </g>
        ))}
        {chart.xTicks.map((t) => (
          <g key={t.value} transform={`translate(${t.at},${p.bottom})`}>
            <line y2={4} />
            <text y={15} textAnchor="middle">
              {t.label}
            </text>
          </g>
        ))}
        <text transform={`translate(10,${(p.top + p.bottom) / 2}) rotate(-90)`} textAnchor="middle">
          {yLabel}
        </text>
        <text x={p.right} y={p.bottom + 20} textAnchor="end">
          token
        </text>
        {promptLength > 0 ? (
          <text x={p.left + 4} y={p.top + 10}>
            prompt
          </text>
        ) : null}
      </g>
      {chart.paths.map((d, i) => (
        <path key={i} d={d} fill="none" stroke={colors[i]} strokeWidth={1.8} strokeDasharray={dashes?.[i]} strokeLinejoin="round" />
      ))}
      {focus !== null && chart.posAt(chart.x(focus)) === focus ? <line className="cursor" x1={chart.x(focus)} x2={chart.x(focus)} y1={p.top} y2={p.bottom} /> : null}
    </svg>
  );
}
