// Dense products on the GPU: the tiled matmul y = x·wᵀ (+ bias) (+ residual) for prefill, the GEMV
// path it takes for a few rows (decode), the NN and naive variants the benchmark compares, and the
// fused decode kernels gemvNorm (residual sum + RMSNorm + projection) and mlpPartial (norm + SwiGLU
// MLP as split-K partial sums).

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import { mlpSliceStart } from '../cpu/matmul.js';
import matmulSource from '../kernels/matmul.wgsl';
import gemvSource from '../kernels/gemv.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv, grid } from './util.js';
import { swiglu } from './elementwise.js';

const MATMUL = sourcesFor('matmul.wgsl', matmulSource);
const GEMV = sourcesFor('gemv.wgsl', gemvSource);

/** Workgroup tile of the tiled kernel: BM × BN outputs, K step BK; (BM/tm)·(BN/8) threads. */
export interface MatmulTile {
  bm: number;
  bn: number;
  bk: number;
  /** Rows of y per thread: 8 (default) or 16 (twice the products per workgroup-memory read). */
  tm?: 8 | 16;
  /** Tile rows visited together for L2 reuse (default 8). */
  groupM?: number;
}

// 16 rows per thread, 128 threads: on the H200 (tune, 2026-12-02) 38.7 TFLOP/s at 4096³ against 36.3
// for 8 rows per thread, 256 threads, and the best of the 2048-row model products.
export const TILE_LARGE: Readonly<MatmulTile> = { bm: 128, bn: 128, bk: 8, tm: 16 };
export const TILE_SMALL: Readonly<MatmulTile> = { bm: 64, bn: 64, bk: 8 };

/** Rows up to which matmul takes the GEMV kernel (bandwidth-bound decode). */
export const GEMV_MAX_ROWS = 4;
/** Tiles of TILE_LARGE below which the 64×64 tile is used (to fill the GPU's multiprocessors). */
const LARGE_TILE_MIN_TILES = 192;
/** Tile rows visited together (L2 reuse of weight panels). */
const GROUP_M = 8;

export interface MatmulArgs {
  x: Tensor; // [M, K]
  w: Tensor; // [N, K]: Linear weights are [out, in], y = x·wᵀ
  bias?: Tensor | undefined; // [N]
  residual?: Tensor | undefined; // [M, N]: y = residual + x·wᵀ (+ bias); may be `out` itself
  out?: Tensor | undefined; // [M, N]
  op?: string;
  layer?: number;
  /** 'auto' (default): GEMV for M ≤ GEMV_MAX_ROWS, else tiled. */
  path?: 'auto' | 'tiled' | 'gemv';
  /** Tiled path only; default chosen from the problem size. */
  tile?: MatmulTile;
  /** GEMV path only: threads sharing one weight row (power of two, 4…256); default from K. */
  gemvThreadsPerRow?: number;
  /**
   * x is [gate | up] of shape [M, 2K] and the product's input is swish(gate) ⊙ up (the SwiGLU MLP's
   * down projection): formed as the tiles load it, no activation pass or buffer.
   */
  glu?: boolean;
}

export interface MatmulNNArgs {
  a: Tensor; // [M, K]
  b: Tensor; // [K, N]
  out?: Tensor | undefined; // [M, N]
  op?: string;
  tile?: MatmulTile;
}

function dims2(t: Tensor, what: string): [number, number] {
  if (t.shape.length !== 2) throw new ShapeError(t.name, `expected a matrix ${what}, got [${t.shape.join(', ')}]`);
  expectShape(t, [-1, -1]);
  return [t.shape[0] as number, t.shape[1] as number];
}

function notAliased(out: Tensor, inputs: ReadonlyArray<Tensor | undefined>): void {
  for (const t of inputs) {
    if (t && t.buffer === out.buffer) throw new ShapeError(out.name, `output may not alias input ${t.name}`);
  }
}

