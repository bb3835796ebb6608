import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { rowNorm } from '../../shaders/ops/norm.js';
import { rowNorm64 } from '../../shaders/cpu/norm.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

describe('row norms vs float64 twin', () => {
  for (const kind of ['rmsnorm', 'layernorm'] as const) {
    for (const [rows, width] of [[1, 16], [7, 64], [33, 768], [5, 1000], [3, 4096]] as const) {
      it(`${kind} ${rows}x${width}`, async () => {
        const ctx = await getContext();
        const rng = new Rng(rows * 131 + width);
        const x = rng.normals(rows * width, 3, 0.5);
        const w = rng.normals(width, 0.2, 1);
        const b = rng.normals(width, 0.1);
        const tx = ctx.upload(x, [rows, width], 'x');
        const tw = ctx.upload(w, [width], 'w');
        const tb = ctx.upload(b, [width], 'b');
        const y = rowNorm(ctx, { x: tx, weight: tw, bias: kind === 'layernorm' ? tb : undefined, eps: 1e-6, kind });
        const got = await ctx.readF32(y);
        expectClose(got, rowNorm64(x, width, w, kind === 'layernorm' ? b : undefined, 1e-6, kind), { rtol: 1e-5, atol: 1e-5, label: kind });
        [tx, tw, tb, y].forEach((t) => t.dispose());
      });
    }
  }
  it('rejects a weight of the wrong width with a ShapeError', async () => {
    const ctx = await getContext();
    const tx = ctx.upload(new Float32Array(8), [2, 4], 'x');
    const tw = ctx.upload(new Float32Array(3), [3], 'norm.weight');
    expect(() => rowNorm(ctx, { x: tx, weight: tw, eps: 1e-6, kind: 'rmsnorm' })).toThrowError(/norm.weight: expected shape \[4\]/);
    tx.dispose();
    tw.dispose();
  });
});
