// The state panel's pure data functions: ‖S_t‖ series per kv head from the 'state.in' record,
// ‖o_t‖ before/after the output norm, memory lengths as a heads × channels matrix, channel
// ordering (Infinity first, NaN last) and column permutation, log10 for the colour scale.
import { describe, expect, it } from 'vitest';
import { TokenMatrix, type CaptureRecord } from '../../shaders/index.js';
import { channelOrder, channelRow, log10All, matrixCols, memoryLengths, outputNorms, permuteColumns, stateNorms, tokenSeries } from '../../renderer/panels/state/data.js';
import type { Analysis } from '../../renderer/state/types.js';

const tm = (rows: number, cols: number, v: number[]) => new TokenMatrix(rows, cols, Float32Array.from(v));

function analysis(records: CaptureRecord[], T = 3): Analysis {
  return { T, records, dumps: new Map(), ms: 0 };
}

const base = { pos0: 0, T: 3, tokens: { lo: 0, hi: 3 } };

describe('state series', () => {
  it('splits tokenStateNorm [token][head] into one series per kv head', () => {
    const a = analysis([
      { ...base, layer: 0, point: 'state.in', tokenStateNorm: tm(3, 2, [1, 10, 2, 20, 3, 30]) },
      { ...base, layer: 1, point: 'state.in', tokenStateNorm: tm(3, 2, [9, 9, 9, 9, 9, 9]) },
      { ...base, layer: 0, point: 'state', stateNorm: [5, 6] },
    ]);
    const s = stateNorms(a, 0);
    expect(s?.length).toBe(2);
    expect(Array.from(s?.[0] ?? [])).toEqual([1, 2, 3]);
    expect(Array.from(s?.[1] ?? [])).toEqual([10, 20, 30]);
    expect(stateNorms(a, 2)).toBeNull();
  });

  it('places records by their token range and leaves gaps NaN', () => {
    const recs: CaptureRecord[] = [
      { layer: 0, point: 'state.in', pos0: 2, T: 2, tokens: { lo: 2, hi: 4 }, tokenStateNorm: tm(2, 1, [7, 8]) },
      { layer: 0, point: 'state.in', pos0: 0, T: 1, tokens: { lo: 0, hi: 1 }, tokenStateNorm: tm(1, 1, [5]) },
    ];
    const s = tokenSeries(recs, (r) => r.tokenStateNorm, 0, 5);
    expect(s[0]).toBe(5);
    expect(Number.isNaN(s[1])).toBe(true);
    expect([s[2], s[3]]).toEqual([7, 8]);
    expect(Number.isNaN(s[4])).toBe(true);
    expect(matrixCols(recs, (r) => r.tokenStateNorm)).toBe(1);
    expect(matrixCols([{ ...base, layer: 0, point: 'state.in', heads: [0, 3], tokenStateNorm: tm(3, 2, [0, 0, 0, 0, 0, 0]) }], (r) => r.tokenStateNorm)).toBe(4);
  });

  it('reads ‖o_t‖ of a head before the norm and ‖y_t‖ after it', () => {
    const a = analysis([
      { ...base, layer: 0, point: 'attn.o', tokenNorm: tm(3, 2, [1, 2, 3, 4, 5, 6]) },
      { ...base, layer: 0, point: 'attn.y', tokenNorm: tm(3, 1, [0.5, 0.6, 0.7]) },
    ]);
    const o = outputNorms(a, 0, 1);
    expect(Array.from(o.before ?? [])).toEqual([2, 4, 6]);
    expect(Array.from(o.after ?? [])).toEqual([0.5, 0.6, 0.7].map(Math.fround));
    // A head beyond the record clamps to the last one.
    expect(Array.from(outputNorms(a, 0, 7).before ?? [])).toEqual([2, 4, 6]);
    const none = outputNorms(a, 3, 0);
    expect(none.before).toBeNull();
    expect(none.after).toBeNull();
  });
});

describe('memory length per channel', () => {
  const a = analysis([
    { ...base, layer: 0, point: 'gate.logA', channelMemoryLength: [[2, 10, 1.5], [Infinity, 4, 3]], channelMeanAlpha: [[0.5, 0.9, 1 / 3], [1, 0.75, 2 / 3]] },
    { ...base, layer: 0, point: 'gate.logD', channelMemoryLength: [[1, 1]] },
  ]);

  it('builds the heads × channels matrix with mean α beside it', () => {
    const m = memoryLengths(a, 0);
    expect(m?.rows).toBe(2);
    expect(m?.cols).toBe(3);
    expect(Array.from(m?.values ?? [])).toEqual([2, 10, 1.5, Infinity, 4, 3]);
    expect(m?.meanAlpha?.[4]).toBe(0.75);
    expect(memoryLengths(a, 0, 'gate.logD')?.cols).toBe(2);
    expect(memoryLengths(a, 1)).toBeNull();
    if (m) expect(Array.from(channelRow(m, 1))).toEqual([Infinity, 4, 3]);
  });

  it('orders channels longest first (Infinity first, NaN last, ties by index) or keeps them', () => {
    expect(channelOrder([2, 10, 1.5], true)).toEqual([1, 0, 2]);
    expect(channelOrder([2, 10, 1.5], false)).toEqual([0, 1, 2]);
    expect(channelOrder([NaN, 3, Infinity, 3], true)).toEqual([2, 1, 3, 0]);
  });

  it('permutes every head’s columns by one order', () => {
    const m = memoryLengths(a, 0);
    expect(m).not.toBeNull();
    if (!m) return;
    expect(Array.from(permuteColumns(m, [1, 0, 2]))).toEqual([10, 2, 1.5, 4, Infinity, 3]);
  });

  it('takes log10 for the colour scale, NaN for non-positive values', () => {
    const l = log10All([1, 100, Infinity, 0, -3]);
    expect(l[0]).toBe(0);
    expect(l[1]).toBeCloseTo(2, 6);
    expect(l[2]).toBe(Infinity);
    expect(Number.isNaN(l[3])).toBe(true);
    expect(Number.isNaN(l[4])).toBe(true);
  });
});