/** Throws ShapeError unless the tile is one the kernel supports on this device. */
export function checkTile(ctx: GpuContext, t: MatmulTile): void {
  const { bm, bn, bk } = t;
  const bad = (why: string): never => {
    throw new ShapeError('matmul.tile', `${bm}x${bn}x${bk}: ${why}`);
  };
  const tm = t.tm ?? 8;
  if (tm !== 8 && tm !== 16) bad('tm must be 8 or 16');
  if (![32, 64, 128, 256].includes(bm) || ![32, 64, 128, 256].includes(bn)) bad('BM and BN must be 32, 64, 128 or 256');
  if (bk % 4 !== 0 || bk < 4) bad('BK must be a multiple of 4');
  const la = (2 * tm * bk) / bn;
  const lb = (2 * tm * bk) / bm;
  if (![1, 2, 4].includes(la) || ![1, 2, 4].includes(lb)) bad(`2·tm·BK/BN and 2·tm·BK/BM must be 1, 2 or 4`);
  if (t.groupM !== undefined && !(Number.isInteger(t.groupM) && t.groupM >= 1)) bad('groupM must be a positive integer');
  const threads = (bm / tm) * (bn / 8);
  if (threads > ctx.limits.maxComputeInvocationsPerWorkgroup) bad(`${threads} threads exceed the device limit`);
  const bytes = 2 * bk * (bm + bn) * 4;
  if (bytes > ctx.limits.maxComputeWorkgroupStorageSize) bad(`${bytes} bytes of workgroup memory exceed the device limit`);
}

function pickTile(M: number, N: number): MatmulTile {
  const large = ceilDiv(M, 128) * ceilDiv(N, 128);
  return large >= LARGE_TILE_MIN_TILES ? TILE_LARGE : TILE_SMALL;
}

/**
 * Threads per weight row in the GEMV kernel: about 8 vec4 loads per thread, 4…256 threads (on the
 * H200, K = 4096 and 11008 ran ~2x faster at 128 and 256 threads than at 64).
 */
function pickTpr(k4: number): number {
  let t = 4;
  while (t < 256 && t * 8 < k4) t *= 2;
  return t;
}

interface Epilogue {
  bias?: Tensor | undefined;
  residual?: Tensor | undefined;
  inplace: boolean;
}

/** The kernels' flags word (1 bias, 2 residual, 4 residual already in y) and bias/residual bindings. */
function epilogue(e: Epilogue, standIn: Tensor): { flags: number; bindings: Tensor[] } {
  const resid = !!e.residual && !e.inplace;
  const flags = (e.bias ? 1 : 0) | (resid ? 2 : 0) | (e.inplace ? 4 : 0);
  return { flags, bindings: [e.bias ?? standIn, (resid ? e.residual : undefined) ?? standIn] };
}

function tiled(
  ctx: GpuContext,
  x: Tensor,
  w: Tensor,
  y: Tensor,
  dims: { M: number; N: number; K: number },
  nn: boolean,
  tile: MatmulTile,
  e: Epilogue,
  info: { op: string; layer?: number | undefined },
  variant: { segments?: readonly MatmulSegment[]; glu?: boolean } = {},
): void {
  const { segments, glu = false } = variant;
  const { M, N, K } = dims;
  const vec4 = K % 4 === 0 && N % 4 === 0 && K > 0 && (segments ?? []).every((g) => g.rows % 4 === 0);
  const kernel = ctx.kernel({
    file: 'matmul.wgsl',
    sources: MATMUL,
    defines: { VEC4: vec4, NN: nn, SEGMENTS: segments !== undefined, GLU_X: glu, TM16: tile.tm === 16, EDGE_K: vec4 && K % tile.bk !== 0 },
    overrides: { BM: tile.bm, BN: tile.bn, BK: tile.bk },
  });
  const tiles = ceilDiv(M, tile.bm) * ceilDiv(N, tile.bn);
  // The stand-in for absent terms must hold a vec4 when VEC4: w does (K ≥ 4).
  const ep = epilogue(e, w);
  const p = params().u32(M).u32(N).u32(K).u32(tile.groupM ?? GROUP_M).u32(ep.flags).u32(segments?.length ?? 0).u32(0).u32(0);
  if (segments) for (let i = 0; i < MAX_SEGMENTS; i++) p.u32(segments[i]?.row ?? 0).u32(segments[i]?.rows ?? 0);
  ctx.dispatch({
    kernel,
    params: p.build(),
    bindings: [x, w, y, ...ep.bindings],
    workgroups: grid(tiles),
    info: {
      kernel: nn ? 'matmul_nn' : 'matmul',
      op: info.op,
      ...(info.layer !== undefined ? { layer: info.layer } : {}),
      flops: 2 * M * N * K + (glu ? 5 * M * K : 0),
      bytes: 4 * ((glu ? 2 : 1) * M * K + N * K + M * N * (e.residual ? 2 : 1) + (e.bias ? N : 0)),
    },
  });
}

