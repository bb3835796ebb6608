// The guided tour (issue #6, items 1–2): one layer of the current run, step by step — the equation
// (KaTeX) for the run's own variant, the text in short chunks, and the live values of the selected
// token / layer / head / channel from the run's analysis — with "Open in …" jumping to the panel that
// shows the same quantity (and ringing it), and a second run (another variant on the same text)
// beside it. Space / → next step, ← back, while the tour has the focus.

import { useEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent } from 'react';
import { isSoftmaxLayer, type ModelConfig } from '../../../shaders/index.js';
import { useSamples, useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { currentRun, focusToken, useStore } from '../../state/store.js';
import type { ModelRef, Run } from '../../state/types.js';
import { STEPS, type StepDef } from './steps.js';
import { ProvChip, Strip } from './Strip.js';
import { Tex } from './Tex.js';
import { fmt, gateRow, kvHeadOf, stepValues, tokenLabel, type Focus, type RunView, type StepValues } from './values.js';

const GREEDY = { temperature: 0, topK: 0, topP: 1, seed: 0 } as const;

function viewOf(run: Run, config: ModelConfig | undefined): RunView | null {
  if (!run.analysis || !config) return null;
  const p = run.profile;
  return {
    analysis: run.analysis,
    config,
    tokens: run.tokens,
    profile: p ? { promptTokens: p.promptTokens, prefillMs: p.totals.prefillMs, decodeMsPerToken: p.totals.decodeMsPerToken, source: p.totals.source } : null,
  };
}

/** A short description of a config's variant for column headers. */
function variantLine(c: ModelConfig): string {
  return `φ ${c.featureMap} · gate ${c.gate}${c.gateLogitNormalizer !== 1 && c.gate !== 'none' ? ` (τ ${c.gateLogitNormalizer})` : ''} · ${c.attnNorm}${c.useOutputGate ? ' + output gate' : ''}`;
}

export function TourPanel(): JSX.Element {
  const run = useStore(currentRun);
  const loaded = useStore((s) => s.loaded);
  const runs = useStore((s) => s.runs);
  const runOrder = useStore((s) => s.runOrder);
  const stepIndex = useStore((s) => Math.min(s.tourStep, STEPS.length - 1));
  const compareId = useStore((s) => s.tourCompare);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const token = useStore(focusToken);
  const root = useRef<HTMLDivElement>(null);
  const [pickedChannel, setPickedChannel] = useState<number | null>(null);

  useEffect(() => {
    root.current?.focus({ preventScroll: true });
  }, []);

  const config = run ? loaded[run.model.key]?.config : undefined;
  const view = useMemo(() => (run ? viewOf(run, config) : null), [run, config]);
  const step = STEPS[stepIndex] as StepDef;
  const T = view?.analysis.T ?? 0;
  const pos = token !== null && token < T ? token : Math.max(0, T - 1);
  // The default channel: the head's most saturated base gate at this token (where dF/dg and
  // g(1 − g) differ most), else channel 0; a click on a channel cell picks another.
  const channel = useMemo(() => {
    if (pickedChannel !== null) return pickedChannel;
    if (!view) return 0;
    const gr = gateRow(view, layer, kvHeadOf(view.config, head), pos);
    if (!gr) return 0;
    let best = 0;
    gr.g.forEach((g, i) => {
      if (g > (gr.g[best] as number)) best = i;
    });
    return best;
  }, [pickedChannel, view, layer, head, pos]);
  const focus: Focus = { layer, head, token: pos, channel };

  const go = (i: number): void => useStore.getState().setTourStep(Math.max(0, Math.min(STEPS.length - 1, i)));
  const onKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const tag = (e.target as HTMLElement).tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    // Space advances even on a focused button (Enter still presses it): the tour's one key.
    if (e.key === 'ArrowRight' || e.key === ' ') {
      e.preventDefault();
      go(stepIndex + 1);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      go(stepIndex - 1);
    }
  };

  const compareRun = compareId && compareId !== run?.id ? (runs[compareId] ?? null) : null;
  const compareView = useMemo(() => (compareRun ? viewOf(compareRun, loaded[compareRun.model.key]?.config) : null), [compareRun, loaded]);

  const header = (
    <h2>
      Guided tour{run ? ` — ${run.model.name}, layer ${layer}, head ${head}, token ${tokenLabel(run.tokens, pos)}` : ''}
    </h2>
  );
  if (!run || !view || !config) {
    return (
      <div ref={root} className="tour" tabIndex={0} data-testid="tour-panel">
        {header}
        <p className="hint" data-testid="tour-status">
          {!run
            ? 'Generate from the prompt panel: the tour walks through one layer of that run, with its own numbers.'
            : run.analysis
              ? 'The model of this run is no longer open.'
              : run.status === 'error'
                ? `This run failed${run.error ? `: ${run.error}` : ''}.`
                : 'Waiting for the analysis of this run (it runs when generation ends)…'}
        </p>
      </div>
    );
  }

  const others = runOrder.map((id) => runs[id]).filter((r): r is Run => r !== undefined && r.id !== run.id && r.analysis !== null);
  const text = run.tokens.map((t) => t.text).join('');
  const openLink = (): void => {
    const l = step.link;
    useStore.getState().openHighlight({
      panel: l.panel === 'prompt' ? 'tour' : l.panel,
      selector: l.selector,
      label: `${step.title}: layer ${layer}, head ${head}, ${tokenLabel(run.tokens, pos)}${l.quantity ? `, ${l.quantity}` : ''}`,
      layer,
      head,
      token: pos,
      channel,
      ...(l.quantity ? { quantity: l.quantity } : {}),
    });
  };
  const setToken = (p: number): void => useStore.setState({ lockedToken: Math.max(0, Math.min(T - 1, p)) });

  return (
    <div ref={root} className="tour" tabIndex={0} onKeyDown={onKey} data-testid="tour-panel" data-step={step.id}>
      {header}
      <div className="panel-controls">
        <span className="inline">
          token
          <button type="button" onClick={() => setToken(pos - 1)} disabled={pos <= 0} aria-label="Previous token" data-testid="tour-token-prev">
            ‹
          </button>
          <b className="tour-token" data-testid="tour-token" data-pos={pos}>
            {tokenLabel(run.tokens, pos)}
          </b>
          <button type="button" onClick={() => setToken(pos + 1)} disabled={pos >= T - 1} aria-label="Next token" data-testid="tour-token-next">
            ›
          </button>
        </span>
        <span className="hint">hover or click a token in the text to follow it · layer [ ] · head {'{ }'} · click a channel cell to select it</span>
        {isSoftmaxLayer(config, layer) ? (
          <button type="button" onClick={() => useStore.getState().setLayer(firstLinearLayer(config))} data-testid="tour-linear-layer">
            go to a linear layer
          </button>
        ) : null}
      </div>
      <ComparePicker run={run} others={others} compareId={compareRun?.id ?? null} text={text} />
      <ol className="tour-steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s.id}>
            <button type="button" className={i === stepIndex ? 'active' : i < stepIndex ? 'done' : ''} onClick={() => go(i)} aria-current={i === stepIndex ? 'step' : undefined} data-testid={`tour-goto-${s.id}`}>
              <span className="tour-step-n">{i + 1}</span> {s.title}
            </button>
          </li>
        ))}
      </ol>
      <div className="tour-nav">
        <button type="button" onClick={() => go(stepIndex - 1)} disabled={stepIndex === 0} data-testid="tour-prev">
          ← Back
        </button>
        <span className="hint" data-testid="tour-progress">
          step {stepIndex + 1} of {STEPS.length} · Space / → next, ← back
        </span>
        <button type="button" onClick={() => go(stepIndex + 1)} disabled={stepIndex === STEPS.length - 1} data-testid="tour-next">
          Next →
        </button>
        <span className="spacer" />
        <button type="button" onClick={openLink} data-testid="tour-open" title="Show the same quantity in its panel, with this layer, head and token selected">
          {step.link.title} ↗
        </button>
      </div>
      <section key={step.id} className="tour-step" data-testid="tour-step" data-step={step.id}>
        <div className="tour-eq" data-testid="tour-equation">
          {step.tex(config).map((t, i) => (
            <Tex key={`${step.id}${i}`} tex={t} />
          ))}
        </div>
        <div className="tour-text">
          {step.text(config).map((p, i) => (
            <p key={i} style={{ animationDelay: `${60 + i * 90}ms` }}>
              {p}
            </p>
          ))}
        </div>
        <div className="tour-cols">
          <ValuesColumn step={step} run={run} view={view} focus={focus} base onPick={setPickedChannel} />
          {compareRun ? (
            compareView ? (
              <ValuesColumn step={step} run={compareRun} view={compareView} focus={alignFocus(focus, compareView.config, compareView.analysis.T)} base={false} baseConfig={config} baseRun={run} onPick={setPickedChannel} />
            ) : (
              <div className="tour-col">
                <p className="hint">{compareRun.model.name}: waiting for its analysis…</p>
              </div>
            )
          ) : null}
        </div>
      </section>
    </div>
  );
}

