// Browser cases for the row norms (shaders/ops/norm.ts) against their float64 twin.

import { rowNorm64 } from '../../../shaders/cpu/norm.js';
import { Rng } from '../../../shaders/cpu/random.js';
import { rowNorm } from '../../../shaders/ops/norm.js';
import { assertClose } from '../compare.js';
import type { Case } from '../harness.js';

export function rowNormCase(kind: 'rmsnorm' | 'layernorm', rows: number, width: number): Case {
  return {
    name: `${kind} ${rows}x${width}`,
    async run(ctx) {
      const rng = new Rng(rows * 7919 + width);
      const x = rng.normals(rows * width, 3, 0.5);
      const w = rng.normals(width, 0.2, 1);
      const b = rng.normals(width, 0.1);
      const tx = ctx.upload(x, [rows, width], 'x');
      const tw = ctx.upload(w, [width], 'w');
      const tb = ctx.upload(b, [width], 'b');
      const bias = kind === 'layernorm' ? tb : undefined;
      const y = rowNorm(ctx, { x: tx, weight: tw, bias, eps: 1e-6, kind });
      try {
        const got = await ctx.readF32(y);
        return assertClose(got, rowNorm64(x, width, w, kind === 'layernorm' ? b : undefined, 1e-6, kind), {
          rtol: 1e-5,
          atol: 1e-5,
          label: kind,
        });
      } finally {
        [tx, tw, tb, y].forEach((t) => t.dispose());
      }
    },
  };
}
