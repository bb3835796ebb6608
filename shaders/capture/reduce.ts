// Capture reductions on the GPU (kernels/capture.wgsl): per-head histograms, saturation counts,
// sums (moments, gate-gradient proxies) and state norms. Each op only enqueues work and returns a
// new tensor (caller disposes), so they may run inside a forward pass's tap. Counts are exact u32.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/capture.wgsl';
import tokenSource from '../kernels/capture_tokens.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { grid } from '../ops/util.js';
import { histogramEdgeKeys, thresholdValues, f32Key, type HistogramSpec, type ThresholdPair } from './edges.js';

const SOURCES = sourcesFor('capture.wgsl', source);
const TOKEN_SOURCES = sourcesFor('capture_tokens.wgsl', tokenSource);
/** Threads per workgroup of the per-token kernels (capture_tokens.wgsl). */
const TWG = 64;
/** Largest k of logitsTopK. */
export const MAX_TOP_K = 32;
const WG = 256;
const CHUNK = WG * 8; // elements per workgroup (kernel: WG · PER_THREAD)
const EDGE_SLOTS = 260;

/** How a tensor splits into heads: element i is in head (i / headDim) % heads. */
export interface HeadLayout {
  /** Default: the second-to-last dimension (1 for a vector). */
  heads?: number;
  /** Default: the last dimension. */
  headDim?: number;
}

/** Rows [start, start + count) of a [rows, H, D] tensor (a token range); default all rows. */
export interface RowRange {
  start: number;
  count: number;
}

interface Common extends HeadLayout {
  layer?: number;
  op?: string;
  /** Only these rows count (histogram, saturation, moments, proxies). */
  rows?: RowRange;
}

interface Layout {
  H: number;
  D: number;
  rows: number;
  row0: number;
  chunks: number;
}

function layoutOf(x: Tensor, l: HeadLayout & { rows?: RowRange }, name: string): Layout {
  if (x.dtype !== 'f32') throw new ShapeError(x.name, `${name} needs an f32 tensor, is ${x.dtype}`);
  const D = l.headDim ?? x.shape.at(-1) ?? 1;
  const H = l.heads ?? (x.shape.length >= 2 ? (x.shape.at(-2) as number) : 1);
  if (!Number.isInteger(H) || !Number.isInteger(D) || H < 1 || D < 1 || x.size % (H * D) !== 0) {
    throw new ShapeError(x.name, `${x.size} elements do not split into rows of ${H} heads × ${D}`);
  }
  const all = x.size / (H * D);
  const r = l.rows ?? { start: 0, count: all };
  if (!Number.isInteger(r.start) || !Number.isInteger(r.count) || r.start < 0 || r.count < 0 || r.start + r.count > all) {
    throw new ShapeError(x.name, `rows [${r.start}, ${r.start + r.count}) out of range ${all}`);
  }
  return { H, D, rows: r.count, row0: r.start, chunks: Math.ceil((r.count * D) / CHUNK) };
}

function info(op: string, a: Common, l: Layout, flopsPer: number): { kernel: string; op: string; layer?: number; flops: number; bytes: number } {
  const n = l.rows * l.H * l.D;
  return { kernel: 'capture', op: a.op ?? op, ...(a.layer !== undefined ? { layer: a.layer } : {}), flops: n * flopsPer, bytes: n * 4 };
}

function keyParams(l: Layout, gx: number, keys: Uint32Array): ArrayBuffer {
  const p = params().u32(l.rows).u32(l.H).u32(l.D).u32(gx).u32(l.chunks).u32(keys.length).u32(l.row0).u32(0);
  for (let i = 0; i < EDGE_SLOTS; i++) p.u32(keys[i] ?? 0);
  return p.build();
}

export interface HistogramArgs extends Common {
  x: Tensor; // [..., H, D] f32
  spec: HistogramSpec;
}

/**
 * Per-head histogram: u32 counts [H, B + 3] (B bins, then under, over, NaN). Bins follow
 * capture/edges.ts: the value (or exp of the input) binned linearly or by logit over [lo, hi].
 */
