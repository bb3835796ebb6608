// The Kernels panel's pure parts: timeline layout (visible rects, sub-pixel merging), zoom / pan /
// fit / clamp (the pointer's time stays put), hit testing, the time axis, the kernel table's
// sorting, records → timeline rows, the precision badge, the roofline layout and op colours.

import { describe, expect, it } from 'vitest';
import type { OpStats, ProfileRecord, ProfileReport } from '../../shaders/index.js';
import { dispatchNumbers, nextSort, opsByTime, precisionBadge, sortRows, tableRows, timelineData } from '../../renderer/panels/kernels/model.js';
import { categorical, OTHER_COLOR, TOL_LIGHT } from '../../renderer/viz/categorical.js';
import { decadeDomain, formatDecade, rooflinePlot } from '../../renderer/viz/roofline.js';
import {
  clampWindow,
  fitWindow,
  formatDuration,
  hitTest,
  indexTimeline,
  layoutRects,
  panBy,
  timeAt,
  timeTicks,
  visibleRange,
  zoomAt,
  type TimelineItem,
} from '../../renderer/viz/timeline.js';

const item = (id: number, row: number, start: number, end: number, cat = 0): TimelineItem => ({ id, row, start, end, cat });

describe('timeline layout', () => {
  it('places visible items at window-relative pixels and drops the rest', () => {
    const ix = indexTimeline([item(0, 0, 0, 100), item(1, 1, 100, 300), item(2, 0, 500, 600), item(3, 0, 2000, 2100)], 2);
    expect(ix.t0).toBe(0);
    expect(ix.t1).toBe(2100);
    const rects = layoutRects(ix, { t0: 0, t1: 1000 }, 100);
    expect(rects.map((r) => [r.id, r.row, r.x, r.w])).toEqual([
      [0, 0, 0, 10],
      [1, 1, 10, 20],
      [2, 0, 50, 10],
    ]);
    // A window in the middle clips the partly visible item at −1 px.
    const mid = layoutRects(ix, { t0: 200, t1: 700 }, 100);
    expect(mid.map((r) => r.id)).toEqual([1, 2]);
    expect(mid[0]?.x).toBe(-1);
    expect(mid[0]?.w).toBeCloseTo(21, 9); // (300 − 200) / 500 · 100 = 20 px, from −1
  });

  it('finds a long early item still running in a late window (prefix max of ends)', () => {
    const items = [item(0, 0, 0, 10_000), ...Array.from({ length: 50 }, (_, i) => item(i + 1, 1, 10 + i * 10, 15 + i * 10))];
    const ix = indexTimeline(items, 2);
    const [lo, hi] = visibleRange(ix, { t0: 9000, t1: 9500 });
    expect(lo).toBe(0);
    expect(hi).toBe(51);
    expect(layoutRects(ix, { t0: 9000, t1: 9500 }, 100).map((r) => r.id)).toEqual([0]);
  });

  it('merges sub-pixel neighbours into one rect that takes the longest item', () => {
    // 1000 dispatches of 1–3 ns back to back in a 1 ms window 200 px wide: far below a pixel each.
    const items = Array.from({ length: 1000 }, (_, i) => item(i, 0, i * 4, i * 4 + (i === 700 ? 3 : 1), i === 700 ? 5 : 1));
    const ix = indexTimeline(items, 1);
    const rects = layoutRects(ix, { t0: 0, t1: 1_000_000 }, 200);
    expect(rects).toHaveLength(1);
    expect(rects[0]?.count).toBe(1000);
    expect(rects[0]?.id).toBe(700);
    expect(rects[0]?.cat).toBe(5);
    expect(rects[0]?.w).toBeGreaterThanOrEqual(1);
    // Zoomed in so each is wide: no merging.
    expect(layoutRects(ix, { t0: 0, t1: 40 }, 400).every((r) => r.count === 1)).toBe(true);
  });

  it('keeps the rect count bounded by rows × width for many thousands of items', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => item(i, i % 4, i * 100, i * 100 + 60));
    const ix = indexTimeline(items, 4);
    const rects = layoutRects(ix, { t0: 0, t1: 2_000_000 }, 500);
    expect(rects.length).toBeLessThanOrEqual(4 * 500);
    expect(rects.reduce((s, r) => s + r.count, 0)).toBe(20_000);
  });

  it('drops items without finite times', () => {
    const ix = indexTimeline([item(0, 0, NaN, NaN), item(1, 0, 5, 6)], 1);
    expect(ix.items.map((i) => i.id)).toEqual([1]);
  });
});

