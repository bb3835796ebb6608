// The guided tour's pure logic (renderer/panels/tour/values.ts, steps.ts) on a synthetic analysis:
// every value a step shows equals a direct computation from the synthetic dumps and records — the
// captured slices exactly, g / r / F / dF/dg from the spec's formulas, the exp_norm fold, the
// effective-attention row against the engine's float64 twin and a product-of-α loop, the norm, the
// chunked form's exponents, the analytic cost; formatting; every step's equation parses in KaTeX for
// every variant; the store's tour / highlight slice.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import katex from 'katex';
import { beforeEach, describe, expect, it } from 'vitest';
import { featureDim, parseConfig, readoutScale, TokenMatrix, type CaptureRecord, type ModelConfig, type TapPoint } from '../../shaders/index.js';
import { effectiveAttentionRow64 } from '../../shaders/cpu/attention.js';
import { STEPS } from '../../renderer/panels/tour/steps.js';
import {
  ANALYSIS_CHUNK,
  attentionRow,
  chunkView,
  costCrossover,
  costRows,
  fmt,
  foldTerm,
  headRow,
  kvHeadOf,
  plainGrad,
  refinedGrad,
  standardize,
  stepValues,
  type Focus,
  type RunView,
  type StepId,
} from '../../renderer/panels/tour/values.js';
import { useStore } from '../../renderer/state/store.js';
import { dumpKey, type Analysis, type DumpTensor, type TokenView } from '../../renderer/state/types.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Deterministic numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const BASE = { hidden_size: 16, num_hidden_layers: 2, num_heads: 2, vocab_size: 32, intermediate_size: 32, tie_word_embeddings: true };
const REGLA = parseConfig({ ...BASE, model_type: 'regla' });
const GLA = parseConfig({ ...BASE, model_type: 'gla' });

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

interface Synth {
  view: RunView;
  T: number;
  /** Per token and kv head: the exp_norm fold M_{t−1} − M_t the synthetic log α includes. */
  fold: number[][];
}

