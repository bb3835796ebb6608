// Drawings of training logs as pure functions of data and size (d3 computes; React renders): loss
// curves (raw per-step loss, a debiased exponential moving average, held-out points; linear or log
// y) and a ridgeline of gate histograms over training steps (one filled ridge per snapshot, steps
// increasing downward). Every function returns plain numbers and SVG path strings.

import { area, curveLinear, line, scaleLinear, scaleLog } from 'd3';

/**
 * TensorBoard's smoothing: an exponential moving average with weight w in [0, 1), debiased so the
 * first points are not pulled towards 0 (s_t = m_t / (1 − w^t), m_t = w·m_{t−1} + (1 − w)·x_t).
 * Non-finite inputs are skipped (their output is NaN and they do not move the average).
 */
export function smoothEma(values: ArrayLike<number>, weight: number): Float64Array {
  const w = Math.min(0.999, Math.max(0, weight));
  const out = new Float64Array(values.length);
  let m = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (!Number.isFinite(x)) {
      out[i] = NaN;
      continue;
    }
    n++;
    m = w * m + (1 - w) * x;
    out[i] = w === 0 ? x : m / (1 - w ** n);
  }
  return out;
}

export interface XY {
  x: number;
  y: number;
}

export interface LossSeries {
  /** Stable key (model key) and colour. */
  key: string;
  color: string;
  train: readonly XY[];
  smooth: readonly XY[];
  held: readonly XY[];
}

export interface Tick {
  value: number;
  /** Pixel position along the axis. */
  at: number;
  label: string;
}

export interface LossChart {
  width: number;
  height: number;
  /** Plot area inside the margins. */
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: Tick[];
  yTicks: Tick[];
  series: Array<{ key: string; color: string; train: string; smooth: string; held: XY[] }>;
  /** Data → pixel (for cursors and hit-testing). */
  x: (v: number) => number;
  y: (v: number) => number;
  /** Pixel → step. */
  invertX: (px: number) => number;
  yDomain: [number, number];
}

export const LOSS_MARGIN = { left: 48, top: 8, right: 12, bottom: 26 };

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4) return `${Number((v / 1000).toPrecision(3))}k`;
  if (a < 1e-2) return v.toExponential(0);
  return Number(v.toPrecision(3)).toString();
}

/**
 * Lays out loss curves: x = step (linear over every series' steps), y = loss (linear, or log when
 * logY; the domain covers every finite positive value). Non-finite points break the lines.
 */
export function lossChart(series: readonly LossSeries[], width: number, height: number, logY: boolean): LossChart {
  const m = LOSS_MARGIN;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const s of series) {
    for (const p of [...s.train, ...s.held, ...s.smooth]) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y) || (logY && p.y <= 0)) continue;
      x0 = Math.min(x0, p.x);
      x1 = Math.max(x1, p.x);
      y0 = Math.min(y0, p.y);
      y1 = Math.max(y1, p.y);
    }
  }
  if (!(x0 <= x1)) [x0, x1] = [0, 1];
  if (x0 === x1) x1 = x0 + 1;
  if (!(y0 <= y1)) [y0, y1] = logY ? [1, 10] : [0, 1];
  if (y0 === y1) [y0, y1] = logY ? [y0 / 2, y1 * 2] : [y0 - 0.5, y1 + 0.5];
  const plot = { left: m.left, top: m.top, right: width - m.right, bottom: height - m.bottom };
  const xs = scaleLinear().domain([x0, x1]).range([plot.left, plot.right]);
  // A log axis is not niced (that would stretch 3.9–8.3 to 1–10); it gets a 3 % margin instead.
  const ys = logY ? scaleLog().domain([y0 / 1.03, y1 * 1.03]).range([plot.bottom, plot.top]) : scaleLinear().domain([y0, y1]).range([plot.bottom, plot.top]).nice();
  const yDom = ys.domain() as [number, number];
  const ok = (p: XY): boolean => Number.isFinite(p.x) && Number.isFinite(p.y) && (!logY || p.y > 0);
  const path = line<XY>()
    .defined(ok)
    .x((p) => xs(p.x))
    .y((p) => ys(p.y))
    .curve(curveLinear);
  const yTickValues = logY ? logTicks(yDom[0], yDom[1]) : ys.ticks(5);
  return {
    width,
    height,
    plot,
    xTicks: xs.ticks(6).map((v) => ({ value: v, at: xs(v), label: fmtTick(v) })),
    yTicks: yTickValues.map((v) => ({ value: v, at: ys(v), label: fmtTick(v) })),
    series: series.map((s) => ({ key: s.key, color: s.color, train: path([...s.train]) ?? '', smooth: path([...s.smooth]) ?? '', held: s.held.filter(ok).map((p) => ({ x: xs(p.x), y: ys(p.y) })) })),
    x: (v) => xs(v),
    y: (v) => ys(v),
    invertX: (px) => xs.invert(px),
    yDomain: yDom,
  };
}