describe('timeline navigation', () => {
  const limits = { minSpan: 10, maxSpan: 1e6 };

  it('zooms about the pointer: its time keeps its screen fraction', () => {
    const win = { t0: 1000, t1: 3000 };
    const at = timeAt(win, 400, 100); // a quarter of the way: t = 1500
    expect(at).toBe(1500);
    const z = zoomAt(win, 0.5, at, limits);
    expect(z.t1 - z.t0).toBe(1000);
    expect((at - z.t0) / (z.t1 - z.t0)).toBeCloseTo(0.25, 12);
    expect(timeAt(z, 400, 100)).toBeCloseTo(1500, 9);
    const out = zoomAt(z, 3, at, limits);
    expect(out.t1 - out.t0).toBe(3000);
    expect((at - out.t0) / (out.t1 - out.t0)).toBeCloseTo(0.25, 12);
  });

  it('limits the span and still keeps the pointer fixed', () => {
    const z = zoomAt({ t0: 0, t1: 100 }, 0.001, 80, limits);
    expect(z.t1 - z.t0).toBeCloseTo(10, 9);
    expect((80 - z.t0) / (z.t1 - z.t0)).toBeCloseTo(0.8, 12);
    const wide = zoomAt({ t0: 0, t1: 500_000 }, 10, 0, limits);
    expect(wide.t1 - wide.t0).toBeCloseTo(1e6, 6);
  });

  it('pans by a fraction of the span and fits a range with padding', () => {
    expect(panBy({ t0: 100, t1: 300 }, 0.25)).toEqual({ t0: 150, t1: 350 });
    expect(panBy({ t0: 100, t1: 300 }, -1)).toEqual({ t0: -100, t1: 100 });
    const f = fitWindow(1000, 2000, 0.1);
    expect(f.t0).toBeCloseTo(900, 9);
    expect(f.t1).toBeCloseTo(2100, 9);
    // A zero-length dispatch still gets a window of minSpan.
    const z = fitWindow(500, 500, 0, 200);
    expect(z).toEqual({ t0: 400, t1: 600 });
  });

  it('clamps windows to the data', () => {
    const extent = { t0: 0, t1: 1000 };
    expect(clampWindow({ t0: -500, t1: -300 }, extent, 0)).toEqual({ t0: 0, t1: 200 });
    expect(clampWindow({ t0: 900, t1: 1100 }, extent, 0)).toEqual({ t0: 800, t1: 1000 });
    expect(clampWindow({ t0: 100, t1: 300 }, extent, 0)).toEqual({ t0: 100, t1: 300 });
    // Wider than the padded extent: centred on it.
    expect(clampWindow({ t0: 0, t1: 4000 }, extent, 0.05)).toEqual({ t0: -1500, t1: 2500 });
  });
});

describe('timeline hit testing', () => {
  const g = { top: 4, rowHeight: 10, rows: 2 };
  const rects = layoutRects(indexTimeline([item(0, 0, 0, 100), item(1, 0, 200, 201), item(2, 1, 0, 1000)], 2), { t0: 0, t1: 1000 }, 1000);

  it('hits the rect under the pointer on the pointer row', () => {
    expect(hitTest(rects, g, 50, 8)?.id).toBe(0);
    expect(hitTest(rects, g, 50, 18)?.id).toBe(2);
  });

  it('catches thin rects within the tolerance, and nothing further away', () => {
    expect(hitTest(rects, g, 202.5, 8)?.id).toBe(1);
    expect(hitTest(rects, g, 150, 8)).toBeNull();
    expect(hitTest(rects, g, 50, 2)).toBeNull(); // above the rows
    expect(hitTest(rects, g, 50, 40)).toBeNull(); // below
  });
});

