// Interventions (model/interventions.ts): the two edit kernels against their float64 twins; every
// intervention kind on the variants it applies to, GPU (chunked prefill, recurrent prefill, prefill +
// single steps) against forward64 with the same list, and different from no intervention; the no-op
// cases; an empty list is exactly the default forward; named validation errors; taps see the edits.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { clamp64, scaleColumns64 } from '../../shaders/cpu/interventions.js';
import { clampInPlace, scaleColumns } from '../../shaders/ops/interventions.js';
import { GpuModel, ModelState, forward, type Tap, type TapPoint } from '../../shaders/model/model.js';
import { parseConfig, type ModelConfig } from '../../shaders/model/config.js';
import { randomWeights, type WeightMap } from '../../shaders/model/weights.js';
import { cpuState, forward64 } from '../../shaders/cpu/model.js';
import { logRefined64, logSigmoid64, sigmoid64 } from '../../shaders/cpu/gate.js';
import { describeIntervention, gateLogitRange, validateInterventions, F32_MAX, LOGIT_BOUND, type Intervention } from '../../shaders/model/interventions.js';
import { InterventionError } from '../../shaders/errors.js';
import { Session } from '../../shaders/model/session.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

const TOL = { rtol: 2e-3, atol: 2e-4 };

describe('intervention kernels vs float64 twins', () => {
  for (const n of [1, 300, 70_001]) {
    it(`clamp in place, n=${n}`, async () => {
      const ctx = await getContext();
      const x = new Rng(n).normals(n, 3);
      const t = ctx.upload(x, [n], 'x');
      const lo = Math.fround(-1.3);
      const hi = Math.fround(0.7);
      clampInPlace(ctx, { x: t, lo, hi });
      const got = await ctx.readF32(t);
      expect(Array.from(got)).toEqual(Array.from(clamp64(Float64Array.from(x), lo, hi)));
      t.dispose();
    });
  }

  it('clamp of a row block (a view at a byte offset) leaves the other rows alone', async () => {
    const ctx = await getContext();
    const x = new Rng(2).normals(4 * 64, 4);
    const t = ctx.upload(x, [4, 64], 'x');
    const v = t.rows(1, 2);
    clampInPlace(ctx, { x: v, lo: -0.5, hi: 0.5 });
    const want = Float64Array.from(x);
    clamp64(want.subarray(64, 192), -0.5, 0.5);
    expect(Array.from(await ctx.readF32(t))).toEqual(Array.from(Float32Array.from(want)));
    t.dispose();
  });

  it('scale one column block of every row (several widths, blocks at each end)', async () => {
    const ctx = await getContext();
    for (const [rows, width, col0, cols, s] of [[37, 64, 32, 32, 0], [5, 12, 0, 3, -2.5], [300, 96, 48, 48, 0.3]] as const) {
      const x = new Rng(rows).normals(rows * width, 2);
      const t = ctx.upload(x, [rows, width], 'y');
      scaleColumns(ctx, { x: t, col0, cols, s });
      expectClose(await ctx.readF32(t), scaleColumns64(Float64Array.from(x), width, col0, cols, s), { rtol: 1e-7, atol: 0, label: `scale cols ${rows}x${width}` });
      t.dispose();
    }
  });

  it('bad arguments are named errors', async () => {
    const ctx = await getContext();
    const t = ctx.upload(new Float32Array(8), [2, 4], 'y');
    expect(() => clampInPlace(ctx, { x: t, lo: 1, hi: 0 })).toThrow(/lo ≤ hi/);
    expect(() => scaleColumns(ctx, { x: t, col0: 2, cols: 3, s: 1 })).toThrow(/not inside a row of 4/);
    t.dispose();
  });
});

type Weights = WeightMap;

