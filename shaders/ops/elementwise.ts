// Elementwise ops on the GPU: add (residual sums, in place allowed), SwiGLU over a fused
// gate/up activation, SiLU and scaling. vec4 units whenever the lengths allow it, four per thread.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/elementwise.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('elementwise.wgsl', source);

type Op = 'add' | 'silu' | 'scale' | 'swiglu';
/** Units each thread handles (kernels/elementwise.wgsl UNITS: 1, 2 or 4). */
export type UnitsPerThread = 1 | 2 | 4;
const UNITS_PER_THREAD: UnitsPerThread = 4;

function run(
  ctx: GpuContext,
  op: Op,
  vec4: boolean,
  units: number,
  bindings: Tensor[],
  p: { cols?: number; s?: number; inplace?: boolean; unitsPerThread?: UnitsPerThread | undefined },
  info: { flops: number; bytes: number },
): void {
  if (units === 0) return;
  const u = p.unitsPerThread ?? UNITS_PER_THREAD;
  const kernel = ctx.kernel({
    file: 'elementwise.wgsl',
    sources: SOURCES,
    defines: { OP: op, VEC4: vec4, INPLACE: p.inplace ?? false, UNITS: u },
  });
  ctx.dispatch({
    kernel,
    params: params().u32(units).u32(p.cols ?? 0).f32(p.s ?? 0).u32(0).build(),
    bindings,
    workgroups: grid(ceilDiv(units, 256 * u)),
    info: { kernel: 'elementwise', op, ...info },
  });
}

function output(ctx: GpuContext, shape: readonly number[], out: Tensor | undefined, name: string): Tensor {
  const y = out ?? ctx.tensor(shape, 'f32', name);
  expectShape(y, shape);
  return y;
}

/** y = a + b (same shapes). `out` may be a and/or b (in place). `unitsPerThread` overrides the
 *  default layout (the bench compares them). */
export function add(ctx: GpuContext, a: Tensor, b: Tensor, out?: Tensor, unitsPerThread?: UnitsPerThread): Tensor {
  expectShape(a, a.shape);
  expectShape(b, a.shape);
  const y = output(ctx, a.shape, out, 'add.out');
  const n = a.size;
  const vec4 = n % 4 === 0;
  const units = vec4 ? n / 4 : n;
  const info = { flops: n, bytes: 12 * n };
  const ia = a.buffer === y.buffer;
  const ib = b.buffer === y.buffer;
  if (ia && ib) run(ctx, 'scale', vec4, units, [y], { s: 2, inplace: true, unitsPerThread }, info);
  else if (ia || ib) run(ctx, 'add', vec4, units, [ia ? b : a, y], { inplace: true, unitsPerThread }, info);
  else run(ctx, 'add', vec4, units, [a, b, y], { unitsPerThread }, info);
  return y;
}

/** y = x · sigmoid(x). `out` may be x (in place). */
export function silu(ctx: GpuContext, x: Tensor, out?: Tensor): Tensor {
  expectShape(x, x.shape);
  const y = output(ctx, x.shape, out, 'silu.out');
  const vec4 = x.size % 4 === 0;
  const inplace = y.buffer === x.buffer;
  run(ctx, 'silu', vec4, vec4 ? x.size / 4 : x.size, inplace ? [y] : [x, y], { inplace }, { flops: 4 * x.size, bytes: 8 * x.size });
  return y;
}

/** y = s · x. `out` may be x (in place). */
export function scale(ctx: GpuContext, x: Tensor, s: number, out?: Tensor): Tensor {
  expectShape(x, x.shape);
  const y = output(ctx, x.shape, out, 'scale.out');
  const vec4 = x.size % 4 === 0;
  const inplace = y.buffer === x.buffer;
  run(ctx, 'scale', vec4, vec4 ? x.size / 4 : x.size, inplace ? [y] : [x, y], { s, inplace }, { flops: x.size, bytes: 8 * x.size });
  return y;
}

/** gu [T, 2I] (gate columns, then up columns) → swish(gate) ⊙ up, [T, I]. */
export function swiglu(ctx: GpuContext, gu: Tensor, out?: Tensor): Tensor {
  if (gu.shape.length !== 2 || (gu.shape[1] as number) % 2 !== 0) {
    throw new ShapeError(gu.name, `expected shape [T, 2I], got [${gu.shape.join(', ')}]`);
  }
  expectShape(gu, [-1, -1]);
  const T = gu.shape[0] as number;
  const I = (gu.shape[1] as number) / 2;
  const y = output(ctx, [T, I], out, 'swiglu.out');
  if (y.buffer === gu.buffer) throw new ShapeError(y.name, `output may not alias input ${gu.name}`);
  const vec4 = I % 4 === 0;
  const cols = vec4 ? I / 4 : I;
  run(ctx, 'swiglu', vec4, T * cols, [gu, y], { cols }, { flops: 5 * T * I, bytes: 12 * T * I });
  return y;
}
