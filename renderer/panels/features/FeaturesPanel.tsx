// Feature maps: for the selected layer and head, the distributions of φ(q) and φ(k) from the
// analysis dumps (zero share, the focused token's values as a rug), per-token max and mean of φ(k)
// (exp_norm folds the running key max into log α, so this is what is left to see of it), the
// per-token entropy of φ, a per-head table of sparsity and entropy, and per-layer boundedness.

import { useMemo, useRef, useState, type JSX } from 'react';
import { currentConfig, currentRun, focusToken, useStore } from '../../state/store.js';
import type { CaptureRecord } from '../../../shaders/index.js';
import { dumpKey, type DumpTensor } from '../../state/types.js';
import { useWidth } from '../../ui/useWidth.js';
import { TokenLines } from '../../ui/TokenLines.js';
import { distribution, maxCount, niceDomain } from '../../viz/distribution.js';
import { formatNumber, seriesColor } from '../../viz/lines.js';
import { DistributionChart } from './DistributionChart.js';
import {
  PHI_ZERO,
  boundedness,
  dumpShape,
  expectedRange,
  headValues,
  kvHeadOf,
  perTokenMaxMean,
  recordHeadValue,
  recordSeries,
  recordsAt,
  tokenValues,
  valueStats,
  type BoundRow,
} from './data.js';

const Q_COLOR = seriesColor(0, 2);
const K_COLOR = seriesColor(1, 2);

