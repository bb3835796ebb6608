// The Compare panel's data logic, pure and DOM-free (unit-tested in test/unit/viz-compare.test.ts):
// the layer × token gate matrix of a run, differences between runs, per-token log-probability
// summaries (mean log p, perplexity), where two runs' token sequences part, an approximate KL from
// the top-k alternatives the runs keep, and per-op kernel time deltas.

import type { ModelConfig, OpStats, ProfileReport } from '../../../shaders/index.js';
import { gateField, tokenMeans } from '../../session/metrics.js';
import type { GateQuantity } from '../../state/store.js';
import type { Analysis, TokenView } from '../../state/types.js';

export interface LayerTokenMatrix {
  /** Layers. */
  rows: number;
  /** Tokens. */
  cols: number;
  /** rows × cols row-major; NaN where a layer has no such gate (softmax, not dumped). */
  values: Float64Array;
}

/**
 * Mean gate quantity per layer and token for one head (head < 0: all heads): row l = layer l, column
 * t = token t; layers without the quantity are NaN rows.
 */
export function gateLayerToken(analysis: Analysis, config: ModelConfig, q: GateQuantity, head: number): LayerTokenMatrix {
  const rows = config.numLayers;
  const cols = analysis.T;
  const values = new Float64Array(rows * cols).fill(NaN);
  for (let l = 0; l < rows; l++) {
    const f = gateField(analysis, config, l, q);
    if (!f) continue;
    const m = tokenMeans(f, head);
    for (let t = 0; t < Math.min(cols, f.T); t++) values[l * cols + f.pos0 + t] = m[t] as number;
  }
  return { rows, cols, values };
}

/** Whether a matrix holds any finite value (an all-NaN one: no layer has the quantity). */
export function hasFinite(m: LayerTokenMatrix | null): boolean {
  if (!m) return false;
  for (let i = 0; i < m.values.length; i++) if (Number.isFinite(m.values[i])) return true;
  return false;
}

/**
 * b − a cell by cell over the shared shape (the first min(rows) × min(cols)); null when either is
 * empty. Columns beyond `cols` of either matrix do not exist in the result.
 */
export function diffMatrix(a: LayerTokenMatrix, b: LayerTokenMatrix): LayerTokenMatrix | null {
  if (a.rows !== b.rows) return null;
  const rows = a.rows;
  const cols = Math.min(a.cols, b.cols);
  if (rows === 0 || cols === 0) return null;
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = (b.values[r * b.cols + c] as number) - (a.values[r * a.cols + c] as number);
  return { rows, cols, values };
}

/** The columns [lo, hi) of a matrix. */
export function sliceCols(m: LayerTokenMatrix, lo: number, hi: number): LayerTokenMatrix {
  const l = Math.max(0, Math.min(lo, m.cols));
  const h = Math.max(l, Math.min(hi, m.cols));
  const cols = h - l;
  const values = new Float64Array(m.rows * cols);
  for (let r = 0; r < m.rows; r++) values.set(m.values.subarray(r * m.cols + l, r * m.cols + h), r * cols);
  return { rows: m.rows, cols, values };
}

// ---------------------------------------------------------------- log-probabilities

export interface LogprobSummary {
  /** Tokens with a log-probability in the range. */
  n: number;
  /** Mean log p (nats); NaN when n = 0. */
  mean: number;
  /** exp(−mean). */
  perplexity: number;
}

/** Mean log p and perplexity of the tokens with a log-probability, optionally of one part only. */
export function logprobSummary(tokens: readonly TokenView[], part: 'all' | 'prompt' | 'generated' = 'all'): LogprobSummary {
  let s = 0;
  let n = 0;
  for (const t of tokens) {
    if (t.logprob === null || !Number.isFinite(t.logprob)) continue;
    if (part === 'prompt' && !t.prompt) continue;
    if (part === 'generated' && t.prompt) continue;
    s += t.logprob;
    n++;
  }
  const mean = n > 0 ? s / n : NaN;
  return { n, mean, perplexity: n > 0 ? Math.exp(-mean) : NaN };
}

/** Per-token log p as an array (NaN where unknown). */
export function logprobSeries(tokens: readonly TokenView[]): Float64Array {
  const out = new Float64Array(tokens.length).fill(NaN);
  tokens.forEach((t, i) => {
    if (t.logprob !== null) out[i] = t.logprob;
  });
  return out;
}

/** Length of the longest common prefix of token ids. */
export function commonPrefix(a: readonly TokenView[], b: readonly TokenView[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && (a[i] as TokenView).id === (b[i] as TokenView).id) i++;
  return i;
}

/** Whether two runs hold exactly the same token ids. */
export function sameTokens(a: readonly TokenView[], b: readonly TokenView[]): boolean {
  return a.length === b.length && commonPrefix(a, b) === a.length;
}

type Top = ReadonlyArray<{ id: number; p: number }>;

