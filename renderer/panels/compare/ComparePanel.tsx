// Compare: 2–4 variants on the same prompt, side by side. "Run all" opens each checked model (bundled
// samples load on demand), generates greedily from one prompt, one model after another (progress,
// cancel), and puts the runs into the comparison. The views follow the shared selection (token
// cursor, layer, head) and a shared token window (zoom): per-run layer × token gate heatmaps
// (shared or independent colour scales), diff heatmaps against run 0, per-token log-probabilities
// with the exact KL (every model scoring run 0's tokens), a summary table, and per-op kernel time deltas.

import { useCallback, useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { gateQuantities } from '../../session/metrics.js';
import { useSamples, useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { runLabel } from '../../session/interventions.js';
import { MAX_COMPARE, currentRun, focusToken, useStore, type GateQuantity } from '../../state/store.js';
import type { ModelRef, Run } from '../../state/types.js';
import { Legend } from '../../ui/Legend.js';
import { clampWindow, runColor, zoomWindow, type TokenWindow } from '../../viz/compare.js';
import { finiteExtent, symmetric, valueScale, type ValueScale } from '../../viz/scales.js';
import { Heatmap } from './Heatmap.js';
import { KernelDeltas } from './KernelDeltas.js';
import { commonPrefix, diffMatrix, gateLayerToken, hasFinite, sliceCols, type LayerTokenMatrix } from './logic.js';
import { TokenCharts } from './TokenCharts.js';
import { useWidth } from '../../ui/useWidth.js';

const GREEDY = { temperature: 0, topK: 0, topP: 1, seed: 0 } as const;

const Q_LABEL: Record<GateQuantity, string> = { g: 'g = σ(a)', r: 'r (refining gate)', F: 'α = F (forget gate)', logA: 'log α' };

interface Progress {
  i: number;
  n: number;
  model: string;
  phase: 'loading' | 'generating' | 'profiling';
  runId: string | null;
}

export function ComparePanel(): JSX.Element {
  const { runner, host } = useServices();
  const models = useStore((s) => s.models);
  const loaded = useStore((s) => s.loaded);
  const activeModel = useStore((s) => s.activeModel);
  const runs = useStore((s) => s.runs);
  const runOrder = useStore((s) => s.runOrder);
  const compare = useStore((s) => s.compare);
  const toggleCompare = useStore((s) => s.toggleCompare);
  const sharedScale = useStore((s) => s.sharedScale);
  const setSharedScale = useStore((s) => s.setSharedScale);
  const notify = useStore((s) => s.notify);
  const current = useStore(currentRun);

  // ---------------------------------------------------------------- setup: models, prompt, run all
  const [chosen, setChosen] = useState<string[] | null>(null);
  const picked = chosen ?? (activeModel ? [activeModel] : []);
  const togglePick = (key: string): void => setChosen(picked.includes(key) ? picked.filter((k) => k !== key) : [...picked, key].slice(-MAX_COMPARE));
  const [prompt, setPrompt] = useState<string | null>(null);
  const promptText = prompt ?? current?.prompt ?? 'It was the best of times';
  const [maxTokens, setMaxTokens] = useState(16);
  const [profileDecode, setProfileDecode] = useState(8);
  const [progress, setProgress] = useState<Progress | null>(null);
  const cancelled = useRef(false);
  const inFlight = useRef<string | null>(null);
  const samples = useSamples();

  const runAll = async (): Promise<void> => {
    if (!runner || picked.length === 0 || progress) return;
    cancelled.current = false;
    const ids: string[] = [];
    const keys = picked.slice(0, MAX_COMPARE);
    try {
      for (let i = 0; i < keys.length && !cancelled.current; i++) {
        const key = keys[i] as string;
        const ref: ModelRef | undefined = models.find((m) => m.key === key);
        const name = ref?.name ?? key;
        setProgress({ i, n: keys.length, model: name, phase: 'loading', runId: null });
        if (!runner.isOpen(key)) {
          const entry = samples.find((e) => `sample:${e.name}` === key) ?? (await host.listSamples()).find((e) => `sample:${e.name}` === key);
          if (!ref || !entry) throw new Error(`${name} is not open and is not a bundled sample: open it first`);
          await runner.load(ref, host.sampleFolder(entry));
        }
        if (cancelled.current) break;
        inFlight.current = key;
        const pending = runner.generate(key, promptText, { ...GREEDY }, maxTokens);
        // generate() registers its run synchronously, before its first await: follow it.
        const runId = useStore.getState().currentRun;
        setProgress({ i, n: keys.length, model: name, phase: 'generating', runId });
        const id = await pending;
        inFlight.current = null;
        ids.push(id);
        useStore.setState({ compare: ids.slice(0, MAX_COMPARE) });
      }
      if (cancelled.current) notify('info', `Compare: cancelled after ${ids.length} of ${keys.length} runs`);
    } catch (e) {
      notify('error', `Compare: ${describe(e)}`);
    } finally {
      inFlight.current = null;
      setProgress(null);
    }
  };
  const cancel = (): void => {
    cancelled.current = true;
    if (runner && inFlight.current) runner.cancel(inFlight.current);
  };

  const compared = compare.map((id) => runs[id]).filter((r): r is Run => r !== undefined);
  const profileAll = async (): Promise<void> => {
    if (!runner || progress) return;
    cancelled.current = false;
    try {
      for (let i = 0; i < compared.length && !cancelled.current; i++) {
        const r = compared[i] as Run;
        setProgress({ i, n: compared.length, model: r.model.name, phase: 'profiling', runId: r.id });
        await runner.profile(r.id, { decodeTokens: profileDecode, repeat: 3 });
      }
    } catch (e) {
      notify('error', `Profile: ${describe(e)}`);
    } finally {
      setProgress(null);
    }
  };
  const busy = progress !== null;
  const flight = useStore((s) => (progress?.runId ? s.runs[progress.runId] : undefined));

  return (
    <div className="compare-panel" data-testid="compare-panel">
      <section className="cmp-setup">
        <div className="panel-controls">
          <span>models (2–{MAX_COMPARE}):</span>
          {models.map((m) => (
            <label key={m.key} className="inline" title={m.about ?? m.variant}>
              <input type="checkbox" checked={picked.includes(m.key)} onChange={() => togglePick(m.key)} disabled={busy} data-testid={`cmp-model-${m.name}`} />
              {m.name}
              {loaded[m.key] ? '' : ' ·'}
            </label>
          ))}
        </div>
        <div className="panel-controls">
          <label className="inline" style={{ flex: '1 1 320px' }}>
            prompt
            <input type="text" value={promptText} onChange={(e) => setPrompt(e.target.value)} style={{ flex: 1, padding: '2px 6px' }} disabled={busy} data-testid="cmp-prompt" />
          </label>
          <label className="inline">
            new tokens
            <input type="number" min={1} max={512} value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Math.min(512, Math.floor(Number(e.target.value) || 1))))} disabled={busy} data-testid="cmp-max-tokens" />
          </label>
          <button type="button" onClick={() => void runAll()} disabled={!runner || busy || picked.length === 0} data-testid="cmp-run-all" title="Generate greedily (temperature 0) from the prompt with every checked model, one after another">
            Run all
          </button>
          <button type="button" onClick={cancel} disabled={!busy} data-testid="cmp-cancel">
            Cancel
          </button>
          <button type="button" onClick={() => void profileAll()} disabled={!runner || busy || compared.length === 0} data-testid="cmp-profile" title="Per-op kernel profile of each compared run's prompt (prefill) and some decode steps, 3 repeats">
            Profile all
          </button>
          <label className="inline" title="Decode steps each profile times after the prompt">
            decode steps
            <input type="number" min={1} max={64} value={profileDecode} onChange={(e) => setProfileDecode(Math.max(1, Math.min(64, Math.floor(Number(e.target.value) || 1))))} disabled={busy} data-testid="cmp-profile-decode" />
          </label>
        </div>
        {progress ? (
          <div className="progress" role="progressbar" aria-valuenow={Math.round((progress.i / progress.n) * 100)} data-testid="cmp-progress">
            {progress.phase === 'profiling' ? 'Profiling' : 'Run'} {progress.i + 1}/{progress.n}: {progress.model} — {progress.phase === 'generating' && flight ? `${flight.status} (${Math.max(0, flight.tokens.length - flight.promptLength)}/${maxTokens} new tokens)` : progress.phase}
          </div>
        ) : (
          <p className="hint" style={{ margin: '2px 0' }}>
            Greedy decoding (temperature 0) from the same prompt, so the runs are comparable. Models marked · are not open yet; Run all opens them.
          </p>
        )}
        <RunChips compared={compared} runs={runs} runOrder={runOrder} toggle={toggleCompare} />
      </section>
      {compared.length === 0 ? (
        <p className="hint" data-testid="cmp-empty">
          Check two to four models and press Run all, or add finished runs to the comparison above.
        </p>
      ) : (
        <CompareViews runs={compared} sharedScale={sharedScale} setSharedScale={setSharedScale} />
      )}
      {compared.length > 0 ? <KernelDeltas runs={compared} /> : null}
    </div>
  );
}

