// State-panel data, pure functions of an analysis: ‖S_t‖ per kv head over tokens (the 'state.in'
// record's tokenStateNorm), ‖o_t‖ before and after the output norm ('attn.o' / 'attn.y' tokenNorm),
// and effective memory length per channel ('gate.logA' / 'gate.logD' channelMemoryLength) as a
// heads × channels matrix with an optional channel order.

import type { CaptureRecord, TapPoint, TokenMatrix } from '../../../shaders/index.js';
import type { Analysis } from '../../state/types.js';

/** Capture records of one point and layer, in token order. */
export function recordsOf(analysis: Analysis, point: TapPoint, layer: number): CaptureRecord[] {
  return analysis.records.filter((r) => r.point === point && r.layer === layer).sort((a, b) => a.pos0 - b.pos0);
}

/** The number of columns of a token matrix the records carry (0 when none does). */
export function matrixCols(records: readonly CaptureRecord[], pick: (r: CaptureRecord) => TokenMatrix | undefined): number {
  for (const r of records) {
    const m = pick(r);
    if (m) return r.heads ? Math.max(...r.heads) + 1 : m.cols;
  }
  return 0;
}

/**
 * Column `col` of a per-token matrix the records carry, as a series over positions 0…T−1 (NaN where
 * no record covers a token; a heads filter is honoured).
 */
export function tokenSeries(records: readonly CaptureRecord[], pick: (r: CaptureRecord) => TokenMatrix | undefined, col: number, T: number): Float64Array {
  const out = new Float64Array(T).fill(NaN);
  for (const r of records) {
    const m = pick(r);
    if (!m || m.cols === 0) continue;
    const c = r.heads ? r.heads.indexOf(col) : col;
    if (c < 0 || c >= m.cols) continue;
    const start = r.tokens ? r.tokens.lo : r.pos0;
    for (let i = 0; i < m.rows; i++) {
      const t = start + i;
      if (t >= 0 && t < T) out[t] = m.at(i, c);
    }
  }
  return out;
}

/** ‖S_t‖ per kv head of a layer ([head] → series over tokens), or null without a 'state.in' record. */
export function stateNorms(analysis: Analysis, layer: number): Float64Array[] | null {
  const recs = recordsOf(analysis, 'state.in', layer).filter((r) => r.tokenStateNorm);
  const H = matrixCols(recs, (r) => r.tokenStateNorm);
  if (H === 0) return null;
  return Array.from({ length: H }, (_, h) => tokenSeries(recs, (r) => r.tokenStateNorm, h, analysis.T));
}

/** ‖o_t‖ of a query head before the output norm and ‖y_t‖ after norm and gate (either may be null). */
export function outputNorms(analysis: Analysis, layer: number, head: number): { before: Float64Array | null; after: Float64Array | null } {
  const o = recordsOf(analysis, 'attn.o', layer).filter((r) => r.tokenNorm);
  const y = recordsOf(analysis, 'attn.y', layer).filter((r) => r.tokenNorm);
  const Ho = matrixCols(o, (r) => r.tokenNorm);
  return {
    before: Ho > 0 ? tokenSeries(o, (r) => r.tokenNorm, Math.min(Math.max(0, head), Ho - 1), analysis.T) : null,
    after: matrixCols(y, (r) => r.tokenNorm) > 0 ? tokenSeries(y, (r) => r.tokenNorm, 0, analysis.T) : null,
  };
}

export interface ChannelMatrix {
  /** Heads (rows) × channels (cols). */
  rows: number;
  cols: number;
  /** Row-major; non-finite entries kept as they are. */
  values: Float64Array;
  meanAlpha: Float64Array | null;
}

/** Effective memory length τ = 1 / (1 − mean α) per (kv head, channel) of a gate point, or null. */
export function memoryLengths(analysis: Analysis, layer: number, point: 'gate.logA' | 'gate.logD' = 'gate.logA'): ChannelMatrix | null {
  const rec = recordsOf(analysis, point, layer).find((r) => r.channelMemoryLength);
  const m = rec?.channelMemoryLength;
  if (!rec || !m || m.length === 0) return null;
  const rows = m.length;
  const cols = Math.max(...m.map((r) => r.length));
  const values = new Float64Array(rows * cols).fill(NaN);
  const meanAlpha = rec.channelMeanAlpha ? new Float64Array(rows * cols).fill(NaN) : null;
  for (let h = 0; h < rows; h++) {
    const row = m[h] ?? [];
    for (let c = 0; c < row.length; c++) values[h * cols + c] = row[c] as number;
    const a = rec.channelMeanAlpha?.[h];
    if (a && meanAlpha) for (let c = 0; c < a.length; c++) meanAlpha[h * cols + c] = a[c] as number;
  }
  return { rows, cols, values, meanAlpha };
}

/** Row h of a channel matrix. */
export function channelRow(m: ChannelMatrix, h: number): Float64Array {
  const r = Math.min(Math.max(0, h), m.rows - 1);
  return m.values.slice(r * m.cols, (r + 1) * m.cols);
}

/**
 * Channel indices ordered by value, longest memory first (+Infinity first, NaN last; ties by index),
 * or the identity order when `sorted` is false.
 */
export function channelOrder(values: ArrayLike<number>, sorted: boolean): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  if (!sorted) return idx;
  const key = (i: number): number => {
    const v = values[i] as number;
    return Number.isNaN(v) ? -Infinity : v;
  };
  return idx.sort((a, b) => key(b) - key(a) || a - b);
}

/** The matrix with its columns permuted by `order` (column j of the result = column order[j]). */
export function permuteColumns(m: ChannelMatrix, order: readonly number[]): Float64Array {
  const out = new Float64Array(m.rows * order.length);
  for (let h = 0; h < m.rows; h++) for (let j = 0; j < order.length; j++) out[h * order.length + j] = m.values[h * m.cols + (order[j] as number)] as number;
  return out;
}

/** log10 of each value (non-positive → NaN, +Infinity stays +Infinity), for log colour scales. */
export function log10All(v: ArrayLike<number>): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    out[i] = x > 0 ? Math.log10(x) : NaN;
  }
  return out;
}