const FLOOR = 1e-12;

/**
 * An approximation of KL(P ‖ Q) (nats) between two next-token distributions known only by their
 * top-k entries. Both are coarse-grained onto the partition {each id in either top-k} ∪ {rest}.
 * An id missing from one distribution's top-k gets that distribution's leftover mass shared out
 * evenly over its missing ids and the rest (never more than its smallest kept probability). Exact
 * when both top-k lists hold all the mass; otherwise an estimate (coarse-graining alone can only
 * lower KL).
 */
export function approxKl(p: Top, q: Top): number {
  if (p.length === 0 || q.length === 0) return NaN;
  const ids = [...new Set([...p.map((e) => e.id), ...q.map((e) => e.id)])];
  const fill = (d: Top): Map<number | 'rest', number> => {
    const out = new Map<number | 'rest', number>();
    let kept = 0;
    let minKept = Infinity;
    for (const e of d) {
      kept += e.p;
      minKept = Math.min(minKept, e.p);
    }
    const leftover = Math.max(0, 1 - kept);
    const missing = ids.filter((id) => !d.some((e) => e.id === id));
    const each = Math.min(minKept, leftover / (missing.length + 1));
    for (const e of d) out.set(e.id, e.p);
    for (const id of missing) out.set(id, each);
    out.set('rest', Math.max(0, leftover - each * missing.length));
    return out;
  };
  const P = fill(p);
  const Q = fill(q);
  let kl = 0;
  for (const [k, pv] of P) {
    if (pv <= 0) continue;
    const qv = Math.max(FLOOR, Q.get(k) ?? 0);
    kl += pv * Math.log(Math.max(FLOOR, pv) / qv);
  }
  return Math.max(0, kl);
}

/**
 * Per-token approximate KL(p_a ‖ p_b) between two runs' next-token distributions: position t
 * compares the distributions that predicted token t, which condition on tokens [0, t), so it is
 * defined only while those prefixes are identical (t ≤ common prefix) and the tokens have top-k
 * lists; NaN elsewhere.
 */
export function klSeries(a: readonly TokenView[], b: readonly TokenView[]): Float64Array {
  const n = Math.min(a.length, b.length);
  const out = new Float64Array(n).fill(NaN);
  const cp = commonPrefix(a, b);
  for (let t = 1; t < n && t <= cp; t++) out[t] = approxKl((a[t] as TokenView).top, (b[t] as TokenView).top);
  return out;
}

/** Mean of the finite values (NaN when none). */
export function finiteMean(xs: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i] as number;
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

// ---------------------------------------------------------------- kernel times

export interface OpDeltaRow {
  key: string;
  phase: OpStats['phase'];
  op: string;
  kernel: string;
  /** Median µs per dispatch for each run (NaN where that run lacks the op or a timestamp). */
  us: number[];
  /** us[i] − us[0] per run (0 for run 0). */
  delta: number[];
  /** us[i] / us[0] − 1 per run. */
  rel: number[];
}

/**
 * One row per (phase, op, kernel) seen in any profile, with each run's median µs and the delta vs
 * run 0; rows sorted by phase (prefill first) then by run 0's time, slowest first. Null profiles
 * give NaN columns.
 */
export function opDeltas(profiles: ReadonlyArray<ProfileReport | null>): OpDeltaRow[] {
  const rows = new Map<string, OpDeltaRow>();
  const n = profiles.length;
  profiles.forEach((p, i) => {
    for (const s of p?.perOp ?? []) {
      const key = `${s.phase}|${s.op}|${s.kernel}`;
      let r = rows.get(key);
      if (!r) {
        r = { key, phase: s.phase, op: s.op, kernel: s.kernel, us: new Array<number>(n).fill(NaN), delta: [], rel: [] };
        rows.set(key, r);
      }
      r.us[i] = s.medianUs;
    }
  });
  const out = [...rows.values()];
  for (const r of out) {
    const base = r.us[0] as number;
    r.delta = r.us.map((v) => v - base);
    r.rel = r.us.map((v) => v / base - 1);
  }
  const phaseOrder = (ph: string): number => (ph === 'prefill' ? 0 : 1);
  out.sort((a, b) => phaseOrder(a.phase) - phaseOrder(b.phase) || (Number.isFinite(b.us[0]) ? (b.us[0] as number) : -1) - (Number.isFinite(a.us[0]) ? (a.us[0] as number) : -1) || a.key.localeCompare(b.key));
  return out;
}

/** '+12.3 µs (+4.5 %)'-style text for a delta; '—' when unknown. */
export function formatDelta(d: number, rel: number, unit = 'µs'): string {
  if (!Number.isFinite(d)) return '—';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  const pct = Number.isFinite(rel) ? ` (${sign}${Math.abs(rel * 100).toFixed(1)} %)` : '';
  return `${sign}${Math.abs(d).toFixed(1)} ${unit}${pct}`;
}
