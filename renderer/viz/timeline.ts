// A Perfetto-style timeline as pure functions: items (start/end ns on a row) indexed once, then for
// a time window and a pixel width the visible rectangles (sub-pixel neighbours merged, coloured by
// the longest one they hold), zoom about a fixed time, pan, fit, clamping, hit testing and a time
// axis with ns / µs / ms ticks. No DOM: the panel draws the rects on a canvas and the axis in SVG.

import { precisionFixed, scaleLinear } from 'd3';

export interface TimelineItem {
  /** Caller's id (e.g. the index of the record it stands for). */
  id: number;
  row: number;
  /** ns. */
  start: number;
  end: number;
  /** Colour category (caller's palette slot). */
  cat: number;
}

export interface TimelineIndex {
  /** Items sorted by start (then end). */
  items: readonly TimelineItem[];
  /** maxEnd[i] = max(items[0..i].end): monotone, so the first visible item is a binary search. */
  maxEnd: Float64Array;
  rows: number;
  /** Extent of all items (0, 0 when empty). */
  t0: number;
  t1: number;
}

export interface TimeWindow {
  t0: number;
  t1: number;
}

/** Sorts and indexes items (those with non-finite times are dropped). */
export function indexTimeline(items: readonly TimelineItem[], rows: number): TimelineIndex {
  const sorted = items.filter((it) => Number.isFinite(it.start) && Number.isFinite(it.end)).sort((a, b) => a.start - b.start || a.end - b.end);
  const maxEnd = new Float64Array(sorted.length);
  let m = -Infinity;
  let t0 = Infinity;
  sorted.forEach((it, i) => {
    m = Math.max(m, it.end);
    maxEnd[i] = m;
    t0 = Math.min(t0, it.start);
  });
  return { items: sorted, maxEnd, rows, t0: sorted.length ? t0 : 0, t1: sorted.length ? m : 0 };
}

/** [lo, hi) indices of the items that may intersect the window (every one in it lies inside). */
export function visibleRange(ix: TimelineIndex, win: TimeWindow): [number, number] {
  // first i with maxEnd[i] >= t0
  let lo = 0;
  let hi = ix.items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ix.maxEnd[mid] as number) >= win.t0) hi = mid;
    else lo = mid + 1;
  }
  const first = lo;
  // first i with start > t1
  lo = first;
  hi = ix.items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ix.items[mid] as TimelineItem).start > win.t1) hi = mid;
    else lo = mid + 1;
  }
  return [first, lo];
}

export interface Rect {
  /** CSS px from the left of the drawing area. */
  x: number;
  w: number;
  row: number;
  /** The id and category of the longest item the rect holds. */
  id: number;
  cat: number;
  /** How many items were merged into it (1 = a single item). */
  count: number;
}

/**
 * Visible items as rectangles for a window drawn `width` px wide. Items narrower than a pixel that
 * touch the previous rect of their row are merged into it (Perfetto's level of detail), so the
 * rect count is bounded by rows × width whatever the item count; every rect is ≥ minWidth px.
 */
export function layoutRects(ix: TimelineIndex, win: TimeWindow, width: number, minWidth = 1): Rect[] {
  const span = win.t1 - win.t0;
  if (!(span > 0) || width <= 0) return [];
  const k = width / span;
  const [a, b] = visibleRange(ix, win);
  const out: Rect[] = [];
  const last: Array<Rect | undefined> = [];
  const longest: number[] = []; // duration of the longest item of each row's last rect
  for (let i = a; i < b; i++) {
    const it = ix.items[i] as TimelineItem;
    if (it.end < win.t0 || it.start > win.t1) continue;
    const x0 = Math.max(-1, (it.start - win.t0) * k);
    const x1 = Math.min(width + 1, (it.end - win.t0) * k);
    const dur = it.end - it.start;
    const prev = last[it.row];
    if (prev && x1 - x0 < 1 && x0 <= prev.x + prev.w + 0.5) {
      prev.w = Math.max(prev.w, x1 - prev.x, minWidth);
      prev.count++;
      if (dur > (longest[it.row] as number)) {
        longest[it.row] = dur;
        prev.id = it.id;
        prev.cat = it.cat;
      }
      continue;
    }
    const r: Rect = { x: x0, w: Math.max(minWidth, x1 - x0), row: it.row, id: it.id, cat: it.cat, count: 1 };
    out.push(r);
    last[it.row] = r;
    longest[it.row] = dur;
  }
  return out;
}

export interface RowGeometry {
  /** y of row 0's top, px. */
  top: number;
  rowHeight: number;
  rows: number;
}

export function rowAt(g: RowGeometry, y: number): number | null {
  const r = Math.floor((y - g.top) / g.rowHeight);
  return r >= 0 && r < g.rows ? r : null;
}