function gemv(
  ctx: GpuContext,
  x: Tensor,
  w: Tensor,
  y: Tensor,
  dims: { M: number; N: number; K: number },
  e: Epilogue,
  info: { op: string; layer?: number | undefined },
  tprOverride: number | undefined,
): void {
  const { M, N, K } = dims;
  const vec4 = K % 4 === 0 && K > 0;
  const k4 = ceilDiv(K, 4);
  const tpr = tprOverride ?? pickTpr(k4);
  const kernel = ctx.kernel({ file: 'gemv.wgsl', sources: GEMV, defines: { KIND: 'gemv', VEC4: vec4 } });
  const ep = epilogue(e, w);
  ctx.dispatch({
    kernel,
    params: params().u32(N).u32(K).u32(k4).u32(M).u32(Math.log2(tpr)).u32(ep.flags).u32(0).u32(0).build(),
    bindings: [x, w, y, ...ep.bindings],
    workgroups: grid(ceilDiv(N, 256 / tpr)),
    info: {
      kernel: 'gemv',
      op: info.op,
      ...(info.layer !== undefined ? { layer: info.layer } : {}),
      tokens: [0, M],
      flops: 2 * M * N * K,
      bytes: 4 * (M * K + N * K + M * N * (e.residual ? 2 : 1) + (e.bias ? N : 0)),
    },
  });
}

/** y = x·wᵀ (+ bias) (+ residual): [M, K] × [N, K] → [M, N]. */
export function matmul(ctx: GpuContext, a: MatmulArgs): Tensor {
  const [M, Kx] = dims2(a.x, a.glu ? '[M, 2K]' : '[M, K]');
  if (a.glu && Kx % 2 !== 0) throw new ShapeError(a.x.name, `a [gate | up] input needs an even width, got ${Kx}`);
  const K = a.glu ? Kx / 2 : Kx;
  const [N] = dims2(a.w, '[N, K]');
  expectShape(a.w, [N, K]);
  if (a.bias) expectShape(a.bias, [N]);
  if (a.residual) expectShape(a.residual, [M, N]);
  const path = a.path ?? 'auto';
  const useGemv = path === 'gemv' || (path === 'auto' && M <= GEMV_MAX_ROWS);
  if (useGemv && M > GEMV_MAX_ROWS) throw new ShapeError(a.x.name, `the GEMV path takes at most ${GEMV_MAX_ROWS} rows, got ${M}`);
  if (a.glu && useGemv) {
    // A few rows: the activation pass is cheap next to the GEMV's weight traffic.
    const act = swiglu(ctx, a.x);
    try {
      return matmul(ctx, { ...a, x: act, glu: false });
    } finally {
      act.dispose();
    }
  }
  const tile = useGemv ? undefined : (a.tile ?? pickTile(M, N));
  if (tile) checkTile(ctx, tile);
  const tpr = a.gemvThreadsPerRow;
  if (tpr !== undefined && ![4, 8, 16, 32, 64, 128, 256].includes(tpr)) {
    throw new ShapeError('matmul.gemvThreadsPerRow', `must be a power of two in 4…256, got ${tpr}`);
  }
  const op = a.op ?? 'matmul';
  const y = a.out ?? ctx.tensor([M, N], 'f32', `${op}.out`);
  expectShape(y, [M, N]);
  notAliased(y, [a.x, a.w, a.bias]);
  const inplace = !!a.residual && a.residual.buffer === y.buffer;
  const e: Epilogue = { bias: a.bias, residual: a.residual, inplace };
  if (M * N === 0) return y;
  const info = { op, layer: a.layer };
  if (tile) tiled(ctx, a.x, a.w, y, { M, N, K }, false, tile, e, info, { glu: a.glu === true });
  else gemv(ctx, a.x, a.w, y, { M, N, K }, e, info, a.gemvThreadsPerRow);
  return y;
}

