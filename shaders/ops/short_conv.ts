// Short causal depthwise convolution + SiLU on the GPU (fla's ShortConvolution without bias), with
// the last K-1 inputs carried between calls so that decode and chunked prefill continue a sequence.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/short_conv.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('short_conv.wgsl', source);

export interface ShortConvArgs {
  x: Tensor; // [T, C]
  weight: Tensor; // [C, K] (fla stores [C, 1, K]: same memory, accepted too)
  history?: Tensor | undefined; // [K-1, C]: the previous K-1 inputs, oldest first; zeros if absent
  out?: Tensor | undefined; // [T, C]
  historyOut?: Tensor | undefined; // [K-1, C]; must not be `history` itself
  op?: string;
  layer?: number;
}

/**
 * y[t, c] = silu(Σ_j weight[c, j] · x̃[t + j, c]) with x̃ = [history; x] (weight K-1 meets the current token).
 * Returns y and the new history (the last K-1 rows of x̃).
 */
export function shortConv(ctx: GpuContext, a: ShortConvArgs): { y: Tensor; history: Tensor } {
  if (a.x.shape.length !== 2) throw new ShapeError(a.x.name, `expected shape [T, C], got [${a.x.shape.join(', ')}]`);
  expectShape(a.x, [-1, -1]);
  const [T, C] = a.x.shape as [number, number];
  const ws = a.weight.shape;
  const K = ws.at(-1) ?? 0;
  if (ws.length === 3) expectShape(a.weight, [C, 1, K]);
  else expectShape(a.weight, [C, K]);
  if (K < 1) throw new ShapeError(a.weight.name, 'kernel size must be at least 1');
  if (a.history) expectShape(a.history, [K - 1, C]);
  const inputs = [a.x, a.weight, a.history];
  for (const o of [a.out, a.historyOut]) {
    for (const i of inputs) {
      if (o && i && i.buffer === o.buffer) throw new ShapeError(o.name, `output may not alias input ${i.name}`);
    }
  }
  if (a.out && a.historyOut && a.out.buffer === a.historyOut.buffer) throw new ShapeError(a.historyOut.name, 'history output may not alias y');
  if (a.out) expectShape(a.out, [T, C]);
  if (a.historyOut) expectShape(a.historyOut, [K - 1, C]);
  const op = a.op ?? 'short_conv';
  const y = a.out ?? ctx.tensor([T, C], 'f32', `${op}.out`);
  const hist = a.historyOut ?? ctx.tensor([K - 1, C], 'f32', `${op}.history`);
  const n = (T + K - 1) * C;
  if (n === 0) return { y, history: hist };
  const kernel = ctx.kernel({ file: 'short_conv.wgsl', sources: SOURCES });
  ctx.dispatch({
    kernel,
    params: params().u32(T).u32(C).u32(K).u32(a.history ? 1 : 0).build(),
    // Without history the kernel never reads binding 3; x stands in (two read-only uses are legal).
    bindings: [a.x, a.weight, a.history ?? a.x, y, hist],
    workgroups: grid(ceilDiv(n, 256)),
    info: {
      kernel: 'short_conv',
      op,
      ...(a.layer !== undefined ? { layer: a.layer } : {}),
      tokens: [0, T],
      flops: T * C * (2 * K + 4),
      bytes: 4 * (2 * T * C + C * K + 2 * (K - 1) * C),
    },
  });
  return { y, history: hist };
}
