import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { expNormDirect64, glaChunk64, glaRecurrent64, type GlaDims, type GlaResult64 } from '../../shaders/cpu/gla.js';
import { expNormKeys64, featureMap64 } from '../../shaders/cpu/feature_map.js';
import { glaChunk, glaRecurrent, type GlaArgs } from '../../shaders/ops/gla.js';
import { expNormKeys, featureMap } from '../../shaders/ops/feature_map.js';
import type { GpuContext } from '../../shaders/gpu/context.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

interface Case extends GlaDims {
  gate?: 'key' | 'two' | 'none';
  /** log α range [lo, hi] */
  gateLo?: number;
  gateHi?: number;
  denominator?: boolean;
  withState?: boolean;
  seed?: number;
  /** positive q, k (feature-mapped inputs, needed by the denominator) */
  positive?: boolean;
}

interface Data {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  A?: Float32Array;
  D?: Float32Array;
  state?: Float32Array;
  zState?: Float32Array;
  scale: number;
}

function makeData(c: Case): Data {
  const rng = new Rng(c.seed ?? c.T * 131 + c.dk * 7 + c.dv + c.Hq * 3);
  const { B, T, Hq, Hkv, dk, dv } = c;
  const q = rng.normals(B * T * Hq * dk);
  const k = rng.normals(B * T * Hkv * dk);
  const v = rng.normals(B * T * Hkv * dv);
  if (c.positive) {
    for (let i = 0; i < q.length; i++) q[i] = Math.exp(0.5 * q[i]!);
    for (let i = 0; i < k.length; i++) k[i] = Math.exp(0.5 * k[i]!);
  }
  const lo = c.gateLo ?? -0.7;
  const hi = c.gateHi ?? 0;
  const gate = c.gate ?? 'key';
  const d: Data = { q, k, v, scale: 1 / Math.sqrt(dk) };
  if (gate !== 'none') d.A = rng.uniforms(B * T * Hkv * dk, lo, hi);
  if (gate === 'two') d.D = rng.uniforms(B * T * Hkv * dv, lo, hi);
  if (c.withState) {
    d.state = rng.normals(B * Hkv * dk * dv, 0.5);
    d.zState = rng.uniforms(B * Hkv * dk, 0, 2);
  }
  return d;
}

interface GpuRun {
  o: Float32Array;
  state: Float32Array;
  zState?: Float32Array;
}

/**
 * Fills pooled buffers of the sizes the chunked op allocates for its temporaries with NaN and hands
 * them back, so that reading an entry the kernels never wrote shows up as a non-finite output.
 */
function poisonPool(ctx: GpuContext, c: Case, C: number): void {
  const { B, T, Hq, Hkv, dk, dv } = c;
  const N = Math.ceil(T / C);
  const sizes = [B * T * Hq * C, B * T * Hkv * dk, B * T * Hkv * dv, B * Hkv * N * dk * dv, B * Hkv * N * dk];
  const ts = sizes.map((n) => {
    const t = ctx.tensor([Math.max(1, n)], 'f32', 'poison');
    ctx.write(t, new Float32Array(Math.max(1, n)).fill(NaN));
    return t;
  });
  ts.forEach((t) => t.dispose());
}

async function runGpu(ctx: GpuContext, c: Case, d: Data, mode: 'recurrent' | number): Promise<GpuRun> {
  const { B, T, Hq, Hkv, dk, dv } = c;

  const owned: Tensor[] = [];
  const up = (x: Float32Array, shape: number[], name: string): Tensor => {
    const t = ctx.upload(x, shape, name);
    owned.push(t);
    return t;
  };
  try {
  const state = up(d.state ?? new Float32Array(B * Hkv * dk * dv), [B, Hkv, dk, dv], 'state');
  const zState = up(d.zState ?? new Float32Array(B * Hkv * dk), [B, Hkv, dk], 'zState');
  const args: GlaArgs = {
    q: up(d.q, [B, T, Hq, dk], 'q'),
    k: up(d.k, [B, T, Hkv, dk], 'k'),
    v: up(d.v, [B, T, Hkv, dv], 'v'),
    ...(d.A ? { A: up(d.A, [B, T, Hkv, dk], 'A') } : {}),
    ...(d.D ? { D: up(d.D, [B, T, Hkv, dv], 'D') } : {}),
    scale: d.scale,
    denominator: c.denominator ?? false,
    state,
    zState,
  };
  if (mode !== 'recurrent') poisonPool(ctx, c, mode);
  const o = mode === 'recurrent' ? glaRecurrent(ctx, args) : glaChunk(ctx, { ...args, chunkSize: mode });
  owned.push(o);
  return { o: await ctx.readF32(o), state: await ctx.readF32(state), zState: await ctx.readF32(zState) };
  } finally {
    owned.forEach((t) => t.dispose());
  }
}

