// Token sampling on the GPU (greedy, temperature, top-k, top-p) so that only the chosen id is read
// back. Owns the dispatch plan of kernels/sampling.wgsl (one workgroup, or block passes).

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/sampling.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { massScale, topPFixed } from '../cpu/sampling.js';

const SOURCES = sourcesFor('sampling.wgsl', source);
/** Rows up to this many ids take the one-workgroup, one-dispatch path. */
const SINGLE_MAX_V = 16384;
/** Multi-workgroup path: invocations per block workgroup, blocks at most, scratch words. */
const BLOCK_WG = 256;
const MAX_BLOCKS = 256;
const SCRATCH_WORDS = 8192;

export interface SampleArgs {
  /** [V] or [T, V]: the last row is sampled. */
  logits: Tensor;
  /** <= 0 (or NaN): greedy argmax. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  seed: number;
  step: number;
  /** u32 [n]; the id is written at `outIndex` (default 0). */
  out?: Tensor;
  outIndex?: number;
  /**
   * 'auto' (default): one workgroup in one dispatch for rows up to 16K ids, else NB workgroups
   * over a few dispatches (kernels/sampling.wgsl). Both give the same token; for tests and benches.
   */
  strategy?: 'auto' | 'single' | 'multi';
  op?: string;
}

export function sample(ctx: GpuContext, a: SampleArgs): Tensor {
  const V = a.logits.shape.at(-1) ?? 0;
  if (a.logits.shape.length === 1) expectShape(a.logits, [V]);
  else expectShape(a.logits, [-1, V]);
  if (V < 1) throw new ShapeError(a.logits.name, 'empty vocabulary');
  if (V >= 2 ** 31) throw new ShapeError(a.logits.name, `vocabulary of ${V} is too large`);
  const out = a.out ?? ctx.tensor([1], 'u32', `${a.op ?? 'sample'}.out`);
  expectShape(out, [-1], 'u32');
  const outIndex = a.outIndex ?? 0;
  if (!Number.isInteger(outIndex) || outIndex < 0 || outIndex >= out.size) {
    throw new ShapeError(out.name, `outIndex ${outIndex} is outside [0, ${out.size})`);
  }
  const strategy = a.strategy ?? 'auto';
  const single = strategy === 'single' || (strategy === 'auto' && V <= SINGLE_MAX_V);
  const ept = Math.max(8, Math.ceil(V / (BLOCK_WG * MAX_BLOCKS)));
  const nb = Math.ceil(V / (BLOCK_WG * ept));
  const greedy = !(a.temperature > 0);
  const k = Math.floor(a.topK);
  const useK = !greedy && k > 0 && k < V;
  const useP = !greedy && a.topP < 1;
  const kp = useK ? 4 : 0;
  const pp = useP ? 4 : 0;
  const flags = (greedy ? 1 : 0) | (useK ? 2 : 0) | (useP ? 4 : 0);
  const scale = greedy ? 0 : massScale(a.temperature);
  const build = (pass: number): ArrayBuffer =>
    params()
      .u32(V)
      .u32(a.logits.size - V)
      .u32(nb)
      .u32(ept)
      .f32(scale)
      .u32(useK ? k : 0)
      .u32(topPFixed(a.topP))
      .u32(flags)
      .u32(a.seed >>> 0)
      .u32(a.step >>> 0)
      .u32(outIndex)
      .u32(pass)
      .u32(kp)
      .u32(pp)
      .u32(0)
      .u32(0)
      .build();
  const op = a.op ?? 'sample';
  const passes = 2 + kp + pp;

  if (single) {
    const kernel = ctx.kernel({ file: 'sampling.wgsl', sources: SOURCES, defines: { SINGLE: true }, overrides: { WG: workgroupSize(ctx) } });
    ctx.dispatch({
      kernel,
      params: build(0),
      bindings: [a.logits, out],
      workgroups: [1],
      info: { kernel: 'sample', op, flops: V * 4 * passes, bytes: V * 4 * passes },
    });
    return out;
  }

  const scratch = ctx.zeroed([SCRATCH_WORDS], 'u32', 'sample.scratch');
  const pass = (entry: 'BLOCK_MAX' | 'RADIX' | 'BLOCK_SUMS' | 'PICK', i: number): void => {
    const picking = entry === 'PICK';
    ctx.dispatch({
      kernel: ctx.kernel({ file: 'sampling.wgsl', sources: SOURCES, defines: { [entry]: true } }),
      params: build(i),
      bindings: picking ? [a.logits, scratch, out] : [a.logits, scratch],
      workgroups: [picking ? 1 : nb],
      info: { kernel: `sample_${entry.toLowerCase()}`, op, flops: V * 4, bytes: V * 4 },
    });
  };
  pass('BLOCK_MAX', 0);
  let i = 1;
  if (!greedy) {
    for (; i <= kp + pp; i++) pass('RADIX', i);
    pass('BLOCK_SUMS', i++);
  }
  pass('PICK', i);
  scratch.dispose();
  return out;
}

/** The largest power of two in 256..1024 the device allows for the one-workgroup path. */
function workgroupSize(ctx: GpuContext): number {
  const lim = Math.min(1024, ctx.limits.maxComputeInvocationsPerWorkgroup, ctx.limits.maxComputeWorkgroupSizeX);
  return Math.max(256, 2 ** Math.floor(Math.log2(lim)));
}
