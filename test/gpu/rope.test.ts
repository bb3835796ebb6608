import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { rope } from '../../shaders/ops/rope.js';
import { rope64, ropeInvFreq } from '../../shaders/cpu/rope.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

/**
 * GPU vs the exact-angle float64 twin. The GPU's angle is f32(pos * inv_freq) with an f32 inv_freq
 * (HF's path): each rounds by up to 2^-24 relative, so the angle may be off by ~pos * inv * 2^-23
 * rad and an output by |x pair| times that.
 */
function expectCloseToExact(got: Float32Array, x: Float32Array, T: number, H: number, hd: number, pos0: number, theta: number): number {
  const want = rope64(x, T, H, hd, pos0, theta);
  const inv = ropeInvFreq(hd, theta);
  const half = hd / 2;
  let worst = 0;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const b = (t * H + h) * hd;
      for (let j = 0; j < hd; j++) {
        const i = j % half;
        const mag = Math.hypot(x[b + i] as number, x[b + half + i] as number);
        const tol = mag * ((pos0 + t) * (inv[i] as number) * 2 ** -22 + 4e-7) + 1e-7;
        const err = Math.abs((got[b + j] as number) - (want[b + j] as number));
        worst = Math.max(worst, err / tol);
        if (err > tol) expect.fail(`t ${t} h ${h} j ${j}: got ${got[b + j]}, want ${want[b + j]} (tol ${tol})`);
      }
    }
  }
  return worst;
}

describe('rope vs float64 twin', () => {
  const cases: Array<[T: number, H: number, hd: number, pos0: number, theta: number]> = [
    [5, 3, 16, 0, 10000],
    [17, 4, 64, 100, 10000],
    [9, 2, 128, 7, 500000],
    [4, 2, 256, 1000, 10000],
    [6, 3, 6, 3, 10000], // hd/2 odd: scalar path
    [3, 2, 20, 11, 10000], // hd/2 = 10: scalar path
  ];
  for (const [T, H, hd, pos0, theta] of cases) {
    it(`T=${T} H=${H} hd=${hd} pos0=${pos0} theta=${theta}`, async () => {
      const ctx = await getContext();
      const x = new Rng(T * 7 + hd).normals(T * H * hd, 1.5);
      const tx = ctx.upload(x, [T, H, hd], 'x');
      const y = rope(ctx, { x: tx, pos0, theta });
      const got = await ctx.readF32(y);
      expectClose(got, rope64(x, T, H, hd, pos0, theta, { angles: 'f32' }), { rtol: 1e-5, atol: 2e-6, label: 'vs f32-angle twin' });
      expectCloseToExact(got, x, T, H, hd, pos0, theta);
      // position 0 is the identity
      if (pos0 === 0) expectClose(got.subarray(0, H * hd), x.subarray(0, H * hd), { rtol: 0, atol: 0, label: 'pos 0' });
      [tx, y].forEach((t) => t.dispose());
    });
  }

  it('long positions (16K..16.4K and 300K): f32 angle as HF, accurate reduction', async () => {
    const ctx = await getContext();
    for (const [T, pos0] of [[400, 16000], [4, 300000]] as const) {
      const H = 2;
      const hd = 128;
      const x = new Rng(pos0).normals(T * H * hd);
      const tx = ctx.upload(x, [T, H, hd], 'x');
      const y = rope(ctx, { x: tx, pos0, theta: 10000 });
      const got = await ctx.readF32(y);
      // Same f32 angles as the GPU: only the reduction and the polynomials differ.
      const r = expectClose(got, rope64(x, T, H, hd, pos0, 10000, { angles: 'f32' }), { rtol: 1e-5, atol: 3e-6, label: `pos ${pos0}` });
      expect(r.worstAbs).toBeLessThan(3e-6);
      expectCloseToExact(got, x, T, H, hd, pos0, 10000);
      [tx, y].forEach((t) => t.dispose());
    }
  });

  it('rotates in place when out is x, and rejects odd head dims', async () => {
    const ctx = await getContext();
    const x = new Rng(5).normals(3 * 2 * 32);
    const tx = ctx.upload(x, [3, 2, 32], 'x');
    const y = rope(ctx, { x: tx, pos0: 40, theta: 10000, out: tx });
    expect(y).toBe(tx);
    expectClose(await ctx.readF32(tx), rope64(x, 3, 2, 32, 40, 10000, { angles: 'f32' }), { rtol: 1e-5, atol: 2e-6 });
    const odd = ctx.upload(new Float32Array(2 * 5), [2, 1, 5], 'odd');
    expect(() => rope(ctx, { x: odd, pos0: 0, theta: 10000 })).toThrowError(/odd: RoPE needs an even head dim/);
    [tx, odd].forEach((t) => t.dispose());
  });
});