function twin(c: Case, d: Data, mode: 'recurrent' | number): GlaResult64 {
  const x = { ...d, denominator: c.denominator ?? false };
  return mode === 'recurrent' ? glaRecurrent64(c, x) : glaChunk64(c, x, mode);
}

const label = (c: Case): string =>
  `B=${c.B} T=${c.T} Hq=${c.Hq} Hkv=${c.Hkv} dk=${c.dk} dv=${c.dv} gate=${c.gate ?? 'key'}` +
  `${c.denominator ? ' denom' : ''}${c.withState ? ' state' : ''}${c.gateLo !== undefined ? ` logα∈[${c.gateLo},${c.gateHi ?? 0}]` : ''}`;

function check(got: GpuRun, want: GlaResult64, c: Case, tol: { rtol: number; atol: number }, what: string): void {
  expectClose(got.o, want.o, { ...tol, label: `${what} o` });
  expectClose(got.state, want.state, { ...tol, label: `${what} state` });
  if (c.denominator) expectClose(got.zState!, want.zState, { ...tol, label: `${what} z` });
}

const base: Case = { B: 1, T: 17, Hq: 1, Hkv: 1, dk: 16, dv: 16 };

describe('GLA: float64 twins agree with each other', () => {
  const cases: Case[] = [
    { ...base, T: 1 },
    { ...base, T: 17 },
    { ...base, T: 100, dk: 32, dv: 16, Hq: 4, Hkv: 2 },
    { ...base, T: 70, gate: 'two', withState: true },
    { ...base, T: 50, denominator: true, positive: true, withState: true },
    { ...base, T: 64, gateLo: -5.5, gateHi: -4.5 },
    { ...base, T: 40, gate: 'none' },
  ];
  for (const c of cases) {
    for (const C of [16, 32, 64]) {
      it(`recurrent64 ≡ chunk64 (C=${C}) ${label(c)}`, () => {
        const d = makeData(c);
        const r = twin(c, d, 'recurrent');
        const k = twin(c, d, C);
        expectClose(k.o, r.o, { rtol: 1e-9, atol: 1e-11, label: 'o' });
        expectClose(k.state, r.state, { rtol: 1e-9, atol: 1e-11, label: 'state' });
        expectClose(k.zState, r.zState, { rtol: 1e-9, atol: 1e-11, label: 'z' });
      });
    }
  }
});

// Configurations share pipeline variants where they can: on a software driver each new variant costs
// seconds to compile.
describe('GLA GPU vs float64 twin', () => {
  const tol = { rtol: 2e-4, atol: 2e-4 };
  const cases: Array<[Case, Array<'recurrent' | number>]> = [
    [{ ...base, T: 1 }, ['recurrent', 64]],
    [{ ...base, T: 17 }, ['recurrent', 16, 64]],
    [{ ...base, T: 100 }, ['recurrent', 16, 32, 64]],
    [{ ...base, B: 2, T: 37, Hq: 4, Hkv: 2 }, ['recurrent', 64]],
    // classic linear attention: no gate, with the denominator
    [{ ...base, T: 70, gate: 'none', denominator: true, positive: true, withState: true, Hq: 2, Hkv: 1 }, ['recurrent', 64]],
    [{ ...base, T: 50, denominator: true, positive: true, withState: true, Hq: 2, Hkv: 1 }, ['recurrent']],
    [{ ...base, T: 45, gate: 'two', withState: true }, ['recurrent', 64]],
    [{ ...base, T: 33, dk: 64, dv: 64 }, ['recurrent', 64]],
    [{ ...base, T: 20, dk: 128, dv: 128, Hq: 2, Hkv: 2 }, ['recurrent', 64]],
    [{ ...base, T: 19, dk: 256, dv: 256 }, ['recurrent', 64]],
  ];
  for (const [c, modes] of cases) {
    for (const mode of modes) {
      it(`${mode === 'recurrent' ? 'recurrent' : `chunk C=${mode}`} ${label(c)}`, async () => {
        const ctx = await getContext();
        const d = makeData(c);
        const got = await runGpu(ctx, c, d, mode);
        check(got, twin(c, d, 'recurrent'), c, tol, String(mode));
      });
    }
  }
});

