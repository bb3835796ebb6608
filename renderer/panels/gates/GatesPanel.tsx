// Gates: heatmaps of the selected gate quantity (g / r / α = F / log α) over the current run's
// analysed tokens — layer × token (mean over the channels of the selected head, or of all heads)
// and channel × token of the selected layer and head — on a linear or logit colour scale, with a
// cursor at the focused token, hover → preview, click → lock, and a readout of the value under the
// pointer.

import { useCallback, useMemo, useRef, useState, type JSX } from 'react';
import type { ModelConfig } from '../../../shaders/index.js';
import { channelByToken, gateQuantities, gatedLayers, type GateField } from '../../session/metrics.js';
import { currentConfig, currentRun, useStore, type GateQuantity, type ValueScale as ScaleKind } from '../../state/store.js';
import type { Run } from '../../state/types.js';
import { Legend } from '../../ui/Legend.js';
import type { Matrix } from '../../viz/heatmap.js';
import { valueScale } from '../../viz/scales.js';
import { cachedGateField } from '../../session/metrics.js';
import { GateHeatmap, HEAT_MARGIN, type Cell } from './GateHeatmap.js';
import {
  QUANTITY_LABELS,
  cellValue,
  effectiveMapping,
  effectiveQuantity,
  formatValue,
  gatelessReason,
  heatDomain,
  kvHead,
  layerTokenMatrix,
  spacedTicks,
  tokenTicks,
} from './matrices.js';
import { useWidth } from '../../ui/useWidth.js';

const LEGEND_W = 240;
const EMPTY: Matrix = { rows: 0, cols: 0, values: new Float32Array(0) };

type Hover = { map: 'layers' | 'channels'; cell: Cell } | null;

