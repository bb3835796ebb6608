// Histograms of gate values (the saturation panel): binning on [0, 1] or on the logit axis (equal
// widths in logit(v), values beyond the range kept in the edge bins), shares per bin, and the small
// histogram chart as data — pixel scales, step-shaped area/outline path strings and axis ticks —
// that React renders as SVG. Colour-blind-safe series colours (Okabe–Ito) for overlaid runs.

import { area, curveStepAfter, line, scaleLinear, ticks as d3ticks } from 'd3';

export type BinMapping = 'linear' | 'logit';

export interface BinSpec {
  mapping: BinMapping;
  bins: number;
  /** Logit bins span [−range, range] in logit units (ignored for linear bins over [0, 1]). */
  range?: number;
}

/** Default half-width of the logit axis: ±12.5 → p from 3.7e-6 to 1 − 3.7e-6, 0.5 logit per bin at 50. */
export const LOGIT_RANGE = 12.5;

export interface Histogram {
  mapping: BinMapping;
  /** bins + 1 edges in axis units (the value for linear bins, logit(value) for logit bins). */
  edges: Float64Array;
  counts: Float64Array;
  /** Values counted (NaN excluded). */
  total: number;
  /** NaN values skipped. */
  nan: number;
}

/** Closest to 0 and 1 that logit() keeps finite: a gate of exactly 0 or 1 lands in an edge bin. */
const P_EPS = 1e-12;

/** v → axis units: itself (linear) or logit(v) with v clamped into (0, 1). */
export function toAxis(v: number, mapping: BinMapping): number {
  if (mapping === 'linear') return v;
  const p = Math.min(1 - P_EPS, Math.max(P_EPS, v));
  return Math.log(p / (1 - p));
}

/** Axis units → value (inverse of toAxis). */
export function fromAxis(x: number, mapping: BinMapping): number {
  return mapping === 'linear' ? x : 1 / (1 + Math.exp(-x));
}

/** The axis interval the bins cover. */
export function axisDomain(spec: BinSpec): [number, number] {
  if (spec.mapping === 'linear') return [0, 1];
  const r = spec.range ?? LOGIT_RANGE;
  return [-r, r];
}

/**
 * Counts of values per bin. Linear bins split [0, 1] into `bins` equal parts (1 falls in the last,
 * anything outside [0, 1] in the nearest edge bin); logit bins split [−range, range] of logit(v).
 * NaN is skipped and counted in `nan`.
 */
export function binValues(values: ArrayLike<number>, spec: BinSpec): Histogram {
  const bins = Math.max(1, Math.floor(spec.bins));
  const [lo, hi] = axisDomain(spec);
  const width = (hi - lo) / bins;
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = lo + i * width;
  edges[bins] = hi;
  const counts = new Float64Array(bins);
  let nan = 0;
  const logitBins = spec.mapping === 'logit';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) {
      nan++;
      continue;
    }
    const x = logitBins ? toAxis(v, 'logit') : v;
    let b = Math.floor((x - lo) / width);
    if (b < 0) b = 0;
    else if (b >= bins) b = bins - 1;
    counts[b] = (counts[b] as number) + 1;
  }
  return { mapping: spec.mapping, edges, counts, total: values.length - nan, nan };
}

/** Share of the counted values per bin (sums to 1 unless nothing was counted). */
export function shares(h: Histogram): Float64Array {
  const out = new Float64Array(h.counts.length);
  if (h.total === 0) return out;
  for (let i = 0; i < out.length; i++) out[i] = (h.counts[i] as number) / h.total;
  return out;
}

/** Largest share over several histograms (for one y axis). */
export function maxShare(hs: readonly Histogram[]): number {
  let m = 0;
  for (const h of hs) for (const s of shares(h)) if (s > m) m = s;
  return m;
}

// ---------------------------------------------------------------- chart layout