describe('time axis and durations', () => {
  it('picks the unit from the span', () => {
    const ms = timeTicks({ t0: 0, t1: 50e6 }, 500, 5);
    expect(ms.unit).toBe('ms');
    expect(ms.ticks.map((t) => t.label)).toEqual(['0', '10', '20', '30', '40', '50']);
    expect(ms.ticks[1]?.x).toBeCloseTo(100, 9);
    const us = timeTicks({ t0: 1e6, t1: 1.005e6 }, 500, 5);
    expect(us.unit).toBe('µs');
    expect(us.ticks[0]?.label).toBe('1000');
    expect(us.ticks[1]?.label).toBe('1001');
    const ns = timeTicks({ t0: 0, t1: 500 }, 500, 5);
    expect(ns.unit).toBe('ns');
    expect(ns.ticks.map((t) => t.label)).toEqual(['0', '100', '200', '300', '400', '500']);
    // Fractional steps get just enough decimals.
    expect(timeTicks({ t0: 0, t1: 2e6 }, 500, 4).ticks.map((t) => t.label)).toEqual(['0.0', '0.5', '1.0', '1.5', '2.0']);
  });

  it('formats durations with a unit', () => {
    expect(formatDuration(850)).toBe('850 ns');
    expect(formatDuration(12_345)).toBe('12.3 µs');
    expect(formatDuration(3_214_000)).toBe('3.21 ms');
    expect(formatDuration(1.5e9)).toBe('1.5 s');
    expect(formatDuration(NaN)).toBe('–');
  });
});

// ---------------------------------------------------------------- report-shaped data

function rec(o: Partial<ProfileRecord>): ProfileRecord {
  return { variant: 'v', repeat: 0, layer: null, op: 'x', kernel: 'k', phase: 'prefill', token: 0, workgroups: [1, 1, 1], flops: 0, bytes: 0, startNs: 0, endNs: 1, ...o };
}

function report(records: ProfileRecord[], o: Partial<ProfileReport> = {}): ProfileReport {
  return {
    variant: 'v',
    mode: 'per-op',
    adapter: {},
    features: [],
    promptTokens: 4,
    decodeTokens: 2,
    repeat: 2,
    warmup: 1,
    precision: { timestamps: true, quantized: false, quantumNs: 32 },
    records,
    spans: [],
    gpuSpans: [],
    perOp: [],
    totals: { prefillMs: 1, decodeMsPerToken: 1, source: 'gpu', cpuPrefillMs: 1, cpuDecodeMsPerToken: 1 },
    ...o,
  };
}

describe('records → timeline', () => {
  const records = [
    rec({ op: 'embed', layer: null, startNs: 0, endNs: 10 }),
    rec({ op: 'proj', layer: 0, startNs: 10, endNs: 30 }),
    rec({ op: 'proj', layer: 1, startNs: 30, endNs: 50 }),
    rec({ op: 'head', layer: null, startNs: 50, endNs: 90 }),
    rec({ op: 'proj', layer: 1, phase: 'decode', token: 4, startNs: 100, endNs: 105 }),
    rec({ op: 'proj', layer: 1, repeat: 1, startNs: 0, endNs: 10 }),
  ];

  it('gives each phase × layer a row (model-level ops first) and ids that index the records', () => {
    const d = timelineData(report(records), 0, 'layer', (r) => (r.op === 'proj' ? 1 : 0));
    expect(d.gpu).toBe(true);
    expect(d.rowLabels).toEqual(['prefill —', 'prefill L0', 'prefill L1', 'decode L1']);
    expect(d.phaseStart).toEqual({ prefill: 0, decode: 3 });
    expect(d.items.map((i) => [i.id, i.row, i.cat])).toEqual([
      [0, 0, 0],
      [1, 1, 1],
      [2, 2, 1],
      [3, 0, 0],
      [4, 3, 1],
    ]);
    const byPhase = timelineData(report(records), 0, 'phase', () => 0);
    expect(byPhase.rowLabels).toEqual(['prefill', 'decode']);
    expect(byPhase.items.map((i) => i.row)).toEqual([0, 0, 0, 0, 1]);
    // Repeat 1 holds only its own record.
    expect(timelineData(report(records), 1, 'layer', () => 0).items.map((i) => i.id)).toEqual([5]);
  });

  it('falls back to the CPU spans of whole steps without GPU times', () => {
    const untimed = records.map((r) => ({ ...r, startNs: NaN, endNs: NaN }));
    const spans = [
      { variant: 'v', repeat: 0, phase: 'prefill' as const, token: 0, startMs: 5, endMs: 7 },
      { variant: 'v', repeat: 0, phase: 'decode' as const, token: 4, startMs: 7.5, endMs: 8 },
      { variant: 'v', repeat: 1, phase: 'prefill' as const, token: 0, startMs: 9, endMs: 10 },
    ];
    const d = timelineData(report(untimed, { spans }), 0, 'layer', () => 0);
    expect(d.gpu).toBe(false);
    expect(d.rowLabels).toEqual(['prefill (CPU)', 'decode (CPU)']);
    expect(d.items).toEqual([
      { id: -1, row: 0, start: 0, end: 2e6, cat: -2 },
      { id: -2, row: 1, start: 2.5e6, end: 3e6, cat: -2 },
    ]);
  });

  it('ranks ops by total time for the palette', () => {
    expect(opsByTime(records)).toEqual(['proj', 'head', 'embed']);
  });
});

