// Per-token comparisons of the compared runs over the shared token window: each run's log p of its
// own tokens (one line per run); the exact KL(p_0 ‖ p_i) per token, from every run's model (under that
// run's interventions) scoring run 0's token sequence with full logits (Runner.crossScore), with the top-3 approximation as the fallback
// while scoring runs or where it cannot (vocabularies differ); and a table of mean log p / perplexity.

import { useEffect, useMemo, useState, type JSX } from 'react';
import { useServices } from '../../session/RunnerContext.js';
import { describe } from '../../session/runner.js';
import { runLabel } from '../../session/interventions.js';
import { focusToken, useStore } from '../../state/store.js';
import { TokenSeriesChart } from '../../ui/TokenSeriesChart.js';
import type { Run } from '../../state/types.js';
import { runColor, seriesChart, type TokenWindow } from '../../viz/compare.js';
import { commonPrefix, finiteMean, klSeries, logprobSeries, logprobSummary, sameTokens } from './logic.js';

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '—');
const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '—');

export function TokenCharts({ runs, view, width }: { runs: Run[]; view: TokenWindow; width: number }): JSX.Element {
  const focus = useStore(focusToken);
  const base = runs[0];
  const lp = useMemo(() => runs.map((r) => logprobSeries(r.tokens)), [runs]);
  const kl = useMemo(() => (base ? runs.slice(1).map((r) => klSeries(base.tokens, r.tokens)) : []), [runs, base]);
  const prefixes = runs.map((r) => commonPrefix(base?.tokens ?? [], r.tokens));
  const allSame = runs.every((r) => base !== undefined && sameTokens(base.tokens, r.tokens));
  const lpChart = useMemo(() => seriesChart(lp, view, width, 170, [0]), [lp, view, width]);
  const klChart = useMemo(() => seriesChart(kl, view, width, 130, [0]), [kl, view, width]);
  const minPrefix = Math.min(...prefixes.slice(1));
  const promptLen = base?.promptLength ?? 0;
  const exact = useExactScores(runs);
  const exactChart = useMemo(() => (exact.scores ? seriesChart(exact.scores.kl.slice(1), view, width, 130, [0]) : null), [exact.scores, view, width]);

  return (
    <section className="cmp-token-charts">
      <h2>log p of each run’s own tokens</h2>
      <TokenSeriesChart chart={lpChart} colors={runs.map((_, i) => runColor(i))} focus={focus} yLabel="log p (nats)" testId="cmp-logprob" shadeFrom={null} promptLength={promptLen} />
      <SummaryTable runs={runs} prefixes={prefixes} kl={kl} />
      {runs.length > 1 && exactChart ? (
        <>
          <h2>KL(p₀ ‖ pᵢ) per token on run 0’s tokens (exact: every model scores the same sequence, full distributions)</h2>
          <TokenSeriesChart chart={exactChart} colors={runs.slice(1).map((_, i) => runColor(i + 1))} focus={focus} yLabel="KL (nats)" testId="cmp-kl-exact" shadeFrom={null} promptLength={promptLen} />
          <p className="hint" style={{ margin: '2px 0' }} data-testid="cmp-kl-exact-summary">
            mean KL over run 0’s {base ? base.tokens.length - 1 : 0} predictions:{' '}
            {runs.slice(1).map((r, i) => `${runLabel(r)} ${f3(finiteMean(exact.scores?.kl[i + 1] ?? new Float64Array(0)))}`).join(' · ')} nats
          </p>
        </>
      ) : runs.length > 1 ? (
        <>
          <p className="hint" data-testid="cmp-kl-exact-status">{exact.error ? `Exact KL unavailable: ${exact.error}` : 'Scoring run 0’s tokens with every model for the exact KL…'}</p>
          <h2>≈ KL(p₀ ‖ pᵢ) per token, from the top-3 alternatives (an approximation)</h2>
          {allSame ? null : (
            <p className="hint" style={{ margin: '2px 0' }} data-testid="cmp-kl-note">
              Needs identical sequences: KL at token t compares the distributions that predicted it, which condition on tokens 0…t−1, so it is shown only up to where the runs part
              {Number.isFinite(minPrefix) ? ` (token ${minPrefix}; shaded after)` : ''}.
            </p>
          )}
          <TokenSeriesChart chart={klChart} colors={runs.slice(1).map((_, i) => runColor(i + 1))} focus={focus} yLabel="≈ KL (nats)" testId="cmp-kl" shadeFrom={allSame ? null : minPrefix + 1} promptLength={promptLen} />
          <p className="hint" style={{ margin: '2px 0' }}>
            The runs keep only each position’s top 3 next-token probabilities, so this KL is computed on the partition {'{'}top-3 ids of either run{'}'} ∪ {'{'}the rest{'}'}, spreading each run’s leftover mass over
            the ids it did not keep. It is exact only when the top 3 hold all the mass.
          </p>
        </>
      ) : null}
    </section>
  );
}