export interface ChartBox {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export interface Tick {
  /** Pixel position along the axis. */
  at: number;
  label: string;
}

export interface HistogramChart {
  /** Axis units → x pixel; share → y pixel. */
  x: (axisValue: number) => number;
  y: (share: number) => number;
  /** Plot area in pixels. */
  plot: { x0: number; x1: number; y0: number; y1: number };
  xTicks: Tick[];
  yTicks: Tick[];
  /** Per histogram: the filled step area and its outline. */
  paths: Array<{ area: string; outline: string }>;
}

/** Tick values of the logit axis, as probabilities. */
export const LOGIT_TICKS = [1e-4, 0.01, 0.5, 0.99, 0.9999] as const;

export function formatP(p: number): string {
  if (p === 0 || p === 1) return String(p);
  if (p < 0.001 || p > 0.999) {
    const tail = p < 0.5 ? p : 1 - p;
    const e = Math.round(Math.log10(tail));
    return p < 0.5 ? `1e${e}` : (1 - 10 ** e).toFixed(-e);
  }
  return Number(p.toPrecision(3)).toString();
}

export function formatPercent(share: number): string {
  const v = share * 100;
  if (v === 0) return '0%';
  if (v < 0.1) return '<0.1%';
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}%`;
}

/** Step points (left edge, share) per bin plus the closing right edge. */
function stepPoints(h: Histogram): Array<[number, number]> {
  const s = shares(h);
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < s.length; i++) pts.push([h.edges[i] as number, s[i] as number]);
  if (s.length > 0) pts.push([h.edges[s.length] as number, s[s.length - 1] as number]);
  return pts;
}

/** Layout of a histogram chart over `spec`'s axis with a y axis in shares up to yMax. */
export function histogramChart(hists: readonly Histogram[], spec: BinSpec, box: ChartBox, yMax = maxShare(hists)): HistogramChart {
  const { width, height, margin } = box;
  const plot = { x0: margin.left, x1: width - margin.right, y0: margin.top, y1: height - margin.bottom };
  const dom = axisDomain(spec);
  const x = scaleLinear().domain(dom).range([plot.x0, plot.x1]);
  const top = yMax > 0 ? yMax : 1;
  const y = scaleLinear().domain([0, top]).range([plot.y1, plot.y0]).nice(3);
  const xTicks: Tick[] =
    spec.mapping === 'linear'
      ? [0, 0.25, 0.5, 0.75, 1].map((v) => ({ at: x(v), label: String(v) }))
      : LOGIT_TICKS.map((p) => ({ at: x(toAxis(p, 'logit')), label: formatP(p) })).filter((t) => t.at >= plot.x0 - 0.5 && t.at <= plot.x1 + 0.5);
  const yTicks: Tick[] = y.ticks(3).map((v) => ({ at: y(v), label: `${Number((v * 100).toPrecision(3))}%` }));
  const ar = area<[number, number]>()
    .x((d) => x(d[0]))
    .y0(plot.y1)
    .y1((d) => y(d[1]))
    .curve(curveStepAfter);
  const ln = line<[number, number]>()
    .x((d) => x(d[0]))
    .y((d) => y(d[1]))
    .curve(curveStepAfter);
  const paths = hists.map((h) => {
    const pts = stepPoints(h);
    return { area: ar(pts) ?? '', outline: ln(pts) ?? '' };
  });
  return { x: (v) => x(v), y: (v) => y(v), plot, xTicks, yTicks, paths };
}

/** Nice tick values over [lo, hi] (re-exported so panels need no d3). */
export function niceTicks(lo: number, hi: number, n: number): number[] {
  return d3ticks(lo, hi, n);
}

// ---------------------------------------------------------------- series colours

/** Okabe–Ito: distinguishable under the common colour-vision deficiencies, readable on dark grey. */
export const SERIES_COLORS = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#CC79A7', '#D55E00', '#0072B2'] as const;

export function seriesColor(i: number): string {
  return SERIES_COLORS[((i % SERIES_COLORS.length) + SERIES_COLORS.length) % SERIES_COLORS.length] as string;
}
