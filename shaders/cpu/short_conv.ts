// Float64 twin of the short causal depthwise convolution + SiLU (kernels/short_conv.wgsl).

/**
 * x [T, C], weight [C, K], history [K-1, C] (zeros if absent) → y [T, C] and the new history,
 * y[t, c] = silu(Σ_j weight[c, j] · x̃[t + j, c]), x̃ = [history; x].
 */
export function shortConv64(
  x: ArrayLike<number>,
  T: number,
  C: number,
  weight: ArrayLike<number>,
  K: number,
  history?: ArrayLike<number>,
): { y: Float64Array; history: Float64Array } {
  const h = K - 1;
  const xt = (r: number, c: number): number =>
    r >= h ? (x[(r - h) * C + c] as number) : history ? (history[r * C + c] as number) : 0;
  const y = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += (weight[c * K + j] as number) * xt(t + j, c);
      y[t * C + c] = s / (1 + Math.exp(-s));
    }
  }
  const hist = new Float64Array(h * C);
  for (let r = 0; r < h; r++) for (let c = 0; c < C; c++) hist[r * C + c] = xt(T + r, c);
  return { y, history: hist };
}

/**
 * The same convolution the way PyTorch computes it (fla's causal_conv1d reference): Conv1d with
 * groups = C, padding K-1, output truncated to the first T positions: out[t] = Σ_j w[c, j] · xpad[t + j]
 * with K-1 zeros before x. Independent of shortConv64's history indexing, for cross-checking.
 */
export function conv1dPadded64(x: ArrayLike<number>, T: number, C: number, weight: ArrayLike<number>, K: number): Float64Array {
  const y = new Float64Array(T * C);
  for (let c = 0; c < C; c++) {
    const xpad = new Float64Array(T + K - 1);
    for (let t = 0; t < T; t++) xpad[K - 1 + t] = x[t * C + c] as number;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += (weight[c * K + j] as number) * (xpad[t + j] as number);
      y[t * C + c] = s / (1 + Math.exp(-s));
    }
  }
  return y;
}
