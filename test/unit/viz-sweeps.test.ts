// The Sweeps panel's pure parts: list parsing, rows → series per variant × chunk, log–log
// interpolation, crossover pairs and markers, the CSV (byte for byte the CLI's), byte formatting,
// and the chart layout (log scales, length ticks, paths, nearest point, dashes, slopes).

import { describe, expect, it } from 'vitest';
import { SWEEP_CSV_HEADER, sweepCsv, type SweepRow } from '../../shaders/index.js';
import {
  crossoverMarkers,
  crossoverPairs,
  crossoverText,
  engineOrder,
  formatBytes,
  formatMs,
  parseIntList,
  sweepCells,
  sweepLengths,
  sweepSeries,
  tokensPerSecond,
  valueAt,
  type SweepVariantInfo,
} from '../../renderer/panels/sweeps/logic.js';
import { chunkDash, formatLength, lengthTicks, logDomain, logLogSlope, nearestPoint, sweepChart } from '../../renderer/viz/sweeps.js';

const row = (variant: string, T: number, chunk: number, prefillMs: number, decodeMsPerToken = NaN, kv = 0): SweepRow => ({
  variant,
  T,
  chunk,
  prefillMs,
  decodeMsPerToken,
  stateBytes: 1000,
  kvCacheBytes: kv,
  kvUsedBytes: kv / 2,
});

describe('parseIntList', () => {
  it('sorts, dedupes and accepts commas, spaces and semicolons', () => {
    expect(parseIntList(' 256,64 ; 128 64', { min: 1, max: 65536 })).toEqual({ values: [64, 128, 256] });
  });
  it('says what is wrong', () => {
    expect(parseIntList('', { min: 1, max: 10 })).toEqual({ error: 'empty list' });
    expect(parseIntList('64,abc', { min: 1, max: 100 })).toEqual({ error: '“abc” is not a whole number' });
    expect(parseIntList('1.5', { min: 1, max: 100 })).toEqual({ error: '“1.5” is not a whole number' });
    expect(parseIntList('-4', { min: 1, max: 100 })).toEqual({ error: '“-4” is not a whole number' });
    expect(parseIntList('200', { min: 1, max: 100 })).toEqual({ error: '200 is outside 1..100' });
    expect(parseIntList('32,40', { min: 16, max: 128, multipleOf: 16 })).toEqual({ error: '40 is not a multiple of 16' });
    expect(parseIntList('1,2,3', { min: 1, max: 10, maxCount: 2 })).toEqual({ error: 'at most 2 values' });
  });
  it('counts cells as variants × chunks × lengths', () => {
    expect(sweepCells(3, 2, 3)).toBe(18);
    expect(sweepCells(0, 2, 3)).toBe(0);
  });
});

describe('sweepSeries', () => {
  const rows = [row('regla', 256, 32, 40, 2), row('regla', 64, 32, 10, 1), row('regla', 128, 64, 18, NaN), row('softmax', 64, 32, 5, 0.5), row('regla', 128, 32, 20, 1.5)];
  it('groups by variant × chunk in first-seen order, points sorted by T', () => {
    const s = sweepSeries(rows, 'prefill');
    expect(s.map((x) => x.key)).toEqual(['regla · c32', 'regla · c64', 'softmax · c32']);
    expect(s[0]?.points).toEqual([
      { T: 64, v: 10 },
      { T: 128, v: 20 },
      { T: 256, v: 40 },
    ]);
    expect(s[0]?.variant).toBe('regla');
    expect(s[1]?.chunk).toBe(64);
  });
  it('takes decode ms/token and leaves out NaN (no decode tokens) but keeps the series', () => {
    const s = sweepSeries(rows, 'decode');
    expect(s[1]?.points).toEqual([]);
    expect(s[0]?.points.map((p) => p.v)).toEqual([1, 1.5, 2]);
    expect(s[2]?.points).toEqual([{ T: 64, v: 0.5 }]);
  });
  it('puts rows measured length by length back in the engine order (variant, chunk, T)', () => {
    const measured = [row('b', 64, 64, 1), row('a', 64, 32, 1), row('b', 64, 32, 1), row('a', 128, 64, 1), row('a', 64, 64, 1), row('b', 128, 32, 1)];
    expect(engineOrder(measured).map((r) => `${r.variant}/${r.chunk}/${r.T}`)).toEqual(['b/64/64', 'b/32/64', 'b/32/128', 'a/64/64', 'a/64/128', 'a/32/64']);
    expect(measured[0]?.variant).toBe('b'); // not sorted in place
  });
  it('lists the distinct lengths', () => {
    expect(sweepLengths(rows)).toEqual([64, 128, 256]);
  });
});

