// Float64 twin of the attention output block (kernels/attn_out.wgsl): per-head norm + swish gate.

import { rowNorm64 } from './norm.js';

/** o is [rows, dv] flattened (rows = T · Hq); gate has the same layout. */
export function attnOutput64(
  o: ArrayLike<number>,
  dv: number,
  kind: 'rmsnorm' | 'layernorm' | 'none',
  weight: ArrayLike<number> | undefined,
  bias: ArrayLike<number> | undefined,
  eps: number,
  gate?: ArrayLike<number>,
): Float64Array {
  const y = kind === 'none' ? Float64Array.from(o) : rowNorm64(o, dv, weight ?? [], kind === 'layernorm' ? bias : undefined, eps, kind);
  if (gate) {
    for (let i = 0; i < y.length; i++) {
      const g = gate[i] as number;
      y[i] = (y[i] as number) * (g / (1 + Math.exp(-g)));
    }
  }
  return y;
}