/** A handful of readable ticks on a log axis (1, 2, 5 × 10^k inside the domain, at most ~7). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const k0 = Math.floor(Math.log10(lo));
  const k1 = Math.ceil(Math.log10(hi));
  for (let k = k0; k <= k1; k++) for (const m of [1, 2, 5]) {
    const v = m * 10 ** k;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
  }
  if (out.length <= 7) {
    if (out.length >= 2) return out;
    // Too narrow a range for 1-2-5: fall back to evenly spaced values.
    return scaleLinear().domain([lo, hi]).ticks(4);
  }
  return out.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
}

/** Index of the element of sorted `xs` nearest to x (−1 when empty). */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs((xs[lo] as number) - x) <= Math.abs((xs[hi] as number) - x) ? lo : hi;
}

// ---------------------------------------------------------------- ridgeline

export interface RidgeInput {
  /** Label of the row (the training step). */
  step: number;
  /** Histogram over [0, 1] in equal bins (shares; need not sum to 1). */
  hist: readonly number[];
}

export interface RidgeRow {
  step: number;
  /** Pixels per unit of bin share of this row (= Ridgeline.unit unless normalized per row). */
  unit: number;
  /** Baseline y of the ridge (pixels); rows go downward with increasing step. */
  baseline: number;
  /** Filled area and its outline. */
  area: string;
  outline: string;
  /** Tallest bin of this row (data units). */
  max: number;
}

export interface Ridgeline {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  rows: RidgeRow[];
  /** Pixels per unit of bin share ('shared': the same for every row, so heights compare). */
  unit: number;
  /** The largest share across rows (the height of one full ridge = peak × unit). */
  peak: number;
  xTicks: Tick[];
  x: (v: number) => number;
}

export const RIDGE_MARGIN = { left: 62, top: 10, right: 58, bottom: 24 };

/**
 * Ridgeline layout: rows sorted by step (ascending, top to bottom), spaced `rowStep` px apart; each
 * ridge is a step-shaped area over the bins (bin b covers [b/n, (b+1)/n]) whose tallest bin across
 * all rows reaches `overlap` × rowStep above its baseline (overlap > 1: ridges overlap the row above).
 * With `scale: 'row'` every row is scaled to its own tallest bin instead (shapes compare, heights
 * do not).
 */
export function ridgeline(rowsIn: readonly RidgeInput[], width: number, rowStep: number, overlap = 1.6, scale: 'shared' | 'row' = 'shared'): Ridgeline {
  const m = RIDGE_MARGIN;
  const rowsSorted = [...rowsIn].sort((a, b) => a.step - b.step);
  const ridgeHeight = rowStep * overlap;
  const top = m.top + ridgeHeight;
  const height = top + Math.max(0, rowsSorted.length - 1) * rowStep + m.bottom;
  const plot = { left: m.left, top: m.top, right: width - m.right, bottom: height - m.bottom };
  const xs = scaleLinear().domain([0, 1]).range([plot.left, plot.right]);
  let peak = 0;
  for (const r of rowsSorted) for (const v of r.hist) if (Number.isFinite(v)) peak = Math.max(peak, v);
  const unit = peak > 0 ? ridgeHeight / peak : 0;
  const rows = rowsSorted.map((r, i): RidgeRow => {
    const baseline = top + i * rowStep;
    const n = r.hist.length;
    let max = 0;
    for (const v of r.hist) if (Number.isFinite(v)) max = Math.max(max, v);
    const u = scale === 'row' ? (max > 0 ? ridgeHeight / max : 0) : unit;
    // A step function: two points per bin.
    const pts: XY[] = [];
    for (let b = 0; b < n; b++) {
      const v = Number.isFinite(r.hist[b]) ? (r.hist[b] as number) : 0;
      pts.push({ x: b / n, y: v }, { x: (b + 1) / n, y: v });
    }
    const ar = area<XY>()
      .x((p) => xs(p.x))
      .y0(baseline)
      .y1((p) => baseline - p.y * u)
      .curve(curveLinear);
    const ln = line<XY>()
      .x((p) => xs(p.x))
      .y((p) => baseline - p.y * u)
      .curve(curveLinear);
    return { step: r.step, unit: u, baseline, area: n > 0 ? (ar(pts) ?? '') : '', outline: n > 0 ? (ln(pts) ?? '') : '', max };
  });
  return {
    width,
    height,
    plot,
    rows,
    unit,
    peak,
    xTicks: xs.ticks(5).map((v) => ({ value: v, at: xs(v), label: fmtTick(v) })),
    x: (v) => xs(v),
  };
}
