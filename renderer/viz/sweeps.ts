// Scaling curves of a sweep as a pure layout: log–log scales for sequence length T and time (ms),
// x ticks at the measured lengths, y ticks from viz/lines.ts, one SVG path per series (variant ×
// chunk size) through its measured points, dash patterns per chunk size, and the nearest point to
// the pointer. React draws it in SVG; every d3 use for the sweep views stays here.

import { line } from 'd3';
import { axisScale, type AxisScale, type Tick } from './lines.js';

export interface SweepChartSeries {
  key: string;
  points: ReadonlyArray<{ T: number; v: number }>;
}

export interface ChartBox {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export interface ChartPoint {
  key: string;
  T: number;
  v: number;
  px: number;
  py: number;
}

export interface SweepChart {
  /** Drawing area inside the margins (absolute SVG pixels). */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  x: AxisScale;
  y: AxisScale;
  xTicks: Tick[];
  yTicks: Tick[];
  paths: Array<{ key: string; d: string }>;
  points: ChartPoint[];
  /** True when no series has a plottable point (the axes are placeholders). */
  empty: boolean;
}

const ok = (T: number, v: number): boolean => Number.isFinite(T) && T > 0 && Number.isFinite(v) && v > 0;

/**
 * A log domain around [lo, hi] widened by `pad` (a factor) on each side; a single value gets a
 * factor of 2 either way.
 */
export function logDomain(lo: number, hi: number, pad = 1.15): [number, number] {
  if (!(lo > 0) || !(hi > 0)) return [1, 10];
  if (lo === hi) return [lo / 2, hi * 2];
  return [lo / pad, hi * pad];
}

/**
 * The measured lengths as x ticks, thinned (keeping the first and last) so labels stay at least
 * minGap pixels apart.
 */
export function lengthTicks(Ts: readonly number[], x: AxisScale, minGap = 34): Tick[] {
  const all = [...new Set(Ts.filter((T) => T > 0))].sort((a, b) => a - b).map((T) => ({ value: T, pos: x.map(T), label: formatLength(T) }));
  if (all.length <= 2) return all;
  const out: Tick[] = [all[0] as Tick];
  const last = all[all.length - 1] as Tick;
  for (const t of all.slice(1, -1)) {
    if (Math.abs(t.pos - (out[out.length - 1] as Tick).pos) >= minGap && Math.abs(last.pos - t.pos) >= minGap) out.push(t);
  }
  out.push(last);
  return out;
}

/** 64 → '64', 1024 → '1K', 16384 → '16K', 1500 → '1500' (binary K only when exact). */
export function formatLength(T: number): string {
  return T >= 1024 && T % 1024 === 0 ? `${T / 1024}K` : String(T);
}

/** The chart layout: log x (T), log y (time), paths through each series' points in order. */
export function sweepChart(series: readonly SweepChartSeries[], box: ChartBox, extraT: readonly number[] = []): SweepChart {
  const x0 = box.margin.left;
  const x1 = Math.max(x0 + 10, box.width - box.margin.right);
  const y0 = box.margin.top;
  const y1 = Math.max(y0 + 10, box.height - box.margin.bottom);
  const pts = series.flatMap((s) => s.points.filter((p) => ok(p.T, p.v)));
  const Ts = pts.map((p) => p.T);
  const vs = pts.map((p) => p.v);
  const tx = [...Ts, ...extraT.filter((T) => T > 0)];
  const x = axisScale(tx.length ? logDomain(Math.min(...tx), Math.max(...tx)) : [10, 1000], [x0, x1], 'log');
  const y = axisScale(vs.length ? logDomain(Math.min(...vs), Math.max(...vs), 1.3) : [1, 100], [y1, y0], 'log');
  const gen = line<{ T: number; v: number }>()
    .x((p) => x.map(p.T))
    .y((p) => y.map(p.v));
  const paths = series.map((s) => {
    const p = s.points.filter((q) => ok(q.T, q.v));
    return { key: s.key, d: p.length >= 2 ? (gen(p) ?? '') : '' };
  });
  const points = series.flatMap((s) => s.points.filter((p) => ok(p.T, p.v)).map((p) => ({ key: s.key, T: p.T, v: p.v, px: x.map(p.T), py: y.map(p.v) })));
  return {
    x0,
    x1,
    y0,
    y1,
    x,
    y,
    xTicks: lengthTicks(Ts.length ? Ts : [10, 100, 1000], x),
    yTicks: y.ticks(Math.max(2, Math.floor((y1 - y0) / 36))),
    paths,
    points,
    empty: pts.length === 0,
  };
}

/** The chart point nearest to (px, py) within maxDist pixels, or null. */
export function nearestPoint(points: readonly ChartPoint[], px: number, py: number, maxDist = 24): ChartPoint | null {
  let best: ChartPoint | null = null;
  let bd = maxDist * maxDist;
  for (const p of points) {
    const d = (p.px - px) ** 2 + (p.py - py) ** 2;
    if (d <= bd) {
      bd = d;
      best = p;
    }
  }
  return best;
}

/** Dash pattern of the i-th chunk size (solid, dashed, dotted, dash-dot, then repeating). */
export function chunkDash(i: number): string {
  const dashes = ['', '7 4', '2 3', '9 3 2 3'];
  return dashes[((i % dashes.length) + dashes.length) % dashes.length] as string;
}

/** Slope of log time against log T between the first and last points (≈ 1 linear, ≈ 2 quadratic); NaN with fewer than two. */
export function logLogSlope(points: ReadonlyArray<{ T: number; v: number }>): number {
  const p = points.filter((q) => ok(q.T, q.v));
  const a = p[0];
  const b = p[p.length - 1];
  if (!a || !b || a.T === b.T) return NaN;
  return Math.log(b.v / a.v) / Math.log(b.T / a.T);
}