/** Rows [row, row + rows) of a stacked weight: one segment of matmulSegments. */
export interface MatmulSegment {
  row: number;
  rows: number;
}

/** Segments one matmulSegments dispatch writes (kernels/matmul.wgsl SEGMENTS). */
export const MAX_SEGMENTS = 8;

export interface MatmulSegmentsArgs {
  x: Tensor; // [M, K]
  w: Tensor; // [N, K]: the segments' weights stacked by rows (padding rows between them allowed)
  bias?: Tensor | undefined; // [N]
  /** Ascending, disjoint; each row a multiple of 64 so that every block starts 256-byte aligned. */
  segments: readonly MatmulSegment[];
  names?: readonly string[];
  op?: string;
  layer?: number;
  tile?: MatmulTile;
}

/**
 * y_s = x·w_sᵀ (+ bias_s) for every row segment s of a stacked weight (the fused input projection) in
 * one tiled dispatch. The result is one tensor (`out`, the owner: dispose it when done) holding a
 * contiguous [M, rows_s] block per segment at element M·row_s; `parts` are those blocks as borrowed
 * tensors (their dispose() frees nothing; using them after out's dispose() throws).
 */
export function matmulSegments(ctx: GpuContext, a: MatmulSegmentsArgs): { out: Tensor; parts: Tensor[] } {
  const [M, K] = dims2(a.x, '[M, K]');
  const [N] = dims2(a.w, '[N, K]');
  expectShape(a.w, [N, K]);
  if (a.bias) expectShape(a.bias, [N]);
  const op = a.op ?? 'matmul_segments';
  const segs = a.segments;
  if (segs.length < 1 || segs.length > MAX_SEGMENTS) throw new ShapeError(op, `1…${MAX_SEGMENTS} segments, got ${segs.length}`);
  let end = 0;
  for (const g of segs) {
    const ok = Number.isInteger(g.row) && Number.isInteger(g.rows) && g.rows > 0 && g.row >= end && g.row % 64 === 0 && g.row + g.rows <= N;
    if (!ok) throw new ShapeError(op, `segment rows [${g.row}, ${g.row + g.rows}) must be ascending, disjoint, start at a multiple of 64 and lie in 0…${N}`);
    end = g.row + g.rows;
  }
  const tile = a.tile ?? pickTile(M, N);
  checkTile(ctx, tile);
  const out = ctx.tensor([M * N], 'f32', `${op}.out`);
  notAliased(out, [a.x, a.w, a.bias]);
  const parts = segs.map((g, i) => out.region(M * g.row, [M, g.rows], a.names?.[i] ?? `${op}.${i}`));
  if (M > 0) tiled(ctx, a.x, a.w, out, { M, N, K }, false, tile, { bias: a.bias, inplace: false }, { op, layer: a.layer }, { segments: segs });
  return { out, parts };
}

/** c = a·b with b row-major [K, N] (the benchmark's plain layout), same tiled kernel. */
export function matmulNN(ctx: GpuContext, a: MatmulNNArgs): Tensor {
  const [M, K] = dims2(a.a, '[M, K]');
  const [, N] = dims2(a.b, '[K, N]');
  expectShape(a.b, [K, N]);
  const tile = a.tile ?? pickTile(M, N);
  checkTile(ctx, tile);
  const op = a.op ?? 'matmul_nn';
  const y = a.out ?? ctx.tensor([M, N], 'f32', `${op}.out`);
  expectShape(y, [M, N]);
  notAliased(y, [a.a, a.b]);
  if (M * N === 0) return y;
  tiled(ctx, a.a, a.b, y, { M, N, K }, true, tile, { inplace: false }, { op });
  return y;
}

