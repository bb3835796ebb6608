// Float64 twins of the dense products (kernels/matmul.wgsl, kernels/gemv.wgsl): the Linear product
// with bias and residual, the plain NN product, and the fused decode kernels gemvNorm and mlpPartial.

type Vec = ArrayLike<number>;

/** y[m, n] = Σ_k x[m, k] · w[n, k] (+ bias[n]) (+ residual[m, n]); x [M, K], w [N, K]. */
export function matmul64(
  x: Vec,
  w: Vec,
  M: number,
  N: number,
  K: number,
  bias?: Vec,
  residual?: Vec,
): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (x[m * K + k] as number) * (w[n * K + k] as number);
      if (bias) s += bias[n] as number;
      if (residual) s += residual[m * N + n] as number;
      y[m * N + n] = s;
    }
  }
  return y;
}

/** c[m, n] = Σ_k a[m, k] · b[k, n]; a [M, K], b [K, N]. */
export function matmulNN64(a: Vec, b: Vec, M: number, N: number, K: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      const av = a[m * K + k] as number;
      for (let n = 0; n < N; n++) y[m * N + n] = (y[m * N + n] as number) + av * (b[k * N + n] as number);
    }
  }
  return y;
}

function rmsnorm64(x: Vec, weight: Vec, eps: number): Float64Array {
  const H = x.length;
  let ss = 0;
  for (let i = 0; i < H; i++) ss += (x[i] as number) ** 2;
  const inv = 1 / Math.sqrt(ss / H + eps);
  const y = new Float64Array(H);
  for (let i = 0; i < H; i++) y[i] = (x[i] as number) * inv * (weight[i] as number);
  return y;
}

/**
 * gemvNorm: x = resid + Σ_p partials[p] (returned as residOut), y = w · (rmsnorm(x) ⊙ normWeight) (+ bias).
 * resid, normWeight [H]; partials [P, H] flat (P = length / H); w [N, H].
 */
export function gemvNorm64(a: {
  resid: Vec;
  partials?: Vec | undefined;
  normWeight: Vec;
  eps: number;
  w: Vec;
  N: number;
  bias?: Vec | undefined;
}): { y: Float64Array; residOut: Float64Array } {
  const H = a.resid.length;
  const x = Float64Array.from(a.resid);
  if (a.partials) {
    const parts = a.partials.length / H;
    for (let p = 0; p < parts; p++) for (let i = 0; i < H; i++) x[i] = (x[i] as number) + (a.partials[p * H + i] as number);
  }
  const xn = rmsnorm64(x, a.normWeight, a.eps);
  return { y: matmul64(xn, a.w, 1, a.N, H, a.bias), residOut: x };
}

/**
 * First intermediate row of slice p of I rows in P slices (p = P gives I): 4·⌊p·(I/4)/P⌋ when I % 4 == 0
 * (so every slice starts on a vec4), else ⌊p·I/P⌋.
 */
export function mlpSliceStart(I: number, P: number, p: number): number {
  if (I % 4 === 0) return 4 * Math.floor((p * (I / 4)) / P);
  return Math.floor((p * I) / P);
}

const swish64 = (v: number): number => v / (1 + Math.exp(-v));

/**
 * mlpPartial: xn = rmsnorm(h) ⊙ normWeight; slice p of the intermediate rows gives
 * partials[p] = W_down[:, slice] · (swish(gate·xn) ⊙ (up·xn))[slice]. wGateUp [2I, H], wDown [H, I].
 */
export function mlpPartial64(a: {
  h: Vec;
  normWeight: Vec;
  eps: number;
  wGateUp: Vec;
  wDown: Vec;
  I: number;
  slices: number;
}): Float64Array {
  const H = a.h.length;
  const { I, slices } = a;
  const xn = rmsnorm64(a.h, a.normWeight, a.eps);
  const act = new Float64Array(I);
  for (let i = 0; i < I; i++) {
    let g = 0;
    let u = 0;
    for (let k = 0; k < H; k++) {
      g += (a.wGateUp[i * H + k] as number) * (xn[k] as number);
      u += (a.wGateUp[(I + i) * H + k] as number) * (xn[k] as number);
    }
    act[i] = swish64(g) * u;
  }
  const out = new Float64Array(slices * H);
  for (let p = 0; p < slices; p++) {
    const i0 = mlpSliceStart(I, slices, p);
    const i1 = mlpSliceStart(I, slices, p + 1);
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (let i = i0; i < i1; i++) s += (a.wDown[h * I + i] as number) * (act[i] as number);
      out[p * H + h] = s;
    }
  }
  return out;
}
