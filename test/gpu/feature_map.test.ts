import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { expNormKeys64, featureMap64 } from '../../shaders/cpu/feature_map.js';
import { expNormKeys, featureMap } from '../../shaders/ops/feature_map.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

describe('feature maps vs float64 twin', () => {
  for (const kind of ['identity', 'relu', 'elu1', 'exp_norm', 'hedgehog'] as const) {
    for (const [B, T, H, dk] of [[1, 3, 2, 16], [2, 5, 3, 64], [1, 9, 1, 256]] as const) {
      it(`${kind} [${B},${T},${H},${dk}]`, async () => {
        const ctx = await getContext();
        const rng = new Rng(B * 1000 + T * 100 + H * 10 + dk);
        const x = rng.normals(B * T * H * dk, 2);
        const w = new Float32Array(dk * dk);
        // Identity init plus noise, as a trained hedgehog map would be near.
        for (let i = 0; i < dk; i++) for (let j = 0; j < dk; j++) w[i * dk + j] = (i === j ? 1 : 0) + 0.1 * rng.normal();
        const bias = rng.normals(dk, 0.3);
        const tx = ctx.upload(x, [B, T, H, dk], 'x');
        const tw = ctx.upload(w, [dk, dk], 'w');
        const tb = ctx.upload(bias, [dk], 'b');
        const y = featureMap(ctx, { kind, x: tx, weight: tw, bias: tb });
        expect(y.shape).toEqual([B, T, H, kind === 'hedgehog' ? 2 * dk : dk]);
        const got = await ctx.readF32(y);
        const want = featureMap64(kind, x, dk, w, bias);
        expectClose(got, want, { rtol: 2e-5, atol: kind === 'hedgehog' ? 1e-7 : 1e-6, label: kind });
        if (kind === 'hedgehog' || kind === 'exp_norm') {
          for (const v of got) expect(v).toBeGreaterThanOrEqual(0);
        }
        [tx, tw, tb, y].forEach((t) => t.dispose());
      });
    }
  }

  it('hedgehog rows sum to 1 and pair up as softmax([2y, −2y])', async () => {
    const ctx = await getContext();
    const dk = 32;
    const rng = new Rng(3);
    const x = rng.normals(4 * dk, 3);
    const w = new Float32Array(dk * dk);
    for (let i = 0; i < dk; i++) w[i * dk + i] = 1;
    const tx = ctx.upload(x, [1, 4, 1, dk], 'x');
    const tw = ctx.upload(w, [dk, dk], 'w');
    const tb = ctx.upload(new Float32Array(dk), [dk], 'b');
    const ty = featureMap(ctx, { kind: 'hedgehog', x: tx, weight: tw, bias: tb });
    const y = await ctx.readF32(ty);
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let j = 0; j < 2 * dk; j++) s += y[r * 2 * dk + j]!;
      expect(s).toBeCloseTo(1, 5);
      // W = I, b = 0: φ_j / φ_{dk+j} = exp(4 x_j)
      expect(Math.log(y[r * 2 * dk]! / y[r * 2 * dk + dk]!)).toBeCloseTo(4 * x[r * dk]!, 3);
    }
    [tx, tw, tb, ty].forEach((t) => t.dispose());
  });
});

