// Line charts over tokens as pure data: x/y scales (linear or log y), SVG path strings for series
// (gaps where values are not finite), bar paths, and axis ticks with their pixel positions and
// labels. React renders the <path>/<text> elements; every d3 use for line views stays here.

import { interpolateViridis, line, scaleLinear, scaleLog } from 'd3';

export type YMapping = 'linear' | 'log';

/** A numeric axis: data → pixel, its inverse, and ticks as data. */
export interface AxisScale {
  domain: readonly [number, number];
  range: readonly [number, number];
  mapping: YMapping;
  map(v: number): number;
  invert(px: number): number;
  ticks(n?: number): Tick[];
}

export interface Tick {
  value: number;
  /** Pixel position along the axis. */
  pos: number;
  label: string;
}

/** Compact numbers for axis labels: 3 significant digits, exponent form for very small or large. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

/**
 * An axis scale. 'log' needs a positive domain: a domain reaching ≤ 0 is lifted to start at the
 * given floor (default: hi·1e-6, at least Number.MIN_VALUE) and values ≤ 0 map to the range's start.
 */
export function axisScale(domain: readonly [number, number], range: readonly [number, number], mapping: YMapping = 'linear', floor?: number): AxisScale {
  if (mapping === 'log') {
    const hi = domain[1] > 0 ? domain[1] : 1;
    const lo0 = domain[0] > 0 ? domain[0] : (floor ?? Math.max(hi * 1e-6, Number.MIN_VALUE));
    const lo = lo0 < hi ? lo0 : hi / 10;
    const s = scaleLog().domain([lo, hi]).range([range[0], range[1]]).clamp(true);
    return {
      domain: [lo, hi],
      range,
      mapping,
      map: (v) => (v > 0 ? s(v) : range[0]),
      invert: (px) => s.invert(px),
      ticks: (n = 5) => {
        let vs = s.ticks(n);
        // d3's log ticks list every 1…9 multiple; keep powers of ten when that is too many.
        if (vs.length > 2 * n) {
          const pow = vs.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
          vs = pow.length >= 2 ? pow : vs.filter((_, i) => i % Math.ceil(vs.length / n) === 0);
        }
        return vs.map((value) => ({ value, pos: s(value), label: formatNumber(value) }));
      },
    };
  }
  const d0 = domain[0];
  const d1 = domain[1] === d0 ? d0 + 1 : domain[1];
  const s = scaleLinear().domain([d0, d1]).range([range[0], range[1]]);
  return {
    domain: [d0, d1],
    range,
    mapping,
    map: (v) => s(v),
    invert: (px) => s.invert(px),
    ticks: (n = 5) => s.ticks(n).map((value) => ({ value, pos: s(value), label: formatNumber(value) })),
  };
}

/** Integer ticks for a token axis (positions), at most n of them. */
export function tokenTicks(scale: AxisScale, n = 8): Tick[] {
  return scale
    .ticks(n)
    .filter((t) => Number.isInteger(t.value))
    .map((t) => ({ ...t, label: String(t.value) }));
}

/**
 * SVG path of y[i] against x = x0 + i; non-finite values (and, on a log axis, values ≤ 0) break
 * the line instead of dropping to an edge.
 */
export function seriesPath(ys: ArrayLike<number>, x: AxisScale, y: AxisScale, x0 = 0): string {
  const idx = Array.from({ length: ys.length }, (_, i) => i);
  const ok = (i: number): boolean => {
    const v = ys[i] as number;
    return Number.isFinite(v) && (y.mapping !== 'log' || v > 0);
  };
  const gen = line<number>()
    .defined(ok)
    .x((i) => x.map(x0 + i))
    .y((i) => y.map(ys[i] as number));
  return gen(idx) ?? '';
}

/**
 * One path of vertical bars, bar i centred on x = x0 + i, from the baseline (0, or the range start
 * on a log axis) to y[i]; non-finite values draw nothing. One path keeps 2048 bars cheap in SVG.
 */
export function barsPath(ys: ArrayLike<number>, x: AxisScale, y: AxisScale, x0 = 0, gap = 0.15): string {
  const n = ys.length;
  if (n === 0) return '';
  const step = Math.abs(x.map(x0 + 1) - x.map(x0));
  const w = Math.max(0.5, step * (1 - gap));
  const base = y.mapping === 'log' ? y.range[0] : y.map(Math.min(Math.max(0, y.domain[0]), y.domain[1]));
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = ys[i] as number;
    if (!Number.isFinite(v) || (y.mapping === 'log' && v <= 0)) continue;
    const cx = x.map(x0 + i);
    const top = y.map(v);
    const y0 = Math.min(base, top);
    const h = Math.abs(base - top);
    parts.push(`M${r2(cx - w / 2)},${r2(y0)}h${r2(w)}v${r2(h)}h${r2(-w)}Z`);
  }
  return parts.join('');
}

function r2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Finite min/max over several series (positive values only for a log axis); null when none. */
export function seriesExtent(series: ReadonlyArray<ArrayLike<number>>, mapping: YMapping = 'linear'): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i] as number;
      if (!Number.isFinite(v) || (mapping === 'log' && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** A y domain for a chart: the extent, widened when flat, starting at 0 for non-negative linear data. */
export function chartDomain(ext: [number, number] | null, mapping: YMapping, zeroBased = true): [number, number] {
  if (!ext) return mapping === 'log' ? [0.1, 1] : [0, 1];
  const hi = ext[1];
  let lo = ext[0];
  if (mapping === 'log') {
    if (lo === hi) return [lo / 2, hi * 2];
    return [lo, hi];
  }
  if (zeroBased && lo >= 0) lo = 0;
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/** Column c of a [rows][cols] token matrix (TokenMatrix-like) as a series over rows. */
export function matrixColumn(m: { rows: number; cols: number; at(r: number, c: number): number }, col: number): Float64Array {
  const out = new Float64Array(m.rows);
  if (m.cols === 0) return out.fill(NaN);
  const c = Math.min(Math.max(0, col), m.cols - 1);
  for (let r = 0; r < m.rows; r++) out[r] = m.at(r, c);
  return out;
}

/** The index nearest to pixel px on an index axis (x = x0 + i), clamped to [0, n − 1]; null when n = 0. */
export function indexAt(px: number, x: AxisScale, n: number, x0 = 0): number | null {
  if (n <= 0) return null;
  const i = Math.round(x.invert(px) - x0);
  return Math.min(n - 1, Math.max(0, i));
}

/**
 * Colour of series i of n for lines on the dark panel: viridis sampled over [0.42, 0.95] (its dark
 * end is invisible on the background), so the set stays colour-blind safe and ordered.
 */
export function seriesColor(i: number, n: number): string {
  const t = n <= 1 ? 0.62 : 0.42 + (0.53 * Math.min(Math.max(0, i), n - 1)) / (n - 1);
  return interpolateViridis(t);
}
