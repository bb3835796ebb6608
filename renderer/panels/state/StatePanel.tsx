// State: for the selected layer, ‖S_t‖_F per kv head over tokens (the selected head highlighted,
// linear or log y), ‖o_t‖ of the selected head before the output norm and ‖y_t‖ after it, and the
// effective memory length τ = 1 / (1 − mean α) per channel as a heads × channels heatmap plus the
// selected head's bars (sortable). Hovering a token chart previews that token; click locks it.

import { useMemo, useRef, useState, type JSX } from 'react';
import { currentConfig, currentRun, focusToken, useStore } from '../../state/store.js';
import { TokenLines, type LineSeries } from '../../ui/TokenLines.js';
import { useWidth } from '../../ui/useWidth.js';
import { formatNumber, seriesColor, seriesExtent, type YMapping } from '../../viz/lines.js';
import { MemoryHeatmap } from './MemoryHeatmap.js';
import { channelOrder, channelRow, memoryLengths, outputNorms, stateNorms } from './data.js';

export function StatePanel(): JSX.Element {
  const run = useStore(currentRun);
  const config = useStore(currentConfig);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const focus = useStore(focusToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const setHead = useStore((s) => s.setHead);
  const [logY, setLogY] = useState(false);
  const [sorted, setSorted] = useState(true);
  const [gatePoint, setGatePoint] = useState<'gate.logA' | 'gate.logD'>('gate.logA');
  const [barHover, setBarHover] = useState<number | null>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const width = useWidth(boxRef);

  const analysis = run?.analysis ?? null;
  const Hq = config?.numHeads ?? 1;
  const Hkv = config?.numKvHeads ?? 1;
  const group = Math.max(1, Math.round(Hq / Hkv));
  const h = Math.min(head, Hq - 1);
  const kh = Math.min(Hkv - 1, Math.floor(h / group));
  const mapping: YMapping = logY ? 'log' : 'linear';

  const norms = useMemo(() => (analysis ? stateNorms(analysis, layer) : null), [analysis, layer]);
  const outs = useMemo(() => (analysis ? outputNorms(analysis, layer, h) : { before: null, after: null }), [analysis, layer, h]);
  const hasLogD = useMemo(() => (analysis ? memoryLengths(analysis, layer, 'gate.logD') !== null : false), [analysis, layer]);
  const point = hasLogD ? gatePoint : 'gate.logA';
  const mem = useMemo(() => (analysis ? memoryLengths(analysis, layer, point) : null), [analysis, layer, point]);
  const memHead = mem ? Math.min(kh, mem.rows - 1) : 0;
  const memRow = useMemo(() => (mem ? channelRow(mem, memHead) : null), [mem, memHead]);
  const order = useMemo(() => (memRow ? channelOrder(memRow, sorted) : []), [memRow, sorted]);
  const bars = useMemo(() => (memRow ? Float64Array.from(order, (c) => memRow[c] as number) : new Float64Array(0)), [memRow, order]);

  if (!run) return <p className="hint">Generate some text first: this panel shows the recurrent state's norms and memory of the analyzed sequence.</p>;
  if (!analysis || !config) return <p className="hint">Waiting for the analysis of the run ({run.status})…</p>;
  const softmax = config.hybridSoftmaxLayers.includes(layer);

  const stateSeries: LineSeries[] = (norms ?? []).map((values, i) => ({
    key: `h${i}`,
    label: `kv head ${i}`,
    values,
    color: seriesColor(i, norms?.length ?? 1),
    width: i === kh ? 2.6 : 1.2,
    opacity: i === kh ? 1 : 0.5,
  }));
  const half = Math.max(260, Math.floor((width - 12) / 2));
  const barPick = barHover !== null && barHover < order.length ? barHover : null;

  return (
    <div ref={boxRef} data-testid="state-panel">
      <div className="panel-controls">
        <span>
          layer {layer} · head {h} (kv head {kh}) · {run.tokens.length} tokens
        </span>
        <label className="inline">
          <input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} data-testid="state-log" /> log y
        </label>
      </div>
      {softmax ? (
        <p className="hint" data-testid="state-softmax">
          Layer {layer} is a softmax attention layer: it keeps a KV cache, not a recurrent state. Pick a linear layer with [ / ].
        </p>
      ) : null}
      <h3>‖S_t‖ per kv head</h3>
      <p className="hint" style={{ margin: '0 0 4px' }}>
        Frobenius norm of the recurrent state after each token (S_t = α_t ⊙ S_t−1 + φ(k_t) v_tᵀ): growth means the state accumulates, a plateau means the gates forget as fast as it writes.
      </p>
      {norms ? (
        <TokenLines series={stateSeries} x0={0} n={analysis.T} width={width} height={200} yLabel="‖S_t‖_F" yMapping={mapping} focus={focus} onHover={setHover} onClick={toggleLock} testId="state-norms" />
      ) : (
        <p className="hint">No ‖S_t‖ record for layer {layer} (softmax layer, or the analysis ran without the token-state capture).</p>
      )}
      <h3>‖o_t‖ before and after the output norm</h3>
      <p className="hint" style={{ margin: '0 0 4px' }}>
        Left: norm of head {h}'s read-out o_t = S_tᵀφ(q_t) (scaled) before the output norm; right: ‖y_t‖ of all heads after the norm and output gate — the norm hides how large the raw read-out gets.
      </p>
      <div className="panel-row">
        {outs.before ? (
          <TokenLines series={[{ key: 'o', label: `‖o_t‖ head ${h}`, values: outs.before, color: seriesColor(0, 2) }]} x0={0} n={analysis.T} width={half} height={170} yLabel="‖o_t‖ (pre-norm)" yMapping={mapping} focus={focus} onHover={setHover} onClick={toggleLock} testId="o-before" />
        ) : (
          <p className="hint">No ‖o_t‖ record for this layer.</p>
        )}
        {outs.after ? (
          <TokenLines series={[{ key: 'y', label: '‖y_t‖ (all heads)', values: outs.after, color: seriesColor(1, 2) }]} x0={0} n={analysis.T} width={half} height={170} yLabel="‖y_t‖ (post-norm)" yMapping={mapping} focus={focus} onHover={setHover} onClick={toggleLock} testId="o-after" />
        ) : null}
      </div>
      <h3>Effective memory length per channel</h3>
      <div className="panel-controls">
        <span className="hint">τ = 1 / (1 − mean α) over the analyzed tokens: about how many tokens a channel remembers (τ = 1: forgets at once).</span>
        {mem ? (
          <label className="inline">
            <input type="checkbox" checked={sorted} onChange={(e) => setSorted(e.target.checked)} data-testid="memory-sorted" /> sort by τ (kv head {memHead})
          </label>
        ) : null}
        {hasLogD ? (
          <label className="inline">
            gate
            <select value={point} onChange={(e) => setGatePoint(e.target.value as 'gate.logA' | 'gate.logD')}>
              <option value="gate.logA">key side (log α)</option>
              <option value="gate.logD">value side (log D)</option>
            </select>
          </label>
        ) : null}
      </div>
      {mem && memRow ? (
        <>
          <MemoryHeatmap m={mem} order={order} head={memHead} width={width} onPickHead={(r) => setHead(r * group)} />
          <TokenLines
            series={[{ key: 'tau', label: `τ kv head ${memHead}`, values: bars, color: seriesColor(1, 3), bars: true }]}
            x0={0}
            n={bars.length}
            width={width}
            height={170}
            yLabel="τ (tokens)"
            yMapping="log"
            yDomain={[1, Math.max(2, seriesExtent([bars], 'log')?.[1] ?? 2) * 1.1]}
            xLabel={sorted ? 'channel rank (longest memory first)' : 'channel'}
            focus={barPick}
            onHover={setBarHover}
            testId="memory-bars"
          />
          <div style={{ fontSize: 11, color: 'var(--muted)', paddingLeft: 52 }}>
            {barPick !== null ? (
              <>
                channel {order[barPick]}: τ <code>{formatNumber(bars[barPick] as number)}</code> tokens, mean α <code>{formatNumber(mem.meanAlpha ? (mem.meanAlpha[memHead * mem.cols + (order[barPick] as number)] as number) : NaN)}</code>
              </>
            ) : (
              'point at a bar for its channel'
            )}
          </div>
        </>
      ) : (
        <p className="hint">{config.gate === 'none' ? 'This model has no forget gate: α = 1, the state never forgets (τ = ∞).' : `No per-channel gate record for layer ${layer}.`}</p>
      )}
    </div>
  );
}
