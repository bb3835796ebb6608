// Kernels: profiles the current run (per-op GPU timestamps over its prompt + 16 decode steps,
// 3 repeats after 1 warm-up) and shows the dispatch timeline of one repeat, the sortable per-op
// table, the roofline under measured device peaks and the timing-precision badge; exports the
// profile as a Chrome trace (Perfetto) or CSV. Table rows and roofline points highlight their
// dispatches in the timeline; the focused token's decode step is shaded there.

import { useMemo, useRef, useState, type JSX } from 'react';
import { rooflineTable, toChromeTrace, toCsv, type ProfileRecord, type ProfileReport, type TraceMeta } from '../../../shaders/index.js';
import { useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { runTraceMeta } from '../../session/export.js';
import { currentRun, focusToken, useStore } from '../../state/store.js';
import type { Run } from '../../state/types.js';
import { categorical, OTHER_COLOR, TOL_LIGHT, type Categorical } from '../../viz/categorical.js';
import { formatDuration } from '../../viz/timeline.js';
import { forgetPeaks, measurePeaks, trackProfile, useJobs } from './jobs.js';
import { KernelTable } from './KernelTable.js';
import { dispatchNumbers, num, opKey, opsByTime, precisionBadge, si, tableRows, timelineData, type RowMode, type SortDir, type SortKey } from './model.js';
import { Roofline } from './Roofline.js';
import { S } from './styles.js';
import { Timeline } from './Timeline.js';
import { useWidth } from '../../ui/useWidth.js';

const DECODE_TOKENS = 16;
const REPEATS = 3;

export function KernelsPanel(): JSX.Element {
  const { runner, host } = useServices();
  const run = useStore(currentRun);
  const notify = useStore((s) => s.notify);
  const jobs = useJobs();
  const report = run?.profile ?? null;
  const busy = run ? run.status === 'generating' || run.status === 'analyzing' : false;
  const profiling = run ? jobs.isProfiling(run.id) : false;

  const profile = (): void => {
    if (!runner || !run) return;
    const id = run.id;
    trackProfile(id, () => runner.profile(id, { decodeTokens: DECODE_TOKENS, repeat: REPEATS })).catch((e: unknown) => notify('error', `Profile failed: ${describe(e)}`));
  };

  const save = (name: string, text: string, type: string): void => {
    host.save(name, new Blob([text], { type })).catch((e: unknown) => notify('error', `Could not save ${name}: ${describe(e)}`));
  };
  const exportTrace = (): void => {
    if (!report || !run) return;
    const gpu = useStore.getState().gpu;
    const meta: TraceMeta = runTraceMeta(run, { prompt: run.prompt, quantization: report.precision.quantized ? 'enabled (inferred from durations)' : report.precision.timestamps ? 'disabled (inferred from durations)' : 'unknown' });
    if (gpu) {
      meta.adapter = { description: gpu.adapter };
      meta.features = gpu.features;
    }
    save('regla-trace.json', JSON.stringify(toChromeTrace(report, meta)), 'application/json');
  };
  const exportCsv = (): void => {
    if (report) save('regla-kernels.csv', toCsv(report), 'text/csv');
  };

  if (!run) return <p className="hint">Generate something in the prompt panel first: the profile replays that run's prompt.</p>;

  const badge = report ? precisionBadge(report.precision) : null;
  return (
    <section className="kernels-panel" aria-label="Kernels">
      <div className="panel-controls">
        <button type="button" data-testid="profile" onClick={profile} disabled={!runner || busy || profiling || jobs.measuring} title={`Per-op GPU timing of this run's prompt (${run.promptLength} tokens) and ${DECODE_TOKENS} decode steps, ${REPEATS} repeats after 1 warm-up`}>
          {profiling ? 'Profiling…' : report ? 'Profile again' : 'Profile'}
        </button>
        <button type="button" onClick={exportTrace} disabled={!report} title="Chrome trace-event JSON: open it in Perfetto (ui.perfetto.dev) or chrome://tracing">
          Export trace
        </button>
        <button type="button" onClick={exportCsv} disabled={!report} title="The kernel table as CSV">
          Export CSV
        </button>
        {badge && (
          <span className={`badge ${badge.level === 'warn' ? 'warn' : ''}`} title={badge.title} data-testid="precision-badge">
            {badge.text}
          </span>
        )}
        {report && <Totals report={report} />}
      </div>
      {report ? (
        <ProfileView key={run.id} run={run} report={report} />
      ) : (
        <p className="hint">
          {profiling
            ? `Profiling: ${1 + REPEATS} passes over the prompt and ${DECODE_TOKENS} decode steps, each dispatch in its own timed pass…`
            : busy
              ? 'Waiting for the run to finish…'
              : `Profile runs this run's prompt and ${DECODE_TOKENS} decode steps ${1 + REPEATS} times with a GPU timestamp around every dispatch, then shows where the time goes.`}
        </p>
      )}
    </section>
  );
}

function Totals({ report }: { report: ProfileReport }): JSX.Element {
  const t = report.totals;
  const tokS = (ms: number, n: number): string => (ms > 0 ? `${num((n * 1000) / ms)} tok/s` : '–');
  return (
    <span style={S.totals} title={t.source === 'gpu' ? 'median over repeats of GPU busy time (Σ dispatch durations; per-op passes lose overlap)' : 'CPU wall time after a GPU sync'}>
      prefill {report.promptTokens} tok: <b>{num(t.prefillMs)} ms</b> ({tokS(t.prefillMs, report.promptTokens)}) · decode: <b>{num(t.decodeMsPerToken)} ms/tok</b> ({tokS(t.decodeMsPerToken, 1)}) ·{' '}
      <span className="hint">{t.source === 'gpu' ? 'GPU time' : 'CPU time'}</span>
    </span>
  );
}

function ProfileView({ run, report }: { run: Run; report: ProfileReport }): JSX.Element {
  const { runner } = useServices();
  const notify = useStore((s) => s.notify);
  const focus = useStore(focusToken);
  const setHoverToken = useStore((s) => s.setHover);
  const jobs = useJobs();
  const [repeat, setRepeat] = useState(0);
  // Rows per layer read best for small models; past a dozen layers the canvas would get too tall.
  const [mode, setMode] = useState<RowMode>(() => (new Set(report.records.map((r) => r.layer)).size > 13 ? 'phase' : 'layer'));
  const [selected, setSelected] = useState<number | null>(null);
  const [highlight, setHighlight] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: 'totalUs', dir: 'desc' });
  const lastToken = useRef<number | null>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const bottomW = useWidth(bottom, 900);

  const colors = useMemo(() => categorical(opsByTime(report.records)), [report]);
  const data = useMemo(() => timelineData(report, Math.min(repeat, report.repeat - 1), mode, (r) => colors.index(r.op)), [report, repeat, mode, colors]);
  const rows = useMemo(() => tableRows(report.perOp), [report]);
  const peaks = jobs.peaksOf(runner?.ctx);
  const roof = useMemo(() => rooflineTable(report, peaks ?? { flopsPerS: NaN, bytesPerS: NaN }), [report, peaks]);

  const sel: ProfileRecord | undefined = selected !== null && selected >= 0 ? report.records[selected] : undefined;
  const selSpan = selected !== null && selected < 0 ? report.spans[-1 - selected] : undefined;

  const onHoverToken = (pos: number | null): void => {
    const p = pos !== null && pos < run.tokens.length ? pos : null;
    if (p === lastToken.current) return;
    lastToken.current = p;
    setHoverToken(p);
  };

  const measure = (): void => {
    const ctx = runner?.ctx;
    if (!ctx) return;
    if (peaks) forgetPeaks(ctx);
    measurePeaks(ctx).catch((e: unknown) => notify('error', `Measuring device peaks failed: ${describe(e)}`));
  };

  const usedOps = new Set(report.records.map((r) => r.op));
  return (
    <>
      <div className="panel-controls">
        <h3>Timeline</h3>
        <label className="inline">
          repeat
          <select value={repeat} onChange={(e) => (setRepeat(Number(e.target.value)), setSelected(null))}>
            {Array.from({ length: report.repeat }, (_, i) => (
              <option key={i} value={i}>
                {i + 1} of {report.repeat}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          rows
          <select value={mode} onChange={(e) => setMode(e.target.value as RowMode)}>
            <option value="layer">phase × layer</option>
            <option value="phase">phase</option>
          </select>
        </label>
        <span className="hint">
          click the timeline, then <kbd>W</kbd>/<kbd>S</kbd> zoom, <kbd>A</kbd>/<kbd>D</kbd> pan, <kbd>F</kbd> fit; wheel zooms, drag pans
        </span>
      </div>
      {!data.gpu && (
        <p className="hint">No per-dispatch GPU times on this adapter (no timestamp-query): the timeline shows whole steps timed on the CPU, and the table has counts only.</p>
      )}
      <Timeline report={report} data={data} selected={selected} onSelect={setSelected} highlight={highlight} focusToken={focus} onHoverToken={onHoverToken} />
      <OpLegend colors={colors} ops={usedOps} />
      <div style={S.details} data-testid="dispatch-details">
        {sel ? (
          <DispatchDetails r={sel} />
        ) : selSpan ? (
          <span>
            <b>{selSpan.phase === 'prefill' ? `prefill of ${report.promptTokens} tokens` : `decode step @${selSpan.token}`}</b> · {formatDuration((selSpan.endMs - selSpan.startMs) * 1e6)} CPU wall time (whole step,
            after a GPU sync)
          </span>
        ) : (
          <span className="hint">Click a dispatch to see its record. The shaded band is the focused token's step (hover or lock a token in the text).</span>
        )}
      </div>
      <h3>Kernels (per op, {report.repeat} repeats)</h3>
      <KernelTable rows={rows} sort={sort} onSort={setSort} highlight={highlight} selectedKey={sel ? opKey(sel) : null} onHover={setHighlight} colors={colors} />
      <div ref={bottom}>
        <div className="panel-controls">
          <h3>Roofline</h3>
          <button type="button" onClick={measure} disabled={!runner || jobs.measuring || jobs.anyProfiling || run.status === 'generating' || run.status === 'analyzing'} data-testid="measure-peaks">
            {jobs.measuring ? 'Measuring…' : peaks ? 'Measure again' : 'Measure device peaks'}
          </button>
          {peaks ? (
            <span className="hint">
              FMA peak {num(peaks.flopsPerS / 1e9)} GFLOP/s · streaming read {num(peaks.bytesPerS / 1e9)} GB/s · ridge at {num(peaks.flopsPerS / peaks.bytesPerS)} FLOP/B (
              {peaks.timestamped ? 'GPU timestamps' : 'CPU time'}, median of 5)
            </span>
          ) : (
            <span className="hint">two microbenchmarks (an FMA loop, a streaming read) give the roof; points are placed without it</span>
          )}
        </div>
        <Roofline rows={roof} peaks={peaks} colors={colors} highlight={highlight} onHover={setHighlight} width={Math.min(720, Math.max(320, bottomW))} />
      </div>
    </>
  );
}

function OpLegend({ colors, ops }: { colors: Categorical; ops: ReadonlySet<string> }): JSX.Element {
  const others = [...ops].filter((o) => colors.index(o) < 0);
  return (
    <div style={S.legend} aria-label="Op colours">
      {colors.named.map((op, i) => (
        <span key={op}>
          <span style={{ ...S.swatch, background: TOL_LIGHT[i] }} />
          {op}
        </span>
      ))}
      {others.length > 0 && (
        <span title={others.join(', ')}>
          <span style={{ ...S.swatch, background: OTHER_COLOR }} />
          {others.length} other op{others.length > 1 ? 's' : ''}
        </span>
      )}
    </div>
  );
}

function DispatchDetails({ r }: { r: ProfileRecord }): JSX.Element {
  const n = dispatchNumbers(r);
  const items: Array<[string, string]> = [
    ['op', r.op],
    ['kernel', r.kernel],
    ['phase', r.phase],
    ['layer', r.layer === null ? '—' : String(r.layer)],
    ['token', r.phase === 'prefill' ? `0 (whole prompt)` : String(r.token)],
    ['workgroups', r.workgroups.join(' × ')],
    ['FLOPs', si(r.flops)],
    ['bytes', si(r.bytes)],
    ['duration', formatDuration(n.durationNs)],
    ['start', formatDuration(r.startNs)],
    ['GFLOP/s', num(n.gflops)],
    ['GB/s', num(n.gbps)],
    ['FLOP/B', num(n.intensity)],
  ];
  return (
    <dl style={S.record}>
      {items.map(([k, v]) => (
        <div key={k}>
          <dt style={S.recordKey}>{k}</dt>
          <dd style={S.recordValue}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