describe('valueAt', () => {
  const pts = [
    { T: 64, v: 10 },
    { T: 256, v: 160 },
  ];
  it('is exact at measured points and null outside', () => {
    expect(valueAt(pts, 64)).toBe(10);
    expect(valueAt(pts, 256)).toBe(160);
    expect(valueAt(pts, 32)).toBeNull();
    expect(valueAt(pts, 300)).toBeNull();
    expect(valueAt([], 64)).toBeNull();
  });
  it('interpolates along the straight log–log segment (here time ∝ T²)', () => {
    expect(valueAt(pts, 128)).toBeCloseTo(40, 9);
  });
});

describe('crossover pairs and markers', () => {
  const variants: SweepVariantInfo[] = [
    { name: 'regla', key: 'sample:regla', baseline: false, softmaxLayers: false },
    { name: 'hybrid', key: 'sample:hybrid', baseline: false, softmaxLayers: true },
    { name: 'softmax', key: null, baseline: true, softmaxLayers: true },
  ];
  // regla crosses softmax between 128 and 256 in both phases, and never catches up with hybrid in prefill.
  const rows = [
    row('regla', 64, 32, 10, 2),
    row('regla', 128, 32, 20, 2),
    row('regla', 256, 32, 40, 2),
    row('regla', 256, 64, 30, 2),
    row('softmax', 64, 32, 4, 1),
    row('softmax', 128, 32, 16, 1.5),
    row('softmax', 256, 32, 64, 2.5),
    row('hybrid', 64, 32, 9, 1),
    row('hybrid', 128, 32, 19, 1),
    row('hybrid', 256, 32, 29, 1),
  ];
  it('pairs each linear variant with each softmax one, the baseline first, with the engine crossover', () => {
    const p = crossoverPairs(rows, variants);
    expect(p.map((x) => `${x.linear}|${x.softmax}|${x.baseline}`)).toEqual(['regla|softmax|true', 'regla|hybrid|false']);
    // Best chunk per T: regla 10, 20, 30 vs softmax 4, 16, 64: d = 6, 4, −34 → 128 + 128 · 4/38.
    expect(p[0]?.prefill).toBeCloseTo(128 + (128 * 4) / 38, 9);
    // Decode: 2 − 1 = 1, 2 − 1.5 = 0.5, 2 − 2.5 = −0.5 → 128 + 128 · 0.5/1.
    expect(p[0]?.decode).toBeCloseTo(192, 9);
    expect(p[1]?.prefill).toBeNull();
  });
  it('skips variants without rows and needs both kinds', () => {
    expect(crossoverPairs(rows.filter((r) => r.variant !== 'softmax' && r.variant !== 'hybrid'), variants)).toEqual([]);
    expect(crossoverPairs([], variants)).toEqual([]);
  });
  it('marks crossing lengths per phase and drops pairs that never cross', () => {
    const p = crossoverPairs(rows, variants);
    const m = crossoverMarkers(p, 'prefill', [64, 128, 256]);
    expect(m).toHaveLength(1);
    expect(m[0]?.label).toBe('regla ≤ softmax from T ≈ 141');
    expect(crossoverMarkers(p, 'decode', [64, 128, 256]).map((x) => x.T)).toEqual([192]);
    expect(crossoverMarkers(p, 'prefill', [64, 128, 256], 0)).toEqual([]);
  });
  it('words crossover lengths, ≤ the shortest when linear is never slower', () => {
    expect(crossoverText(141.47, [64, 128, 256])).toBe('T ≈ 141');
    expect(crossoverText(64, [64, 128, 256])).toBe('T ≤ 64');
    expect(crossoverText(null, [64, 128, 256])).toBe('none in 64..256');
    expect(crossoverText(null, [])).toBe('none');
    const fast = crossoverPairs([row('regla', 64, 32, 1), row('regla', 128, 32, 2), row('softmax', 64, 32, 3), row('softmax', 128, 32, 9)], variants);
    expect(fast[0]?.prefill).toBe(64);
    expect(crossoverText(fast[0]?.prefill ?? null, [64, 128])).toBe('T ≤ 64');
  });
});

