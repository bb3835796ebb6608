// The fused single-token GLA layer step (kernels/gla_step.wgsl): conv, gates, feature maps, state
// update, read-out, denominator, output norm and gate in one dispatch per layer. The model uses it
// for decode when `glaStepSupported` says the shapes fit its workgroup memory; otherwise it runs
// the unfused ops, which compute the same thing.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/gla_step.wgsl';
import { sourcesFor } from '../kernels/sources.js';

const SOURCES = sourcesFor('gla_step.wgsl', source);

export interface GlaStepDims {
  Hq: number;
  Hkv: number;
  dk: number;
  /** Feature dim after the map (2·dk for hedgehog). */
  dkf: number;
  dv: number;
  /** Low-rank gate rank, 0 for full rank. */
  rank: number;
  /** Conv size K (1 when there is no short conv). */
  K: number;
}

/** Element offsets of the segments in the projection vector (-1 = absent). */
export interface ProjOffsets {
  q: number;
  k: number;
  v: number;
  gk: number;
  gr: number;
  gv: number;
  g: number;
}

/** Element offsets of the small weights in the packed per-layer buffer (0 when unused). */
export interface PackedOffsets {
  qc: number;
  kc: number;
  vc: number;
  w1k: number;
  b1k: number;
  w1r: number;
  b1r: number;
  w1v: number;
  b1v: number;
  hqw: number;
  hqb: number;
  hkw: number;
  hkb: number;
  nw: number;
  nb: number;
}

/** The short-conv histories of one layer, in one buffer (so one binding serves q, k and v). */
export interface ConvHistory {
  buffer: Tensor;
  q: number;
  k: number;
  v: number;
}

export interface GlaStepArgs {
  dims: GlaStepDims;
  gate: 'none' | 'gla' | 'sigmoid' | 'refined' | 'fast_decay';
  featureMap: 'identity' | 'relu' | 'elu1' | 'hedgehog' | 'exp_norm';
  norm: 'rmsnorm' | 'layernorm' | 'none';
  denominator: boolean;
  outputGate: boolean;
  conv: boolean;
  invTau: number;
  clampMin: number | null;
  scale: number;
  eps: number;
  /** True when no token has been seen yet (exp_norm: no running max to fold). */
  first: boolean;
  proj: Tensor; // [N]
  offsets: ProjOffsets;
  packed: Tensor;
  packedOffsets: PackedOffsets;
  state: Tensor; // [1, Hkv, dkf, dv]
  zState: Tensor; // [1, Hkv, dkf]
  keyMax: Tensor; // [1, Hkv]
  /** Conv histories (with `conv`): one buffer holding q [K-1, Hq·dk], k, v at element offsets. */
  hist?: ConvHistory;
  out?: Tensor; // [Hq·dv]
  layer?: number;
}

/** Whether the fused step fits its workgroup buffers for these shapes. */
export function glaStepSupported(d: GlaStepDims, featureMap: string): boolean {
  const G = d.Hq / d.Hkv;
  return (
    Number.isInteger(G) &&
    G <= 8 &&
    G * d.dkf <= 1536 &&
    d.dkf <= 512 &&
    d.dv <= 256 &&
    (featureMap !== 'hedgehog' || (G + 1) * d.dk <= 1024)
  );
}