describe('kernel table sorting', () => {
  const stats = (op: string, medianUs: number, count: number, gflops = 1): OpStats => ({ phase: 'decode', op, kernel: 'k', count, medianUs, p10Us: medianUs, p90Us: medianUs, gflops, gbps: 1 });
  const rows = tableRows([stats('b', 5, 2), stats('a', NaN, 1), stats('c', 1, 20), stats('d', 5, 1, NaN)]);

  it('derives total = count × median', () => {
    expect(rows.map((r) => r.totalUs)).toEqual([10, NaN, 20, 5]);
  });

  it('sorts numbers both ways with NaN last and ties in input order', () => {
    expect(sortRows(rows, 'medianUs', 'asc').map((r) => r.op)).toEqual(['c', 'b', 'd', 'a']);
    expect(sortRows(rows, 'medianUs', 'desc').map((r) => r.op)).toEqual(['b', 'd', 'c', 'a']);
    expect(sortRows(rows, 'totalUs', 'desc').map((r) => r.op)).toEqual(['c', 'b', 'd', 'a']);
    expect(sortRows(rows, 'gflops', 'asc').map((r) => r.op)).toEqual(['b', 'a', 'c', 'd']);
  });

  it('sorts text, and does not mutate its input', () => {
    expect(sortRows(rows, 'op', 'asc').map((r) => r.op)).toEqual(['a', 'b', 'c', 'd']);
    expect(sortRows(rows, 'op', 'desc').map((r) => r.op)).toEqual(['d', 'c', 'b', 'a']);
    expect(rows.map((r) => r.op)).toEqual(['b', 'a', 'c', 'd']);
  });

  it('flips on the same header, starts numbers descending and text ascending', () => {
    expect(nextSort({ key: 'medianUs', dir: 'desc' }, 'medianUs')).toEqual({ key: 'medianUs', dir: 'asc' });
    expect(nextSort({ key: 'medianUs', dir: 'asc' }, 'count')).toEqual({ key: 'count', dir: 'desc' });
    expect(nextSort({ key: 'medianUs', dir: 'asc' }, 'op')).toEqual({ key: 'op', dir: 'asc' });
  });
});

describe('precision badge and dispatch numbers', () => {
  it('says how good the timings are', () => {
    expect(precisionBadge({ timestamps: true, quantized: false, quantumNs: 32 })).toMatchObject({ text: 'GPU timestamps, 32 ns', level: 'ok' });
    expect(precisionBadge({ timestamps: true, quantized: true, quantumNs: 65536 })).toMatchObject({ text: 'quantized to 65,536 ns — timings coarse', level: 'warn' });
    expect(precisionBadge({ timestamps: false, quantized: false, quantumNs: NaN })).toMatchObject({ text: 'CPU timing only (no timestamp-query)', level: 'warn' });
  });

  it('derives achieved rates of one dispatch (FLOP/ns = GFLOP/s)', () => {
    const n = dispatchNumbers({ flops: 2e6, bytes: 4e6, startNs: 1000, endNs: 3000 });
    expect(n.durationNs).toBe(2000);
    expect(n.gflops).toBe(1000);
    expect(n.gbps).toBe(2000);
    expect(n.intensity).toBe(0.5);
    expect(dispatchNumbers({ flops: 1, bytes: 0, startNs: NaN, endNs: NaN }).gflops).toBeNaN();
  });
});

