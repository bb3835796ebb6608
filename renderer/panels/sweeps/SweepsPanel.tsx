// Sweeps: prefill and decode latency of several variants over sequence lengths × chunk sizes
// (Runner.sweep, the engine's sweep on the open sessions), optionally against the engine's
// all-softmax version of the first model. Rows stream in as they are measured and the sweep can be
// cancelled; the panel shows the log–log scaling curves, the linear-vs-softmax crossover length,
// recurrent-state vs KV-cache memory, the rows, and exports them as the CLI's CSV.

import { useMemo, useRef, type JSX } from 'react';
import { memoryTable, type MemoryRow, type SweepRow } from '../../../shaders/index.js';
import { useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { currentRun, focusToken, useStore } from '../../state/store.js';
import { useWidth } from '../../ui/useWidth.js';
import { categorical, type Categorical } from '../../viz/categorical.js';
import { chunkDash } from '../../viz/sweeps.js';
import { cancelSweep, clearSweep, isBusy, setForm, startSweep, useSweepJob, type SweepJob } from './job.js';
import { crossoverMarkers, crossoverPairs, crossoverText, engineOrder, formatBytes, formatMs, parseIntList, sweepCells, sweepCsv, sweepLengths, sweepSeries, tokensPerSecond, type CrossoverPair, type SweepPhase } from './logic.js';
import { SweepChart, type DrawnSeries } from './SweepChart.js';

const MAX_VARIANTS = 6;

export function SweepsPanel(): JSX.Element {
  const { runner, host } = useServices();
  const models = useStore((s) => s.models);
  const loaded = useStore((s) => s.loaded);
  const activeModel = useStore((s) => s.activeModel);
  const notify = useStore((s) => s.notify);
  const job = useSweepJob();
  const f = job.form;
  const busy = isBusy(job.status);

  const picked = (f.models ?? (activeModel ? [activeModel] : [])).filter((k) => models.some((m) => m.key === k));
  const toggle = (key: string): void => setForm({ models: picked.includes(key) ? picked.filter((k) => k !== key) : [...picked, key].slice(-MAX_VARIANTS) });
  const seq = parseIntList(f.seq, { min: 1, max: 65536, maxCount: 12 });
  const chunk = parseIntList(f.chunk, { min: 16, max: 128, multipleOf: 16, maxCount: 8 });
  const valid = 'values' in seq && 'values' in chunk && picked.length > 0;
  const planned = valid ? sweepCells(picked.length + (f.softmax ? 1 : 0), chunk.values.length, seq.values.length) : 0;

  const run = (): void => {
    if (!runner || !valid || busy) return;
    void startSweep(runner, host, models, { keys: picked, seq: seq.values, chunk: chunk.values, decode: f.decode, repeat: f.repeat, softmax: f.softmax });
  };
  const exportCsv = async (): Promise<void> => {
    try {
      await host.save('sweep.csv', new Blob([sweepCsv(engineOrder(job.rows))], { type: 'text/csv' }));
    } catch (e) {
      notify('error', `Export CSV: ${describe(e)}`);
    }
  };

  return (
    <div className="sweeps-panel" data-testid="sweeps-panel">
      <section>
        <div className="panel-controls">
          <span>variants:</span>
          {models.map((m) => (
            <label key={m.key} className="inline" title={m.about ?? m.variant}>
              <input type="checkbox" checked={picked.includes(m.key)} onChange={() => toggle(m.key)} disabled={busy} data-testid={`sweep-model-${m.name}`} />
              {m.name}
              {loaded[m.key] ? '' : ' ·'}
            </label>
          ))}
          <label className="inline" title="Add the engine's own version of the first checked model with every layer causal softmax attention (RoPE, KV cache, random weights: timing does not depend on them), as regla sweep --softmax">
            <input type="checkbox" checked={f.softmax} onChange={(e) => setForm({ softmax: e.target.checked })} disabled={busy} data-testid="sweep-softmax" />
            softmax baseline
          </label>
        </div>
        <div className="panel-controls">
          <label className="inline" title="Sequence lengths T, comma-separated">
            lengths
            <input type="text" value={f.seq} onChange={(e) => setForm({ seq: e.target.value })} disabled={busy} size={18} data-testid="sweep-seq" aria-invalid={'error' in seq} />
          </label>
          <label className="inline" title="Chunk sizes of the chunked-parallel prefill: multiples of 16 in 16..128">
            chunks
            <input type="text" value={f.chunk} onChange={(e) => setForm({ chunk: e.target.value })} disabled={busy} size={10} data-testid="sweep-chunk" aria-invalid={'error' in chunk} />
          </label>
          <label className="inline" title="Decode steps timed after each prefill (0: prefill only)">
            decode tokens
            <input type="number" min={0} max={256} value={f.decode} onChange={(e) => setForm({ decode: clampInt(e.target.value, 0, 256) })} disabled={busy} style={{ width: 56 }} data-testid="sweep-decode" />
          </label>
          <label className="inline" title="Measured repeats per cell (times are medians); one discarded warm-up run per chunk size comes first">
            repeats
            <input type="number" min={1} max={20} value={f.repeat} onChange={(e) => setForm({ repeat: clampInt(e.target.value, 1, 20) })} disabled={busy} style={{ width: 48 }} data-testid="sweep-repeat" />
          </label>
          <button type="button" onClick={run} disabled={!runner || !valid || busy} data-testid="sweep-run" title={valid ? `Measure ${planned} cells (variants × chunks × lengths)` : 'Fix the fields first'}>
            Run
          </button>
          <button type="button" onClick={cancelSweep} disabled={!busy} data-testid="sweep-cancel">
            Cancel
          </button>
          <button type="button" onClick={() => void exportCsv()} disabled={job.rows.length === 0} data-testid="sweep-csv" title="The rows as CSV, the same columns as regla sweep --csv">
            Export CSV
          </button>
          <button type="button" onClick={clearSweep} disabled={busy || job.rows.length === 0} title="Forget these rows">
            Clear
          </button>
        </div>
        {'error' in seq ? <p className="error" style={{ padding: 0, margin: '2px 0' }}>lengths: {seq.error}</p> : null}
        {'error' in chunk ? <p className="error" style={{ padding: 0, margin: '2px 0' }}>chunks: {chunk.error}</p> : null}
        <ProgressLine job={job} />
        <p className="hint" style={{ margin: '2px 0 8px' }}>
          Each cell: reset, prefill T tokens, {f.decode} decode steps; median of {f.repeat}. Software WebGPU (no GPU) is slow, so the defaults stay short; on a real GPU
          the interesting range is T = 1024–16384, where linear attention’s O(T) prefill and constant-size state overtake softmax attention’s O(T²) and growing KV cache. Models
          marked · are opened when the sweep starts.{valid ? ` ${planned} cells planned.` : ''}
        </p>
      </section>
      {job.rows.length > 0 || busy ? <Results job={job} /> : <p className="hint" data-testid="sweep-empty">Check the variants and press Run; rows appear here as they are measured.</p>}
    </div>
  );
}

function clampInt(s: string, lo: number, hi: number): number {
  const n = Math.floor(Number(s));
  return Number.isFinite(n) ? Math.max(lo, Math.min(hi, n)) : lo;
}

function ProgressLine({ job }: { job: SweepJob }): JSX.Element | null {
  if (job.status === 'idle') return null;
  const done = job.rows.length;
  const pct = job.total > 0 ? Math.round((100 * done) / job.total) : 0;
  const secs = (job.elapsedMs / 1000).toFixed(1);
  const text =
    job.status === 'loading'
      ? `Opening models… ${job.activity}`
      : job.status === 'running'
        ? `${done} / ${job.total} rows · ${job.activity}`
        : job.status === 'done'
          ? `Done: ${done} / ${job.total} rows in ${secs} s`
          : job.status === 'cancelled'
            ? `Cancelled: ${done} / ${job.total} rows in ${secs} s`
            : `Failed after ${done} / ${job.total} rows: ${job.error ?? ''}`;
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid="sweep-progress" data-status={job.status} style={{ margin: '2px 0', color: job.status === 'error' ? 'var(--bad)' : undefined }}>
      <span style={{ display: 'inline-block', width: 120, height: 6, background: 'var(--line)', borderRadius: 3, marginRight: 8, verticalAlign: 'middle', overflow: 'hidden' }}>
        <span style={{ display: 'block', width: `${pct}%`, height: '100%', background: 'var(--accent)' }} />
      </span>
      {text}
    </div>
  );
}

