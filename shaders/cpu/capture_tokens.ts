// Float64 twins of the per-token capture reductions (kernels/capture_tokens.wgsl), from read-back
// tensors. A tensor is [rows, H, D] row-major; pass the rows to reduce (e.g. a subarray for a range).

import { glaRecurrent64, type GlaInputs64 } from './gla.js';

/** [rows, H]: ‖x_row,h‖₂ (x is [rows, H, D]; every D consecutive values are one row of one head). */
export function rowNorms64(x: ArrayLike<number>, D: number): Float64Array {
  const n = x.length / D;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += (x[r * D + d] as number) ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

/**
 * Entropy [rows, H] of p = max(φ, 0) / Σ max(φ, 0) (0 when the sum is 0, NaN ignored) and the count
 * per head [H] of entries ≤ zero (compared in f32; NaN never counts).
 */
export function phiStats64(x: ArrayLike<number>, H: number, D: number, zero = 1e-6): { entropy: Float64Array; zeros: Uint32Array } {
  const n = x.length / D;
  const z = Math.fround(zero);
  const entropy = new Float64Array(n);
  const zeros = new Uint32Array(H);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      const v = x[r * D + d] as number;
      if (v <= z) zeros[r % H] = (zeros[r % H] as number) + 1;
      if (v > 0) s += v;
    }
    let e = 0;
    if (s > 0) {
      for (let d = 0; d < D; d++) {
        const v = x[r * D + d] as number;
        if (v > 0) e -= (v / s) * Math.log(v / s);
      }
    }
    entropy[r] = e;
  }
  return { entropy, zeros };
}

/** [H, D]: Σ over rows of v, v = x or exp(x). */
export function channelSums64(x: ArrayLike<number>, H: number, D: number, value: 'identity' | 'exp' = 'identity'): Float64Array {
  const W = H * D;
  const out = new Float64Array(W);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    out[i % W] = (out[i % W] as number) + (value === 'exp' ? Math.exp(v) : v);
  }
  return out;
}

/** Per row of [rows, V]: the k largest (ties: smaller id first; NaN skipped; padded with id 0xffffffff, value NaN). */
export function topK64(x: ArrayLike<number>, V: number, k: number): { ids: Uint32Array; values: Float64Array } {
  const rows = x.length / V;
  const ids = new Uint32Array(rows * k).fill(0xffffffff);
  const values = new Float64Array(rows * k).fill(NaN);
  for (let r = 0; r < rows; r++) {
    const idx: number[] = [];
    for (let j = 0; j < V; j++) if (!Number.isNaN(x[r * V + j] as number)) idx.push(j);
    idx.sort((a, b) => {
      const va = x[r * V + a] as number;
      const vb = x[r * V + b] as number;
      return va > vb ? -1 : va < vb ? 1 : a - b;
    });
    for (let i = 0; i < Math.min(k, idx.length); i++) {
      ids[r * k + i] = idx[i] as number;
      values[r * k + i] = x[r * V + (idx[i] as number)] as number;
    }
  }
  return { ids, values };
}

/** φ(k) [T, Hkv, dk], v [T, Hkv, dv], log α [T, Hkv, dk], log β [T, Hkv, dv] as glaRecurrent64 takes them. */
export interface TokenStateInputs64 extends Pick<GlaInputs64, 'k' | 'v' | 'A' | 'D'> {
  /** State entering the block [Hkv, dk, dv]. */
  state: ArrayLike<number>;
}

/**
 * ‖S_t‖_F for t ∈ [t0, t1), per kv head: [t1 − t0, Hkv], replaying S_t = (exp(A_t) exp(D_t)ᵀ) ⊙ S_{t−1}
 * + k_t v_tᵀ from the entering state (spec §3.1, §3.4).
 */
export function tokenStateNorms64(dims: { Hkv: number; dk: number; dv: number }, x: TokenStateInputs64, t0: number, t1: number): Float64Array {
  const { Hkv, dk, dv } = dims;
  const norms = new Float64Array(t1 * Hkv);
  // The recurrence itself is glaRecurrent64's (its read-out, with q = 0, is not used).
  glaRecurrent64(
    { B: 1, T: t1, Hq: Hkv, Hkv, dk, dv },
    { q: new Float64Array(t1 * Hkv * dk), k: x.k, v: x.v, A: x.A, D: x.D, scale: 1, state: x.state, stateNorms: norms },
  );
  return norms.slice(t0 * Hkv);
}
