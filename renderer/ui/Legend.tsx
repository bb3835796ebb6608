// A colour legend that shows numbers: the scale's gradient with tick values (linear or logit).

import type { JSX } from 'react';
import type { ValueScale } from '../viz/scales.js';

export function Legend({ scale, label, width = 220 }: { scale: ValueScale; label: string; width?: number }): JSX.Element {
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const id = `lg-${scale.map}-${Math.round(scale.domain[0] * 1e6)}-${Math.round(scale.domain[1] * 1e6)}`;
  const ticks = scale.ticks(5);
  const fmt = formatTick;
  const lo = scale.domain[0];
  const hi = scale.domain[1];
  return (
    <svg className="legend" width={width} height={34} role="img" aria-label={`${label}: ${fmt(lo)} to ${fmt(hi)}`}>
      <defs>
        <linearGradient id={id}>
          {stops.map((t) => {
            const v = scale.mapping === 'logit' ? lo + (hi - lo) * t : lo + (hi - lo) * t;
            return <stop key={t} offset={`${t * 100}%`} stopColor={scale.color(scale.mapping === 'logit' ? invertLogitPos(scale, t) : v)} />;
          })}
        </linearGradient>
      </defs>
      <text x={0} y={10} className="legend-label">
        {label}
      </text>
      <rect x={0} y={13} width={width} height={8} fill={`url(#${id})`} />
      {ticks.map((v) => {
        const x = scale.position(v) * width;
        return (
          <g key={v} transform={`translate(${x},0)`}>
            <line y1={21} y2={24} stroke="currentColor" />
            <text y={33} textAnchor={x < 12 ? 'start' : x > width - 12 ? 'end' : 'middle'}>
              {fmt(v)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/**
 * A tick label: 3 significant digits, exponent form for very large or small magnitudes, and for
 * values just below 1 (saturated gates on a logit scale) enough digits to keep 0.9999 from reading 1.
 */
export function formatTick(v: number): string {
  if (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toExponential(1);
  const digits = v > 0.5 && v < 1 ? Math.max(3, Math.ceil(-Math.log10(1 - v)) + 1) : 3;
  return Number(v.toPrecision(digits)).toString();
}

/** The data value at colour-bar position t of a logit scale (bisection on the monotone position). */
function invertLogitPos(scale: ValueScale, t: number): number {
  let lo = Math.min(scale.domain[0], scale.domain[1]);
  let hi = Math.max(scale.domain[0], scale.domain[1]);
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (scale.position(mid) < t) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
