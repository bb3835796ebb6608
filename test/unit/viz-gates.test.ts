// The gates panel's matrices: layer × token means against a hand-computed field, the gate field of
// a hand-made analysis, the head mapping, colour domains, token ticks, and the size the issue times
// (12 layers × 2048 tokens × 64 channels: matrix + pixel fill, logged).

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shaders/model/config.js';
import {
  cellValue,
  effectiveMapping,
  effectiveQuantity,
  formatValue,
  gatelessReason,
  heatDomain,
  kvHead,
  layerTokenMatrix,
  spacedTicks,
  tokenTicks,
} from '../../renderer/panels/gates/matrices.js';
import { sigmoid64 as sigmoid } from '../../shaders/index.js';
import { channelByToken, gateField, type GateField } from '../../renderer/session/metrics.js';
import { dumpKey, type Analysis, type DumpTensor } from '../../renderer/state/types.js';
import { valueScale } from '../../renderer/viz/scales.js';

/** A field [T, H, C] from nested arrays values[t][h][c]. */
function field(layer: number, values: number[][][], pos0 = 0): GateField {
  const T = values.length;
  const H = values[0]?.length ?? 0;
  const C = values[0]?.[0]?.length ?? 0;
  return { layer, T, H, C, pos0, values: Float64Array.from(values.flat(2)) };
}

// Layer 0: T = 3 tokens, H = 2 heads, C = 2 channels.
const f0 = field(0, [
  [[0.1, 0.3], [0.9, 0.7]],
  [[0.2, 0.2], [0.5, 0.5]],
  [[1.0, 0.0], [0.0, 0.4]],
]);
// Layer 2 (layer 1 is, say, softmax): same shape.
const f2 = field(2, [
  [[0.6, 0.8], [0.0, 0.0]],
  [[0.25, 0.75], [1.0, 1.0]],
  [[0.5, 0.5], [0.2, 0.8]],
]);

describe('layerTokenMatrix', () => {
  it('means over the channels of one head, per layer and token', () => {
    const m = layerTokenMatrix([f0, f2], 0);
    expect([m.rows, m.cols, m.layers, m.pos0]).toEqual([2, 3, [0, 2], 0]);
    const want = [
      [0.2, 0.2, 0.5],
      [0.7, 0.5, 0.5],
    ];
    for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) expect(cellValue(m, r, c)).toBeCloseTo(want[r]?.[c] as number, 6);
  });

  it('head 1 and all heads', () => {
    const m1 = layerTokenMatrix([f0, f2], 1);
    expect(Array.from(m1.values, (v) => Number(v.toFixed(6)))).toEqual([0.8, 0.5, 0.2, 0, 1, 0.5]);
    const all = layerTokenMatrix([f0, f2], -1);
    // (0.1 + 0.3 + 0.9 + 0.7) / 4 = 0.5; (0.2+0.2+0.5+0.5)/4 = 0.35; (1+0+0+0.4)/4 = 0.35
    // (0.6+0.8+0+0)/4 = 0.35; (0.25+0.75+1+1)/4 = 0.75; (0.5+0.5+0.2+0.8)/4 = 0.5
    expect(Array.from(all.values, (v) => Number(v.toFixed(6)))).toEqual([0.5, 0.35, 0.35, 0.35, 0.75, 0.5]);
  });

  it('a head beyond the field clamps to the last one', () => {
    expect(Array.from(layerTokenMatrix([f0], 7).values)).toEqual(Array.from(layerTokenMatrix([f0], 1).values));
  });

  it('fields of fewer tokens leave NaN columns; no fields is an empty matrix', () => {
    const short = field(3, [[[0.4, 0.6]]]);
    const m = layerTokenMatrix([f0, short], 0);
    expect(m.cols).toBe(3);
    expect(cellValue(m, 1, 0)).toBeCloseTo(0.5, 6);
    expect(Number.isNaN(cellValue(m, 1, 1))).toBe(true);
    expect(Number.isNaN(cellValue(m, 1, 2))).toBe(true);
    expect(Number.isNaN(cellValue(m, 5, 0))).toBe(true);
    const e = layerTokenMatrix([], 0);
    expect([e.rows, e.cols, e.values.length]).toEqual([0, 0, 0]);
  });

  it('channel × token rows are channels of the chosen head', () => {
    const m = channelByToken(f0, 1);
    // rows c = 0, 1; columns t = 0..2 of head 1
    expect(Array.from(m, (v) => Number(v.toFixed(6)))).toEqual([0.9, 0.5, 0, 0.7, 0.5, 0.4]);
  });
});

