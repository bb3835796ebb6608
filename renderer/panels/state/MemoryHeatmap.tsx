// Effective memory length per (kv head, channel) as a canvas heatmap on a log10 colour scale, the
// selected head's row outlined, with a readout of the cell under the pointer; click picks the head.

import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { Legend } from '../../ui/Legend.js';
import { INK } from '../../ui/TokenLines.js';
import { cellAt, drawHeatmap } from '../../viz/heatmap.js';
import { formatNumber } from '../../viz/lines.js';
import { finiteExtent, valueScale } from '../../viz/scales.js';
import { log10All, permuteColumns, type ChannelMatrix } from './data.js';

export function MemoryHeatmap(p: { m: ChannelMatrix; order: readonly number[]; head: number; width: number; onPickHead: (kvHead: number) => void }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ row: number; col: number } | null>(null);
  const cols = p.order.length;
  const cell = Math.max(3, Math.min(16, Math.floor((p.width - 60) / Math.max(1, cols))));
  const rowH = Math.max(14, Math.min(28, Math.floor(160 / Math.max(1, p.m.rows))));
  const w = cell * cols;
  const h = rowH * p.m.rows;
  const { permuted, logs, scale } = useMemo(() => {
    const permuted = permuteColumns(p.m, p.order);
    const logs = log10All(permuted);
    const dom = finiteExtent(logs);
    // τ ≥ 1 always (α ∈ [0, 1)), so the scale starts at log10 1 = 0.
    return { permuted, logs, scale: valueScale([Math.min(0, dom[0]), Math.max(dom[1], 0.5)], { map: 'viridis' }) };
  }, [p.m, p.order]);

  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.width = w;
    c.height = h;
    drawHeatmap(c, { rows: p.m.rows, cols, values: logs }, scale);
  }, [logs, scale, w, h, p.m.rows, cols]);

  const hv = hover ? (permuted[hover.row * cols + hover.col] as number) : NaN;
  const ch = hover ? (p.order[hover.col] as number) : -1;
  const alpha = hover && p.m.meanAlpha ? (p.m.meanAlpha[hover.row * p.m.cols + ch] as number) : NaN;
  return (
    <div data-testid="memory-heatmap">
      <div style={{ display: 'flex', alignItems: 'flex-start' }}>
        <div style={{ width: 52, fontSize: 10, color: 'var(--muted)', fontFamily: 'ui-monospace, monospace' }}>
          {Array.from({ length: p.m.rows }, (_, r) => (
            <div key={r} style={{ height: rowH, lineHeight: `${rowH}px`, color: r === p.head ? 'var(--accent)' : undefined }}>
              kv {r}
            </div>
          ))}
        </div>
        <div style={{ position: 'relative' }}>
          <canvas
            ref={ref}
            className="heat"
            style={{ width: w, height: h }}
            onMouseMove={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              setHover(cellAt({ rows: p.m.rows, cols }, e.clientX - r.left, e.clientY - r.top, w, h));
            }}
            onMouseLeave={() => setHover(null)}
            onClick={() => {
              if (hover) p.onPickHead(hover.row);
            }}
          />
          <svg width={w} height={h} style={{ position: 'absolute', left: 0, top: 0, pointerEvents: 'none' }}>
            <rect x={0.5} y={p.head * rowH + 0.5} width={w - 1} height={rowH - 1} fill="none" stroke={INK.fg} strokeWidth={1.5} />
            {hover ? <rect x={hover.col * cell} y={hover.row * rowH} width={cell} height={rowH} fill="none" stroke={INK.accent} /> : null}
          </svg>
        </div>
      </div>
      <div style={{ display: 'flex', gap: 16, alignItems: 'center', marginTop: 4, paddingLeft: 52 }}>
        <Legend scale={scale} label="log₁₀ τ (tokens)" width={200} />
        <span style={{ fontSize: 11, color: 'var(--muted)' }}>
          {hover ? (
            <>
              kv head {hover.row} · channel {ch}: τ <code>{formatNumber(hv)}</code> tokens · mean α <code>{formatNumber(alpha)}</code>
            </>
          ) : (
            `${p.m.rows} kv heads × ${p.m.cols} channels`
          )}
        </span>
      </div>
    </div>
  );
}
