// Embedding lookup against its float64 twin: vec4 and scalar rows, out-of-range ids give zero rows.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { embedding64 } from '../../shaders/cpu/embedding.js';
import { embedding } from '../../shaders/ops/embedding.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

describe('embedding vs float64 twin', () => {
  for (const [T, V, H] of [[1, 10, 16], [37, 50, 64], [300, 97, 30], [5, 3, 1]] as const) {
    it(`T=${T} V=${V} H=${H}, with out-of-range ids`, async () => {
      const ctx = await getContext();
      const rng = new Rng(T * 31 + H);
      const table = rng.normals(V * H);
      // ids past V (V itself, V + 1, 2³² - 1) must give zero rows, not wrap or read out of bounds
      const ids = Uint32Array.from({ length: T }, (_, t) => (t % 7 === 3 ? [V, V + 1, 0xffffffff][t % 3] as number : rng.int(V)));
      const tt = ctx.upload(table, [V, H], 'table');
      const ti = ctx.upload(ids, [T], 'ids');
      const y = embedding(ctx, { ids: ti, table: tt });
      expect(y.shape).toEqual([T, H]);
      const got = await ctx.readF32(y);
      const want = embedding64(ids, table, V, H);
      const { worstRel } = expectClose(got, want, { rtol: 0, atol: 0, label: 'embedding' });
      console.log(`embedding T=${T} V=${V} H=${H}: worst rel ${worstRel}`);
      if (T > 3) {
        const bad = ids.findIndex((id) => id >= V);
        expect(Array.from(got.subarray(bad * H, bad * H + H)).every((v) => v === 0)).toBe(true);
      }
      [tt, ti, y].forEach((t) => t.dispose());
    });
  }
  it('rejects f32 ids and a 1-D table with ShapeError', async () => {
    const ctx = await getContext();
    const t = ctx.upload(new Float32Array(8), [2, 4], 'table');
    const f = ctx.upload(new Float32Array(2), [2], 'ids');
    const t1 = ctx.upload(new Float32Array(8), [8], 'flat');
    const u = ctx.upload(new Uint32Array(2), [2], 'ids');
    expect(() => embedding(ctx, { ids: f, table: t })).toThrowError(/ids: expected dtype u32/);
    expect(() => embedding(ctx, { ids: u, table: t1 })).toThrowError(/flat: expected shape \[V, H\]/);
    [t, f, t1, u].forEach((x) => x.dispose());
  });
});