/** A synthetic analysis of config c over T tokens: dumps of every tour point and the records it reads. */
function synth(c: ModelConfig, T: number, seed = 1): Synth {
  const r = rng(seed);
  const Hq = c.numHeads;
  const Hkv = c.numKvHeads;
  const dk = featureDim(c); // hedgehog: 2·d_k, the gate repeated over both halves
  const dv = c.headDimV;
  const gated = c.gate !== 'none';
  const dumps = new Map<string, DumpTensor>();
  const put = (point: TapPoint, layer: number, H: number, C: number, f: (t: number, h: number, i: number) => number): Float32Array => {
    const data = new Float32Array(T * H * C);
    for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let i = 0; i < C; i++) data[(t * H + h) * C + i] = f(t, h, i);
    dumps.set(dumpKey(point, layer), { layer, point, pos0: 0, rows: T, rowShape: [H, C], data });
    return data;
  };
  const fold: number[][] = [];
  const records: CaptureRecord[] = [];
  for (let layer = 0; layer < c.numLayers; layer++) {
    const a = gated ? put('gate.a', layer, Hkv, dk, () => 8 * r() - 2) : null;
    const cc = c.gate === 'refined' ? put('gate.c', layer, Hkv, dk, () => 6 * r() - 3) : null;
    // Keys, their running max per kv head, φ(k) = exp(k − M_t); the fold M_{t−1} − M_t joins log α.
    const k = Array.from({ length: T * Hkv * dk }, () => 4 * r() - 2);
    const M = new Float64Array(Hkv).fill(-Infinity);
    const phiK = new Float32Array(T * Hkv * dk);
    const logA = new Float32Array(T * Hkv * dk);
    for (let t = 0; t < T; t++) {
      fold[t] ??= [];
      for (let h = 0; h < Hkv; h++) {
        const prev = M[h] as number;
        let mx = prev;
        for (let i = 0; i < dk; i++) mx = Math.max(mx, k[(t * Hkv + h) * dk + i] as number);
        M[h] = mx;
        const fd = c.featureMap === 'exp_norm' && t > 0 ? prev - mx : 0;
        if (layer === 0) (fold[t] as number[])[h] = fd;
        for (let i = 0; i < dk; i++) {
          const j = (t * Hkv + h) * dk + i;
          phiK[j] = c.featureMap === 'exp_norm' ? Math.exp((k[j] as number) - mx) : (k[j] as number);
          const g = a ? sig(a[j] as number) : 1;
          const tau = c.gateLogitNormalizer;
          const la = !a ? 0 : c.gate === 'refined' ? Math.log(g * (g + 2 * sig(cc?.[j] as number) * (1 - g))) : Math.log(g) / tau;
          logA[j] = la + fd;
        }
      }
    }
    dumps.set(dumpKey('phi.k', layer), { layer, point: 'phi.k', pos0: 0, rows: T, rowShape: [Hkv, dk], data: phiK });
    if (gated || c.featureMap === 'exp_norm') dumps.set(dumpKey('gate.logA', layer), { layer, point: 'gate.logA', pos0: 0, rows: T, rowShape: [Hkv, dk], data: logA });
    put('phi.q', layer, Hq, dk, (_t, _h, i) => (c.featureMap === 'exp_norm' ? (i === 0 ? 1 : 0.05 + 0.9 * r()) : 2 * r() - 1));
    put('attn.o', layer, Hq, dv, () => 2 * r() - 1);
    const tm = (cols: number) => new TokenMatrix(T, cols, Float32Array.from({ length: T * cols }, () => 10 * r()));
    records.push(
      { layer, point: 'gate.a', pos0: 0, T, means: { count: T * dk, mean: [0.5, 0.5], meanSq: [0.3, 0.3], gOneMinusG: [0.11, 0.12], dFdg: [0.9, 0.8] } },
      { layer, point: 'gate.logA', pos0: 0, T, channelMemoryLength: Array.from({ length: Hkv }, () => Array.from({ length: dk }, () => 1 + 50 * r())) },
      { layer, point: 'state.in', pos0: 0, T, tokenStateNorm: tm(Hkv) },
      { layer, point: 'attn.o', pos0: 0, T, tokenNorm: tm(Hq) },
      { layer, point: 'attn.y', pos0: 0, T, tokenNorm: tm(1) },
      { layer, point: 'phi.q', pos0: 0, T, tokenEntropy: tm(Hq) },
    );
  }
  const analysis: Analysis = { T, records, dumps, ms: 1 };
  const tokens: TokenView[] = Array.from({ length: T }, (_, pos) => ({
    pos,
    id: pos % c.vocabSize,
    text: `w${pos}`,
    prompt: pos < 3,
    logprob: pos === 0 ? null : -pos / 10,
    entropy: null,
    top: pos === 0 ? [] : [{ id: 1, text: 'x', p: 0.5 }, { id: 2, text: 'y', p: 0.25 }],
  }));
  return { view: { analysis, config: c, tokens, profile: null }, T, fold };
}

const at = (d: DumpTensor | undefined, t: number, h: number, i: number): number => {
  if (!d) throw new Error('missing dump');
  const [H = 1, C = 1] = d.rowShape;
  return d.data[(t * H + h) * C + i] as number;
};
const dumpOf = (v: RunView, p: TapPoint, l: number) => v.analysis.dumps.get(dumpKey(p, l));
const stripOf = (step: StepId, v: RunView, f: Focus, id: string) => {
  const s = stepValues(step, v, f).strips.find((x) => x.id === id);
  if (!s) throw new Error(`step ${step} has no strip ${id}`);
  return s;
};
const scalarOf = (step: StepId, v: RunView, f: Focus, id: string) => {
  const s = stepValues(step, v, f).scalars.find((x) => x.id === id);
  if (!s) throw new Error(`step ${step} has no scalar ${id}`);
  return s.value;
};

