// The roofline in SVG: one point per (phase, op, kernel) at its arithmetic intensity and achieved
// GFLOP/s, circles for prefill and triangles for decode, coloured like the timeline; the roof
// (memory bandwidth slope, then the FMA peak) once device peaks are measured.

import { useMemo, type JSX } from 'react';
import type { DevicePeaks, RooflineRow } from '../../../shaders/index.js';
import type { Categorical } from '../../viz/categorical.js';
import { rooflinePlot } from '../../viz/roofline.js';
import { opKey, num } from './model.js';
import { S } from './styles.js';

export interface RooflineProps {
  rows: readonly RooflineRow[];
  peaks: DevicePeaks | null;
  colors: Categorical;
  highlight: string | null;
  onHover: (key: string | null) => void;
  width: number;
}

const HEIGHT = 300;
const MARGIN = { top: 12, right: 14, bottom: 34, left: 50 };

export function Roofline({ rows, peaks, colors, highlight, onHover, width }: RooflineProps): JSX.Element {
  const byKey = useMemo(() => new Map(rows.map((r) => [opKey(r), r] as const)), [rows]);
  const plot = useMemo(
    () =>
      rooflinePlot(
        rows.map((r) => ({ key: opKey(r), intensity: r.intensity, gflops: r.gflops })),
        peaks ? { gflops: peaks.flopsPerS / 1e9, gbps: peaks.bytesPerS / 1e9 } : null,
        { width, height: HEIGHT, margin: MARGIN },
      ),
    [rows, peaks, width],
  );
  const hot = highlight ? byKey.get(highlight) : undefined;
  const hotPoint = highlight ? plot.points.find((p) => p.key === highlight) : undefined;
  // Label the memory roof along its slope, a little left of the ridge.
  const memLabel = peaks && plot.ridge ? plot.project(plot.ridge.intensity / 8, (plot.ridge.intensity / 8) * (peaks.bytesPerS / 1e9)) : null;
  return (
    <div>
      <svg width={width} height={HEIGHT} role="img" aria-label="Roofline: achieved GFLOP/s against arithmetic intensity" data-testid="roofline">
        <defs>
          <clipPath id="kt-roof-clip">
            <rect x={plot.x0} y={plot.y0} width={plot.x1 - plot.x0} height={plot.y1 - plot.y0} />
          </clipPath>
        </defs>
        <g className="axis">
          {plot.xTicks.map((t) => (
            <g key={`x${t.v}`} transform={`translate(${t.px},0)`}>
              {t.major && <line y1={plot.y0} y2={plot.y1} stroke="#232833" />}
              <line y1={plot.y1} y2={plot.y1 + (t.major ? 5 : 3)} stroke="#8b93a3" />
              {t.label && (
                <text y={plot.y1 + 15} textAnchor="middle">
                  {t.label}
                </text>
              )}
            </g>
          ))}
          {plot.yTicks.map((t) => (
            <g key={`y${t.v}`} transform={`translate(0,${t.px})`}>
              {t.major && <line x1={plot.x0} x2={plot.x1} stroke="#232833" />}
              <line x1={plot.x0 - (t.major ? 5 : 3)} x2={plot.x0} stroke="#8b93a3" />
              {t.label && (
                <text x={plot.x0 - 7} y={3} textAnchor="end">
                  {t.label}
                </text>
              )}
            </g>
          ))}
          <rect x={plot.x0} y={plot.y0} width={plot.x1 - plot.x0} height={plot.y1 - plot.y0} fill="none" stroke="#2a303c" />
          <text x={(plot.x0 + plot.x1) / 2} y={HEIGHT - 3} textAnchor="middle">
            arithmetic intensity (FLOP/byte, log)
          </text>
          <text transform={`translate(11,${(plot.y0 + plot.y1) / 2}) rotate(-90)`} textAnchor="middle">
            achieved GFLOP/s (log)
          </text>
        </g>
        <g clipPath="url(#kt-roof-clip)">
          {plot.roof && <path d={plot.roof} fill="none" stroke="#d8dee9" strokeWidth={1.5} />}
          {peaks && plot.ridge && (
            <>
              <text x={plot.x1 - 4} y={plot.ridge.py - 5} textAnchor="end" style={S.roofLabel}>
                {num(peaks.flopsPerS / 1e9)} GFLOP/s (FMA peak)
              </text>
              {memLabel && (
                <text x={memLabel[0]} y={memLabel[1] - 6} textAnchor="end" style={S.roofLabel}>
                  {num(peaks.bytesPerS / 1e9)} GB/s
                </text>
              )}
            </>
          )}
          {plot.points.map((p) => {
            const r = byKey.get(p.key);
            if (!r) return null;
            const dim = highlight !== null && highlight !== p.key;
            const fill = colors.color(r.op);
            const common = {
              fill,
              stroke: highlight === p.key ? '#fff' : '#0f1115',
              strokeWidth: highlight === p.key ? 2 : 1,
              opacity: dim ? 0.3 : 1,
              onMouseEnter: () => onHover(p.key),
              onMouseLeave: () => onHover(null),
              style: { cursor: 'pointer' },
            };
            return r.phase === 'prefill' ? (
              <circle key={p.key} cx={p.px} cy={p.py} r={5} {...common} />
            ) : (
              <path key={p.key} d={`M${p.px},${p.py - 6}L${p.px + 5.5},${p.py + 4}L${p.px - 5.5},${p.py + 4}Z`} {...common} />
            );
          })}
        </g>
        {hot && hotPoint && (
          <g transform={`translate(${Math.min(hotPoint.px + 10, width - 190)},${Math.max(hotPoint.py - 44, 4)})`} pointerEvents="none">
            <rect width={184} height={44} rx={4} fill="#1e222b" stroke="#2a303c" />
            <text x={6} y={13} style={S.roofLabel}>
              {hot.phase} {hot.op}
            </text>
            <text x={6} y={26}>
              {num(hot.intensity)} FLOP/B · {num(hot.gflops)} GFLOP/s
            </text>
            <text x={6} y={39}>
              {Number.isFinite(hot.fractionOfRoof) ? `${num(hot.fractionOfRoof * 100)} % of roof (${hot.bound})` : 'roof: measure device peaks'}
            </text>
          </g>
        )}
      </svg>
      <div style={S.legend}>
        <span>
          <svg width={10} height={10}>
            <circle cx={5} cy={5} r={4} fill="#8b93a3" />
          </svg>{' '}
          prefill
        </span>
        <span>
          <svg width={10} height={10}>
            <path d="M5,0L10,9L0,9Z" fill="#8b93a3" />
          </svg>{' '}
          decode
        </span>
        {plot.omitted.length > 0 && (
          <span className="hint" title={plot.omitted.map((k) => k.replaceAll('\u0000', ' ')).join('\n')}>
            {plot.omitted.length} op{plot.omitted.length > 1 ? 's' : ''} off the plot (no FLOPs, bytes or time)
          </span>
        )}
      </div>
    </div>
  );
}
