// Gate logits → log α (key side, A) and log β (value side, D) on the GPU, in the stable log forms of
// spec §1.3: 'gla', 'sigmoid', 'refined' (ReGLA), 'fast_decay' (two-sided), 'none' (no gate tensor).

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/gate.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('gate.wgsl', source);

export type GateKind = 'none' | 'gla' | 'sigmoid' | 'refined' | 'fast_decay';

export interface LogGateArgs {
  kind: GateKind;
  /** Key-side logits [B, T, Hkv, dk] (the refined gate's g logits, fast_decay's key factor). */
  a?: Tensor;
  /** Refining logits, same shape as `a` ('refined'). */
  c?: Tensor;
  /** Value-side logits [B, T, Hkv, dv] ('fast_decay'). */
  b?: Tensor;
  /** τ: 'gla' divides logσ by it, 'refined' divides log F by it, 'fast_decay' both sides; 'sigmoid' ignores it (τ = 1). */
  normalizer: number;
  /** Lower bound on every log gate (key and value side), or null. */
  clampMin: number | null;
  /** 2 for hedgehog: the dk gates are repeated over both halves of the 2·dk feature dim. */
  repeat?: 1 | 2;
  layer?: number;
}

export interface LogGates {
  /** Key-side log gate [B, T, Hkv, dk · repeat]; absent for 'none'. */
  A?: Tensor;
  /** Value-side log gate [B, T, Hkv, dv]; 'fast_decay' only. */
  D?: Tensor;
}

function gateDispatch(
  ctx: GpuContext,
  mode: 'gla' | 'refined',
  a: Tensor,
  c: Tensor | undefined,
  invTau: number,
  clampMin: number | null,
  repeat: number,
  name: string,
  layer: number | undefined,
): Tensor {
  const shape = a.shape;
  const width = shape.at(-1) ?? 0;
  if (shape.length !== 4 || width === 0) throw new ShapeError(a.name, `expected [B, T, H, width], got [${shape.join(', ')}]`);
  expectShape(a, shape);
  if (c) expectShape(c, shape);
  const y = ctx.tensor([...shape.slice(0, 3), width * repeat], 'f32', name);
  const n = a.size;
  const kernel = ctx.kernel({
    file: 'gate.wgsl',
    sources: SOURCES,
    defines: { MODE: mode, CLAMP: clampMin !== null, REPEAT: repeat },
  });
  ctx.dispatch({
    kernel,
    params: params().u32(n).u32(width).f32(invTau).f32(clampMin ?? 0).build(),
    bindings: c ? [a, c, y] : [a, y],
    workgroups: grid(ceilDiv(n, 256)),
    info: {
      kernel: 'gate',
      op: name,
      ...(layer !== undefined ? { layer } : {}),
      flops: n * (mode === 'refined' ? 30 : 10),
      bytes: n * 4 * ((c ? 2 : 1) + repeat),
    },
  });
  return y;
}

/** Log gates from logits (spec §1.3, §1.5 step 4). The caller disposes the returned tensors. */
export function logGate(ctx: GpuContext, g: LogGateArgs): LogGates {
  const repeat = g.repeat ?? 1;
  if (g.kind === 'none') return {};
  if (!g.a) throw new ShapeError('gate.a', `gate '${g.kind}' needs key-side logits`);
  if (!(g.normalizer > 0)) throw new ShapeError('gate.normalizer', `must be > 0, got ${g.normalizer}`);
  const invTau = g.kind === 'sigmoid' ? 1 : 1 / g.normalizer;
  if (g.kind === 'refined') {
    if (!g.c) throw new ShapeError('gate.c', "gate 'refined' needs refining logits");
    return { A: gateDispatch(ctx, 'refined', g.a, g.c, invTau, g.clampMin, repeat, 'gate.A', g.layer) };
  }
  const A = gateDispatch(ctx, 'gla', g.a, undefined, invTau, g.clampMin, repeat, 'gate.A', g.layer);
  if (g.kind !== 'fast_decay') return { A };
  if (!g.b) {
    A.dispose();
    throw new ShapeError('gate.b', "gate 'fast_decay' needs value-side logits");
  }
  const bs = g.b.shape;
  if (bs.length !== 4 || bs[0] !== g.a.shape[0] || bs[1] !== g.a.shape[1] || bs[2] !== g.a.shape[2]) {
    A.dispose();
    throw new ShapeError(g.b.name, `expected [${g.a.shape.slice(0, 3).join(', ')}, dv], got [${bs.join(', ')}]`);
  }
  const D = gateDispatch(ctx, 'gla', g.b, undefined, invTau, g.clampMin, 1, 'gate.D', g.layer);
  return { A, D };
}
