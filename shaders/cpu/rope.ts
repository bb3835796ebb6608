// Float64 twin of RoPE (kernels/rope.wgsl): HF Llama rotate-half pairs (i, i + d/2).

/**
 * inv_freq[i] = 1 / theta^(2i/hd) for i < hd/2, each step rounded to f32 as HF's
 * `1.0 / (base ** (arange(0, dim, 2).float() / dim))` does.
 */
export function ropeInvFreq(hd: number, theta: number): Float32Array {
  const f = new Float32Array(hd / 2);
  const fd = Math.fround(hd);
  for (let i = 0; i < hd / 2; i++) {
    const e = Math.fround(Math.fround(2 * i) / fd);
    f[i] = Math.fround(1 / Math.fround(Math.fround(theta) ** e));
  }
  return f;
}

export interface Rope64Options {
  /**
   * 'f64' (default): exact angles pos * theta^(-2i/d). 'f32': HF's f32 path, as the GPU computes
   * it: f32 inv_freq and the angle f32(pos * inv_freq) (its rounding grows with the position:
   * about pos * inv_freq * 2^-24 rad), then cos/sin in float64.
   */
  angles?: 'f64' | 'f32';
}

/** x: [T, H, hd] row-major; returns the rotated [T, H, hd]. */
export function rope64(
  x: ArrayLike<number>,
  T: number,
  H: number,
  hd: number,
  pos0: number,
  theta: number,
  o: Rope64Options = {},
): Float64Array {
  const half = hd / 2;
  const inv32 = ropeInvFreq(hd, theta);
  const y = new Float64Array(T * H * hd);
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let t = 0; t < T; t++) {
    const pos = pos0 + t;
    for (let i = 0; i < half; i++) {
      const a = o.angles === 'f32' ? Math.fround(pos * (inv32[i] as number)) : pos * theta ** ((-2 * i) / hd);
      cos[i] = Math.cos(a);
      sin[i] = Math.sin(a);
    }
    for (let h = 0; h < H; h++) {
      const b = (t * H + h) * hd;
      for (let i = 0; i < half; i++) {
        const x1 = x[b + i] as number;
        const x2 = x[b + half + i] as number;
        const c = cos[i] as number;
        const s = sin[i] as number;
        y[b + i] = x1 * c - x2 * s;
        y[b + half + i] = x2 * c + x1 * s;
      }
    }
  }
  return y;
}