export function FeaturesPanel(): JSX.Element {
  const run = useStore(currentRun);
  const config = useStore(currentConfig);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const focus = useStore(focusToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const setLayer = useStore((s) => s.setLayer);
  const [logCounts, setLogCounts] = useState(true);
  const boxRef = useRef<HTMLDivElement>(null);
  const width = useWidth(boxRef);

  const analysis = run?.analysis ?? null;
  const q = analysis?.dumps.get(dumpKey('phi.q', layer));
  const k = analysis?.dumps.get(dumpKey('phi.k', layer));
  const Hq = q ? dumpShape(q).H : (config?.numHeads ?? 1);
  const Hkv = k ? dumpShape(k).H : (config?.numKvHeads ?? 1);
  const D = q ? dumpShape(q).D : k ? dumpShape(k).D : 0;
  const h = Math.min(head, Math.max(0, Hq - 1));
  const kh = kvHeadOf(h, Hq, Hkv);
  const map = config?.featureMap ?? 'identity';
  const range = expectedRange(map);

  const qVals = useMemo(() => (q ? headValues(q, h) : new Float32Array(0)), [q, h]);
  const kVals = useMemo(() => (k ? headValues(k, kh) : new Float32Array(0)), [k, kh]);
  const qStats = useMemo(() => valueStats(qVals), [qVals]);
  const kStats = useMemo(() => valueStats(kVals), [kVals]);
  const dists = useMemo(() => {
    const bounded = Number.isFinite(range.lo) && Number.isFinite(range.hi);
    let domain: [number, number];
    if (bounded) domain = [range.lo, range.hi];
    else {
      const lo = Math.min(qStats.min, kStats.min);
      const hi = Math.max(qStats.max, kStats.max);
      domain = Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? niceDomain(lo, hi, 10) : [0, 1];
    }
    const dq = distribution(qVals, { bins: 40, domain });
    const dk = distribution(kVals, { bins: 40, domain });
    return { dq, dk, top: maxCount(dq, dk) };
  }, [qVals, kVals, qStats, kStats, range.lo, range.hi]);
  const kSeries = useMemo(() => (k ? perTokenMaxMean(k, kh) : null), [k, kh]);
  const entropy = useMemo(() => {
    if (!analysis) return null;
    const rq = recordsAt(analysis, 'phi.q', layer);
    const rk = recordsAt(analysis, 'phi.k', layer);
    return {
      rq,
      rk,
      q: recordSeries(rq, (r) => r.tokenEntropy, h, analysis.T),
      k: recordSeries(rk, (r) => r.tokenEntropy, kh, analysis.T),
    };
  }, [analysis, layer, h, kh]);
  const bounds = useMemo(() => (analysis && config ? boundedness(analysis, config.numLayers, config.hybridSoftmaxLayers, map) : []), [analysis, config, map]);

  if (!run) return <p className="hint">Generate some text first: this panel shows the feature maps φ(q), φ(k) of the analyzed sequence.</p>;
  if (!analysis || !config) return <p className="hint">Waiting for the analysis of the run ({run.status})…</p>;

  const softmax = config.hybridSoftmaxLayers.includes(layer);
  const rugQ = focus !== null && q ? tokenValues(q, h, focus) : new Float32Array(0);
  const rugK = focus !== null && k ? tokenValues(k, kh, focus) : new Float32Array(0);
  const half = Math.max(260, Math.floor((width - 16) / 2));
  const x0 = k?.pos0 ?? q?.pos0 ?? 0;

  return (
    <div ref={boxRef} className="features-panel" data-testid="features-panel">
      <div className="panel-controls">
        <span>
          layer {layer} · head {h} (kv head {kh}) · feature map <b style={{ color: 'var(--fg)' }}>{map}</b> ({range.text}){D > 0 ? ` · dk′ = ${D}` : ''}
          {map === 'hedgehog' ? ' (hedgehog doubles dk: [2(Wx+b), −2(Wx+b)])' : ''}
        </span>
        <label className="inline">
          <input type="checkbox" checked={logCounts} onChange={(e) => setLogCounts(e.target.checked)} data-testid="features-log" /> log counts
        </label>
      </div>
      {softmax ? (
        <p className="hint" data-testid="features-softmax">
          Layer {layer} is a softmax attention layer: it has no feature map. Pick a linear layer ([ / ] or the table below).
        </p>
      ) : !q || !k ? (
        <p className="hint">Layer {layer} has no φ dump (the analysis kept only some layers, or this variant does not tap φ).</p>
      ) : (
        <>
          <h3>Distributions of φ(q) and φ(k)</h3>
          <p className="hint" style={{ margin: '0 0 4px' }}>
            All values of head {h}'s φ(q) (kv head {kh}'s φ(k)) over {q.rows} tokens × {D} features; zeros are entries ≤ {PHI_ZERO}; white ticks mark the focused token's features.
          </p>
          <div className="panel-row">
            <div>
              <DistributionChart dist={dists.dq} top={dists.top} width={half} height={170} color={Q_COLOR} label="φ(q)" logCounts={logCounts} rug={rugQ} rugLabel={`φ(q) of token #${focus ?? ''}`} testId="phi-q-hist" />
              <StatLine s={qStats} />
            </div>
            <div>
              <DistributionChart dist={dists.dk} top={dists.top} width={half} height={170} color={K_COLOR} label="φ(k)" logCounts={logCounts} rug={rugK} rugLabel={`φ(k) of token #${focus ?? ''}`} testId="phi-k-hist" />
              <StatLine s={kStats} />
            </div>
          </div>
          <h3>Key max over time: per-token max and mean of φ(k)</h3>
          <p className="hint" style={{ margin: '0 0 4px' }}>
            {map === 'exp_norm'
              ? 'exp_norm subtracts the causal running key max and folds it into log α, so it is not kept; shown instead: max and mean of φ(k) per token (max = 1 where the token sets a new running max).'
              : 'The largest and the mean feature of φ(k) per token for this kv head: how peaked each key is.'}
          </p>
          {kSeries ? (
            <TokenLines
              series={[
                { key: 'max', label: 'max φ(k)', values: kSeries.max, color: K_COLOR, width: 1.8 },
                { key: 'mean', label: 'mean φ(k)', values: kSeries.mean, color: Q_COLOR, width: 1.5, dash: '4 2' },
              ]}
              x0={x0}
              n={k.rows}
              width={width}
              height={170}
              yLabel="φ(k)"
              {...(map === 'exp_norm' || map === 'hedgehog' ? { rules: [{ value: 1, label: 'bound 1' }] } : {})}
              focus={focus}
              onHover={setHover}
              onClick={toggleLock}
              testId="phi-k-max"
            />
          ) : null}
          <h3>Entropy of φ per token</h3>
          <p className="hint" style={{ margin: '0 0 4px' }}>
            Entropy (nats) of p = φ / Σφ per token: ln {D} = {Math.log(Math.max(1, D)).toFixed(2)} means every feature equal, 0 means one feature carries everything.
          </p>
          {entropy && (entropy.rq.length > 0 || entropy.rk.length > 0) ? (
            <TokenLines
              series={[
                { key: 'q', label: `φ(q) head ${h}`, values: entropy.q, color: Q_COLOR },
                { key: 'k', label: `φ(k) kv head ${kh}`, values: entropy.k, color: K_COLOR },
              ]}
              x0={0}
              n={analysis.T}
              width={width}
              height={160}
              yLabel="entropy (nats)"
              rules={[{ value: Math.log(Math.max(1, D)), label: `ln ${D}` }]}
              yDomain={[0, Math.log(Math.max(2, D)) * 1.05]}
              focus={focus}
              onHover={setHover}
              onClick={toggleLock}
              testId="phi-entropy"
            />
          ) : (
            <p className="hint">No φ statistics were captured for this layer.</p>
          )}
          {entropy ? <HeadTable Hq={Hq} Hkv={Hkv} head={h} rq={entropy.rq} rk={entropy.rk} q={q} k={k} /> : null}
        </>
      )}
      <h3>Boundedness per layer</h3>
      <p className="hint" style={{ margin: '0 0 4px' }}>
        min / max of φ(q) and φ(k) over all heads and tokens; {map}'s range is {range.text}: values outside it are flagged. Click a row to select the layer.
      </p>
      <BoundsTable rows={bounds} layer={layer} onPick={setLayer} />
    </div>
  );
}

