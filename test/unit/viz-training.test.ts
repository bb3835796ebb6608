// The Training panel's pure parts: debiased EMA smoothing, loss chart and ridgeline layouts
// (viz/training.ts), and reading a training log (panels/training/logic.ts), on a synthetic log and
// on a bundled sample's real log.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { finalLoss, firstLast, layerHistograms, lossData, saturatedShare, snapshotLayers } from '../../renderer/panels/training/logic.js';
import type { GateSnapshotLayer, TrainingLog } from '../../renderer/state/types.js';
import { logTicks, lossChart, nearestIndex, ridgeline, smoothEma } from '../../renderer/viz/training.js';

function layerStats(layer: number, meanAlpha: number, hist: number[]): GateSnapshotLayer {
  return {
    layer,
    g_hist: hist.map((v) => v / 2),
    alpha_hist: hist,
    g_saturated: { '0.05': 0.1 },
    alpha_saturated_high: { '0.05': 0.3 },
    alpha_saturated_low: { '0.05': 0.05 },
    logit_saturated: 0,
    mean_g: 0.5,
    mean_alpha: meanAlpha,
    memory_length: 1 / (1 - meanAlpha),
    mean_g_one_minus_g: 0.2,
  };
}

const log: TrainingLog = {
  name: 'synthetic',
  steps: [
    { step: 2, loss: 4 },
    { step: 1, loss: 6 },
    { step: 3, loss: 2 },
  ],
  evals: [{ step: 3, val_loss: 2.5, val_ppl: Math.exp(2.5) }],
  gates: {
    bins: 4,
    eps: [0.05],
    logit_threshold: 6,
    snapshots: [
      { step: 100, layers: [layerStats(0, 0.9, [0, 0.1, 0.2, 0.7]), layerStats(2, 0.5, [0.25, 0.25, 0.25, 0.25])] },
      { step: 0, layers: [layerStats(0, 0.5, [0.4, 0.1, 0.1, 0.4])] },
    ],
  },
};

