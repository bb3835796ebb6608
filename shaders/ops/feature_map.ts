// Feature maps φ on the GPU (spec §1.1): identity, relu, elu1, hedgehog and exp_norm for queries
// (featureMap), and exp_norm for keys with its causal running max folded into the log gate (expNormKeys).

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/feature_map.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('feature_map.wgsl', source);

export type FeatureMapKind = 'identity' | 'relu' | 'elu1' | 'hedgehog' | 'exp_norm';

export interface FeatureMapArgs {
  kind: FeatureMapKind;
  /** [B, T, H, dk] */
  x: Tensor;
  /** Hedgehog's W [dk, dk] ([out, in], shared by heads). */
  weight?: Tensor;
  /** Hedgehog's b [dk]. */
  bias?: Tensor;
  layer?: number;
}

function dims4(t: Tensor): [number, number, number, number] {
  const s = t.shape;
  if (s.length !== 4) throw new ShapeError(t.name, `expected [B, T, H, dk], got [${s.join(', ')}]`);
  return [s[0] ?? 0, s[1] ?? 0, s[2] ?? 0, s[3] ?? 0];
}

const layerOf = (layer: number | undefined): { layer?: number } => (layer !== undefined ? { layer } : {});

/**
 * φ(x) per row of dk features. Returns a new tensor: [B, T, H, dk], or [B, T, H, 2dk] for hedgehog.
 * 'identity' returns a copy (callers that own x may skip the op). 'exp_norm' here is the query map;
 * keys use expNormKeys.
 */
export function featureMap(ctx: GpuContext, f: FeatureMapArgs): Tensor {
  const [B, T, H, dk] = dims4(f.x);
  expectShape(f.x, [B, T, H, dk]);
  const rows = B * T * H;
  const info = (kernel: string, flops: number, bytes: number): { kernel: string; op: string; flops: number; bytes: number; layer?: number } => ({
    kernel,
    op: `featureMap.${f.kind}`,
    flops,
    bytes,
    ...layerOf(f.layer),
  });
  if (f.kind === 'identity') {
    const y = ctx.tensor(f.x.shape, 'f32', 'phi');
    ctx.copy(f.x, y);
    return y;
  }
  if (f.kind === 'relu' || f.kind === 'elu1') {
    const y = ctx.tensor(f.x.shape, 'f32', 'phi');
    const kernel = ctx.kernel({ file: 'feature_map.wgsl', sources: SOURCES, defines: { MODE: 'elementwise', KIND: f.kind } });
    ctx.dispatch({
      kernel,
      params: params().u32(rows).u32(dk).u32(H).u32(0).build(),
      bindings: [f.x, y],
      workgroups: grid(ceilDiv(rows * dk, 256)),
      info: info('feature_map', rows * dk, rows * dk * 8),
    });
    return y;
  }
  if (f.kind === 'exp_norm') {
    const y = ctx.tensor(f.x.shape, 'f32', 'phi');
    const kernel = ctx.kernel({ file: 'feature_map.wgsl', sources: SOURCES, defines: { MODE: 'exp_norm_q' } });
    ctx.dispatch({
      kernel,
      params: params().u32(rows).u32(dk).u32(H).u32(0).build(),
      bindings: [f.x, y],
      workgroups: grid(ceilDiv(rows, 8)),
      info: info('feature_map', rows * dk * 3, rows * dk * 8),
    });
    return y;
  }
  // hedgehog
  if (dk > 256) throw new ShapeError(f.x.name, `hedgehog supports dk <= 256 (feature dim <= 512), got ${dk}`);
  if (!f.weight || !f.bias) throw new ShapeError('hedgehog.weight', 'hedgehog needs weight [dk, dk] and bias [dk]');
  expectShape(f.weight, [dk, dk]);
  expectShape(f.bias, [dk]);
  const y = ctx.tensor([B, T, H, 2 * dk], 'f32', 'phi');
  const kernel = ctx.kernel({ file: 'feature_map.wgsl', sources: SOURCES, defines: { MODE: 'hedgehog' } });
  ctx.dispatch({
    kernel,
    params: params().u32(rows).u32(dk).u32(H).u32(0).build(),
    bindings: [f.x, f.weight, f.bias, y],
    workgroups: grid(ceilDiv(rows, 4)),
    info: info('feature_map', rows * (2 * dk * dk + 8 * dk), rows * dk * 12 + dk * dk * 4),
  });
  return y;
}

