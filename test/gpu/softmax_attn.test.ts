import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { attnPlan, attnTiling, kvAppend, softmaxAttention } from '../../shaders/ops/softmax_attn.js';
import { softmaxAttention64 } from '../../shaders/cpu/softmax_attn.js';
import type { GpuContext } from '../../shaders/gpu/context.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

interface Case {
  T: number;
  Hq: number;
  Hkv: number;
  hd: number;
  pos0: number;
  keysPerSplit?: number;
  qScale?: number;
  scale?: number;
}

/** Runs GPU attention on random q / caches (rows past pos0 + T are NaN: they must never be read). */
async function run(ctx: GpuContext, c: Case): Promise<{ kernels: string[]; worst: number }> {
  const { T, Hq, Hkv, hd, pos0 } = c;
  const rng = new Rng(T * 1009 + hd * 31 + pos0 + Hq);
  const Tmax = pos0 + T + 5;
  const q = rng.normals(T * Hq * hd, c.qScale ?? 1);
  const k = rng.normals(Tmax * Hkv * hd);
  const v = rng.normals(Tmax * Hkv * hd);
  k.fill(NaN, (pos0 + T) * Hkv * hd);
  v.fill(NaN, (pos0 + T) * Hkv * hd);
  const tq = ctx.upload(q, [T, Hq, hd], 'q');
  const tk = ctx.upload(k, [Tmax, Hkv, hd], 'kCache');
  const tv = ctx.upload(v, [Tmax, Hkv, hd], 'vCache');
  const kernels: string[] = [];
  const off = ctx.onDispatch((i) => kernels.push(i.kernel));
  const o = softmaxAttention(ctx, {
    q: tq,
    kCache: tk,
    vCache: tv,
    pos0,
    T,
    ...(c.keysPerSplit !== undefined ? { keysPerSplit: c.keysPerSplit } : {}),
    ...(c.scale !== undefined ? { scale: c.scale } : {}),
  });
  off();
  const got = await ctx.readF32(o);
  const want = softmaxAttention64({ q, kCache: k, vCache: v, T, Hq, Hkv, hd, pos0, ...(c.scale !== undefined ? { scale: c.scale } : {}) });
  const r = expectClose(got, want, { rtol: 1e-4, atol: 2e-5, label: JSON.stringify(c) });
  [tq, tk, tv, o].forEach((t) => t.dispose());
  return { kernels, worst: r.worstAbs };
}

