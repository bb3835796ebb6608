// The interventions' GPU edits (kernels/interventions.wgsl), in place: clamp a tensor into [lo, hi]
// (gate logits), scale one block of columns of every row (one head of attn.y). One dispatch each;
// the forward issues them only while interventions are active.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/interventions.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('interventions.wgsl', source);

export interface ClampArgs {
  /** Modified in place. */
  x: Tensor;
  lo: number;
  hi: number;
  op?: string;
  layer?: number;
}

/** x = min(max(x, lo), hi) in place (lo ≤ hi; the bounds are rounded to f32). */
export function clampInPlace(ctx: GpuContext, a: ClampArgs): void {
  if (!(a.lo <= a.hi) || !Number.isFinite(a.lo) || !Number.isFinite(a.hi)) {
    throw new ShapeError(a.op ?? 'clamp', `bounds [${a.lo}, ${a.hi}] must be finite with lo ≤ hi`);
  }
  expectShape(a.x, a.x.shape);
  const n = a.x.size;
  if (n === 0) return;
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'interventions.wgsl', sources: SOURCES, defines: { OP: 'clamp' } }),
    params: params().u32(n).u32(0).u32(0).u32(0).f32(a.lo).f32(a.hi).f32(0).u32(0).build(),
    bindings: [a.x],
    workgroups: grid(ceilDiv(n, 256)),
    info: { kernel: 'interventions', op: a.op ?? 'clamp', ...(a.layer !== undefined ? { layer: a.layer } : {}), flops: 2 * n, bytes: 8 * n },
  });
}

export interface ScaleColumnsArgs {
  /** [rows, width] (leading dims flatten into rows), modified in place. */
  x: Tensor;
  /** The block [col0, col0 + cols) of every row. */
  col0: number;
  cols: number;
  s: number;
  op?: string;
  layer?: number;
}

/** x[r, col0 + j] *= s for every row r and j < cols, in place. */
export function scaleColumns(ctx: GpuContext, a: ScaleColumnsArgs): void {
  const width = a.x.shape.at(-1) ?? 0;
  if (!(Number.isInteger(a.col0) && Number.isInteger(a.cols) && a.col0 >= 0 && a.cols > 0 && a.col0 + a.cols <= width)) {
    throw new ShapeError(a.x.name, `columns [${a.col0}, ${a.col0 + a.cols}) are not inside a row of ${width}`);
  }
  if (!Number.isFinite(a.s)) throw new ShapeError(a.op ?? 'scale_cols', `scale ${a.s} must be finite`);
  expectShape(a.x, a.x.shape);
  const rows = a.x.size / width;
  const n = rows * a.cols;
  if (n === 0) return;
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'interventions.wgsl', sources: SOURCES, defines: { OP: 'scale_cols' } }),
    params: params().u32(n).u32(width).u32(a.col0).u32(a.cols).f32(0).f32(0).f32(a.s).u32(0).build(),
    bindings: [a.x],
    workgroups: grid(ceilDiv(n, 256)),
    info: { kernel: 'interventions', op: a.op ?? 'scale_cols', ...(a.layer !== undefined ? { layer: a.layer } : {}), flops: n, bytes: 8 * n },
  });
}
