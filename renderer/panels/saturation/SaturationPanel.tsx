// Saturation: per gated layer the histogram of α (or g) over [0, 1] — linear or logit bins — with the
// compared runs overlaid (GLA vs ReGLA), a log-spaced threshold eps and each run's share of
// entries within eps of 0 or 1; below, the gradient-at-saturation plot (∂F/∂g of the refined gate
// and g(1−g) of the plain one over the current run's empirical density of g).

import { useMemo, useRef, useState, type JSX } from 'react';
import { gatedLayers, saturationShare, type GateField } from '../../session/metrics.js';
import { currentRun, useStore } from '../../state/store.js';
import type { Run } from '../../state/types.js';
import { finiteMean, gradientMass } from '../../viz/gradient.js';
import { LOGIT_RANGE, binValues, type BinSpec } from '../../viz/histogram.js';
import { cachedHistogram } from './fields.js';
import { cachedGateField } from '../../session/metrics.js';
import { CURVE_COLORS, GradientPlot } from './GradientPlot.js';
import { LayerCard, type CardSeries } from './LayerCard.js';
import { EPS_MAX, EPS_MIN, SLIDER_STEPS, epsFromSlider, gatelessReason, kvHead, seriesRuns, sliderFromEps, tokenValues } from './series.js';
import { useWidth } from '../../ui/useWidth.js';

const BINS = 50;
type HistQ = 'F' | 'g';
const Q_LABEL: Record<HistQ, string> = { F: 'α', g: 'g' };

