// Effective attention: the causal matrix A[t, u] of the selected layer and query head over the
// analyzed tokens, computed on the GPU on request (runner.attention, debounced; recomputed when the
// layer or head changes), drawn as a canvas heatmap (upper triangle blank; linear or log10 |A|),
// the focused token's row outlined in it, and that row below as a chart over u ≤ t. Hovering a cell
// previews its query token t; click locks it.

import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { currentConfig, currentRun, focusToken, useStore } from '../../state/store.js';
import type { Run } from '../../state/types.js';
import { Legend } from '../../ui/Legend.js';
import { INK, TokenLines } from '../../ui/TokenLines.js';
import { useWidth } from '../../ui/useWidth.js';
import { cellAt, drawHeatmap } from '../../viz/heatmap.js';
import { axisScale, formatNumber, seriesColor, tokenTicks } from '../../viz/lines.js';
import { valueScale, type ValueScale } from '../../viz/scales.js';
import { attentionRow, causalImage, imageDomain, matches, padRow, rowSummary, windowOf, type AttentionScale } from './data.js';

/** Wait this long after the last layer/head change before asking the GPU. */
const DEBOUNCE_MS = 180;
const AXIS = { left: 44, top: 22 };

type Status = { state: 'idle' } | { state: 'computing' } | { state: 'error'; message: string };

