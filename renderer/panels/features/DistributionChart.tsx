// One φ distribution as an SVG histogram: counts per bin on a linear or log axis, numbered axes,
// the zero share, and a rug of the focused token's values (so the token under the pointer shows
// where its features fall).

import { useState, type JSX } from 'react';
import { barRects, maxCount, valueTicks, type Distribution } from '../../viz/distribution.js';
import { axisScale, formatNumber } from '../../viz/lines.js';
import { INK, YGrid } from '../../ui/TokenLines.js';

const M = { left: 48, right: 10, top: 8, bottom: 30 };

export function DistributionChart(p: {
  dist: Distribution;
  /** The largest count of the charts shown together (shared count axis). */
  top?: number;
  width: number;
  height: number;
  color: string;
  label: string;
  logCounts: boolean;
  /** The focused token's values (rug), or empty. */
  rug: ArrayLike<number>;
  rugLabel: string;
  testId?: string;
}): JSX.Element {
  const iw = Math.max(10, p.width - M.left - M.right);
  const ih = Math.max(10, p.height - M.top - M.bottom);
  const top = p.top ?? maxCount(p.dist);
  const y = axisScale(p.logCounts ? [0.8, top] : [0, top], [ih, 0], p.logCounts ? 'log' : 'linear');
  const x = axisScale([p.dist.lo, p.dist.hi], [0, iw]);
  const bars = barRects(p.dist, iw, ih, (c) => y.map(c));
  const [hover, setHover] = useState<number | null>(null);
  const xt = valueTicks(p.dist.lo, p.dist.hi, Math.max(2, Math.floor(iw / 70)));
  const yt = y.ticks(4);
  const hb = hover !== null ? bars[hover] : undefined;
  const rug = Array.from(p.rug).filter((v) => Number.isFinite(v));
  const outside = p.dist.under + p.dist.over;
  return (
    <div data-testid={p.testId}>
      <svg width={p.width} height={p.height} role="img" aria-label={p.label} onMouseLeave={() => setHover(null)} style={{ display: 'block' }}>
        <g transform={`translate(${M.left},${M.top})`}>
          <g className="axis">
            <YGrid ticks={yt} width={iw} />
            {xt.map((v) => (
              <g key={`x${v}`} transform={`translate(${x.map(v)},${ih})`}>
                <line y2={4} stroke={INK.muted} />
                <text y={14} textAnchor="middle">
                  {formatNumber(v)}
                </text>
              </g>
            ))}
            <line y1={ih} y2={ih} x2={iw} stroke={INK.muted} />
            <text x={iw} y={ih + 26} textAnchor="end">
              {p.label}
            </text>
            <text transform={`translate(${-38},${ih / 2}) rotate(-90)`} textAnchor="middle">
              count{p.logCounts ? ' (log)' : ''}
            </text>
          </g>
          {bars.map((b, i) => (
            <rect key={i} x={b.x} y={b.y} width={b.w} height={b.h} fill={p.color} fillOpacity={hover === i ? 1 : 0.8} onMouseEnter={() => setHover(i)} />
          ))}
          {/* Invisible full-height hit areas so thin bars are easy to point at. */}
          {bars.map((b, i) => (
            <rect key={`h${i}`} x={b.x} y={0} width={Math.max(1, iw / bars.length)} height={ih} fill="transparent" onMouseEnter={() => setHover(i)} />
          ))}
          {rug.map((v, i) => (v >= p.dist.lo && v <= p.dist.hi ? <line key={`r${i}`} x1={x.map(v)} x2={x.map(v)} y1={ih - 9} y2={ih} stroke={INK.fg} strokeWidth={1} /> : null))}
        </g>
      </svg>
      <div style={{ fontSize: 11, color: 'var(--muted)', paddingLeft: M.left, minHeight: 16 }}>
        {hb ? (
          <span>
            [{formatNumber(hb.x0)}, {formatNumber(hb.x1)}): <code>{hb.count}</code> ({((hb.count / Math.max(1, p.dist.total)) * 100).toFixed(1)}%)
          </span>
        ) : rug.length > 0 ? (
          <span>white ticks: {p.rugLabel}</span>
        ) : (
          <span>{p.dist.total} values</span>
        )}
        {outside > 0 ? <span> · {outside} outside the axis</span> : null}
        {p.dist.nonFinite > 0 ? <span style={{ color: 'var(--bad)' }}> · {p.dist.nonFinite} NaN/Inf</span> : null}
      </div>
    </div>
  );
}
