// Drawings for the Compare panel as pure functions (d3 computes, React renders): per-token line
// charts over a shared token window (one line per compared run, NaN breaks a line), categorical
// colours for the runs, and the token window arithmetic behind the synced zoom.

import { line, scaleLinear } from 'd3';

/**
 * Okabe–Ito colours (colour-blind safe), ordered for a dark background: run 0 is sky blue, then
 * orange, bluish green, reddish purple.
 */
export const RUN_COLORS = ['#56b4e9', '#e69f00', '#009e73', '#cc79a7', '#f0e442', '#d55e00'] as const;

export function runColor(i: number): string {
  return RUN_COLORS[((i % RUN_COLORS.length) + RUN_COLORS.length) % RUN_COLORS.length] as string;
}

/** A half-open token window [lo, hi). */
export interface TokenWindow {
  lo: number;
  hi: number;
}

/** Clamps a window into [0, T) keeping at least `minSpan` tokens (or all T when fewer). */
export function clampWindow(w: TokenWindow, T: number, minSpan = 4): TokenWindow {
  if (T <= 0) return { lo: 0, hi: 0 };
  let span = Math.max(Math.min(minSpan, T), Math.min(T, Math.round(w.hi - w.lo)));
  if (!Number.isFinite(span)) span = T;
  let lo = Math.round(w.lo);
  if (!Number.isFinite(lo)) lo = 0;
  lo = Math.max(0, Math.min(lo, T - span));
  return { lo, hi: lo + span };
}

/**
 * Zooms a window by `factor` (< 1 zooms in) about token position `center`, keeping `center` at the
 * same relative place, clamped into [0, T).
 */
export function zoomWindow(w: TokenWindow, center: number, factor: number, T: number, minSpan = 4): TokenWindow {
  const span = w.hi - w.lo;
  const next = Math.max(Math.min(minSpan, T), Math.min(T, Math.round(span * factor)));
  const rel = span > 0 ? (center - w.lo) / span : 0.5;
  const lo = Math.round(center - rel * next);
  return clampWindow({ lo, hi: lo + next }, T, minSpan);
}

/** Moves a window by `delta` tokens, clamped. */
export function panWindow(w: TokenWindow, delta: number, T: number): TokenWindow {
  return clampWindow({ lo: w.lo + delta, hi: w.hi + delta }, T, 1);
}

export interface SeriesChart {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  /** One SVG path per input series (same order). */
  paths: string[];
  xTicks: Array<{ value: number; at: number; label: string }>;
  yTicks: Array<{ value: number; at: number; label: string }>;
  yDomain: [number, number];
  /** Centre of token column `pos` in pixels. */
  x: (pos: number) => number;
  y: (v: number) => number;
  /** The token position under pixel px (clamped into the window), or null outside the plot. */
  posAt: (px: number) => number | null;
}

export const SERIES_MARGIN = { left: 44, top: 6, right: 10, bottom: 22 };

/**
 * A per-token line chart over window [lo, hi): token pos sits at the centre of its column (so it
 * lines up with heatmap columns of the same width), y covers every finite value in the window
 * (plus `include`, e.g. 0), niced. Points outside the window are dropped.
 */
export function seriesChart(series: ReadonlyArray<ArrayLike<number>>, win: TokenWindow, width: number, height: number, include: readonly number[] = []): SeriesChart {
  const m = SERIES_MARGIN;
  const plot = { left: m.left, top: m.top, right: width - m.right, bottom: height - m.bottom };
  const n = Math.max(1, win.hi - win.lo);
  const colW = (plot.right - plot.left) / n;
  const x = (pos: number): number => plot.left + (pos - win.lo + 0.5) * colW;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const s of series) {
    for (let p = win.lo; p < Math.min(win.hi, s.length); p++) {
      const v = s[p] as number;
      if (Number.isFinite(v)) {
        y0 = Math.min(y0, v);
        y1 = Math.max(y1, v);
      }
    }
  }
  for (const v of include) {
    y0 = Math.min(y0, v);
    y1 = Math.max(y1, v);
  }
  if (!(y0 <= y1)) [y0, y1] = [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const ys = scaleLinear().domain([y0, y1]).range([plot.bottom, plot.top]).nice(4);
  const dom = ys.domain() as [number, number];
  const paths = series.map((s) => {
    const pts: Array<[number, number]> = [];
    for (let p = win.lo; p < Math.min(win.hi, s.length); p++) pts.push([p, s[p] as number]);
    return (
      line<[number, number]>()
        .defined((d) => Number.isFinite(d[1]))
        .x((d) => x(d[0]))
        .y((d) => ys(d[1]))(pts) ?? ''
    );
  });
  const xs = scaleLinear().domain([win.lo, Math.max(win.lo, win.hi - 1)]);
  const xTicks = xs
    .ticks(Math.min(8, n))
    .filter((v) => Number.isInteger(v) && v >= win.lo && v < win.hi)
    .map((v) => ({ value: v, at: x(v), label: String(v) }));
  return {
    width,
    height,
    plot,
    paths,
    xTicks,
    yTicks: ys.ticks(4).map((v) => ({ value: v, at: ys(v), label: Number(v.toPrecision(3)).toString() })),
    yDomain: dom,
    x,
    y: (v) => ys(v),
    posAt: (px) => {
      if (px < plot.left || px > plot.right) return null;
      return Math.min(win.hi - 1, Math.max(win.lo, win.lo + Math.floor((px - plot.left) / colW)));
    },
  };
}

/** Integer token positions in [lo, hi) to label on an axis (at most about `count`). */
export function tokenTicks(lo: number, hi: number, count = 8): number[] {
  if (hi <= lo) return [];
  return scaleLinear()
    .domain([lo, Math.max(lo, hi - 1)])
    .ticks(Math.max(1, Math.min(count, hi - lo)))
    .filter((v) => Number.isInteger(v) && v >= lo && v < hi);
}
