// The fused decode kernels of gemv.wgsl (gemvNorm, mlpPartial) against their float64 twins and
// against the unfused twins (rmsnorm, matmul, swiglu), alone and chained as in a decode step.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { rowNorm64 } from '../../shaders/cpu/norm.js';
import { gemvNorm64, matmul64, mlpPartial64, mlpSliceStart } from '../../shaders/cpu/matmul.js';
import { swiglu64 } from '../../shaders/cpu/elementwise.js';
import { gemvNorm, mlpPartial } from '../../shaders/ops/matmul.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

function record(label: string, rel: number): void {
  console.log(`${label}: worst rel ${rel.toExponential(2)}`);
}

function disposeAll(...ts: Array<Tensor | undefined>): void {
  for (const t of ts) t?.dispose();
}

function mlpRef(h: Float32Array, nw: Float32Array, eps: number, wgu: Float32Array, wd: Float32Array, I: number): Float64Array {
  const H = h.length;
  const xn = rowNorm64(h, H, nw, undefined, eps, 'rmsnorm');
  const gu = matmul64(xn, wgu, 1, 2 * I, H);
  const a = swiglu64(gu, 1, I);
  return matmul64(a, wd, 1, H, I, undefined, h);
}

describe('fused decode kernels vs float64 twins', () => {
  const eps = 1e-6;
  // Each distinct hidden quad count J = ⌈H/1024⌉ is its own pipeline, and lavapipe needs ~30 s to compile
  // J = 8 (H up to 8192): that case runs only with REGLA_SLOW_TESTS=1.
  const slow = process.env['REGLA_SLOW_TESTS'] === '1';
  for (const [H, N, parts, bias, groups] of [
    [768, 200, 3, true, undefined],
    [90, 37, 2, false, undefined],
    [256, 64, 0, false, undefined],
    [1100, 40, 2, true, undefined],
    [132, 100, 4, true, 3],
    ...(slow ? ([[8192, 12, 1, true, undefined]] as const) : []),
  ] as const) {
    it(`gemvNorm H=${H} N=${N} partials=${parts}${bias ? ' +bias' : ''}${groups ? ` groups=${groups}` : ''}`, async () => {
      const ctx = await getContext();
      const rng = new Rng(H + N + parts);
      const resid = rng.normals(H, 2);
      const partials = parts ? rng.normals(parts * H, 0.5) : undefined;
      const nw = rng.normals(H, 0.2, 1);
      const w = rng.normals(N * H, 1 / Math.sqrt(H));
      const b = bias ? rng.normals(N) : undefined;
      const tr = ctx.upload(resid, [H], 'resid');
      const tp = partials ? ctx.upload(partials, [parts, H], 'partials') : undefined;
      const tn = ctx.upload(nw, [H], 'norm');
      const tw = ctx.upload(w, [N, H], 'w');
      const tb = b ? ctx.upload(b, [N], 'bias') : undefined;
      const ro = ctx.tensor([H], 'f32', 'residOut');
      const y = gemvNorm(ctx, { resid: tr, partials: tp, normWeight: tn, eps, w: tw, bias: tb, residOut: ro, ...(groups ? { groups } : {}) });
      const want = gemvNorm64({ resid, partials, normWeight: nw, eps, w, N, bias: b });
      record(`gemvNorm H=${H} y`, expectClose(await ctx.readF32(y), want.y, { rtol: 1e-4, atol: 1e-5, label: 'gemvNorm.y' }).worstRel);
      record(`gemvNorm H=${H} residOut`, expectClose(await ctx.readF32(ro), want.residOut, { rtol: 1e-6, atol: 1e-6, label: 'residOut' }).worstRel);
      disposeAll(tr, tp, tn, tw, tb, ro, y);
    });
  }

  for (const [H, I, slices] of [
    [256, 688, 8],
    [90, 50, 3],
    [128, 96, 1],
    [64, 36, 36],
    [1000, 2048, 2],
    ...(slow ? ([[8192, 64, 4]] as const) : []),
  ] as const) {
    it(`mlpPartial H=${H} I=${I} slices=${slices}: partials, and h + Σ partials = h + MLP(h)`, async () => {
      const ctx = await getContext();
      const rng = new Rng(H * 3 + I + slices);
      const h = rng.normals(H, 1.5);
      const nw = rng.normals(H, 0.2, 1);
      const wgu = rng.normals(2 * I * H, 1 / Math.sqrt(H));
      const wd = rng.normals(H * I, 1 / Math.sqrt(I));
      const th = ctx.upload(h, [H], 'h');
      const tn = ctx.upload(nw, [H], 'norm');
      const tgu = ctx.upload(wgu, [2 * I, H], 'gate_up');
      const td = ctx.upload(wd, [H, I], 'down');
      const parts = mlpPartial(ctx, { h: th, normWeight: tn, eps, wGateUp: tgu, wDown: td, slices });
      const got = await ctx.readF32(parts);
      const want = mlpPartial64({ h, normWeight: nw, eps, wGateUp: wgu, wDown: wd, I, slices });
      record(`mlpPartial H=${H} I=${I} partials`, expectClose(got, want, { rtol: 1e-4, atol: 2e-5, label: 'partials' }).worstRel);
      const sum = Float64Array.from(h);
      for (let p = 0; p < slices; p++) for (let i = 0; i < H; i++) sum[i] = (sum[i] as number) + (got[p * H + i] as number);
      record(`mlpPartial H=${H} I=${I} h+MLP`, expectClose(sum, mlpRef(h, nw, eps, wgu, wd, I), { rtol: 1e-4, atol: 2e-5, label: 'h+MLP' }).worstRel);
      disposeAll(th, tn, tgu, td, parts);
    });
  }

  it('slice boundaries cover [0, I) in order, on vec4 boundaries when I % 4 == 0', () => {
    for (const [I, P] of [[688, 8], [50, 3], [2816, 11], [11008, 128], [7, 7]] as const) {
      expect(mlpSliceStart(I, P, 0)).toBe(0);
      expect(mlpSliceStart(I, P, P)).toBe(I);
      for (let p = 0; p < P; p++) {
        const s = mlpSliceStart(I, P, p);
        expect(mlpSliceStart(I, P, p + 1)).toBeGreaterThanOrEqual(s);
        if (I % 4 === 0) expect(s % 4).toBe(0);
      }
    }
  });

  it('chained: gemvNorm consumes mlpPartial partials (residual stream and next projection)', async () => {
    const ctx = await getContext();
    const [H, I, P, N] = [192, 384, 6, 96];
    const rng = new Rng(4242);
    const h = rng.normals(H, 1.5);
    const nw1 = rng.normals(H, 0.2, 1);
    const nw2 = rng.normals(H, 0.2, 1);
    const wgu = rng.normals(2 * I * H, 1 / Math.sqrt(H));
    const wd = rng.normals(H * I, 1 / Math.sqrt(I));
    const wq = rng.normals(N * H, 1 / Math.sqrt(H));
    const th = ctx.upload(h, [H], 'h');
    const tn1 = ctx.upload(nw1, [H], 'mlp_norm');
    const tn2 = ctx.upload(nw2, [H], 'attn_norm');
    const tgu = ctx.upload(wgu, [2 * I, H], 'gate_up');
    const td = ctx.upload(wd, [H, I], 'down');
    const tq = ctx.upload(wq, [N, H], 'q_proj');
    const ro = ctx.tensor([H], 'f32', 'resid_next');
    const parts = mlpPartial(ctx, { h: th, normWeight: tn1, eps, wGateUp: tgu, wDown: td, slices: P });
    const q = gemvNorm(ctx, { resid: th, partials: parts, normWeight: tn2, eps, w: tq, residOut: ro });
    const next = mlpRef(h, nw1, eps, wgu, wd, I); // h + MLP(h), from unfused twins
    record('chain residOut', expectClose(await ctx.readF32(ro), next, { rtol: 1e-4, atol: 2e-5, label: 'resid_next' }).worstRel);
    const wantQ = matmul64(rowNorm64(next, H, nw2, undefined, eps, 'rmsnorm'), wq, 1, N, H);
    record('chain q', expectClose(await ctx.readF32(q), wantQ, { rtol: 1e-4, atol: 2e-5, label: 'q' }).worstRel);
    disposeAll(th, tn1, tn2, tgu, td, tq, ro, parts, q);
  });

  it('rejects aliasing, oversized hidden and too-wide slices', async () => {
    const ctx = await getContext();
    const H = 16;
    const t = (shape: number[], name: string): Tensor => ctx.upload(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, name);
    const r = t([H], 'resid');
    const nw = t([H], 'norm');
    const w = t([4, H], 'w');
    expect(() => gemvNorm(ctx, { resid: r, normWeight: nw, eps, w, residOut: r })).toThrowError(/may not alias/);
    const wBig = t([1, 8196], 'wbig');
    const rBig = t([8196], 'rbig');
    expect(() => gemvNorm(ctx, { resid: rBig, normWeight: rBig, eps, w: wBig, residOut: rBig })).toThrowError(/outside/);
    const gu = t([2 * 4000, H], 'gu');
    const wd = t([H, 4000], 'wd');
    expect(() => mlpPartial(ctx, { h: r, normWeight: nw, eps, wGateUp: gu, wDown: wd, slices: 2 })).toThrowError(/at least 3 slices/);
    disposeAll(r, nw, w, wBig, rBig, gu, wd);
  });
});
