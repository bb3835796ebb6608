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
/** logitsTopK splits rows over several workgroups when there are at most this many rows… */
const TOPK_SPLIT_ROWS = 16;
/** …of more than twice this many logits, this many (about) per workgroup, in at most TOPK_MAX_SPLITS. */
const TOPK_SPLIT_COLS = TWG * 16;
const TOPK_MAX_SPLITS = 64;
const WG = 256;
const CHUNK = WG * 8; // elements per workgroup (kernel: WG · PER_THREAD)
/** Channel sums: rows per block at least, and blocks at most, per fused pass (kernels/capture.wgsl CHAN). */
const CHAN_BLOCK_ROWS = 256;
const CHAN_MAX_BLOCKS = 64;
const EDGE_SLOTS = 280; // histogram edge keys then saturation keys (kernel: edges array<vec4<u32>, 70>)

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

const NO_KEYS = new Uint32Array(0);
const satKeyMemo = new Map<string, Uint32Array>();
const edgeBlocks = new Map<Uint32Array, Map<Uint32Array, Uint32Array>>();

/** The saturation thresholds' f32 keys (low₀, high₀, low₁, …), memoized by value: every tap asks again. Read-only. */
function thresholdKeys(pairs: readonly ThresholdPair[]): Uint32Array {
  const key = pairs.map((t) => `${t.low},${t.high}`).join(';');
  let k = satKeyMemo.get(key);
  if (!k) {
    k = Uint32Array.from(thresholdValues(pairs), f32Key);
    if (satKeyMemo.size > 256) satKeyMemo.clear();
    satKeyMemo.set(key, k);
  }
  return k;
}

/** The params' edge block (histogram keys, then saturation keys, zero-padded), memoized by the two (memoized) key arrays. Read-only. */
function edgeBlock(hist: Uint32Array, sat: Uint32Array): Uint32Array {
  let bySat = edgeBlocks.get(hist);
  if (!bySat) {
    if (edgeBlocks.size > 256) edgeBlocks.clear();
    bySat = new Map();
    edgeBlocks.set(hist, bySat);
  }
  let b = bySat.get(sat);
  if (!b) {
    b = new Uint32Array(EDGE_SLOTS);
    b.set(hist);
    b.set(sat, hist.length);
    bySat.set(sat, b);
  }
  return b;
}

/** Which sections a fused pass computes (kernels/capture.wgsl); every one reads the same tensor x. */
export interface FusedArgs extends Common {
  x: Tensor; // [..., H, D] f32
  /** Histogram counts (H, B + 3). */
  hist?: HistogramSpec;
  /** Saturation counts (H, 2K), up to 8 pairs. */
  thresholds?: readonly ThresholdPair[];
  /** Per-chunk partials of Σ v, Σ v² (v = x or exp(x)): (chunks, H, 2). */
  moments?: 'identity' | 'exp';
  /**
   * Gate-gradient proxies' per-chunk partials (chunks, H, 2): Σ g(1 − g), Σ dF/dg. `a`: x is the base
   * gate's logits (c optional, the refining gate's); `c`: x is the refining gate's, a the base gate's.
   */
  proxies?: { of: 'a'; c?: Tensor } | { of: 'c'; a: Tensor };
  /** ‖x_row,h‖₂ (rows, H). */
  rowNorms?: boolean;
  /** φ entropy per row (rows, H) and #(φ ≤ zero) per head (H). */
  phi?: { zero: number };
  /** Per (head, channel) sums over the rows of v = x or exp(x): partials per row block, blockSums64 adds them. */
  channels?: 'identity' | 'exp';
  /**
   * Where the output goes: `alloc(words)` returns a tensor and the word `at` from which `words` words
   * of it are this pass's, all zero (the caller cleared them: capture clears one arena per group of
   * passes instead of each pass's counters). Default: a new tensor whose counters are cleared here.
   */
  alloc?: (words: number) => { t: Tensor; at: number };
}

/** Word offsets of a fused pass's sections in its output tensor (absent: not computed). */
export interface FusedLayout {
  H: number;
  D: number;
  rows: number;
  /** Chunks of CHUNK elements per head: the partials' first dimension is max(1, chunks). */
  chunks: number;
  hist?: { offset: number; bins: number };
  sat?: { offset: number; width: number };
  moments?: number;
  proxies?: number;
  rowNorms?: number;
  entropy?: number;
  /** Per-chunk Σ of the rows' entropies (max(1, chunks), H): added in float64 by blockSums64. */
  entropySum?: number;
  zeros?: number;
  /** Channel-sum partials (blocks, H, D) at `offset`: blockSums64 over H·D columns. */
  channels?: { offset: number; blocks: number };
  /** Words of this pass (from the first section's offset on). */
  size: number;
}