describe('exp_norm keys: causal running max folded into the gate', () => {
  const cases = [
    { B: 1, T: 1, H: 1, dk: 16, gate: true, prev: false },
    { B: 2, T: 37, H: 3, dk: 16, gate: true, prev: false },
    { B: 1, T: 300, H: 2, dk: 64, gate: false, prev: false },
    { B: 1, T: 700, H: 2, dk: 32, gate: true, prev: true },
    { B: 1, T: 17000, H: 1, dk: 16, gate: true, prev: false },
  ];
  for (const c of cases) {
    it(`B=${c.B} T=${c.T} H=${c.H} dk=${c.dk} gate=${c.gate} mPrev=${c.prev}`, async () => {
      const ctx = await getContext();
      const rng = new Rng(c.T * 7 + c.dk);
      const n = c.B * c.T * c.H * c.dk;
      // A drifting mean makes the running max rise across many scan blocks.
      const k = new Float32Array(n);
      for (let i = 0; i < n; i++) k[i] = 2 * rng.normal() + (4 * Math.floor(i / (c.H * c.dk))) / c.T;
      const A = rng.uniforms(n, -1, 0);
      const mPrev = rng.normals(c.B * c.H, 1, 3);
      const tk = ctx.upload(k, [c.B, c.T, c.H, c.dk], 'k');
      const tA = ctx.upload(A, [c.B, c.T, c.H, c.dk], 'A');
      const tm = ctx.upload(mPrev, [c.B, c.H], 'mPrev');
      const out = expNormKeys(ctx, { k: tk, ...(c.gate ? { A: tA } : {}), ...(c.prev ? { mPrev: tm } : {}) });
      const want = expNormKeys64(k, { B: c.B, T: c.T, H: c.H, dk: c.dk }, c.gate ? A : undefined, c.prev ? mPrev : undefined);
      expectClose(await ctx.readF32(out.phiK), want.phiK, { rtol: 1e-5, atol: 1e-7, label: 'phiK' });
      expectClose(await ctx.readF32(out.A), want.A, { rtol: 1e-5, atol: 1e-5, label: 'A' });
      expectClose(await ctx.readF32(out.mOut), want.mOut, { rtol: 0, atol: 0, label: 'mOut' });
      const gotA = await ctx.readF32(out.A);
      for (let i = 0; i < gotA.length; i++) expect(gotA[i]!).toBeLessThanOrEqual(c.gate ? A[i]! : 0);
      [tk, tA, tm, out.phiK, out.A, out.mOut].forEach((t) => t.dispose());
    });
  }

  it('continuing with mPrev equals one call over T1 + T2', async () => {
    const ctx = await getContext();
    const [B, T1, T2, H, dk] = [1, 300, 200, 2, 16];
    const rng = new Rng(99);
    const k = rng.normals(B * (T1 + T2) * H * dk, 2);
    const A = rng.uniforms(k.length, -0.5, 0);
    const kw = ctx.upload(k, [B, T1 + T2, H, dk], 'k');
    const Aw = ctx.upload(A, [B, T1 + T2, H, dk], 'A');
    const whole = expNormKeys(ctx, { k: kw, A: Aw });
    const s1 = T1 * H * dk;
    const k1 = ctx.upload(k.slice(0, s1), [B, T1, H, dk], 'k1');
    const A1 = ctx.upload(A.slice(0, s1), [B, T1, H, dk], 'A1');
    const k2 = ctx.upload(k.slice(s1), [B, T2, H, dk], 'k2');
    const A2 = ctx.upload(A.slice(s1), [B, T2, H, dk], 'A2');
    const p1 = expNormKeys(ctx, { k: k1, A: A1 });
    const p2 = expNormKeys(ctx, { k: k2, A: A2, mPrev: p1.mOut });
    const wPhi = await ctx.readF32(whole.phiK);
    const wA = await ctx.readF32(whole.A);
    expectClose(await ctx.readF32(p1.phiK), wPhi.slice(0, s1), { rtol: 0, atol: 0, label: 'phi part 1' });
    expectClose(await ctx.readF32(p2.phiK), wPhi.slice(s1), { rtol: 0, atol: 0, label: 'phi part 2' });
    expectClose(await ctx.readF32(p2.A), wA.slice(s1), { rtol: 0, atol: 0, label: 'A part 2' });
    expectClose(await ctx.readF32(p2.mOut), await ctx.readF32(whole.mOut), { rtol: 0, atol: 0, label: 'mOut' });
    [kw, Aw, whole.phiK, whole.A, whole.mOut, k1, A1, k2, A2, p1.phiK, p1.A, p1.mOut, p2.phiK, p2.A, p2.mOut].forEach((t) => t.dispose());
  });
});