export function GatesPanel(): JSX.Element {
  const run = useStore(currentRun);
  const config = useStore(currentConfig);
  const selected = useStore((s) => s.gateQuantity);
  const scaleKind = useStore((s) => s.scale);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const hoverToken = useStore((s) => s.hoverToken);
  const locked = useStore((s) => s.lockedToken);
  const focus = locked ?? hoverToken;
  const [allHeads, setAllHeads] = useState(false);
  const [hover, setHoverCell] = useState<Hover>(null);
  const [drawMs, setDrawMs] = useState<{ layers: number; channels: number }>({ layers: NaN, channels: NaN });
  const root = useRef<HTMLDivElement>(null);
  const width = useWidth(root);

  const analysis = run?.analysis ?? null;
  const available = useMemo(() => (config ? gateQuantities(config) : []), [config]);
  const q = effectiveQuantity(selected, available);
  const mapping = q ? effectiveMapping(q, scaleKind) : 'linear';
  const layers = useMemo(() => (analysis && config ? gatedLayers(analysis, config) : []), [analysis, config]);
  const fields = useMemo(() => {
    if (!analysis || !config || !q) return [];
    return layers.map((l) => cachedGateField(analysis, config, l, q)).filter((f): f is GateField => f !== null);
  }, [analysis, config, q, layers]);

  const shownLayer = nearestLayer(layers, layer);
  const field = fields.find((f) => f.layer === shownLayer) ?? null;
  const H = fields[0]?.H ?? 1;
  const kv = config ? kvHead(config, head, H) : 0;

  const ltm = useMemo(() => layerTokenMatrix(fields, allHeads ? -1 : kv), [fields, allHeads, kv]);
  const ctm = useMemo<Matrix>(() => (field ? { rows: field.C, cols: field.T, values: channelByToken(field, kv) } : EMPTY), [field, kv]);
  const ltScale = useMemo(() => valueScale(heatDomain(ltm.values, mapping), { mapping }), [ltm, mapping]);
  const ctScale = useMemo(() => valueScale(heatDomain(ctm.values, mapping), { mapping }), [ctm, mapping]);

  const onLayersDrawn = useCallback((ms: number) => setDrawMs((d) => ({ ...d, layers: ms })), []);
  const onChannelsDrawn = useCallback((ms: number) => setDrawMs((d) => ({ ...d, channels: ms })), []);

  const header = <h2>Gates</h2>;
  if (!run) return <div ref={root}>{header}</div>;
  const waiting = pendingMessage(run);
  if (waiting) return <div ref={root}>{header}<p className="hint" data-testid="gates-status">{waiting}</p></div>;
  if (!config) return <div ref={root}>{header}<p className="hint" data-testid="gates-status">The model of this run is no longer open.</p></div>;
  const gateless = gatelessReason(config);
  if (!q || gateless)
    return (
      <div ref={root}>
        {header}
        <p className="hint" data-testid="gates-status">
          {run.model.name} is {gateless ?? 'a model without a gate'}: there is no g, r or α to show. Open a gated sample (regla, gla, fast-decay, hybrid-regla, …) and generate.
        </p>
      </div>
    );
  if (fields.length === 0)
    return (
      <div ref={root}>
        {header}
        <p className="hint" data-testid="gates-status">
          No gate tensors were kept for this run (every layer is softmax attention, or the dump kept none).
        </p>
      </div>
    );

  const plotW = Math.max(120, width - 4);
  const pos0 = ltm.pos0;
  const xTicks = tokenTicks(pos0, ltm.cols, Math.max(2, Math.floor((plotW - HEAT_MARGIN.left) / 70)));
  const layerRow = ltm.layers.indexOf(shownLayer);
  const qLabel = QUANTITY_LABELS[q];
  const headLabel = allHeads ? 'all heads' : H < config.numHeads ? `head ${head} (gate head ${kv})` : `head ${kv}`;
  const C = field?.C ?? 0;
  const channelTicks = C > 0 ? channelRows(C) : [];

  const tokenText = (pos: number): string => {
    const t = run.tokens[pos];
    return t ? ` ${JSON.stringify(t.text)}` : '';
  };
  const hoverPos = (c: Cell): number => pos0 + c.col;
  const enter = (map: 'layers' | 'channels') => (c: Cell | null) => {
    setHoverCell(c ? { map, cell: c } : null);
    const st = useStore.getState();
    const pos = c ? hoverPos(c) : null;
    if (st.hoverToken !== pos) st.setHover(pos);
  };

  const readout = ((): string => {
    if (hover?.map === 'layers') {
      const l = ltm.layers[hover.cell.row];
      const pos = hoverPos(hover.cell);
      return `layer ${l} · #${pos}${tokenText(pos)} · ${headLabel} · mean ${qLabel} = ${formatValue(cellValue(ltm, hover.cell.row, hover.cell.col))}`;
    }
    if (hover?.map === 'channels') {
      const pos = hoverPos(hover.cell);
      return `layer ${shownLayer} · head ${kv} · channel ${hover.cell.row} · #${pos}${tokenText(pos)} · ${qLabel} = ${formatValue(cellValue(ctm, hover.cell.row, hover.cell.col))}`;
    }
    if (focus !== null && layerRow >= 0) {
      return `${locked !== null ? 'locked' : 'token'} #${focus}${tokenText(focus)} · layer ${shownLayer} · ${headLabel} · mean ${qLabel} = ${formatValue(cellValue(ltm, layerRow, focus - pos0))}`;
    }
    return 'Hover a cell for its value; click to lock that token (Esc clears); click a layer row or its label to select the layer.';
  })();

  return (
    <div ref={root} className="gates-panel" data-testid="gates-panel">
      {header}
      <div className="panel-controls">
        <span className="inline" role="radiogroup" aria-label="Gate quantity">
          {available.map((k) => (
            <button
              key={k}
              type="button"
              role="radio"
              aria-checked={k === q}
              onClick={() => useStore.getState().setGateQuantity(k)}
              style={k === q ? { borderColor: 'var(--accent)', color: 'var(--accent)' } : undefined}
              data-testid={`gate-q-${k}`}
              title={quantityHelp(k, config)}
            >
              {QUANTITY_LABELS[k]}
            </button>
          ))}
        </span>
        <label className="inline">
          colour scale
          <select value={mapping} onChange={(e) => useStore.getState().setScale(e.target.value as ScaleKind)} data-testid="gates-scale" disabled={q === 'logA'}>
            <option value="linear">linear</option>
            <option value="logit">logit</option>
          </select>
        </label>
        {q === 'logA' ? <span className="hint">log α ≤ 0 is drawn linear</span> : null}
        <label className="inline" title="Layer × token: average the channels of every head instead of the selected one">
          <input type="checkbox" checked={allHeads} onChange={(e) => setAllHeads(e.target.checked)} data-testid="gates-all-heads" /> all heads
        </label>
        <span className="hint">
          {analysis ? `${ltm.cols} tokens · ${fields.length} gated layer${fields.length === 1 ? '' : 's'} · ${H} gate head${H === 1 ? '' : 's'} × ${C} channels` : ''}
        </span>
      </div>
      {layers.length < config.numLayers - config.hybridSoftmaxLayers.length ? (
        <p className="hint">Only layer {layers.join(', ')} was kept for this long sequence (the dump budget); select another layer and generate again to see it.</p>
      ) : null}

      <MapHeader title={`Layer × token — mean ${qLabel} over channels, ${headLabel}`} scale={ltScale} legend={`mean ${qLabel}`} ms={drawMs.layers} testId="gates-layers-ms" />
      <GateHeatmap
        matrix={ltm}
        scale={ltScale}
        width={plotW}
        plotHeight={clamp(ltm.rows * 22, 44, 264)}
        rowTicks={ltm.layers.map((l, row) => ({ row, label: `L${l}` }))}
        pos0={pos0}
        xTicks={xTicks}
        focus={focus}
        locked={locked}
        selectedRow={layerRow >= 0 ? layerRow : null}
        onHover={enter('layers')}
        onClick={(c) => {
          const st = useStore.getState();
          const l = ltm.layers[c.row];
          if (l !== undefined) st.setLayer(l);
          st.toggleLock(hoverPos(c));
        }}
        onRowLabel={(row) => {
          const l = ltm.layers[row];
          if (l !== undefined) useStore.getState().setLayer(l);
        }}
        onDrawn={onLayersDrawn}
        label={`Layer by token heatmap of mean ${qLabel}`}
        testId="gates-layers"
      />

      <MapHeader
        title={`Channel × token — ${qLabel}, layer ${shownLayer}${shownLayer !== layer ? ` (layer ${layer} has no gate)` : ''}, head ${kv}`}
        scale={ctScale}
        legend={qLabel}
        ms={drawMs.channels}
        testId="gates-channels-ms"
      />
      {field ? (
        <GateHeatmap
          matrix={ctm}
          scale={ctScale}
          width={plotW}
          plotHeight={clamp(C * 3, 128, 320)}
          rowTicks={channelTicks.map((c) => ({ row: c, label: `c${c}` }))}
          pos0={field.pos0}
          xTicks={xTicks}
          focus={focus}
          locked={locked}
          selectedRow={null}
          onHover={enter('channels')}
          onClick={(c) => useStore.getState().toggleLock(field.pos0 + c.col)}
          onDrawn={onChannelsDrawn}
          label={`Channel by token heatmap of ${qLabel}, layer ${shownLayer}, head ${kv}`}
          testId="gates-channels"
        />
      ) : null}
      <div className="token-details" data-testid="gates-readout" style={{ marginTop: 6 }}>
        {readout}
      </div>
    </div>
  );
}

