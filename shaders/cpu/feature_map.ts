// Float64 twins of the feature maps (kernels/feature_map.wgsl), spec §1.1.

export type FeatureMapKind64 = 'identity' | 'relu' | 'elu1' | 'hedgehog' | 'exp_norm';

/**
 * φ per row of `dk` features (x is [rows, dk] flattened). Hedgehog: W [dk, dk] as [out, in], b [dk],
 * output [rows, 2dk] = softmax([2(Wx + b), −2(Wx + b)]) (fla HedgehogFeatureMap). exp_norm: the query map.
 */
export function featureMap64(
  kind: FeatureMapKind64,
  x: ArrayLike<number>,
  dk: number,
  weight?: ArrayLike<number>,
  bias?: ArrayLike<number>,
): Float64Array {
  const rows = x.length / dk;
  if (kind === 'hedgehog') {
    if (!weight || !bias) throw new Error('hedgehog needs weight and bias');
    const y = new Float64Array(rows * 2 * dk);
    const z = new Float64Array(2 * dk);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < dk; j++) {
        let s = bias[j] as number;
        for (let i = 0; i < dk; i++) s += (weight[j * dk + i] as number) * (x[r * dk + i] as number);
        z[j] = 2 * s;
        z[dk + j] = -2 * s;
      }
      let m = -Infinity;
      for (const v of z) m = Math.max(m, v);
      let sum = 0;
      for (const v of z) sum += Math.exp(v - m);
      for (let j = 0; j < 2 * dk; j++) y[r * 2 * dk + j] = Math.exp((z[j] as number) - m) / sum;
    }
    return y;
  }
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    if (kind === 'exp_norm') for (let i = 0; i < dk; i++) m = Math.max(m, x[r * dk + i] as number);
    for (let i = 0; i < dk; i++) {
      const v = x[r * dk + i] as number;
      y[r * dk + i] =
        kind === 'relu' ? Math.max(v, 0) : kind === 'elu1' ? (v > 0 ? 1 + v : Math.exp(v)) : kind === 'exp_norm' ? Math.exp(v - m) : v;
    }
  }
  return y;
}

/**
 * exp_norm on keys [B, T, H, dk] with the causal running max M_t per (b, h) (spec §1.1):
 * φ(k_t) = exp(k_t − M_t), A'_t = A_t + (M_{t−1} − M_t) (0 at the very first token), mOut = M_{T−1}.
 */
export function expNormKeys64(
  k: ArrayLike<number>,
  dims: { B: number; T: number; H: number; dk: number },
  A?: ArrayLike<number>,
  mPrev?: ArrayLike<number>,
): { phiK: Float64Array; A: Float64Array; mOut: Float64Array; M: Float64Array } {
  const { B, T, H, dk } = dims;
  const phiK = new Float64Array(B * T * H * dk);
  const Aout = new Float64Array(B * T * H * dk);
  const mOut = new Float64Array(B * H);
  const M = new Float64Array(B * T * H);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let prev = mPrev ? (mPrev[b * H + h] as number) : -Infinity;
      for (let t = 0; t < T; t++) {
        const o = ((b * T + t) * H + h) * dk;
        let m = prev;
        for (let i = 0; i < dk; i++) m = Math.max(m, k[o + i] as number);
        const term = prev === -Infinity ? 0 : prev - m;
        for (let i = 0; i < dk; i++) {
          phiK[o + i] = Math.exp((k[o + i] as number) - m);
          Aout[o + i] = (A ? (A[o + i] as number) : 0) + term;
        }
        M[(b * T + t) * H + h] = m;
        prev = m;
      }
      mOut[b * H + h] = prev;
    }
  }
  return { phiK, A: Aout, mOut, M };
}