export function AttentionPanel(): JSX.Element {
  const { runner } = useServices();
  const run = useStore(currentRun);
  const config = useStore(currentConfig);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const focus = useStore(focusToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const [mode, setMode] = useState<AttentionScale>('linear');
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const boxRef = useRef<HTMLDivElement>(null);
  const width = useWidth(boxRef);

  const runId = run?.id ?? null;
  const analysis = run?.analysis ?? null;
  const T = analysis?.T ?? 0;
  const h = Math.min(head, Math.max(0, (config?.numHeads ?? 1) - 1));
  const att = run?.attention ?? null;
  const ready = matches(att, { layer, head: h, T });

  // Ask for the matrix when the layer, head or run changes (debounced); re-ask when a late answer
  // to an older request overwrote the current one (the effect re-runs on the stored layer/head).
  useEffect(() => {
    if (!runner || !runId || !analysis) return;
    if (ready) {
      setStatus({ state: 'idle' });
      return;
    }
    if (config?.hybridSoftmaxLayers.includes(layer)) {
      setStatus({ state: 'error', message: `Layer ${layer} is a softmax attention layer: its attention is the softmax itself, there are no φ(q)/φ(k) to build an effective matrix from.` });
      return;
    }
    let live = true;
    setStatus({ state: 'computing' });
    const timer = setTimeout(() => {
      runner.attention(runId, layer, h).then(
        () => {
          if (live) setStatus({ state: 'idle' });
        },
        (e: unknown) => {
          if (live) setStatus({ state: 'error', message: describe(e) });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [runner, runId, analysis, layer, h, ready, att?.layer, att?.head, config]);

  if (!run) return <p className="hint">Generate some text first: this panel shows the effective attention matrix of the analyzed sequence.</p>;
  if (!analysis || !config) return <p className="hint">Waiting for the analysis of the run ({run.status})…</p>;

  const caveats = [
    'A is pre-norm: Σ_u A[t,u]·v_u is head ' + h + "'s read-out o_t before the output norm and gate",
    config.denominator ? 'rows are divided by their sum (the model’s denominator form)' : null,
    config.gate === 'fast_decay' ? 'the value-side decay log D is not in A (key side only)' : null,
    config.featureMap === 'exp_norm' ? 'log α includes the folded key-max shift' : null,
  ].filter((x): x is string => x !== null);

  return (
    <div ref={boxRef} data-testid="attention-panel">
      <div className="panel-controls">
        <span>
          layer {layer} · query head {h} · {T} tokens
        </span>
        <label className="inline">
          colour
          <select value={mode} onChange={(e) => setMode(e.target.value as AttentionScale)} data-testid="attention-scale">
            <option value="linear">linear A</option>
            <option value="log">log₁₀ |A|</option>
          </select>
        </label>
        <span data-testid="attention-status" data-state={status.state} style={{ color: status.state === 'error' ? 'var(--bad)' : 'var(--accent)' }}>
          {status.state === 'computing' ? 'computing…' : ''}
        </span>
      </div>
      <p className="hint" style={{ margin: '0 0 6px' }}>
        A[t, u] = s·Σ_i φ(q_t)_i·(Π_{'{'}w=u+1..t{'}'} α_w,i)·φ(k_u)_i: how much query token t reads from key token u through the decayed state; {caveats.join('; ')}.
      </p>
      {status.state === 'error' ? (
        <p className="error" data-testid="attention-error">
          {status.message}
        </p>
      ) : ready && att ? (
        <AttentionView run={run} matrix={att.matrix} lo={att.lo} mode={mode} focus={focus} width={width} onHover={setHover} onClick={toggleLock} />
      ) : (
        <p className="hint">computing the {T} × {T} matrix on the GPU…</p>
      )}
    </div>
  );
}

function AttentionView(p: { run: Run; matrix: Float32Array; lo: number; mode: AttentionScale; focus: number | null; width: number; onHover: (pos: number | null) => void; onClick: (pos: number) => void }): JSX.Element {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [cell, setCell] = useState<{ row: number; col: number } | null>(null);
  const W = useMemo(() => windowOf(p.matrix), [p.matrix]);
  const size = Math.max(200, Math.min(560, p.width - AXIS.left - 260));
  const { image, scale } = useMemo(() => {
    const image = causalImage(p.matrix, W, p.mode);
    const d = imageDomain(image, p.mode);
    const base = valueScale(d.domain, { map: d.map });
    // Masked cells (NaN) draw transparent: the upper triangle stays blank, not grey.
    const scale: ValueScale = { ...base, rgba: (v) => (Number.isNaN(v) ? 0 : base.rgba(v)) };
    return { image, scale };
  }, [p.matrix, W, p.mode]);

  useEffect(() => {
    const c = canvasRef.current;
    if (!c) return;
    const px = Math.max(size, W);
    c.width = px;
    c.height = px;
    drawHeatmap(c, { rows: W, cols: W, values: image }, scale);
  }, [image, scale, size, W]);

  const cs = size / W;
  const focusRow = p.focus !== null && p.focus >= p.lo && p.focus < p.lo + W ? p.focus - p.lo : null;
  const row = focusRow ?? W - 1;
  const rowValues = useMemo(() => attentionRow(p.matrix, W, row), [p.matrix, W, row]);
  // The row over the whole window (u > t blank), so bars keep the matrix's columns as the row moves.
  const shown = useMemo(() => padRow(p.mode === 'log' ? rowValues.map((v) => Math.abs(v)) : rowValues, W), [rowValues, p.mode, W]);
  const sum = rowSummary(rowValues);
  const [rowHover, setRowHover] = useState<number | null>(null);
  const tok = (pos: number): string => JSON.stringify(p.run.tokens[pos]?.text ?? '');
  const ax = axisScale([0, W], [0, size]);
  const ticks = tokenTicks(ax, Math.max(2, Math.floor(size / 60))).filter((t) => t.value < W);
  const hv = cell ? (p.matrix[cell.row * W + cell.col] as number) : NaN;

  return (
    <>
      <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start', flexWrap: 'wrap' }}>
        <div style={{ position: 'relative', width: size + AXIS.left, height: size + AXIS.top }}>
          <svg width={size + AXIS.left} height={size + AXIS.top} style={{ position: 'absolute', left: 0, top: 0 }} aria-hidden="true">
            <g transform={`translate(${AXIS.left},${AXIS.top})`}>
              {ticks.map((t) => (
                <g key={t.value}>
                  <text x={(t.value + 0.5) * cs} y={-6} textAnchor="middle">
                    {p.lo + t.value}
                  </text>
                  <text x={-6} y={(t.value + 0.5) * cs} dy="0.32em" textAnchor="end">
                    {p.lo + t.value}
                  </text>
                </g>
              ))}
            </g>
          </svg>
          <canvas
            ref={canvasRef}
            className="heat"
            data-testid="attention-canvas"
            style={{ position: 'absolute', left: AXIS.left, top: AXIS.top, width: size, height: size }}
            onMouseMove={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              const c = cellAt({ rows: W, cols: W }, e.clientX - r.left, e.clientY - r.top, size, size);
              setCell(c);
              p.onHover(c ? p.lo + c.row : null);
            }}
            onMouseLeave={() => {
              setCell(null);
              p.onHover(null);
            }}
            onClick={() => {
              if (cell) p.onClick(p.lo + cell.row);
            }}
          />
          <svg width={size} height={size} style={{ position: 'absolute', left: AXIS.left, top: AXIS.top, pointerEvents: 'none' }}>
            {/* Dark halo under a light outline: visible on both ends of every colour map. */}
            <rect x={0} y={row * cs} width={Math.max(1, (row + 1) * cs)} height={Math.max(1.5, cs)} fill="none" stroke="#000" strokeOpacity={0.7} strokeWidth={3.5} />
            <rect x={0} y={row * cs} width={Math.max(1, (row + 1) * cs)} height={Math.max(1.5, cs)} fill="none" stroke={focusRow !== null ? INK.fg : INK.muted} strokeWidth={1.5} data-testid="attention-focus-row" />
            {cell ? (
              <>
                <rect x={cell.col * cs} y={cell.row * cs} width={Math.max(2, cs)} height={Math.max(2, cs)} fill="none" stroke="#000" strokeOpacity={0.7} strokeWidth={3} />
                <rect x={cell.col * cs} y={cell.row * cs} width={Math.max(2, cs)} height={Math.max(2, cs)} fill="none" stroke={INK.accent} strokeWidth={1.5} />
              </>
            ) : null}
          </svg>
        </div>
        <div style={{ display: 'flex', flexDirection: 'column', gap: 8, fontSize: 12, minWidth: 220 }}>
          <Legend scale={scale} label={p.mode === 'log' ? 'log₁₀ |A[t, u]|' : 'A[t, u]'} width={220} />
          <div style={{ color: 'var(--muted)' }}>rows: query t · columns: key u ≤ t</div>
          <div data-testid="attention-readout">
            {cell ? (
              cell.col > cell.row ? (
                <span>
                  t #{p.lo + cell.row} · u #{p.lo + cell.col}: masked (u &gt; t)
                </span>
              ) : (
                <span>
                  t #{p.lo + cell.row} {tok(p.lo + cell.row)} ← u #{p.lo + cell.col} {tok(p.lo + cell.col)}: A = <code>{formatNumber(hv)}</code>
                </span>
              )
            ) : (
              <span style={{ color: 'var(--muted)' }}>point at a cell for (t, u, A)</span>
            )}
          </div>
        </div>
      </div>
      <h3>
        Row of token #{p.lo + row} {tok(p.lo + row)}
        {focusRow === null ? ' (the last token; hover or lock a token to choose)' : ''}
      </h3>
      <p className="hint" style={{ margin: '0 0 4px' }}>
        A[{p.lo + row}, u] for u ≤ {p.lo + row}: Σ = <code>{formatNumber(sum.sum)}</code>, largest at u = #{sum.argmax >= 0 ? p.lo + sum.argmax : '—'} {sum.argmax >= 0 ? tok(p.lo + sum.argmax) : ''} (<code>{formatNumber(sum.max)}</code>), on itself{' '}
        <code>{Number.isFinite(sum.self) ? `${(sum.self * 100).toFixed(1)}%` : '—'}</code>
      </p>
      <TokenLines
        series={[{ key: 'row', label: p.mode === 'log' ? '|A[t, u]|' : 'A[t, u]', values: shown, color: seriesColor(1, 2), bars: W <= 256 }]}
        x0={p.lo}
        n={shown.length}
        width={p.width}
        height={180}
        yLabel={p.mode === 'log' ? '|A[t, u]|' : 'A[t, u]'}
        xLabel="key token u"
        yMapping={p.mode === 'log' ? 'log' : 'linear'}
        focus={rowHover}
        onHover={setRowHover}
        testId="attention-row"
      />
      <div style={{ fontSize: 11, color: 'var(--muted)', paddingLeft: 52 }}>
        {rowHover !== null && rowHover - p.lo < rowValues.length ? (
          <>
            u #{rowHover} {tok(rowHover)}: A = <code>{formatNumber(rowValues[rowHover - p.lo] as number)}</code>
          </>
        ) : (
          'point at the chart for one key token'
        )}
      </div>
    </>
  );
}
