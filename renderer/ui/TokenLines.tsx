// A line (or bar) chart over token positions in SVG: series as paths (viz/lines.ts computes paths
// and ticks), numbered axes, a cursor at the focused token with each series' value there, and
// pointer handlers that report the token under the pointer (hover) and clicks (lock). Used by the
// feature-map, state and effective-attention panels.

import { useRef, type JSX } from 'react';
import { axisScale, barsPath, chartDomain, formatNumber, indexAt, seriesExtent, seriesPath, tokenTicks, type YMapping } from '../viz/lines.js';

export interface LineSeries {
  key: string;
  label: string;
  values: ArrayLike<number>;
  color: string;
  /** Stroke width (default 1.5); bars ignore it. */
  width?: number;
  opacity?: number;
  dash?: string;
  /** Draw as bars from the baseline instead of a line. */
  bars?: boolean;
  /** Leave out of the value readout under the legend. */
  quiet?: boolean;
}

export interface TokenLinesProps {
  series: LineSeries[];
  /** Absolute position of index 0 and the number of positions on the x axis. */
  x0: number;
  n: number;
  width: number;
  height: number;
  yLabel: string;
  xLabel?: string;
  yMapping?: YMapping;
  /** Fixed y domain (else the series' extent, from 0 for non-negative linear data). */
  yDomain?: readonly [number, number];
  /** Horizontal reference lines (e.g. a bound or a maximum). */
  rules?: ReadonlyArray<{ value: number; label: string }>;
  /** The highlighted position (absolute), or null. */
  focus: number | null;
  onHover?: (pos: number | null) => void;
  onClick?: (pos: number) => void;
  testId?: string;
}

/**
 * The theme's colours as literals (style.css's --line, --muted, --fg, --accent) for SVG strokes:
 * CSS variables do not survive exporting a panel as a standalone SVG or PNG.
 */
export const INK = { line: '#2a303c', muted: '#8b93a3', fg: '#d8dee9', accent: '#7aa2f7' } as const;

const M = { left: 52, right: 12, top: 8, bottom: 30 };

/**
 * Path strings per series array and geometry: hovering re-renders the chart every frame, and a
 * 2048-point path need not be rebuilt when only the cursor moved.
 */
const pathCache = new WeakMap<object, Map<string, string>>();
function cachedPath(values: ArrayLike<number>, key: string, build: () => string): string {
  if (typeof values !== 'object') return build();
  let m = pathCache.get(values);
  if (!m) {
    m = new Map();
    pathCache.set(values, m);
  }
  let d = m.get(key);
  if (d === undefined) {
    d = build();
    if (m.size > 16) m.clear();
    m.set(key, d);
  }
  return d;
}