/** c = a·b with one thread per output and no tiling: the benchmark's baseline. */
export function matmulNaive(ctx: GpuContext, a: { a: Tensor; b: Tensor; out?: Tensor | undefined; op?: string }): Tensor {
  const [M, K] = dims2(a.a, '[M, K]');
  const [, N] = dims2(a.b, '[K, N]');
  expectShape(a.b, [K, N]);
  const op = a.op ?? 'matmul_naive';
  const y = a.out ?? ctx.tensor([M, N], 'f32', `${op}.out`);
  expectShape(y, [M, N]);
  notAliased(y, [a.a, a.b]);
  if (M * N === 0) return y;
  const kernel = ctx.kernel({ file: 'matmul.wgsl', sources: MATMUL, defines: { NAIVE: true } });
  ctx.dispatch({
    kernel,
    params: params().u32(M).u32(N).u32(K).u32(0).u32(0).u32(0).u32(0).u32(0).build(),
    bindings: [a.a, a.b, y],
    workgroups: [ceilDiv(N, 16), ceilDiv(M, 16)],
    info: { kernel: 'matmul_naive', op, flops: 2 * M * N * K, bytes: 4 * (M * K + K * N + M * N) },
  });
  return y;
}

// ---------------------------------------------------------------- fused decode kernels

/** Largest hidden size the fused decode kernels hold in registers (J ≤ 8 quads per thread). */
export const FUSED_MAX_HIDDEN = 8192;
/**
 * Default workgroup count of gemvNorm. Each workgroup re-reads resid and the P partial rows (from L2)
 * to recompute the norm, so the count trades parallelism for redundant reads. On the H200, 1024
 * workgroups ran ~2.5x faster than 256 with P ≤ 64 (N = 12288, H = 4096); beyond P = 64 the count
 * shrinks as 1/P (at least 256) to bound the re-read bytes.
 */
function gemvNormGroups(parts: number): number {
  return Math.max(256, Math.min(1024, Math.floor(65536 / Math.max(parts, 64))));
}

/** Widest slice of intermediate rows mlpPartial holds (S4_MAX vec4s in gemv.wgsl). */
export const MLP_MAX_SLICE = 432 * 4;

function vectorLength(t: Tensor, n: number): void {
  t.assertAlive();
  const ok = t.size === n && t.shape.at(-1) === n && t.dtype === 'f32';
  if (!ok) throw new ShapeError(t.name, `expected shape [${n}] (or [1, ${n}]), got [${t.shape.join(', ')}]`);
}

/** k-quads per thread (J in gemv.wgsl) for hidden size H. */
function hiddenQuads(name: string, H: number): number {
  if (H < 1 || H > FUSED_MAX_HIDDEN) throw new ShapeError(name, `hidden size ${H} outside 1…${FUSED_MAX_HIDDEN}`);
  return Math.ceil(ceilDiv(H, 4) / 256);
}

export interface GemvNormArgs {
  resid: Tensor; // [H]: the residual stream
  partials?: Tensor | undefined; // [P, H]: split-K MLP partial sums of the previous layer, added to resid
  normWeight: Tensor; // [H]
  eps: number;
  w: Tensor; // [N, H]
  bias?: Tensor | undefined; // [N]
  residOut: Tensor; // [H]: receives x = resid + Σ partials (must not alias resid or partials)
  out?: Tensor | undefined; // [N]
  /** Workgroups (default: see gemvNormGroups, at most ⌈N/8⌉); each recomputes the norm. */
  groups?: number;
  op?: string;
  layer?: number;
}

/**
 * Decode step fusion: x = resid + Σ_p partials[p] (written to residOut), y = w · (rmsnorm(x) ⊙ normWeight)
 * (+ bias). Returns y [N].
 */