describe('gate fields of a hand-made analysis', () => {
  const config = parseConfig({ model_type: 'gla', hidden_size: 8, num_hidden_layers: 2, num_heads: 1, vocab_size: 10, expand_k: 0.25 });
  // headDimK = 8 · 0.25 / 1 = 2 channels; T = 2.
  const a: DumpTensor = { layer: 1, point: 'gate.a', pos0: 0, rows: 2, rowShape: [1, 2], data: Float32Array.from([0, 2, -1, 4]) };
  const analysis: Analysis = { T: 2, records: [], dumps: new Map([[dumpKey('gate.a', 1), a]]), ms: 0 };

  it('α = σ(a)^(1/τ) for the GLA gate, averaged per token', () => {
    expect(config.gateLogitNormalizer).toBe(16);
    const F = gateField(analysis, config, 1, 'F');
    const g = gateField(analysis, config, 1, 'g');
    expect(F && g).toBeTruthy();
    if (!F || !g) return;
    const alpha = (x: number): number => sigmoid(x) ** (1 / 16);
    const m = layerTokenMatrix([F], 0);
    expect(cellValue(m, 0, 0)).toBeCloseTo((alpha(0) + alpha(2)) / 2, 6);
    expect(cellValue(m, 0, 1)).toBeCloseTo((alpha(-1) + alpha(4)) / 2, 6);
    const mg = layerTokenMatrix([g], 0);
    expect(cellValue(mg, 0, 1)).toBeCloseTo((sigmoid(-1) + sigmoid(4)) / 2, 6);
    expect(gateField(analysis, config, 0, 'F')).toBeNull();
    expect(gateField(analysis, config, 1, 'r')).toBeNull();
  });
});

describe('what the panel shows', () => {
  it('falls back to α when the gate lacks the selected quantity', () => {
    expect(effectiveQuantity('r', ['g', 'F', 'logA'])).toBe('F');
    expect(effectiveQuantity('r', ['g', 'r', 'F', 'logA'])).toBe('r');
    expect(effectiveQuantity('F', [])).toBeNull();
    expect(effectiveMapping('logA', 'logit')).toBe('linear');
    expect(effectiveMapping('F', 'logit')).toBe('logit');
  });

  it('says why a model has nothing to show', () => {
    const base = { model_type: 'regla', hidden_size: 64, num_hidden_layers: 4, num_heads: 2, vocab_size: 100 };
    expect(gatelessReason(parseConfig(base))).toBeNull();
    expect(gatelessReason(parseConfig({ ...base, hybrid_softmax_layers: [1, 3] }))).toBeNull();
    expect(gatelessReason(parseConfig({ ...base, hybrid_softmax_layers: [0, 1, 2, 3] }))).toBe('softmax attention in every layer');
    expect(gatelessReason(parseConfig({ ...base, gate: 'none', feature_map: 'relu' }))).toMatch(/without a forget gate/);
    expect(gatelessReason(parseConfig({ ...base, model_type: 'gla' }))).toBeNull();
  });

  it('maps query heads onto gate (kv) heads', () => {
    expect(kvHead({ numHeads: 4 }, 3, 4)).toBe(3);
    expect(kvHead({ numHeads: 4 }, 3, 2)).toBe(1);
    expect(kvHead({ numHeads: 4 }, 1, 2)).toBe(0);
    expect(kvHead({ numHeads: 4 }, 9, 4)).toBe(3);
    expect(kvHead({ numHeads: 4 }, 2, 1)).toBe(0);
  });

  it('colour domains: the data extent, kept inside (0, 1) for logit', () => {
    expect(heatDomain([0.2, NaN, 0.7], 'linear')).toEqual([0.2, 0.7]);
    const [lo, hi] = heatDomain([0, 1], 'logit');
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1);
    const [a, b] = heatDomain([1, 1], 'logit');
    expect(a).toBeLessThan(b);
    expect(heatDomain([-3, -0.5], 'linear')).toEqual([-3, -0.5]);
  });

  it('token ticks are integer positions inside the columns', () => {
    const t = tokenTicks(0, 2048, 8);
    expect(t.length).toBeGreaterThanOrEqual(4);
    expect(t.every((v) => Number.isInteger(v) && v >= 0 && v < 2048)).toBe(true);
    expect(t).toContain(1000);
    expect(tokenTicks(10, 3, 5)).toEqual([10, 11, 12]);
    expect(tokenTicks(5, 1, 5)).toEqual([5]);
    expect(tokenTicks(0, 0, 5)).toEqual([]);
  });

  it('thins crowded legend ticks (logit ticks near 1)', () => {
    const s = valueScale([0.7, 0.99999], { mapping: 'logit' });
    expect(s.ticks()).toEqual([0.75, 0.9, 0.95, 0.99, 0.999, 0.9999]);
    const thin = spacedTicks(s, 240, 30);
    const t = thin.ticks();
    const xs = t.map((v) => s.position(v) * 240);
    for (let i = 1; i < xs.length; i++) expect((xs[i] as number) - (xs[i - 1] as number)).toBeGreaterThanOrEqual(30);
    // logit positions on 240 px: 0.75 → 5.7, 0.9 → 30.4 (24.7 px after 0.75: dropped), 0.95 → 47.2, 0.99 → 84.4 …
    expect(t).toEqual([0.75, 0.95, 0.99, 0.999, 0.9999]);
    expect(thin.color(0.9)).toBe(s.color(0.9));
  });

  it('formats readout values', () => {
    expect(formatValue(0.973123)).toBe('0.9731');
    expect(formatValue(-2.5e-5)).toBe('-2.500e-5');
    expect(formatValue(NaN)).toBe('—');
  });
});

