// The gradient-at-saturation plot as data: dF/dg of the refined gate F = (1−r)g² + r(1−(1−g)²),
// i.e. 2(1−r)g + 2r(1−g), for given r, and σ' = g(1−g) of the plain sigmoid gate, sampled over
// g ∈ [0, 1]; the expected gradients over a run's (g, r) pairs; and the chart (scales, curve path
// strings, the empirical density of g as a filled step area, ticks) that React renders as SVG.

import { area, curveStepAfter, line, scaleLinear } from 'd3';
import type { ChartBox, Histogram, Tick } from './histogram.js';

/** ∂F/∂g of the refined gate at (g, r). */
export function dFdg(g: number, r: number): number {
  return 2 * (1 - r) * g + 2 * r * (1 - g);
}

/** dσ/dx expressed in g = σ(x): the plain sigmoid gate's gradient, at most 0.25 (at g = 0.5). */
export function sigmoidGrad(g: number): number {
  return g * (1 - g);
}

/** n + 1 points (g, f(g)) at g = 0, 1/n, …, 1. */
export function sampleCurve(f: (g: number) => number, n = 100): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i <= n; i++) {
    const g = i / n;
    out.push([g, f(g)]);
  }
  return out;
}

/** Mean of the non-NaN values (NaN when there are none). */
export function finiteMean(values: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

export interface GradientMass {
  /** E[∂F/∂g] over the (g, r) pairs (refined gate), or null without r. */
  refined: number | null;
  /** E[g(1−g)] over the same g: what a plain sigmoid gate would pass back. */
  plain: number;
  /** Pairs counted. */
  n: number;
}

/** Expected gate gradients over a run's entries (g and r aligned element by element; NaNs skipped). */
export function gradientMass(g: ArrayLike<number>, r: ArrayLike<number> | null): GradientMass {
  let sr = 0;
  let sp = 0;
  let n = 0;
  for (let i = 0; i < g.length; i++) {
    const gi = g[i] as number;
    const ri = r ? (r[i] as number) : 0;
    if (Number.isNaN(gi) || Number.isNaN(ri)) continue;
    sr += dFdg(gi, ri);
    sp += sigmoidGrad(gi);
    n++;
  }
  if (n === 0) return { refined: r ? NaN : null, plain: NaN, n: 0 };
  return { refined: r ? sr / n : null, plain: sp / n, n };
}

export type CurveRole = 'refined' | 'reference' | 'plain';

export interface GradientCurve {
  id: string;
  label: string;
  role: CurveRole;
  path: string;
  /** Where the curve's label goes, in pixels, and which way the text runs from there. */
  labelAt: { x: number; y: number; anchor: 'start' | 'middle' | 'end' };
}

export interface GradientChart {
  plot: { x0: number; x1: number; y0: number; y1: number };
  x: (g: number) => number;
  y: (grad: number) => number;
  xTicks: Tick[];
  yTicks: Tick[];
  /** Right axis: density of g (per unit g), scaled to the plot's height. */
  densityTicks: Tick[];
  curves: GradientCurve[];
  /** Filled step area of the empirical density of g ('' without data). */
  density: string;
}

/** r values of the lighter reference curves. */
export const REFERENCE_R = [0, 0.5, 1] as const;

function fmt(v: number): string {
  return Number(v.toPrecision(3)).toString();
}

/**
 * The plot: x = g over [0, 1], y = gradient over [0, 2] (∂F/∂g spans [0, 2]); the refined curve at
 * meanR when given, reference curves at REFERENCE_R, g(1−g); under them `density` (a linear-bin
 * histogram of g over [0, 1]) drawn as a density whose maximum reaches the top of the plot.
 */
export function gradientChart(box: ChartBox, o: { meanR: number | null; density: Histogram | null; samples?: number }): GradientChart {
  const { width, height, margin } = box;
  const plot = { x0: margin.left, x1: width - margin.right, y0: margin.top, y1: height - margin.bottom };
  const x = scaleLinear().domain([0, 1]).range([plot.x0, plot.x1]);
  const y = scaleLinear().domain([0, 2]).range([plot.y1, plot.y0]);
  const ln = line<[number, number]>()
    .x((d) => x(d[0]))
    .y((d) => y(d[1]));
  const n = o.samples ?? 100;
  // Labels where the curves are apart: a reference curve at the end where it is high (r ≤ ½ rises
  // to 2(1−r) at g = 1, r > ½ starts at 2r at g = 0), the refined one at g = 1, g(1−g) at its peak.
  const curve = (id: string, label: string, role: CurveRole, f: (g: number) => number, at: number, anchor: 'start' | 'middle' | 'end'): GradientCurve => ({
    id,
    label,
    role,
    path: ln(sampleCurve(f, n)) ?? '',
    labelAt: { x: x(at), y: y(f(at)), anchor },
  });
  const curves: GradientCurve[] = REFERENCE_R.map((r) => curve(`ref-${r}`, `r = ${r}`, 'reference', (g) => dFdg(g, r), r <= 0.5 ? 1 : 0, r <= 0.5 ? 'end' : 'start'));
  if (o.meanR !== null && Number.isFinite(o.meanR)) {
    const r = o.meanR;
    curves.push(curve('refined', `∂F/∂g at mean r = ${fmt(r)}`, 'refined', (g) => dFdg(g, r), 0.5, 'middle'));
  }
  curves.push(curve('plain', 'g(1−g), plain σ gate', 'plain', sigmoidGrad, 0.5, 'middle'));

  let density = '';
  let densityTicks: Tick[] = [];
  const h = o.density;
  if (h && h.total > 0 && h.counts.length > 0) {
    const bins = h.counts.length;
    const dens: number[] = [];
    for (let i = 0; i < bins; i++) {
      const w = (h.edges[i + 1] as number) - (h.edges[i] as number);
      dens.push((h.counts[i] as number) / h.total / (w > 0 ? w : 1));
    }
    const dMax = Math.max(...dens);
    const d = scaleLinear()
      .domain([0, dMax > 0 ? dMax : 1])
      .range([plot.y1, plot.y0]);
    const pts: Array<[number, number]> = dens.map((v, i) => [h.edges[i] as number, v]);
    pts.push([h.edges[bins] as number, dens[bins - 1] as number]);
    density =
      area<[number, number]>()
        .x((p) => x(p[0]))
        .y0(plot.y1)
        .y1((p) => d(p[1]))
        .curve(curveStepAfter)(pts) ?? '';
    densityTicks = d.ticks(3).map((v) => ({ at: d(v), label: fmt(v) }));
  }
  return {
    plot,
    x: (g) => x(g),
    y: (v) => y(v),
    xTicks: x.ticks(5).map((v) => ({ at: x(v), label: fmt(v) })),
    yTicks: y.ticks(4).map((v) => ({ at: y(v), label: fmt(v) })),
    densityTicks,
    curves,
    density,
  };
}
