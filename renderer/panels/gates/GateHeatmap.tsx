// One heatmap of the gates panel: the matrix drawn one pixel per cell on a canvas (viz/heatmap.ts,
// ImageData; CSS scales it with pixelated rendering), with an SVG overlay for the axes (row labels,
// token ticks), the selected row and the cursor at the focused token. Pointer events map back to
// cells; the panel decides what hovering and clicking mean.

import { useEffect, useRef, type JSX, type MouseEvent } from 'react';
import { cellAt, drawHeatmap, type Matrix } from '../../viz/heatmap.js';
import type { ValueScale } from '../../viz/scales.js';

export const HEAT_MARGIN = { top: 4, right: 10, bottom: 20, left: 48 } as const;

export interface Cell {
  row: number;
  col: number;
}

export interface GateHeatmapProps {
  matrix: Matrix;
  scale: ValueScale;
  /** Total CSS width (plot + margins) and the plot's height. */
  width: number;
  plotHeight: number;
  /** Rows to label and their labels. */
  rowTicks: ReadonlyArray<{ row: number; label: string }>;
  /** Absolute position of column 0 and the positions to label on x. */
  pos0: number;
  xTicks: readonly number[];
  focus: number | null;
  locked: number | null;
  selectedRow: number | null;
  onHover: (cell: Cell | null) => void;
  onClick: (cell: Cell) => void;
  /** Clicking a row label (only the layer map has one). */
  onRowLabel?: (row: number) => void;
  onDrawn?: (ms: number) => void;
  label: string;
  testId: string;
}

export function GateHeatmap(p: GateHeatmapProps): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const last = useRef<string>('');
  const { matrix, scale, onDrawn } = p;
  const plotW = Math.max(20, p.width - HEAT_MARGIN.left - HEAT_MARGIN.right);
  const plotH = p.plotHeight;
  const totalH = plotH + HEAT_MARGIN.top + HEAT_MARGIN.bottom;

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const t0 = performance.now();
    c.width = Math.max(1, matrix.cols);
    c.height = Math.max(1, matrix.rows);
    drawHeatmap(c, matrix, scale);
    onDrawn?.(performance.now() - t0);
  }, [matrix, scale, onDrawn]);

  const cw = matrix.cols > 0 ? plotW / matrix.cols : plotW;
  const rh = matrix.rows > 0 ? plotH / matrix.rows : plotH;
  const colX = (pos: number): number => HEAT_MARGIN.left + (pos - p.pos0) * cw;
  const inRange = (pos: number | null): pos is number => pos !== null && pos >= p.pos0 && pos < p.pos0 + matrix.cols;

  const cellFromEvent = (e: MouseEvent<HTMLCanvasElement>): Cell | null => {
    const r = e.currentTarget.getBoundingClientRect();
    return cellAt(matrix, e.clientX - r.left, e.clientY - r.top, r.width, r.height);
  };

  return (
    <div style={{ position: 'relative', width: p.width, height: totalH }} data-testid={p.testId}>
      <canvas
        ref={canvas}
        className="heat"
        role="img"
        aria-label={p.label}
        style={{ position: 'absolute', left: HEAT_MARGIN.left, top: HEAT_MARGIN.top, width: plotW, height: plotH }}
        onMouseMove={(e) => {
          const c = cellFromEvent(e);
          const key = c ? `${c.row},${c.col}` : '';
          if (key === last.current) return;
          last.current = key;
          p.onHover(c);
        }}
        onMouseLeave={() => {
          last.current = '';
          p.onHover(null);
        }}
        onClick={(e) => {
          const c = cellFromEvent(e);
          if (c) p.onClick(c);
        }}
      />
      <svg width={p.width} height={totalH} style={{ position: 'absolute', left: 0, top: 0, pointerEvents: 'none', overflow: 'visible' }} aria-hidden="true">
        <g className="axis">
          {p.rowTicks.map(({ row, label }) => (
            <text
              key={row}
              x={HEAT_MARGIN.left - 5}
              y={HEAT_MARGIN.top + (row + 0.5) * rh}
              dy="0.32em"
              textAnchor="end"
              style={p.onRowLabel ? { pointerEvents: 'auto', cursor: 'pointer', fill: row === p.selectedRow ? 'var(--accent)' : undefined } : undefined}
              onClick={p.onRowLabel ? () => p.onRowLabel?.(row) : undefined}
            >
              {label}
            </text>
          ))}
          <line x1={HEAT_MARGIN.left} x2={HEAT_MARGIN.left + plotW} y1={HEAT_MARGIN.top + plotH + 0.5} y2={HEAT_MARGIN.top + plotH + 0.5} />
          <text x={HEAT_MARGIN.left - 5} y={HEAT_MARGIN.top + plotH + 14} textAnchor="end">
            token
          </text>
          {p.xTicks.map((pos) => {
            const x = colX(pos) + cw / 2;
            return (
              <g key={pos} transform={`translate(${x},${HEAT_MARGIN.top + plotH})`}>
                <line y1={0} y2={4} />
                <text y={14} textAnchor="middle">
                  {pos}
                </text>
              </g>
            );
          })}
        </g>
        {p.selectedRow !== null && p.selectedRow >= 0 && p.selectedRow < matrix.rows ? (
          <rect
            x={HEAT_MARGIN.left - 0.5}
            y={HEAT_MARGIN.top + p.selectedRow * rh + 0.5}
            width={plotW + 1}
            height={Math.max(1, rh - 1)}
            fill="none"
            stroke="var(--accent)"
            strokeWidth={1}
          />
        ) : null}
        {inRange(p.locked) && p.locked !== p.focus ? <CursorRect x={colX(p.locked)} w={cw} top={HEAT_MARGIN.top} h={plotH} kind="locked" /> : null}
        {inRange(p.focus) ? <CursorRect x={colX(p.focus)} w={cw} top={HEAT_MARGIN.top} h={plotH} kind={p.focus === p.locked ? 'locked' : 'hover'} /> : null}
      </svg>
    </div>
  );
}

function CursorRect({ x, w, top, h, kind }: { x: number; w: number; top: number; h: number; kind: 'hover' | 'locked' }): JSX.Element {
  const width = Math.max(w, 2);
  const left = x + w / 2 - width / 2;
  return (
    <rect
      className="cursor"
      x={left - 0.5}
      y={top - 2}
      width={width + 1}
      height={h + 4}
      fill="none"
      stroke={kind === 'locked' ? 'var(--accent)' : 'var(--fg)'}
      strokeWidth={kind === 'locked' ? 2 : 1}
      data-kind={kind}
    />
  );
}
