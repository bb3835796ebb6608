// One layer × token heatmap of the Compare panel: canvas cells (viz/heatmap.ts) over the shared
// token window, an SVG overlay with the focus token's column, the selected layer's row and, when
// given, the columns whose inputs differ from run 0 (hatched). Hover previews a token, click locks
// it, the wheel zooms the shared window about the pointer.

import { useEffect, useRef, type JSX, type MouseEvent } from 'react';
import { tokenTicks } from '../../viz/compare.js';
import { cellAt, drawHeatmap } from '../../viz/heatmap.js';
import type { ValueScale } from '../../viz/scales.js';
import type { LayerTokenMatrix } from './logic.js';

export interface HeatmapProps {
  /** The window's columns only (column c = token lo + c). */
  matrix: LayerTokenMatrix;
  lo: number;
  scale: ValueScale;
  width: number;
  rowHeight: number;
  focus: number | null;
  layer: number;
  /** Token positions ≥ this are drawn hatched (inputs differ from run 0); null: none. */
  divergeAt?: number | null;
  label: string;
  onHover: (pos: number | null) => void;
  onLock: (pos: number) => void;
  onZoom: (pos: number, factor: number) => void;
  testId?: string;
}

export function Heatmap(p: HeatmapProps): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const height = Math.max(24, p.matrix.rows * p.rowHeight);
  const { matrix, scale, width } = p;
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.max(1, Math.round(width * dpr));
    c.height = Math.max(1, Math.round(height * dpr));
    drawHeatmap(c, matrix, scale);
  }, [matrix, scale, width, height]);

  // Wheel zoom needs a non-passive listener (React's onWheel cannot preventDefault).
  const onZoom = useRef(p.onZoom);
  onZoom.current = p.onZoom;
  const geom = useRef({ cols: matrix.cols, lo: p.lo, width });
  geom.current = { cols: matrix.cols, lo: p.lo, width };
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const wheel = (e: WheelEvent): void => {
      const g = geom.current;
      if (g.cols === 0) return;
      e.preventDefault();
      const r = c.getBoundingClientRect();
      const pos = g.lo + Math.min(g.cols - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * g.cols)));
      onZoom.current(pos, e.deltaY > 0 ? 1.25 : 0.8);
    };
    c.addEventListener('wheel', wheel, { passive: false });
    return () => c.removeEventListener('wheel', wheel);
  }, []);

  const colW = matrix.cols > 0 ? width / matrix.cols : width;
  const posAt = (e: MouseEvent<HTMLCanvasElement>): number | null => {
    const r = e.currentTarget.getBoundingClientRect();
    const cell = cellAt(matrix, e.clientX - r.left, e.clientY - r.top, r.width, r.height);
    return cell ? p.lo + cell.col : null;
  };
  const focusCol = p.focus !== null && p.focus >= p.lo && p.focus < p.lo + matrix.cols ? p.focus - p.lo : null;
  const divCol = p.divergeAt !== null && p.divergeAt !== undefined ? Math.max(0, Math.min(matrix.cols, p.divergeAt - p.lo)) : null;
  const hatchId = `hatch-${p.testId ?? 'x'}`;
  const gutter = 26;
  const ticks = tokenTicks(p.lo, p.lo + matrix.cols, Math.max(2, Math.floor(width / 48)));
  return (
    <div className="cmp-heat-wrap" style={{ display: 'grid', gridTemplateColumns: `${gutter}px ${width}px`, width: gutter + width }}>
      <svg width={gutter} height={height} aria-hidden="true">
        {Array.from({ length: matrix.rows }, (_, l) => (
          <text key={l} x={gutter - 4} y={(l + 0.5) * p.rowHeight} dy="0.32em" textAnchor="end" style={l === p.layer ? { fill: 'var(--fg)' } : undefined}>
            L{l}
          </text>
        ))}
      </svg>
    <div className="cmp-heat" style={{ position: 'relative', width, height }}>
      <canvas
        ref={canvas}
        className="heat"
        style={{ width, height }}
        aria-label={p.label}
        data-testid={p.testId}
        onMouseMove={(e) => p.onHover(posAt(e))}
        onMouseLeave={() => p.onHover(null)}
        onClick={(e) => {
          const pos = posAt(e);
          if (pos !== null) p.onLock(pos);
        }}
      />
      <svg width={width} height={height} style={{ position: 'absolute', left: 0, top: 0, pointerEvents: 'none' }}>
        <defs>
          <pattern id={hatchId} width={6} height={6} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <line x1={0} y1={0} x2={0} y2={6} stroke="#000" strokeOpacity={0.45} strokeWidth={2} />
          </pattern>
        </defs>
        {divCol !== null && divCol < matrix.cols ? <rect x={divCol * colW} y={0} width={(matrix.cols - divCol) * colW} height={height} fill={`url(#${hatchId})`} /> : null}
        {p.layer < matrix.rows ? <rect x={0.5} y={p.layer * p.rowHeight + 0.5} width={width - 1} height={p.rowHeight - 1} fill="none" stroke="var(--fg)" strokeOpacity={0.35} strokeDasharray="4 3" /> : null}
        {focusCol !== null ? <rect x={focusCol * colW} y={0} width={Math.max(1.5, colW)} height={height} fill="none" stroke="#fff" strokeWidth={1.5} /> : null}
      </svg>
    </div>
      <span />
      <svg width={width} height={16} aria-hidden="true">
        {ticks.map((t) => (
          <g key={t} transform={`translate(${(t - p.lo + 0.5) * colW},0)`}>
            <line y2={3} stroke="var(--muted)" />
            <text y={13} textAnchor="middle" style={t === p.focus ? { fill: 'var(--fg)' } : undefined}>
              {t}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}