describe('tour values from a synthetic ReGLA analysis', () => {
  const { view, T, fold } = synth(REGLA, 70, 3);
  const c = REGLA;
  const f: Focus = { layer: 1, head: 1, token: 66, channel: 2 };
  const kvh = kvHeadOf(c, f.head);
  const dk = c.headDimK;

  it('headRow is the [token, head] slice of a dump, null outside it', () => {
    const d = dumpOf(view, 'phi.q', 1);
    const row = headRow(d, 5, 1);
    expect(Array.from(row ?? [])).toEqual(Array.from({ length: dk }, (_, i) => at(d, 5, 1, i)));
    expect(headRow(d, T, 0)).toBeNull();
    expect(headRow(d, -1, 0)).toBeNull();
    expect(headRow(d, 0, 2)).toBeNull();
    expect(headRow(undefined, 0, 0)).toBeNull();
  });

  it('projections: the captured gate logits exactly, q and k up to their shift as log φ', () => {
    const a = stripOf('projections', view, f, 'a');
    expect(a.prov).toBe('captured');
    expect(a.point).toBe('gate.a');
    expect(a.values).toEqual(Array.from({ length: dk }, (_, i) => at(dumpOf(view, 'gate.a', 1), f.token, kvh, i)));
    expect(stripOf('projections', view, f, 'c').values).toEqual(Array.from({ length: dk }, (_, i) => at(dumpOf(view, 'gate.c', 1), f.token, kvh, i)));
    const q = stripOf('projections', view, f, 'q');
    expect(q.prov).toBe('derived');
    q.values.forEach((x, i) => expect(x).toBe(Math.log(at(dumpOf(view, 'phi.q', 1), f.token, f.head, i))));
    expect(scalarOf('projections', view, f, 'a_ch')).toBe(at(dumpOf(view, 'gate.a', 1), f.token, kvh, 2));
    expect(stepValues('projections', view, f).missing.join(' ')).toMatch(/v_t .*not kept/);
  });

  it('feature maps: φ(q), φ(k) captured exactly, max φ(q) = 1, the exp_norm fold recovered, s = 1/(e√(d_k(e²−1)))', () => {
    const s = stepValues('features', view, f);
    expect(s.strips.find((x) => x.id === 'phiq')?.values).toEqual(Array.from({ length: dk }, (_, i) => at(dumpOf(view, 'phi.q', 1), f.token, f.head, i)));
    expect(s.strips.find((x) => x.id === 'phik')?.values).toEqual(Array.from({ length: dk }, (_, i) => at(dumpOf(view, 'phi.k', 1), f.token, kvh, i)));
    expect(scalarOf('features', view, f, 'phiq_max')).toBe(1);
    expect(scalarOf('features', view, f, 'phiq_argmax')).toBe(0);
    // The fold the synthetic log α carries (layer 0's keys: fold[] records layer 0).
    const f0 = { ...f, layer: 0 };
    expect(scalarOf('features', view, f0, 'fold')).toBeCloseTo(fold[f.token]?.[kvh] as number, 5);
    const ft = foldTerm(view, 0, kvh, 1);
    ft?.forEach((x) => expect(x).toBeCloseTo(fold[1]?.[kvh] as number, 5));
    expect(scalarOf('features', view, f, 'scale')).toBeCloseTo(1 / (Math.E * Math.sqrt(dk * (Math.E ** 2 - 1))), 12);
    const ent = view.analysis.records.find((r) => r.layer === 1 && r.point === 'phi.q')?.tokenEntropy;
    expect(scalarOf('features', view, f, 'phiq_entropy')).toBe(ent?.at(f.token, f.head));
  });

  it('the gate: g, r, F from the spec formulas, dF/dg and g(1 − g), the captured run means', () => {
    const a = (i: number) => at(dumpOf(view, 'gate.a', 1), f.token, kvh, i);
    const cc = (i: number) => at(dumpOf(view, 'gate.c', 1), f.token, kvh, i);
    const gs = stripOf('gate', view, f, 'g').values;
    const rs = stripOf('gate', view, f, 'r').values;
    const Fs = stripOf('gate', view, f, 'alpha').values;
    for (let i = 0; i < dk; i++) {
      const g = sig(a(i));
      const r = sig(cc(i));
      expect(gs[i]).toBeCloseTo(g, 12);
      expect(rs[i]).toBeCloseTo(r, 12);
      expect(Fs[i]).toBeCloseTo((1 - r) * g * g + r * (1 - (1 - g) ** 2), 12);
    }
    const g = sig(a(2));
    const r = sig(cc(2));
    expect(scalarOf('gate', view, f, 'dfdg_ch')).toBeCloseTo(2 * (1 - r) * g + 2 * r * (1 - g), 12);
    expect(scalarOf('gate', view, f, 'gg_ch')).toBeCloseTo(g * (1 - g), 12);
    expect(scalarOf('gate', view, f, 'dfda_ch')).toBeCloseTo((2 * (1 - r) * g + 2 * r * (1 - g)) * g * (1 - g), 12);
    expect(scalarOf('gate', view, f, 'gg_run')).toBe(0.12);
    expect(scalarOf('gate', view, f, 'dfdg_run')).toBe(0.8);
    // The refined gate's gradient at saturation: 2r at g = 0, 2(1 − r) at g = 1; the plain one vanishes.
    expect(refinedGrad(0, 0.3)).toBeCloseTo(0.6, 12);
    expect(refinedGrad(1, 0.3)).toBeCloseTo(1.4, 12);
    expect(plainGrad(1)).toBe(0);
  });

  it('the state: α_t = exp(captured log α), ‖S_t‖ and memory lengths from the records', () => {
    const d = stripOf('state', view, f, 'decay');
    d.values.forEach((x, i) => expect(x).toBe(Math.exp(at(dumpOf(view, 'gate.logA', 1), f.token, kvh, i))));
    const norms = view.analysis.records.find((r) => r.layer === 1 && r.tokenStateNorm)?.tokenStateNorm;
    expect(scalarOf('state', view, f, 'snorm_t')).toBe(norms?.at(f.token, kvh));
    expect(scalarOf('state', view, f, 'snorm_prev')).toBe(norms?.at(f.token - 1, kvh));
    const series = stripOf('state', view, f, 'snorm');
    expect(series.axis).toBe('token');
    expect(series.values.at(-1)).toBe(norms?.at(f.token, kvh));
    expect(series.x0 + (series.mark ?? -1)).toBe(f.token);
    const mem = view.analysis.records.find((r) => r.layer === 1 && r.point === 'gate.logA')?.channelMemoryLength?.[kvh];
    expect(stripOf('state', view, f, 'memory').values).toEqual(mem);
    expect(stepValues('state', view, f).missing.join(' ')).toMatch(/S_t itself/);
  });

  it('the read-out: o_t captured exactly, the effective-attention row equals the engine twin and a product-of-α loop', () => {
    const o = stripOf('readout', view, f, 'o');
    expect(o.values).toEqual(Array.from({ length: c.headDimV }, (_, i) => at(dumpOf(view, 'attn.o', 1), f.token, f.head, i)));
    const row = attentionRow(view, 1, f.head, f.token);
    const q = dumpOf(view, 'phi.q', 1);
    const k = dumpOf(view, 'phi.k', 1);
    const A = dumpOf(view, 'gate.logA', 1);
    const twin = effectiveAttentionRow64({ T, Hq: c.numHeads, Hkv: c.numKvHeads, dkf: dk, phiQ: q?.data ?? [], phiK: k?.data ?? [], A: A?.data, head: f.head, scale: readoutScale(c) }, f.token);
    expect(row?.length).toBe(f.token + 1);
    twin.forEach((x, u) => expect(row?.[u]).toBeCloseTo(x, 12));
    // Directly: A[t,u] = s Σ_i φq_i (∏_{w=u+1..t} α_w,i) φk_u,i.
    for (const u of [0, 17, f.token - 1, f.token]) {
      let acc = 0;
      for (let i = 0; i < dk; i++) {
        let prod = 1;
        for (let w = u + 1; w <= f.token; w++) prod *= Math.exp(at(A, w, kvh, i));
        acc += at(q, f.token, f.head, i) * prod * at(k, u, kvh, i);
      }
      expect(row?.[u]).toBeCloseTo(readoutScale(c) * acc, 12);
    }
    const tn = view.analysis.records.find((r) => r.layer === 1 && r.point === 'attn.o')?.tokenNorm;
    expect(scalarOf('readout', view, f, 'o_norm_gpu')).toBe(tn?.at(f.token, f.head));
    expect(scalarOf('readout', view, f, 'o_norm')).toBeCloseTo(Math.hypot(...o.values), 12);
    const strip = stripOf('readout', view, f, 'attn_row');
    expect(strip.values.at(-1)).toBeCloseTo(row?.[f.token] as number, 15);
  });

  it('with the denominator, the row is normalized to sum ≈ 1 and s cancels', () => {
    const den = synth(parseConfig({ ...BASE, model_type: 'regla', feature_map: 'relu', gate: 'none', attn_norm: 'none', denominator: true }), 12, 5);
    const row = attentionRow(den.view, 0, 0, 11);
    expect(row?.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 4);
  });

  it('norm: standardize is LayerNorm / RMSNorm without the weight; ‖y_t‖ from the record', () => {
    const o = [1, -2, 3, 0.5];
    const mu = 0.625;
    const v = o.reduce((s, x) => s + (x - mu) ** 2, 0) / 4;
    standardize(o, 'layernorm', 1e-6).forEach((z, i) => expect(z).toBeCloseTo(((o[i] as number) - mu) / Math.sqrt(v + 1e-6), 12));
    const ms = o.reduce((s, x) => s + x * x, 0) / 4;
    standardize(o, 'rmsnorm', 1e-6).forEach((z, i) => expect(z).toBeCloseTo((o[i] as number) / Math.sqrt(ms + 1e-6), 12));
    expect(standardize(o, 'none', 1e-6)).toEqual(o);
    const y = view.analysis.records.find((r) => r.layer === 1 && r.point === 'attn.y')?.tokenNorm;
    expect(scalarOf('norm', view, f, 'y_norm')).toBe(y?.at(f.token, 0));
    const z = stripOf('norm', view, f, 'z').values;
    const oo = stripOf('norm', view, f, 'o').values;
    expect(z).toEqual(standardize(oo, 'layernorm', c.normEps));
  });

  it('output: the next-token probabilities the run scored at this position', () => {
    expect(stripOf('output', view, f, 'next').values).toEqual([0.5, 0.25]);
    expect(scalarOf('output', view, f, 'next_logp')).toBe(view.tokens[f.token + 1]?.logprob);
    expect(stepValues('output', view, { ...f, token: T - 1 }).notes.join(' ')).toMatch(/last token/);
  });

  it('chunked: G is the cumulative log α from the chunk start; anchored exponents ≤ 0; the naive factor', () => {
    const cv = chunkView(view, 1, kvh, f.token, 2);
    const start = Math.floor(f.token / ANALYSIS_CHUNK) * ANALYSIS_CHUNK;
    expect(cv?.start).toBe(start);
    expect(cv?.end).toBe(Math.min(T, start + ANALYSIS_CHUNK));
    let acc = 0;
    cv?.G.forEach((g, j) => {
      acc += at(dumpOf(view, 'gate.logA', 1), start + j, kvh, 2);
      expect(g).toBeCloseTo(acc, 12);
    });
    expect(cv?.maxExponent).toBeLessThanOrEqual(0);
    // Brute force over every channel and pair u < t' ≤ t.
    let best = -Infinity;
    let minG = 0;
    for (let i = 0; i < dk; i++) {
      const G: number[] = [];
      let s = 0;
      for (let u = start; u < Math.min(T, start + ANALYSIS_CHUNK); u++) {
        s += at(dumpOf(view, 'gate.logA', 1), u, kvh, i);
        G.push(s);
        minG = Math.min(minG, s);
      }
      for (let t = 0; t <= f.token - start; t++) for (let u = 0; u < t; u++) best = Math.max(best, (G[t] as number) - (G[u] as number));
    }
    expect(cv?.maxExponent).toBeCloseTo(best, 12);
    expect(cv?.minG).toBeCloseTo(minG, 12);
    expect(scalarOf('chunked', view, f, 'naive')).toBeCloseTo(-minG, 12);
  });

  it('chunked: a positive log α (broken gate) shows as an exponent > 0', () => {
    const bad = synth(REGLA, 8, 9);
    const A = bad.view.analysis.dumps.get(dumpKey('gate.logA', 0));
    if (!A) throw new Error('no logA');
    A.data[(5 * REGLA.numKvHeads + 0) * REGLA.headDimK + 1] = 0.5;
    expect(chunkView(bad.view, 0, 0, 7, 0)?.maxExponent).toBeGreaterThan(0);
  });

  it('a softmax layer or a token outside the analysis is reported, not invented', () => {
    const hybrid = synth(parseConfig({ ...BASE, model_type: 'regla', hybrid_softmax_layers: [1] }), 4);
    const s = stepValues('gate', hybrid.view, { layer: 1, head: 0, token: 1, channel: 0 });
    expect(s.strips).toEqual([]);
    expect(s.missing.join(' ')).toMatch(/softmax attention/);
    expect(stepValues('features', view, { ...f, token: T + 3 }).missing.join(' ')).toMatch(/outside/);
  });
});