function MapHeader({ title, scale, legend, ms, testId }: { title: string; scale: ReturnType<typeof valueScale>; legend: string; ms: number; testId: string }): JSX.Element {
  return (
    <div style={{ display: 'flex', alignItems: 'flex-end', justifyContent: 'space-between', gap: 12, margin: '8px 0 2px', flexWrap: 'wrap' }}>
      <h3 style={{ margin: 0 }}>{title}</h3>
      <span style={{ display: 'inline-flex', alignItems: 'flex-end', gap: 10 }}>
        <span className="hint" style={{ fontSize: 11 }} data-testid={testId} data-ms={Number.isFinite(ms) ? ms.toFixed(2) : ''}>
          {Number.isFinite(ms) ? `drawn in ${ms.toFixed(1)} ms` : ''}
        </span>
        <Legend scale={spacedTicks(scale, LEGEND_W)} label={`${legend} (${scale.mapping})`} width={LEGEND_W} />
      </span>
    </div>
  );
}

/** Why a run has nothing to show yet, or null when its analysis is there. */
function pendingMessage(run: Run): string | null {
  if (run.analysis) return null;
  switch (run.status) {
    case 'loading':
    case 'generating':
      return 'Generating… the gate maps come from the analysis prefill that runs when generation ends.';
    case 'analyzing':
      return 'Analyzing the sequence (one prefill with capture and tensor dumps)…';
    case 'cancelled':
      return 'This run was cancelled before its analysis: generate again to see its gates.';
    case 'error':
      return `This run failed${run.error ? `: ${run.error}` : ''}. Nothing to show.`;
    default:
      return 'This run has no analysis.';
  }
}

function quantityHelp(q: GateQuantity, config: ModelConfig): string {
  switch (q) {
    case 'g':
      return 'base gate g = σ(a)';
    case 'r':
      return 'refining gate r = σ(c)';
    case 'F':
      return config.gate === 'refined'
        ? `forget gate α = F = (1−r)g² + r(1−(1−g)²)${config.gateLogitNormalizer !== 1 ? `, to the power 1/τ (τ = ${config.gateLogitNormalizer})` : ''}`
        : `forget gate α${config.gateLogitNormalizer !== 1 ? ` = σ(a)^(1/τ), τ = ${config.gateLogitNormalizer}` : ' = σ(a)'}`;
    case 'logA':
      return 'log α (what the kernels accumulate)';
  }
}

/** The gated layer nearest to `layer` (itself when gated). */
function nearestLayer(layers: readonly number[], layer: number): number {
  let best = layers[0] ?? layer;
  for (const l of layers) if (Math.abs(l - layer) < Math.abs(best - layer)) best = l;
  return best;
}

/** A few channel rows to label: 0, quarters, last. */
function channelRows(C: number): number[] {
  const set = new Set([0, Math.floor(C / 4), Math.floor(C / 2), Math.floor((3 * C) / 4), C - 1]);
  return [...set].filter((c) => c >= 0 && c < C).sort((a, b) => a - b);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
