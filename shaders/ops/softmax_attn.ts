// Causal softmax attention for the hybrid layers (spec §1.5, §2): the KV-cache append and the
// tiled online-softmax kernel, with a split-over-keys (flash-decoding) path plus its combine step
// for decode and for prefill with too few row blocks to fill the GPU.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import source from '../kernels/softmax_attn.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';

const SOURCES = sourcesFor('softmax_attn.wgsl', source);
const THREADS = 128;
/** Workgroup memory budget in f32 words (16 KiB). */
const SMEM_WORDS = 4096;
/** Split over keys until about this many workgroups have work (8 per SM on a 132-SM GPU). */
const TARGET_WORKGROUPS = 1024;
const MIN_KEYS_PER_SPLIT = 64;

export interface KvAppendArgs {
  k: Tensor; // [T, Hkv, hd], roped
  v: Tensor; // [T, Hkv, hd]
  kCache: Tensor; // [Tmax, Hkv, hd]
  vCache: Tensor; // [Tmax, Hkv, hd]
  pos0: number;
}

/** Copies the T new key/value rows into the caches at rows pos0 .. pos0 + T - 1 (in encoder order). */
export function kvAppend(ctx: GpuContext, a: KvAppendArgs): void {
  const [T, Hkv, hd] = a.k.shape as [number, number, number];
  expectShape(a.k, [-1, -1, -1]);
  expectShape(a.v, [T, Hkv, hd]);
  const Tmax = a.kCache.shape[0] ?? 0;
  expectShape(a.kCache, [Tmax, Hkv, hd]);
  expectShape(a.vCache, [Tmax, Hkv, hd]);
  if (!Number.isInteger(a.pos0) || a.pos0 < 0 || a.pos0 + T > Tmax) {
    throw new ShapeError(a.kCache.name, `rows ${a.pos0}..${a.pos0 + T - 1} do not fit a cache of ${Tmax} positions`);
  }
  const row = Hkv * hd;
  ctx.copy(a.k, a.kCache, 0, a.pos0 * row, T * row);
  ctx.copy(a.v, a.vCache, 0, a.pos0 * row, T * row);
}

export interface SoftmaxAttentionArgs {
  q: Tensor; // [T, Hq, hd], roped
  kCache: Tensor; // [Tmax, Hkv, hd], rows 0 .. pos0 + T - 1 valid (roped keys)
  vCache: Tensor; // [Tmax, Hkv, hd]
  pos0: number;
  T: number;
  /** Score scale; default hd^-1/2. */
  scale?: number;
  /**
   * Keys per split (flash-decoding): 0 never splits, a number forces that split size (rounded up
   * to the key tile, 128 keys on the decode path), undefined chooses (splits until about 1024
   * workgroups have work). Decode (T * Hq / Hkv <= decodeRows(hd)) always ends with the combine.
   */
  keysPerSplit?: number;
  out?: Tensor;
  layer?: number;
  op?: string;
}

/** Tile shapes of one kernel variant (see kernels/softmax_attn.wgsl). */
export interface AttnTiling {
  HD: number;
  HDP: number;
  BQ: number;
  BK: number;
  RM: number;
  CN: number;
  KG: number;
  RM2: number;
  DV4: number;
  DG: number;
}

/**
 * Tiles for head dim hd. `small` (few rows: decode) keeps one row per thread in the output phase,
 * so BQ is 16 or 32; otherwise each thread accumulates up to 64 outputs (BQ 32..128).
 */
export function attnTiling(hd: number, small: boolean): AttnTiling {
  const HDP = Math.ceil(hd / 16) * 16;
  const V4 = HDP / 4;
  const DG = V4 % 8 === 0 ? 8 : 4;
  const DV4 = V4 / DG;
  const RG2 = THREADS / DG;
  let RM2 = 1;
  if (!small) {
    RM2 = Math.min(THREADS / RG2, 2 ** Math.floor(Math.log2(Math.max(1, 64 / (4 * DV4)))));
    RM2 = Math.max(1, RM2);
  }
  const BQ = RG2 * RM2;
  const shape = (BK: number): AttnTiling & { words: number } => {
    const spt = (BQ * BK) / THREADS;
    const CN = Math.min(4, spt);
    const RM = spt / CN;
    const KG = BK / CN;
    return { HD: hd, HDP, BQ, BK, RM, CN, KG, RM2, DV4, DG, words: BK * (V4 + 1) * 4 + BK * BQ + BQ * KG };
  };
  let t = shape(16);
  if (t.words > SMEM_WORDS) t = shape(8);
  const { words: _, ...tiling } = t;
  return tiling;
}

