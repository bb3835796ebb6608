// Float64 twin of the effective attention (capture/attention.ts, kernels/effective_attention.wgsl):
// A[t, u] = s·Σ_i φ(q_t)_i exp(Σ_{w=u+1..t} log α_w,i) φ(k_u)_i over a window, causal; with the
// denominator, rows divided by their unscaled sum + 1e-6 (the engine's o = Sᵀq / (zᵀq + 1e-6)); with a
// value-side log gate D and a value channel j, entries then times exp(Σ_{w=u+1..t} log D_w,j).

import { DENOM_EPS } from './gla.js';

export interface Attention64Inputs {
  T: number;
  Hq: number;
  Hkv: number;
  dkf: number;
  phiQ: ArrayLike<number>; // [T, Hq, dkf]
  phiK: ArrayLike<number>; // [T, Hkv, dkf]
  A?: ArrayLike<number> | undefined; // [T, Hkv, dkf] log α
  head: number;
  scale: number;
  denominator?: boolean;
  /** Value-side log gate [T, Hkv, dv] and its dim; used only with valueChannel. */
  D?: ArrayLike<number> | undefined;
  dv?: number;
  valueChannel?: number | undefined;
}

/** Rows [r0, r1) (absolute tokens) of the window [t0, t1): [(r1 − r0), (t1 − t0)] row-major. */
function rows64(x: Attention64Inputs, t0: number, t1: number, r0: number, r1: number): Float64Array {
  const { Hq, Hkv, dkf } = x;
  const W = t1 - t0;
  const kvh = Math.floor(x.head / (Hq / Hkv));
  // Window-relative inclusive cumulative log α, float64.
  const G = new Float64Array(W * dkf);
  if (x.A) {
    for (let i = 0; i < dkf; i++) {
      let acc = 0;
      for (let r = 0; r < W; r++) {
        acc += x.A[((t0 + r) * Hkv + kvh) * dkf + i] as number;
        G[r * dkf + i] = acc;
      }
    }
  }
  // Window-relative cumulative log D of the chosen value channel.
  const Dc = new Float64Array(W);
  const dv = x.dv ?? 0;
  const D = x.D;
  const j = x.valueChannel;
  const valueGate = D !== undefined && j !== undefined;
  if (valueGate) {
    let acc = 0;
    for (let r = 0; r < W; r++) {
      acc += D[((t0 + r) * Hkv + kvh) * dv + j] as number;
      Dc[r] = acc;
    }
  }
  const s = x.denominator ? 1 : x.scale;
  const out = new Float64Array((r1 - r0) * W);
  for (let t = r0; t < r1; t++) {
    const row = (t - r0) * W;
    const qr = (t * Hq + x.head) * dkf;
    const gt = (t - t0) * dkf;
    let sum = 0;
    for (let u = t0; u <= t; u++) {
      const kr = (u * Hkv + kvh) * dkf;
      const gu = (u - t0) * dkf;
      let acc = 0;
      for (let i = 0; i < dkf; i++) {
        acc += (x.phiQ[qr + i] as number) * Math.exp((G[gt + i] as number) - (G[gu + i] as number)) * (x.phiK[kr + i] as number);
      }
      out[row + u - t0] = s * acc;
      sum += acc;
    }
    if (x.denominator) for (let u = 0; u <= t - t0; u++) out[row + u] = (out[row + u] as number) / (sum + DENOM_EPS);
    if (valueGate) for (let u = 0; u <= t - t0; u++) out[row + u] = (out[row + u] as number) * Math.exp((Dc[t - t0] as number) - (Dc[u] as number));
  }
  return out;
}

/** The [W, W] matrix of the window [t0, t1). */
export function effectiveAttention64(x: Attention64Inputs, t0: number, t1: number): Float64Array {
  return rows64(x, t0, t1, t0, t1);
}

/** Row t over the window [0, t + 1): [t + 1]. */
export function effectiveAttentionRow64(x: Attention64Inputs, t: number): Float64Array {
  return rows64(x, 0, t + 1, t, t + 1);
}
