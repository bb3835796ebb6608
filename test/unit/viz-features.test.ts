// The feature-map panel's pure data functions on small hand-made dumps and records: per-head values,
// zero share / min / max, per-token max and mean, the kv head of a query head, entropy series from
// records (heads filter included), range flags per feature map, and per-layer boundedness.
import { describe, expect, it } from 'vitest';
import { TokenMatrix, type CaptureRecord } from '../../shaders/index.js';
import {
  boundFlags,
  boundedness,
  dumpShape,
  headValues,
  kvHeadOf,
  perTokenMaxMean,
  recordHeadValue,
  recordSeries,
  recordsAt,
  tokenValues,
  valueStats,
} from '../../renderer/panels/features/data.js';
import { dumpKey, type Analysis, type DumpTensor } from '../../renderer/state/types.js';

/** [T=3, H=2, D=2]: token t, head h, feature i → value from the table. */
function dump(point: 'phi.q' | 'phi.k', layer: number, data: number[]): DumpTensor {
  return { layer, point, pos0: 0, rows: 3, rowShape: [2, 2], data: Float32Array.from(data) };
}

// rows: t0 [h0: 1, 0][h1: 0.5, 0.25], t1 [h0: 0.2, 0.6][h1: 0, 0], t2 [h0: 0.9, 0.1][h1: 2, -1]
const Q = dump('phi.q', 0, [1, 0, 0.5, 0.25, 0.2, 0.6, 0, 0, 0.9, 0.1, 2, -1]);

describe('feature dumps', () => {
  it('reads the row shape as heads × features', () => {
    expect(dumpShape(Q)).toEqual({ H: 2, D: 2 });
    expect(dumpShape({ ...Q, rowShape: [8] })).toEqual({ H: 1, D: 8 });
  });

  it('gathers one head over all tokens', () => {
    expect(Array.from(headValues(Q, 0))).toEqual([1, 0, 0.2, 0.6, 0.9, 0.1].map(Math.fround));
    expect(Array.from(headValues(Q, 1))).toEqual([0.5, 0.25, 0, 0, 2, -1]);
    // Out-of-range heads clamp to the last.
    expect(Array.from(headValues(Q, 5))).toEqual([0.5, 0.25, 0, 0, 2, -1]);
  });

  it('reads one token of one head, empty outside the dump', () => {
    expect(Array.from(tokenValues(Q, 1, 2))).toEqual([2, -1]);
    expect(tokenValues(Q, 0, 3).length).toBe(0);
    expect(tokenValues({ ...Q, pos0: 10 }, 0, 2).length).toBe(0);
  });

  it('counts zeros (≤ 1e-6), negatives, min, max and mean', () => {
    const s = valueStats(headValues(Q, 1));
    expect(s.n).toBe(6);
    expect(s.zeros).toBe(3); // 0, 0 and −1 are ≤ 1e-6
    expect(s.zeroShare).toBeCloseTo(0.5, 12);
    expect(s.negatives).toBe(1);
    expect(s.min).toBe(-1);
    expect(s.max).toBe(2);
    expect(s.mean).toBeCloseTo((0.5 + 0.25 + 2 - 1) / 6, 7);
    const t = valueStats([1e-7, 2e-6, NaN, Infinity]);
    expect(t.zeros).toBe(1);
    expect(t.nonFinite).toBe(2);
    expect(valueStats([]).n).toBe(0);
  });

  it('computes the per-token max and mean of a head', () => {
    const { max, mean } = perTokenMaxMean(Q, 0);
    expect(Array.from(max)).toEqual([1, 0.6, 0.9].map(Math.fround));
    expect(mean[0]).toBeCloseTo(0.5, 7);
    expect(mean[1]).toBeCloseTo(0.4, 7);
    expect(mean[2]).toBeCloseTo(0.5, 7);
  });

  it('maps query heads onto kv groups', () => {
    expect(kvHeadOf(0, 8, 2)).toBe(0);
    expect(kvHeadOf(3, 8, 2)).toBe(0);
    expect(kvHeadOf(4, 8, 2)).toBe(1);
    expect(kvHeadOf(7, 8, 2)).toBe(1);
    expect(kvHeadOf(1, 2, 2)).toBe(1);
    expect(kvHeadOf(9, 4, 4)).toBe(3);
  });
});

