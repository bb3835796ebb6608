// The effective-attention panel's pure data functions: the causal mask of the W × W matrix (upper
// triangle NaN) in linear and log10 |A| form, colour domains (viridis / diverging / log decades),
// one row, its summary, and whether a stored matrix answers the current request.
import { describe, expect, it } from 'vitest';
import { LOG_DECADES, attentionRow, causalImage, imageDomain, matches, padRow, rowSummary, windowOf } from '../../renderer/panels/attention/data.js';

// 3 × 3, row-major; the kernel leaves zeros above the diagonal, here filled with junk to prove the mask.
const A = Float32Array.from([0.5, 9, 9, 0.25, 0.75, 9, 0.1, 0.2, -0.7]);

describe('causal image', () => {
  it('masks u > t with NaN and keeps the lower triangle', () => {
    const img = causalImage(A, 3, 'linear');
    const nan = Array.from(img, (v) => Number.isNaN(v));
    expect(nan).toEqual([false, true, true, false, false, true, false, false, false]);
    expect(img[0]).toBe(0.5);
    expect(img[3]).toBe(0.25);
    expect(img[8]).toBeCloseTo(-0.7, 6);
  });

  it('takes log10 |A| in log mode (0 → −Infinity), still masked', () => {
    const img = causalImage(Float32Array.from([0.01, 5, 0, -100]), 2, 'log');
    expect(img[0]).toBeCloseTo(-2, 6);
    expect(Number.isNaN(img[1])).toBe(true);
    expect(img[2]).toBe(-Infinity);
    expect(img[3]).toBeCloseTo(2, 6);
  });

  it('reads the window from a square matrix and rejects others', () => {
    expect(windowOf(new Float32Array(16))).toBe(4);
    expect(() => windowOf(new Float32Array(12))).toThrow(/not square/);
  });
});

describe('colour domains', () => {
  it('uses [0, max] on viridis for non-negative A, ignoring the masked cells', () => {
    const d = imageDomain(causalImage(Float32Array.from([0.5, 9, 0.25, 0.75]), 2, 'linear'), 'linear');
    expect(d).toEqual({ domain: [0, 0.75], map: 'viridis' });
  });

  it('uses a symmetric diverging domain when A has negative entries', () => {
    const d = imageDomain(causalImage(A, 3, 'linear'), 'linear');
    expect(d.map).toBe('diverging');
    expect(d.domain[0]).toBeCloseTo(-0.75, 6);
    expect(d.domain[1]).toBeCloseTo(0.75, 6);
  });

  it('spans at most LOG_DECADES below the maximum in log mode', () => {
    const img = Float32Array.from([-12, NaN, -Infinity, 0.5]);
    expect(imageDomain(img, 'log').domain).toEqual([0.5 - LOG_DECADES, 0.5]);
    expect(imageDomain(Float32Array.from([-3, -1]), 'log').domain).toEqual([-3, -1]);
    expect(imageDomain(Float32Array.from([NaN]), 'log').domain).toEqual([-LOG_DECADES, 0]);
  });
});

describe('rows', () => {
  it('returns A[t, 0..t] and summarizes it', () => {
    expect(Array.from(attentionRow(A, 3, 1))).toEqual([0.25, 0.75]);
    expect(attentionRow(A, 3, 3).length).toBe(0);
    expect(attentionRow(A, 3, -1).length).toBe(0);
    const s = rowSummary(attentionRow(A, 3, 2));
    expect(s.sum).toBeCloseTo(0.1 + 0.2 - 0.7, 6);
    expect(s.argmax).toBe(2); // by |A|
    expect(s.max).toBeCloseTo(-0.7, 6);
    const r = rowSummary([0.2, 0.8]);
    expect(r.self).toBeCloseTo(0.8, 12);
    expect(rowSummary([]).argmax).toBe(-1);
    const padded = padRow(attentionRow(A, 3, 1), 3);
    expect(Array.from(padded.slice(0, 2))).toEqual([0.25, 0.75]);
    expect(Number.isNaN(padded[2])).toBe(true);
  });

  it('knows whether the stored matrix is the one asked for', () => {
    const stored = { layer: 1, head: 0, lo: 0, hi: 20 };
    expect(matches(stored, { layer: 1, head: 0, T: 20 })).toBe(true);
    expect(matches(stored, { layer: 1, head: 1, T: 20 })).toBe(false);
    expect(matches(stored, { layer: 0, head: 0, T: 20 })).toBe(false);
    expect(matches(stored, { layer: 1, head: 0, T: 21 })).toBe(false);
    expect(matches(null, { layer: 1, head: 0, T: 20 })).toBe(false);
  });
});