/**
 * The rect under (x, y): an exact hit on the pointer's row wins; otherwise the nearest rect of
 * that row within `tolerance` px (thin dispatches stay clickable). Null when none.
 */
export function hitTest(rects: readonly Rect[], g: RowGeometry, x: number, y: number, tolerance = 3): Rect | null {
  const row = rowAt(g, y);
  if (row === null) return null;
  let best: Rect | null = null;
  let bestD = Infinity;
  for (const r of rects) {
    if (r.row !== row) continue;
    const d = x < r.x ? r.x - x : x > r.x + r.w ? x - (r.x + r.w) : 0;
    if (d < bestD || (d === bestD && d === 0 && best && r.w < best.w)) {
      best = r;
      bestD = d;
    }
  }
  return best && bestD <= tolerance ? best : null;
}

// ---------------------------------------------------------------- navigation

export interface ZoomLimits {
  /** Narrowest window, ns. */
  minSpan: number;
  /** Widest window, ns. */
  maxSpan: number;
}

/**
 * Scales the window by `factor` (< 1 zooms in) about time `at`, which keeps its screen position:
 * (at − t0) / span is the same before and after. The factor is limited so the span stays within limits.
 */
export function zoomAt(win: TimeWindow, factor: number, at: number, limits: ZoomLimits): TimeWindow {
  const span = win.t1 - win.t0;
  if (!(span > 0) || !(factor > 0)) return win;
  const next = Math.min(limits.maxSpan, Math.max(limits.minSpan, span * factor));
  const f = next / span;
  return { t0: at - (at - win.t0) * f, t1: at + (win.t1 - at) * f };
}

/** Shifts the window by `fraction` of its span (positive: later). */
export function panBy(win: TimeWindow, fraction: number): TimeWindow {
  const d = (win.t1 - win.t0) * fraction;
  return { t0: win.t0 + d, t1: win.t1 + d };
}

/** A window showing [start, end] with `pad` of the span on each side, at least minSpan wide. */
export function fitWindow(start: number, end: number, pad = 0.05, minSpan = 1): TimeWindow {
  const span = Math.max(minSpan, end - start);
  const mid = (start + end) / 2;
  const half = (span * (1 + 2 * pad)) / 2;
  return { t0: mid - half, t1: mid + half };
}

/**
 * Keeps a window on the data: no wider than the padded extent (then centred on it), and never
 * panned so far that the extent leaves it.
 */
export function clampWindow(win: TimeWindow, extent: TimeWindow, pad = 0.05): TimeWindow {
  const es = Math.max(1e-9, extent.t1 - extent.t0);
  const lo = extent.t0 - es * pad;
  const hi = extent.t1 + es * pad;
  const span = win.t1 - win.t0;
  if (span >= hi - lo) {
    const mid = (lo + hi) / 2;
    return { t0: mid - span / 2, t1: mid + span / 2 };
  }
  if (win.t0 < lo) return { t0: lo, t1: lo + span };
  if (win.t1 > hi) return { t0: hi - span, t1: hi };
  return win;
}

/** Time under pixel x of a window drawn `width` px wide. */
export function timeAt(win: TimeWindow, width: number, x: number): number {
  return win.t0 + ((win.t1 - win.t0) * x) / Math.max(1, width);
}

// ---------------------------------------------------------------- axis and formatting

export interface TimeTick {
  /** ns. */
  t: number;
  x: number;
  label: string;
}

const UNITS = [
  { ns: 1e6, name: 'ms' },
  { ns: 1e3, name: 'µs' },
  { ns: 1, name: 'ns' },
] as const;

/** Ticks of a time axis: unit from the window's span (ms from 1 ms, µs from 1 µs, else ns), just enough decimals. */
export function timeTicks(win: TimeWindow, width: number, count = Math.max(2, Math.round(width / 90))): { ticks: TimeTick[]; unit: string } {
  const s = scaleLinear().domain([win.t0, win.t1]).range([0, width]);
  const values = s.ticks(count);
  const step = values.length > 1 ? (values[1] as number) - (values[0] as number) : win.t1 - win.t0;
  const unit = UNITS.find((u) => win.t1 - win.t0 >= u.ns) ?? UNITS[2];
  const digits = precisionFixed(step / unit.ns);
  return {
    unit: unit.name,
    ticks: values.map((t) => ({ t, x: s(t), label: `${(t / unit.ns).toFixed(digits)}` })),
  };
}

/** A duration in ns as '850 ns', '12.4 µs', '3.21 ms' or '1.50 s' (three significant digits). */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '–';
  const a = Math.abs(ns);
  const [v, u] = a >= 1e9 ? [ns / 1e9, 's'] : a >= 1e6 ? [ns / 1e6, 'ms'] : a >= 1e3 ? [ns / 1e3, 'µs'] : [ns, 'ns'];
  return `${u === 'ns' ? Math.round(v) : Number(v.toPrecision(3))} ${u}`;
}
