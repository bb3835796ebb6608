// Float64 twins of the elementwise ops (kernels/elementwise.wgsl).

type Vec = ArrayLike<number>;

const sig = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

export function add64(a: Vec, b: Vec): Float64Array {
  return Float64Array.from(a, (v, i) => v + (b[i] as number));
}

export function silu64(x: Vec): Float64Array {
  return Float64Array.from(x, (v) => v * sig(v));
}

export function scale64(x: Vec, s: number): Float64Array {
  return Float64Array.from(x, (v) => s * v);
}

/** gu [T, 2I] flat → swish(gate) ⊙ up, [T, I] flat. */
export function swiglu64(gu: Vec, T: number, I: number): Float64Array {
  const y = new Float64Array(T * I);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < I; i++) {
      const g = gu[t * 2 * I + i] as number;
      y[t * I + i] = g * sig(g) * (gu[t * 2 * I + I + i] as number);
    }
  }
  return y;
}