/** Largest number of rows (T * G per kv head) the decode kernel takes: 8, or 4 past hd 128. */
export function decodeRows(hd: number): number {
  return hd > 128 ? 4 : 8;
}

/** How one attention call runs: which kernel, which tiles, how the keys are split. */
export interface AttnPlan {
  path: 'tiled' | 'decode';
  /** Compile-time sizes (WGSL defines) of the main kernel. */
  defines: Record<string, number | boolean>;
  /** Keys per split; nsplit > 1 (or the decode path) adds the combine step. */
  chunk: number;
  nsplit: number;
  /** Row blocks of the tiled kernel (1 for decode). */
  nrb: number;
}

export function attnPlan(T: number, pos0: number, Hq: number, Hkv: number, hd: number, keysPerSplit?: number): AttnPlan {
  const G = Hq / Hkv;
  const rows = T * G;
  const keys = pos0 + T;
  if (rows <= decodeRows(hd)) {
    const CH = THREADS;
    let chunk = ceilDiv(keys, CH) * CH;
    if (keysPerSplit !== undefined) {
      if (keysPerSplit > 0) chunk = Math.min(chunk, ceilDiv(keysPerSplit, CH) * CH);
    } else {
      chunk = Math.min(chunk, Math.max(CH, ceilDiv(ceilDiv(keys * Hkv, TARGET_WORKGROUPS), CH) * CH));
    }
    const RD = 2 ** Math.ceil(Math.log2(rows));
    const V4A2 = 2 ** Math.ceil(Math.log2(hd / 4));
    return { path: 'decode', defines: { HD: hd, RD, V4A2, DECODE: true }, chunk, nsplit: ceilDiv(keys, chunk), nrb: 1 };
  }
  const large = attnTiling(hd, false);
  const tl = rows < large.BQ / 2 ? attnTiling(hd, true) : large;
  const nrb = ceilDiv(rows, tl.BQ);
  let chunk = keys;
  if (keysPerSplit !== undefined) {
    if (keysPerSplit > 0) chunk = Math.min(keys, ceilDiv(keysPerSplit, tl.BK) * tl.BK);
  } else {
    // Causal work is uneven (the last row block reads every key): cut the key range into chunks
    // so that about TARGET_WORKGROUPS non-empty workgroups share it; the combine step is cheap.
    let work = 0;
    for (let rb = 0; rb < nrb; rb++) work += pos0 + Math.floor((Math.min((rb + 1) * tl.BQ, rows) - 1) / G) + 1;
    const want = ceilDiv(work * Hkv, TARGET_WORKGROUPS);
    if (want < keys) chunk = Math.min(keys, Math.max(MIN_KEYS_PER_SPLIT, ceilDiv(want, tl.BK) * tl.BK));
  }
  const nsplit = ceilDiv(keys, chunk);
  return { path: 'tiled', defines: { ...tl, SPLIT: nsplit > 1 }, chunk, nsplit, nrb };
}