describe('tour values for GLA (identity φ, τ = 16, no refining gate)', () => {
  const { view } = synth(GLA, 10, 4);
  const f: Focus = { layer: 0, head: 0, token: 9, channel: 1 };
  it('q and k are φ(q), φ(k) themselves; α = σ(a)^(1/16); no dF/dg', () => {
    expect(stripOf('projections', view, f, 'q').values).toEqual(Array.from(headRow(view.analysis.dumps.get('phi.q@0'), 9, 0) ?? []));
    const a = headRow(view.analysis.dumps.get('gate.a@0'), 9, 0) ?? new Float32Array();
    stripOf('gate', view, f, 'alpha').values.forEach((x, i) => expect(x).toBeCloseTo(sig(a[i] as number) ** (1 / 16), 12));
    expect(stepValues('gate', view, f).scalars.some((s) => s.id === 'dfdg_ch')).toBe(false);
    expect(scalarOf('features', view, f, 'scale')).toBeCloseTo(1 / Math.sqrt(GLA.headDimK), 12);
  });
});

describe('analytic cost', () => {
  it('matches the per-layer formulas, grows linearly vs quadratically, and has a crossover', () => {
    const c = REGLA;
    const dk = c.headDimK;
    const dv = c.headDimV;
    const d = c.hiddenSize / c.numHeads;
    const [r] = costRows(c, [256]);
    expect(r?.linearPrefillFlops).toBe(c.numHeads * 256 * (2 * 64 * (dk + dv) + 4 * dk * dv));
    expect(r?.softmaxPrefillFlops).toBe(c.numHeads * ((256 * 257) / 2) * 4 * d);
    expect(r?.stateBytes).toBe(c.numKvHeads * dk * dv * 4);
    expect(r?.kvCacheBytes).toBe(c.numHeads * 2 * d * 256 * 4);
    const [a, b] = costRows(c, [1024, 2048]);
    expect((b?.linearPrefillFlops ?? 0) / (a?.linearPrefillFlops ?? 1)).toBeCloseTo(2, 12);
    expect((b?.softmaxPrefillFlops ?? 0) / (a?.softmaxPrefillFlops ?? 1)).toBeCloseTo(4, 2);
    expect(b?.linearDecodeFlops).toBe(a?.linearDecodeFlops);
    const x = costCrossover(c);
    expect(x).not.toBeNull();
    const [at0, below] = costRows(c, [x ?? 0, (x ?? 0) / 2]);
    expect(at0?.softmaxPrefillFlops).toBeGreaterThan(at0?.linearPrefillFlops ?? Infinity);
    expect(below?.softmaxPrefillFlops).toBeLessThanOrEqual(below?.linearPrefillFlops ?? 0);
  });
});

