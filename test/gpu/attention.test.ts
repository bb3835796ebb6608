// Effective attention (spec §3.5) on the GPU vs its float64 twin (windows, rows, GQA, no gate,
// denominator, fast_decay's value-side gate for one value channel), and the defining property on a
// real forward: with φ(q), φ(k), log α (and log D) captured from layer 0 of a tiny model, A·V over
// the whole sequence reproduces the layer's pre-norm output o (per value channel with fast_decay).

import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { effectiveAttention, effectiveAttentionRow } from '../../shaders/capture/attention.js';
import { effectiveAttention64, effectiveAttentionRow64, type Attention64Inputs } from '../../shaders/cpu/attention.js';
import { rowNorm64 } from '../../shaders/cpu/norm.js';
import { matmul64 } from '../../shaders/cpu/matmul.js';
import { GpuModel, ModelState, forward, type TapPoint } from '../../shaders/model/model.js';
import { featureDim, parseConfig, readoutScale } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

interface Case {
  name: string;
  T: number;
  Hq: number;
  Hkv: number;
  dkf: number;
  gate: boolean;
  denominator: boolean;
  head: number;
  t0: number;
  t1: number;
  /** Value-side gate of dim dv, applied for value channel `channel`. */
  dv?: number;
  channel?: number;
}

const CASES: Case[] = [
  { name: 'gated, full window', T: 40, Hq: 2, Hkv: 2, dkf: 16, gate: true, denominator: false, head: 1, t0: 0, t1: 40 },
  { name: 'gated GQA, inner window, dkf not a multiple of 16', T: 70, Hq: 4, Hkv: 2, dkf: 20, gate: true, denominator: false, head: 3, t0: 13, t1: 66 },
  { name: 'no gate, denominator', T: 33, Hq: 2, Hkv: 1, dkf: 32, gate: false, denominator: true, head: 0, t0: 0, t1: 33 },
  { name: 'gated, denominator, window', T: 50, Hq: 2, Hkv: 2, dkf: 8, gate: true, denominator: true, head: 0, t0: 5, t1: 50 },
  { name: 'two-sided gate, value channel 5, GQA window', T: 60, Hq: 4, Hkv: 2, dkf: 16, gate: true, denominator: false, head: 2, t0: 7, t1: 60, dv: 12, channel: 5 },
  { name: 'two-sided gate, denominator, value channel 0', T: 37, Hq: 2, Hkv: 2, dkf: 8, gate: true, denominator: true, head: 1, t0: 0, t1: 37, dv: 4, channel: 0 },
];

function inputs(c: Case): Attention64Inputs & { q: Float32Array; k: Float32Array; a: Float32Array; d: Float32Array } {
  const rng = new Rng(c.T * 7 + c.dkf);
  const q = Float32Array.from(rng.normals(c.T * c.Hq * c.dkf, 1), Math.abs);
  const k = Float32Array.from(rng.normals(c.T * c.Hkv * c.dkf, 1), Math.abs);
  // log α = log σ(x): in (−∞, 0), spread over fast and slow channels.
  const a = Float32Array.from(rng.normals(c.T * c.Hkv * c.dkf, 2, 2), (x) => -Math.log1p(Math.exp(-x)));
  const d = Float32Array.from(rng.normals(c.T * c.Hkv * (c.dv ?? 1), 2, 1), (x) => -Math.log1p(Math.exp(-x)));
  const value = c.dv !== undefined ? { D: d, dv: c.dv, valueChannel: c.channel } : {};
  return { T: c.T, Hq: c.Hq, Hkv: c.Hkv, dkf: c.dkf, phiQ: q, phiK: k, A: c.gate ? a : undefined, head: c.head, scale: 0.25, denominator: c.denominator, ...value, q, k, a, d };
}

