// Prompt & output: the prompt, sampling controls, generate / stop, and the sequence as tokens
// coloured by a chosen metric (log-probability, entropy, the selected layer/head's mean α, ‖S_t‖).
// The token under the pointer is previewed in every panel; click locks it, Esc clears.

import { useMemo, useState, type JSX } from 'react';
import { useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { runLabel } from '../../session/interventions.js';
import { gateField, stateNormSeries, tokenMeans } from '../../session/metrics.js';
import { currentConfig, currentRun, focusToken, useStore, type TokenMetric } from '../../state/store.js';
import type { Run } from '../../state/types.js';
import { finiteExtent, valueScale } from '../../viz/scales.js';
import { Legend } from '../../ui/Legend.js';

const METRICS: Array<{ id: TokenMetric; label: string }> = [
  { id: 'none', label: 'none' },
  { id: 'logprob', label: 'log p(token)' },
  { id: 'entropy', label: 'entropy' },
  { id: 'gate', label: 'mean α (layer, head)' },
  { id: 'stateNorm', label: '‖S_t‖ (layer, head)' },
];

/** Per-token values of the chosen metric for a run (NaN where undefined). */
export function metricValues(run: Run, metric: TokenMetric, layer: number, head: number, config: Parameters<typeof gateField>[1] | null): Float64Array {
  const n = run.tokens.length;
  const out = new Float64Array(n).fill(NaN);
  if (metric === 'logprob' || metric === 'entropy') {
    run.tokens.forEach((t, i) => {
      const v = metric === 'logprob' ? t.logprob : t.entropy;
      if (v !== null) out[i] = v;
    });
  } else if (run.analysis && config) {
    const series = metric === 'gate' ? (() => {
      const f = gateField(run.analysis, config, layer, 'F');
      return f ? tokenMeans(f, head) : null;
    })() : metric === 'stateNorm' ? stateNormSeries(run.analysis, layer, head) : null;
    if (series) series.forEach((v, i) => { if (i < n) out[i] = v; });
  }
  return out;
}

export function PromptPanel(): JSX.Element {
  const { runner } = useServices();
  const run = useStore(currentRun);
  const activeModel = useStore((s) => s.activeModel);
  const loaded = useStore((s) => (s.activeModel ? s.loaded[s.activeModel] : undefined));
  const metric = useStore((s) => s.tokenMetric);
  const setMetric = useStore((s) => s.setTokenMetric);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const focus = useStore(focusToken);
  const locked = useStore((s) => s.lockedToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const notify = useStore((s) => s.notify);
  const gpuLost = useStore((s) => s.gpuLost !== null);
  const [prompt, setPrompt] = useState('It was the best of times');
  const [temperature, setTemperature] = useState(0.8);
  const [topK, setTopK] = useState(40);
  const [topP, setTopP] = useState(0.95);
  const [seed, setSeed] = useState(1);
  const [maxTokens, setMaxTokens] = useState(48);

  const busy = run?.status === 'generating' || run?.status === 'analyzing';
  const runConfig = useStore(currentConfig) ?? null;
  const values = useMemo(() => (run ? metricValues(run, metric, layer, head, runConfig) : new Float64Array(0)), [run, metric, layer, head, runConfig]);
  const scale = useMemo(() => {
    const dom = finiteExtent(values);
    return valueScale(metric === 'logprob' ? [dom[0], Math.max(dom[1], 0)] : dom, { map: 'cividis' });
  }, [values, metric]);

  const generate = (): void => {
    if (!runner || !activeModel || gpuLost) return;
    runner.generate(activeModel, prompt, { temperature, topK, topP, seed }, maxTokens).catch((e: unknown) => notify('error', describe(e)));
  };
  const stop = (): void => {
    if (runner && run) runner.cancel(run.model.key);
  };
  const focused = focus !== null ? run?.tokens[focus] : undefined;
  /** The shown run's prompt and sampling back into the fields (e.g. a run reopened from a session bundle). */
  const useRunSettings = (): void => {
    if (!run) return;
    setPrompt(run.prompt);
    setTemperature(run.sampling.temperature);
    setTopK(run.sampling.topK ?? 0);
    setTopP(run.sampling.topP ?? 1);
    setSeed(run.sampling.seed ?? 0);
    setMaxTokens(run.maxTokens);
  };
  const sameSettings =
    !run ||
    (run.prompt === prompt && run.sampling.temperature === temperature && (run.sampling.topK ?? 0) === topK && (run.sampling.topP ?? 1) === topP && (run.sampling.seed ?? 0) === seed && run.maxTokens === maxTokens);

  return (
    <section className="prompt-panel" aria-label="Prompt and output">
      <label className="field">
        <span>Prompt</span>
        <textarea
          value={prompt}
          rows={3}
          onChange={(e) => setPrompt(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) generate();
          }}
          data-testid="prompt"
        />
      </label>
      <div className="controls">
        <NumberField label="temperature" value={temperature} step={0.1} min={0} onChange={setTemperature} />
        <NumberField label="top-k" value={topK} step={1} min={0} onChange={setTopK} />
        <NumberField label="top-p" value={topP} step={0.05} min={0.05} max={1} onChange={setTopP} />
        <NumberField label="seed" value={seed} step={1} min={0} onChange={setSeed} />
        <NumberField label="max tokens" value={maxTokens} step={8} min={1} max={2000} onChange={setMaxTokens} />
      </div>
      <div className="actions">
        <button type="button" onClick={generate} disabled={!runner || !loaded || busy || gpuLost} data-testid="generate" title="Generate (Ctrl+Enter)">
          Generate
        </button>
        <button type="button" onClick={stop} disabled={!busy} data-testid="stop">
          Stop
        </button>
        <button type="button" onClick={useRunSettings} disabled={sameSettings} data-testid="use-run-settings" title="Put the shown run's prompt, sampling (seed included) and length back into the fields">
          ↺ run's settings
        </button>
        <label className="inline">
          colour by{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value as TokenMetric)} data-testid="token-metric">
            {METRICS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {run ? (
        <>
          <div className="run-status" data-testid="run-status" data-status={run.status}>
            {runLabel(run)} · {run.status}
            {run.error ? `: ${run.error}` : ''} · {run.tokens.length} tokens
            {run.stats.generated > 0 && run.stats.decodeMs > 0 ? ` · ${((run.stats.generated / run.stats.decodeMs) * 1000).toFixed(1)} tokens/s` : ''}
          </div>
          <div className="tokens" data-testid="tokens" onMouseLeave={() => setHover(null)}>
            {run.tokens.map((t) => {
              const v = values[t.pos] as number;
              const bg = metric === 'none' || Number.isNaN(v) ? undefined : scale.color(v);
              return (
                <span
                  key={t.pos}
                  className={`tok${t.prompt ? ' prompt' : ''}${t.pos === focus ? ' focus' : ''}${t.pos === locked ? ' locked' : ''}`}
                  style={bg ? { background: bg, color: scale.position(v) > 0.55 ? '#111' : '#f4f4f4' } : undefined}
                  data-pos={t.pos}
                  onMouseEnter={() => setHover(t.pos)}
                  onClick={() => toggleLock(t.pos)}
                >
                  {t.text === '' ? '·' : t.text}
                </span>
              );
            })}
          </div>
          {metric !== 'none' ? <Legend scale={scale} label={METRICS.find((m) => m.id === metric)?.label ?? ''} /> : null}
          <TokenDetails token={focused} value={focused ? (values[focused.pos] as number) : NaN} metric={metric} />
        </>
      ) : (
        <p className="hint">Generate to see the model's tokens; hover one to follow it through every panel, click to lock it, Esc to clear.</p>
      )}
    </section>
  );
}

function TokenDetails({ token, value, metric }: { token: Run['tokens'][number] | undefined; value: number; metric: TokenMetric }): JSX.Element | null {
  if (!token) return null;
  return (
    <div className="token-details" data-testid="token-details">
      <div>
        <b>#{token.pos}</b> id {token.id} <code>{JSON.stringify(token.text)}</code> {token.prompt ? '(prompt)' : ''}
      </div>
      <div>
        log p {token.logprob === null ? '—' : token.logprob.toFixed(3)} · entropy {token.entropy === null ? '—' : token.entropy.toFixed(3)} nats
        {metric !== 'none' && metric !== 'logprob' && metric !== 'entropy' && Number.isFinite(value) ? ` · ${metric} ${value.toPrecision(4)}` : ''}
      </div>
      {token.top.length > 0 ? (
        <div>
          top: {token.top.map((a) => `${JSON.stringify(a.text)} ${(a.p * 100).toFixed(1)}%`).join(', ')}
        </div>
      ) : null}
    </div>
  );
}

function NumberField(p: { label: string; value: number; step: number; min?: number; max?: number; onChange: (v: number) => void }): JSX.Element {
  return (
    <label className="field small">
      <span>{p.label}</span>
      <input
        type="number"
        value={p.value}
        step={p.step}
        min={p.min}
        max={p.max}
        data-testid={p.label.replace(/\s+/g, '-')}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (Number.isFinite(v)) p.onChange(v);
        }}
      />
    </label>
  );
}
