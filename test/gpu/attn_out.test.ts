import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { attnOutput64 } from '../../shaders/cpu/attn_out.js';
import { attnOutput } from '../../shaders/ops/attn_out.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

describe('attention output block vs float64 twin', () => {
  for (const kind of ['rmsnorm', 'layernorm', 'none'] as const) {
    for (const gated of [false, true]) {
      for (const [T, Hq, dv] of [[1, 1, 16], [5, 3, 64], [9, 4, 256], [3, 2, 40]] as const) {
        it(`${kind}${gated ? ' + swish gate' : ''} T=${T} Hq=${Hq} dv=${dv}`, async () => {
          const ctx = await getContext();
          const rng = new Rng(T * 31 + Hq * 7 + dv);
          const o = rng.normals(T * Hq * dv, 2, 0.3);
          const w = rng.normals(dv, 0.2, 1);
          const b = rng.normals(dv, 0.1);
          const g = rng.normals(T * Hq * dv, 3);
          const to = ctx.upload(o, [T, Hq, dv], 'o');
          const tw = ctx.upload(w, [dv], 'w');
          const tb = ctx.upload(b, [dv], 'b');
          const tg = ctx.upload(g, [T, Hq * dv], 'gate');
          const y = attnOutput(ctx, {
            o: to,
            kind,
            weight: tw,
            bias: tb,
            eps: 1e-6,
            ...(gated ? { gate: tg } : {}),
          });
          expect(y.shape).toEqual([T, Hq * dv]);
          const want = attnOutput64(o, dv, kind, w, b, 1e-6, gated ? g : undefined);
          expectClose(await ctx.readF32(y), want, { rtol: 1e-5, atol: 1e-5, label: kind });
          [to, tw, tb, tg, y].forEach((t) => t.dispose());
        });
      }
    }
  }
  it('rejects a gate of the wrong shape', async () => {
    const ctx = await getContext();
    const to = ctx.upload(new Float32Array(2 * 3 * 16), [2, 3, 16], 'o');
    const tg = ctx.upload(new Float32Array(2 * 16), [2, 16], 'gate');
    expect(() => attnOutput(ctx, { o: to, kind: 'none', eps: 1e-6, gate: tg })).toThrowError(/gate: expected shape \[2, 48\]/);
    to.dispose();
    tg.dispose();
  });
});