export function histogram(ctx: GpuContext, a: HistogramArgs): Tensor {
  const l = layoutOf(a.x, a, 'histogram');
  const keys = histogramEdgeKeys(a.spec);
  const out = ctx.tensor([l.H, a.spec.bins + 3], 'u32', `${a.op ?? 'histogram'}.counts`);
  ctx.zero(out);
  const [gx, gy] = grid(l.chunks);
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'capture.wgsl', sources: SOURCES, defines: { MODE: 'hist' }, overrides: { WG } }),
    params: keyParams(l, gx, keys),
    bindings: [a.x, out],
    workgroups: [gx, gy, l.chunks === 0 ? 0 : l.H],
    info: info('histogram', a, l, Math.ceil(Math.log2(a.spec.bins + 1)) + 2),
  });
  return out;
}

export interface SaturationArgs extends Common {
  x: Tensor; // [..., H, D] f32
  /** Up to 8 pairs; see alphaThreshold, logitThreshold, valueThreshold. */
  thresholds: readonly ThresholdPair[];
}

/** Per-head saturation counts: u32 [H, 2K], per pair #(x < low) then #(x > high); NaN never counts. */
export function saturation(ctx: GpuContext, a: SaturationArgs): Tensor {
  const l = layoutOf(a.x, a, 'saturation');
  const keys = Uint32Array.from(thresholdValues(a.thresholds), f32Key);
  const out = ctx.tensor([l.H, keys.length], 'u32', `${a.op ?? 'saturation'}.counts`);
  ctx.zero(out);
  const [gx, gy] = grid(l.chunks);
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'capture.wgsl', sources: SOURCES, defines: { MODE: 'sat' }, overrides: { WG } }),
    params: keyParams(l, gx, keys),
    bindings: [a.x, out],
    workgroups: [gx, gy, l.chunks === 0 ? 0 : l.H],
    info: info('saturation', a, l, keys.length),
  });
  return out;
}

/** Partials [chunks, H, 2] → [H, 2] (or [H] = sqrt of column 1 when norm). */
function finish(ctx: GpuContext, part: Tensor, l: Layout, norm: boolean, a: Common, op: string): Tensor {
  const out = ctx.tensor(norm ? [l.H] : [l.H, 2], 'f32', `${a.op ?? op}.out`);
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'capture.wgsl', sources: SOURCES, defines: { MODE: 'finish', NORM: norm }, overrides: { WG } }),
    params: params().u32(l.chunks).u32(l.H).u32(0).u32(0).build(),
    bindings: [part, out],
    workgroups: [l.H],
    info: { kernel: 'capture', op: `${a.op ?? op}.finish`, ...(a.layer !== undefined ? { layer: a.layer } : {}), flops: l.chunks * l.H * 2, bytes: l.chunks * l.H * 8 },
  });
  part.dispose();
  return out;
}

function sums(ctx: GpuContext, l: Layout, a: Common, op: string, defines: Record<string, string | boolean>, inputs: Tensor[], flopsPer: number, norm: boolean): Tensor {
  const part = ctx.tensor([Math.max(1, l.chunks), l.H, 2], 'f32', `${a.op ?? op}.partials`);
  const [gx, gy] = grid(l.chunks);
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'capture.wgsl', sources: SOURCES, defines, overrides: { WG } }),
    params: params().u32(l.rows).u32(l.H).u32(l.D).u32(gx).u32(l.chunks).u32(0).u32(l.row0).u32(0).build(),
    bindings: [...inputs, part],
    workgroups: [gx, gy, l.chunks === 0 ? 0 : l.H],
    info: info(op, a, l, flopsPer),
  });
  return finish(ctx, part, l, norm, a, op);
}

export interface MomentsArgs extends Common {
  x: Tensor; // [..., H, D] f32
  /** 'exp': sums of v = exp(x) (e.g. α from log α). */
  value?: 'identity' | 'exp';
}

/** Per-head sums f32 [H, 2]: Σ v and Σ v² (tree sums per 2048-element chunk, then over chunks). */
export function headMoments(ctx: GpuContext, a: MomentsArgs): Tensor {
  const l = layoutOf(a.x, a, 'moments');
  // The kernel's sums path uses a Params struct without edges: any MODE other than the named ones.
  return sums(ctx, l, a, 'moments', { MODE: 'moments', EXP: a.value === 'exp' }, [a.x], 3, false);
}