describe('formatting', () => {
  it('4 significant digits, exponents outside [1e-3, 1e5), units, and the special values', () => {
    expect(fmt(0.123456)).toBe('0.1235');
    expect(fmt(-2.5)).toBe('−2.5');
    expect(fmt(1.5e-7)).toBe('1.500e-7');
    expect(fmt(123456789)).toBe('1.235e8');
    expect(fmt(0)).toBe('0');
    expect(fmt(-Infinity)).toBe('−∞');
    expect(fmt(NaN)).toBe('NaN');
    expect(fmt(7.6, 'int')).toBe('8');
    expect(fmt(2048, 'bytes')).toBe('2 KiB');
    expect(fmt(3.2e9, 'flops')).toBe('3.2 GFLOP');
    expect(fmt(1.25, 'ms')).toBe('1.25 ms');
  });
});

describe('tour steps', () => {
  const variants: Array<[string, ModelConfig]> = [
    ['regla', REGLA],
    ['gla', GLA],
    ['la-relu', parseConfig({ ...BASE, model_type: 'regla', feature_map: 'relu', gate: 'none', attn_norm: 'none', denominator: true, scale: 'inv_sqrt_dk' })],
    ['hedgehog', parseConfig({ ...BASE, model_type: 'regla', feature_map: 'hedgehog', gate: 'none', attn_norm: 'none', denominator: true, scale: 'inv_sqrt_dk' })],
    ['fast-decay', parseConfig({ ...BASE, model_type: 'regla', feature_map: 'identity', gate: 'fast_decay', gate_low_rank_dim: 4, gate_logit_normalizer: 16, scale: 'inv_sqrt_dk', attn_norm: 'rmsnorm' })],
  ];
  it('nine steps in the issue order, each linking to a panel that exists', () => {
    expect(STEPS.map((s) => s.id)).toEqual(['projections', 'features', 'gate', 'state', 'readout', 'norm', 'output', 'chunked', 'cost']);
    for (const s of STEPS) expect(existsSync(join(ROOT, 'renderer/panels', s.link.panel, s.link.panel === 'prompt' ? 'PromptPanel.tsx' : 'index.ts')), s.link.panel).toBe(true);
  });
  it.each(variants)('every equation parses in KaTeX and every text chunk is short (%s)', (_name, c) => {
    for (const s of STEPS) {
      const tex = s.tex(c);
      expect(tex.length).toBeGreaterThan(0);
      for (const t of tex) expect(() => katex.renderToString(t, { throwOnError: true, displayMode: true })).not.toThrow();
      const text = s.text(c);
      expect(text.length).toBeGreaterThan(0);
      for (const p of text) expect(p.length).toBeLessThanOrEqual(200);
    }
  });
  it.each(variants)('every step returns values or says what is missing (%s)', (_name, c) => {
    const { view } = synth(c, 6, 2);
    for (const s of STEPS) {
      const v = stepValues(s.id, view, { layer: 0, head: 1, token: 5, channel: 0 });
      expect(v.strips.length + v.scalars.length + v.missing.length + v.notes.length + (v.cost?.length ?? 0), s.id).toBeGreaterThan(0);
      for (const st of v.strips) for (const x of st.values) expect(Number.isNaN(x), `${s.id}/${st.id}`).toBe(false);
    }
  });
});

describe('tour and highlight slice', () => {
  const initial = useStore.getState();
  beforeEach(() => useStore.setState(initial, true));
  it('openHighlight shows the panel with layer, head, token and quantity selected; removing the compared run clears it', () => {
    const s = useStore.getState();
    s.setTourStep(3.7);
    expect(useStore.getState().tourStep).toBe(3);
    s.setTourStep(-2);
    expect(useStore.getState().tourStep).toBe(0);
    s.openHighlight({ panel: 'gates', selector: '[data-testid=gates-channels]', label: 'x', layer: 2, head: 1, token: 7, quantity: 'logA', channel: 3 });
    const st = useStore.getState();
    expect([st.panel, st.layer, st.head, st.lockedToken, st.gateQuantity]).toEqual(['gates', 2, 1, 7, 'logA']);
    expect(st.highlight?.selector).toBe('[data-testid=gates-channels]');
    st.setTourCompare('run9');
    st.removeRun('run9');
    expect(useStore.getState().tourCompare).toBeNull();
  });
});
