// Training: what the bundled samples' training_log.json files record. Loss curves (train loss per
// step, light, with a debiased moving average; held-out loss as points; linear or log y), overlaid
// for every checked model; gate saturation over training as a ridgeline per model (the selected
// layer's α or g histogram at each snapshot, steps increasing downward); and per layer, the first
// and last snapshot's saturation share, mean α and memory length.

import { useMemo, useRef, useState, type JSX } from 'react';
import { useSamples, useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { useStore } from '../../state/store.js';
import type { LoadedModel, ModelRef } from '../../state/types.js';
import { runColor } from '../../viz/compare.js';
import { lossChart, nearestIndex, ridgeline, type LossSeries } from '../../viz/training.js';
import { finalLoss, firstLast, layerHistograms, lossData, saturatedShare, snapshotLayers, type HistKind } from './logic.js';
import { useWidth } from '../../ui/useWidth.js';

const fmt = (v: number, digits = 3): string => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : '—');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '—');

export function TrainingPanel(): JSX.Element {
  const { runner, host } = useServices();
  const loaded = useStore((s) => s.loaded);
  const models = useStore((s) => s.models);
  const activeModel = useStore((s) => s.activeModel);
  const layer = useStore((s) => s.layer);
  const setLayer = useStore((s) => s.setLayer);
  const notify = useStore((s) => s.notify);

  const withLog = useMemo(() => Object.values(loaded).filter((m): m is LoadedModel & { trainingLog: NonNullable<LoadedModel['trainingLog']> } => m.trainingLog !== null), [loaded]);
  const [checked, setChecked] = useState<string[] | null>(null);
  // Default: the active model (when it has a log), else the first model with a log.
  const shown = useMemo(() => {
    const keys = withLog.map((m) => m.ref.key);
    if (checked) return checked.filter((k) => keys.includes(k));
    if (activeModel && keys.includes(activeModel)) return [activeModel];
    return keys.slice(0, 1);
  }, [checked, withLog, activeModel]);
  const toggle = (key: string): void => setChecked(shown.includes(key) ? shown.filter((k) => k !== key) : [...shown, key]);
  const shownModels = shown.map((k) => loaded[k]).filter((m): m is LoadedModel => m !== undefined && m.trainingLog !== null);
  const colorOf = (key: string): string => runColor(Math.max(0, withLog.findIndex((m) => m.ref.key === key)));

  const [smoothing, setSmoothing] = useState(0.9);
  const [logY, setLogY] = useState(false);
  const [kind, setKind] = useState<HistKind>('alpha');
  const [eps, setEps] = useState('0.05');
  const [ridgeScale, setRidgeScale] = useState<'shared' | 'row'>('row');

  // Samples not loaded yet, to add their logs (opening a sample uploads its weights too).
  const samples = useSamples();
  const [opening, setOpening] = useState<string | null>(null);
  const addSample = async (name: string): Promise<void> => {
    const e = samples.find((x) => x.name === name);
    if (!runner || !e) return;
    const ref: ModelRef = models.find((m) => m.key === `sample:${e.name}`) ?? { key: `sample:${e.name}`, name: e.name, kind: 'sample', variant: e.name, about: e.about, parameters: e.parameters };
    setOpening(name);
    try {
      const m = await runner.load(ref, host.sampleFolder(e));
      if (m.trainingLog) setChecked((c) => [...(c ?? shown), ref.key]);
      else notify('info', `${name} has no training_log.json`);
    } catch (err) {
      notify('error', describe(err));
    } finally {
      setOpening(null);
    }
  };
  const unloaded = samples.filter((e) => !loaded[`sample:${e.name}`]);
  const withoutLog = Object.values(loaded).filter((m) => m.trainingLog === null);

  const activeLoaded = activeModel ? loaded[activeModel] : undefined;
  const epsList = shownModels[0]?.trainingLog?.gates?.eps.map(String) ?? ['0.01', '0.05'];

  return (
    <div className="training-panel" data-testid="training-panel">
      <div className="panel-controls">
        <span>logs:</span>
        {withLog.map((m) => (
          <label key={m.ref.key} className="inline" style={{ color: colorOf(m.ref.key) }}>
            <input type="checkbox" checked={shown.includes(m.ref.key)} onChange={() => toggle(m.ref.key)} data-testid={`train-model-${m.ref.name}`} />
            {m.ref.name}
          </label>
        ))}
        {unloaded.length > 0 ? (
          <select value="" disabled={!runner || opening !== null} onChange={(e) => void addSample(e.target.value)} aria-label="Add a sample's training log" data-testid="train-add-sample">
            <option value="">{opening ? `opening ${opening}…` : '+ sample…'}</option>
            {unloaded.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        ) : null}
      </div>
      {activeLoaded && activeLoaded.trainingLog === null ? (
        <p className="hint" data-testid="train-no-log">
          {activeLoaded.ref.name} has no training log: only the bundled samples carry a <code>training_log.json</code> (written by samples/train/train.py).
          {withLog.length > 0 ? ' The logs of the loaded samples are shown below.' : ''}
        </p>
      ) : null}
      {withoutLog.length > 0 && !(activeLoaded && activeLoaded.trainingLog === null) ? (
        <p className="hint">No training log: {withoutLog.map((m) => m.ref.name).join(', ')}.</p>
      ) : null}
      {withLog.length === 0 ? (
        <p className="hint" data-testid="train-empty">
          No loaded model has a training log. Open a bundled sample (the model menu, or “+ sample…” above) to see its loss curve and gate saturation over training.
        </p>
      ) : shownModels.length === 0 ? (
        <p className="hint">Check a model above to show its log.</p>
      ) : (
        <>
          <section>
            <h2>Loss</h2>
            <div className="panel-controls">
              <label className="inline">
                smoothing
                <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="train-smoothing" />
                <span>{smoothing.toFixed(2)}</span>
              </label>
              <label className="inline">
                <input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} data-testid="train-logy" />
                log y
              </label>
            </div>
            <LossPlot models={shownModels} colorOf={colorOf} smoothing={smoothing} logY={logY} />
          </section>
          <section>
            <h2>Gate saturation over training</h2>
            <div className="panel-controls">
              <label className="inline">
                layer
                <select value={layer} onChange={(e) => setLayer(Number(e.target.value))} data-testid="train-layer">
                  {unionLayers(shownModels).map((l) => (
                    <option key={l} value={l}>
                      {l}
                    </option>
                  ))}
                  {unionLayers(shownModels).includes(layer) ? null : <option value={layer}>{layer} (no snapshot)</option>}
                </select>
              </label>
              <label className="inline">
                histogram
                <select value={kind} onChange={(e) => setKind(e.target.value as HistKind)} data-testid="train-hist-kind">
                  <option value="alpha">α (forget gate)</option>
                  <option value="g">g = σ(a) (base gate)</option>
                </select>
              </label>
              <label className="inline" title="Ridge heights: each row scaled to its own tallest bin (shapes compare), or one scale for every row (heights compare)">
                heights
                <select value={ridgeScale} onChange={(e) => setRidgeScale(e.target.value as 'shared' | 'row')} data-testid="train-ridge-scale">
                  <option value="row">per row</option>
                  <option value="shared">shared</option>
                </select>
              </label>
              <label className="inline">
                saturated within
                <select value={eps} onChange={(e) => setEps(e.target.value)}>
                  {epsList.map((x) => (
                    <option key={x} value={x}>
                      ε = {x}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <div className="panel-row">
              {shownModels.map((m) => (
                <RidgePlot key={m.ref.key} model={m} layer={layer} kind={kind} eps={eps} color={colorOf(m.ref.key)} count={shownModels.length} scale={ridgeScale} />
              ))}
            </div>
            <p className="hint" style={{ margin: '2px 0' }}>
              One ridge per gate snapshot, training steps increasing downward; ridge height: the share of the layer’s {kind === 'alpha' ? 'α' : 'g'} values in each of the{' '}
              {shownModels[0]?.trainingLog?.gates?.bins ?? 20} bins over [0, 1],{' '}
              {ridgeScale === 'row' ? 'each row scaled to its own tallest bin (shapes compare; hover for values)' : 'one height scale for every row of a model (heights compare)'}. Right: the share within ε = {eps} of 0 or 1 (the shaded bands).
            </p>
          </section>
          <section>
            <h2>Per layer: first and last snapshot</h2>
            <SnapshotTable models={shownModels} eps={eps} colorOf={colorOf} />
          </section>
        </>
      )}
    </div>
  );
}

function unionLayers(models: readonly LoadedModel[]): number[] {
  const s = new Set<number>();
  for (const m of models) if (m.trainingLog) for (const l of snapshotLayers(m.trainingLog)) s.add(l);
  return [...s].sort((a, b) => a - b);
}

// ---------------------------------------------------------------- loss

function LossPlot({ models, colorOf, smoothing, logY }: { models: LoadedModel[]; colorOf: (k: string) => string; smoothing: number; logY: boolean }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const height = 260;
  const data = useMemo(() => models.map((m) => ({ m, d: m.trainingLog ? lossData(m.trainingLog, smoothing) : { train: [], smooth: [], held: [] } })), [models, smoothing]);
  const chart = useMemo(() => {
    const series: LossSeries[] = data.map(({ m, d }) => ({ key: m.ref.key, color: colorOf(m.ref.key), ...d }));
    return lossChart(series, width, height, logY);
  }, [data, width, logY, colorOf]);
  const [hoverStep, setHoverStep] = useState<number | null>(null);
  const p = chart.plot;
  const readout = hoverStep === null ? null : data.map(({ m, d }) => {
    const i = nearestIndex(
      d.train.map((x) => x.x),
      hoverStep,
    );
    const j = nearestIndex(
      d.held.map((x) => x.x),
      hoverStep,
    );
    const held = d.held[j];
    return { key: m.ref.key, name: m.ref.name, step: d.train[i]?.x ?? NaN, loss: d.train[i]?.y ?? NaN, smooth: d.smooth[i]?.y ?? NaN, held: held && Math.abs(held.x - hoverStep) <= 25 ? held : null };
  });
  return (
    <div ref={box} className="train-loss" data-testid="train-loss">
      <svg width={width} height={height} role="img" aria-label="Training loss per step" onMouseLeave={() => setHoverStep(null)} onMouseMove={(e) => {
        const r = e.currentTarget.getBoundingClientRect();
        const x = e.clientX - r.left;
        setHoverStep(x >= p.left && x <= p.right ? chart.invertX(x) : null);
      }}>
        <g className="axis">
          <line x1={p.left} x2={p.right} y1={p.bottom} y2={p.bottom} />
          <line x1={p.left} x2={p.left} y1={p.top} y2={p.bottom} />
          {chart.xTicks.map((t) => (
            <g key={`x${t.value}`} transform={`translate(${t.at},${p.bottom})`}>
              <line y2={4} />
              <text y={15} textAnchor="middle">
                {t.label}
              </text>
            </g>
          ))}
          {chart.yTicks.map((t) => (
            <g key={`y${t.value}`} transform={`translate(${p.left},${t.at})`}>
              <line x2={-4} />
              <line x2={p.right - p.left} stroke="var(--line)" strokeOpacity={0.5} />
              <text x={-6} dy="0.32em" textAnchor="end">
                {t.label}
              </text>
            </g>
          ))}
          <text x={p.right} y={p.bottom + 24} textAnchor="end">
            step
          </text>
          <text transform={`translate(10,${(p.top + p.bottom) / 2}) rotate(-90)`} textAnchor="middle">
            loss (nats){logY ? ', log' : ''}
          </text>
        </g>
        {chart.series.map((s) => (
          <g key={s.key}>
            <path d={s.train} fill="none" stroke={s.color} strokeOpacity={0.28} strokeWidth={1} />
            <path d={s.smooth} fill="none" stroke={s.color} strokeWidth={2} />
            {s.held.map((h, i) => (
              <circle key={i} cx={h.x} cy={h.y} r={3.5} fill="var(--panel)" stroke={s.color} strokeWidth={1.5} />
            ))}
          </g>
        ))}
        {hoverStep !== null ? <line className="cursor" x1={chart.x(hoverStep)} x2={chart.x(hoverStep)} y1={p.top} y2={p.bottom} strokeDasharray="3 3" /> : null}
      </svg>
      <table className="train-legend">
        <thead>
          <tr>
            <th>model</th>
            <th title="Mean train loss of the last 20 steps">final train loss</th>
            <th>last held-out loss</th>
            <th>held-out ppl</th>
            {readout ? <th>at step {fmt(readout[0]?.step ?? NaN, 4)}: loss / smoothed / held-out</th> : null}
          </tr>
        </thead>
        <tbody>
          {data.map(({ m }, i) => {
            const f = m.trainingLog ? finalLoss(m.trainingLog) : { train: NaN, held: NaN, heldPpl: NaN };
            const r = readout?.[i];
            return (
              <tr key={m.ref.key}>
                <td>
                  <span style={{ display: 'inline-block', width: 10, height: 10, borderRadius: 2, background: colorOf(m.ref.key) }} /> {m.ref.name}
                </td>
                <td>{fmt(f.train, 4)}</td>
                <td>{fmt(f.held, 4)}</td>
                <td>{fmt(f.heldPpl, 4)}</td>
                {r ? (
                  <td>
                    {fmt(r.loss, 4)} / {fmt(r.smooth, 4)} / {r.held ? `${fmt(r.held.y, 4)} (step ${r.held.x})` : '—'}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="hint">Thin line: train loss at every step; thick line: its moving average (smoothing {smoothing.toFixed(2)}, debiased); circles: held-out loss.</p>
    </div>
  );
}

// ---------------------------------------------------------------- ridgeline

function RidgePlot({ model, layer, kind, eps, color, count, scale }: { model: LoadedModel; layer: number; kind: HistKind; eps: string; color: string; count: number; scale: 'shared' | 'row' }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const full = useWidth(box);
  const log = model.trainingLog;
  const hists = useMemo(() => (log ? layerHistograms(log, layer, kind) : []), [log, layer, kind]);
  const width = Math.max(260, Math.min(full, 560));
  const rowStep = hists.length > 14 ? 16 : 24;
  const r = useMemo(() => ridgeline(hists, width, rowStep, 1.8, scale), [hists, width, rowStep, scale]);
  const [hover, setHover] = useState<{ row: number; bin: number } | null>(null);
  const bins = log?.gates?.bins ?? hists[0]?.hist.length ?? 20;
  const e = Number(eps);
  const p = r.plot;
  const layers = log ? snapshotLayers(log) : [];
  const hovered = hover ? hists[hover.row] : undefined;
  return (
    <div ref={box} className="ridge-box" style={{ flex: `1 1 ${count > 1 ? 300 : 520}px`, minWidth: 280 }} data-testid={`ridge-${model.ref.name}`}>
      <h3 style={{ color }}>
        {model.ref.name} · layer {layer} · {kind === 'alpha' ? 'α' : 'g'}
      </h3>
      {!log?.gates || layers.length === 0 ? (
        <p className="hint">No gate snapshots in this log (no gated layers, e.g. a softmax model).</p>
      ) : hists.length === 0 ? (
        <p className="hint">
          Layer {layer} has no gate snapshot (a softmax layer?). Layers with snapshots: {layers.join(', ')}.
        </p>
      ) : (
        <>
          <svg
            width={r.width}
            height={r.height}
            role="img"
            aria-label={`${kind} histogram per training step, layer ${layer}`}
            onMouseLeave={() => setHover(null)}
            onMouseMove={(ev) => {
              const b = ev.currentTarget.getBoundingClientRect();
              const x = ev.clientX - b.left;
              const y = ev.clientY - b.top;
              if (x < p.left || x > p.right) return setHover(null);
              const bin = Math.min(bins - 1, Math.floor(((x - p.left) / (p.right - p.left)) * bins));
              let row = 0;
              for (let i = 0; i < r.rows.length; i++) if (y >= (r.rows[i]?.baseline ?? 0) - rowStep) row = i;
              setHover({ row, bin });
            }}
          >
            <rect x={r.x(0)} y={p.top} width={r.x(e) - r.x(0)} height={p.bottom - p.top} fill="var(--fg)" opacity={0.06} />
            <rect x={r.x(1 - e)} y={p.top} width={r.x(1) - r.x(1 - e)} height={p.bottom - p.top} fill="var(--fg)" opacity={0.06} />
            {r.rows.map((row, i) => {
              const st = hists[i]?.stats;
              return (
                <g key={row.step} opacity={hover && hover.row !== i ? 0.75 : 1}>
                  <path d={row.area} fill="var(--panel)" />
                  <path d={row.area} fill={color} fillOpacity={0.45} />
                  <path d={row.outline} fill="none" stroke={color} strokeWidth={hover?.row === i ? 2 : 1} />
                  <line x1={p.left} x2={p.right} y1={row.baseline} y2={row.baseline} stroke="var(--line)" />
                  <text x={p.left - 6} y={row.baseline} textAnchor="end">
                    step {row.step}
                  </text>
                  <text x={p.right + 4} y={row.baseline} textAnchor="start">
                    {st ? pct(saturatedShare(st, kind, eps)) : ''}
                  </text>
                </g>
              );
            })}
            <g className="axis" transform={`translate(0,${p.bottom})`}>
              <line x1={p.left} x2={p.right} />
              {r.xTicks.map((t) => (
                <g key={t.value} transform={`translate(${t.at},0)`}>
                  <line y2={4} />
                  <text y={15} textAnchor="middle">
                    {t.label}
                  </text>
                </g>
              ))}
            </g>
            <text x={p.right + 4} y={p.top + 2} textAnchor="start" dy="0.7em">
              sat.
            </text>
            {hover ? <rect x={r.x(hover.bin / bins)} y={p.top} width={r.x(1 / bins) - r.x(0)} height={p.bottom - p.top} fill="none" stroke="var(--fg)" strokeOpacity={0.5} /> : null}
          </svg>
          <div className="hint ridge-readout" style={{ minHeight: '2.9em', fontSize: 12 }}>
            {hovered && hover ? (
              <>
                step {hovered.step}: {kind === 'alpha' ? 'α' : 'g'} ∈ [{(hover.bin / bins).toFixed(2)}, {((hover.bin + 1) / bins).toFixed(2)}) holds {pct(hovered.hist[hover.bin] ?? NaN)} (tallest bin {pct(r.rows[hover.row]?.max ?? NaN)}) · mean α {fmt(hovered.stats.mean_alpha)} · memory {fmt(hovered.stats.memory_length)} tokens
                {hovered.stats.mean_r !== undefined ? ` · mean r ${fmt(hovered.stats.mean_r)}` : ''}
              </>
            ) : (
              'Hover a ridge to read its bin.'
            )}
          </div>
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- first vs last

function SnapshotTable({ models, eps, colorOf }: { models: LoadedModel[]; eps: string; colorOf: (k: string) => string }): JSX.Element {
  const layer = useStore((s) => s.layer);
  const setLayer = useStore((s) => s.setLayer);
  return (
    <table className="train-table" data-testid="train-table" style={{ whiteSpace: 'nowrap' }}>
      <thead>
        <tr>
          <th>model</th>
          <th>layer</th>
          <th title={`α within ε = ${eps} of 0 or 1`}>α saturated</th>
          <th title={`g within ε = ${eps} of 0 or 1`}>g saturated</th>
          <th>mean α</th>
          <th title="1 / (1 − mean α), tokens">memory length</th>
          <th title="E[g(1 − g)]: the plain gate's gradient factor">mean g(1−g)</th>
          <th title="Refined gate only: E[r]">mean r</th>
          <th title="Refined gate only: E[∂F/∂g] = E[2(1−r)g + 2r(1−g)]">mean ∂F/∂g</th>
        </tr>
      </thead>
      <tbody>
        {models.flatMap((m) => {
          const log = m.trainingLog;
          if (!log) return [];
          const fl = firstLast(log);
          if (fl.rows.length === 0)
            return [
              <tr key={m.ref.key}>
                <td style={{ color: colorOf(m.ref.key) }}>{m.ref.name}</td>
                <td colSpan={8} className="hint">
                  no gated layers
                </td>
              </tr>,
            ];
          return fl.rows.map((row, i) => {
            const pair = (f: (l: NonNullable<typeof row.first>) => number, show: (v: number) => string): string => `${row.first ? show(f(row.first)) : '—'} → ${row.last ? show(f(row.last)) : '—'}`;
            return (
              <tr key={`${m.ref.key}-${row.layer}`} onClick={() => setLayer(row.layer)} style={{ cursor: 'pointer', background: row.layer === layer ? 'var(--panel2)' : undefined }}>
                <td style={{ color: colorOf(m.ref.key) }}>{i === 0 ? `${m.ref.name} (steps ${fl.firstStep ?? '—'} → ${fl.lastStep ?? '—'})` : ''}</td>
                <td>{row.layer}</td>
                <td>{pair((l) => saturatedShare(l, 'alpha', eps), pct)}</td>
                <td>{pair((l) => saturatedShare(l, 'g', eps), pct)}</td>
                <td>{pair((l) => l.mean_alpha, (v) => fmt(v))}</td>
                <td>{pair((l) => l.memory_length, (v) => fmt(v))}</td>
                <td>{pair((l) => l.mean_g_one_minus_g, (v) => fmt(v))}</td>
                <td>{row.last?.mean_r !== undefined ? pair((l) => l.mean_r ?? NaN, (v) => fmt(v)) : '—'}</td>
                <td>{row.last?.mean_dF_dg !== undefined ? pair((l) => l.mean_dF_dg ?? NaN, (v) => fmt(v)) : '—'}</td>
              </tr>
            );
          });
        })}
      </tbody>
    </table>
  );
}