describe('effective attention vs float64 twin', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ctx = await getContext();
      const x = inputs(c);
      const tq = ctx.upload(x.q, [1, c.T, c.Hq, c.dkf], 'phiQ');
      const tk = ctx.upload(x.k, [1, c.T, c.Hkv, c.dkf], 'phiK');
      const ta = ctx.upload(x.a, [1, c.T, c.Hkv, c.dkf], 'logA');
      const td = ctx.upload(x.d, [1, c.T, c.Hkv, c.dv ?? 1], 'logD');
      const value = c.dv !== undefined ? { D: td, valueChannel: c.channel } : {};
      const common = { phiQ: tq, phiK: tk, ...(c.gate ? { A: ta } : {}), ...value, head: c.head, scale: 0.25, denominator: c.denominator };
      try {
        const m = effectiveAttention(ctx, { ...common, t0: c.t0, t1: c.t1 });
        const W = c.t1 - c.t0;
        expect(m.shape).toEqual([W, W]);
        expect(m.valueGate).toBe(c.dv !== undefined ? 'applied' : 'none');
        const got = await ctx.readF32(m);
        m.dispose();
        const ref = effectiveAttention64(x, c.t0, c.t1);
        for (let r = 0; r < W; r++) for (let u = r + 1; u < W; u++) expect(got[r * W + u]).toBe(0);
        const rep = expectClose(got, ref, { rtol: 1e-4, atol: 1e-6, label: c.name });
        console.log(`${c.name}: worst rel ${rep.worstRel.toExponential(2)}, abs ${rep.worstAbs.toExponential(2)}`);
        for (const t of [0, 17, c.T - 1]) {
          const row = effectiveAttentionRow(ctx, { ...common, token: t });
          expect(row.shape).toEqual([t + 1]);
          const g = await ctx.readF32(row);
          row.dispose();
          expectClose(g, effectiveAttentionRow64(x, t), { rtol: 1e-4, atol: 1e-6, label: `${c.name} row ${t}` });
        }
      } finally {
        [tq, tk, ta, td].forEach((t) => t.dispose());
      }
    });
  }

  it('with D and no value channel: the key-side matrix, marked per-channel', async () => {
    const ctx = await getContext();
    const c = CASES[4]!;
    const x = inputs(c);
    const tq = ctx.upload(x.q, [1, c.T, c.Hq, c.dkf], 'phiQ');
    const tk = ctx.upload(x.k, [1, c.T, c.Hkv, c.dkf], 'phiK');
    const ta = ctx.upload(x.a, [1, c.T, c.Hkv, c.dkf], 'logA');
    const td = ctx.upload(x.d, [1, c.T, c.Hkv, c.dv!], 'logD');
    try {
      const m = effectiveAttention(ctx, { phiQ: tq, phiK: tk, A: ta, D: td, head: c.head, scale: 0.25, t0: 0, t1: c.T });
      expect(m.valueGate).toBe('per-channel');
      expect(m.valueChannel).toBeUndefined();
      const got = await ctx.readF32(m);
      m.dispose();
      expectClose(got, effectiveAttention64({ ...x, valueChannel: undefined }, 0, c.T), { rtol: 1e-4, atol: 1e-6, label: 'key side' });
      expect(() => effectiveAttention(ctx, { phiQ: tq, phiK: tk, A: ta, D: td, head: 0, scale: 1, t0: 0, t1: 4, valueChannel: c.dv! })).toThrow(/value channel/);
      expect(() => effectiveAttention(ctx, { phiQ: tq, phiK: tk, A: ta, head: 0, scale: 1, t0: 0, t1: 4, valueChannel: 0 })).toThrow(/needs the value-side gate/);
    } finally {
      [tq, tk, ta, td].forEach((t) => t.dispose());
    }
  });

  it('rejects a window over 2048 tokens or outside the sequence, and a bad head', async () => {
    const ctx = await getContext();
    const tq = ctx.upload(new Float32Array(4 * 2 * 4), [1, 4, 2, 4], 'phiQ');
    const tk = ctx.upload(new Float32Array(4 * 2 * 4), [1, 4, 2, 4], 'phiK');
    expect(() => effectiveAttention(ctx, { phiQ: tq, phiK: tk, head: 0, scale: 1, t0: 2, t1: 5 })).toThrow(/window/);
    expect(() => effectiveAttention(ctx, { phiQ: tq, phiK: tk, head: 2, scale: 1, t0: 0, t1: 4 })).toThrow(/head/);
    expect(() => effectiveAttentionRow(ctx, { phiQ: tq, phiK: tk, head: 0, scale: 1, token: 4 })).toThrow(/token/);
    [tq, tk].forEach((t) => t.dispose());
  });
});