/** GPU logits of `blocks` fed one after another (all rows), joined. */
async function gpuRun(c: ModelConfig, w: Weights, blocks: number[][], mode: 'chunk' | 'recurrent', interventions: readonly Intervention[]): Promise<Float32Array> {
  const ctx = await getContext();
  const model = await GpuModel.upload(ctx, c, w);
  const state = new ModelState(ctx, c);
  const parts: Float32Array[] = [];
  try {
    for (const b of blocks) {
      const ids = ctx.upload(Uint32Array.from(b), [b.length], 'ids');
      const logits = forward(model, state, ids, { logits: 'all', mode, chunkSize: 16, interventions });
      parts.push(await ctx.readF32(logits));
      logits.dispose();
      ids.dispose();
    }
  } finally {
    state.dispose();
    model.dispose();
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

interface Case {
  variant: string;
  list: Intervention[];
}

const CASES: Record<string, Case[]> = {
  clamp_g: [
    { variant: 'regla', list: [{ kind: 'clamp_g', layers: 'all', min: 0.2, max: 0.6 }] },
    { variant: 'gla', list: [{ kind: 'clamp_g', layers: [1], min: 0, max: 0.5 }] },
    { variant: 'sigmoid', list: [{ kind: 'clamp_g', layers: 'all', min: 0.9, max: 1 }] },
    { variant: 'fast_decay', list: [{ kind: 'clamp_g', layers: [0], min: 0.3, max: 0.7 }] },
    { variant: 'hybrid_regla', list: [{ kind: 'clamp_g', layers: 'all', min: 0.05, max: 0.5 }] },
    // Short convolution, grouped kv heads, clamp_min on the log gate after the logit clamp.
    { variant: 'gla_conv_gqa_tied', list: [{ kind: 'clamp_g', layers: 'all', min: 0.6, max: 0.99 }] },
  ],
  force_r: [
    { variant: 'regla', list: [{ kind: 'force_r', layers: 'all', value: 0 }] },
    { variant: 'regla_lowrank_rms_gate', list: [{ kind: 'force_r', layers: [0], value: 1 }] },
  ],
  scale_head: [
    { variant: 'regla', list: [{ kind: 'scale_head', layer: 1, head: 0, scale: 0 }] },
    { variant: 'gla_conv_gqa_tied', list: [{ kind: 'scale_head', layer: 0, head: 3, scale: 2.5 }] },
    { variant: 'hybrid_regla', list: [{ kind: 'scale_head', layer: 1, head: 1, scale: 0 }] },
    { variant: 'softmax', list: [{ kind: 'scale_head', layer: 0, head: 0, scale: 3 }] },
    { variant: 'la_elu_denominator', list: [{ kind: 'scale_head', layer: 1, head: 1, scale: 0 }] },
  ],
  feature_map: [
    { variant: 'regla', list: [{ kind: 'feature_map', layers: 'all', map: 'relu' }] },
    { variant: 'la_relu', list: [{ kind: 'feature_map', layers: [1], map: 'exp_norm' }] },
    { variant: 'gla_conv_gqa_tied', list: [{ kind: 'feature_map', layers: 'all', map: 'elu1' }] },
    { variant: 'sigmoid', list: [{ kind: 'feature_map', layers: [0], map: 'exp_norm' }] },
    { variant: 'la_elu_denominator', list: [{ kind: 'feature_map', layers: 'all', map: 'relu' }] },
    { variant: 'hybrid_regla', list: [{ kind: 'feature_map', layers: 'all', map: 'identity' }] },
  ],
  no_output_norm: [
    { variant: 'regla', list: [{ kind: 'no_output_norm', layers: 'all' }] },
    { variant: 'regla_lowrank_rms_gate', list: [{ kind: 'no_output_norm', layers: [1] }] },
  ],
  combined: [
    {
      variant: 'fast_decay',
      list: [
        { kind: 'clamp_g', layers: 'all', min: 0.1, max: 0.95 },
        { kind: 'clamp_g', layers: [1], min: 0.5, max: 1 },
        { kind: 'scale_head', layer: 0, head: 1, scale: -1 },
        { kind: 'scale_head', layer: 0, head: 1, scale: 0.5 },
        { kind: 'no_output_norm', layers: [0] },
      ],
    },
  ],
};

describe('every intervention: GPU ≡ float64 twin on every path, and it changes the logits', () => {
  for (const [kind, cases] of Object.entries(CASES)) {
    for (const { variant, list } of cases) {
      it(`${kind} on ${variant}: ${list.map(describeIntervention).join('; ')}`, async () => {
        const c = parseConfig(VARIANTS[variant] as Record<string, unknown>);
        const w = randomWeights(c, { seed: 7, gateBias: 1 });
        const ids = tokens(37, c.vocabSize);
        const ref = forward64(c, w, cpuState(c), ids, list);
        const plain = forward64(c, w, cpuState(c), ids);
        const change = maxAbsDiff(ref, plain);
        expect(change, 'the intervention changes the twin logits').toBeGreaterThan(1e-2);
        const chunked = await gpuRun(c, w, [ids], 'chunk', list);
        const r = expectClose(chunked, ref, { ...TOL, label: `${variant} chunked` });
        expectClose(await gpuRun(c, w, [ids], 'recurrent', list), ref, { ...TOL, label: `${variant} recurrent` });
        // Prefill 20, five single steps (the default, fused-when-possible decode), then the rest.
        const blocks = [ids.slice(0, 20), ...ids.slice(20, 25).map((t) => [t]), ids.slice(25)];
        expectClose(await gpuRun(c, w, blocks, 'chunk', list), ref, { ...TOL, label: `${variant} prefill+steps` });
        // The GPU result also moved away from the unintervened twin by about as much.
        expect(maxAbsDiff(chunked, plain)).toBeGreaterThan(change / 2);
        console.log(`${kind} on ${variant}: change ${change.toExponential(2)}, worst rel vs twin ${r.worstRel.toExponential(2)}`);
      });
    }
  }
});

describe('interventions that change mid-sequence', () => {
  it('a list per block (exp_norm swapped in after position 0 on layer 0, then on both layers and no output norm on layer 1) ≡ the twin block by block', async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['la_relu'] as Record<string, unknown>);
    const w = randomWeights(c, { seed: 13 });
    const ids = tokens(30, c.vocabSize, 4);
    const blocks = [ids.slice(0, 12), [ids[12] as number], ids.slice(13)];
    const lists: Intervention[][] = [[], [{ kind: 'feature_map', layers: [0], map: 'exp_norm' }], [{ kind: 'feature_map', layers: 'all', map: 'exp_norm' }, { kind: 'no_output_norm', layers: [1] }]];
    const model = await GpuModel.upload(ctx, c, w);
    const st = new ModelState(ctx, c);
    const tw = cpuState(c);
    for (const [i, b] of blocks.entries()) {
      const list = lists[i] as Intervention[];
      const t = ctx.upload(Uint32Array.from(b), [b.length], 'ids');
      const logits = forward(model, st, t, { logits: 'all', interventions: list });
      expectClose(await ctx.readF32(logits), forward64(c, w, tw, b, list), { ...TOL, label: `block ${i}` });
      [logits, t].forEach((x) => x.dispose());
    }
    st.dispose();
    model.dispose();
  });
});

