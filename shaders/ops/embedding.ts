// Token embedding lookup on the GPU: ids [T] (u32) → rows of the table [V, H]; ids ≥ V give zero rows.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/embedding.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('embedding.wgsl', source);

export interface EmbeddingArgs {
  ids: Tensor; // u32 [T]
  table: Tensor; // [V, H]
  out?: Tensor | undefined; // [T, H]
  op?: string;
}

export function embedding(ctx: GpuContext, a: EmbeddingArgs): Tensor {
  if (a.ids.shape.length !== 1) throw new ShapeError(a.ids.name, `expected shape [T], got [${a.ids.shape.join(', ')}]`);
  expectShape(a.ids, [-1], 'u32');
  if (a.table.shape.length !== 2) throw new ShapeError(a.table.name, `expected shape [V, H], got [${a.table.shape.join(', ')}]`);
  expectShape(a.table, [-1, -1]);
  const T = a.ids.shape[0] as number;
  const [V, H] = a.table.shape as [number, number];
  const op = a.op ?? 'embedding';
  const y = a.out ?? ctx.tensor([T, H], 'f32', `${op}.out`);
  expectShape(y, [T, H]);
  if (T * H === 0) return y;
  const vec4 = H % 4 === 0;
  const width = vec4 ? H / 4 : H;
  const n = T * width;
  const kernel = ctx.kernel({ file: 'embedding.wgsl', sources: SOURCES, defines: { VEC4: vec4 } });
  ctx.dispatch({
    kernel,
    params: params().u32(n).u32(width).u32(V).u32(0).build(),
    bindings: [a.ids, a.table, y],
    workgroups: grid(ceilDiv(n, 256)),
    info: { kernel: 'embedding', op, tokens: [0, T], flops: 0, bytes: 4 * (T + 2 * T * H) },
  });
  return y;
}