export function glaStep(ctx: GpuContext, a: GlaStepArgs): Tensor {
  const d = a.dims;
  if (!glaStepSupported(d, a.featureMap)) {
    throw new ShapeError('gla_step', `shapes Hq ${d.Hq}, Hkv ${d.Hkv}, dkf ${d.dkf}, dv ${d.dv} exceed the fused step's workgroup buffers`);
  }
  const G = d.Hq / d.Hkv;
  expectShape(a.state, [1, d.Hkv, d.dkf, d.dv]);
  expectShape(a.zState, [1, d.Hkv, d.dkf]);
  expectShape(a.keyMax, [1, d.Hkv]);
  if (a.conv) {
    const h = a.hist;
    const need = (h?.v ?? 0) + (d.K - 1) * d.Hkv * d.dv;
    if (!h || h.buffer.size < need) throw new ShapeError('gla_step.hist', `conv histories need ${need} elements`);
  }
  const o = a.offsets;
  const need = Math.max(o.q + d.Hq * d.dk, o.k + d.Hkv * d.dk, o.v + d.Hkv * d.dv, o.g >= 0 ? o.g + d.Hq * d.dv : 0);
  if (a.proj.size < need) throw new ShapeError(a.proj.name, `${a.proj.size} elements, the segments need ${need}`);
  const y = a.out ?? ctx.tensor([d.Hq * d.dv], 'f32', 'gla_step.out');
  expectShape(y, [d.Hq * d.dv]);
  const gate = a.gate === 'sigmoid' ? 'gla' : a.gate;
  // Optional bindings take the next slots after the four fixed ones (layout 'auto' drops unused ones).
  const bindings: Tensor[] = [a.proj, a.state, y];
  const slot = (t: Tensor): number => bindings.push(t);
  const slots: Record<string, number> = {};
  const usesPacked = a.conv || d.rank > 0 || a.featureMap === 'hedgehog' || a.norm !== 'none';
  if (usesPacked) slots['BIND_PK'] = slot(a.packed);
  if (a.denominator) slots['BIND_Z'] = slot(a.zState);
  if (a.featureMap === 'exp_norm') slots['BIND_M'] = slot(a.keyMax);
  if (a.conv && a.hist) slots['BIND_H'] = slot(a.hist.buffer);
  const kernel = ctx.kernel({
    file: 'gla_step.wgsl',
    sources: SOURCES,
    defines: {
      GATE: gate,
      FMAP: a.featureMap,
      NORM: a.norm === 'layernorm' ? 2 : a.norm === 'rmsnorm' ? 1 : 0,
      DENOM: a.denominator,
      OUT_GATE: a.outputGate,
      CONV: a.conv,
      LOWRANK: d.rank > 0,
      CLAMP: a.clampMin !== null,
      USES_PK: usesPacked,
      ...slots,
    },
  });
  const p = a.packedOffsets;
  const at = (v: number): number => Math.max(0, v);
  ctx.dispatch({
    kernel,
    params: params()
      .u32(d.Hq).u32(d.Hkv).u32(d.dk).u32(d.dkf)
      .u32(d.dv).u32(G).u32(d.rank).u32(d.K)
      .u32(at(o.q)).u32(at(o.k)).u32(at(o.v)).u32(at(o.gk))
      .u32(at(o.gr)).u32(at(o.gv)).u32(at(o.g)).u32(a.first ? 1 : 0)
      .f32(a.invTau).f32(a.clampMin ?? 0).f32(a.scale).f32(a.eps)
      .u32(p.qc).u32(p.kc).u32(p.vc).u32(p.w1k)
      .u32(p.b1k).u32(p.w1r).u32(p.b1r).u32(p.w1v)
      .u32(p.b1v).u32(p.hqw).u32(p.hqb).u32(p.hkw)
      .u32(p.hkb).u32(p.nw).u32(p.nb).u32(a.hist?.q ?? 0)
      .u32(a.hist?.k ?? 0).u32(a.hist?.v ?? 0).u32(0).u32(0)
      .build(),
    bindings,
    workgroups: [d.Hkv],
    info: {
      kernel: 'gla_step',
      op: 'gla_step',
      ...(a.layer !== undefined ? { layer: a.layer } : {}),
      tokens: [0, 1],
      flops: d.Hkv * d.dkf * d.dv * (3 + 2 * G),
      bytes: 4 * (2 * d.Hkv * d.dkf * d.dv + a.proj.size + d.Hq * d.dv),
    },
  });
  return y;
}