describe('GLA equivalences on the GPU', () => {
  const tol = { rtol: 3e-4, atol: 3e-4 };

  it('recurrent ≡ chunked over T=4096 (1 head, dk=dv=16, C=64), both ≡ the twin', async () => {
    const ctx = await getContext();
    const c: Case = { ...base, T: 4096, gateLo: -0.2, gateHi: 0 };
    const d = makeData(c);
    const want = twin(c, d, 'recurrent');
    const rec = await runGpu(ctx, c, d, 'recurrent');
    const chk = await runGpu(ctx, c, d, 64);
    check(rec, want, c, tol, 'recurrent');
    check(chk, want, c, tol, 'chunk');
    expectClose(chk.o, rec.o, { ...tol, label: 'chunk vs recurrent' });
  });

  for (const C of [64]) {
    it(`prefill T1 then T2 with the carried state ≡ prefill T1+T2 (C=${C}, denominator, grouped heads)`, async () => {
      const ctx = await getContext();
      const [T1, T2] = [37, 50];
      const c: Case = { ...base, T: T1 + T2, Hq: 2, Hkv: 1, denominator: true, positive: true, withState: true };
      const d = makeData(c);
      const whole = await runGpu(ctx, c, d, C);
      const { B, Hq, Hkv, dk, dv } = c;
      const cut = (x: Float32Array | undefined, per: number, from: number, to: number): Float32Array | undefined =>
        x?.slice(from * per, to * per);
      const part = (from: number, to: number, state: Float32Array, zState: Float32Array): Data => ({
        q: cut(d.q, Hq * dk, from, to)!,
        k: cut(d.k, Hkv * dk, from, to)!,
        v: cut(d.v, Hkv * dv, from, to)!,
        A: cut(d.A, Hkv * dk, from, to)!,
        state,
        zState,
        scale: d.scale,
      });
      const c1 = { ...c, T: T1 };
      const c2 = { ...c, T: T2 };
      const p1 = await runGpu(ctx, c1, part(0, T1, d.state!, d.zState!), C);
      // continue with the chunked form, and (decode after prefill) with the recurrence
      const p2 = await runGpu(ctx, c2, part(T1, T1 + T2, p1.state, p1.zState!), C);
      const p2r = await runGpu(ctx, c2, part(T1, T1 + T2, p1.state, p1.zState!), 'recurrent');
      expect(B).toBe(1);
      expectClose(p1.o, whole.o.slice(0, T1 * Hq * dv), { ...tol, label: 'o part 1' });
      expectClose(p2.o, whole.o.slice(T1 * Hq * dv), { ...tol, label: 'o part 2' });
      expectClose(p2r.o, whole.o.slice(T1 * Hq * dv), { ...tol, label: 'o part 2 (recurrent)' });
      expectClose(p2.state, whole.state, { ...tol, label: 'final state' });
      expectClose(p2.zState!, whole.zState!, { ...tol, label: 'final z' });
    });
  }

  it('strongly negative gates (log α ≈ −5 per step, 64 steps) stay finite and match', async () => {
    const ctx = await getContext();
    const cases: Array<[Case, Array<'recurrent' | number>]> = [
      [{ ...base, T: 64, gateLo: -5.2, gateHi: -4.8, gate: 'two', withState: true }, [64, 'recurrent']],
      [{ ...base, T: 64, gateLo: -5.2, gateHi: -4.8, withState: true }, [64, 16]],
    ];
    for (const [c, modes] of cases) {
      const d = makeData(c);
      const want = twin(c, d, 'recurrent');
      for (const mode of modes) {
        const got = await runGpu(ctx, c, d, mode);
        for (const x of [...got.o, ...got.state]) expect(Number.isFinite(x)).toBe(true);
        check(got, want, c, tol, `${c.gate ?? 'key'} ${mode}`);
      }
    }
  });

  it('C=128 with tiles within 16 KiB of workgroup memory (dk=dv=128)', async () => {
    const ctx = await getContext();
    const c: Case = { ...base, T: 150, dk: 128, dv: 128, withState: true };
    const d = makeData(c);
    const want = twin(c, d, 'recurrent');
    for (const C of [128]) {
      const { B, T, Hq, Hkv, dk, dv } = c;
      const owned = [
        ctx.upload(d.q, [B, T, Hq, dk], 'q'),
        ctx.upload(d.k, [B, T, Hkv, dk], 'k'),
        ctx.upload(d.v, [B, T, Hkv, dv], 'v'),
        ctx.upload(d.A!, [B, T, Hkv, dk], 'A'),
        ctx.upload(d.state!, [B, Hkv, dk, dv], 'state'),
      ] as const;
      const [q, k, v, A, state] = owned;
      const o = glaChunk(ctx, { q, k, v, A, state, scale: d.scale, chunkSize: C, tiles: { wgMemBytes: 16384 } });
      expectClose(await ctx.readF32(o), want.o, { ...tol, label: `o C=${C}` });
      expectClose(await ctx.readF32(state), want.state, { ...tol, label: `state C=${C}` });
      [...owned, o].forEach((t) => t.dispose());
    }
  });

  it('compile-time (unrolled) inner loop bounds, the hardware default, give the same result', async () => {
    const ctx = await getContext();
    const c: Case = { ...base, T: 40, Hq: 2, Hkv: 1, withState: true };
    const d = makeData(c);
    const want = twin(c, d, 'recurrent');
    const { B, T, Hq, Hkv, dk, dv } = c;
    const owned = [
      ctx.upload(d.q, [B, T, Hq, dk], 'q'),
      ctx.upload(d.k, [B, T, Hkv, dk], 'k'),
      ctx.upload(d.v, [B, T, Hkv, dv], 'v'),
      ctx.upload(d.A!, [B, T, Hkv, dk], 'A'),
      ctx.upload(d.state!, [B, Hkv, dk, dv], 'state'),
    ] as const;
    const [q, k, v, A, state] = owned;
    const o = glaChunk(ctx, { q, k, v, A, state, scale: d.scale, chunkSize: 16, tiles: { unroll: true } });
    expectClose(await ctx.readF32(o), want.o, { ...tol, label: 'o' });
    expectClose(await ctx.readF32(state), want.state, { ...tol, label: 'state' });
    [...owned, o].forEach((t) => t.dispose());
  });

  it('rejects mismatched shapes and chunk sizes with a ShapeError', async () => {
    const ctx = await getContext();
    const q = ctx.tensor([1, 4, 2, 16], 'f32', 'q');
    const k = ctx.tensor([1, 4, 2, 16], 'f32', 'k');
    const v = ctx.tensor([1, 4, 2, 16], 'f32', 'v');
    const bad = ctx.tensor([1, 4, 2, 32], 'f32', 'A');
    expect(() => glaChunk(ctx, { q, k, v, A: bad, scale: 1, chunkSize: 64 })).toThrowError(/A: expected shape \[1, 4, 2, 16\]/);
    expect(() => glaChunk(ctx, { q, k, v, scale: 1, chunkSize: 40 })).toThrowError(/chunkSize/);
    expect(() => glaRecurrent(ctx, { q, k: bad, v, scale: 1 })).toThrowError(/expected shape/);
    [q, k, v, bad].forEach((t) => t.dispose());
  });
});

