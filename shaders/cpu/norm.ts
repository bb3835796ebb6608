// Float64 twin of the row norms (kernels/norm.wgsl).

export function rowNorm64(
  x: ArrayLike<number>,
  width: number,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  eps: number,
  kind: 'rmsnorm' | 'layernorm',
): Float64Array {
  const rows = x.length / width;
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mean = 0;
    if (kind === 'layernorm') {
      for (let i = 0; i < width; i++) mean += x[o + i] as number;
      mean /= width;
    }
    let ss = 0;
    for (let i = 0; i < width; i++) {
      const d = (x[o + i] as number) - mean;
      ss += d * d;
    }
    const inv = 1 / Math.sqrt(ss / width + eps);
    for (let i = 0; i < width; i++) {
      y[o + i] = ((x[o + i] as number) - mean) * inv * (weight[i] as number) + (bias ? (bias[i] as number) : 0);
    }
  }
  return y;
}
