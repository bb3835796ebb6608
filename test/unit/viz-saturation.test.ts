// The saturation panel's pure parts: histogram binning (linear and logit bins, edges, counts,
// NaN), the chart layout, the gradient curves (∂F/∂g endpoints, g(1−g) peak) and expected
// gradients, the threshold slider, the runs drawn in compare mode and a token's values.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shaders/model/config.js';
import { EPS_MAX, EPS_MIN, SLIDER_STEPS, epsFromSlider, gatelessReason, kvHead, seriesRuns, sliderFromEps, tokenValues } from '../../renderer/panels/saturation/series.js';
import type { GateField } from '../../renderer/session/metrics.js';
import type { Analysis, LoadedModel, Run } from '../../renderer/state/types.js';
import { REFERENCE_R, dFdg, finiteMean, gradientChart, gradientMass, sampleCurve, sigmoidGrad } from '../../renderer/viz/gradient.js';
import {
  LOGIT_RANGE,
  SERIES_COLORS,
  axisDomain,
  binValues,
  formatP,
  formatPercent,
  fromAxis,
  histogramChart,
  maxShare,
  seriesColor,
  shares,
  toAxis,
} from '../../renderer/viz/histogram.js';

const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((x, y) => x + y, 0);
const box = { width: 300, height: 120, margin: { top: 5, right: 10, bottom: 20, left: 40 } };

describe('binValues, linear bins over [0, 1]', () => {
  it('counts per bin, the ends in the edge bins, NaN skipped', () => {
    const h = binValues([0, 0.01, 0.55, 0.99, 1, NaN, -0.1, 1.2, NaN], { mapping: 'linear', bins: 10 });
    expect(Array.from(h.counts)).toEqual([3, 0, 0, 0, 0, 1, 0, 0, 0, 3]);
    expect(h.total).toBe(7);
    expect(h.nan).toBe(2);
    expect(sum(h.counts)).toBe(h.total);
  });

  it('edges run from 0 to 1 exactly; a value on an inner edge opens the next bin', () => {
    const h = binValues([0.25, 0.5, 0.75], { mapping: 'linear', bins: 4 });
    expect(Array.from(h.edges)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(h.counts)).toEqual([0, 1, 1, 1]);
    const h50 = binValues([], { mapping: 'linear', bins: 50 });
    expect(h50.edges.length).toBe(51);
    expect(h50.edges[0]).toBe(0);
    expect(h50.edges[50]).toBe(1);
    expect(h50.edges[25]).toBeCloseTo(0.5, 12);
  });

  it('shares sum to 1 (and are 0 with nothing counted)', () => {
    const vals = Array.from({ length: 1000 }, (_, i) => (i * 0.618) % 1);
    const h = binValues(vals, { mapping: 'linear', bins: 50 });
    expect(sum(h.counts)).toBe(1000);
    expect(sum(shares(h))).toBeCloseTo(1, 12);
    const empty = binValues([NaN, NaN], { mapping: 'linear', bins: 5 });
    expect(empty.total).toBe(0);
    expect(Array.from(shares(empty))).toEqual([0, 0, 0, 0, 0]);
    expect(maxShare([h, empty])).toBeGreaterThan(0);
  });
});

describe('binValues, logit bins', () => {
  const spec = { mapping: 'logit' as const, bins: 50, range: LOGIT_RANGE };
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));

  it('equal widths in logit units, symmetric around 0', () => {
    const h = binValues([], spec);
    expect(h.edges[0]).toBe(-12.5);
    expect(h.edges[50]).toBe(12.5);
    expect(h.edges[25]).toBeCloseTo(0, 12);
    expect((h.edges[1] as number) - (h.edges[0] as number)).toBeCloseTo(0.5, 12);
    expect(axisDomain(spec)).toEqual([-12.5, 12.5]);
  });

  it('puts values by their logit; exact 0 and 1 land in the edge bins', () => {
    const h = binValues([0.5, sig(-12), sig(3.2), 0, 1, 1 - 1e-9, NaN], spec);
    expect(h.counts[25]).toBe(1); // logit 0
    expect(h.counts[1]).toBe(1); // −12 → (−12 + 12.5) / 0.5 = 1
    expect(h.counts[31]).toBe(1); // 3.2 → 31.4
    expect(h.counts[0]).toBe(1); // 0
    expect(h.counts[49]).toBe(2); // 1 and 1 − 1e-9 (logit 20.7, beyond the range)
    expect(h.total).toBe(6);
    expect(h.nan).toBe(1);
    expect(sum(h.counts)).toBe(6);
  });

  it('toAxis and fromAxis invert each other', () => {
    for (const p of [1e-6, 0.01, 0.3, 0.5, 0.97, 1 - 1e-6]) expect(fromAxis(toAxis(p, 'logit'), 'logit')).toBeCloseTo(p, 12);
    expect(toAxis(0.3, 'linear')).toBe(0.3);
    expect(Number.isFinite(toAxis(1, 'logit'))).toBe(true);
  });
});