/** Flags of a job's sections (kernels/capture.wgsl F_*). */
const F = { hist: 1, sat: 2, mom: 4, exp: 8, proxyA: 16, proxyC: 32, refined: 64, rowNorm: 128, phi: 256, chan: 512, chanExp: 1024 } as const;
/** Jobs of one dispatch at most (the params' job table), and input tensors (storage bindings x0…x7). */
const MAX_JOBS = 8;
const MAX_INPUTS = 8;
const JOB_WORDS = 28;

/** A storage binding of an input tensor. */
interface InputRange {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

function rangeOf(t: Tensor): InputRange {
  t.assertAlive();
  return { buffer: t.buffer, offset: t.byteOffset, size: Math.max(4, t.size * 4) };
}

const sameRange = (a: InputRange, b: InputRange): boolean => a.buffer === b.buffer && a.offset === b.offset && a.size === b.size;

/**
 * One fused reduction planned (its output reserved and laid out) but not yet dispatched: dispatchFused
 * runs several in one dispatch. Its inputs must keep their contents until then.
 */
export interface FusedJob {
  readonly out: Tensor;
  readonly layout: FusedLayout;
  /**
   * x, then the other gate's logits (proxies): their buffer ranges, taken while the tensors were alive
   * (a tap's tensor may be disposed before the dispatch; its buffer is reused only after the next submit).
   */
  readonly inputs: readonly InputRange[];
  readonly flags: number;
  /** The Job's words with wg0, xs, ys left 0 (filled per dispatch). */
  readonly words: Uint32Array;
  /** Histogram then saturation keys (EDGE_SLOTS), or null. */
  readonly edges: Uint32Array | null;
  readonly workgroups: number;
  readonly op: string;
  readonly layer: number | undefined;
  readonly flops: number;
  readonly bytes: number;
}

/**
 * Plans one pass over x computing every requested section into one zeroed u32 output (counts exact
 * u32, sums f32 bits) laid out as FusedLayout says; dispatchFused runs it. Partials need finishSums
 * (CPU) or the GPU finish.
 */
export function planFused(ctx: GpuContext, a: FusedArgs): FusedJob {
  const l = layoutOf(a.x, a, 'capture reduction');
  const histKeys = a.hist ? histogramEdgeKeys(a.hist) : NO_KEYS;
  if (a.thresholds && a.thresholds.length > 8) throw new ShapeError('capture.thresholds', 'at most 8 threshold pairs');
  const satKeys = a.thresholds ? thresholdKeys(a.thresholds) : NO_KEYS;
  const other = a.proxies ? (a.proxies.of === 'a' ? a.proxies.c : a.proxies.a) : undefined;
  if (other) {
    expectShape(other, a.x.shape);
    if (other.dtype !== 'f32') throw new ShapeError(other.name, 'gate proxies need f32 tensors');
  }
  // Row blocks of ≥ CHAN_BLOCK_ROWS rows, at most CHAN_MAX_BLOCKS (what comes back stays small) and
  // at most one per chunk (each block has its workgroup).
  const blocks = a.channels ? Math.max(1, Math.min(l.chunks, CHAN_MAX_BLOCKS, Math.ceil(l.rows / CHAN_BLOCK_ROWS))) : 0;
  const words = Math.max(1, layoutFused(l, a, satKeys.length, blocks, 0).lay.size);
  let out: Tensor;
  let at = 0;
  if (a.alloc) ({ t: out, at } = a.alloc(words));
  else out = ctx.tensor([words], 'u32', `${a.op ?? 'capture'}.out`);
  const { lay, counters } = layoutFused(l, a, satKeys.length, blocks, at);
  // (No chunk: the partials' one slot is never written, so everything is cleared.)
  if (!a.alloc) ctx.zeroFirst(out, l.chunks === 0 ? out.size : counters);
  const refined = a.proxies !== undefined && (a.proxies.of === 'c' || a.proxies.c !== undefined);
  const flags =
    (a.hist ? F.hist : 0) |
    (satKeys.length > 0 ? F.sat : 0) |
    (a.moments ? F.mom : 0) |
    (a.moments === 'exp' ? F.exp : 0) |
    (a.proxies?.of === 'a' ? F.proxyA : 0) |
    (a.proxies?.of === 'c' ? F.proxyC : 0) |
    (refined ? F.refined : 0) |
    (a.rowNorms ? F.rowNorm : 0) |
    (a.phi ? F.phi : 0) |
    (a.channels ? F.chan : 0) |
    (a.channels === 'exp' ? F.chanExp : 0);
  const w = new Uint32Array(JOB_WORDS);
  const f32 = new Float32Array(w.buffer);
  w.set([l.rows, l.H, l.D, l.chunks, histKeys.length, satKeys.length, l.row0, flags]);
  w.set([lay.hist?.offset ?? 0, lay.sat?.offset ?? 0, lay.zeros ?? 0, lay.moments ?? 0, lay.proxies ?? 0, lay.rowNorms ?? 0, lay.entropy ?? 0, lay.channels?.offset ?? 0], 8);
  f32[16] = a.phi?.zero ?? 0;
  w[17] = blocks;
  w[18] = blocks > 0 ? Math.ceil(l.rows / blocks) : 0;
  w[19] = a.hist ? (a.hist.value === 'exp' ? 1 : 0) + (a.hist.scale === 'logit' ? 2 : 0) : 0;
  f32[20] = a.hist?.lo ?? 0;
  f32[21] = a.hist ? a.hist.bins / (a.hist.hi - a.hist.lo) : 0;
  w[22] = lay.entropySum ?? 0;
  const perElement = (a.hist ? Math.ceil(Math.log2(a.hist.bins + 1)) + 2 : 0) + satKeys.length + (a.moments ? 3 : 0) + (a.proxies ? 12 : 0) + (a.rowNorms ? 2 : 0) + (a.phi ? 8 : 0) + (a.channels ? 5 : 0);
  const n = l.rows * l.H * l.D;
  return {
    out,
    layout: lay,
    inputs: other ? [rangeOf(a.x), rangeOf(other)] : [rangeOf(a.x)],
    flags,
    words: w,
    edges: a.hist || satKeys.length > 0 ? edgeBlock(histKeys, satKeys) : null,
    workgroups: l.chunks * l.H,
    op: a.op ?? 'capture',
    layer: a.layer,
    flops: n * Math.max(1, perElement),
    bytes: n * 4 * (other ? 2 : 1),
  };
}

/**
 * Runs planned jobs, as few dispatches as the limits allow: consecutive jobs writing the same output
 * tensor share one (at most MAX_JOBS jobs and MAX_INPUTS distinct inputs, fewer when the device binds
 * fewer storage buffers). Jobs in one dispatch run concurrently (a layer's capture passes each fill a
 * fraction of a large GPU, and one after another each cost a launch and a drain).
 */
export function dispatchFused(ctx: GpuContext, jobs: readonly FusedJob[]): void {
  const maxInputs = Math.max(1, Math.min(MAX_INPUTS, ctx.device.limits.maxStorageBuffersPerShaderStage - 1));
  let group: FusedJob[] = [];
  let inputs: InputRange[] = [];
  const slot = (r: InputRange): number => inputs.findIndex((q) => sameRange(q, r));
  for (const j of jobs) {
    const added = j.inputs.filter((r, i) => slot(r) < 0 && j.inputs.findIndex((q) => sameRange(q, r)) === i);
    if (group.length > 0 && (group.length === MAX_JOBS || inputs.length + added.length > maxInputs || j.out !== group[0]?.out)) {
      dispatchGroup(ctx, group, inputs);
      group = [];
      inputs = [];
    }
    group.push(j);
    for (const r of j.inputs) if (slot(r) < 0) inputs.push(r);
  }
  if (group.length > 0) dispatchGroup(ctx, group, inputs);
}

function dispatchGroup(ctx: GpuContext, jobs: readonly FusedJob[], inputs: readonly InputRange[]): void {
  const slot = (r: InputRange | undefined): number => (r ? inputs.findIndex((q) => sameRange(q, r)) : 0);
  const nj = jobs.length;
  let flags = 0;
  for (const j of jobs) flags |= j.flags;
  const edges = (flags & (F.hist | F.sat)) !== 0;
  const words = new Uint32Array(4 + nj * JOB_WORDS + (edges ? nj * EDGE_SLOTS : 0));
  let wg = 0;
  jobs.forEach((j, k) => {
    const o = 4 + k * JOB_WORDS;
    words.set(j.words, o);
    words[o + 23] = wg;
    words[o + 24] = slot(j.inputs[0]);
    words[o + 25] = slot(j.inputs[1]);
    if (edges && j.edges) words.set(j.edges, 4 + nj * JOB_WORDS + k * EDGE_SLOTS);
    wg += j.workgroups;
  });
  const [gx, gy] = grid(wg);
  words[0] = nj;
  words[1] = gx;
  const defines: Record<string, string | number | boolean> = {
    MODE: 'fused',
    NJ: nj,
    HIST: (flags & F.hist) !== 0,
    SAT: (flags & F.sat) !== 0,
    MOM: (flags & F.mom) !== 0,
    PROXY: (flags & (F.proxyA | F.proxyC)) !== 0,
    ROWNORM: (flags & F.rowNorm) !== 0,
    PHI: (flags & F.phi) !== 0,
    CHAN: (flags & F.chan) !== 0,
  };
  for (let s = 1; s < MAX_INPUTS; s++) defines[`X${s}`] = s < inputs.length;
  const layer = jobs[0]?.layer;
  const one = jobs.length === 1 ? jobs[0] : undefined;
  let flops = 0;
  let bytes = 0;
  for (const j of jobs) {
    flops += j.flops;
    bytes += j.bytes;
  }
  ctx.dispatch({
    kernel: ctx.kernel({ file: 'capture.wgsl', sources: SOURCES, defines, overrides: { WG } }),
    params: words.buffer,
    bindings: [jobs[0]?.out as Tensor, ...inputs],
    workgroups: [gx, wg === 0 ? 0 : gy],
    info: {
      kernel: 'capture',
      op: one ? one.op : `capture[${jobs.map((j) => j.op.replace(/^capture\./, '')).join(',')}]`,
      ...(layer !== undefined && jobs.every((j) => j.layer === layer) ? { layer } : {}),
      flops,
      bytes,
    },
  });
}

/** One pass over x computing every requested section (planFused, dispatched at once). */
export function fusedReduce(ctx: GpuContext, a: FusedArgs): { out: Tensor; layout: FusedLayout } {
  const j = planFused(ctx, a);
  dispatchFused(ctx, [j]);
  return { out: j.out, layout: j.layout };
}

/**
 * The sections of a fused pass laid out from word `at`: the atomic counters first (only they need
 * zeros: every other word is written by exactly one workgroup whenever there is a chunk), then the
 * rest; `counters` is the counters' word count.
 */
function layoutFused(l: Layout, a: FusedArgs, satWidth: number, blocks: number, at: number): { lay: FusedLayout; counters: number } {
  const parts = Math.max(1, l.chunks) * l.H * 2;
  const lay: FusedLayout = { H: l.H, D: l.D, rows: l.rows, chunks: l.chunks, size: 0 };
  const take = (n: number): number => {
    const o = at + lay.size;
    lay.size += n;
    return o;
  };
  if (a.hist) lay.hist = { offset: take(l.H * (a.hist.bins + 3)), bins: a.hist.bins };
  if (satWidth > 0) lay.sat = { offset: take(l.H * satWidth), width: satWidth };
  if (a.phi) lay.zeros = take(l.H);
  const counters = lay.size;
  if (a.moments) lay.moments = take(parts);
  if (a.proxies) lay.proxies = take(parts);
  if (a.rowNorms) lay.rowNorms = take(l.rows * l.H);
  if (a.phi) {
    lay.entropy = take(l.rows * l.H);
    lay.entropySum = take(Math.max(1, l.chunks) * l.H);
  }
  if (a.channels) lay.channels = { offset: take(blocks * l.H * l.D), blocks };
  return { lay, counters };
}

/**
 * Σ over blocks of (blocks, width) f32 partials at `offset`, added in float64: a fused pass's channel
 * sums (width H·D) or per-chunk entropy sums (width H).
 */
export function blockSums64(words: Float32Array, offset: number, blocks: number, width: number): Float64Array {
  const out = new Float64Array(width);
  for (let b = 0; b < blocks; b++) {
    const at = offset + b * width;
    for (let i = 0; i < width; i++) out[i] = (out[i] as number) + (words[at + i] as number);
  }
  return out;
}

/**
 * The workgroup tree sum of kernels/capture.wgsl (tree_sum) over lanes r[o .. o + n), the other WG − n
 * lanes holding +0: the same f32 additions in the same order, without the ones that add a +0 lane.
 * Those change nothing here: every lane was started as +0 plus its partials (finishSums), so no lane
 * and no sum of lanes is −0 (x + y is −0 only when both are), and x + (+0) = x for every other x.
 * Overwrites the lanes.
 */
function treeSum(r: Float32Array, o: number, n: number): number {
  for (let s = WG / 2; s > 0; s >>= 1) {
    if (s >= n) continue; // every lane < s would add a +0 lane
    for (let lid = 0; lid + s < n; lid++) r[o + lid] = (r[o + lid] as number) + (r[o + lid + s] as number);
    n = s;
  }
  return n > 0 ? (r[o] as number) : 0;
}

/** Scratch lanes of finishSums, one column's WG lanes (single-threaded; never held across calls). */
const lanes = new Float32Array(WG);

/**
 * The finish of per-chunk partials (chunks, H, 2) starting at word `offset` of `words`, computed on
 * the CPU in f32 exactly as the GPU finish does: per column c < 2H, chunk i added to lane i mod WG
 * (lanes start at +0, chunks in order, each addition rounded to f32: Math.fround of the float64 sum
 * of two f32 values is their f32 sum), then the same tree over the lanes. A column at a time, its
 * lanes gathered in one strided pass (no clearing, no read-modify-write of every lane per chunk):
 * [H·2].
 */
export function finishSums(words: Float32Array, offset: number, chunks: number, H: number): Float32Array {
  const cols = H * 2;
  const out = new Float32Array(cols);
  const r = lanes;
  const n = Math.min(chunks, WG);
  const stride = cols * WG;
  for (let c = 0; c < cols; c++) {
    for (let lane = 0, at = offset + c; lane < n; lane++, at += cols) {
      let s = 0; // +0: a −0 partial comes out +0, as on the GPU
      for (let i = at, k = lane; k < chunks; k += WG, i += stride) s = Math.fround(s + (words[i] as number));
      r[lane] = s;
    }
    out[c] = treeSum(r, 0, n);
  }
  return out;
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
  const { spec, ...rest } = a;
  const { out, layout } = fusedReduce(ctx, { ...rest, hist: spec, op: a.op ?? 'histogram' });
  return out.view([layout.H, spec.bins + 3], `${a.op ?? 'histogram'}.counts`);
}

export interface SaturationArgs extends Common {
  x: Tensor; // [..., H, D] f32
  /** Up to 8 pairs; see alphaThreshold, logitThreshold, valueThreshold. */
  thresholds: readonly ThresholdPair[];
}

/** Per-head saturation counts: u32 [H, 2K], per pair #(x < low) then #(x > high); NaN never counts. */
export function saturation(ctx: GpuContext, a: SaturationArgs): Tensor {
  if (a.thresholds.length === 0) return ctx.tensor([layoutOf(a.x, a, 'saturation').H, 0], 'u32', `${a.op ?? 'saturation'}.counts`);
  const { out, layout } = fusedReduce(ctx, { ...a, op: a.op ?? 'saturation' });
  return out.view([layout.H, layout.sat?.width ?? 0], `${a.op ?? 'saturation'}.counts`);
}

/** Partials [chunks, H, 2] → [H, 2] (or [H] = sqrt of column 1 when norm) on the GPU. */
function finish(ctx: GpuContext, part: Tensor, l: FusedLayout, norm: boolean, a: Common, op: string): Tensor {
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

export interface MomentsArgs extends Common {
  x: Tensor; // [..., H, D] f32
  /** 'exp': sums of v = exp(x) (e.g. α from log α). */
  value?: 'identity' | 'exp';
}

/** Per-head sums f32 [H, 2]: Σ v and Σ v² (tree sums per 2048-element chunk, then over chunks). */
export function headMoments(ctx: GpuContext, a: MomentsArgs): Tensor {
  const { value, ...rest } = a;
  const { out, layout } = fusedReduce(ctx, { ...rest, moments: value ?? 'identity', op: a.op ?? 'moments' });
  return finish(ctx, out, layout, false, a, 'moments');
}

export interface ProxyArgs extends Common {
  a: Tensor; // [..., H, D] base gate logits
  c?: Tensor; // same shape: refining gate logits
}

/** Per-head sums f32 [H, 2]: Σ g(1 − g) and Σ dF/dg = Σ 2(1 − r)g + 2r(1 − g) (0 without c). */
export function gateProxies(ctx: GpuContext, a: ProxyArgs): Tensor {
  const { a: x, c, ...rest } = a;
  const { out, layout } = fusedReduce(ctx, { ...rest, x, proxies: c ? { of: 'a', c } : { of: 'a' }, op: a.op ?? 'gate_proxies' });
  return finish(ctx, out, layout, false, a, 'gate_proxies');
}

export interface StateNormArgs extends Omit<Common, 'heads' | 'headDim' | 'rows'> {
  state: Tensor; // [..., H, dk, dv]
}

/** The head layout of a recurrent state [..., H, dk, dv] read as H heads of dk·dv elements. */
export function stateLayout(state: Tensor): Required<HeadLayout> {
  const s = state.shape;
  if (s.length < 3) throw new ShapeError(state.name, `state norm needs [..., H, dk, dv], got [${s.join(', ')}]`);
  return { heads: s.at(-3) as number, headDim: (s.at(-2) as number) * (s.at(-1) as number) };
}

/** Per-head Frobenius norm f32 [H] of a recurrent state [..., H, dk, dv]. */
export function stateNorm(ctx: GpuContext, a: StateNormArgs): Tensor {
  const { state, ...rest } = a;
  const { out, layout } = fusedReduce(ctx, { ...rest, x: state, ...stateLayout(state), moments: 'identity', op: a.op ?? 'state_norm' });
  return finish(ctx, out, layout, true, a, 'state_norm');
}

// ---- Per-token reductions (kernels/capture_tokens.wgsl) ----

function tokenKernel(ctx: GpuContext, defines: Record<string, string | number | boolean>): ReturnType<GpuContext['kernel']> {
  return ctx.kernel({ file: 'capture_tokens.wgsl', sources: TOKEN_SOURCES, defines, overrides: { WG: TWG } });
}

function tokenInfo(op: string, a: Common, flops: number, bytes: number): { kernel: string; op: string; layer?: number; flops: number; bytes: number } {
  return { kernel: 'capture_tokens', op: a.op ?? op, ...(a.layer !== undefined ? { layer: a.layer } : {}), flops, bytes };
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
  const info = tokenInfo('topk', { ...(a.layer !== undefined ? { layer: a.layer } : {}), ...(a.op ? { op: a.op } : {}) }, l.rows * l.D * 2, l.rows * l.D * 4);
  // Few rows of many logits (a prefill's last token, a decode step): S workgroups per row each keep
  // the k best of their columns, then one workgroup per row picks from those S·k candidates.
  const S = l.rows > 0 && l.rows <= TOPK_SPLIT_ROWS && l.D > 2 * TOPK_SPLIT_COLS ? Math.min(TOPK_MAX_SPLITS, Math.ceil(l.D / TOPK_SPLIT_COLS)) : 1;
  if (S > 1) {
    const span = Math.ceil(l.D / S);
    const candIds = ctx.tensor([l.rows, S * a.k], 'u32', `${a.op ?? 'topk'}.cand_ids`);
    const candValues = ctx.tensor([l.rows, S * a.k], 'f32', `${a.op ?? 'topk'}.cand_values`);
    try {
      ctx.dispatch({
        kernel: tokenKernel(ctx, { MODE: 'topk', K: a.k, SPLIT: true }),
        params: params().u32(l.rows).u32(l.D).u32(l.row0).u32(S).u32(span).u32(S).u32(0).u32(0).build(),
        bindings: [a.logits, candIds, candValues],
        workgroups: [S, l.rows],
        info,
      });
      const [gx, gy] = grid(l.rows);
      ctx.dispatch({
        kernel: tokenKernel(ctx, { MODE: 'topk', K: a.k, CAND: true }),
        params: params().u32(l.rows).u32(S * a.k).u32(0).u32(gx).u32(0).u32(1).u32(0).u32(0).build(),
        bindings: [candValues, ids, values, candIds],
        workgroups: [gx, gy],
        info: { ...info, flops: l.rows * S * a.k * 2, bytes: l.rows * S * a.k * 8 },
      });
    } finally {
      candIds.dispose();
      candValues.dispose();
    }
    return { ids, values };
  }
  const [gx, gy] = grid(l.rows);
  ctx.dispatch({
    kernel: tokenKernel(ctx, { MODE: 'topk', K: a.k }),
    params: params().u32(l.rows).u32(l.D).u32(l.row0).u32(gx).u32(0).u32(1).u32(0).u32(0).build(),
    bindings: [a.logits, ids, values],
    workgroups: [gx, l.rows === 0 ? 0 : gy],
    info,
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