describe('the 12 × 2048 × 64 case', () => {
  it('computes both matrices and their pixels quickly (benchmark: times are logged)', () => {
    const L = 12;
    const T = 2048;
    const H = 1;
    const C = 64;
    const fields: GateField[] = [];
    for (let l = 0; l < L; l++) {
      const v = new Float64Array(T * H * C);
      for (let i = 0; i < v.length; i++) v[i] = 0.5 + 0.49 * Math.sin(i * 0.001 + l);
      fields.push({ layer: l, T, H, C, pos0: 0, values: v });
    }
    // Three rounds: the first includes the JIT warm-up; a redraw in the app is a later round.
    const times: Array<[number, number]> = [];
    let m = layerTokenMatrix(fields, 0);
    let c = channelByToken(fields[5] as GateField, 0);
    const px = new Uint32Array(m.values.length + c.length);
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      m = layerTokenMatrix(fields, 0);
      c = channelByToken(fields[5] as GateField, 0);
      const t1 = performance.now();
      const scale = valueScale(heatDomain(m.values, 'logit'), { mapping: 'logit' });
      for (let i = 0; i < m.values.length; i++) px[i] = scale.rgba(m.values[i] as number);
      for (let i = 0; i < c.length; i++) px[m.values.length + i] = scale.rgba(c[i] as number);
      times.push([t1 - t0, performance.now() - t1]);
    }
    const fmt = ([a, b]: [number, number]): string => `matrices ${a.toFixed(1)} ms + pixels (logit) ${b.toFixed(1)} ms`;
    console.log(`gates 12×2048×64: first ${fmt(times[0] as [number, number])}; last ${fmt(times[2] as [number, number])}`);
    expect([m.rows, m.cols, c.length]).toEqual([12, 2048, 64 * 2048]);
    // token 0 of layer 0: mean over 64 channels of 0.5 + 0.49 sin(i/1000), i = 0..63
    let want = 0;
    for (let i = 0; i < 64; i++) want += 0.5 + 0.49 * Math.sin(i * 0.001);
    expect(cellValue(m, 0, 0)).toBeCloseTo(want / 64, 5);
    expect(px.every((p) => p >>> 24 === 255)).toBe(true);
  });
});
