// viz/lines.ts and viz/distribution.ts: axis scales (linear, log with non-positive domains), SVG
// paths with gaps, bar paths, extents, matrix columns, index hit-testing, and value binning.
import { describe, expect, it } from 'vitest';
import { axisScale, barsPath, chartDomain, formatNumber, indexAt, matrixColumn, seriesColor, seriesExtent, seriesPath, tokenTicks } from '../../renderer/viz/lines.js';
import { barRects, binOf, distribution, maxCount, niceDomain, valueTicks } from '../../renderer/viz/distribution.js';

describe('axis scales', () => {
  it('maps linearly and inverts', () => {
    const s = axisScale([0, 10], [0, 100]);
    expect(s.map(2.5)).toBe(25);
    expect(s.invert(50)).toBe(5);
    expect(s.ticks(5).map((t) => t.value)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(s.ticks(5)[1]?.pos).toBe(20);
  });

  it('widens a flat domain instead of dividing by zero', () => {
    const s = axisScale([3, 3], [0, 10]);
    expect(Number.isFinite(s.map(3))).toBe(true);
  });

  it('maps log axes by decades and sends non-positive values to the range start', () => {
    const s = axisScale([1, 1000], [100, 0], 'log');
    expect(s.map(10)).toBeCloseTo(200 / 3, 9);
    expect(s.map(0)).toBe(100);
    expect(s.map(-5)).toBe(100);
    expect(s.ticks(3).map((t) => t.value)).toEqual([1, 10, 100, 1000]);
    const lifted = axisScale([0, 100], [0, 1], 'log');
    expect(lifted.domain[0]).toBeCloseTo(1e-4, 12);
  });

  it('labels numbers compactly and token ticks as integers', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(123456)).toBe('1.2e5');
    expect(formatNumber(0.00002)).toBe('2.0e-5');
    expect(formatNumber(0)).toBe('0');
    expect(tokenTicks(axisScale([0, 3], [0, 300]), 10).map((t) => t.label)).toEqual(['0', '1', '2', '3']);
  });
});

describe('paths', () => {
  const x = axisScale([0, 3], [0, 30]);
  const y = axisScale([0, 1], [10, 0]);

  it('draws a polyline and breaks it at non-finite values', () => {
    expect(seriesPath([0, 1, 0.5, 0], x, y)).toBe('M0,10L10,0L20,5L30,10');
    expect(seriesPath([0, NaN, 0.5, 0], x, y)).toBe('M0,10ZM20,5L30,10') // a lone point is its own (closed) segment;
  });

  it('breaks at non-positive values on a log axis', () => {
    const ly = axisScale([0.1, 10], [10, 0], 'log');
    expect(seriesPath([1, 0, 1], axisScale([0, 2], [0, 20]), ly)).toBe('M0,5ZM20,5Z');
  });

  it('draws bars from the baseline, skipping NaN', () => {
    const p = barsPath([1, NaN, 0.5], x, y, 0, 0);
    expect(p).toBe('M-5,0h10v10h-10ZM15,5h10v5h-10Z');
    // Negative values hang below zero.
    const yy = axisScale([-1, 1], [10, 0]);
    expect(barsPath([-1], axisScale([0, 1], [0, 10]), yy, 0, 0)).toBe('M-5,5h10v5h-10Z');
  });

  it('finds extents and chart domains', () => {
    expect(seriesExtent([[1, NaN, 3], [-2, Infinity]])).toEqual([-2, 3]);
    expect(seriesExtent([[0, -1, 0.5]], 'log')).toEqual([0.5, 0.5]);
    expect(seriesExtent([[NaN]])).toBeNull();
    expect(chartDomain([2, 5], 'linear')).toEqual([0, 5]);
    expect(chartDomain([2, 5], 'linear', false)).toEqual([2, 5]);
    expect(chartDomain([-2, 5], 'linear')).toEqual([-2, 5]);
    expect(chartDomain([4, 4], 'log')).toEqual([2, 8]);
    expect(chartDomain(null, 'linear')).toEqual([0, 1]);
  });

  it('extracts a matrix column and hit-tests indices', () => {
    const m = { rows: 3, cols: 2, at: (r: number, c: number) => r * 10 + c };
    expect(Array.from(matrixColumn(m, 1))).toEqual([1, 11, 21]);
    expect(Array.from(matrixColumn(m, 9))).toEqual([1, 11, 21]);
    expect(indexAt(14, x, 4)).toBe(1);
    expect(indexAt(16, x, 4)).toBe(2);
    expect(indexAt(-50, x, 4)).toBe(0);
    expect(indexAt(500, x, 4)).toBe(3);
    expect(indexAt(5, x, 0)).toBeNull();
  });

  it('gives distinct viridis colours per series', () => {
    const cs = [0, 1, 2].map((i) => seriesColor(i, 3));
    expect(new Set(cs).size).toBe(3);
    for (const c of cs) expect(c).toMatch(/^#[0-9a-f]{6}$|^rgb\(/);
  });
});

describe('distribution', () => {
  it('bins values over a fixed domain, the last bin closed, outliers and NaN apart', () => {
    const d = distribution([0, 0.1, 0.5, 0.99, 1, 1.5, -0.2, NaN], { bins: 4, domain: [0, 1] });
    expect(d.counts).toEqual([2, 0, 1, 2]);
    expect(d.under).toBe(1);
    expect(d.over).toBe(1);
    expect(d.nonFinite).toBe(1);
    expect(d.total).toBe(7);
    expect(d.edges).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('picks a nice domain from the data when none is given', () => {
    const d = distribution([0.03, 0.97], { bins: 10 });
    expect(d.lo).toBe(0);
    expect(d.hi).toBe(1);
    expect(d.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(distribution([2, 2]).lo).toBe(1.5);
    expect(niceDomain(0.13, 0.87, 10)).toEqual([0.1, 0.9]);
  });

  it('lays out bars and finds bins', () => {
    const d = distribution([0, 0, 0.6], { bins: 2, domain: [0, 1] });
    expect(maxCount(d)).toBe(2);
    const r = barRects(d, 100, 50);
    expect(r.map((b) => [b.x, b.h])).toEqual([
      [0, 50],
      [50, 25],
    ]);
    expect(binOf(d, 0.6)).toBe(1);
    expect(binOf(d, 1)).toBe(1);
    expect(binOf(d, 1.2)).toBeNull();
    expect(valueTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});