describe('smoothEma', () => {
  it('is the identity at weight 0 and keeps constants constant (debiased)', () => {
    expect([...smoothEma([3, 1, 2], 0)]).toEqual([3, 1, 2]);
    for (const v of smoothEma([5, 5, 5, 5], 0.9)) expect(v).toBeCloseTo(5, 12);
  });
  it('matches the debiased recurrence', () => {
    const s = smoothEma([1, 2], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(1.25 / 0.75, 12);
  });
  it('skips non-finite values', () => {
    const s = smoothEma([1, NaN, 3], 0.5);
    expect(Number.isNaN(s[1])).toBe(true);
    expect(s[2]).toBeCloseTo((0.25 + 1.5) / 0.75, 12);
  });
});

describe('loss chart', () => {
  it('sorts steps, smooths, and lays out axes over every series', () => {
    const d = lossData(log, 0);
    expect(d.train.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(d.smooth.map((p) => p.y)).toEqual([6, 4, 2]);
    expect(d.held).toEqual([{ x: 3, y: 2.5 }]);
    const c = lossChart([{ key: 'a', color: '#fff', ...d }], 400, 200, false);
    expect(c.yDomain[0]).toBeLessThanOrEqual(2);
    expect(c.yDomain[1]).toBeGreaterThanOrEqual(6);
    expect(c.x(1)).toBeCloseTo(c.plot.left, 9);
    expect(c.x(3)).toBeCloseTo(c.plot.right, 9);
    expect(c.y(c.yDomain[0])).toBeCloseTo(c.plot.bottom, 9);
    expect(c.series[0]?.train.startsWith(`M${c.plot.left},`)).toBe(true);
    expect(c.series[0]?.held[0]?.x).toBeCloseTo(c.plot.right, 9);
    expect(c.invertX(c.x(2))).toBeCloseTo(2, 9);
  });
  it('uses a log axis with positive ticks', () => {
    const c = lossChart([{ key: 'a', color: '#fff', train: [{ x: 0, y: 8 }, { x: 10, y: 1.5 }], smooth: [], held: [] }], 400, 200, true);
    expect(c.yDomain[0]).toBeCloseTo(1.5 / 1.03, 9);
    expect(c.yDomain[1]).toBeCloseTo(8 * 1.03, 9);
    // Equal ratios take equal pixels on a log axis.
    expect(c.y(2) - c.y(4)).toBeCloseTo(c.y(4) - c.y(8), 6);
    expect(c.yTicks.every((t) => t.value > 0)).toBe(true);
    expect(logTicks(1, 10)).toEqual([1, 2, 5, 10]);
  });
  it('finds the nearest step', () => {
    expect(nearestIndex([1, 5, 10], 6)).toBe(1);
    expect(nearestIndex([1, 5, 10], 8)).toBe(2);
    expect(nearestIndex([], 3)).toBe(-1);
  });
});

describe('ridgeline', () => {
  it('puts steps downward, one row apart, with a shared height unit', () => {
    const hs = layerHistograms(log, 0, 'alpha');
    expect(hs.map((h) => h.step)).toEqual([0, 100]);
    const r = ridgeline(hs, 300, 20, 1.5);
    expect(r.rows.map((x) => x.step)).toEqual([0, 100]);
    expect((r.rows[1]?.baseline ?? 0) - (r.rows[0]?.baseline ?? 0)).toBe(20);
    expect(r.peak).toBeCloseTo(0.7, 12);
    expect(r.unit * r.peak).toBeCloseTo(30, 9); // the tallest bin rises overlap × rowStep
    // The first row's top edge sits at the plot top (tallest bin 0.4 → 0.4 × unit above its baseline).
    expect(r.rows[0]?.max).toBeCloseTo(0.4, 12);
    expect(r.rows[0]?.baseline).toBeCloseTo(r.plot.top + 30, 9);
    expect(r.height).toBe(r.plot.bottom + 24);
    // The step area of 4 bins: 8 points along the top + the baseline back.
    expect(r.rows[1]?.outline.split('L').length).toBe(8);
    expect(r.rows.every((row) => row.unit === r.unit)).toBe(true);
  });
  it('scales each row to its own tallest bin on request', () => {
    const r = ridgeline(layerHistograms(log, 0, 'alpha'), 300, 20, 1.5, 'row');
    expect((r.rows[0]?.unit ?? 0) * 0.4).toBeCloseTo(30, 9);
    expect((r.rows[1]?.unit ?? 0) * 0.7).toBeCloseTo(30, 9);
    // The tallest bin's top edge: the last bin of row 0 (0.4) reaches baseline − 30.
    expect(r.rows[0]?.outline.endsWith(`,${(r.rows[0]?.baseline ?? 0) - 30}`)).toBe(true);
  });
  it('reads histograms, shares and the first/last table', () => {
    expect(snapshotLayers(log)).toEqual([0, 2]);
    expect(layerHistograms(log, 2, 'g')[0]?.hist).toEqual([0.125, 0.125, 0.125, 0.125]);
    expect(layerHistograms(log, 1, 'alpha')).toEqual([]);
    const l = log.gates?.snapshots[0]?.layers[0] as GateSnapshotLayer;
    expect(saturatedShare(l, 'alpha', '0.05')).toBeCloseTo(0.35, 12);
    expect(saturatedShare(l, 'g', '0.05')).toBe(0.1);
    expect(Number.isNaN(saturatedShare(l, 'alpha', '0.01'))).toBe(true);
    const fl = firstLast(log);
    expect(fl.firstStep).toBe(0);
    expect(fl.lastStep).toBe(100);
    expect(fl.rows.map((r) => [r.layer, r.first?.mean_alpha ?? null, r.last?.mean_alpha ?? null])).toEqual([
      [0, 0.5, 0.9],
      [2, null, 0.5],
    ]);
    const f = finalLoss(log, 2);
    expect(f.train).toBe(3);
    expect(f.held).toBe(2.5);
  });
  it("reads a bundled sample's log (gla-saturated ends with α near 1 in layer 0)", () => {
    const real = JSON.parse(readFileSync(new URL('../../samples/models/gla-saturated/training_log.json', import.meta.url), 'utf8')) as TrainingLog;
    const hs = layerHistograms(real, 0, 'alpha');
    expect(hs.length).toBe(real.gates?.snapshots.length);
    expect(hs[0]?.hist.length).toBe(real.gates?.bins);
    const last = firstLast(real).rows[0]?.last;
    expect(last?.mean_alpha).toBeGreaterThan(0.95);
    expect(saturatedShare(last as GateSnapshotLayer, 'alpha', '0.05')).toBeGreaterThan(0.5);
    const r = ridgeline(hs, 500, 16);
    expect(r.rows.length).toBe(hs.length);
    expect(r.rows.every((row, i) => i === 0 || row.baseline > (r.rows[i - 1]?.baseline ?? Infinity))).toBe(true);
  });
});