export function gemvNorm(ctx: GpuContext, a: GemvNormArgs): Tensor {
  const [N, H] = dims2(a.w, '[N, H]');
  const J = hiddenQuads(a.w.name, H);
  vectorLength(a.resid, H);
  vectorLength(a.normWeight, H);
  vectorLength(a.residOut, H);
  let parts = 0;
  if (a.partials) {
    [parts] = dims2(a.partials, '[P, H]');
    expectShape(a.partials, [parts, H]);
  }
  if (a.bias) expectShape(a.bias, [N]);
  notAliased(a.residOut, [a.resid, a.partials, a.normWeight, a.w, a.bias]);
  const op = a.op ?? 'gemv_norm';
  const y = a.out ?? ctx.tensor([N], 'f32', `${op}.out`);
  vectorLength(y, N);
  notAliased(y, [a.resid, a.partials, a.normWeight, a.w, a.bias, a.residOut]);
  const blocks = ceilDiv(N, 8);
  const groups = Math.max(1, Math.min(blocks, a.groups ?? gemvNormGroups(parts), 65535));
  const kernel = ctx.kernel({ file: 'gemv.wgsl', sources: GEMV, defines: { KIND: 'gemv_norm', VEC4: H % 4 === 0, J } });
  ctx.dispatch({
    kernel,
    params: params()
      .u32(N)
      .u32(H)
      .u32(ceilDiv(H, 4))
      .u32(parts)
      .f32(a.eps)
      .u32(blocks)
      .u32(groups)
      .u32(a.bias ? 1 : 0)
      .build(),
    // Stand-ins for absent inputs are never read (parts = 0, has_bias = 0).
    bindings: [a.resid, parts > 0 && a.partials ? a.partials : a.resid, a.normWeight, a.w, a.bias ?? a.w, a.residOut, y],
    workgroups: [groups],
    info: {
      kernel: 'gemv_norm',
      op,
      ...(a.layer !== undefined ? { layer: a.layer } : {}),
      tokens: [0, 1],
      flops: 2 * N * H + groups * H * (parts + 4),
      bytes: 4 * (N * H + (parts + 3) * H + N * (a.bias ? 2 : 1)),
    },
  });
  return y;
}

export interface MlpPartialArgs {
  h: Tensor; // [H]: the residual stream after attention
  normWeight: Tensor; // [H]
  eps: number;
  wGateUp: Tensor; // [2I, H]: gate rows, then up rows
  wDown: Tensor; // [H, I]
  /** P: workgroups, each owning a slice of the intermediate rows (see mlpSliceStart). */
  slices: number;
  out?: Tensor | undefined; // [P, H]
  op?: string;
  layer?: number;
}

/**
 * Decode MLP as split-K partial sums: partials[p] = W_down[:, slice p] · (swish(gate·xn) ⊙ (up·xn))[slice p]
 * with xn = rmsnorm(h) ⊙ normWeight, so h + Σ_p partials[p] = h + MLP(h). Returns partials [P, H].
 */
export function mlpPartial(ctx: GpuContext, a: MlpPartialArgs): Tensor {
  const [H, I] = dims2(a.wDown, '[H, I]');
  const J = hiddenQuads(a.wDown.name, H);
  expectShape(a.wGateUp, [2 * I, H]);
  vectorLength(a.h, H);
  vectorLength(a.normWeight, H);
  const P = a.slices;
  if (!Number.isInteger(P) || P < 1 || P > 65535 || P > Math.max(1, I)) {
    throw new ShapeError('mlp.slices', `slices must be an integer in 1…min(${I}, 65535), got ${P}`);
  }
  let widest = 0;
  for (let p = 0; p < P; p++) widest = Math.max(widest, mlpSliceStart(I, P, p + 1) - mlpSliceStart(I, P, p));
  if (widest > MLP_MAX_SLICE) {
    throw new ShapeError('mlp.slices', `a slice of ${widest} intermediate rows exceeds ${MLP_MAX_SLICE}; use at least ${Math.ceil(I / MLP_MAX_SLICE)} slices`);
  }
  const op = a.op ?? 'mlp_partial';
  const y = a.out ?? ctx.tensor([P, H], 'f32', `${op}.out`);
  expectShape(y, [P, H]);
  notAliased(y, [a.h, a.normWeight, a.wGateUp, a.wDown]);
  const kernel = ctx.kernel({
    file: 'gemv.wgsl',
    sources: GEMV,
    defines: { KIND: 'mlp_partial', VEC4: H % 4 === 0 && I % 4 === 0, J },
  });
  ctx.dispatch({
    kernel,
    params: params().u32(H).u32(ceilDiv(H, 4)).u32(I).u32(ceilDiv(I, 4)).u32(P).f32(a.eps).u32(0).u32(0).build(),
    bindings: [a.h, a.normWeight, a.wGateUp, a.wDown, y],
    workgroups: [P],
    info: {
      kernel: 'mlp_partial',
      op,
      ...(a.layer !== undefined ? { layer: a.layer } : {}),
      tokens: [0, 1],
      flops: 6 * I * H + P * H * 4,
      bytes: 4 * (3 * I * H + P * H + 2 * H),
    },
  });
  return y;
}