export function TokenLines(p: TokenLinesProps): JSX.Element {
  const svgRef = useRef<SVGSVGElement>(null);
  const mapping = p.yMapping ?? 'linear';
  const iw = Math.max(10, p.width - M.left - M.right);
  const ih = Math.max(10, p.height - M.top - M.bottom);
  // Bars are centred on their position: pad the axis by half a step so the first and last fit.
  const pad = p.series.some((s) => s.bars) ? 0.5 : 0;
  const x = axisScale([p.x0 - pad, p.x0 + Math.max(1, p.n - 1) + pad], [0, iw]);
  const dom = p.yDomain ?? chartDomain(seriesExtent(p.series.map((s) => s.values), mapping), mapping);
  const y = axisScale(dom, [ih, 0], mapping);
  const xt = tokenTicks(x, Math.max(2, Math.floor(iw / 70))).filter((t) => t.value >= p.x0 && t.value < p.x0 + Math.max(1, p.n));
  const yt = y.ticks(Math.max(2, Math.floor(ih / 28)));
  const geometry = `${x.domain.join()}|${y.domain.join()}|${mapping}|${iw}|${ih}|${p.x0}`;
  const focusIdx = p.focus !== null && p.focus >= p.x0 && p.focus < p.x0 + p.n ? p.focus - p.x0 : null;

  const posAt = (clientX: number): number | null => {
    const r = svgRef.current?.getBoundingClientRect();
    if (!r) return null;
    const i = indexAt(clientX - r.left - M.left, x, p.n);
    return i === null ? null : p.x0 + i;
  };

  return (
    <div className="token-lines" data-testid={p.testId}>
      <svg
        ref={svgRef}
        width={p.width}
        height={p.height}
        role="img"
        aria-label={p.yLabel}
        onMouseMove={p.onHover ? (e) => p.onHover?.(posAt(e.clientX)) : undefined}
        onMouseLeave={p.onHover ? () => p.onHover?.(null) : undefined}
        onClick={
          p.onClick
            ? (e) => {
                const pos = posAt(e.clientX);
                if (pos !== null) p.onClick?.(pos);
              }
            : undefined
        }
        style={{ cursor: p.onHover || p.onClick ? 'crosshair' : 'default', display: 'block' }}
      >
        <g transform={`translate(${M.left},${M.top})`}>
          <g className="axis">
            <YGrid ticks={yt} width={iw} />
            {xt.map((t) => (
              <g key={`x${t.value}`} transform={`translate(${t.pos},${ih})`}>
                <line y2={4} stroke={INK.muted} />
                <text y={14} textAnchor="middle">
                  {t.label}
                </text>
              </g>
            ))}
            <line y1={ih} y2={ih} x2={iw} stroke={INK.muted} />
            <line y2={ih} stroke={INK.muted} />
            <text x={iw} y={ih + 26} textAnchor="end">
              {p.xLabel ?? 'token position'}
            </text>
            <text transform={`translate(${-40},${ih / 2}) rotate(-90)`} textAnchor="middle">
              {p.yLabel}
              {mapping === 'log' ? ' (log)' : ''}
            </text>
          </g>
          {(p.rules ?? []).map((r) =>
            r.value >= y.domain[0] && r.value <= y.domain[1] ? (
              <g key={r.label} transform={`translate(0,${y.map(r.value)})`}>
                <line x2={iw} stroke={INK.muted} strokeDasharray="4 3" />
                <text x={iw - 2} dy={y.map(r.value) < 12 ? '1.1em' : '-0.3em'} textAnchor="end">
                  {r.label}
                </text>
              </g>
            ) : null,
          )}
          <g>
            {p.series.map((s) =>
              s.bars ? (
                <path key={s.key} d={cachedPath(s.values, `b${geometry}`, () => barsPath(s.values, x, y, p.x0))} fill={s.color} fillOpacity={s.opacity ?? 0.85} />
              ) : (
                <path key={s.key} d={cachedPath(s.values, `l${geometry}`, () => seriesPath(s.values, x, y, p.x0))} fill="none" stroke={s.color} strokeWidth={s.width ?? 1.5} strokeOpacity={s.opacity ?? 1} strokeDasharray={s.dash} strokeLinejoin="round" />
              ),
            )}
          </g>
          {focusIdx !== null ? (
            <g transform={`translate(${x.map(p.x0 + focusIdx)},0)`}>
              <line className="cursor" y2={ih} stroke={INK.fg} />
              {p.series.map((s) => {
                const v = s.values[focusIdx] as number;
                if (s.quiet || !Number.isFinite(v) || (mapping === 'log' && v <= 0)) return null;
                return <circle key={s.key} cy={y.map(v)} r={2.5} fill={s.color} />;
              })}
            </g>
          ) : null}
        </g>
      </svg>
      <div className="token-lines-legend" style={{ display: 'flex', flexWrap: 'wrap', gap: '2px 12px', fontSize: 11, paddingLeft: M.left, color: 'var(--muted)' }}>
        {p.series
          .filter((s) => !s.quiet)
          .map((s) => (
            <span key={s.key} style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}>
              <svg width={14} height={8} aria-hidden="true">
                {s.bars ? <rect width={14} height={8} fill={s.color} /> : <line x2={14} y1={4} y2={4} stroke={s.color} strokeWidth={2} strokeDasharray={s.dash} />}
              </svg>
              <span style={{ color: s.width !== undefined && s.width > 2 ? 'var(--fg)' : undefined }}>{s.label}</span>
              {focusIdx !== null ? <code>{Number.isFinite(s.values[focusIdx]) ? formatNumber(s.values[focusIdx] as number) : '—'}</code> : null}
            </span>
          ))}
        {focusIdx !== null ? <span>at #{p.x0 + focusIdx}</span> : null}
      </div>
    </div>
  );
}

/** Y-axis ticks of a chart's inner area: a grid line across `width` and the label left of the axis. */
export function YGrid({ ticks, width }: { ticks: ReadonlyArray<{ value: number; pos: number; label: string }>; width: number }): JSX.Element {
  return (
    <>
      {ticks.map((t) => (
        <g key={`y${t.value}`} transform={`translate(0,${t.pos})`}>
          <line x2={width} stroke={INK.line} strokeOpacity={0.5} />
          <text x={-4} dy="0.32em" textAnchor="end">
            {t.label}
          </text>
        </g>
      ))}
    </>
  );
}
