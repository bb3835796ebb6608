// Binning rules shared by the capture kernels and their float64 twins: order-preserving integer keys
// of f32 values, histogram edges mapped into the input's own domain (so α = exp(log α) is binned by
// comparing log α against log-edges, exactly and without evaluating exp), and saturation thresholds.

import { ShapeError } from '../errors.js';

/** Most bins a histogram may have (the kernel holds B + 1 edges and B + 3 counters in 260 slots). */
export const MAX_BINS = 256;
/** Most saturation threshold pairs per dispatch. */
export const MAX_THRESHOLDS = 8;

export interface HistogramSpec {
  bins: number;
  /** Range of the binned quantity: of the value (linear) or of logit(value) (logit). */
  lo: number;
  hi: number;
  /** 'logit' bins logit(v) = log(v / (1 − v)) of values in (0, 1). */
  scale?: 'linear' | 'logit';
  /** 'exp': the input is log v (e.g. log α) and v = exp(input) is binned. */
  value?: 'identity' | 'exp';
}

/** A saturation test on the raw input: counts input < low and input > high (NaN never counts). */
export interface ThresholdPair {
  low: number;
  high: number;
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** Order-preserving u32 key of fround(x): key(a) < key(b) ⟺ a < b; −0 maps to +0's key. */
export function f32Key(x: number): number {
  f32buf[0] = x;
  let b = u32buf[0] as number;
  if (b === 0x80000000) b = 0;
  return b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

function logSigmoid(l: number): number {
  return l < 0 ? l - Math.log1p(Math.exp(l)) : -Math.log1p(Math.exp(-l));
}

export function checkHistogramSpec(s: HistogramSpec): void {
  if (!Number.isInteger(s.bins) || s.bins < 1 || s.bins > MAX_BINS) {
    throw new ShapeError('histogram.bins', `bins must be an integer in [1, ${MAX_BINS}], is ${s.bins}`);
  }
  if (!(Number.isFinite(s.lo) && Number.isFinite(s.hi) && s.lo < s.hi)) {
    throw new ShapeError('histogram.range', `need finite lo < hi, got [${s.lo}, ${s.hi}]`);
  }
}

/**
 * The B + 1 bin edges in the input's domain, rounded to f32. Edge k is lo + k·(hi − lo)/B in the
 * scale's domain, mapped to a value (σ for 'logit') and then to the input (log for 'exp'), all in
 * float64, rounded once. Bin b holds inputs with edge[b] ≤ x (largest such b), x = edge[B] included.
 */
export function histogramEdges(s: HistogramSpec): Float32Array {
  checkHistogramSpec(s);
  const e = new Float32Array(s.bins + 1);
  const logit = s.scale === 'logit';
  const ex = s.value === 'exp';
  for (let k = 0; k <= s.bins; k++) {
    const l = k === s.bins ? s.hi : s.lo + (k * (s.hi - s.lo)) / s.bins;
    let u: number;
    if (logit) u = ex ? logSigmoid(l) : 1 / (1 + Math.exp(-l));
    else u = ex ? (l > 0 ? Math.log(l) : -Infinity) : l;
    e[k] = u;
  }
  return e;
}

const edgeKeys = new Map<string, Uint32Array>();

/** histogramEdges as f32 keys (what the kernel compares), memoized by the spec: every tap of a capture asks again. Read-only. */
export function histogramEdgeKeys(s: HistogramSpec): Uint32Array {
  const num = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));
  const key = `${s.bins}|${num(s.lo)}|${num(s.hi)}|${s.scale ?? ''}|${s.value ?? ''}`;
  let k = edgeKeys.get(key);
  if (!k) {
    k = Uint32Array.from(histogramEdges(s), f32Key);
    if (edgeKeys.size > 256) edgeKeys.clear();
    edgeKeys.set(key, k);
  }
  return k;
}

/** α < eps and α > 1 − eps, tested on log α: log α < log(eps), log α > log1p(−eps). */
export const alphaThreshold = (eps: number): ThresholdPair => ({ low: Math.log(eps), high: Math.log1p(-eps) });
/** |logit| > t. */
export const logitThreshold = (t: number): ThresholdPair => ({ low: -t, high: t });
/** v < eps and v > 1 − eps on the value itself (e.g. g = σ(a) already materialized). */
export const valueThreshold = (eps: number): ThresholdPair => ({ low: eps, high: 1 - eps });

/** The [low₀, high₀, low₁, …] thresholds rounded to f32, as the kernel compares them. */
export function thresholdValues(pairs: readonly ThresholdPair[]): Float32Array {
  if (pairs.length < 1 || pairs.length > MAX_THRESHOLDS) {
    throw new ShapeError('saturation.thresholds', `need 1 to ${MAX_THRESHOLDS} threshold pairs, got ${pairs.length}`);
  }
  return Float32Array.from(pairs.flatMap((p) => [p.low, p.high]));
}