describe('histogramChart', () => {
  it('maps the axis onto the plot and draws one area + outline per histogram', () => {
    const a = binValues([0.1, 0.1, 0.9], { mapping: 'linear', bins: 10 });
    const b = binValues([0.5], { mapping: 'linear', bins: 10 });
    const c = histogramChart([a, b], { mapping: 'linear', bins: 10 }, box);
    expect(c.x(0)).toBe(40);
    expect(c.x(1)).toBe(290);
    expect(c.y(0)).toBe(100);
    expect(c.paths).toHaveLength(2);
    expect(c.paths[0]?.area.startsWith('M')).toBe(true);
    expect(c.paths[0]?.outline).toMatch(/^M40,/);
    expect(c.xTicks.map((t) => t.label)).toEqual(['0', '0.25', '0.5', '0.75', '1']);
    // b's share 1 is the maximum: the y axis reaches at least 100 %
    expect(c.y(1)).toBeGreaterThanOrEqual(5);
    expect(c.yTicks.some((t) => t.label === '100%')).toBe(true);
  });

  it('logit ticks are probabilities, 0.5 in the middle', () => {
    const spec = { mapping: 'logit' as const, bins: 50 };
    const c = histogramChart([binValues([0.5], spec)], spec, box);
    const mid = c.xTicks.find((t) => t.label === '0.5');
    expect(mid?.at).toBeCloseTo(165, 9);
    expect(c.xTicks.map((t) => t.label)).toEqual(['1e-4', '0.01', '0.5', '0.99', '0.9999']);
  });

  it('formats shares and probabilities', () => {
    expect(formatPercent(0.1234)).toBe('12%');
    expect(formatPercent(0.0123)).toBe('1.2%');
    expect(formatPercent(0.0001)).toBe('<0.1%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatP(0.25)).toBe('0.25');
    expect(formatP(1e-5)).toBe('1e-5');
  });

  it('series colours are distinct Okabe–Ito colours and wrap', () => {
    const first = Array.from({ length: SERIES_COLORS.length }, (_, i) => seriesColor(i));
    expect(new Set(first).size).toBe(SERIES_COLORS.length);
    expect(seriesColor(SERIES_COLORS.length)).toBe(seriesColor(0));
    expect(seriesColor(0)).toBe('#E69F00');
  });
});

describe('gradient at saturation', () => {
  it('∂F/∂g is 2r at g = 0 and 2(1−r) at g = 1', () => {
    for (const r of [0, 0.2, 0.5, 0.83, 1]) {
      expect(dFdg(0, r)).toBeCloseTo(2 * r, 12);
      expect(dFdg(1, r)).toBeCloseTo(2 * (1 - r), 12);
    }
    // and is the derivative of F = (1−r)g² + r(1−(1−g)²)
    const F = (g: number, r: number): number => (1 - r) * g * g + r * (1 - (1 - g) ** 2);
    const h = 1e-6;
    for (const [g, r] of [[0.3, 0.7], [0.9, 0.1], [0.5, 0.5]] as const) expect(dFdg(g, r)).toBeCloseTo((F(g + h, r) - F(g - h, r)) / (2 * h), 6);
  });

  it('g(1−g) peaks at 0.25 at g = 0.5 and vanishes at the ends', () => {
    const pts = sampleCurve(sigmoidGrad, 100);
    expect(pts).toHaveLength(101);
    const best = pts.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(best[0]).toBe(0.5);
    expect(best[1]).toBe(0.25);
    expect(sigmoidGrad(0)).toBe(0);
    expect(sigmoidGrad(1)).toBe(0);
  });

  it('expected gradients over (g, r) pairs, NaN pairs skipped', () => {
    const m = gradientMass([0.5, 1, NaN, 0.2], [0, 1, 0.3, NaN]);
    // pairs (0.5, 0) → 1 and 0.25; (1, 1) → 0 and 0
    expect(m.n).toBe(2);
    expect(m.refined).toBeCloseTo(0.5, 12);
    expect(m.plain).toBeCloseTo(0.125, 12);
    const plain = gradientMass([0.5, 0.5], null);
    expect(plain.refined).toBeNull();
    expect(plain.plain).toBeCloseTo(0.25, 12);
    expect(finiteMean([1, NaN, 3])).toBe(2);
    expect(Number.isNaN(finiteMean([NaN]))).toBe(true);
  });

  it('chart: reference curves, the mean-r curve when given, g(1−g), the density area', () => {
    const big = { width: 400, height: 200, margin: { top: 10, right: 40, bottom: 30, left: 40 } };
    const density = binValues([0.9, 0.95, 0.99, 0.5], { mapping: 'linear', bins: 20 });
    const c = gradientChart(big, { meanR: 0.3, density });
    expect(c.curves.map((k) => k.role)).toEqual([...REFERENCE_R.map(() => 'reference'), 'refined', 'plain']);
    expect(c.curves.every((k) => k.path.startsWith('M'))).toBe(true);
    expect(c.density.startsWith('M')).toBe(true);
    expect(c.densityTicks.length).toBeGreaterThan(0);
    // y spans [0, 2]: the r = 0 curve ends at the top right
    expect(c.y(2)).toBe(10);
    expect(c.y(0)).toBe(170);
    const r0 = c.curves.find((k) => k.id === 'ref-0');
    expect(r0?.labelAt).toEqual({ x: 360, y: 10, anchor: 'end' });
    const none = gradientChart(big, { meanR: null, density: null });
    expect(none.curves.some((k) => k.role === 'refined')).toBe(false);
    expect(none.density).toBe('');
  });
});

describe('threshold slider', () => {
  it('is log-spaced from EPS_MIN to EPS_MAX and inverts', () => {
    expect(epsFromSlider(0)).toBe(EPS_MIN);
    expect(epsFromSlider(SLIDER_STEPS)).toBe(EPS_MAX);
    const mid = epsFromSlider(SLIDER_STEPS / 2);
    expect(mid).toBeCloseTo(Math.sqrt(EPS_MIN * EPS_MAX), 3);
    let prev = 0;
    for (let s = 0; s <= SLIDER_STEPS; s += 10) {
      const e = epsFromSlider(s);
      expect(e).toBeGreaterThanOrEqual(prev);
      prev = e;
    }
    for (const e of [0.001, 0.01, 0.05, 0.2]) expect(epsFromSlider(sliderFromEps(e))).toBeCloseTo(e, 2);
    expect(sliderFromEps(1)).toBe(SLIDER_STEPS);
    expect(sliderFromEps(1e-9)).toBe(0);
  });
});

describe('runs drawn and token values', () => {
  const regla = parseConfig({ model_type: 'regla', hidden_size: 64, num_hidden_layers: 2, num_heads: 2, vocab_size: 100 });
  const gla = parseConfig({ model_type: 'gla', hidden_size: 64, num_hidden_layers: 2, num_heads: 2, vocab_size: 100 });
  const soft = parseConfig({ model_type: 'regla', hidden_size: 64, num_hidden_layers: 2, num_heads: 2, vocab_size: 100, gate: 'none', hybrid_softmax_layers: [0, 1] });
  const analysis: Analysis = { T: 1, records: [], dumps: new Map(), ms: 0 };
  const run = (id: string, key: string, withAnalysis = true): Run =>
    ({ id, model: { key, name: key.split(':')[1] ?? key, kind: 'sample', variant: key }, analysis: withAnalysis ? analysis : null }) as unknown as Run;
  const model = (key: string, config: typeof regla): LoadedModel => ({ ref: { key, name: key, kind: 'sample', variant: key }, config, weightBytes: 0, trainingLog: null });
  const loaded = { 'sample:regla': model('sample:regla', regla), 'sample:gla': model('sample:gla', gla), 'sample:softmax': model('sample:softmax', soft) };
  const runs = { a: run('a', 'sample:regla'), b: run('b', 'sample:gla'), c: run('c', 'sample:softmax'), d: run('d', 'sample:regla', false) };

  it('compared runs with analyses and gates, else the current run', () => {
    const cmp = seriesRuns({ compare: ['a', 'b', 'c', 'd'], currentRun: 'a', runs, loaded });
    expect(cmp.comparing).toBe(true);
    expect(cmp.runs.map((r) => [r.id, r.label])).toEqual([['a', 'regla'], ['b', 'gla']]);
    expect(cmp.runs[0]?.color).not.toBe(cmp.runs[1]?.color);
    const one = seriesRuns({ compare: ['a', 'd'], currentRun: 'b', runs, loaded });
    expect(one.comparing).toBe(false);
    expect(one.runs.map((r) => r.id)).toEqual(['b']);
    expect(seriesRuns({ compare: [], currentRun: 'd', runs, loaded }).runs).toEqual([]);
    expect(seriesRuns({ compare: [], currentRun: null, runs, loaded }).runs).toEqual([]);
  });

  it('leaves gateless models out of the comparison but shows the current one (for its message)', () => {
    expect(gatelessReason(soft)).toBe('softmax attention in every layer');
    expect(gatelessReason(regla)).toBeNull();
    const cur = seriesRuns({ compare: ['c'], currentRun: 'c', runs, loaded });
    expect(cur.runs.map((r) => r.id)).toEqual(['c']);
    expect(cur.comparing).toBe(false);
  });

  it('labels repeated models by run id', () => {
    const r2 = { ...runs, e: run('e', 'sample:regla') };
    const cmp = seriesRuns({ compare: ['a', 'e'], currentRun: 'a', runs: r2, loaded });
    expect(cmp.runs.map((r) => r.label)).toEqual(['regla (a)', 'regla (e)']);
  });

  it('token values of one head, empty outside the field', () => {
    const f: GateField = { layer: 0, T: 2, H: 2, C: 3, pos0: 4, values: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };
    expect(Array.from(tokenValues(f, 5, 1))).toEqual([10, 11, 12]);
    expect(Array.from(tokenValues(f, 4, 0))).toEqual([1, 2, 3]);
    expect(tokenValues(f, 3, 0).length).toBe(0);
    expect(tokenValues(f, 6, 0).length).toBe(0);
    expect(kvHead(4, 3, 2)).toBe(1);
    expect(kvHead(2, 1, 2)).toBe(1);
  });
});
