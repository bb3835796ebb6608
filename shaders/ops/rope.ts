// RoPE on the GPU (Hugging Face Llama rotate-half form, spec §1.5): rotates [T, H, hd] per head
// for positions pos0 .. pos0 + T - 1. Owns the f32 inverse-frequency table (HF's f32 rounding).

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/rope.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';
import { ropeInvFreq } from '../cpu/rope.js';

const SOURCES = sourcesFor('rope.wgsl', source);
const WG = 256;

export interface RopeArgs {
  x: Tensor; // [T, H, hd]
  pos0: number;
  theta: number;
  /** Output [T, H, hd]; may be `x` itself (rotated in place). */
  out?: Tensor;
  layer?: number;
  op?: string;
}

export function rope(ctx: GpuContext, a: RopeArgs): Tensor {
  const [T, H, hd] = a.x.shape as [number, number, number];
  expectShape(a.x, [-1, -1, -1]);
  if (hd % 2 !== 0 || hd < 2 || hd > 256) throw new ShapeError(a.x.name, `RoPE needs an even head dim in 2..256, got ${hd}`);
  if (!Number.isInteger(a.pos0) || a.pos0 < 0 || a.pos0 + T > 2 ** 24) {
    throw new ShapeError(a.x.name, `positions ${a.pos0}..${a.pos0 + T - 1} out of range (0 .. 2^24)`);
  }
  if (!(a.theta > 1)) throw new ShapeError(a.x.name, `rope theta must be > 1, got ${a.theta}`);
  const y = a.out ?? ctx.tensor(a.x.shape, 'f32', `${a.op ?? 'rope'}.out`);
  expectShape(y, a.x.shape);
  const inPlace = y.buffer === a.x.buffer;
  const vec = (hd / 2) % 4 === 0;
  const rows = T * H;
  const threads = rows * (vec ? hd / 8 : hd / 2);
  const p = params().u32(rows).u32(H).u32(hd).u32(a.pos0);
  const inv = ropeInvFreq(hd, a.theta);
  for (let i = 0; i < 128; i++) p.f32(inv[i] ?? 0);
  const kernel = ctx.kernel({ file: 'rope.wgsl', sources: SOURCES, defines: { VEC: vec, INPLACE: inPlace }, overrides: { WG } });
  ctx.dispatch({
    kernel,
    params: p.build(),
    bindings: inPlace ? [y] : [a.x, y],
    workgroups: grid(ceilDiv(threads, WG)),
    info: {
      kernel: 'rope',
      op: a.op ?? 'rope',
      ...(a.layer !== undefined ? { layer: a.layer } : {}),
      tokens: [a.pos0, a.pos0 + T],
      flops: rows * hd * 3,
      bytes: rows * hd * 8,
    },
  });
  return y;
}