describe('no-op interventions', () => {
  it('clamp_g to [0, 1] and an empty list give exactly the default forward, with the same dispatches', async () => {
    const ctx = await getContext();
    for (const variant of ['regla', 'fast_decay']) {
      const c = parseConfig(VARIANTS[variant] as Record<string, unknown>);
      const w = randomWeights(c, { seed: 3, gateBias: 1 });
      const model = await GpuModel.upload(ctx, c, w);
      const lists: Array<readonly Intervention[] | undefined> = [undefined, [], [{ kind: 'clamp_g', layers: 'all', min: 0, max: 1 }]];
      const results: Float32Array[] = [];
      const dispatches: number[] = [];
      for (const list of lists) {
        const st = new ModelState(ctx, c);
        const ids = ctx.upload(Uint32Array.from(tokens(21, c.vocabSize)), [21], 'ids');
        const one = ctx.upload(Uint32Array.from([4]), [1], 'one');
        const d0 = ctx.dispatchCount;
        const a = forward(model, st, ids, { logits: 'all', ...(list ? { interventions: list } : {}) });
        const b = forward(model, st, one, { logits: 'last', fused: false, ...(list ? { interventions: list } : {}) });
        dispatches.push(ctx.dispatchCount - d0);
        const ra = await ctx.readF32(a);
        const rb = await ctx.readF32(b);
        results.push(Float32Array.from([...ra, ...rb]));
        [a, b, ids, one].forEach((t) => t.dispose());
        st.dispose();
      }
      expect(Array.from(results[1] as Float32Array), `${variant}: [] vs none`).toEqual(Array.from(results[0] as Float32Array));
      expect(Array.from(results[2] as Float32Array), `${variant}: clamp [0, 1] vs none`).toEqual(Array.from(results[0] as Float32Array));
      expect(dispatches[1]).toBe(dispatches[0]);
      expect(dispatches[2]).toBe(dispatches[0]);
      model.dispose();
    }
  });

  it('an empty list keeps the fused decode step; any intervention bypasses it', async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 4 }));
    const count = (list: readonly Intervention[]): number => {
      const st = new ModelState(ctx, c);
      const one = ctx.upload(Uint32Array.from([4]), [1], 'one');
      const d0 = ctx.dispatchCount;
      forward(model, st, one, { logits: 'last', interventions: list }).dispose();
      const n = ctx.dispatchCount - d0;
      one.dispose();
      st.dispose();
      return n;
    };
    expect(count([])).toBe(4 * c.numLayers + 2);
    expect(count([{ kind: 'scale_head', layer: 0, head: 0, scale: 1 }])).toBeGreaterThan(4 * c.numLayers + 2);
    model.dispose();
  });

  it('hedgehog → hedgehog is the default forward', async () => {
    const c = parseConfig(VARIANTS['hedgehog'] as Record<string, unknown>);
    const w = randomWeights(c, { seed: 5 });
    const ids = tokens(19, c.vocabSize);
    const got = await gpuRun(c, w, [ids], 'chunk', [{ kind: 'feature_map', layers: 'all', map: 'hedgehog' }]);
    expect(Array.from(got)).toEqual(Array.from(await gpuRun(c, w, [ids], 'chunk', [])));
  });
});