function Results({ job }: { job: SweepJob }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 900);
  const focus = useStore(focusToken);
  const runLength = useStore((s) => currentRun(s)?.tokens.length ?? null);
  const rows = job.rows;
  const params = job.params;
  const chunks = params?.chunk ?? [];
  const variantKey = (job.variants.length > 0 ? job.variants.map((v) => v.name) : [...new Set(rows.map((r) => r.variant))]).join('\u0000');
  const colors = useMemo(() => categorical(variantKey.split('\u0000')), [variantKey]);
  const prefill = useMemo(() => drawSeries(rows, 'prefill', colors, params?.chunk ?? []), [rows, colors, params]);
  const decode = useMemo(() => drawSeries(rows, 'decode', colors, params?.chunk ?? []), [rows, colors, params]);
  const pairs = useMemo(() => crossoverPairs(rows, job.variants), [rows, job.variants]);
  const mem = useMemo(() => memoryTable(rows), [rows]);
  const lengths = useMemo(() => sweepLengths(rows), [rows]);
  const markP = useMemo(() => crossoverMarkers(pairs, 'prefill', lengths), [pairs, lengths]);
  const markD = useMemo(() => crossoverMarkers(pairs, 'decode', lengths), [pairs, lengths]);
  // The focused token's prefix length: where this run's token sits on the curves.
  const cursorT = focus !== null ? focus + 1 : null;
  const two = width >= 860;
  const cw = two ? Math.floor((width - 16) / 2) : width;

  return (
    <div ref={box}>
      <div className="panel-row" style={{ gap: 16 }}>
        <div style={{ width: cw }}>
          <h2 style={{ margin: '4px 0' }}>Prefill time vs sequence length</h2>
          <SweepChart phase="prefill" series={prefill} width={cw} height={280} markers={markP} cursorT={cursorT} testId="sweep-prefill-chart" />
        </div>
        <div style={{ width: cw }}>
          <h2 style={{ margin: '4px 0' }}>Decode time per token vs context length</h2>
          <SweepChart phase="decode" series={decode} width={cw} height={280} markers={markD} cursorT={cursorT} testId="sweep-decode-chart" />
        </div>
      </div>
      <p className="hint" style={{ margin: '4px 0' }}>
        Colour: variant; dash: chunk size ({chunks.map((c, i) => `${c} ${['solid', 'dashed', 'dotted', 'dash-dot'][i % 4] ?? ''}`).join(', ')}). Times are CPU wall time until the GPU is idle.
        {cursorT !== null ? ` The blue cursor is the focused token's prefix length (T = #${cursorT - 1} + 1).` : ''}
        {runLength !== null ? ` The current run has ${runLength} tokens.` : ''}
      </p>
      <Crossovers pairs={pairs} variants={job.variants} lengths={lengths} />
      <Memory mem={mem} colors={(v) => colors.color(v)} decode={job.params?.decode ?? 0} />
      <details style={{ marginTop: 8 }}>
        <summary>Rows ({rows.length})</summary>
        <RowsTable rows={engineOrder(rows)} />
      </details>
    </div>
  );
}

