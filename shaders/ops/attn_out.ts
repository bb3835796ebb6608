// The attention output block on the GPU (spec §1.4, §1.5 steps 7–8): per-head RMSNorm / LayerNorm /
// none over dv, weight (and bias) shared by heads, then the optional swish output gate, in one kernel.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/attn_out.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('attn_out.wgsl', source);

export type AttnNormKind = 'rmsnorm' | 'layernorm' | 'none';

export interface AttnOutputArgs {
  /** [T, Hq, dv], or [B, T, Hq, dv] (leading dims are flattened into tokens). */
  o: Tensor;
  kind: AttnNormKind;
  /** [dv], shared by heads (rmsnorm, layernorm). */
  weight?: Tensor;
  /** [dv] (layernorm). */
  bias?: Tensor;
  eps: number;
  /** Output-gate pre-activations [T, Hq · dv] (or [B, T, Hq · dv]): y ⊙= swish(gate). */
  gate?: Tensor;
  layer?: number;
}

/** Returns y with o's leading dims and Hq · dv features: [T, Hq · dv] (or [B, T, Hq · dv]). */
export function attnOutput(ctx: GpuContext, a: AttnOutputArgs): Tensor {
  const s = a.o.shape;
  if (s.length < 3) throw new ShapeError(a.o.name, `expected [T, Hq, dv], got [${s.join(', ')}]`);
  const dv = s.at(-1) ?? 0;
  const hq = s.at(-2) ?? 0;
  const lead = s.slice(0, -2);
  expectShape(a.o, s);
  const outShape = [...lead, hq * dv];
  const rows = a.o.size / Math.max(1, dv);
  if (a.kind !== 'none') {
    if (!a.weight) throw new ShapeError('attn_norm.weight', `${a.kind} needs a weight [${dv}]`);
    expectShape(a.weight, [dv]);
  }
  if (a.kind === 'layernorm') {
    if (!a.bias) throw new ShapeError('attn_norm.bias', `layernorm needs a bias [${dv}]`);
    expectShape(a.bias, [dv]);
  }
  if (a.gate) expectShape(a.gate, outShape);
  const y = ctx.tensor(outShape, 'f32', 'attn_out');
  const bindings: Tensor[] = [a.o];
  if (a.kind !== 'none' && a.weight) bindings.push(a.weight);
  if (a.kind === 'layernorm' && a.bias) bindings.push(a.bias);
  if (a.gate) bindings.push(a.gate);
  bindings.push(y);
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'attn_out.wgsl', sources: SOURCES, defines: { NORM: a.kind, GATE: a.gate !== undefined } }),
    params: params().u32(rows).u32(dv).f32(a.eps).u32(0).build(),
    bindings,
    workgroups: grid(ceilDiv(rows, 8)),
    info: {
      kernel: 'attn_out',
      op: `attnOutput.${a.kind}${a.gate ? '+gate' : ''}`,
      ...(a.layer !== undefined ? { layer: a.layer } : {}),
      flops: rows * dv * (a.gate ? 12 : 5),
      bytes: rows * dv * 4 * (a.gate ? 3 : 2),
    },
  });
  return y;
}