/** Runs one prefill with a tap that copies the named points; returns their values per layer. */
async function tapped(c: ModelConfig, w: Weights, ids: number[], list: readonly Intervention[], points: readonly TapPoint[]): Promise<Map<string, Float32Array>> {
  const ctx = await getContext();
  const model = await GpuModel.upload(ctx, c, w);
  const st = new ModelState(ctx, c);
  const copies: Array<[string, Tensor]> = [];
  const tap: Tap = (point, t, site) => {
    if (!points.includes(point)) return;
    const dst = ctx.tensor(t.shape, 'f32', `copy.${point}`);
    ctx.copy(t, dst);
    copies.push([`${point}@${site.layer}`, dst]);
  };
  const t = ctx.upload(Uint32Array.from(ids), [ids.length], 'ids');
  forward(model, st, t, { logits: 'last', interventions: list, tap }).dispose();
  const out = new Map<string, Float32Array>();
  for (const [k, d] of copies) {
    out.set(k, await ctx.readF32(d));
    d.dispose();
  }
  t.dispose();
  st.dispose();
  model.dispose();
  return out;
}

describe('capture taps see the intervened tensors', () => {
  it('gate.a is clamped (and equals the clamp of the unclamped logits); gate.b too for fast_decay', async () => {
    for (const variant of ['regla', 'fast_decay']) {
      const c = parseConfig(VARIANTS[variant] as Record<string, unknown>);
      const w = randomWeights(c, { seed: 8, gateBias: 1 });
      const ids = tokens(23, c.vocabSize);
      const list: Intervention[] = [{ kind: 'clamp_g', layers: [1], min: 0.4, max: 0.8 }];
      const raw = await tapped(c, w, ids, [], ['gate.a', 'gate.b']);
      const got = await tapped(c, w, ids, list, ['gate.a', 'gate.b']);
      const { lo, hi } = gateLogitRange(0.4, 0.8);
      for (const point of variant === 'fast_decay' ? ['gate.a', 'gate.b'] : ['gate.a']) {
        const r1 = raw.get(`${point}@1`) as Float32Array;
        const g1 = got.get(`${point}@1`) as Float32Array;
        expect(r1.some((x) => x < lo || x > hi), `${variant} ${point}: some raw logits lie outside the range`).toBe(true);
        expect(Array.from(g1)).toEqual(Array.from(r1, (x) => Math.min(Math.fround(hi), Math.max(Math.fround(lo), x))));
        // Layer 0 is not selected.
        expect(Array.from(got.get(`${point}@0`) as Float32Array)).toEqual(Array.from(raw.get(`${point}@0`) as Float32Array));
      }
    }
  });

  it('force_r: gate.c is ±88 and log α is log g² (r = 0) or log g(2 − g) (r = 1) to f32 accuracy', async () => {
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const w = randomWeights(c, { seed: 9, gateBias: 2 });
    const ids = tokens(17, c.vocabSize);
    for (const value of [0, 1] as const) {
      // identity instead of exp_norm, so that log α is the gate itself (no key-max fold); τ = 1.
      const list: Intervention[] = [{ kind: 'force_r', layers: 'all', value }, { kind: 'feature_map', layers: 'all', map: 'identity' }];
      const got = await tapped(c, w, ids, list, ['gate.a', 'gate.c', 'gate.logA']);
      for (const layer of [0, 1]) {
        const a = got.get(`gate.a@${layer}`) as Float32Array;
        const cl = got.get(`gate.c@${layer}`) as Float32Array;
        const logA = got.get(`gate.logA@${layer}`) as Float32Array;
        expect(cl.every((x) => x === (value === 1 ? LOGIT_BOUND : -LOGIT_BOUND))).toBe(true);
        // F = g(2 − g) = g(1 + ε), ε = σ(−a); F = g², in float64 from the tapped logits.
        const closed = Float64Array.from(a, (x) => (value === 1 ? logSigmoid64(x) + Math.log1p(sigmoid64(-x)) : 2 * logSigmoid64(x)));
        expectClose(Float64Array.from(a, (x, i) => logRefined64(x, cl[i] as number)), closed, { rtol: 1e-12, atol: 1e-300, label: `twin log F, r = ${value}, layer ${layer}` });
        const r = expectClose(logA, closed, { rtol: 2e-5, atol: 1e-7, label: `GPU log F, r = ${value}, layer ${layer}` });
        console.log(`force_r=${value} layer ${layer}: GPU log F vs closed form, worst rel ${r.worstRel.toExponential(2)}`);
      }
    }
  });

  it('attn.y: a zeroed head is zero, the other heads untouched; no_output_norm changes attn.y but not attn.o', async () => {
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const w = randomWeights(c, { seed: 10 });
    const ids = tokens(13, c.vocabSize);
    const raw = await tapped(c, w, ids, [], ['attn.y', 'attn.o']);
    const got = await tapped(c, w, ids, [{ kind: 'scale_head', layer: 0, head: 1, scale: 0 }], ['attn.y']);
    const dv = c.headDimV;
    const width = c.numHeads * dv;
    const y = got.get('attn.y@0') as Float32Array;
    const y0 = raw.get('attn.y@0') as Float32Array;
    for (let t = 0; t < ids.length; t++) {
      for (let j = 0; j < width; j++) {
        const i = t * width + j;
        if (j >= dv) expect(y[i] === 0, `attn.y[${t}, ${j}] = ${y[i]}`).toBe(true);
        else expect(y[i]).toBe(y0[i]);
      }
    }
    const nn = await tapped(c, w, ids, [{ kind: 'no_output_norm', layers: [0] }], ['attn.y', 'attn.o']);
    expect(Array.from(nn.get('attn.o@0') as Float32Array)).toEqual(Array.from(raw.get('attn.o@0') as Float32Array));
    expect(maxAbsDiff(nn.get('attn.y@0') as Float32Array, y0)).toBeGreaterThan(1e-3);
  });
});