function drawSeries(rows: readonly SweepRow[], phase: SweepPhase, colors: Categorical, chunks: readonly number[]): DrawnSeries[] {
  return sweepSeries(rows, phase).map((s) => ({ ...s, color: colors.color(s.variant), dash: chunkDash(Math.max(0, chunks.indexOf(s.chunk))) }));
}

function Crossovers({ pairs, variants, lengths }: { pairs: CrossoverPair[]; variants: SweepJob['variants']; lengths: readonly number[] }): JSX.Element {
  const at = (x: number | null): string => crossoverText(x, lengths);
  const hasSoftmax = variants.some((v) => v.softmaxLayers);
  const hasLinear = variants.some((v) => !v.softmaxLayers);
  return (
    <section data-testid="sweep-crossover" style={{ margin: '8px 0' }}>
      <h2 style={{ margin: '4px 0' }}>Linear vs softmax crossover</h2>
      {pairs.length === 0 ? (
        <p className="hint">
          {!hasSoftmax
            ? 'No softmax or hybrid variant: check “softmax baseline” (or a softmax / hybrid model) to see where linear attention overtakes it.'
            : !hasLinear
              ? 'No linear-attention variant to compare with the softmax one.'
              : 'Waiting for rows of both kinds…'}
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th style={{ textAlign: 'left', paddingRight: 12 }}>linear</th>
              <th style={{ textAlign: 'left', paddingRight: 12 }}>vs</th>
              <th style={{ textAlign: 'right', paddingRight: 12 }}>prefill</th>
              <th style={{ textAlign: 'right' }}>decode</th>
            </tr>
          </thead>
          <tbody>
            {pairs.map((p) => (
              <tr key={`${p.linear}|${p.softmax}`}>
                <td style={{ paddingRight: 12 }}>{p.linear}</td>
                <td style={{ paddingRight: 12 }}>
                  {p.softmax}
                  {p.baseline ? <span className="hint"> (baseline)</span> : null}
                </td>
                <td style={{ textAlign: 'right', paddingRight: 12 }} data-testid="sweep-crossover-prefill">
                  {at(p.prefill)}
                </td>
                <td style={{ textAlign: 'right' }}>{at(p.decode)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="hint" style={{ margin: '2px 0' }}>
        The shortest length at which the linear variant is no slower (interpolated between measured lengths; best chunk per length) — the engine’s crossover().
      </p>
    </section>
  );
}

const STATE_COLOR = '#44BB99';
const KV_COLOR = '#EE8866';

function Memory({ mem, colors, decode }: { mem: MemoryRow[]; colors: (variant: string) => string; decode: number }): JSX.Element {
  const max = Math.max(1, ...mem.map((m) => m.totalBytes));
  return (
    <section data-testid="sweep-memory" style={{ margin: '8px 0' }}>
      <h2 style={{ margin: '4px 0' }}>Recurrent state vs KV cache</h2>
      <table>
        <thead>
          <tr>
            <th style={{ textAlign: 'left', paddingRight: 12 }}>variant</th>
            <th style={{ textAlign: 'right', paddingRight: 12 }}>T</th>
            <th style={{ textAlign: 'right', paddingRight: 12 }}>state</th>
            <th style={{ textAlign: 'right', paddingRight: 12 }}>KV cache</th>
            <th style={{ textAlign: 'right', paddingRight: 12 }}>KV used</th>
            <th style={{ textAlign: 'right', paddingRight: 12 }}>total</th>
            <th style={{ textAlign: 'left' }}>
              <span style={{ color: STATE_COLOR }}>■ state</span> <span style={{ color: KV_COLOR }}>■ KV cache</span> (0–{formatBytes(max)})
            </th>
          </tr>
        </thead>
        <tbody>
          {mem.map((m) => (
            <tr key={`${m.variant}|${m.T}`}>
              <td style={{ paddingRight: 12, color: colors(m.variant) }}>{m.variant}</td>
              <td style={{ textAlign: 'right', paddingRight: 12 }}>{m.T}</td>
              <td style={{ textAlign: 'right', paddingRight: 12 }} title={`${m.stateBytes} bytes`}>
                {formatBytes(m.stateBytes)}
              </td>
              <td style={{ textAlign: 'right', paddingRight: 12 }} title={`${m.kvCacheBytes} bytes allocated`}>
                {formatBytes(m.kvCacheBytes)}
              </td>
              <td style={{ textAlign: 'right', paddingRight: 12 }} title={`${m.kvUsedBytes} bytes holding positions`}>
                {formatBytes(m.kvUsedBytes)}
              </td>
              <td style={{ textAlign: 'right', paddingRight: 12 }} title={`${m.totalBytes} bytes`}>
                {formatBytes(m.totalBytes)}
              </td>
              <td>
                <span style={{ display: 'inline-flex', width: 200, height: 8, background: 'var(--bg)' }} aria-hidden="true">
                  <span style={{ width: `${(100 * m.stateBytes) / max}%`, background: STATE_COLOR }} />
                  <span style={{ width: `${(100 * m.kvCacheBytes) / max}%`, background: KV_COLOR }} />
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint" style={{ margin: '2px 0' }}>
        Bytes after T + {decode} decode tokens. Linear attention keeps a fixed-size state (S, z, key max, conv histories); softmax layers cache K and V for every position (allocated
        capacity grows geometrically, at least 256 positions; “used” is what holds positions).
      </p>
    </section>
  );
}

function RowsTable({ rows }: { rows: readonly SweepRow[] }): JSX.Element {
  return (
    <table data-testid="sweep-rows">
      <thead>
        <tr>
          {['variant', 'chunk', 'T', 'prefill ms', 'tok/s', 'decode ms/tok', 'tok/s'].map((h, i) => (
            <th key={i} style={{ textAlign: i === 0 ? 'left' : 'right', paddingRight: 12 }}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.variant}|${r.chunk}|${r.T}`}>
            <td style={{ paddingRight: 12 }}>{r.variant}</td>
            <td style={{ textAlign: 'right', paddingRight: 12 }}>{r.chunk}</td>
            <td style={{ textAlign: 'right', paddingRight: 12 }}>{r.T}</td>
            <td style={{ textAlign: 'right', paddingRight: 12 }}>{formatMs(r.prefillMs)}</td>
            <td style={{ textAlign: 'right', paddingRight: 12 }}>{formatMs(tokensPerSecond(r.T, r.prefillMs))}</td>
            <td style={{ textAlign: 'right', paddingRight: 12 }}>{formatMs(r.decodeMsPerToken)}</td>
            <td style={{ textAlign: 'right', paddingRight: 12 }}>{formatMs(tokensPerSecond(1, r.decodeMsPerToken))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