describe('exp_norm: the folded gate ≡ the direct definition with the causal running max', () => {
  const dims = { T: 45, Hq: 4, Hkv: 2, dk: 16, dv: 16 };
  const make = (seed: number): { q: Float32Array; k: Float32Array; v: Float32Array; A: Float32Array } => {
    const rng = new Rng(seed);
    const k = new Float32Array(dims.T * dims.Hkv * dims.dk);
    // a rising trend makes the running max move often
    for (let i = 0; i < k.length; i++) k[i] = 1.5 * rng.normal() + (3 * Math.floor(i / (dims.Hkv * dims.dk))) / dims.T;
    return {
      q: rng.normals(dims.T * dims.Hq * dims.dk, 1.5),
      k,
      v: rng.normals(dims.T * dims.Hkv * dims.dv),
      A: rng.uniforms(dims.T * dims.Hkv * dims.dk, -0.4, 0),
    };
  };

  it('float64: direct ≡ exp_norm maps + folded log gate + recurrence (and the chunked twin)', () => {
    const x = make(11);
    const scale = 0.3;
    const direct = expNormDirect64(dims, x.q, x.k, x.v, x.A, scale);
    const phiQ = featureMap64('exp_norm', x.q, dims.dk);
    const keys = expNormKeys64(x.k, { B: 1, T: dims.T, H: dims.Hkv, dk: dims.dk }, x.A);
    const inp = { q: phiQ, k: keys.phiK, v: x.v, A: keys.A, scale };
    expectClose(glaRecurrent64({ B: 1, ...dims }, inp).o, direct, { rtol: 1e-10, atol: 1e-12, label: 'recurrent64' });
    expectClose(glaChunk64({ B: 1, ...dims }, inp, 16).o, direct, { rtol: 1e-10, atol: 1e-12, label: 'chunk64' });
  });

  it('GPU: featureMap(exp_norm) + expNormKeys + glaChunk, split in two calls, ≡ direct', async () => {
    const ctx = await getContext();
    const x = make(12);
    const scale = 0.3;
    const direct = expNormDirect64(dims, x.q, x.k, x.v, x.A, scale);
    const { T, Hq, Hkv, dk, dv } = dims;
    const T1 = 20;
    const state = ctx.tensor([1, Hkv, dk, dv], 'f32', 'state');
    ctx.zero(state);
    const owned: Tensor[] = [state];
    let mPrev: Tensor | undefined;
    const outs: Float32Array[] = [];
    for (const [from, to] of [[0, T1], [T1, T]] as const) {
      const n = to - from;
      const q = ctx.upload(x.q.slice(from * Hq * dk, to * Hq * dk), [1, n, Hq, dk], 'q');
      const k = ctx.upload(x.k.slice(from * Hkv * dk, to * Hkv * dk), [1, n, Hkv, dk], 'k');
      const v = ctx.upload(x.v.slice(from * Hkv * dv, to * Hkv * dv), [1, n, Hkv, dv], 'v');
      const A = ctx.upload(x.A.slice(from * Hkv * dk, to * Hkv * dk), [1, n, Hkv, dk], 'A');
      const phiQ = featureMap(ctx, { kind: 'exp_norm', x: q });
      const keys = expNormKeys(ctx, { k, A, ...(mPrev ? { mPrev } : {}) });
      const o = glaChunk(ctx, { q: phiQ, k: keys.phiK, v, A: keys.A, scale, state, chunkSize: 16 });
      outs.push(await ctx.readF32(o));
      owned.push(q, k, v, A, phiQ, keys.phiK, keys.A, o);
      if (mPrev) owned.push(mPrev);
      mPrev = keys.mOut;
    }
    if (mPrev) owned.push(mPrev);
    const got = new Float32Array([...outs[0]!, ...outs[1]!]);
    expectClose(got, direct, { rtol: 2e-4, atol: 1e-5, label: 'exp_norm o' });
    owned.forEach((t) => t.dispose());
  });
});