describe('CSV', () => {
  const rows = [row('regla', 64, 32, 12.3456789, 1.5, 4096), row('soft,max "x"', 128, 64, 0, NaN)];
  it('has the CLI header, CRLF lines, empty fields for NaN and quoted names', () => {
    const lines = sweepCsv(rows).split('\r\n');
    expect(lines[0]).toBe(SWEEP_CSV_HEADER.join(','));
    expect(lines[1]).toBe('regla,64,32,12.3457,5184,1.5,666.667,1000,4096,2048');
    expect(lines[2]).toBe('"soft,max ""x""",128,64,0,,,,1000,0,0');
    expect(lines[3]).toBe('');
    expect(lines).toHaveLength(4);
  });
  it('computes tokens per second', () => {
    expect(tokensPerSecond(64, 32)).toBe(2000);
    expect(tokensPerSecond(1, 0)).toBeNaN();
    expect(tokensPerSecond(1, NaN)).toBeNaN();
  });
});

describe('formatting', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 2 ** 20)).toBe('3 MiB');
    expect(formatBytes(NaN)).toBe('—');
  });
  it('formats milliseconds and lengths', () => {
    expect(formatMs(12.3456)).toBe('12.3');
    expect(formatMs(0.012345)).toBe('0.0123');
    expect(formatMs(1234.5)).toBe('1235');
    expect(formatMs(NaN)).toBe('—');
    expect(formatLength(64)).toBe('64');
    expect(formatLength(1024)).toBe('1K');
    expect(formatLength(16384)).toBe('16K');
    expect(formatLength(1500)).toBe('1500');
  });
});

