// One gated layer in the saturation panel: the histogram of α (or g) of every drawn run, overlaid,
// with the saturated zones (within eps of 0 and of 1) shaded, rug marks at the focused token's
// channels, a readout of the bin under the pointer, and each run's % saturated as numbers and a bar.

import { useState, type JSX } from 'react';
import { axisDomain, formatP, formatPercent, fromAxis, histogramChart, shares, toAxis, type BinSpec, type ChartBox, type Histogram } from '../../viz/histogram.js';

export interface CardSeries {
  id: string;
  label: string;
  color: string;
  hist: Histogram;
  sat: { low: number; high: number; total: number };
}

export interface LayerCardProps {
  layer: number;
  series: readonly CardSeries[];
  spec: BinSpec;
  eps: number;
  /** α or g. */
  quantity: string;
  width: number;
  selected: boolean;
  /** The focused token's values (first run, selected head) and its position, or null. */
  focus: { pos: number; values: Float64Array } | null;
  /** Whose values the ticks are, when several runs are drawn. */
  focusLabel: string | null;
  showLabels: boolean;
  onSelect: () => void;
}

const HEIGHT = 132;
const MARGIN = { top: 8, right: 10, bottom: 20, left: 40 };

export function LayerCard(p: LayerCardProps): JSX.Element {
  const [bin, setBin] = useState<number | null>(null);
  const box: ChartBox = { width: p.width, height: HEIGHT, margin: MARGIN };
  const chart = histogramChart(
    p.series.map((s) => s.hist),
    p.spec,
    box,
  );
  const [lo, hi] = axisDomain(p.spec);
  const xLow = chart.x(Math.max(lo, toAxis(p.eps, p.spec.mapping)));
  const xHigh = chart.x(Math.min(hi, toAxis(1 - p.eps, p.spec.mapping)));
  const { plot } = chart;
  const bins = p.series[0]?.hist.counts.length ?? 0;
  const binReadout = ((): string => {
    const h = p.series[0]?.hist;
    if (bin === null || !h) return '';
    const a = fromAxis(h.edges[bin] as number, p.spec.mapping);
    const b = fromAxis(h.edges[bin + 1] as number, p.spec.mapping);
    const range = `${p.quantity} ∈ [${formatP(a)}, ${formatP(b)}${bin === bins - 1 ? ']' : ')'}`;
    const parts = p.series.map((s) => `${p.series.length > 1 ? `${s.label} ` : ''}${formatPercent(shares(s.hist)[bin] ?? 0)}`);
    return `${range}: ${parts.join(' · ')}`;
  })();

  return (
    <div
      className="sat-card"
      data-testid={`sat-layer-${p.layer}`}
      onClick={p.onSelect}
      style={{
        width: p.width + 16,
        padding: '6px 8px',
        background: 'var(--panel2)',
        border: `1px solid ${p.selected ? 'var(--accent)' : 'var(--line)'}`,
        borderRadius: 6,
        cursor: 'pointer',
      }}
      title="Click to select this layer"
    >
      <div style={{ display: 'flex', justifyContent: 'space-between', fontSize: 12 }}>
        <b style={{ color: p.selected ? 'var(--accent)' : 'var(--fg)' }}>Layer {p.layer}</b>
        <span className="hint" style={{ fontSize: 11 }}>
          share of {p.quantity} entries per bin
        </span>
      </div>
      <svg
        width={p.width}
        height={HEIGHT}
        role="img"
        aria-label={`Histogram of ${p.quantity}, layer ${p.layer}`}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const x = e.clientX - r.left;
          if (x < plot.x0 || x > plot.x1 || bins === 0) setBin(null);
          else setBin(Math.min(bins - 1, Math.floor(((x - plot.x0) / (plot.x1 - plot.x0)) * bins)));
        }}
        onMouseLeave={() => setBin(null)}
      >
        <rect x={plot.x0} y={plot.y0} width={Math.max(0, xLow - plot.x0)} height={plot.y1 - plot.y0} fill="rgba(255,255,255,0.06)" />
        <rect x={xHigh} y={plot.y0} width={Math.max(0, plot.x1 - xHigh)} height={plot.y1 - plot.y0} fill="rgba(255,255,255,0.06)" />
        <g className="axis">
          {chart.yTicks.map((t) => (
            <g key={t.label} transform={`translate(0,${t.at})`}>
              <line x1={plot.x0 - 3} x2={plot.x1} stroke="var(--line)" strokeOpacity={0.5} />
              <text x={plot.x0 - 5} dy="0.32em" textAnchor="end">
                {t.label}
              </text>
            </g>
          ))}
          <line x1={plot.x0} x2={plot.x1} y1={plot.y1 + 0.5} y2={plot.y1 + 0.5} />
          {chart.xTicks.map((t) => (
            <g key={t.label} transform={`translate(${t.at},${plot.y1})`}>
              <line y2={4} />
              <text y={14} textAnchor={t.at < plot.x0 + 8 ? 'start' : t.at > plot.x1 - 8 ? 'end' : 'middle'}>
                {t.label}
              </text>
            </g>
          ))}
        </g>
        {p.series.map((s, i) => {
          const path = chart.paths[i];
          if (!path) return null;
          return (
            <g key={s.id}>
              <path d={path.area} fill={s.color} fillOpacity={p.series.length > 1 ? 0.18 : 0.45} />
              <path d={path.outline} fill="none" stroke={s.color} strokeWidth={1.3} />
            </g>
          );
        })}
        <line x1={xLow} x2={xLow} y1={plot.y0} y2={plot.y1} stroke="var(--muted)" strokeDasharray="3 2" />
        <line x1={xHigh} x2={xHigh} y1={plot.y0} y2={plot.y1} stroke="var(--muted)" strokeDasharray="3 2" />
        {bin !== null ? (
          <rect
            x={plot.x0 + (bin / bins) * (plot.x1 - plot.x0)}
            y={plot.y0}
            width={(plot.x1 - plot.x0) / bins}
            height={plot.y1 - plot.y0}
            fill="none"
            stroke="var(--fg)"
            strokeOpacity={0.6}
          />
        ) : null}
        {p.focus
          ? Array.from(p.focus.values, (v, c) =>
              Number.isNaN(v) ? null : <line key={c} className="cursor" x1={chart.x(clampAxis(v, p.spec))} x2={chart.x(clampAxis(v, p.spec))} y1={plot.y1 - 7} y2={plot.y1} stroke="var(--fg)" strokeOpacity={0.8} />,
            )
          : null}
      </svg>
      <div style={{ fontSize: 11, minHeight: 16, color: 'var(--muted)' }} data-testid={`sat-bin-${p.layer}`}>
        {binReadout || (p.focus ? `ticks: token #${p.focus.pos}'s ${p.focus.values.length} channels${p.focusLabel ? ` (${p.focusLabel})` : ''}` : ' ')}
      </div>
      {p.series.map((s) => (
        <SatRow key={s.id} s={s} label={p.showLabels} eps={p.eps} />
      ))}
    </div>
  );
}