describe('A·V reproduces the layer output o (t0 = 0)', () => {
  for (const variant of ['regla', 'la_elu_denominator', 'fast_decay'] as const) {
    it(variant, async () => {
      const ctx = await getContext();
      const c = parseConfig(VARIANTS[variant] as Record<string, unknown>);
      expect(c.useShortConv).toBe(false);
      const w = randomWeights(c, { seed: 7, gateBias: 1 });
      const model = await GpuModel.upload(ctx, c, w);
      const state = new ModelState(ctx, c);
      const T = 45;
      const want: TapPoint[] = ['hidden', 'phi.q', 'phi.k', 'gate.logA', 'gate.logD', 'attn.o'];
      const got = new Map<TapPoint, Tensor>();
      try {
        const ids = ctx.upload(Uint32Array.from(tokens(T, c.vocabSize)), [T], 'ids');
        const logits = forward(model, state, ids, {
          logits: 'last',
          mode: 'chunk',
          chunkSize: 16,
          tap: (point, t, site) => {
            if (site.layer !== 0 || !want.includes(point)) return;
            const copy = ctx.tensor(t.shape, 'f32', `copy.${point}`);
            ctx.copy(t, copy);
            got.set(point, copy);
          },
        });
        logits.dispose();
        ids.dispose();
        const Hq = c.numHeads;
        const Hkv = c.numKvHeads;
        const dv = c.headDimV;
        const H = c.hiddenSize;
        const phiQ = got.get('phi.q') as Tensor;
        const phiK = got.get('phi.k') as Tensor;
        const A = got.get('gate.logA');
        const D = got.get('gate.logD');
        expect(A !== undefined).toBe(c.gate !== 'none');
        expect(D !== undefined).toBe(c.gate === 'fast_decay');
        expect(phiQ.shape).toEqual([1, T, Hq, featureDim(c)]);
        // v = attn_norm(h)·W_vᵀ in float64 from the captured residual stream.
        const hidden = await ctx.readF32(got.get('hidden') as Tensor);
        const nw = w.get('model.layers.0.attn_norm.weight');
        const wv = w.get('model.layers.0.attn.v_proj.weight');
        if (!nw || !wv) throw new Error('missing layer-0 weights');
        const v = matmul64(rowNorm64(hidden, H, nw.data, undefined, c.normEps, 'rmsnorm'), wv.data, T, Hkv * dv, H);
        const o = await ctx.readF32(got.get('attn.o') as Tensor);
        const maxO = o.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expect(maxO).toBeGreaterThan(0);
        let worst = 0;
        // With the value-side gate the matrix is per value channel: one matrix per (head, channel).
        const channels = D ? Array.from({ length: dv }, (_, j) => [j]) : [Array.from({ length: dv }, (_, j) => j)];
        for (let h = 0; h < Hq; h++) {
          const kvh = Math.floor(h / (Hq / Hkv));
          for (const js of channels) {
            const value = D ? { D, valueChannel: js[0] } : {};
            const m = effectiveAttention(ctx, { phiQ, phiK, ...(A ? { A } : {}), ...value, head: h, scale: readoutScale(c), denominator: c.denominator, t0: 0, t1: T });
            expect(m.valueGate).toBe(D ? 'applied' : 'none');
            const a = await ctx.readF32(m);
            m.dispose();
            for (let t = 0; t < T; t++) {
              for (const j of js) {
                let s = 0;
                for (let u = 0; u <= t; u++) s += (a[t * T + u] as number) * (v[u * Hkv * dv + kvh * dv + j] as number);
                worst = Math.max(worst, Math.abs(s - (o[(t * Hq + h) * dv + j] as number)) / maxO);
              }
            }
          }
        }
        console.log(`${variant}: A·V vs o worst error ${worst.toExponential(2)} (relative to max |o| = ${maxO.toExponential(2)})`);
        expect(worst).toBeLessThan(1e-5);
      } finally {
        for (const t of got.values()) t.dispose();
        state.dispose();
        model.dispose();
      }
    });
  }
});