export interface ExpNormKeysArgs {
  /** [B, T, Hkv, dk] */
  k: Tensor;
  /** Key-side log gate [B, T, Hkv, dk]; absent = no gate (log α = 0). */
  A?: Tensor;
  /** Running max carried from earlier tokens [B, Hkv]; absent = this call starts the sequence. */
  mPrev?: Tensor;
  layer?: number;
}

export interface ExpNormKeys {
  /** φ(k_t) = exp(k_t − M_t), [B, T, Hkv, dk] */
  phiK: Tensor;
  /** log α'_t = log α_t + (M_{t−1} − M_t), [B, T, Hkv, dk] (a new tensor; the input A is untouched) */
  A: Tensor;
  /** M_{T−1} per (b, kv head), [B, Hkv]: pass it as mPrev to continue the sequence. */
  mOut: Tensor;
}

/** exp_norm on keys with the causal running max (spec §1.1), parallel over T: block scan + apply. */
export function expNormKeys(ctx: GpuContext, a: ExpNormKeysArgs): ExpNormKeys {
  const [B, T, Hkv, dk] = dims4(a.k);
  expectShape(a.k, [B, T, Hkv, dk]);
  if (dk % 4 !== 0) throw new ShapeError(a.k.name, `dk must be a multiple of 4, got ${dk}`);
  if (a.A) expectShape(a.A, [B, T, Hkv, dk]);
  if (a.mPrev) expectShape(a.mPrev, [B, Hkv]);
  if (T === 0) throw new ShapeError(a.k.name, 'T must be >= 1');
  const KB = 256;
  const blocks = ceilDiv(T, KB);
  if (blocks > 65535 || B * Hkv > 65535) throw new ShapeError(a.k.name, `too many tokens or heads for one dispatch`);
  const lpre = ctx.tensor([B, Hkv, T], 'f32', 'expnorm.lpre');
  const bmax = ctx.tensor([B, Hkv, blocks], 'f32', 'expnorm.bmax');
  const phiK = ctx.tensor([B, T, Hkv, dk], 'f32', 'phiK');
  const A = ctx.tensor([B, T, Hkv, dk], 'f32', 'expnorm.A');
  const mOut = ctx.tensor([B, Hkv], 'f32', 'expnorm.mOut');
  const p = params().u32(T).u32(dk).u32(Hkv).u32(blocks).build();
  const n = B * T * Hkv * dk;
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'feature_map.wgsl', sources: SOURCES, defines: { MODE: 'key_scan' } }),
    params: p,
    bindings: [a.k, lpre, bmax],
    workgroups: [blocks, B * Hkv],
    info: { kernel: 'feature_map', op: 'expNormKeys.scan', flops: n, bytes: n * 4 + B * Hkv * T * 4, ...layerOf(a.layer) },
  });
  const bindings: Tensor[] = [a.k, lpre, bmax];
  if (a.A) bindings.push(a.A);
  if (a.mPrev) bindings.push(a.mPrev);
  bindings.push(phiK, A, mOut);
  ctx.dispatch({
    kernel: ctx.kernel({
      file: 'feature_map.wgsl',
      sources: SOURCES,
      defines: { MODE: 'key_apply', HAS_A: a.A !== undefined, HAS_MPREV: a.mPrev !== undefined },
    }),
    params: p,
    bindings,
    workgroups: [blocks, B * Hkv],
    info: { kernel: 'feature_map', op: 'expNormKeys.apply', flops: n * 4, bytes: n * (a.A ? 16 : 12), ...layerOf(a.layer) },
  });
  lpre.dispose();
  bmax.dispose();
  return { phiK, A, mOut };
}