describe('validation', () => {
  const regla = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
  const hybrid = parseConfig(VARIANTS['hybrid_regla'] as Record<string, unknown>);
  const gla = parseConfig(VARIANTS['gla'] as Record<string, unknown>);
  const hedgehog = parseConfig(VARIANTS['hedgehog'] as Record<string, unknown>);
  const laElu = parseConfig(VARIANTS['la_elu_denominator'] as Record<string, unknown>);
  const bad: Array<[ModelConfig, unknown, RegExp]> = [
    [regla, { kind: 'clamp_g', layers: 'all', min: 0.5, max: 0.2 }, /interventions\[0\] \(clamp_g\): \[0.5, 0.2\] must satisfy 0 ≤ min ≤ max ≤ 1/],
    [regla, { kind: 'clamp_g', layers: 'all', min: -0.1, max: 0.2 }, /clamp_g.*0 ≤ min/],
    [regla, { kind: 'clamp_g', layers: [2], min: 0, max: 0.2 }, /clamp_g.*layer 2 is out of range 0\.\.1/],
    [regla, { kind: 'clamp_g', layers: [], min: 0, max: 0.2 }, /clamp_g.*selects no layers/],
    [laElu, { kind: 'clamp_g', layers: 'all', min: 0, max: 0.2 }, /clamp_g.*no gate/],
    [gla, { kind: 'force_r', layers: 'all', value: 1 }, /force_r.*needs gate 'refined'/],
    [regla, { kind: 'force_r', layers: 'all', value: 0.5 }, /force_r.*value 0.5 must be 0 or 1/],
    [regla, { kind: 'scale_head', layer: 0, head: 2, scale: 0 }, /scale_head.*head 2 is out of range 0\.\.1/],
    [regla, { kind: 'scale_head', layer: 5, head: 0, scale: 0 }, /scale_head.*layer 5 is out of range/],
    [regla, { kind: 'scale_head', layer: 0, head: 0, scale: Number.NaN }, /scale_head.*finite/],
    [hybrid, { kind: 'clamp_g', layers: [1], min: 0, max: 0.5 }, /clamp_g.*every selected layer is a softmax layer/],
    [hybrid, { kind: 'no_output_norm', layers: [1] }, /no_output_norm.*softmax/],
    [regla, { kind: 'feature_map', layers: 'all', map: 'hedgehog' }, /feature_map.*hedgehog needs/],
    [hedgehog, { kind: 'feature_map', layers: 'all', map: 'relu' }, /feature_map.*width 2·dk/],
    [regla, { kind: 'feature_map', layers: 'all', map: 'softplus' }, /feature_map.*map "softplus" is not one of/],
    [laElu, { kind: 'no_output_norm', layers: 'all' }, /no_output_norm.*no output norm/],
    [regla, { kind: 'steer', layers: 'all' }, /interventions\[0\] \(steer\): unknown kind/],
  ];
  it('bad interventions are named InterventionErrors', () => {
    for (const [c, i, re] of bad) {
      let err: unknown;
      try {
        validateInterventions(c, [i as Intervention]);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(i)).toBeInstanceOf(InterventionError);
      expect((err as Error).name).toBe('InterventionError');
      expect((err as Error).message).toMatch(re);
    }
    // The index names the bad one in a list.
    expect(() => validateInterventions(regla, [{ kind: 'no_output_norm', layers: 'all' }, { kind: 'force_r', layers: [7], value: 1 }])).toThrow(/interventions\[1\] \(force_r\)/);
    // Valid: a hybrid's 'all' (softmax layers ignored), [0, 1] clamp, softmax head scale.
    expect(() => validateInterventions(hybrid, [{ kind: 'clamp_g', layers: 'all', min: 0, max: 1 }, { kind: 'scale_head', layer: 1, head: 1, scale: 0 }])).not.toThrow();
  });

  it('the forward, the twin and the session setter reject them before doing anything', async () => {
    const ctx = await getContext();
    const w = randomWeights(regla, { seed: 1 });
    const model = await GpuModel.upload(ctx, regla, w);
    const st = new ModelState(ctx, regla);
    const ids = ctx.upload(Uint32Array.from([1, 2, 3]), [3], 'ids');
    const bad: Intervention[] = [{ kind: 'scale_head', layer: 0, head: 9, scale: 1 }];
    expect(() => forward(model, st, ids, { logits: 'last', interventions: bad })).toThrow(InterventionError);
    expect(st.position).toBe(0);
    expect(() => forward64(regla, w, cpuState(regla), [1, 2, 3], bad)).toThrow(InterventionError);
    [ids].forEach((t) => t.dispose());
    st.dispose();
    model.dispose();
    const s = await Session.create(ctx, regla, w);
    const good: Intervention[] = [{ kind: 'force_r', layers: 'all', value: 0 }];
    s.interventions = good;
    expect(() => (s.interventions = bad)).toThrow(InterventionError);
    expect(s.interventions).toEqual(good);
    s.dispose();
  });

  it('describeIntervention', () => {
    expect(describeIntervention({ kind: 'clamp_g', layers: [0, 1, 2, 3], min: 0, max: 0.9 })).toBe('clamp g to [0, 0.9] · layers 0–3');
    expect(describeIntervention({ kind: 'force_r', layers: 'all', value: 0 })).toBe('force r = 0 · all layers');
    expect(describeIntervention({ kind: 'scale_head', layer: 1, head: 0, scale: 0 })).toBe('zero head 0 · layer 1');
    expect(describeIntervention({ kind: 'scale_head', layer: 1, head: 2, scale: 1.5 })).toBe('scale head 2 × 1.5 · layer 1');
    expect(describeIntervention({ kind: 'feature_map', layers: [3, 0, 1, 5], map: 'relu' })).toBe('feature map → relu · layers 0–1, 3, 5');
    expect(describeIntervention({ kind: 'no_output_norm', layers: [2] })).toBe('no output norm · layer 2');
    expect(gateLogitRange(0, 1)).toEqual({ lo: -F32_MAX, hi: F32_MAX });
    expect(gateLogitRange(1e-50, 0.5).lo).toBe(-LOGIT_BOUND);
    expect(gateLogitRange(0.5, 0.5)).toEqual({ lo: 0, hi: 0 });
  });
});