export interface ProxyArgs extends Common {
  a: Tensor; // [..., H, D] base gate logits
  c?: Tensor; // same shape: refining gate logits
}

/** Per-head sums f32 [H, 2]: Σ g(1 − g) and Σ dF/dg = Σ 2(1 − r)g + 2r(1 − g) (0 without c). */
export function gateProxies(ctx: GpuContext, a: ProxyArgs): Tensor {
  const l = layoutOf(a.a, a, 'gate proxies');
  if (a.c) expectShape(a.c, a.a.shape);
  return sums(ctx, l, a, 'gate_proxies', { MODE: 'proxy', REFINED: a.c !== undefined }, a.c ? [a.a, a.c] : [a.a], 12, false);
}

export interface StateNormArgs extends Omit<Common, 'heads' | 'headDim' | 'rows'> {
  state: Tensor; // [..., H, dk, dv]
}

/** Per-head Frobenius norm f32 [H] of a recurrent state [..., H, dk, dv]. */
export function stateNorm(ctx: GpuContext, a: StateNormArgs): Tensor {
  const s = a.state.shape;
  if (s.length < 3) throw new ShapeError(a.state.name, `state norm needs [..., H, dk, dv], got [${s.join(', ')}]`);
  const l = layoutOf(a.state, { heads: s.at(-3) as number, headDim: (s.at(-2) as number) * (s.at(-1) as number) }, 'state norm');
  return sums(ctx, l, a, 'state_norm', { MODE: 'moments', EXP: false }, [a.state], 2, true);
}

// ---- Per-token reductions (kernels/capture_tokens.wgsl) ----

function tokenKernel(ctx: GpuContext, defines: Record<string, string | number | boolean>): ReturnType<GpuContext['kernel']> {
  return ctx.kernel({ file: 'capture_tokens.wgsl', sources: TOKEN_SOURCES, defines, overrides: { WG: TWG } });
}

function tokenInfo(op: string, a: Common, flops: number, bytes: number): { kernel: string; op: string; layer?: number; flops: number; bytes: number } {
  return { kernel: 'capture_tokens', op: a.op ?? op, ...(a.layer !== undefined ? { layer: a.layer } : {}), flops, bytes };
}

export interface RowNormArgs extends Common {
  x: Tensor; // [..., H, D] f32
}

/** Per row and head: ‖x_row,h‖₂, f32 [rows, H] (e.g. ‖o_t‖ per head per token). */
export function rowNorms(ctx: GpuContext, a: RowNormArgs): Tensor {
  const l = layoutOf(a.x, a, 'row norms');
  const out = ctx.tensor([l.rows, l.H], 'f32', `${a.op ?? 'row_norms'}.out`);
  const [gx, gy] = grid(Math.ceil((l.rows * l.H) / TWG));
  ctx.dispatch({
    kernel: tokenKernel(ctx, { MODE: 'rownorm' }),
    params: params().u32(l.rows).u32(l.H).u32(l.D).u32(l.row0).u32(gx).f32(0).u32(0).u32(0).build(),
    bindings: [a.x, out],
    workgroups: [gx, l.rows === 0 ? 0 : gy],
    info: tokenInfo('row_norms', a, l.rows * l.H * l.D * 2, l.rows * l.H * l.D * 4),
  });
  return out;
}

export interface PhiStatsArgs extends Common {
  x: Tensor; // [..., H, D] f32 features φ
  /** Entries ≤ this count as zero (default 1e-6, compared in f32). */
  zero?: number;
}

/**
 * Feature sparsity and entropy: `entropy` f32 [rows, H], the entropy −Σ p log p of p = max(φ, 0) / Σ
 * max(φ, 0) per row and head (0 when the sum is 0; NaN entries ignored); `zeros` u32 [H], the number
 * of entries ≤ zero per head over the rows (NaN never counts).
 */