/** Every compared run's model scores run 0's tokens under that run's interventions (full logits); recomputed when the set of runs changes. */
function useExactScores(runs: Run[]): { scores: { logprobs: Float64Array[]; kl: Float64Array[] } | null; error: string | null } {
  const { runner } = useServices();
  const key = runs.map((r) => `${r.id}:${r.status}:${r.tokens.length}`).join('|');
  const [state, setState] = useState<{ key: string; scores: { logprobs: Float64Array[]; kl: Float64Array[] } | null; error: string | null }>({ key: '', scores: null, error: null });
  useEffect(() => {
    const base = runs[0];
    if (!runner || !base || runs.length < 2 || runs.some((r) => r.status !== 'done' && r.status !== 'cancelled')) return;
    let live = true;
    runner
      .crossScore(
        base.tokens.map((t) => t.id),
        runs.map((r) => ({ key: r.model.key, interventions: r.interventions })),
      )
      .then(
        (scores) => live && setState({ key, scores, error: null }),
        (e: unknown) => live && setState({ key, scores: null, error: describe(e) }),
      );
    return () => {
      live = false;
    };
  }, [runner, key]);
  return state.key === key ? state : { scores: null, error: null };
}

function SummaryTable({ runs, prefixes, kl }: { runs: Run[]; prefixes: number[]; kl: Float64Array[] }): JSX.Element {
  return (
    <table className="cmp-summary" data-testid="cmp-summary" style={{ whiteSpace: 'nowrap', margin: '4px 0 8px' }}>
      <thead>
        <tr>
          <th>run</th>
          <th>model</th>
          <th>tokens</th>
          <th title="Mean log p over the prompt's tokens (the same text for every run with the same tokenizer)">prompt log p · ppl</th>
          <th title="Mean log p of the tokens the run generated (its own text)">generated log p · ppl</th>
          <th title="The first position whose token differs from run 0's (every token before it is identical)">first ≠ run 0</th>
          <th title="Mean of the approximate per-token KL(p₀ ‖ pᵢ) over the positions where it is defined">mean ≈KL</th>
          <th>decode tok/s</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r, i) => {
          const pr = logprobSummary(r.tokens, 'prompt');
          const gen = logprobSummary(r.tokens, 'generated');
          const cp = prefixes[i] ?? 0;
          const k = i > 0 ? kl[i - 1] : undefined;
          const tps = r.stats.generated > 0 && r.stats.decodeMs > 0 ? (r.stats.generated / r.stats.decodeMs) * 1000 : NaN;
          return (
            <tr key={r.id}>
              <td style={{ color: runColor(i) }}>
                {i} · {r.id}
              </td>
              <td>{runLabel(r)}</td>
              <td>
                {r.promptLength} + {r.tokens.length - r.promptLength}
              </td>
              <td>
                {f3(pr.mean)} · {f1(pr.perplexity)}
              </td>
              <td>
                {f3(gen.mean)} · {f1(gen.perplexity)}
              </td>
              <td>{i === 0 ? '—' : cp >= r.tokens.length && cp >= (runs[0]?.tokens.length ?? 0) ? 'none (identical)' : `#${cp}`}</td>
              <td>{k ? f3(finiteMean(k)) : '—'}</td>
              <td>{f1(tps)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
