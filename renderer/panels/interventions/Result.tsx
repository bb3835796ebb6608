// The result of a re-run: the baseline against the intervened run. A token-aligned text diff (the
// common prefix, the first divergence outlined), then the baseline's tokens scored teacher-forced by
// both models (Runner.crossScore, each under its own interventions): Δ log p per token on a diverging
// colour scale with a numeric legend, KL per token, totals and the largest changes; buttons put the
// pair into Compare or make either run the one every panel shows.

import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { useServices } from '../../session/RunnerContext.js';
import { runLabel } from '../../session/interventions.js';
import { describe } from '../../session/runner.js';
import { focusToken, useStore } from '../../state/store.js';
import type { Run, TokenView } from '../../state/types.js';
import { Legend } from '../../ui/Legend.js';
import { useWidth } from '../../ui/useWidth.js';
import { runColor } from '../../viz/compare.js';
import { finiteExtent, symmetric, valueScale } from '../../viz/scales.js';
import { DELTA_COLOR, DeltaChart, KL_COLOR } from './DeltaChart.js';
import { deltaSummary, largestDeltas, logprobDeltas, signed, tokenDiff, type LogprobDeltas, type TokenDiff } from './logic.js';

const settled = (r: Run): boolean => r.status === 'done' || r.status === 'cancelled';
const show = (t: TokenView | null | undefined): string => (t ? (t.text === '' ? '·' : t.text) : '');
const f4 = (v: number): string => (Number.isFinite(v) ? v.toFixed(4).replace('-', '−') : '—');

export function Result({ base, other }: { base: Run; other: Run }): JSX.Element {
  const setCompare = useStore((s) => s.setCompare);
  const setPanel = useStore((s) => s.setPanel);
  const setCurrentRun = useStore((s) => s.setCurrentRun);
  const currentId = useStore((s) => s.currentRun);
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 800);
  const diff = useMemo(() => tokenDiff(base.tokens, other.tokens), [base.tokens, other.tokens]);
  const scores = useDeltas(base, other);

  return (
    <section ref={box} data-testid="int-result" style={{ marginTop: 14 }}>
      <h2>Baseline vs intervened</h2>
      <div className="panel-controls" style={{ marginBottom: 4 }}>
        <span className="badge" style={{ color: runColor(0), borderColor: runColor(0) }} data-testid="int-base-label">
          baseline {base.id} · {runLabel(base)} · {base.status}
        </span>
        <span className="badge" style={{ color: runColor(1), borderColor: runColor(1) }} data-testid="int-other-label">
          intervened {other.id} · {runLabel(other)} · {other.status}
        </span>
      </div>
      <div className="panel-controls">
        <button
          type="button"
          onClick={() => {
            setCompare([base.id, other.id]);
            setPanel('compare');
          }}
          data-testid="int-compare"
          title="Put both runs into the Compare panel (gate heatmaps and their difference, log p, exact KL, kernel time deltas)"
        >
          Compare these two
        </button>
        <span>every panel shows</span>
        <button type="button" onClick={() => setCurrentRun(base.id)} disabled={currentId === base.id} data-testid="int-show-base" title="Make the baseline the run every panel shows">
          the baseline
        </button>
        <button type="button" onClick={() => setCurrentRun(other.id)} disabled={currentId === other.id} data-testid="int-show-other" title="Make the intervened run the one every panel shows">
          the intervened run
        </button>
        <span className="hint">(now: {currentId === base.id ? 'baseline' : currentId === other.id ? 'intervened' : (currentId ?? 'none')})</span>
      </div>

      <h3>Text, token by token (top: baseline, bottom: intervened)</h3>
      <DiffView diff={diff} promptLength={base.promptLength} />

      <h3>Δ log p of the baseline’s tokens under the intervened model (teacher-forced: both models score the baseline’s {base.tokens.length} tokens)</h3>
      {scores.d ? (
        <Deltas d={scores.d} base={base} width={width} />
      ) : (
        <p className="hint" data-testid="int-delta-status">
          {scores.error ? `Scoring failed: ${scores.error}` : !settled(base) || !settled(other) ? 'Waiting for both runs to finish…' : 'Scoring the baseline’s tokens with both models…'}
        </p>
      )}
    </section>
  );
}

