// Feature-map data for the panel, pure functions of the analysis: one head's φ values from the
// φ(q)/φ(k) dumps ([T, H, dk'] rows), their zero share, min/max and per-token max/mean, the per-token
// entropy series of the 'phi.q'/'phi.k' capture records, and per-layer boundedness with flags for
// values outside the feature map's range (exp_norm and hedgehog must stay in [0, 1]).

import type { CaptureRecord, FeatureMapKind, TapPoint, TokenMatrix } from '../../../shaders/index.js';
import { dumpKey, type Analysis, type DumpTensor } from '../../state/types.js';

/** φ entries at or below this count as zero (the capture's default phiZero). */
export const PHI_ZERO = 1e-6;
/** Rounding slack above 1 before a bounded map is flagged (f32 exp(0) is exactly 1). */
export const BOUND_SLACK = 1e-6;

/** Heads and features per row of a dump ([H, D]; a flat row reads as one head). */
export function dumpShape(d: DumpTensor): { H: number; D: number } {
  const [a = 1, b] = d.rowShape;
  return b === undefined ? { H: 1, D: a } : { H: a, D: b };
}

/** The kv head a query head reads (grouped heads: head / (Hq / Hkv)), clamped. */
export function kvHeadOf(head: number, Hq: number, Hkv: number): number {
  const group = Math.max(1, Math.round(Hq / Math.max(1, Hkv)));
  return Math.min(Math.max(0, Hkv - 1), Math.floor(Math.max(0, head) / group));
}

/** Every φ value of one head (all tokens × D), row-major [T, D]. */
export function headValues(d: DumpTensor, head: number): Float32Array {
  const { H, D } = dumpShape(d);
  const h = Math.min(Math.max(0, head), H - 1);
  const out = new Float32Array(d.rows * D);
  for (let t = 0; t < d.rows; t++) out.set(d.data.subarray((t * H + h) * D, (t * H + h + 1) * D), t * D);
  return out;
}

/** One token's φ values of one head ([D]); empty outside the dump. */
export function tokenValues(d: DumpTensor, head: number, pos: number): Float32Array {
  const { H, D } = dumpShape(d);
  const t = pos - d.pos0;
  if (t < 0 || t >= d.rows) return new Float32Array(0);
  const h = Math.min(Math.max(0, head), H - 1);
  return d.data.slice((t * H + h) * D, (t * H + h + 1) * D);
}

export interface ValueStats {
  n: number;
  min: number;
  max: number;
  mean: number;
  /** Entries ≤ PHI_ZERO, and their share. */
  zeros: number;
  zeroShare: number;
  negatives: number;
  nonFinite: number;
}

/** min/max/mean, zero share and negatives of finite values. */
export function valueStats(v: ArrayLike<number>, zero = PHI_ZERO): ValueStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  let neg = 0;
  let bad = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (!Number.isFinite(x)) {
      bad++;
      continue;
    }
    n++;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    if (x <= zero) zeros++;
    if (x < 0) neg++;
  }
  return n === 0
    ? { n: 0, min: NaN, max: NaN, mean: NaN, zeros: 0, zeroShare: NaN, negatives: 0, nonFinite: bad }
    : { n, min, max, mean: sum / n, zeros, zeroShare: zeros / n, negatives: neg, nonFinite: bad };
}

/** Per token: the max and the mean of one head's φ over its D features. */
export function perTokenMaxMean(d: DumpTensor, head: number): { max: Float64Array; mean: Float64Array } {
  const { H, D } = dumpShape(d);
  const h = Math.min(Math.max(0, head), H - 1);
  const max = new Float64Array(d.rows);
  const mean = new Float64Array(d.rows);
  for (let t = 0; t < d.rows; t++) {
    let m = -Infinity;
    let s = 0;
    const base = (t * H + h) * D;
    for (let i = 0; i < D; i++) {
      const x = d.data[base + i] as number;
      if (x > m) m = x;
      s += x;
    }
    max[t] = D > 0 ? m : NaN;
    mean[t] = D > 0 ? s / D : NaN;
  }
  return { max, mean };
}

/** Capture records of one point and layer, in token order. */
export function recordsAt(analysis: Analysis, point: TapPoint, layer: number): CaptureRecord[] {
  return analysis.records.filter((r) => r.point === point && r.layer === layer).sort((a, b) => a.pos0 - b.pos0);
}