function StatLine({ s }: { s: ReturnType<typeof valueStats> }): JSX.Element {
  return (
    <div style={{ fontSize: 11, color: 'var(--muted)', paddingLeft: 48 }}>
      min <code>{formatNumber(s.min)}</code> · max <code>{formatNumber(s.max)}</code> · mean <code>{formatNumber(s.mean)}</code> · zeros{' '}
      <code>{Number.isFinite(s.zeroShare) ? `${(s.zeroShare * 100).toFixed(1)}%` : '—'}</code>
    </div>
  );
}

function HeadTable(p: {
  Hq: number;
  Hkv: number;
  head: number;
  rq: readonly CaptureRecord[];
  rk: readonly CaptureRecord[];
  q: DumpTensor;
  k: DumpTensor;
}): JSX.Element {
  const setHead = useStore((s) => s.setHead);
  const rows = useMemo(
    () =>
      Array.from({ length: p.Hq }, (_, hq) => {
        const kh = kvHeadOf(hq, p.Hq, p.Hkv);
        // The capture's own counts first; the dump's values where the record lacks them.
        const zq = recordHeadValue(p.rq, (r) => r.phiSparsity, hq);
        const zk = recordHeadValue(p.rk, (r) => r.phiSparsity, kh);
        return {
          hq,
          kh,
          zq: Number.isFinite(zq) ? zq : valueStats(headValues(p.q, hq)).zeroShare,
          zk: Number.isFinite(zk) ? zk : valueStats(headValues(p.k, kh)).zeroShare,
          eq: recordHeadValue(p.rq, (r) => r.phiEntropy, hq),
          ek: recordHeadValue(p.rk, (r) => r.phiEntropy, kh),
        };
      }),
    [p.Hq, p.Hkv, p.rq, p.rk, p.q, p.k],
  );
  const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—');
  const nat = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '—');
  return (
    <>
      <h3>Sparsity and entropy per head (this layer)</h3>
      <table data-testid="phi-head-table">
        <thead>
          <tr>
            <th>head</th>
            <th>kv</th>
            <th>zeros φ(q)</th>
            <th>zeros φ(k)</th>
            <th>mean entropy φ(q)</th>
            <th>mean entropy φ(k)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.hq} onClick={() => setHead(r.hq)} style={{ cursor: 'pointer', color: r.hq === p.head ? 'var(--accent)' : undefined }}>
              <td>{r.hq}</td>
              <td>{r.kh}</td>
              <td>{pct(r.zq)}</td>
              <td>{pct(r.zk)}</td>
              <td>{nat(r.eq)}</td>
              <td>{nat(r.ek)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function BoundsTable({ rows, layer, onPick }: { rows: BoundRow[]; layer: number; onPick: (l: number) => void }): JSX.Element {
  const f = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : formatNumber(v));
  return (
    <table data-testid="phi-bounds">
      <thead>
        <tr>
          <th>layer</th>
          <th>min φ(q)</th>
          <th>max φ(q)</th>
          <th>min φ(k)</th>
          <th>max φ(k)</th>
          <th>check</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.layer} onClick={() => onPick(r.layer)} style={{ cursor: 'pointer', color: r.layer === layer ? 'var(--accent)' : undefined }} data-flagged={r.flags.length > 0 ? 'true' : 'false'}>
            <td>{r.layer}</td>
            {r.kind === 'linear' ? (
              <>
                <td>{f(r.q?.min)}</td>
                <td>{f(r.q?.max)}</td>
                <td>{f(r.k?.min)}</td>
                <td>{f(r.k?.max)}</td>
                <td style={{ color: r.flags.length > 0 ? 'var(--bad)' : 'var(--ok)' }}>{r.flags.length > 0 ? `⚠ ${r.flags.join(', ')}` : 'ok'}</td>
              </>
            ) : (
              <td colSpan={5} style={{ color: 'var(--muted)' }}>
                {r.kind === 'softmax' ? 'softmax layer (no feature map)' : 'not dumped'}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
