// Value distributions as pure data: equal-width bins over a "nice" domain (d3's tick step), counts
// below/above it and NaNs kept apart, shares per bin, and the bars' geometry for an SVG chart on a
// linear or log count axis. Used by the feature-map panel for φ(q)/φ(k); no DOM.

import { nice, tickIncrement } from 'd3';

export interface Distribution {
  lo: number;
  hi: number;
  /** bins + 1 edges from lo to hi. */
  edges: number[];
  counts: number[];
  /** Finite values below lo / above hi (only when the domain was fixed), and NaN or ±Inf values. */
  under: number;
  over: number;
  nonFinite: number;
  /** Values counted in bins + under + over. */
  total: number;
}

/**
 * Bins `values` into `bins` equal bins over [lo, hi] (the last bin closed). Without a domain, the
 * finite extent made nice; a flat extent becomes [v − 0.5, v + 0.5].
 */
export function distribution(values: ArrayLike<number>, o: { bins?: number; domain?: readonly [number, number] } = {}): Distribution {
  const bins = Math.max(1, Math.floor(o.bins ?? 40));
  let lo: number;
  let hi: number;
  if (o.domain) {
    [lo, hi] = o.domain;
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (!(lo <= hi)) [lo, hi] = [0, 1];
    else if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
    else [lo, hi] = niceDomain(lo, hi, bins);
  }
  if (!(hi > lo)) hi = lo + 1;
  const counts = new Array<number>(bins).fill(0);
  let under = 0;
  let over = 0;
  let nonFinite = 0;
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) nonFinite++;
    else if (v < lo) under++;
    else if (v > hi) over++;
    else {
      const b = Math.min(bins - 1, Math.floor((v - lo) / w));
      counts[b] = (counts[b] as number) + 1;
    }
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * w));
  return { lo, hi, edges, counts, under, over, nonFinite, total: values.length - nonFinite };
}

/** [lo, hi] widened to round numbers (d3.nice) for about `count` ticks. */
export function niceDomain(lo: number, hi: number, count = 10): [number, number] {
  if (!(hi > lo)) return [lo, hi];
  const n = nice(lo, hi, Math.max(1, Math.min(count, 20)));
  return [n[0], n[1]];
}

/** The largest count among the bins (1 when all are empty, so scales stay defined). */
export function maxCount(...ds: Distribution[]): number {
  let m = 0;
  for (const d of ds) for (const c of d.counts) if (c > m) m = c;
  return Math.max(1, m);
}

export interface BarRect {
  x: number;
  y: number;
  w: number;
  h: number;
  count: number;
  x0: number;
  x1: number;
}

/**
 * Bars of a distribution in a box of width × height (y down): x over [lo, hi]; the top of bar i at
 * yPx(count) (a count axis: linear or log), by default linear with the largest count at the top.
 */
export function barRects(d: Distribution, width: number, height: number, yPx?: (count: number) => number): BarRect[] {
  const top = maxCount(d);
  const y = yPx ?? ((c: number) => height - (c / top) * height);
  const n = d.counts.length;
  const bw = width / n;
  return d.counts.map((count, i) => {
    const yt = count > 0 ? Math.max(0, Math.min(height, y(count))) : height;
    return { x: i * bw, y: yt, w: Math.max(0.5, bw - (bw > 3 ? 1 : 0)), h: height - yt, count, x0: d.edges[i] as number, x1: d.edges[i + 1] as number };
  });
}

/** The bin holding value v (clamped to the domain), or null outside it. */
export function binOf(d: Distribution, v: number): number | null {
  if (!Number.isFinite(v) || v < d.lo || v > d.hi) return null;
  const n = d.counts.length;
  return Math.min(n - 1, Math.floor(((v - d.lo) / (d.hi - d.lo)) * n));
}

/** Round tick values over [lo, hi] for the value axis (about n). */
export function valueTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = tickIncrement(lo, hi, n);
  const out: number[] = [];
  if (step > 0) {
    for (let k = Math.ceil(lo / step); k * step <= hi + 1e-12; k++) out.push(k * step);
  } else {
    const inv = -step;
    for (let k = Math.ceil(lo * inv); k / inv <= hi + 1e-12; k++) out.push(k / inv);
  }
  return out;
}