/**
 * A per-token series [T] (positions analysis-relative, 0…T−1) of one column of a token matrix the
 * records carry (e.g. tokenEntropy), honouring a heads filter; NaN where no record covers a token.
 */
export function recordSeries(records: readonly CaptureRecord[], pick: (r: CaptureRecord) => TokenMatrix | undefined, col: number, T: number): Float64Array {
  const out = new Float64Array(T).fill(NaN);
  for (const r of records) {
    const m = pick(r);
    if (!m || m.cols === 0) continue;
    const c = r.heads ? r.heads.indexOf(col) : Math.min(Math.max(0, col), m.cols - 1);
    if (c < 0) continue;
    const start = r.tokens ? r.tokens.lo : r.pos0;
    for (let i = 0; i < m.rows; i++) {
      const t = start + i;
      if (t >= 0 && t < T) out[t] = m.at(i, c);
    }
  }
  return out;
}

/** A per-head number of the first record that has it (heads filter honoured), or NaN. */
export function recordHeadValue(records: readonly CaptureRecord[], pick: (r: CaptureRecord) => readonly number[] | undefined, head: number): number {
  for (const r of records) {
    const v = pick(r);
    if (!v) continue;
    const i = r.heads ? r.heads.indexOf(head) : head;
    if (i >= 0 && i < v.length) return v[i] as number;
  }
  return NaN;
}

/** The range a feature map's outputs must stay in ([lo, hi]; ±Infinity where unbounded). */
export function expectedRange(map: FeatureMapKind): { lo: number; hi: number; text: string } {
  switch (map) {
    case 'exp_norm':
      return { lo: 0, hi: 1, text: 'exp(x − max) ∈ (0, 1]' };
    case 'hedgehog':
      return { lo: 0, hi: 1, text: 'softmax over 2·dk ∈ (0, 1)' };
    case 'relu':
      return { lo: 0, hi: Infinity, text: 'relu ≥ 0' };
    case 'elu1':
      return { lo: 0, hi: Infinity, text: 'elu + 1 > 0' };
    default:
      return { lo: -Infinity, hi: Infinity, text: 'identity: unbounded' };
  }
}

/** Why [min, max] breaks the feature map's range: 'negative', '> 1', 'NaN/Inf' (empty when fine). */
export function boundFlags(map: FeatureMapKind, s: Pick<ValueStats, 'min' | 'max' | 'nonFinite' | 'n'>): string[] {
  const r = expectedRange(map);
  const out: string[] = [];
  if (s.nonFinite > 0) out.push('NaN/Inf');
  if (s.n === 0) return out;
  if (s.min < r.lo) out.push('negative');
  if (s.max > r.hi + BOUND_SLACK) out.push(`> ${r.hi}`);
  return out;
}

export interface BoundRow {
  layer: number;
  /** 'softmax' layers have no feature map; 'missing' ones were not dumped. */
  kind: 'linear' | 'softmax' | 'missing';
  q: ValueStats | null;
  k: ValueStats | null;
  flags: string[];
}

/** min/max of φ(q) and φ(k) over all heads and tokens, per layer, with range flags. */
export function boundedness(analysis: Analysis, numLayers: number, softmaxLayers: readonly number[], map: FeatureMapKind): BoundRow[] {
  const rows: BoundRow[] = [];
  for (let l = 0; l < numLayers; l++) {
    if (softmaxLayers.includes(l)) {
      rows.push({ layer: l, kind: 'softmax', q: null, k: null, flags: [] });
      continue;
    }
    const q = analysis.dumps.get(dumpKey('phi.q', l));
    const k = analysis.dumps.get(dumpKey('phi.k', l));
    if (!q && !k) {
      rows.push({ layer: l, kind: 'missing', q: null, k: null, flags: [] });
      continue;
    }
    const qs = q ? valueStats(q.data) : null;
    const ks = k ? valueStats(k.data) : null;
    const flags = [...new Set([...(qs ? boundFlags(map, qs).map((f) => `φ(q) ${f}`) : []), ...(ks ? boundFlags(map, ks).map((f) => `φ(k) ${f}`) : [])])];
    rows.push({ layer: l, kind: 'linear', q: qs, k: ks, flags });
  }
  return rows;
}