export function softmaxAttention(ctx: GpuContext, a: SoftmaxAttentionArgs): Tensor {
  const { T, pos0 } = a;
  const [Tq, Hq, hd] = a.q.shape as [number, number, number];
  expectShape(a.q, [-1, -1, -1]);
  if (Tq !== T) throw new ShapeError(a.q.name, `expected ${T} query rows, got ${Tq}`);
  const Tmax = a.kCache.shape[0] ?? 0;
  const Hkv = a.kCache.shape[1] ?? 0;
  expectShape(a.kCache, [Tmax, Hkv, hd]);
  expectShape(a.vCache, [Tmax, Hkv, hd]);
  if (hd % 4 !== 0 || hd < 4 || hd > 256) throw new ShapeError(a.q.name, `head dim must be a multiple of 4 in 4..256, got ${hd}`);
  if (Hkv < 1 || Hq % Hkv !== 0) throw new ShapeError(a.kCache.name, `${Hq} query heads cannot share ${Hkv} kv heads`);
  if (!Number.isInteger(pos0) || pos0 < 0 || T < 1 || pos0 + T > Tmax) {
    throw new ShapeError(a.kCache.name, `positions ${pos0}..${pos0 + T - 1} are not all in a cache of ${Tmax}`);
  }
  const o = a.out ?? ctx.tensor([T, Hq, hd], 'f32', `${a.op ?? 'attn'}.out`);
  expectShape(o, [T, Hq, hd]);

  const G = Hq / Hkv;
  const rows = T * G;
  const keys = pos0 + T;
  const plan = attnPlan(T, pos0, Hq, Hkv, hd, a.keysPerSplit);
  if (plan.nrb > 65535 || plan.nsplit > 65535) throw new ShapeError(a.q.name, `${rows} query rows per kv head exceed this kernel's grid`);
  const decode = plan.path === 'decode';
  const split = decode || plan.nsplit > 1;
  const scale = a.scale ?? 1 / Math.sqrt(hd);
  const p = params()
    .u32(T)
    .u32(Hq)
    .u32(Hkv)
    .u32(G)
    .u32(pos0)
    .u32(rows)
    .u32(split ? plan.chunk : keys)
    .u32(plan.nsplit)
    .f32(scale * Math.LOG2E)
    .u32(plan.nrb)
    .u32(0)
    .u32(0)
    .build();
  const kernel = ctx.kernel({ file: 'softmax_attn.wgsl', sources: SOURCES, defines: plan.defines });
  const base = {
    op: a.op ?? 'softmax_attn',
    ...(a.layer !== undefined ? { layer: a.layer } : {}),
    tokens: [pos0, pos0 + T] as const,
  };
  // Causal pairs; 4 flops per pair and dim (q.k and p.v, multiply-add each).
  const pairs = T * pos0 + (T * (T + 1)) / 2;
  const flops = 4 * pairs * Hq * hd;
  const bytes = 4 * (2 * T * Hq * hd + 2 * keys * Hkv * hd * plan.nrb);
  if (!split) {
    ctx.dispatch({
      kernel,
      params: p,
      bindings: [a.q, a.kCache, a.vCache, o],
      workgroups: [plan.nrb, Hkv, 1],
      info: { kernel: 'softmax_attn', ...base, flops, bytes },
    });
    return o;
  }
  const po = ctx.tensor([plan.nsplit, Hkv, rows, hd], 'f32', 'attn.partial_o');
  const pml = ctx.tensor([plan.nsplit, Hkv, rows, 2], 'f32', 'attn.partial_ml');
  ctx.dispatch({
    kernel,
    params: p,
    bindings: [a.q, a.kCache, a.vCache, po, pml],
    workgroups: decode ? [plan.nsplit, Hkv, 1] : [plan.nrb, Hkv, plan.nsplit],
    info: { kernel: decode ? 'softmax_attn_decode' : 'softmax_attn_split', ...base, flops, bytes: bytes + po.size * 4 + pml.size * 4 },
  });
  const combine = ctx.kernel({ file: 'softmax_attn.wgsl', sources: SOURCES, defines: { HD: hd, COMBINE: true } });
  ctx.dispatch({
    kernel: combine,
    params: p,
    bindings: [po, pml, o],
    workgroups: grid(ceilDiv((rows * Hkv * hd) / 4, THREADS)),
    info: { kernel: 'softmax_attn_combine', ...base, flops: plan.nsplit * rows * Hkv * hd * 3, bytes: (po.size + pml.size + o.size) * 4 },
  });
  po.dispose();
  pml.dispose();
  return o;
}