/** Both models score the baseline's tokens, each under its own interventions; recomputed when either run changes. */
function useDeltas(base: Run, other: Run): { d: LogprobDeltas | null; error: string | null } {
  const { runner } = useServices();
  const key = `${base.id}:${base.status}:${base.tokens.length}|${other.id}:${other.status}`;
  const [state, setState] = useState<{ key: string; d: LogprobDeltas | null; error: string | null }>({ key: '', d: null, error: null });
  useEffect(() => {
    if (!runner || !settled(base) || !settled(other)) return;
    let live = true;
    runner
      .crossScore(
        base.tokens.map((t) => t.id),
        [
          { key: base.model.key, interventions: base.interventions },
          { key: other.model.key, interventions: other.interventions },
        ],
      )
      .then(
        (s) => live && setState({ key, d: logprobDeltas(s), error: null }),
        (e: unknown) => live && setState({ key, d: null, error: describe(e) }),
      );
    return () => {
      live = false;
    };
    // The key names everything the scores depend on.
  }, [runner, key]);
  return state.key === key ? state : { d: null, error: null };
}

function DiffView({ diff, promptLength }: { diff: TokenDiff; promptLength: number }): JSX.Element {
  const focus = useStore(focusToken);
  const locked = useStore((s) => s.lockedToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const d = diff.divergence;
  const first = d !== null ? diff.columns[d] : undefined;
  return (
    <>
      <div className="tokens" data-testid="int-diff" onMouseLeave={() => setHover(null)} style={{ display: 'flex', flexWrap: 'wrap', rowGap: 6, whiteSpace: 'pre' }}>
        {diff.columns.map((c) => {
          const after = d !== null && c.pos > d;
          const isDiv = c.pos === d;
          return (
            <span
              key={c.pos}
              data-pos={c.pos}
              data-same={c.same ? '1' : '0'}
              className={`${isDiv ? 'int-divergence' : ''}`}
              onMouseEnter={() => setHover(c.pos)}
              onClick={() => toggleLock(c.pos)}
              title={`#${c.pos}${c.same ? '' : ' (differs)'}`}
              style={{
                display: 'inline-flex',
                flexDirection: 'column',
                cursor: 'pointer',
                outline: isDiv ? '2px solid var(--bad)' : c.pos === locked ? '2px solid var(--accent)' : c.pos === focus ? '1px solid var(--fg)' : undefined,
                borderRadius: 2,
                opacity: c.pos < promptLength ? 0.6 : 1,
              }}
            >
              <span className="tok" style={{ color: runColor(0), textDecoration: c.pos < promptLength ? 'underline dotted var(--muted)' : undefined }}>
                {show(c.base) || ' '}
              </span>
              <span className="tok" style={{ color: c.same ? runColor(0) : runColor(1), background: !c.same ? 'rgba(230,159,0,0.14)' : undefined, opacity: after && c.same ? 0.7 : 1 }}>
                {show(c.other) || ' '}
              </span>
            </span>
          );
        })}
      </div>
      <p className="hint" style={{ margin: '4px 0' }} data-testid="int-diff-summary">
        {d === null
          ? `Identical: the intervened run generated exactly the baseline’s ${diff.columns.length} tokens (their probabilities still change, below).`
          : `Same tokens up to #${d - 1} (the prompt is #0–#${promptLength - 1}); first divergence at #${d}: ${JSON.stringify(show(first?.base)) || '(end)'} → ${first?.other ? JSON.stringify(show(first.other)) : '(end)'}${diff.sameAfter > 0 ? `; after it ${diff.sameAfter} position(s) still agree, in different contexts` : ''}.`}
      </p>
    </>
  );
}

function Deltas({ d, base, width }: { d: LogprobDeltas; base: Run; width: number }): JSX.Element {
  const focus = useStore(focusToken);
  const locked = useStore((s) => s.lockedToken);
  const setHover = useStore((s) => s.setHover);
  const toggleLock = useStore((s) => s.toggleLock);
  const scale = useMemo(() => valueScale(symmetric(finiteExtent(d.delta)), { map: 'diverging' }), [d]);
  const all = useMemo(() => deltaSummary(d), [d]);
  const gen = useMemo(() => deltaSummary(d, base.promptLength), [d, base.promptLength]);
  const top = useMemo(() => largestDeltas(d, 5), [d]);
  const tokens = base.tokens.slice(0, d.T);
  const f = focus !== null && focus < d.T ? focus : null;
  const ft = f !== null ? tokens[f] : undefined;
  return (
    <>
      <div className="tokens" data-testid="int-delta-tokens" onMouseLeave={() => setHover(null)}>
        {tokens.map((t) => {
          const v = d.delta[t.pos] as number;
          const p = scale.position(v);
          const bg = Number.isFinite(v) ? scale.color(v) : undefined;
          return (
            <span
              key={t.pos}
              className={`tok${t.prompt ? ' prompt' : ''}${t.pos === focus ? ' focus' : ''}${t.pos === locked ? ' locked' : ''}`}
              style={bg ? { background: bg, color: Math.abs(p - 0.5) > 0.3 ? '#f4f4f4' : '#111' } : undefined}
              data-pos={t.pos}
              data-delta={Number.isFinite(v) ? v : ''}
              onMouseEnter={() => setHover(t.pos)}
              onClick={() => toggleLock(t.pos)}
              title={`#${t.pos} Δ log p ${signed(v)}`}
            >
              {show(t)}
            </span>
          );
        })}
      </div>
      <Legend scale={scale} label="Δ log p (nats) = log p intervened − log p baseline" width={Math.min(360, width)} />
      <div className="token-details" data-testid="int-focus" style={{ margin: '6px 0' }}>
        {ft && f !== null ? (
          <>
            <div>
              <b>#{f}</b> <code>{JSON.stringify(ft.text)}</code> {ft.prompt ? '(prompt)' : ''}
            </div>
            <div>
              log p baseline {f4(d.base[f] as number)} → intervened {f4(d.other[f] as number)} · Δ log p {signed(d.delta[f] as number)} · KL {f4(d.kl[f] as number)} nats
              {f === 0 ? ' (the first token has no prediction)' : ''}
            </div>
          </>
        ) : (
          <div className="hint">Hover or click a token (here, in the diff or in the prompt panel) to read its log p under both models, Δ log p and KL.</div>
        )}
      </div>
      <div data-testid="int-totals" style={{ fontSize: 12, margin: '4px 0 8px' }}>
        <div>
          all {all.n} predicted tokens: Σ Δ log p <b>{signed(all.sumDelta)}</b> nats (mean {signed(all.meanDelta)}) · total KL <b>{f4(all.sumKl)}</b> nats (mean {f4(all.meanKl)}
          {all.maxKlPos >= 0 ? `, largest ${f4(all.maxKl)} at #${all.maxKlPos}` : ''})
        </div>
        <div>
          the {gen.n} generated tokens (#{base.promptLength}…): Σ Δ log p {signed(gen.sumDelta)} nats · total KL {f4(gen.sumKl)} nats
        </div>
      </div>
      <div className="panel-controls" style={{ marginBottom: 2 }}>
        <span style={{ color: DELTA_COLOR }}>— Δ log p</span>
        <span style={{ color: KL_COLOR }}>- - KL(p_baseline ‖ p_intervened)</span>
        <span>per token (nats; the prompt shaded)</span>
      </div>
      <DeltaChart d={d} width={width} promptLength={base.promptLength} />
      {top.length > 0 ? (
        <div className="panel-controls" data-testid="int-largest" style={{ marginTop: 6 }}>
          <span>largest |Δ log p|:</span>
          {top.map((x) => (
            <button key={x.pos} type="button" onClick={() => toggleLock(x.pos)} onMouseEnter={() => setHover(x.pos)} title="Lock this token">
              #{x.pos} {JSON.stringify(show(tokens[x.pos]))} {signed(x.delta, 3)}
            </button>
          ))}
        </div>
      ) : null}
    </>
  );
}