function RunChips({ compared, runs, runOrder, toggle }: { compared: Run[]; runs: Record<string, Run>; runOrder: string[]; toggle: (id: string) => void }): JSX.Element {
  const others = runOrder.filter((id) => !compared.some((r) => r.id === id)).map((id) => runs[id]).filter((r): r is Run => r !== undefined);
  return (
    <div className="panel-controls" data-testid="cmp-runs">
      <span>compared:</span>
      {compared.map((r, i) => (
        <span key={r.id} className="badge" style={{ color: runColor(i), borderColor: runColor(i) }} data-testid="cmp-run-chip">
          {i === 0 ? 'run 0 (base) ' : `run ${i} `}
          {runLabel(r)} · {r.id} · {r.status}
          <button type="button" onClick={() => toggle(r.id)} aria-label={`Remove ${r.id} from the comparison`} style={{ border: 'none', background: 'transparent', padding: '0 0 0 4px' }}>
            ×
          </button>
        </span>
      ))}
      {others.length > 0 && compared.length < MAX_COMPARE ? (
        <select value="" onChange={(e) => e.target.value && toggle(e.target.value)} aria-label="Add a run to the comparison">
          <option value="">+ run…</option>
          {others.map((r) => (
            <option key={r.id} value={r.id}>
              {r.id} · {runLabel(r)} · {JSON.stringify(r.prompt.slice(0, 24))} · {r.status}
            </option>
          ))}
        </select>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------- the side-by-side views

function CompareViews({ runs, sharedScale, setSharedScale }: { runs: Run[]; sharedScale: boolean; setSharedScale: (on: boolean) => void }): JSX.Element {
  const loaded = useStore((s) => s.loaded);
  // Runs restored from a session bundle whose model is not open draw with the recorded config.
  const recorded = useStore((s) => s.recorded);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const quantity = useStore((s) => s.gateQuantity);
  const setQuantity = useStore((s) => s.setGateQuantity);
  const mapping = useStore((s) => s.scale);
  const focus = useStore(focusToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);

  const box = useRef<HTMLDivElement>(null);
  const full = useWidth(box, 900);

  // Gate matrices (layers × tokens) of every run, full length.
  const mats = useMemo(
    () =>
      runs.map((r): LayerTokenMatrix | null => {
        const c = loaded[r.model.key]?.config ?? recorded[r.model.key]?.config;
        return r.analysis && c ? gateLayerToken(r.analysis, c, quantity, head) : null;
      }),
    [runs, loaded, recorded, quantity, head],
  );
  const available = useMemo(() => {
    const s = new Set<GateQuantity>();
    for (const r of runs) {
      const c = loaded[r.model.key]?.config ?? recorded[r.model.key]?.config;
      if (c) for (const q of gateQuantities(c)) s.add(q);
    }
    return (['g', 'r', 'F', 'logA'] as const).filter((q) => s.has(q));
  }, [runs, loaded, recorded]);

  const T = Math.max(0, ...runs.map((r) => r.analysis?.T ?? r.tokens.length));
  const [win, setWin] = useState<TokenWindow | null>(null);
  const view = clampWindow(win ?? { lo: 0, hi: T }, T, 4);
  const zoom = useCallback((pos: number, factor: number) => setWin((w) => zoomWindow(clampWindow(w ?? { lo: 0, hi: T }, T), pos, factor, T)), [T]);
  useEffect(() => {
    // A new set of runs starts zoomed out.
    setWin(null);
  }, [runs.length, T]);

  const windowed = useMemo(() => mats.map((m) => (m ? sliceCols(m, view.lo, view.hi) : null)), [mats, view.lo, view.hi]);
  const useLogit = mapping === 'logit' && quantity !== 'logA';
  const scales = useMemo((): Array<ValueScale | null> => {
    const dom = (ms: Array<LayerTokenMatrix | null>): [number, number] => {
      const d = finiteExtent(...ms.filter((m): m is LayerTokenMatrix => m !== null).map((m) => m.values));
      return useLogit ? [Math.max(1e-6, d[0]), Math.min(1 - 1e-6, d[1])] : d;
    };
    const shared = dom(mats);
    return mats.map((m) => (m ? valueScale(sharedScale ? shared : dom([m]), { mapping: useLogit ? 'logit' : 'linear', map: 'viridis' }) : null));
  }, [mats, sharedScale, useLogit]);

  const diffs = useMemo(() => {
    const base = mats[0];
    return mats.slice(1).map((m) => (base && m && hasFinite(base) && hasFinite(m) ? diffMatrix(base, m) : null));
  }, [mats]);
  const diffScales = useMemo(() => {
    const all = symmetric(finiteExtent(...diffs.filter((d): d is LayerTokenMatrix => d !== null).map((d) => d.values)));
    return diffs.map((d) => (d ? valueScale(sharedScale ? all : symmetric(finiteExtent(d.values)), { map: 'diverging' }) : null));
  }, [diffs, sharedScale]);
  const prefixes = runs.map((r) => commonPrefix(runs[0]?.tokens ?? [], r.tokens));

  const n = runs.length;
  const gap = 16;
  const colWidth = Math.max(160, Math.floor((full - gap * (n - 1)) / n) - 30);
  const rows = Math.max(1, ...mats.map((m) => m?.rows ?? 0));
  const rowHeight = Math.max(10, Math.min(22, Math.floor(120 / rows)));
  const onHover = (pos: number | null): void => setHover(pos);

  return (
    <div ref={box} className="cmp-views">
      <div className="panel-controls">
        <label className="inline">
          quantity
          <select value={quantity} onChange={(e) => setQuantity(e.target.value as GateQuantity)} data-testid="cmp-quantity">
            {(['g', 'r', 'F', 'logA'] as const).map((q) => (
              <option key={q} value={q} disabled={!available.includes(q)}>
                {Q_LABEL[q]}
              </option>
            ))}
          </select>
        </label>
        <label className="inline" title="One colour scale across the compared runs (and one across the diffs)">
          <input type="checkbox" checked={sharedScale} onChange={(e) => setSharedScale(e.target.checked)} data-testid="cmp-shared-scale" />
          shared scale
        </label>
        <span>
          tokens {view.lo}–{Math.max(view.lo, view.hi - 1)} of {T}
        </span>
        <button type="button" onClick={() => zoom(focus ?? Math.floor((view.lo + view.hi) / 2), 0.5)} title="Zoom in (or the wheel over a heatmap)">
          +
        </button>
        <button type="button" onClick={() => zoom(focus ?? Math.floor((view.lo + view.hi) / 2), 2)} title="Zoom out">
          −
        </button>
        <button type="button" onClick={() => setWin(null)} title="Show every token">
          fit
        </button>
        <span>
          layer {layer} · head {head} (toolbar, [ ] {'{ }'})
        </span>
      </div>

      <h2>
        {Q_LABEL[quantity]} per layer × token, mean over head {head}’s channels
      </h2>
      <div className="panel-row" style={{ gap }}>
        {runs.map((r, i) => {
          const m = windowed[i];
          const sc = scales[i];
          return (
            <div key={r.id} className="cmp-col" data-testid="cmp-col" style={{ width: colWidth + 26 }}>
              <h3 style={{ color: runColor(i) }}>
                {i === 0 ? 'run 0' : `run ${i}`}: {runLabel(r)} <span className="hint">({r.model.variant})</span>
              </h3>
              {m && sc && hasFinite(mats[i] ?? null) ? (
                <>
                  <Heatmap matrix={m} lo={view.lo} scale={sc} width={colWidth} rowHeight={rowHeight} focus={focus} layer={layer} label={`${r.model.name} ${quantity} heatmap`} onHover={onHover} onLock={toggleLock} onZoom={zoom} testId={`cmp-heat-${i}`} />
                  {!sharedScale || i === 0 ? <Legend scale={sc} label={sharedScale ? `${quantity} (shared scale)` : quantity} width={Math.min(220, colWidth)} /> : null}
                </>
              ) : (
                <p className="hint" style={{ minHeight: rows * rowHeight }}>
                  {r.analysis ? `${r.model.name} has no ${Q_LABEL[quantity]} in any layer${quantity === 'r' ? ' (only the refined gate has r)' : ' (softmax attention, or no gate)'}.` : `${r.status}…`}
                </p>
              )}
              <FocusReadout run={r} base={runs[0]} matrix={mats[i] ?? null} layer={layer} focus={focus} />
            </div>
          );
        })}
      </div>

      {n > 1 ? (
        <>
          <h2>Difference to run 0 (run i − run 0)</h2>
          <div className="panel-row" style={{ gap }}>
            {runs.slice(1).map((r, k) => {
              const i = k + 1;
              const d = diffs[k];
              const sc = diffScales[k];
              const same = (runs[0]?.analysis?.T ?? -1) === (r.analysis?.T ?? -2);
              const cp = prefixes[i] ?? 0;
              return (
                <div key={r.id} className="cmp-col" data-testid="cmp-diff" style={{ width: colWidth + 26 }}>
                  <h3>
                    <span style={{ color: runColor(i) }}>{runLabel(r)}</span> − <span style={{ color: runColor(0) }}>{runs[0] ? runLabel(runs[0]) : ''}</span>
                  </h3>
                  {d && sc ? (
                    <>
                      <Heatmap matrix={sliceCols(d, view.lo, view.hi)} lo={view.lo} scale={sc} width={colWidth} rowHeight={rowHeight} focus={focus} layer={layer} divergeAt={cp < d.cols ? cp : null} label={`${r.model.name} minus ${runs[0]?.model.name}`} onHover={onHover} onLock={toggleLock} onZoom={zoom} testId={`cmp-diff-${i}`} />
                      {!sharedScale || k === 0 ? <Legend scale={sc} label={`Δ ${quantity}${sharedScale ? ' (shared)' : ''}`} width={Math.min(220, colWidth)} /> : null}
                      <p className="hint" style={{ margin: '2px 0' }}>
                        {!same ? `Token counts differ: the first ${d.cols} tokens. ` : ''}
                        {cp < d.cols ? `Hatched from token ${cp}: the two sequences differ there, so the columns see different inputs.` : 'Identical token sequences.'}
                      </p>
                    </>
                  ) : (
                    <p className="hint">{r.analysis && runs[0]?.analysis ? `No diff: ${hasFinite(mats[0] ?? null) && hasFinite(mats[i] ?? null) ? 'different layer counts' : `${hasFinite(mats[0] ?? null) ? r.model.name : runs[0]?.model.name} has no ${quantity} gate`}.` : 'Waiting for both analyses…'}</p>
                  )}
                </div>
              );
            })}
          </div>
        </>
      ) : (
        <p className="hint">Add a second run to see differences, log-probability comparisons and KL.</p>
      )}

      <TokenCharts runs={runs} view={view} width={full} />
    </div>
  );
}

/** The focus token of a run at the selected layer: its text, log p and the heatmap value. */
function FocusReadout({ run, base, matrix, layer, focus }: { run: Run; base: Run | undefined; matrix: LayerTokenMatrix | null; layer: number; focus: number | null }): JSX.Element {
  const t = focus !== null ? run.tokens[focus] : undefined;
  if (!t) return <div className="hint cmp-readout">Hover a column or a token to read values.</div>;
  const v = matrix && layer < matrix.rows && t.pos < matrix.cols ? (matrix.values[layer * matrix.cols + t.pos] as number) : NaN;
  const b = base?.tokens[t.pos];
  const differs = b !== undefined && b.id !== t.id;
  return (
    <div className="cmp-readout" style={{ fontSize: 12 }}>
      #{t.pos} <code style={differs ? { outline: '1px solid var(--bad)' } : undefined}>{JSON.stringify(t.text)}</code>
      {differs ? <span style={{ color: 'var(--bad)' }}> ≠ run 0</span> : null} · log p {t.logprob === null ? '—' : t.logprob.toFixed(3)} · L{layer} {Number.isFinite(v) ? v.toPrecision(4) : '—'}
    </div>
  );
}