function firstLinearLayer(c: ModelConfig): number {
  for (let l = 0; l < c.numLayers; l++) if (!isSoftmaxLayer(c, l)) return l;
  return 0;
}

/** The base focus mapped onto another run's shape (its layers, heads, tokens may be fewer). */
function alignFocus(f: Focus, c: ModelConfig, T: number): Focus {
  return { layer: Math.min(f.layer, c.numLayers - 1), head: Math.min(f.head, c.numHeads - 1), token: Math.min(f.token, T - 1), channel: f.channel };
}

function ValuesColumn(p: { step: StepDef; run: Run; view: RunView; focus: Focus; base: boolean; baseConfig?: ModelConfig; baseRun?: Run; onPick: (ch: number) => void }): JSX.Element {
  const { step, run, view, focus } = p;
  const { layer, head, token, channel } = focus;
  const values: StepValues = useMemo(() => stepValues(step.id, view, { layer, head, token, channel }), [step.id, view, layer, head, token, channel]);
  const ownTex = p.baseConfig && step.tex(view.config).join('\n') !== step.tex(p.baseConfig).join('\n') ? step.tex(view.config) : null;
  const baseTok = p.baseRun?.tokens[focus.token];
  const tok = run.tokens[focus.token];
  const misaligned = p.baseRun && (!tok || !baseTok || tok.id !== baseTok.id);
  return (
    <div className={`tour-col${p.base ? '' : ' other'}`} data-testid={p.base ? 'tour-values' : 'tour-values-compare'} data-run={run.id} data-layer={focus.layer} data-head={focus.head} data-pos={focus.token}>
      <div className="tour-col-head">
        <b>{run.model.name}</b> <span className="hint">{variantLine(view.config)}</span>
      </div>
      {misaligned ? (
        <p className="tour-warn" data-testid="tour-misaligned">
          Token #{focus.token} here is {tok ? JSON.stringify(tok.text) : 'absent'}, not {baseTok ? JSON.stringify(baseTok.text) : '—'}: this run has other text.
        </p>
      ) : null}
      {ownTex ? (
        <div className="tour-eq small">
          {ownTex.map((t, i) => (
            <Tex key={i} tex={t} />
          ))}
        </div>
      ) : null}
      {values.strips.map((s) => (
        <Strip key={s.id} s={s} {...(s.axis === 'channel' ? { onPick: p.onPick } : { label: (i: number) => tokenLabel(run.tokens, s.x0 + i) })} />
      ))}
      {values.scalars.length > 0 ? (
        <table className="tour-scalars">
          <tbody>
            {values.scalars.map((s) => (
              <tr key={s.id} data-testid={`tour-scalar-${s.id}`} data-v={String(s.value)} title={s.source}>
                <td>{s.label}</td>
                <td className="num">{fmt(s.value, s.kind)}</td>
                <td>
                  <ProvChip prov={s.prov} />
                </td>
                <td className="hint">{s.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {values.cost ? <CostTable rows={values.cost} T={view.analysis.T} /> : null}
      {values.notes.map((n, i) => (
        <p key={`n${i}`} className="hint">
          {n}
        </p>
      ))}
      {values.missing.length > 0 ? (
        <ul className="tour-missing" data-testid="tour-missing">
          {values.missing.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function CostTable({ rows, T }: { rows: NonNullable<StepValues['cost']>; T: number }): JSX.Element {
  return (
    <table className="tour-cost" data-testid="tour-cost">
      <thead>
        <tr>
          <th>T</th>
          <th title="analytic, attention only, per layer">linear prefill</th>
          <th title="analytic, attention only, per layer">softmax prefill</th>
          <th>ratio</th>
          <th>decode / token (lin · soft)</th>
          <th>state · KV cache</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.T} className={r.T >= T && rows.find((x) => x.T >= T) === r ? 'here' : ''}>
            <td>{r.T}</td>
            <td>{fmt(r.linearPrefillFlops, 'flops')}</td>
            <td>{fmt(r.softmaxPrefillFlops, 'flops')}</td>
            <td>{fmt(r.softmaxPrefillFlops / r.linearPrefillFlops)}×</td>
            <td>
              {fmt(r.linearDecodeFlops, 'flops')} · {fmt(r.softmaxDecodeFlops, 'flops')}
            </td>
            <td>
              {fmt(r.stateBytes, 'bytes')} · {fmt(r.kvCacheBytes, 'bytes')}
            </td>
          </tr>
        ))}
      </tbody>
      <caption className="hint">analytic, per layer, attention only, from this model’s sizes</caption>
    </table>
  );
}

/** The second run beside this one: pick an analysed run, or run another model on this run's text. */
function ComparePicker({ run, others, compareId, text }: { run: Run; others: Run[]; compareId: string | null; text: string }): JSX.Element {
  const { runner, host } = useServices();
  const models = useStore((s) => s.models);
  const samples = useSamples();
  const [busy, setBusy] = useState<string | null>(null);
  const [pick, setPick] = useState<string>('');
  const candidates = models.filter((m) => m.key !== run.model.key);
  const chosen = pick || (candidates.find((m) => m.name === 'gla') ?? candidates[0])?.key || '';

  const runOther = async (): Promise<void> => {
    if (!runner || !chosen || busy) return;
    const ref: ModelRef | undefined = models.find((m) => m.key === chosen);
    const baseId = run.id;
    setBusy(ref?.name ?? chosen);
    try {
      if (!runner.isOpen(chosen)) {
        const entry = samples.find((e) => `sample:${e.name}` === chosen);
        if (!ref || !entry) throw new Error(`${ref?.name ?? chosen} is not open and is not a bundled sample: open it first`);
        await runner.load(ref, host.sampleFolder(entry));
      }
      // The same text as this run (prompt and generated tokens), nothing new generated: every
      // position then holds the same token in both runs. generate() registers its run and makes
      // it current synchronously; the tour keeps this run current and shows the new one beside it.
      const pending = runner.generate(chosen, text, { ...GREEDY }, 0);
      const st = useStore.getState();
      const id = st.currentRun;
      st.setCurrentRun(baseId);
      if (id && id !== baseId) st.setTourCompare(id);
      await pending;
    } catch (e) {
      useStore.getState().notify('error', `Tour: ${describe(e)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="panel-controls" data-testid="tour-compare">
      <label className="inline">
        beside it
        <select value={compareId ?? ''} onChange={(e) => useStore.getState().setTourCompare(e.target.value || null)} data-testid="tour-compare-run">
          <option value="">(nothing)</option>
          {others.map((r) => (
            <option key={r.id} value={r.id}>
              {r.model.name} · {r.id}
              {r.tokens.map((t) => t.text).join('') === text ? ' · same text' : r.prompt === run.prompt ? ' · same prompt' : ''}
            </option>
          ))}
        </select>
      </label>
      <span className="inline">
        or run
        <select value={chosen} onChange={(e) => setPick(e.target.value)} disabled={busy !== null} data-testid="tour-compare-model" aria-label="Model to run on this text">
          {candidates.map((m) => (
            <option key={m.key} value={m.key}>
              {m.name}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void runOther()} disabled={!runner || busy !== null || !chosen} data-testid="tour-compare-go" title="Analyze this run's text with another model and show it beside this one">
          {busy ? `running ${busy}…` : 'on this text'}
        </button>
      </span>
    </div>
  );
}
