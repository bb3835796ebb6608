// Effective-attention data, pure: the W × W matrix masked to its causal part (u > t → NaN, drawn
// blank), the linear or log10 |A| image of it, colour domains for either, one row A[t, 0..t], and
// row summaries (sum, argmax) for the focused token.

/** Colour scale modes of the matrix. */
export type AttentionScale = 'linear' | 'log';

/** log10 |A| below this many decades under the row/matrix maximum is clamped to the low colour. */
export const LOG_DECADES = 6;

/** The matrix's width (rows = cols = W) from its length; throws when it is not square. */
export function windowOf(matrix: ArrayLike<number>): number {
  const W = Math.round(Math.sqrt(matrix.length));
  if (W * W !== matrix.length) throw new Error(`effective attention matrix of ${matrix.length} values is not square`);
  return W;
}

/**
 * The image values of A (row-major W × W): A itself ('linear') or log10 |A| ('log'), with every
 * cell above the diagonal (u > t) NaN, so it draws blank; log10 0 is −Infinity (lowest colour).
 */
export function causalImage(matrix: ArrayLike<number>, W: number, mode: AttentionScale): Float32Array {
  const out = new Float32Array(W * W);
  for (let t = 0; t < W; t++) {
    const base = t * W;
    for (let u = 0; u < W; u++) {
      if (u > t) {
        out[base + u] = NaN;
        continue;
      }
      const v = matrix[base + u] as number;
      out[base + u] = mode === 'log' ? Math.log10(Math.abs(v)) : v;
    }
  }
  return out;
}

/**
 * The colour domain and map of an image: linear → [0, max] on viridis for non-negative A, else a
 * symmetric domain on the diverging map; log → [max − LOG_DECADES, max] of the finite log values.
 */
export function imageDomain(image: ArrayLike<number>, mode: AttentionScale): { domain: [number, number]; map: 'viridis' | 'diverging' } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < image.length; i++) {
    const v = image[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) return { domain: mode === 'log' ? [-LOG_DECADES, 0] : [0, 1], map: 'viridis' };
  if (mode === 'log') {
    const top = hi;
    const bottom = Math.max(lo, top - LOG_DECADES);
    return { domain: bottom < top ? [bottom, top] : [top - 1, top], map: 'viridis' };
  }
  if (lo < 0) {
    const m = Math.max(-lo, hi) || 1;
    return { domain: [-m, m], map: 'diverging' };
  }
  return { domain: [0, hi > 0 ? hi : 1], map: 'viridis' };
}

/** Row t of A over its causal part, u = 0…t (a copy); empty outside [0, W). */
export function attentionRow(matrix: ArrayLike<number>, W: number, t: number): Float32Array {
  if (t < 0 || t >= W) return new Float32Array(0);
  const out = new Float32Array(t + 1);
  for (let u = 0; u <= t; u++) out[u] = matrix[t * W + u] as number;
  return out;
}

/** A row of length ≤ W padded with NaN to W, so the row chart keeps the matrix's column axis. */
export function padRow(row: ArrayLike<number>, W: number): Float32Array {
  const out = new Float32Array(W).fill(NaN);
  for (let u = 0; u < Math.min(W, row.length); u++) out[u] = row[u] as number;
  return out;
}

/** Sum, the largest |A| and where it is (argmax by |A|; −1 for an empty row), and the share of mass on the token itself. */
export function rowSummary(row: ArrayLike<number>): { sum: number; argmax: number; max: number; self: number } {
  let sum = 0;
  let arg = -1;
  let best = -Infinity;
  for (let u = 0; u < row.length; u++) {
    const v = row[u] as number;
    if (!Number.isFinite(v)) continue;
    sum += v;
    if (Math.abs(v) > best) {
      best = Math.abs(v);
      arg = u;
    }
  }
  const last = row.length > 0 ? (row[row.length - 1] as number) : NaN;
  return { sum, argmax: arg, max: arg >= 0 ? (row[arg] as number) : NaN, self: sum !== 0 ? last / sum : NaN };
}

/** Whether a stored matrix answers a request (same layer, head and window). */
export function matches(a: { layer: number; head: number; lo: number; hi: number } | null, want: { layer: number; head: number; T: number }): boolean {
  return a !== null && a.layer === want.layer && a.head === want.head && a.hi - a.lo === want.T;
}