describe('softmax attention vs float64 twin', () => {
  for (const hd of [16, 64, 128, 256]) {
    for (const [T, pos0] of [[1, 37], [17, 5], [200, 0]] as const) {
      it(`hd=${hd} T=${T} pos0=${pos0} Hq=4 Hkv=2`, async () => {
        const ctx = await getContext();
        await run(ctx, { T, Hq: 4, Hkv: 2, hd, pos0 });
      });
    }
  }

  it('prefill continuing a cache (pos0 > 0), odd head dims (padded tiles), MQA and MHA', async () => {
    const ctx = await getContext();
    await run(ctx, { T: 50, Hq: 4, Hkv: 2, hd: 64, pos0: 130 });
    await run(ctx, { T: 70, Hq: 2, Hkv: 2, hd: 128, pos0: 33 });
    await run(ctx, { T: 9, Hq: 8, Hkv: 1, hd: 96, pos0: 20 });
    await run(ctx, { T: 33, Hq: 3, Hkv: 1, hd: 20, pos0: 3 });
    await run(ctx, { T: 5, Hq: 1, Hkv: 1, hd: 4, pos0: 0 });
  });

  it('split-over-keys path equals the single pass (forced splits, ragged last split)', async () => {
    const ctx = await getContext();
    for (const keysPerSplit of [0, 16, 40]) {
      const { kernels } = await run(ctx, { T: 30, Hq: 4, Hkv: 2, hd: 64, pos0: 90, keysPerSplit });
      expect(kernels.includes('softmax_attn_combine')).toBe(keysPerSplit > 0);
    }
  });

  it('decode T=1 over a 3000-long cache takes the split path', async () => {
    const ctx = await getContext();
    for (const hd of [64, 128]) {
      expect(attnPlan(1, 2999, 4, 2, hd).nsplit).toBeGreaterThan(1);
      const { kernels } = await run(ctx, { T: 1, Hq: 4, Hkv: 2, hd, pos0: 2999 });
      expect(kernels).toEqual(['softmax_attn_decode', 'softmax_attn_combine']);
    }
  });

  it('decode kernel: 1..8 rows per kv head, ragged and forced splits, odd and large head dims', async () => {
    const ctx = await getContext();
    for (const keysPerSplit of [0, 128, 256]) await run(ctx, { T: 1, Hq: 8, Hkv: 1, hd: 64, pos0: 700, keysPerSplit });
    await run(ctx, { T: 2, Hq: 8, Hkv: 2, hd: 32, pos0: 300 }); // 8 rows, causal between the 2 tokens
    await run(ctx, { T: 3, Hq: 2, Hkv: 2, hd: 20, pos0: 130 }); // 3 rows, hd 20 (padded dims)
    await run(ctx, { T: 1, Hq: 4, Hkv: 1, hd: 256, pos0: 515 }); // 4 rows at hd 256
    expect(attnPlan(1, 515, 8, 1, 256).path).toBe('tiled'); // 8 rows at hd 256: the small tiles
    await run(ctx, { T: 1, Hq: 8, Hkv: 1, hd: 256, pos0: 515 });
    await run(ctx, { T: 1, Hq: 3, Hkv: 3, hd: 16, pos0: 0 }); // a single key
  });

  it('T=4096, one head, hd 16', async () => {
    const ctx = await getContext();
    await run(ctx, { T: 4096, Hq: 1, Hkv: 1, hd: 16, pos0: 0 });
  });

  it('large scores stay stable (online max) and a custom scale applies', async () => {
    const ctx = await getContext();
    await run(ctx, { T: 40, Hq: 2, Hkv: 1, hd: 32, pos0: 60, qScale: 12 });
    await run(ctx, { T: 20, Hq: 2, Hkv: 2, hd: 32, pos0: 10, scale: 0.5 });
  });

  it('tilings fit 16 KiB of workgroup memory for every head dim', () => {
    for (let hd = 4; hd <= 256; hd += 4) {
      for (const small of [false, true]) {
        const t = attnTiling(hd, small);
        const words = t.BK * (t.HDP / 4 + 1) * 4 + t.BK * t.BQ + t.BQ * t.KG;
        expect(words).toBeLessThanOrEqual(4096);
        expect((t.BQ / t.RM) * t.KG).toBe(128);
        expect((t.BQ / t.RM2) * t.DG).toBe(128);
        expect(t.DV4 * t.DG * 4).toBe(t.HDP);
        expect(t.RM2 * t.DV4 * 4).toBeLessThanOrEqual(64);
      }
    }
  });
});

describe('kvAppend', () => {
  it('copies new rows at pos0 and rejects rows past the cache', async () => {
    const ctx = await getContext();
    const [Tmax, Hkv, hd, T, pos0] = [12, 2, 8, 3, 4];
    const rng = new Rng(3);
    const k = rng.normals(T * Hkv * hd);
    const v = rng.normals(T * Hkv * hd);
    const kc = ctx.upload(new Float32Array(Tmax * Hkv * hd).fill(7), [Tmax, Hkv, hd], 'kCache');
    const vc = ctx.upload(new Float32Array(Tmax * Hkv * hd).fill(7), [Tmax, Hkv, hd], 'vCache');
    const tk = ctx.upload(k, [T, Hkv, hd], 'k');
    const tv = ctx.upload(v, [T, Hkv, hd], 'v');
    kvAppend(ctx, { k: tk, v: tv, kCache: kc, vCache: vc, pos0 });
    const row = Hkv * hd;
    for (const [cache, src] of [[kc, k], [vc, v]] as const) {
      const got = await ctx.readF32(cache);
      expect(Array.from(got.subarray(pos0 * row, (pos0 + T) * row))).toEqual(Array.from(src));
      expect(got.subarray(0, pos0 * row).every((x) => x === 7)).toBe(true);
      expect(got.subarray((pos0 + T) * row).every((x) => x === 7)).toBe(true);
    }
    expect(() => kvAppend(ctx, { k: tk, v: tv, kCache: kc, vCache: vc, pos0: 10 })).toThrowError(/kCache: rows 10..12 do not fit/);
    [kc, vc, tk, tv].forEach((t) => t.dispose());
  });

  it('rejects mismatched heads with a ShapeError', async () => {
    const ctx = await getContext();
    const q = ctx.tensor([2, 3, 16], 'f32', 'q');
    const kc = ctx.tensor([8, 2, 16], 'f32', 'kCache');
    const vc = ctx.tensor([8, 2, 16], 'f32', 'vCache');
    expect(() => softmaxAttention(ctx, { q, kCache: kc, vCache: vc, pos0: 0, T: 2 })).toThrowError(/kCache: 3 query heads cannot share 2/);
    [q, kc, vc].forEach((t) => t.dispose());
  });
});