describe('roofline layout', () => {
  const box = { width: 400, height: 300, margin: { top: 10, right: 10, bottom: 30, left: 50 } };

  it('uses decade domains and log positions', () => {
    expect(decadeDomain([0.3, 40])).toEqual([0.1, 100]);
    expect(decadeDomain([0.1, 10])).toEqual([0.01, 100]); // values on a decade stay off the frame
    expect(decadeDomain([2, 3])).toEqual([0.1, 100]); // widened to at least two decades
    expect(decadeDomain([])).toEqual([0.1, 10]);
    expect(formatDecade(1e-3)).toBe('0.001');
    expect(formatDecade(1e4)).toBe('10k');
    expect(formatDecade(1e9)).toBe('1G');
    const p = rooflinePlot(
      [
        { key: 'a', intensity: 0.1, gflops: 1 },
        { key: 'b', intensity: 10, gflops: 100 },
        { key: 'z', intensity: 0, gflops: 5 },
        { key: 'n', intensity: 1, gflops: NaN },
      ],
      null,
      box,
    );
    expect(p.omitted).toEqual(['z', 'n']);
    expect(p.roof).toBeNull();
    const [a, b] = p.points;
    // x domain [0.01, 100] over [50, 390]: 0.1 is one quarter across, 10 three quarters.
    expect(a?.px).toBeCloseTo(50 + 340 * 0.25, 6);
    expect(b?.px).toBeCloseTo(50 + 340 * 0.75, 6);
    expect(b!.py).toBeLessThan(a!.py); // higher GFLOP/s is higher up
    expect(p.xTicks.filter((t) => t.major).map((t) => t.label)).toEqual(['0.01', '0.1', '1', '10', '100']);
  });

  it('draws the roof through the ridge point', () => {
    // 1000 GFLOP/s and 100 GB/s: ridge at 10 FLOP/B.
    const p = rooflinePlot([{ key: 'a', intensity: 1, gflops: 50 }], { gflops: 1000, gbps: 100 }, box);
    expect(p.ridge?.intensity).toBe(10);
    const [rx, ry] = p.project(10, 1000);
    expect(p.ridge?.px).toBeCloseTo(rx, 9);
    expect(p.ridge?.py).toBeCloseTo(ry, 9);
    expect(p.roof).not.toBeNull();
    const pts = (p.roof as string).slice(1).split('L').map((s) => s.split(',').map(Number));
    expect(pts).toHaveLength(3);
    // The middle vertex is the ridge; the last one is flat at the peak on the right edge.
    expect(pts[1]?.[0]).toBeCloseTo(rx, 0);
    expect(pts[1]?.[1]).toBeCloseTo(ry, 0);
    expect(pts[2]?.[0]).toBeCloseTo(p.x1, 0);
    expect(pts[2]?.[1]).toBeCloseTo(ry, 0);
    // The slope part rises left to right: y(px) decreases.
    expect(pts[0]![1]!).toBeGreaterThan(pts[1]![1]!);
  });
});

describe('op colours', () => {
  it('gives the first ranked keys distinct palette colours and the rest one neutral colour', () => {
    const keys = Array.from({ length: 12 }, (_, i) => `op${i}`);
    const c = categorical(keys);
    expect(c.named).toHaveLength(TOL_LIGHT.length);
    expect(new Set(c.named.map((k) => c.color(k))).size).toBe(TOL_LIGHT.length);
    expect(c.color('op0')).toBe(TOL_LIGHT[0]);
    expect(c.index('op3')).toBe(3);
    expect(c.color('op11')).toBe(OTHER_COLOR);
    expect(c.index('op11')).toBe(-1);
    expect(c.color('never-seen')).toBe(OTHER_COLOR);
  });
});