export function SaturationPanel(): JSX.Element {
  const run = useStore(currentRun);
  const compare = useStore((s) => s.compare);
  const currentId = useStore((s) => s.currentRun);
  const runs = useStore((s) => s.runs);
  const loaded = useStore((s) => s.loaded);
  const recorded = useStore((s) => s.recorded);
  const mapping = useStore((s) => s.scale);
  const eps = useStore((s) => s.threshold);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const focus = useStore((s) => s.lockedToken ?? s.hoverToken);
  const [hq, setHq] = useState<HistQ>('F');
  const root = useRef<HTMLDivElement>(null);
  const width = useWidth(root);

  const { runs: series, comparing } = useMemo(() => seriesRuns({ compare, currentRun: currentId, runs, loaded, recorded }), [compare, currentId, runs, loaded, recorded]);
  const spec = useMemo<BinSpec>(() => (mapping === 'logit' ? { mapping, bins: BINS, range: LOGIT_RANGE } : { mapping, bins: BINS }), [mapping]);

  // Per layer: each run's field and histogram (cached beside the analysis), then the shares at eps.
  const layers = useMemo(() => {
    const all = new Set<number>();
    for (const r of series) for (const l of gatedLayers(r.analysis, r.config)) all.add(l);
    return [...all].sort((a, b) => a - b);
  }, [series]);
  const binned = useMemo(
    () =>
      layers.map((l) => ({
        layer: l,
        series: series.flatMap((r) => {
          const f = cachedGateField(r.analysis, r.config, l, hq);
          return f ? [{ run: r, field: f, hist: cachedHistogram(f, spec) }] : [];
        }),
      })),
    [layers, series, hq, spec],
  );
  // The run the gradient plot and the focused-token ticks follow: the one picked here, else the
  // current run, else the first drawn.
  const [picked, setPicked] = useState<string | null>(null);
  const gRun = series.find((r) => r.id === picked) ?? series.find((r) => r.id === currentId) ?? series[0] ?? null;
  const gRunId = gRun?.id ?? null;
  const cards = useMemo(
    () =>
      binned.map((b) => ({
        layer: b.layer,
        own: b.series.find((s) => s.run.id === gRunId)?.field ?? null,
        series: b.series.map((s): CardSeries => ({ id: s.run.id, label: s.run.label, color: s.run.color, hist: s.hist, sat: saturationShare(s.field, eps) })),
      })),
    [binned, eps, gRunId],
  );

  // The gradient plot: gRun's gated layer nearest the selection.
  const gLayers = useMemo(() => (gRun ? gatedLayers(gRun.analysis, gRun.config) : []), [gRun]);
  const gLayer = nearest(gLayers, layer);
  const grad = useMemo(() => {
    if (!gRun || gLayer === null) return null;
    const g = cachedGateField(gRun.analysis, gRun.config, gLayer, 'g');
    if (!g) return null;
    const r = gRun.config.gate === 'refined' ? cachedGateField(gRun.analysis, gRun.config, gLayer, 'r') : null;
    return {
      g,
      meanR: r ? finiteMean(r.values) : null,
      density: binValues(g.values, { mapping: 'linear', bins: BINS }),
      mass: gradientMass(g.values, r ? r.values : null),
    };
  }, [gRun, gLayer]);

  const header = <h2>Saturation</h2>;
  if (!run && series.length === 0) return <div ref={root}>{header}</div>;
  if (series.length === 0) return <div ref={root}>{header}<p className="hint" data-testid="sat-status">{run ? pendingMessage(run) : ''}</p></div>;
  const gateless = series.map((r) => gatelessReason(r.config));
  if (gateless.every((g) => g !== null))
    return (
      <div ref={root}>
        {header}
        <p className="hint" data-testid="sat-status">
          {series[0]?.label} is {gateless[0]}: there is no gate to saturate. Open a gated sample (regla, gla, fast-decay, hybrid-regla, …) and generate to see gate histograms.
        </p>
      </div>
    );
  if (layers.length === 0)
    return (
      <div ref={root}>
        {header}
        <p className="hint" data-testid="sat-status">
          No gate tensors were kept for this run.
        </p>
      </div>
    );

  const cols = Math.max(1, Math.floor((width + 10) / 330));
  const cardW = Math.max(240, Math.floor((width - (cols - 1) * 10) / cols) - 18);
  const H = cards.find((c) => c.own)?.own?.H ?? 1;
  const numHeads = gRun?.config.numHeads ?? H;
  const kv = kvHead(numHeads, head, H);
  const focusOf = (f: GateField | null): { pos: number; values: Float64Array } | null => {
    if (focus === null || !f) return null;
    const values = tokenValues(f, focus, kv);
    return values.length > 0 ? { pos: focus, values } : null;
  };
  const gFocus = grad && focus !== null ? tokenValues(grad.g, focus, kv) : null;
  const gt = gRun?.config.gateLogitNormalizer ?? 1;

  return (
    <div ref={root} data-testid="saturation-panel">
      {header}
      <div className="panel-controls">
        <span className="inline" role="radiogroup" aria-label="Histogram of">
          histogram of
          {(['F', 'g'] as const).map((k) => (
            <button
              key={k}
              type="button"
              role="radio"
              aria-checked={k === hq}
              onClick={() => setHq(k)}
              style={k === hq ? { borderColor: 'var(--accent)', color: 'var(--accent)' } : undefined}
              data-testid={`sat-q-${k}`}
              title={k === 'F' ? 'the forget gate α (F for the refined gate)' : 'the base gate g = σ(a)'}
            >
              {Q_LABEL[k]}
            </button>
          ))}
        </span>
        <label className="inline">
          bins
          <select value={mapping} onChange={(e) => useStore.getState().setScale(e.target.value as 'linear' | 'logit')} data-testid="sat-scale">
            <option value="linear">linear [0, 1]</option>
            <option value="logit">logit</option>
          </select>
        </label>
        <label className="inline" title={`Saturated: within eps of 0 or of 1 (log-spaced, ${EPS_MIN} … ${EPS_MAX})`}>
          threshold eps
          <input
            type="range"
            min={0}
            max={SLIDER_STEPS}
            step={1}
            value={sliderFromEps(eps)}
            onChange={(e) => useStore.getState().setThreshold(epsFromSlider(Number(e.target.value)))}
            data-testid="sat-threshold"
            style={{ width: 140 }}
          />
          <b style={{ color: 'var(--fg)', minWidth: 44, fontFamily: 'ui-monospace, monospace' }} data-testid="sat-eps">
            {eps}
          </b>
        </label>
        <span className="hint">
          {Q_LABEL[hq]} &lt; {eps} or &gt; {Number((1 - eps).toPrecision(6))} counts as saturated · all heads and channels · {BINS} bins
        </span>
      </div>
      <div style={{ display: 'flex', gap: 14, flexWrap: 'wrap', alignItems: 'center', marginBottom: 8, fontSize: 12 }} data-testid="sat-legend">
        {series.map((r) => (
          <span key={r.id} style={{ display: 'inline-flex', alignItems: 'center', gap: 5 }}>
            <span style={{ width: 14, height: 10, background: r.color, borderRadius: 2, display: 'inline-block' }} />
            {r.label}
            <span className="hint">({r.config.gate} gate{r.config.gateLogitNormalizer !== 1 ? `, τ = ${r.config.gateLogitNormalizer}` : ''})</span>
          </span>
        ))}
        {!comparing ? <span className="hint">Add runs to compare mode to overlay their histograms here.</span> : null}
      </div>
      <div style={{ display: 'flex', gap: 10, flexWrap: 'wrap' }}>
        {cards.map((c) => (
          <LayerCard
            key={c.layer}
            layer={c.layer}
            series={c.series}
            spec={spec}
            eps={eps}
            quantity={Q_LABEL[hq]}
            width={cardW}
            selected={c.layer === gLayer}
            focus={focusOf(c.own)}
            focusLabel={series.length > 1 && gRun ? gRun.label : null}
            showLabels={series.length > 1}
            onSelect={() => useStore.getState().setLayer(c.layer)}
          />
        ))}
      </div>

      <div style={{ display: 'flex', alignItems: 'baseline', gap: 12, marginTop: 14, flexWrap: 'wrap' }}>
        <h3 style={{ margin: 0 }}>
          Gradient at saturation — {gRun?.label}, layer {gLayer ?? '—'}
          {gLayer !== null && gLayer !== layer ? ` (layer ${layer} has no gate)` : ''}
        </h3>
        {series.length > 1 ? (
          <label className="inline">
            run
            <select value={gRun?.id ?? ''} onChange={(e) => setPicked(e.target.value)} data-testid="sat-gradient-run">
              {series.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label} ({r.config.gate})
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      {grad ? (
        <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap', alignItems: 'flex-start' }}>
          <GradientPlot width={Math.min(620, Math.max(320, width - 4))} meanR={grad.meanR} density={grad.density} focus={gFocus && gFocus.length > 0 ? gFocus : null} />
          <div style={{ fontSize: 12, maxWidth: 320, display: 'flex', flexDirection: 'column', gap: 6 }} data-testid="sat-gradient-stats">
            {grad.meanR !== null ? (
              <Key color={CURVE_COLORS.refined} text={`∂F/∂g = 2(1−r)g + 2r(1−g) at the mean r = ${grad.meanR.toFixed(3)} of this layer`} />
            ) : (
              <span className="hint">This gate has no refining gate r: the dashed curves show what ∂F/∂g would be for r = 0, ½, 1.</span>
            )}
            <Key color={CURVE_COLORS.plain} text="g(1−g): the plain sigmoid gate's gradient (≤ 0.25)" />
            <Key color="var(--muted)" dashed text="∂F/∂g at r = 0, ½, 1" />
            <Key color={CURVE_COLORS.density} area text={`density of g over ${grad.mass.n.toLocaleString()} entries (right axis)`} />
            <div style={{ fontFamily: 'ui-monospace, monospace', marginTop: 4 }}>
              {grad.mass.refined !== null ? (
                <div>
                  E[∂F/∂g] = <b style={{ color: CURVE_COLORS.refined }}>{grad.mass.refined.toFixed(4)}</b>
                </div>
              ) : null}
              <div>
                E[g(1−g)] = <b style={{ color: CURVE_COLORS.plain }}>{grad.mass.plain.toFixed(4)}</b>
              </div>
            </div>
            {gt !== 1 ? <span className="hint">τ = {gt}: α = F^(1/τ); the curves are F's gradient, before the power 1/τ.</span> : null}
            {gFocus && gFocus.length > 0 ? <span className="hint">Ticks on the x axis: g of token #{focus}, head {kv}.</span> : null}
          </div>
        </div>
      ) : (
        <p className="hint">No base gate g for this layer.</p>
      )}
    </div>
  );
}

function Key({ color, text, dashed, area }: { color: string; text: string; dashed?: boolean; area?: boolean }): JSX.Element {
  return (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}>
      <svg width={22} height={10} aria-hidden="true" style={{ flex: 'none' }}>
        {area ? (
          <rect width={22} height={10} fill={color} fillOpacity={0.35} />
        ) : (
          <line x1={0} x2={22} y1={5} y2={5} stroke={color} strokeWidth={dashed ? 1 : 2.2} strokeDasharray={dashed ? '4 3' : undefined} />
        )}
      </svg>
      {text}
    </span>
  );
}

function pendingMessage(run: Run): string {
  switch (run.status) {
    case 'loading':
    case 'generating':
      return 'Generating… the histograms come from the analysis prefill that runs when generation ends.';
    case 'analyzing':
      return 'Analyzing the sequence (one prefill with capture and tensor dumps)…';
    case 'cancelled':
      return 'This run was cancelled before its analysis: generate again to see its gate saturation.';
    case 'error':
      return `This run failed${run.error ? `: ${run.error}` : ''}.`;
    default:
      return run.analysis ? 'The model of this run is no longer open.' : 'This run has no analysis.';
  }
}

function nearest(layers: readonly number[], layer: number): number | null {
  let best: number | null = null;
  for (const l of layers) if (best === null || Math.abs(l - layer) < Math.abs(best - layer)) best = l;
  return best;
}
