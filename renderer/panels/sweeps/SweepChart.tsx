// One scaling chart of a sweep in SVG: time against sequence length on log–log axes (viz/sweeps.ts
// lays it out), one line per variant × chunk size (colour = variant, dash = chunk), the measured
// points, vertical markers at crossover lengths, a cursor at the focused token's prefix length, and
// the nearest point's numbers under the pointer. A legend lists every line with its log–log slope.

import { useMemo, useState, type JSX } from 'react';
import { INK } from '../../ui/TokenLines.js';
import { formatNumber } from '../../viz/lines.js';
import { formatLength, logLogSlope, nearestPoint, sweepChart, type ChartPoint } from '../../viz/sweeps.js';
import { formatMs, tokensPerSecond, valueAt, type SweepPhase, type SweepSeries } from './logic.js';

export interface DrawnSeries extends SweepSeries {
  color: string;
  dash: string;
}

export interface SweepChartProps {
  phase: SweepPhase;
  series: DrawnSeries[];
  width: number;
  height: number;
  /** Vertical markers (crossover lengths). */
  markers: ReadonlyArray<{ T: number; label: string }>;
  /** The focused token's prefix length (position + 1), or null. */
  cursorT: number | null;
  testId: string;
}

const MARGIN = { top: 14, right: 16, bottom: 34, left: 56 };

