// Effective attention (spec §3.5): the causal matrix A[t, u] = s·Σ_i φ(q_t)_i (Π_{w=u+1..t} α_w,i) φ(k_u)_i
// of one query head over a token window, materialized from captured φ(q), φ(k) and log α, or one row
// of it. Only the window's own tokens enter A: A·V reproduces the layer's o only when the window
// starts at 0 (or the state entering it is zero). With a value-side gate (fast_decay's log D), o_t,j =
// Σ_u A[t, u]·exp(Σ_{w=u+1..t} log D_w,j)·v_u,j: the matrix depends on the value channel j, so it is
// materialized for one chosen `valueChannel`; without one, the key-side matrix comes back marked
// valueGate: 'per-channel' (it reproduces o only after the per-channel decay).

import { params, type GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/effective_attention.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from '../ops/util.js';

const SOURCES = sourcesFor('effective_attention.wgsl', source);
const FILE = 'effective_attention.wgsl';

/** Longest window effectiveAttention materializes (W² floats: 16 MiB at 2048). */
export const MAX_ATTENTION_WINDOW = 2048;

export interface EffectiveAttentionInputs {
  phiQ: Tensor; // [1, T, Hq, dkf]
  phiK: Tensor; // [1, T, Hkv, dkf]
  /** log α [1, T, Hkv, dkf], already folded for exp_norm (tap point 'gate.logA'); absent: no gate. */
  A?: Tensor | undefined;
  /** Query head; its kv group is head / (Hq / Hkv). */
  head: number;
  /** s (readoutScale); ignored with the denominator, as in the model. */
  scale: number;
  /** Rows divided by their unscaled sum + 1e-6 (the model's denominator form). */
  denominator?: boolean;
  /** Value-side log gate log D [1, T, Hkv, dv] (tap point 'gate.logD', fast_decay). */
  D?: Tensor | undefined;
  /** Value channel j in 0…dv−1 whose decay exp(D_t,j − D_u,j) multiplies A (needs D). */
  valueChannel?: number | undefined;
  layer?: number;
}

/**
 * How the value-side gate is in the result: 'none' (no D given), 'applied' (the matrix of
 * `valueChannel`: A·V[:, j] = o[:, j]), 'per-channel' (D given, no channel: the key-side matrix).
 */
export type ValueGate = 'none' | 'applied' | 'per-channel';

/** The matrix (or row) tensor, marked with how the value gate enters it. */
export type EffectiveAttentionTensor = Tensor & { readonly valueGate: ValueGate; readonly valueChannel?: number };

export interface EffectiveAttentionArgs extends EffectiveAttentionInputs {
  /** Window [t0, t1), t1 − t0 ≤ 2048. */
  t0: number;
  t1: number;
}

export interface EffectiveAttentionRowArgs extends EffectiveAttentionInputs {
  /** Query token t: the row A[t, 0..t] over the window [0, t + 1). */
  token: number;
}

interface Dims {
  T: number;
  Hq: number;
  Hkv: number;
  dkf: number;
  /** Value dim of D (0 without D). */
  dv: number;
}

function dimsOf(a: EffectiveAttentionInputs): Dims {
  const s = a.phiQ.shape;
  if (s.length !== 4 || s[0] !== 1) throw new ShapeError('attention.phiQ', `expected [1, T, Hq, dkf], got [${s.join(', ')}]`);
  const [, T, Hq, dkf] = s as [number, number, number, number];
  const k = a.phiK.shape;
  if (k.length !== 4 || k[0] !== 1 || k[1] !== T || k[3] !== dkf) {
    throw new ShapeError('attention.phiK', `expected [1, ${T}, Hkv, ${dkf}], got [${k.join(', ')}]`);
  }
  const Hkv = k[2] as number;
  if (Hkv < 1 || Hq % Hkv !== 0) throw new ShapeError('attention.phiK', `Hq = ${Hq} must be a multiple of Hkv = ${Hkv}`);
  if (a.A) {
    const g = a.A.shape;
    if (g.length !== 4 || g[0] !== 1 || g[1] !== T || g[2] !== Hkv || g[3] !== dkf) {
      throw new ShapeError('attention.A', `expected [1, ${T}, ${Hkv}, ${dkf}], got [${g.join(', ')}]`);
    }
  }
  if (!Number.isInteger(a.head) || a.head < 0 || a.head >= Hq) throw new ShapeError('attention.head', `${a.head} is not a head in 0…${Hq - 1}`);
  let dv = 0;
  if (a.D) {
    const g = a.D.shape;
    if (g.length !== 4 || g[0] !== 1 || g[1] !== T || g[2] !== Hkv) throw new ShapeError('attention.D', `expected [1, ${T}, ${Hkv}, dv], got [${g.join(', ')}]`);
    dv = g[3] as number;
  }
  if (a.valueChannel !== undefined) {
    if (!a.D) throw new ShapeError('attention.valueChannel', 'a value channel needs the value-side gate D');
    if (!Number.isInteger(a.valueChannel) || a.valueChannel < 0 || a.valueChannel >= dv) {
      throw new ShapeError('attention.valueChannel', `${a.valueChannel} is not a value channel in 0…${dv - 1}`);
    }
  }
  return { T, Hq, Hkv, dkf, dv };
}

/** rows × W output for window-relative rows [row0, row0 + rows) over the window [t0, t0 + W). */
function run(ctx: GpuContext, a: EffectiveAttentionInputs, d: Dims, t0: number, W: number, row0: number, rows: number, op: string): EffectiveAttentionTensor {
  const kvHead = Math.floor(a.head / (d.Hq / d.Hkv));
  const paramsFor = (channels: number, valueChannel: number): ArrayBuffer =>
    params()
      .u32(W)
      .u32(rows)
      .u32(row0)
      .u32(t0)
      .u32(d.Hq)
      .u32(d.Hkv)
      .u32(channels)
      .u32(a.head)
      .u32(kvHead)
      .f32(a.denominator ? 1 : a.scale)
      .u32(valueChannel)
      .u32(0)
      .build();
  const p = paramsFor(d.dkf, 0);
  const layer = a.layer !== undefined ? { layer: a.layer } : {};
  const cumsum = (x: Tensor, channels: number, pp: ArrayBuffer, name: string): Tensor => {
    const out = ctx.tensor([W, channels], 'f32', `${op}.${name}`);
    ctx.dispatch({
      kernel: ctx.kernel({ file: FILE, sources: SOURCES, defines: { PASS: 0 } }),
      params: pp,
      bindings: [x, out],
      workgroups: [ceilDiv(channels, 64), 1],
      info: { kernel: 'effective_attention.cumsum', op, ...layer, flops: W * channels, bytes: W * channels * 8 },
    });
    return out;
  };
  const G = a.A ? cumsum(a.A, d.dkf, p, 'cumlogA') : undefined;
  const y = ctx.tensor([rows, W], 'f32', `${op}.out`);
  ctx.dispatch({
    kernel: ctx.kernel({ file: FILE, sources: SOURCES, defines: { PASS: 1, HAS_A: a.A !== undefined } }),
    params: p,
    bindings: G ? [a.phiQ, a.phiK, G, y] : [a.phiQ, a.phiK, y],
    workgroups: [ceilDiv(W, 16), ceilDiv(rows, 16)],
    info: { kernel: 'effective_attention', op, ...layer, flops: rows * W * d.dkf * (G ? 4 : 2), bytes: (rows + W) * d.dkf * (G ? 8 : 4) + rows * W * 4 },
  });
  G?.dispose();
  if (a.denominator) {
    ctx.dispatch({
      kernel: ctx.kernel({ file: FILE, sources: SOURCES, defines: { PASS: 2 } }),
      params: p,
      bindings: [y],
      workgroups: grid(rows),
      info: { kernel: 'effective_attention.normalize', op, ...layer, flops: rows * W * 2, bytes: rows * W * 8 },
    });
  }
  // The value-side decay of one channel, after the denominator (z carries only the key-side gate).
  if (a.D && a.valueChannel !== undefined) {
    const pd = paramsFor(d.dv, a.valueChannel);
    const Dc = cumsum(a.D, d.dv, pd, 'cumlogD');
    ctx.dispatch({
      kernel: ctx.kernel({ file: FILE, sources: SOURCES, defines: { PASS: 3 } }),
      params: pd,
      bindings: [Dc, y],
      workgroups: [ceilDiv(W, 16), ceilDiv(rows, 16)],
      info: { kernel: 'effective_attention.value_gate', op, ...layer, flops: rows * W * 3, bytes: rows * W * 8 },
    });
    Dc.dispose();
  }
  return mark(y, a);
}

function mark(t: Tensor, a: EffectiveAttentionInputs): EffectiveAttentionTensor {
  const valueGate: ValueGate = !a.D ? 'none' : a.valueChannel === undefined ? 'per-channel' : 'applied';
  return Object.assign(t, { valueGate }, a.valueChannel !== undefined && a.D ? { valueChannel: a.valueChannel } : {});
}

/** The causal matrix [W, W] (W = t1 − t0) of query head `head` over the window; the caller disposes it. */
export function effectiveAttention(ctx: GpuContext, a: EffectiveAttentionArgs): EffectiveAttentionTensor {
  const d = dimsOf(a);
  const W = a.t1 - a.t0;
  if (!Number.isInteger(a.t0) || !Number.isInteger(a.t1) || a.t0 < 0 || a.t1 > d.T || W < 1 || W > MAX_ATTENTION_WINDOW) {
    throw new ShapeError('attention.window', `[${a.t0}, ${a.t1}) must lie in [0, ${d.T}] with 1…${MAX_ATTENTION_WINDOW} tokens`);
  }
  return run(ctx, a, d, a.t0, W, 0, W, 'effective_attention');
}

/** Row t of the matrix over the window [0, t + 1): [t + 1]; the caller disposes it. */
export function effectiveAttentionRow(ctx: GpuContext, a: EffectiveAttentionRowArgs): EffectiveAttentionTensor {
  const d = dimsOf(a);
  const t = a.token;
  if (!Number.isInteger(t) || t < 0 || t >= d.T) throw new ShapeError('attention.token', `${t} is not a token in 0…${d.T - 1}`);
  const y = run(ctx, a, d, 0, t + 1, t, 1, 'effective_attention_row');
  return mark(y.view([t + 1]), a);
}
