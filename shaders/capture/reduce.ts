// Capture reductions on the GPU (kernels/capture.wgsl): per-head histograms, saturation counts,
// sums (moments, gate-gradient proxies) and state norms. Each op only enqueues work and returns a
// new tensor (caller disposes), so they may run inside a forward pass's tap. Counts are exact u32.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/capture.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { grid } from '../ops/util.js';
import { histogramEdgeKeys, thresholdValues, f32Key, type HistogramSpec, type ThresholdPair } from './edges.js';

const SOURCES = sourcesFor('capture.wgsl', source);
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

interface Common extends HeadLayout {
  layer?: number;
  op?: string;
}

interface Layout {
  H: number;
  D: number;
  rows: number;
  chunks: number;
}

function layoutOf(x: Tensor, l: HeadLayout, name: string): Layout {
  if (x.dtype !== 'f32') throw new ShapeError(x.name, `${name} needs an f32 tensor, is ${x.dtype}`);
  const D = l.headDim ?? x.shape.at(-1) ?? 1;
  const H = l.heads ?? (x.shape.length >= 2 ? (x.shape.at(-2) as number) : 1);
  if (!Number.isInteger(H) || !Number.isInteger(D) || H < 1 || D < 1 || x.size % (H * D) !== 0) {
    throw new ShapeError(x.name, `${x.size} elements do not split into rows of ${H} heads × ${D}`);
  }
  const rows = x.size / (H * D);
  return { H, D, rows, chunks: Math.ceil((rows * D) / CHUNK) };
}

function info(op: string, a: Common, l: Layout, flopsPer: number): { kernel: string; op: string; layer?: number; flops: number; bytes: number } {
  const n = l.rows * l.H * l.D;
  return { kernel: 'capture', op: a.op ?? op, ...(a.layer !== undefined ? { layer: a.layer } : {}), flops: n * flopsPer, bytes: n * 4 };
}

function keyParams(l: Layout, gx: number, keys: Uint32Array): ArrayBuffer {
  const p = params().u32(l.rows).u32(l.H).u32(l.D).u32(gx).u32(l.chunks).u32(keys.length).u32(0).u32(0);
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
    params: params().u32(l.rows).u32(l.H).u32(l.D).u32(gx).u32(l.chunks).u32(0).u32(0).u32(0).build(),
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

export interface StateNormArgs extends Omit<Common, 'heads' | 'headDim'> {
  state: Tensor; // [..., H, dk, dv]
}

/** Per-head Frobenius norm f32 [H] of a recurrent state [..., H, dk, dv]. */
export function stateNorm(ctx: GpuContext, a: StateNormArgs): Tensor {
  const s = a.state.shape;
  if (s.length < 3) throw new ShapeError(a.state.name, `state norm needs [..., H, dk, dv], got [${s.join(', ')}]`);
  const l = layoutOf(a.state, { heads: s.at(-3) as number, headDim: (s.at(-2) as number) * (s.at(-1) as number) }, 'state norm');
  return sums(ctx, l, a, 'state_norm', { MODE: 'moments', EXP: false }, [a.state], 2, true);
}