function clampAxis(v: number, spec: BinSpec): number {
  const [lo, hi] = axisDomain(spec);
  return Math.min(hi, Math.max(lo, toAxis(v, spec.mapping)));
}

const BAR = 90;

function SatRow({ s, label, eps }: { s: CardSeries; label: boolean; eps: number }): JSX.Element {
  return (
    <div style={{ display: 'flex', alignItems: 'center', gap: 6, fontSize: 11, fontFamily: 'ui-monospace, monospace' }} data-testid="sat-row" data-total={s.sat.total.toFixed(6)}>
      <span style={{ width: 8, height: 8, background: s.color, display: 'inline-block', borderRadius: 2, flex: 'none' }} />
      {label ? <span style={{ maxWidth: 90, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{s.label}</span> : null}
      <b style={{ color: 'var(--fg)', minWidth: 42, textAlign: 'right' }}>{formatPercent(s.sat.total)}</b>
      <svg width={BAR} height={8} aria-label={`saturated ${formatPercent(s.sat.total)}`}>
        <rect width={BAR} height={8} fill="var(--line)" />
        <rect width={s.sat.low * BAR} height={8} fill={s.color} fillOpacity={0.5} />
        <rect x={s.sat.low * BAR} width={s.sat.high * BAR} height={8} fill={s.color} />
      </svg>
      <span style={{ color: 'var(--muted)' }} title={`within ${eps} of 0 / of 1`}>
        ≈0 {formatPercent(s.sat.low)} · ≈1 {formatPercent(s.sat.high)}
      </span>
    </div>
  );
}