export function phiStats(ctx: GpuContext, a: PhiStatsArgs): { entropy: Tensor; zeros: Tensor } {
  const l = layoutOf(a.x, a, 'phi stats');
  const entropy = ctx.tensor([l.rows, l.H], 'f32', `${a.op ?? 'phi_stats'}.entropy`);
  const zeros = ctx.tensor([l.H], 'u32', `${a.op ?? 'phi_stats'}.zeros`);
  ctx.zero(zeros);
  const [gx, gy] = grid(Math.ceil((l.rows * l.H) / TWG));
  ctx.dispatch({
    kernel: tokenKernel(ctx, { MODE: 'phi' }),
    params: params().u32(l.rows).u32(l.H).u32(l.D).u32(l.row0).u32(gx).f32(a.zero ?? 1e-6).u32(0).u32(0).build(),
    bindings: [a.x, entropy, zeros],
    workgroups: [gx, l.rows === 0 ? 0 : gy],
    info: tokenInfo('phi_stats', a, l.rows * l.H * l.D * 8, l.rows * l.H * l.D * 8),
  });
  return { entropy, zeros };
}

export interface ChannelSumsArgs extends Common {
  x: Tensor; // [..., H, D] f32
  /** 'exp': sums of exp(x) (α from log α). */
  value?: 'identity' | 'exp';
}

/** Per (head, channel) sums over the rows, f32 [H, D] (compensated): Σ_t α_t,h,c for the mean α per channel. */
export function channelSums(ctx: GpuContext, a: ChannelSumsArgs): Tensor {
  const l = layoutOf(a.x, a, 'channel sums');
  const out = ctx.tensor([l.H, l.D], 'f32', `${a.op ?? 'channel_sums'}.out`);
  const [gx, gy] = grid(Math.ceil((l.H * l.D) / TWG));
  ctx.dispatch({
    kernel: tokenKernel(ctx, { MODE: 'colsum', EXP: a.value === 'exp' }),
    params: params().u32(l.rows).u32(l.H).u32(l.D).u32(l.row0).u32(gx).u32(0).u32(0).u32(0).build(),
    bindings: [a.x, out],
    workgroups: [gx, gy],
    info: tokenInfo('channel_sums', a, l.rows * l.H * l.D * 5, l.rows * l.H * l.D * 4),
  });
  return out;
}

export interface TopKArgs {
  logits: Tensor; // [rows, V] f32
  k: number;
  rows?: RowRange;
  layer?: number;
  op?: string;
}

/**
 * The k largest values of each row, in order (ties: the smaller id first; NaN skipped; rows with fewer
 * than k non-NaN values pad with id 0xffffffff and value NaN): ids u32 [rows, k], values f32 [rows, k].
 */
export function logitsTopK(ctx: GpuContext, a: TopKArgs): { ids: Tensor; values: Tensor } {
  if (!Number.isInteger(a.k) || a.k < 1 || a.k > MAX_TOP_K) throw new ShapeError('capture.topk', `k must be an integer in 1..${MAX_TOP_K}, got ${a.k}`);
  const l = layoutOf(a.logits, { heads: 1, ...(a.rows ? { rows: a.rows } : {}) }, 'top-k');
  const ids = ctx.tensor([l.rows, a.k], 'u32', `${a.op ?? 'topk'}.ids`);
  const values = ctx.tensor([l.rows, a.k], 'f32', `${a.op ?? 'topk'}.values`);
  const [gx, gy] = grid(l.rows);
  ctx.dispatch({
    kernel: tokenKernel(ctx, { MODE: 'topk', K: a.k }),
    params: params().u32(l.rows).u32(l.D).u32(l.row0).u32(gx).build(),
    bindings: [a.logits, ids, values],
    workgroups: [gx, l.rows === 0 ? 0 : gy],
    info: tokenInfo('topk', { ...(a.layer !== undefined ? { layer: a.layer } : {}), ...(a.op ? { op: a.op } : {}) }, l.rows * l.D * 2, l.rows * l.D * 4),
  });
  return { ids, values };
}

export interface TokenStateNormArgs {
  /** State entering the block [..., Hkv, dk, dv] (read only). */
  state: Tensor;
  /** φ(k) [..., T, Hkv, dk] and v [..., T, Hkv, dv]. */
  k: Tensor;
  v: Tensor;
  /** Key-side log gate [..., T, Hkv, dk]; value-side log gate [..., T, Hkv, dv] (spec §3.4). */
  A?: Tensor;
  D?: Tensor;
  /** Tokens [start, start + count) of the block whose norms are written (default all). */
  rows?: RowRange;
  layer?: number;
  op?: string;
}

