// Per-token lines of the baseline's tokens: Δ log p (intervened − baseline) and KL(p_baseline ‖
// p_intervened), on one nats axis with zero drawn; hover previews a token everywhere, click locks it.

import { useMemo, type JSX, type MouseEvent } from 'react';
import { focusToken, useStore } from '../../state/store.js';
import { seriesChart } from '../../viz/compare.js';
import type { LogprobDeltas } from './logic.js';

export const DELTA_COLOR = '#e69f00';
export const KL_COLOR = '#cc79a7';

export function DeltaChart({ d, width, promptLength }: { d: LogprobDeltas; width: number; promptLength: number }): JSX.Element {
  const focus = useStore(focusToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const chart = useMemo(() => seriesChart([d.delta, d.kl], { lo: 0, hi: d.T }, width, 170, [0]), [d, width]);
  const p = chart.plot;
  const posAt = (e: MouseEvent<SVGSVGElement>): number | null => chart.posAt(e.clientX - e.currentTarget.getBoundingClientRect().left);
  const colW = chart.x(1) - chart.x(0);
  const promptRight = Math.min(p.right, Math.max(p.left, chart.x(promptLength) - colW / 2));
  return (
    <svg
      width={chart.width}
      height={chart.height}
      role="img"
      aria-label="Δ log p and KL per token"
      data-testid="int-delta-chart"
      style={{ cursor: 'crosshair', display: 'block' }}
      onMouseMove={(e) => setHover(posAt(e))}
      onMouseLeave={() => setHover(null)}
      onClick={(e) => {
        const pos = posAt(e);
        if (pos !== null) toggleLock(pos);
      }}
    >
      {promptLength > 0 ? <rect x={p.left} y={p.top} width={Math.max(0, promptRight - p.left)} height={p.bottom - p.top} fill="var(--fg)" opacity={0.04} /> : null}
      <g className="axis">
        <line x1={p.left} x2={p.right} y1={p.bottom} y2={p.bottom} />
        <line x1={p.left} x2={p.left} y1={p.top} y2={p.bottom} />
        {chart.yTicks.map((t) => (
          <g key={t.value} transform={`translate(${p.left},${t.at})`}>
            <line x2={-4} />
            <line x2={p.right - p.left} stroke="var(--line)" strokeOpacity={t.value === 0 ? 1 : 0.45} />
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
          nats
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
      <path d={chart.paths[0]} fill="none" stroke={DELTA_COLOR} strokeWidth={1.8} strokeLinejoin="round" />
      <path d={chart.paths[1]} fill="none" stroke={KL_COLOR} strokeWidth={1.5} strokeDasharray="4 2" strokeLinejoin="round" />
      {focus !== null && focus < d.T ? <line className="cursor" x1={chart.x(focus)} x2={chart.x(focus)} y1={p.top} y2={p.bottom} /> : null}
    </svg>
  );
}
