// Row norms on the GPU: RMSNorm and LayerNorm over the last axis (tokens or token-heads).

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/norm.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { grid } from './util.js';

const SOURCES = sourcesFor('norm.wgsl', source);

export interface NormArgs {
  x: Tensor; // [..., width]
  weight: Tensor; // [width]
  bias?: Tensor | undefined; // [width] → LayerNorm
  eps: number;
  kind: 'rmsnorm' | 'layernorm';
  out?: Tensor;
  layer?: number;
  op?: string;
}

export function rowNorm(ctx: GpuContext, a: NormArgs): Tensor {
  const width = a.x.shape.at(-1) ?? 0;
  const rows = a.x.size / Math.max(1, width);
  expectShape(a.weight, [width]);
  const layer = a.kind === 'layernorm';
  if (layer && !a.bias) throw new ShapeError('norm.bias', 'LayerNorm needs a bias tensor');
  if (a.bias) expectShape(a.bias, [width]);
  const y = a.out ?? ctx.tensor(a.x.shape, 'f32', `${a.op ?? 'norm'}.out`);
  expectShape(y, a.x.shape);
  const wg = width >= 256 ? 256 : width >= 128 ? 128 : 64;
  const kernel = ctx.kernel({ file: 'norm.wgsl', sources: SOURCES, defines: { LAYER: layer }, overrides: { WG: wg } });
  const bindings = layer && a.bias ? [a.x, a.weight, a.bias, y] : [a.x, a.weight, y];
  ctx.dispatch({
    kernel,
    params: params().u32(rows).u32(width).f32(a.eps).u32(0).build(),
    bindings,
    workgroups: grid(rows),
    info: {
      kernel: 'norm',
      op: a.op ?? a.kind,
      ...(a.layer !== undefined ? { layer: a.layer } : {}),
      flops: rows * width * 4,
      bytes: rows * width * 8 + width * 4,
    },
  });
  return y;
}