describe('sweepChart', () => {
  const box = { width: 400, height: 300, margin: { top: 10, right: 10, bottom: 30, left: 50 } };
  const series = [
    {
      key: 'a',
      points: [
        { T: 64, v: 1 },
        { T: 256, v: 16 },
        { T: 1024, v: 256 },
      ],
    },
    { key: 'b', points: [{ T: 64, v: NaN }, { T: 256, v: 4 }] },
  ];
  const c = sweepChart(series, box);
  it('uses log scales: equal ratios are equal distances, larger up', () => {
    expect(c.x.mapping).toBe('log');
    expect(c.y.mapping).toBe('log');
    expect(c.x.map(256) - c.x.map(64)).toBeCloseTo(c.x.map(1024) - c.x.map(256), 9);
    expect(c.y.map(16)).toBeLessThan(c.y.map(1));
    expect(c.y.map(1) - c.y.map(16)).toBeCloseTo(c.y.map(16) - c.y.map(256), 9);
    // The padded domain keeps every point inside the plot.
    expect(c.x.domain[0]).toBeCloseTo(64 / 1.15, 9);
    expect(c.x.domain[1]).toBeCloseTo(1024 * 1.15, 9);
    expect(c.y.domain[0]).toBeCloseTo(1 / 1.3, 9);
    for (const p of c.points) {
      expect(p.px).toBeGreaterThan(c.x0);
      expect(p.px).toBeLessThan(c.x1);
      expect(p.py).toBeGreaterThan(c.y0);
      expect(p.py).toBeLessThan(c.y1);
    }
  });
  it('puts x ticks at the measured lengths and y ticks inside the plot', () => {
    expect(c.xTicks.map((t) => t.label)).toEqual(['64', '256', '1K']);
    expect(c.xTicks[0]?.pos).toBeCloseTo(c.x.map(64), 9);
    expect(c.yTicks.length).toBeGreaterThanOrEqual(2);
    for (const t of c.yTicks) {
      expect(t.pos).toBeGreaterThanOrEqual(c.y0 - 1e-9);
      expect(t.pos).toBeLessThanOrEqual(c.y1 + 1e-9);
    }
  });
  it('draws a path through each series of ≥ 2 plottable points, dropping NaN', () => {
    expect(c.paths[0]?.d.match(/[ML]/g)).toEqual(['M', 'L', 'L']);
    const m0 = /^M([\d.]+),([\d.]+)/.exec(c.paths[0]?.d ?? '');
    expect(Number(m0?.[1])).toBeCloseTo(c.x.map(64), 2);
    expect(Number(m0?.[2])).toBeCloseTo(c.y.map(1), 2);
    expect(c.paths[1]?.d).toBe(''); // one finite point: a dot, no line
    expect(c.points.filter((p) => p.key === 'b').map((p) => p.T)).toEqual([256]);
    expect(c.empty).toBe(false);
  });
  it('widens the x domain to include extra lengths (crossover markers)', () => {
    const w = sweepChart(series, box, [2048]);
    expect(w.x.domain[1]).toBeCloseTo(2048 * 1.15, 9);
  });
  it('has placeholder axes when nothing is plottable', () => {
    const e = sweepChart([{ key: 'x', points: [{ T: 64, v: NaN }] }], box);
    expect(e.empty).toBe(true);
    expect(e.points).toEqual([]);
  });
  it('finds the nearest point within a radius', () => {
    const p = c.points[1];
    expect(p).toBeDefined();
    if (!p) return;
    expect(nearestPoint(c.points, p.px + 3, p.py - 2)).toBe(p);
    expect(nearestPoint(c.points, p.px + 100, p.py + 100, 10)).toBeNull();
  });
});

describe('axis helpers', () => {
  it('pads log domains and handles one value', () => {
    expect(logDomain(64, 64)).toEqual([32, 128]);
    expect(logDomain(0, 10)).toEqual([1, 10]);
    expect(logDomain(10, 100, 2)).toEqual([5, 200]);
  });
  it('thins length ticks that would collide, keeping the ends', () => {
    const c = sweepChart([{ key: 'a', points: [64, 80, 96, 128, 4096].map((T) => ({ T, v: T })) }], { width: 300, height: 200, margin: { top: 0, right: 0, bottom: 0, left: 0 } });
    const labels = lengthTicks([64, 80, 96, 128, 4096], c.x, 34).map((t) => t.label);
    expect(labels[0]).toBe('64');
    expect(labels[labels.length - 1]).toBe('4K');
    expect(labels).not.toContain('80');
    expect(labels.length).toBeLessThan(5);
  });
  it('gives each chunk size its own dash, cycling after four', () => {
    expect(chunkDash(0)).toBe('');
    expect(new Set([0, 1, 2, 3].map(chunkDash)).size).toBe(4);
    expect(chunkDash(4)).toBe(chunkDash(0));
  });
  it('measures the log–log slope (1 linear, 2 quadratic)', () => {
    expect(
      logLogSlope([
        { T: 64, v: 2 },
        { T: 256, v: 8 },
      ]),
    ).toBeCloseTo(1, 12);
    expect(
      logLogSlope([
        { T: 64, v: 1 },
        { T: 128, v: 3 },
        { T: 256, v: 16 },
      ]),
    ).toBeCloseTo(2, 12);
    expect(logLogSlope([{ T: 64, v: 1 }])).toBeNaN();
  });
});
