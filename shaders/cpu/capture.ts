// Float64 twins of the capture reductions (kernels/capture.wgsl), from read-back tensors. Binning and
// thresholds use the same f32 edge keys as the kernel (capture/edges.ts), so counts match exactly.
// A tensor is [rows, H, D]: element i belongs to head (i / D) % H.

import { f32Key, histogramEdgeKeys, thresholdValues, type HistogramSpec, type ThresholdPair } from '../capture/edges.js';

const head = (i: number, H: number, D: number): number => Math.floor(i / D) % H;

/** Counts [H, B + 3]: B bins, then under, over, NaN (the kernel's layout). */
export function histogram64(x: ArrayLike<number>, H: number, D: number, spec: HistogramSpec): Uint32Array {
  const E = histogramEdgeKeys(spec);
  const B = spec.bins;
  const W = B + 3;
  const out = new Uint32Array(H * W);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    const h = head(i, H, D);
    let bin: number;
    if (Number.isNaN(v)) bin = B + 2;
    else {
      const k = f32Key(v);
      if (k < (E[0] as number)) bin = B;
      else if (k > (E[B] as number)) bin = B + 1;
      else {
        bin = 0;
        while (bin + 1 < B && (E[bin + 1] as number) <= k) bin++;
      }
    }
    out[h * W + bin] = (out[h * W + bin] as number) + 1;
  }
  return out;
}

/** Counts [H, 2K]: per pair, #(x < low) then #(x > high), thresholds rounded to f32. */
export function saturation64(x: ArrayLike<number>, H: number, D: number, pairs: readonly ThresholdPair[]): Uint32Array {
  const t = thresholdValues(pairs);
  const W = t.length;
  const out = new Uint32Array(H * W);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (Number.isNaN(v)) continue;
    const h = head(i, H, D);
    const fv = Math.fround(v) === 0 ? 0 : Math.fround(v);
    for (let k = 0; k < W; k += 2) {
      if (fv < (t[k] as number)) out[h * W + k] = (out[h * W + k] as number) + 1;
      if (fv > (t[k + 1] as number)) out[h * W + k + 1] = (out[h * W + k + 1] as number) + 1;
    }
  }
  return out;
}

/** [H, 2]: Σ v and Σ v², v = x or exp(x). */
export function moments64(x: ArrayLike<number>, H: number, D: number, value: 'identity' | 'exp' = 'identity'): Float64Array {
  const out = new Float64Array(H * 2);
  for (let i = 0; i < x.length; i++) {
    const h = head(i, H, D);
    const v = value === 'exp' ? Math.exp(x[i] as number) : (x[i] as number);
    out[h * 2] = (out[h * 2] as number) + v;
    out[h * 2 + 1] = (out[h * 2 + 1] as number) + v * v;
  }
  return out;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** [H, 2]: Σ g(1 − g) and Σ dF/dg = Σ 2(1 − r)g + 2r(1 − g) (0 without c), g = σ(a), r = σ(c). */
export function gateProxies64(a: ArrayLike<number>, c: ArrayLike<number> | undefined, H: number, D: number): Float64Array {
  const out = new Float64Array(H * 2);
  for (let i = 0; i < a.length; i++) {
    const h = head(i, H, D);
    const g = sigmoid(a[i] as number);
    out[h * 2] = (out[h * 2] as number) + g * (1 - g);
    if (c) {
      const r = sigmoid(c[i] as number);
      out[h * 2 + 1] = (out[h * 2 + 1] as number) + 2 * (1 - r) * g + 2 * r * (1 - g);
    }
  }
  return out;
}

/** [H]: Frobenius norm of each head's [dk, dv] block of a state [..., H, dk, dv]. */
export function stateNorm64(s: ArrayLike<number>, H: number, blockSize: number): Float64Array {
  const out = new Float64Array(H);
  for (let i = 0; i < s.length; i++) {
    const h = head(i, H, blockSize);
    out[h] = (out[h] as number) + (s[i] as number) ** 2;
  }
  return out.map(Math.sqrt);
}
