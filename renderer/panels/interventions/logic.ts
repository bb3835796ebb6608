// The Interventions panel's result logic, pure and DOM-free (unit-tested in test/unit/intervention-logic.test.ts):
// which runs form the baseline / intervened pair, the token-aligned diff of their texts (common
// prefix, first divergence), and the per-token change in log-probability of the baseline's tokens
// under the intervened model with the KL per token, from Runner.crossScore's teacher-forced scores.

import type { Run, TokenView } from '../../state/types.js';

// ---------------------------------------------------------------- the pair

/** The run an intervened run was derived from, when that run still exists. */
export function baselineOf(runId: string, runs: Readonly<Record<string, Run>>, derivedFrom: Readonly<Record<string, string>>): Run | null {
  const b = derivedFrom[runId];
  return b !== undefined ? (runs[b] ?? null) : null;
}

/**
 * The run a re-run starts from: the current run, or, when the current run is itself a re-run, its
 * baseline (so edits are always compared with the model as trained, on the same prompt and seed).
 */
export function rerunBase(current: Run | null, runs: Readonly<Record<string, Run>>, derivedFrom: Readonly<Record<string, string>>): Run | null {
  if (!current) return null;
  return baselineOf(current.id, runs, derivedFrom) ?? current;
}

/**
 * The intervened run the result view shows: `chosen` when it is still a re-run, else the current run
 * when it is one, else the newest re-run of the current run, else the newest re-run of all.
 */
export function pickIntervened(chosen: string | null, currentId: string | null, runOrder: readonly string[], runs: Readonly<Record<string, Run>>, derivedFrom: Readonly<Record<string, string>>): string | null {
  const derived = runOrder.filter((id) => baselineOf(id, runs, derivedFrom) !== null && runs[id] !== undefined);
  if (chosen && derived.includes(chosen)) return chosen;
  if (currentId && derived.includes(currentId)) return currentId;
  const ofCurrent = derived.filter((id) => derivedFrom[id] === currentId);
  return ofCurrent.at(-1) ?? derived.at(-1) ?? null;
}

// ---------------------------------------------------------------- the text diff

export interface DiffColumn {
  pos: number;
  /** The two runs' tokens at this position (null past the end of a run). */
  base: TokenView | null;
  other: TokenView | null;
  /** Same token id in both runs. */
  same: boolean;
}

export interface TokenDiff {
  /** Length of the common prefix of token ids (the prompt and every identical generated token). */
  prefix: number;
  /** The first position whose tokens differ or where one run ends first; null when the runs are identical. */
  divergence: number | null;
  /** One column per position, 0 … max(length) − 1: token-aligned (position t of each run). */
  columns: DiffColumn[];
  /** Positions ≥ prefix where both runs have a token and the tokens still agree (after the divergence). */
  sameAfter: number;
}

/** Aligns two runs' tokens position by position. */
export function tokenDiff(base: readonly TokenView[], other: readonly TokenView[]): TokenDiff {
  const n = Math.max(base.length, other.length);
  const columns: DiffColumn[] = [];
  let prefix = -1;
  let sameAfter = 0;
  for (let pos = 0; pos < n; pos++) {
    const a = base[pos] ?? null;
    const b = other[pos] ?? null;
    const same = a !== null && b !== null && a.id === b.id;
    if (!same && prefix < 0) prefix = pos;
    else if (same && prefix >= 0) sameAfter++;
    columns.push({ pos, base: a, other: b, same });
  }
  if (prefix < 0) prefix = n;
  return { prefix, divergence: prefix < n ? prefix : null, columns, sameAfter };
}

// ---------------------------------------------------------------- log-probability deltas

export interface CrossScores {
  logprobs: readonly Float64Array[];
  kl: readonly Float64Array[];
}

export interface LogprobDeltas {
  /** Positions scored (the baseline's tokens, capped as crossScore caps them). */
  T: number;
  /** log p of baseline token t under the baseline and under the intervened model (NaN at t = 0). */
  base: Float64Array;
  other: Float64Array;
  /** other − base: how much more (or less) likely the intervened model finds the baseline's token. */
  delta: Float64Array;
  /** KL(p_baseline ‖ p_intervened) of the next-token distributions that predicted token t (nats). */
  kl: Float64Array;
}

/** Deltas from crossScore(baseline ids, [baseline scorer, intervened scorer]). */
export function logprobDeltas(s: CrossScores): LogprobDeltas {
  const base = s.logprobs[0];
  const other = s.logprobs[1];
  const kl = s.kl[1];
  if (!base || !other || !kl) throw new RangeError('logprobDeltas: needs the scores of two runs (baseline first)');
  const T = Math.min(base.length, other.length, kl.length);
  const delta = new Float64Array(T);
  for (let t = 0; t < T; t++) delta[t] = (other[t] as number) - (base[t] as number);
  return { T, base: base.slice(0, T), other: other.slice(0, T), delta, kl: kl.slice(0, T) };
}

export interface DeltaSummary {
  /** Predicted tokens in the range with a finite delta. */
  n: number;
  /** Σ Δ log p: the log-likelihood ratio of the range's tokens (intervened over baseline). */
  sumDelta: number;
  meanDelta: number;
  /** Σ KL and its mean over the range (nats). */
  sumKl: number;
  meanKl: number;
  maxKl: number;
  /** Position of the largest KL (−1 when none). */
  maxKlPos: number;
}

/** Totals over positions [from, to) (default: every predicted token, 1 … T − 1). */
export function deltaSummary(d: LogprobDeltas, from = 1, to = d.T): DeltaSummary {
  let n = 0;
  let sumDelta = 0;
  let sumKl = 0;
  let nKl = 0;
  let maxKl = NaN;
  let maxKlPos = -1;
  for (let t = Math.max(0, from); t < Math.min(to, d.T); t++) {
    const x = d.delta[t] as number;
    if (Number.isFinite(x)) {
      n++;
      sumDelta += x;
    }
    const k = d.kl[t] as number;
    if (Number.isFinite(k)) {
      nKl++;
      sumKl += k;
      if (!(k <= maxKl)) {
        maxKl = k;
        maxKlPos = t;
      }
    }
  }
  return { n, sumDelta, meanDelta: n > 0 ? sumDelta / n : NaN, sumKl, meanKl: nKl > 0 ? sumKl / nKl : NaN, maxKl, maxKlPos };
}

/** The `k` positions with the largest |Δ log p|, largest first (ties: earlier first). */
export function largestDeltas(d: LogprobDeltas, k = 5): Array<{ pos: number; delta: number }> {
  const out: Array<{ pos: number; delta: number }> = [];
  for (let t = 0; t < d.T; t++) {
    const x = d.delta[t] as number;
    if (Number.isFinite(x)) out.push({ pos: t, delta: x });
  }
  out.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.pos - b.pos);
  return out.slice(0, k);
}

/** A signed number with a true minus sign, e.g. "−0.7061" / "+0.0123" (NaN → "—"). */
export function signed(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return '—';
  const s = Math.abs(v).toFixed(digits);
  if (Number(s) === 0) return `±${s}`;
  return `${v < 0 ? '−' : '+'}${s}`;
}
