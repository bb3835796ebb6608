// Float64 twin of the log gates (kernels/gate.wgsl): the same stable log forms, spec §1.3.

export type GateKind64 = 'none' | 'gla' | 'sigmoid' | 'refined' | 'fast_decay';

/** log σ(x) = min(x, 0) − log1p(exp(−|x|)). */
export function logSigmoid64(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

export function logAddExp64(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

export const sigmoid64 = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/**
 * log F, F = g(g + 2r(1 − g)), g = σ(a), r = σ(c): the spec's form for a < 0, and for a >= 0 the same
 * value as log1p(−ε(2σ(−c) + ε(σ(c) − σ(−c)))), ε = σ(−a), which does not cancel as g, r → 1.
 */
export function logRefined64(a: number, c: number): number {
  if (a < 0) {
    const la = logSigmoid64(a);
    return la + logAddExp64(la, Math.LN2 + logSigmoid64(c) + logSigmoid64(-a));
  }
  const eps = sigmoid64(-a);
  return Math.log1p(-eps * (2 * sigmoid64(-c) + eps * (sigmoid64(c) - sigmoid64(-c))));
}

export interface LogGate64Args {
  kind: GateKind64;
  a?: ArrayLike<number>;
  c?: ArrayLike<number>;
  b?: ArrayLike<number>;
  /** Feature width of `a` (dk); rows are a.length / width. */
  width: number;
  normalizer: number;
  clampMin: number | null;
  repeat?: 1 | 2;
}

/** Returns {A: [rows, width · repeat], D?: same layout as b}; kind 'none' returns {}. */
export function logGate64(g: LogGate64Args): { A?: Float64Array; D?: Float64Array } {
  if (g.kind === 'none' || !g.a) return {};
  const invTau = g.kind === 'sigmoid' ? 1 : 1 / g.normalizer;
  const clamp = (v: number): number => (g.clampMin === null ? v : Math.max(v, g.clampMin));
  const rep = g.repeat ?? 1;
  const a = g.a;
  const w = g.width;
  const rows = a.length / w;
  const A = new Float64Array(rows * w * rep);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < w; i++) {
      const x = a[r * w + i] as number;
      const la = logSigmoid64(x);
      let lf = la;
      if (g.kind === 'refined') lf = logRefined64(x, (g.c as ArrayLike<number>)[r * w + i] as number);
      const v = clamp(lf * invTau);
      for (let k = 0; k < rep; k++) A[r * w * rep + k * w + i] = v;
    }
  }
  if (g.kind !== 'fast_decay' || !g.b) return { A };
  const D = new Float64Array(g.b.length);
  for (let e = 0; e < g.b.length; e++) D[e] = clamp(logSigmoid64(g.b[e] as number) * invTau);
  return { A, D };
}
