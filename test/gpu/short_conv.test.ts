// Short causal depthwise conv + SiLU against its float64 twin, against PyTorch's Conv1d(padding K-1)
// formulation, and continuation: conv(x1 | history) then conv(x2 | new history) ≡ conv(x1 ++ x2).
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { conv1dPadded64, shortConv64 } from '../../shaders/cpu/short_conv.js';
import { shortConv } from '../../shaders/ops/short_conv.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

const TOL = { rtol: 1e-5, atol: 1e-6 };

describe('short causal conv vs float64 twin', () => {
  it('twin equals PyTorch Conv1d(groups=C, padding=K-1)[:T] (fla causal_conv1d) with zero history', () => {
    const rng = new Rng(3);
    const [T, C, K] = [9, 5, 4];
    const x = rng.normals(T * C);
    const w = rng.normals(C * K);
    expectClose(shortConv64(x, T, C, w, K).y, conv1dPadded64(x, T, C, w, K), { rtol: 1e-12, atol: 1e-14, label: 'twin' });
    // weight index K-1 multiplies the current token: a delta there is silu(x)
    const d = new Float32Array(C * K);
    for (let c = 0; c < C; c++) d[c * K + K - 1] = 1;
    const y = shortConv64(x, T, C, d, K).y;
    expect(y[C + 2]).toBeCloseTo((x[C + 2] as number) / (1 + Math.exp(-(x[C + 2] as number))), 12);
  });

  for (const [T, C, K, hist] of [
    [1, 8, 4, true],
    [17, 64, 4, false],
    [33, 30, 3, true],
    [2, 12, 4, true],
    [5, 7, 1, false],
    [6, 16, 2, true],
  ] as const) {
    it(`T=${T} C=${C} K=${K}${hist ? ' with history' : ''}`, async () => {
      const ctx = await getContext();
      const rng = new Rng(T * 1000 + C * 10 + K);
      const x = rng.normals(T * C, 2);
      const w = rng.normals(C * K, 0.7);
      const h = hist ? rng.normals((K - 1) * C, 2) : undefined;
      const tx = ctx.upload(x, [T, C], 'x');
      const tw = ctx.upload(w, [C, 1, K], 'conv.weight');
      const th = h ? ctx.upload(h, [K - 1, C], 'history') : undefined;
      const r = shortConv(ctx, { x: tx, weight: tw, history: th });
      const want = shortConv64(x, T, C, w, K, h);
      const ry = expectClose(await ctx.readF32(r.y), want.y, { ...TOL, label: 'y' });
      expectClose(await ctx.readF32(r.history), want.history, { rtol: 0, atol: 0, label: 'history' });
      console.log(`short conv T=${T} C=${C} K=${K}: worst rel ${ry.worstRel.toExponential(2)}`);
      [tx, tw, th, r.y, r.history].forEach((t) => t?.dispose());
    });
  }

  it('continuing from history ≡ conv over the concatenation (chunks of 5, 1, 1, 2 tokens)', async () => {
    const ctx = await getContext();
    const rng = new Rng(99);
    const [C, K] = [24, 4];
    const chunks = [5, 1, 1, 2];
    const T = chunks.reduce((a, b) => a + b, 0);
    const x = rng.normals(T * C, 2);
    const w = rng.normals(C * K, 0.7);
    const tw = ctx.upload(w, [C, K], 'w');
    const whole = shortConv64(x, T, C, w, K).y;
    const got = new Float32Array(T * C);
    let hist: Tensor | undefined;
    let t0 = 0;
    for (const n of chunks) {
      const tx = ctx.upload(x.subarray(t0 * C, (t0 + n) * C), [n, C], 'x');
      const r = shortConv(ctx, { x: tx, weight: tw, history: hist });
      got.set(await ctx.readF32(r.y), t0 * C);
      [tx, r.y, hist].forEach((t) => t?.dispose());
      hist = r.history;
      t0 += n;
    }
    const rel = expectClose(got, whole, { ...TOL, label: 'chunked vs whole' }).worstRel;
    console.log(`short conv continuation: worst rel ${rel.toExponential(2)}`);
    // the carried history is the last K-1 inputs
    expectClose(await ctx.readF32(hist as Tensor), x.subarray((T - K + 1) * C), { rtol: 0, atol: 0, label: 'history' });
    [tw, hist].forEach((t) => t?.dispose());
  });

  it('rejects a wrong weight or history shape, and history as its own output', async () => {
    const ctx = await getContext();
    const x = ctx.upload(new Float32Array(8), [2, 4], 'x');
    const w = ctx.upload(new Float32Array(12), [3, 4], 'conv.weight');
    const w4 = ctx.upload(new Float32Array(16), [4, 4], 'w4');
    const h = ctx.upload(new Float32Array(8), [2, 4], 'history');
    expect(() => shortConv(ctx, { x, weight: w })).toThrowError(/conv.weight: expected shape \[4, 4\]/);
    expect(() => shortConv(ctx, { x, weight: w4, history: h })).toThrowError(/history: expected shape \[3, 4\]/);
    const h3 = ctx.upload(new Float32Array(12), [3, 4], 'h3');
    expect(() => shortConv(ctx, { x, weight: w4, history: h3, historyOut: h3 })).toThrowError(/may not alias/);
    [x, w, w4, h, h3].forEach((t) => t.dispose());
  });
});