export function SweepChart(p: SweepChartProps): JSX.Element {
  const chart = useMemo(
    () =>
      sweepChart(
        p.series.map((s) => ({ key: s.key, points: s.points })),
        { width: p.width, height: p.height, margin: MARGIN },
        p.markers.map((m) => m.T),
      ),
    [p.series, p.width, p.height, p.markers],
  );
  const [hot, setHot] = useState<ChartPoint | null>(null);
  const byKey = useMemo(() => new Map(p.series.map((s) => [s.key, s] as const)), [p.series]);
  const unit = p.phase === 'prefill' ? 'prefill ms' : 'decode ms / token';
  const inX = (T: number): boolean => T >= chart.x.domain[0] && T <= chart.x.domain[1];
  const cursor = p.cursorT !== null && !chart.empty && inX(p.cursorT) ? p.cursorT : null;
  // A focused token outside the measured lengths: an arrow at that edge says where it would be.
  const off = p.cursorT !== null && !chart.empty && cursor === null ? (p.cursorT < chart.x.domain[0] ? 'left' : 'right') : null;
  const hotSeries = hot ? byKey.get(hot.key) : undefined;

  return (
    <div data-testid={p.testId} style={{ position: 'relative' }}>
      <svg
        width={p.width}
        height={p.height}
        role="img"
        aria-label={`${unit} against sequence length, log–log`}
        style={{ display: 'block' }}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          setHot(nearestPoint(chart.points, e.clientX - r.left, e.clientY - r.top));
        }}
        onMouseLeave={() => setHot(null)}
      >
        <g className="axis">
          {chart.yTicks.map((t) => (
            <g key={`y${t.value}`} transform={`translate(0,${t.pos})`}>
              <line x1={chart.x0} x2={chart.x1} stroke={INK.line} strokeOpacity={0.6} />
              <text x={chart.x0 - 5} dy="0.32em" textAnchor="end">
                {t.label}
              </text>
            </g>
          ))}
          {chart.xTicks.map((t) => (
            <g key={`x${t.value}`} transform={`translate(${t.pos},0)`}>
              <line y1={chart.y0} y2={chart.y1} stroke={INK.line} strokeOpacity={0.6} />
              <line y1={chart.y1} y2={chart.y1 + 4} stroke={INK.muted} />
              <text y={chart.y1 + 15} textAnchor="middle">
                {t.label}
              </text>
            </g>
          ))}
          <rect x={chart.x0} y={chart.y0} width={chart.x1 - chart.x0} height={chart.y1 - chart.y0} fill="none" stroke={INK.line} />
          <text x={chart.x1} y={p.height - 3} textAnchor="end">
            sequence length T (log)
          </text>
          <text transform={`translate(13,${(chart.y0 + chart.y1) / 2}) rotate(-90)`} textAnchor="middle">
            {unit} (log)
          </text>
        </g>
        {chart.empty ? (
          <text x={(chart.x0 + chart.x1) / 2} y={(chart.y0 + chart.y1) / 2} textAnchor="middle" fill={INK.muted} fontSize={12}>
            {p.phase === 'decode' ? 'no decode times (decode tokens = 0?)' : 'waiting for the first row…'}
          </text>
        ) : null}
        {p.markers.map((m, i) => {
          if (!inX(m.T)) return null;
          const px = chart.x.map(m.T);
          // Labels read away from the nearer edge, stacked when there are several.
          const left = px > (chart.x0 + chart.x1) / 2;
          return (
            <g key={m.label} transform={`translate(${px},0)`} data-testid="sweep-crossover-marker">
              <line y1={chart.y0} y2={chart.y1} stroke={INK.fg} strokeOpacity={0.7} strokeDasharray="3 3" />
              <text x={left ? -3 : 3} y={chart.y0 + 10 + 12 * i} textAnchor={left ? 'end' : 'start'} fill={INK.fg} fontSize={10}>
                {m.label}
              </text>
            </g>
          );
        })}
        <g>
          {p.series.map((s, i) => {
            const d = chart.paths[i]?.d ?? '';
            const dim = hot !== null && hot.key !== s.key;
            return d ? <path key={s.key} d={d} fill="none" stroke={s.color} strokeWidth={hot?.key === s.key ? 2.5 : 1.6} strokeDasharray={s.dash || undefined} strokeOpacity={dim ? 0.35 : 1} strokeLinejoin="round" /> : null;
          })}
          {chart.points.map((pt) => (
            <circle key={`${pt.key}@${pt.T}`} cx={pt.px} cy={pt.py} r={hot === pt ? 4.5 : 2.8} fill={byKey.get(pt.key)?.color ?? INK.fg} stroke="#0f1115" strokeWidth={0.8} />
          ))}
        </g>
        {cursor !== null ? (
          <g transform={`translate(${chart.x.map(cursor)},0)`} data-testid="sweep-cursor">
            <line className="cursor" y1={chart.y0} y2={chart.y1} stroke={INK.accent} strokeWidth={1} />
            <text x={3} y={chart.y1 - 4} fill={INK.accent} fontSize={10}>
              #{cursor - 1}
            </text>
            {p.series.map((s) => {
              const v = valueAt(s.points, cursor);
              return v === null ? null : <circle key={s.key} cy={chart.y.map(v)} r={2.5} fill="none" stroke={s.color} />;
            })}
          </g>
        ) : null}
        {off !== null && p.cursorT !== null ? (
          <g data-testid="sweep-cursor-off">
            <line x1={off === 'left' ? chart.x0 + 1 : chart.x1 - 1} x2={off === 'left' ? chart.x0 + 1 : chart.x1 - 1} y1={chart.y0} y2={chart.y1} stroke={INK.accent} strokeWidth={2} />
            <text x={off === 'left' ? chart.x0 + 5 : chart.x1 - 5} y={chart.y1 - 5} textAnchor={off === 'left' ? 'start' : 'end'} fill={INK.accent} fontSize={10}>
              {off === 'left' ? `◂ token #${p.cursorT - 1} (T = ${p.cursorT}) is left of the sweep` : `token #${p.cursorT - 1} (T = ${p.cursorT}) is right of the sweep ▸`}
            </text>
          </g>
        ) : null}
      </svg>
      {hot && hotSeries ? (
        <div
          className="chart-tip"
          style={{ left: Math.min(hot.px + 12, p.width - 210), top: Math.max(0, hot.py - 52) }}
          data-testid="sweep-tip"
        >
          <div style={{ color: hotSeries.color }}>
            {hotSeries.variant} · chunk {hotSeries.chunk}
          </div>
          <div>
            T = {hot.T}: {formatMs(hot.v)} {p.phase === 'prefill' ? 'ms' : 'ms/token'}
          </div>
          <div className="hint">{formatNumber(tokensPerSecond(p.phase === 'prefill' ? hot.T : 1, hot.v))} tokens/s</div>
        </div>
      ) : null}
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: '2px 12px', fontSize: 11, paddingLeft: MARGIN.left, color: 'var(--muted)' }}>
        {p.series.map((s) => {
          const slope = logLogSlope(s.points);
          const at = cursor !== null ? valueAt(s.points, cursor) : null;
          return (
            <span key={s.key} style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }} title="slope: exponent k of time ∝ T^k between the shortest and longest length">
              <svg width={18} height={8} aria-hidden="true">
                <line x2={18} y1={4} y2={4} stroke={s.color} strokeWidth={2} strokeDasharray={s.dash || undefined} />
              </svg>
              {s.variant} · c{s.chunk}
              {Number.isFinite(slope) ? <span> ∝T^{slope.toFixed(2)}</span> : null}
              {at !== null ? <code>{formatMs(at)}</code> : null}
            </span>
          );
        })}
        {cursor !== null ? (
          <span>
            at T = {formatLength(cursor)} (token #{cursor - 1}, interpolated)
          </span>
        ) : null}
      </div>
    </div>
  );
}
