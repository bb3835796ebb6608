// Elementwise ops against their float64 twins: vec4 and scalar lengths, in-place forms, SwiGLU's
// gate/up split, and SiLU's saturated ends.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { add64, scale64, silu64, swiglu64 } from '../../shaders/cpu/elementwise.js';
import { add, scale, silu, swiglu } from '../../shaders/ops/elementwise.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

describe('elementwise vs float64 twins', () => {
  // 4 units per thread, 256 threads: 9392 = 4·(2·1024 + 300) vec4s ends inside a third workgroup
  // (1 or 2 per thread: inside the 10th / 5th).
  for (const n of [1, 7, 1024, 4099, 9392]) {
    it(`add / silu / scale, n=${n}`, async () => {
      const ctx = await getContext();
      const rng = new Rng(n);
      const a = rng.normals(n, 4);
      const b = rng.normals(n, 4);
      const ta = ctx.upload(a, [n], 'a');
      const tb = ctx.upload(b, [n], 'b');
      const s = add(ctx, ta, tb);
      const y = silu(ctx, ta);
      const z = scale(ctx, ta, -0.37);
      const rs = expectClose(await ctx.readF32(s), add64(a, b), { rtol: 1e-6, atol: 1e-6, label: 'add' });
      const ry = expectClose(await ctx.readF32(y), silu64(a), { rtol: 4e-6, atol: 1e-6, label: 'silu' });
      const rz = expectClose(await ctx.readF32(z), scale64(a, -0.37), { rtol: 1e-6, atol: 1e-7, label: 'scale' });
      console.log(`n=${n}: worst rel add ${rs.worstRel.toExponential(2)}, silu ${ry.worstRel.toExponential(2)}, scale ${rz.worstRel.toExponential(2)}`);
      // The other thread layouts the bench compares: the same sums, bit for bit.
      const want = await ctx.readF32(s);
      for (const u of [1, 2] as const) {
        const su = add(ctx, ta, tb, undefined, u);
        expect(await ctx.readF32(su), `add, ${u} unit(s) per thread`).toEqual(want);
        su.dispose();
      }
      [ta, tb, s, y, z].forEach((t) => t.dispose());
    });
  }

  it('in place: add into a, add into b, a + a into itself, silu and scale into x', async () => {
    const ctx = await getContext();
    const rng = new Rng(5);
    const n = 130;
    const a = rng.normals(n);
    const b = rng.normals(n);
    const ta = ctx.upload(a, [2, 65], 'a');
    const tb = ctx.upload(b, [2, 65], 'b');
    expect(add(ctx, ta, tb, ta)).toBe(ta);
    const ab = add64(a, b);
    expectClose(await ctx.readF32(ta), ab, { rtol: 1e-6, atol: 1e-6, label: 'a += b' });
    add(ctx, ta, tb, tb);
    expectClose(await ctx.readF32(tb), add64(ab, b), { rtol: 1e-6, atol: 1e-6, label: 'b = a + b' });
    add(ctx, ta, ta, ta);
    expectClose(await ctx.readF32(ta), scale64(ab, 2), { rtol: 1e-6, atol: 1e-6, label: 'a = a + a' });
    silu(ctx, ta, ta);
    expectClose(await ctx.readF32(ta), silu64(scale64(ab, 2)), { rtol: 4e-6, atol: 1e-6, label: 'silu in place' });
    const tc = ctx.upload(a, [n], 'c');
    scale(ctx, tc, 3, tc);
    expectClose(await ctx.readF32(tc), scale64(a, 3), { rtol: 1e-6, atol: 1e-7, label: 'scale in place' });
    [ta, tb, tc].forEach((t) => t.dispose());
  });

  it('silu saturates cleanly at ±100 (no NaN)', async () => {
    const ctx = await getContext();
    const x = new Float32Array([-100, -30, 0, 30, 100, -88.8, 88.8, 1e-30]);
    const tx = ctx.upload(x, [x.length], 'x');
    const y = silu(ctx, tx);
    expectClose(await ctx.readF32(y), silu64(x), { rtol: 4e-6, atol: 1e-30, label: 'silu extremes' });
    [tx, y].forEach((t) => t.dispose());
  });

  for (const [T, I] of [[1, 4], [3, 5], [17, 256], [2, 1], [37, 132]] as const) {
    it(`swiglu T=${T} I=${I}: first I columns gate, next I up`, async () => {
      const ctx = await getContext();
      const rng = new Rng(T * 100 + I);
      const gu = rng.normals(T * 2 * I, 3);
      const tg = ctx.upload(gu, [T, 2 * I], 'gu');
      const y = swiglu(ctx, tg);
      expect(y.shape).toEqual([T, I]);
      const r = expectClose(await ctx.readF32(y), swiglu64(gu, T, I), { rtol: 4e-6, atol: 1e-6, label: 'swiglu' });
      console.log(`swiglu T=${T} I=${I}: worst rel ${r.worstRel.toExponential(2)}`);
      [tg, y].forEach((t) => t.dispose());
    });
  }

  it('swiglu twin: swish(gate) ⊙ up, columns split in halves', () => {
    // gate = [0, 2], up = [5, 7]: swish(0) = 0, swish(2) = 2σ(2)
    const y = swiglu64([0, 2, 5, 7], 1, 2);
    expect(y[0]).toBe(0);
    expect(y[1]).toBeCloseTo((2 / (1 + Math.exp(-2))) * 7, 12);
  });

  it('rejects mismatched shapes and odd widths with ShapeError', async () => {
    const ctx = await getContext();
    const a = ctx.upload(new Float32Array(6), [2, 3], 'a');
    const b = ctx.upload(new Float32Array(6), [3, 2], 'b');
    expect(() => add(ctx, a, b)).toThrowError(/b: expected shape \[2, 3\]/);
    expect(() => swiglu(ctx, a)).toThrowError(/a: expected shape \[T, 2I\]/);
    [a, b].forEach((t) => t.dispose());
  });
});