describe('feature-map records', () => {
  const ent = new TokenMatrix(3, 2, Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]));
  const rec: CaptureRecord = { layer: 1, point: 'phi.q', pos0: 0, T: 3, tokens: { lo: 0, hi: 3 }, tokenEntropy: ent, phiSparsity: [0.25, 0.75], phiEntropy: [1.5, 2.5] };

  it('extracts a head column as a series over tokens, NaN where no record covers', () => {
    const s = recordSeries([rec], (r) => r.tokenEntropy, 1, 5);
    expect(Array.from(s.slice(0, 3))).toEqual([0.2, 0.4, 0.6].map(Math.fround));
    expect(Number.isNaN(s[3])).toBe(true);
    expect(Number.isNaN(s[4])).toBe(true);
  });

  it('honours a heads filter and a shifted token range', () => {
    const filtered: CaptureRecord = { ...rec, heads: [3], tokens: { lo: 2, hi: 5 }, tokenEntropy: new TokenMatrix(3, 1, Float32Array.from([7, 8, 9])) };
    const s = recordSeries([filtered], (r) => r.tokenEntropy, 3, 5);
    expect(Array.from(s.slice(2))).toEqual([7, 8, 9]);
    expect(Number.isNaN(s[0])).toBe(true);
    expect(recordSeries([filtered], (r) => r.tokenEntropy, 0, 5).every(Number.isNaN)).toBe(true);
    expect(recordHeadValue([{ ...rec, heads: [3, 5] }], (r) => r.phiSparsity, 5)).toBe(0.75);
    expect(Number.isNaN(recordHeadValue([{ ...rec, heads: [3, 5] }], (r) => r.phiSparsity, 0))).toBe(true);
  });

  it('finds records by point and layer in token order', () => {
    const a: Analysis = { T: 3, ms: 0, dumps: new Map(), records: [{ ...rec, pos0: 2 }, { ...rec, point: 'phi.k' }, rec, { ...rec, layer: 0 }] };
    const got = recordsAt(a, 'phi.q', 1);
    expect(got.map((r) => r.pos0)).toEqual([0, 2]);
    expect(recordHeadValue(got, (r) => r.phiEntropy, 1)).toBe(2.5);
  });
});

describe('boundedness', () => {
  it('flags values outside each feature map’s range', () => {
    const s = (min: number, max: number) => ({ min, max, nonFinite: 0, n: 10 });
    expect(boundFlags('exp_norm', s(1e-9, 1))).toEqual([]);
    expect(boundFlags('exp_norm', s(0, 1 + 1e-7))).toEqual([]); // within the rounding slack
    expect(boundFlags('exp_norm', s(0, 1.01))).toEqual(['> 1']);
    expect(boundFlags('exp_norm', s(-0.1, 0.5))).toEqual(['negative']);
    expect(boundFlags('hedgehog', s(-0.1, 2))).toEqual(['negative', '> 1']);
    expect(boundFlags('relu', s(0, 50))).toEqual([]);
    expect(boundFlags('relu', s(-1e-3, 50))).toEqual(['negative']);
    expect(boundFlags('identity', s(-40, 40))).toEqual([]);
    expect(boundFlags('elu1', { min: 0.1, max: 3, nonFinite: 2, n: 10 })).toEqual(['NaN/Inf']);
  });

  it('summarizes min/max of φ(q), φ(k) per layer, softmax and missing layers marked', () => {
    const K = dump('phi.k', 0, [0.1, 0.2, 0.3, 0.4, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const K2 = dump('phi.k', 2, [0.1, 0.2, 0.3, 0.4, 1.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const Q2 = dump('phi.q', 2, new Array<number>(12).fill(0.5));
    const a: Analysis = {
      T: 3,
      ms: 0,
      records: [],
      dumps: new Map([
        [dumpKey('phi.q', 0), Q],
        [dumpKey('phi.k', 0), K],
        [dumpKey('phi.q', 2), Q2],
        [dumpKey('phi.k', 2), K2],
      ]),
    };
    const rows = boundedness(a, 4, [1], 'exp_norm');
    expect(rows.map((r) => r.kind)).toEqual(['linear', 'softmax', 'linear', 'missing']);
    expect(rows[0]?.q?.min).toBe(-1);
    expect(rows[0]?.q?.max).toBe(2);
    expect(rows[0]?.k?.max).toBe(1);
    expect(rows[0]?.flags).toEqual(['φ(q) negative', 'φ(q) > 1']);
    expect(rows[2]?.flags).toEqual(['φ(k) > 1']);
    expect(rows[2]?.q?.min).toBe(0.5);
  });
});