describe('Session.interventions', () => {
  it('applies to prefill, step and generate (greedy tokens follow the twin with the same list)', async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const w = randomWeights(c, { seed: 12, gateBias: 1 });
    const list: Intervention[] = [
      { kind: 'clamp_g', layers: 'all', min: 0.1, max: 0.5 },
      { kind: 'scale_head', layer: 1, head: 1, scale: 0 },
    ];
    const s = await Session.create(ctx, c, w);
    s.interventions = list;
    const prompt = tokens(9, c.vocabSize, 3);
    const pre = await s.prefill(prompt, { logits: 'all' });
    const st = cpuState(c);
    expectClose(pre, forward64(c, w, st, prompt, list), { ...TOL, label: 'session prefill' });
    expectClose(await s.step(5), forward64(c, w, st, [5], list), { ...TOL, label: 'session step' });
    await s.reset();
    const r = await s.generate(prompt, { temperature: 0 }, { maxTokens: 5 });
    const tw = cpuState(c);
    let logits = forward64(c, w, tw, prompt, list);
    const want: number[] = [];
    for (let i = 0; i < 5; i++) {
      const row = logits.subarray(logits.length - c.vocabSize);
      let best = 0;
      for (let j = 1; j < c.vocabSize; j++) if ((row[j] as number) > (row[best] as number)) best = j;
      want.push(best);
      logits = forward64(c, w, tw, [best], list);
    }
    expect(r.tokens).toEqual(want);
    s.dispose();
  });
});