/**
 * ‖S_t‖_F per token and kv head, f32 [count, Hkv]: replays S_t = (exp(A_t) exp(D_t)ᵀ) ⊙ S_{t−1} + k_t v_tᵀ
 * from the state entering the block (spec §3.1, §3.4), token-serially per slab of state entries, and
 * writes only the norms (S_t after token t, i.e. inclusive, as the read-out sees it).
 */
export function tokenStateNorms(ctx: GpuContext, a: TokenStateNormArgs): Tensor {
  const ss = a.state.shape;
  if (ss.length < 3) throw new ShapeError(a.state.name, `state needs [..., Hkv, dk, dv], got [${ss.join(', ')}]`);
  const [H, dk, dv] = ss.slice(-3) as [number, number, number];
  const T = a.k.size / (H * dk);
  if (!Number.isInteger(T) || a.k.shape.at(-1) !== dk || a.k.shape.at(-2) !== H) throw new ShapeError(a.k.name, `φ(k) must be [..., T, ${H}, ${dk}], got [${a.k.shape.join(', ')}]`);
  if (a.v.size !== T * H * dv || a.v.shape.at(-1) !== dv) throw new ShapeError(a.v.name, `v must be [..., ${T}, ${H}, ${dv}], got [${a.v.shape.join(', ')}]`);
  if (a.A && a.A.size !== a.k.size) throw new ShapeError(a.A.name, `log α must match φ(k) [${a.k.shape.join(', ')}]`);
  if (a.D && a.D.size !== a.v.size) throw new ShapeError(a.D.name, `log β must match v [${a.v.shape.join(', ')}]`);
  for (const t of [a.state, a.k, a.v, a.A, a.D]) if (t && t.dtype !== 'f32') throw new ShapeError(t.name, 'state norms need f32 tensors');
  const r = a.rows ?? { start: 0, count: T };
  if (!Number.isInteger(r.start) || !Number.isInteger(r.count) || r.start < 0 || r.count < 0 || r.start + r.count > T) {
    throw new ShapeError(a.k.name, `rows [${r.start}, ${r.start + r.count}) out of range ${T}`);
  }
  if (H > 65535) throw new ShapeError(a.state.name, 'more than 65535 kv heads');
  const slabs = Math.ceil((dk * dv) / (4 * TWG));
  const part = ctx.tensor([Math.max(1, r.count * H * slabs)], 'f32', `${a.op ?? 'token_state_norms'}.partials`);
  const order: Array<[string, Tensor | undefined]> = [['S0', a.state], ['K', a.k], ['V', a.v], ['A', a.A], ['D', a.D], ['OUT', part]];
  const defines: Record<string, string | number | boolean> = { MODE: 'replay', HAS_A: a.A !== undefined, HAS_D: a.D !== undefined };
  const bindings: Tensor[] = [];
  for (const [name, t] of order) {
    if (!t) continue;
    bindings.push(t);
    defines[`BIND_${name}`] = bindings.length;
  }
  const T1 = r.start + r.count;
  ctx.dispatch({
    kernel: tokenKernel(ctx, defines),
    params: params().u32(T1).u32(r.start).u32(H).u32(dk).u32(dv).u32(slabs).u32(0).u32(0).build(),
    bindings,
    workgroups: [slabs, r.count === 0 ? 0 : H],
    info: { kernel: 'capture_tokens', op: a.op ?? 'token_state_norms', ...(a.layer !== undefined ? { layer: a.layer } : {}), flops: T1 * H * dk * dv * 6, bytes: T1 * H * (dk + dv) * 8 },
  });
  const out = ctx.tensor([r.count, H], 'f32', `${a.op ?? 'token_state_norms'}.out`);
  const n = r.count * H;
  const [gx, gy] = grid(Math.ceil(n / TWG));
  ctx.dispatch({
    kernel: tokenKernel(ctx, { MODE: 'slabsum' }),
    params: params().u32(n).u32(slabs).u32(gx).u32(0).build(),
    bindings: [part, out],
    workgroups: [gx, n === 0 ? 0 : gy],
    info: { kernel: 'capture_tokens', op: `${a.op ?? 'token_state_norms'}.finish`, ...(a.layer !== undefined ? { layer: a.layer } : {}), flops: n * slabs, bytes: n * slabs * 4 },
  });
  part.dispose();
  return out;
}
