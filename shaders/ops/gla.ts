// Gated linear attention on the GPU (spec §1, §3): the token-serial recurrence (decode, baseline) and
// the chunkwise-parallel form (prefill) with secondary chunking, the two-sided gate, the denominator,
// grouped kv heads, and initial/final state carried in place.

import { params, type GpuContext } from '../gpu/context.js';
import { expectShape, type Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import recurrentSource from '../kernels/gla_recurrent.wgsl';
import chunkSource from '../kernels/gla_chunk.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { ceilDiv } from './util.js';

const REC_SOURCES = sourcesFor('gla_recurrent.wgsl', recurrentSource);
const CHUNK_SOURCES = sourcesFor('gla_chunk.wgsl', chunkSource);

export interface GlaArgs {
  /** φ(q) [B, T, Hq, dk] */
  q: Tensor;
  /** φ(k) [B, T, Hkv, dk] */
  k: Tensor;
  /** [B, T, Hkv, dv] */
  v: Tensor;
  /** Key-side log gate [B, T, Hkv, dk] (≤ 0); absent = no decay. */
  A?: Tensor;
  /** Value-side log gate [B, T, Hkv, dv] (≤ 0), the two-sided gate of spec §3.4. */
  D?: Tensor;
  /** s, applied to q at read-out (ignored with the denominator, where it cancels). */
  scale: number;
  /** o_t = S_tᵀq_t / (z_tᵀq_t + 1e-6). */
  denominator?: boolean;
  /** [B, Hkv, dk, dv]: read as the initial state, overwritten with the final state. Absent = zeros, dropped. */
  state?: Tensor;
  /** [B, Hkv, dk]: the denominator's normalizer state, in and out like `state` (used with `denominator`). */
  zState?: Tensor;
  layer?: number;
}

/** Tile shapes of the chunk kernels (defaults chosen from dk, dv, C; each must divide its dim). */
export interface GlaChunkTiles {
  /** Chunk-contribution (ΔS) pass: key rows per thread, BK = 16·stateTM (1 | 2 | 4 | 8). */
  stateTM?: number;
  /** Chunk-contribution pass: value columns per workgroup (16 | 32 | 64 | 128). */
  stateBV?: number;
  /** Chunk-contribution pass: rows staged per round (16 | 32 | 64, dividing C). */
  stateSL?: number;
  /** Intra-chunk pass: dk columns staged per round (4 | 8 | 16). */
  attnKS?: number;
  /** Output pass: value columns per workgroup (16 | 32 | 64 | 128). */
  outBV?: number;
  /** Output pass: reduction slice (4 | 8 | 16). */
  outKS?: number;
  /** Workgroup memory the tiles may use (default: the device limit, at most 32 KiB). */
  wgMemBytes?: number;
  /**
   * Compile-time inner loop bounds (unrollable) instead of uniform ones. Default: on for hardware
   * adapters (the configuration measured on an H200), off for software ones (lavapipe, SwiftShader),
   * where unrolled bodies take tens of seconds to compile.
   */
  unroll?: boolean;
}

export interface GlaChunkArgs extends GlaArgs {
  /** C, a multiple of 16 in [16, 128]. */
  chunkSize: number;
  tiles?: GlaChunkTiles;
}

interface Dims {
  B: number;
  T: number;
  Hq: number;
  Hkv: number;
  dk: number;
  dv: number;
  groups: number;
}

function checkArgs(a: GlaArgs): Dims {
  const qs = a.q.shape;
  const vs = a.v.shape;
  if (qs.length !== 4) throw new ShapeError(a.q.name, `expected [B, T, Hq, dk], got [${qs.join(', ')}]`);
  if (vs.length !== 4) throw new ShapeError(a.v.name, `expected [B, T, Hkv, dv], got [${vs.join(', ')}]`);
  const [B, T, Hq, dk] = qs as [number, number, number, number];
  const Hkv = vs[2] as number;
  const dv = vs[3] as number;
  if (Hkv === 0 || Hq % Hkv !== 0) throw new ShapeError(a.v.name, `Hq (${Hq}) must be a multiple of Hkv (${Hkv})`);
  expectShape(a.q, [B, T, Hq, dk]);
  expectShape(a.k, [B, T, Hkv, dk]);
  expectShape(a.v, [B, T, Hkv, dv]);
  if (a.A) expectShape(a.A, [B, T, Hkv, dk]);
  if (a.D) expectShape(a.D, [B, T, Hkv, dv]);
  if (a.state) expectShape(a.state, [B, Hkv, dk, dv]);
  if (a.zState) expectShape(a.zState, [B, Hkv, dk]);
  if (B * Hkv > 65535 || B * Hq > 65535) throw new ShapeError(a.q.name, `B·H over 65535 is not supported`);
  return { B, T, Hq, Hkv, dk, dv, groups: Hq / Hkv };
}

/** Assigns consecutive binding slots to the present buffers: defines BIND_<name> and the ordered list. */
function slots(entries: ReadonlyArray<readonly [string, Tensor | undefined | false]>): { defines: Record<string, number>; bindings: Tensor[] } {
  const defines: Record<string, number> = {};
  const bindings: Tensor[] = [];
  for (const [name, t] of entries) {
    if (!t) continue;
    bindings.push(t);
    defines[`BIND_${name}`] = bindings.length;
  }
  return { defines, bindings };
}

/**
 * A code generator memoized by its arguments: the same define strings object for the same shape, so
 * the pipeline-cache key of a dispatch is built without generating (and hashing) the code again.
 */
function memoCode<A extends Array<number | boolean>>(f: (...a: A) => Record<string, string>): (...a: A) => Record<string, string> {
  const cache = new Map<string, Record<string, string>>();
  return (...a: A) => {
    const k = a.join(',');
    let r = cache.get(k);
    if (!r) {
      r = f(...a);
      cache.set(k, r);
    }
    return r;
  };
}

/** n statements on one line (keeps the preprocessor's line map exact). */
const rep = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join(' ');
const rep2 = (n: number, m: number, f: (i: number, j: number) => string): string => rep(n, (i) => rep(m, (j) => f(i, j)));

/** Straight-line register code for the recurrence: rows i = r + R·m held in s_m (and z_m). */
const recurrentCode = memoCode(function recurrentCode(NR: number, R: number, dk: number, hasA: boolean, denom: boolean): Record<string, string> {
  const full = NR * R === dk;
  const guard = (m: number, body: string): string => (full ? `{ let i = r + ${R * m}u; ${body} }` : `{ let i = r + ${R * m}u; if (i < dk) { ${body} } }`);
  return {
    R_DECL: rep(NR, (m) => `var rs${m} = 0.0; var rz${m} = 0.0;`) + ' ' +
      rep(NR, (m) => guard(m, `if (jv) { rs${m} = st[sbase + i * dv]; }${denom ? ` rz${m} = z0[bh * dk + i];` : ''}`)),
    R_UPDATE: rep(NR, (m) =>
      guard(m, `let kk = k[kb + i]; let a = ${hasA ? 'exp(ga[kb + i])' : '1.0'}; rs${m} = rs${m} * (a * dt) + kk * vt; rz${m} = rz${m} * a + kk;`),
    ),
    R_DOT: rep(NR, (m) => guard(m, `let qq = q[qb + i]; p = fma(rs${m}, qq, p); pz = fma(rz${m}, qq, pz);`)),
    R_STORE: rep(NR, (m) =>
      guard(m, `if (jv) { st[sbase + i * dv] = rs${m}; }${denom ? ` if (wid.x == 0u && jl == 0u) { zs[bh * dk + i] = rz${m}; }` : ''}`),
    ),
  };
});

/** The chunk-contribution pass's ΔS tile: TM rows × NV vec4 column groups in registers s_a_n. */
const stateCode = memoCode(function stateCode(TM: number, NV: number): Record<string, string> {
  return {
    S_ZERO: rep2(TM, NV, (a, n) => `var s${a}_${n} = vec4<f32>(0.0);`),
    S_PUBLISH: rep2(TM, NV, (a, n) => `hst[hb + ${a}u * dv4 + ${n}u * TXN] = s${a}_${n};`),
    // kb = r · BK + ty · TM (a multiple of 4 when TM is): vec4 loads of the key rows
    S_FMA:
      (TM % 4 === 0
        ? rep(TM / 4, (j) => `let kq${j} = sh_k[kb / 4u + ${j}u];`) + ' ' +
          rep(TM, (a) => `let k${a} = vec4<f32>(kq${Math.floor(a / 4)}.${'xyzw'[a % 4]});`)
        : rep(TM, (a) => `let k${a} = vec4<f32>(sh_k[(kb + ${a}u) / 4u][(kb + ${a}u) % 4u]);`)) + ' ' +
      rep(NV, (n) => `let v${n} = sh_v[vb + ${n}u * TXN];`) + ' ' +
      rep2(TM, NV, (a, n) => `s${a}_${n} = fma(k${a}, v${n}, s${a}_${n});`),
  };
});

/** The output pass's accumulators: RM rows (ty + 16m) × NV vec4 column groups in acc_m_n. */
const outputCode = memoCode(function outputCode(RM: number, NV: number, denom: boolean): Record<string, string> {
  const col = (n: number): string => `tx + ${n}u * TXN`;
  return {
    O_DECL: rep2(RM, NV, (m, n) => `var acc${m}_${n} = vec4<f32>(0.0);`) + (denom ? ' ' + rep(RM, (m) => `var den${m} = 0.0;`) : ''),
    O_LOAD: rep(RM, (m) => `let av${m} = sh_a[(ty + ${16 * m}u) * KP + kk];`),
    O_FMA:
      rep(NV, (n) => `let bv${n} = sh_b[kk * BV4 + ${col(n)}];`) + ' ' +
      rep2(RM, NV, (m, n) => `acc${m}_${n} = fma(vec4<f32>(av${m}), bv${n}, acc${m}_${n});`),
    O_FMA_D:
      rep(NV, (n) => `let bv${n} = sh_b[kk * BV4 + ${col(n)}]; let du${n} = sh_d[kk * BV4 + ${col(n)}];`) + ' ' +
      rep2(RM, NV, (m, n) => `acc${m}_${n} = fma(av${m} * bv${n}, exp(min(dt${m}_${n} - du${n}, vec4<f32>(0.0))), acc${m}_${n});`),
    O_DEN_Z: rep(RM, (m) => `den${m} = fma(av${m}, zz, den${m});`),
    O_DEN_P: rep(RM, (m) => `den${m} += av${m};`),
    O_DSCALE: rep(RM, (m) =>
      `let tdd${m} = tc + ty + ${16 * m}u; ` +
      rep(NV, (n) =>
        `var dt${m}_${n} = vec4<f32>(0.0); if (tdd${m} < T) { dt${m}_${n} = gd[((b * T + tdd${m}) * P.Hkv + h) * dv4 + v04 + ${col(n)}]; } ` +
        `acc${m}_${n} = acc${m}_${n} * exp(dt${m}_${n});`,
      ),
    ),
    O_STORE: rep(RM, (m) =>
      `{ let t = tc + ty + ${16 * m}u; if (t < T) { let ob = ((b * T + t) * P.Hq + hq) * dv4 + v04; ` +
      rep(NV, (n) => `o[ob + ${col(n)}] = ${denom ? `acc${m}_${n} / (den${m} + EPS)` : `acc${m}_${n}`};`) +
      ' } }',
    ),
  };
});

/** Straight-line code of the intra-chunk pass: off-diagonal accumulators acc_i_j, diagonal pairs acd_e. */
const attnCode = memoCode(function attnCode(NSUB: number, hasA: boolean): Record<string, string> {
  const NE = Math.ceil((NSUB * 136) / 256);
  const off: Array<[number, number]> = [];
  for (let i = 1; i < NSUB; i++) for (let j = 0; j < i; j++) off.push([i, j]);
  const pair = (e: number): string =>
    `let pp${e} = lid + ${256 * e}u; let pv${e} = pp${e} < ${NSUB * 136}u; let pbk${e} = pp${e} / 136u; let pw${e} = pp${e} % 136u; ` +
    `var pr${e} = u32(floor((sqrt(f32(8u * pw${e} + 1u)) - 1.0) * 0.5)); ` +
    `if ((pr${e} + 1u) * (pr${e} + 2u) / 2u <= pw${e}) { pr${e} += 1u; } if (pr${e} * (pr${e} + 1u) / 2u > pw${e}) { pr${e} -= 1u; } ` +
    `let prow${e} = select(0u, pbk${e} * 16u + pr${e}, pv${e}); let pcol${e} = select(0u, pbk${e} * 16u + pw${e} - pr${e} * (pr${e} + 1u) / 2u, pv${e}); ` +
    `var acd${e} = 0.0;`;
  return {
    NE: String(NE),
    A_DECL: off.map(([i, j]) => `var acc${i}_${j} = 0.0;`).join(' ') + ' ' + rep(NE, pair),
    A_FMA:
      rep(NSUB - 1, (j) => `let kh${j} = sh_kh[(${16 * j}u + c) * KP + kk];`) + ' ' +
      rep(NSUB - 1, (i) => `let qt${i + 1} = sh_qt[(${16 * i}u + r) * KP + kk];`) + ' ' +
      off.map(([i, j]) => `acc${i}_${j} = fma(qt${i} * sh_d[${(i * NSUB + j)}u * KS + kk], kh${j}, acc${i}_${j});`).join(' ') + ' ' +
      rep(NE, (e) =>
        hasA
          ? `{ let a = prow${e} * KP + kk; let bb = pcol${e} * KP + kk; acd${e} = fma(sh_q[a] * sh_k[bb], exp(min(sh_g[a] - sh_g[bb], 0.0)), acd${e}); }`
          : `acd${e} = fma(sh_q[prow${e} * KP + kk], sh_k[pcol${e} * KP + kk], acd${e});`,
      ),
    A_STORE:
      off.map(([i, j]) => `if (tc + ${16 * i}u + r < T) { pm[pb + (${16 * i}u + r) * rs + ${16 * j}u + c] = acc${i}_${j}; }`).join(' ') + ' ' +
      rep(NE, (e) => `if (pv${e} && tc + prow${e} < T) { pm[pb + prow${e} * rs + pcol${e}] = acd${e}; }`),
  };
});

const layerOf = (layer: number | undefined): { layer?: number } => (layer !== undefined ? { layer } : {});

/** A zero-filled state (and the caller's flag to dispose it) when the caller gave none. */
function stateOrZeros(ctx: GpuContext, t: Tensor | undefined, shape: number[], name: string): { t: Tensor; temp: boolean } {
  if (t) return { t, temp: false };
  const z = ctx.zeroed(shape, 'f32', name);
  return { t: z, temp: true };
}

/**
 * Token-serial GLA (spec §3.1): one workgroup per (b, kv head, 16 value columns), S in registers.
 * Returns o [B, T, Hq, dv]; `state` / `zState`, when given, end holding the final state.
 */
export function glaRecurrent(ctx: GpuContext, a: GlaArgs): Tensor {
  const d = checkArgs(a);
  const { B, T, Hq, Hkv, dk, dv } = d;
  const o = ctx.tensor([B, T, Hq, dv], 'f32', 'gla.o');
  if (T === 0) return o;
  const denom = a.denominator === true;
  const st = stateOrZeros(ctx, a.state, [B, Hkv, dk, dv], 'gla.state0');
  let z0: Tensor | undefined;
  let zOut: { t: Tensor; temp: boolean } | undefined;
  if (denom) {
    zOut = stateOrZeros(ctx, a.zState, [B, Hkv, dk], 'gla.z');
    z0 = ctx.tensor([B, Hkv, dk], 'f32', 'gla.z0');
    ctx.copy(zOut.t, z0);
  }
  const BVR = 16;
  const R = 256 / BVR;
  const { defines, bindings } = slots([
    ['Q', a.q],
    ['K', a.k],
    ['V', a.v],
    ['A', a.A],
    ['D', a.D],
    ['S', st.t],
    ['Z0', z0],
    ['Z', zOut?.t],
    ['O', o],
  ]);
  const kernel = ctx.kernel({
    file: 'gla_recurrent.wgsl',
    sources: REC_SOURCES,
    defines: { ...defines, ...recurrentCode(ceilDiv(dk, R), R, dk, !!a.A, denom), BVR, HAS_A: !!a.A, HAS_D: !!a.D, DENOM: denom },
  });
  ctx.dispatch({
    kernel,
    params: params().u32(T).u32(Hq).u32(Hkv).u32(dk).u32(dv).u32(d.groups).f32(a.scale).u32(0).build(),
    bindings,
    workgroups: [ceilDiv(dv, BVR), B * Hkv],
    info: {
      kernel: 'gla_recurrent',
      op: 'glaRecurrent',
      ...layerOf(a.layer),
      tokens: [0, T],
      flops: B * T * (Hkv * dk * dv * 4 + Hq * dk * dv * 2),
      bytes: 4 * B * T * (Hq * dk + Hkv * dk * (a.A ? 2 : 1) + Hkv * dv * (a.D ? 2 : 1) + Hq * dv) + 8 * B * Hkv * dk * dv,
    },
  });
  if (st.temp) st.t.dispose();
  z0?.dispose();
  if (zOut?.temp) zOut.t.dispose();
  return o;
}

/** True for CPU implementations of WebGPU (lavapipe / llvmpipe, SwiftShader). */
function softwareAdapter(ctx: GpuContext): boolean {
  const info = ctx.device.adapterInfo as GPUAdapterInfo | undefined; // absent in older implementations
  if (!info) return false;
  const s = `${info.architecture} ${info.device} ${info.description} ${info.vendor}`.toLowerCase();
  return info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/.test(s);
}

function largestDividing(options: readonly number[], n: number): number {
  for (const x of options) if (n % x === 0) return x;
  return options.at(-1) ?? 1;
}

/**
 * Chunkwise-parallel GLA (spec §3.2, §3.4) in five dispatches: chunk-local cumulative gates; each
 * chunk's state contribution ΔS_n (parallel over chunks); the state scan S_{n+1} = decay ⊙ S_n + ΔS_n
 * (elementwise, serial over chunks); the intra-chunk matrix P per (chunk, q head); the output GEMM
 * [sQ⊙exp(G) | P]·[S_n ; V] per (dv tile, chunk, q head). Same contract as glaRecurrent; head dims
 * that are not multiples of 16 fall back to it. Temporaries: G (and GD), P [B, T, Hq, C] and the state
 * history [B, Hkv, N, dk, dv] (in batch groups when it exceeds one buffer binding).
 */
export function glaChunk(ctx: GpuContext, a: GlaChunkArgs): Tensor {
  const d = checkArgs(a);
  const { B, T, Hq, Hkv, dk, dv, groups } = d;
  const C = a.chunkSize;
  if (!Number.isInteger(C) || C < 16 || C > 128 || C % 16 !== 0) {
    throw new ShapeError('gla.chunkSize', `must be a multiple of 16 in [16, 128], got ${C}`);
  }
  if (dk % 16 !== 0 || dv % 16 !== 0) return glaRecurrent(ctx, a);
  const o = ctx.tensor([B, T, Hq, dv], 'f32', 'gla.o');
  if (T === 0) return o;
  const denom = a.denominator === true;
  const scale = denom ? 1 : a.scale;
  const N = ceilDiv(T, C);
  const hasA = !!a.A;
  const hasD = !!a.D;
  const tiles = a.tiles ?? {};
  const mem = Math.min(tiles.wgMemBytes ?? 32768, ctx.limits.maxComputeWorkgroupStorageSize) / 4; // floats
  const bad = (what: string): ShapeError => new ShapeError('gla.tiles', `${what} (dk=${dk}, dv=${dv}, C=${C})`);

  // Chunk-contribution pass: a (BK × C)·(C × BV) product per workgroup.
  const BK = tiles.stateTM ? 16 * tiles.stateTM : largestDividing([64, 32, 16], dk);
  const BV1 = tiles.stateBV ?? largestDividing([64, 32, 16], dv); // 64 beat 128 on an H200 (4.4 vs 5.3 ms at B8 H32 T8K)
  const NV1 = BV1 >= 128 ? 2 : 1;
  const TXN1 = BV1 / (4 * NV1);
  const TM = BK / 16;
  if (dk % BK !== 0 || dv % BV1 !== 0 || ![1, 2, 4, 8].includes(TM) || ![16, 32, 64, 128].includes(BV1) || TXN1 < TM) {
    throw bad(`state tiles BK=${BK}, BV=${BV1} do not fit`);
  }
  const stateMem = (sl: number): number => sl * (BK + BV1) + BK + BV1;
  const SL = tiles.stateSL ?? ([64, 32, 16].find((sl) => C % sl === 0 && stateMem(sl) <= mem) ?? 16);
  if (C % SL !== 0 || stateMem(SL) > mem) throw bad(`state slice ${SL} does not fit`);
  // Intra-chunk pass.
  const NSUB = C / 16;
  const attnMem = (ks: number): number => (3 * C + 2 * (C - 16)) * (ks + 1) + 2 + NSUB * NSUB * ks;
  const KSA = tiles.attnKS ?? ([16, 8, 4].find((ks) => attnMem(ks) <= mem) ?? 4);
  if (dk % KSA !== 0 || attnMem(KSA) > mem) throw bad(`intra-chunk slice ${KSA} does not fit`);
  // Output pass.
  const BV2 = tiles.outBV ?? largestDividing([128, 64, 32, 16], dv);
  const NV2 = BV2 >= 128 ? 2 : 1;
  const TXN2 = BV2 / (4 * NV2);
  const outMem = (ks: number): number => C * (ks + 1) + ks * BV2 * (hasD ? 2 : 1) + ks;
  const KS2 = tiles.outKS ?? ([16, 8, 4].find((ks) => outMem(ks) <= Math.min(mem, 4096)) ?? 4);
  if (dv % BV2 !== 0 || ![16, 32, 64, 128].includes(BV2) || outMem(KS2) > mem || dk % KS2 !== 0 || C % KS2 !== 0) {
    throw bad(`output tiles BV=${BV2}, KS=${KS2} do not fit`);
  }

  const st = stateOrZeros(ctx, a.state, [B, Hkv, dk, dv], 'gla.state0');
  const zs = denom ? stateOrZeros(ctx, a.zState, [B, Hkv, dk], 'gla.z') : undefined;
  const G = hasA ? ctx.tensor([B, T, Hkv, dk], 'f32', 'gla.G') : undefined;
  const GD = hasD ? ctx.tensor([B, T, Hkv, dv], 'f32', 'gla.GD') : undefined;
  const Pm = ctx.tensor([B, T, Hq, C], 'f32', 'gla.P');

  // The per-chunk state history is the largest temporary (dk/C times v): batch groups keep it in one buffer.
  const maxBuf = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const perBatch = Hkv * N * dk * dv * 4;
  // (pool buckets round sizes up by up to 2^(1/4))
  const fit = Math.max(1, Math.min(B, Math.floor((maxBuf * 0.84) / perBatch)));
  const Bg = Math.ceil(B / Math.ceil(B / fit)); // even groups keep every pass's grid full

  const defs = { C, HAS_A: hasA, HAS_D: hasD, DENOM: denom };
  const unroll = tiles.unroll ?? !softwareAdapter(ctx);
  const inner = (n: number): string => (unroll ? `${n}u` : 'P.inner');
  const p = (b0: number, dvTiles: number, inner = 0, width = dk, heads = Hkv): ArrayBuffer =>
    params().u32(T).u32(Hq).u32(heads).u32(width).u32(dv).u32(N).u32(groups).f32(scale).u32(b0).u32(dvTiles).u32(inner).u32(0).build();
  const info = { ...layerOf(a.layer), tokens: [0, T] as const };

  // Chunk-local cumulative gates, once for all batch groups.
  for (const [x, y, width] of [[a.A, G, dk], [a.D, GD, dv]] as const) {
    if (!x || !y) continue;
    const s0 = slots([['X', x], ['Y', y]]);
    ctx.dispatch({
      kernel: ctx.kernel({ file: 'gla_chunk.wgsl', sources: CHUNK_SOURCES, defines: { ...s0.defines, C, MODE: 'cumsum' } }),
      params: p(0, 0, 0, width, Hkv),
      bindings: s0.bindings,
      workgroups: [ceilDiv(Hkv * width, 256), N, B],
      info: { kernel: 'gla_chunk.cumsum', op: 'glaChunk', ...info, flops: B * T * Hkv * width, bytes: 8 * B * T * Hkv * width },
    });
  }

  for (let b0 = 0; b0 < B; b0 += Bg) {
    const nb = Math.min(Bg, B - b0);
    const Hst = ctx.tensor([nb, Hkv, N, dk, dv], 'f32', 'gla.Hst');
    const Zh = denom ? ctx.tensor([nb, Hkv, N, dk], 'f32', 'gla.Zh') : undefined;

    const s1 = slots([
      ['K', a.k],
      ['V', a.v],
      ['G', G],
      ['GD', GD],
      ['H', Hst],
      ['ZH', Zh],
    ]);
    const dvTiles1 = dv / BV1;
    ctx.dispatch({
      kernel: ctx.kernel({
        file: 'gla_chunk.wgsl',
        sources: CHUNK_SOURCES,
        defines: { ...s1.defines, ...defs, ...stateCode(TM, NV1), MODE: 'kv', TM, NV: NV1, TXN: TXN1, SL, INNER: inner(SL) },
      }),
      params: p(b0, dvTiles1, SL),
      bindings: s1.bindings,
      workgroups: [(dk / BK) * dvTiles1, N, nb * Hkv],
      info: {
        kernel: 'gla_chunk.kv',
        op: 'glaChunk',
        ...info,
        flops: 2 * nb * Hkv * T * dk * dv,
        bytes: 4 * nb * T * Hkv * (dk * (hasA ? 2 : 1) * dvTiles1 + dv * (hasD ? 2 : 1) * (dk / BK)) + 4 * nb * Hkv * N * dk * dv,
      },
    });
    const sScan = slots([
      ['S', st.t],
      ['H', Hst],
      ['G', G],
      ['GD', GD],
      ['Z', zs?.t],
      ['ZH', Zh],
    ]);
    ctx.dispatch({
      kernel: ctx.kernel({ file: 'gla_chunk.wgsl', sources: CHUNK_SOURCES, defines: { ...sScan.defines, ...defs, MODE: 'scan' } }),
      params: p(b0, 0),
      bindings: sScan.bindings,
      workgroups: [ceilDiv((dk * dv) / 4 + (denom ? dk : 0), 256), nb * Hkv],
      info: {
        kernel: 'gla_chunk.scan',
        op: 'glaChunk',
        ...info,
        flops: 2 * nb * Hkv * N * dk * dv,
        bytes: 8 * nb * Hkv * N * dk * dv + 4 * nb * Hkv * N * (dk + (hasD ? dv : 0)),
      },
    });

    const s2 = slots([
      ['Q', a.q],
      ['K', a.k],
      ['G', G],
      ['P', Pm],
    ]);
    ctx.dispatch({
      kernel: ctx.kernel({
        file: 'gla_chunk.wgsl',
        sources: CHUNK_SOURCES,
        defines: { ...s2.defines, ...defs, ...attnCode(NSUB, hasA), MODE: 'attn', KS: KSA, INNER: inner(KSA) },
      }),
      params: p(b0, 0, KSA),
      bindings: s2.bindings,
      workgroups: [Math.min(N, 65535), ceilDiv(N, 65535), nb * Hq],
      info: {
        kernel: 'gla_chunk.attn',
        op: 'glaChunk',
        ...info,
        flops: nb * Hq * N * (NSUB * (NSUB + 1) * 128) * dk * 2,
        bytes: 4 * nb * T * (Hq * (dk + C) + Hkv * dk * (hasA ? 2 : 1)),
      },
    });

    const s3 = slots([
      ['Q', a.q],
      ['V', a.v],
      ['G', G],
      ['GD', GD],
      ['H', Hst],
      ['ZH', Zh],
      ['P', Pm],
      ['O', o],
    ]);
    const dvTiles2 = dv / BV2;
    ctx.dispatch({
      kernel: ctx.kernel({
        file: 'gla_chunk.wgsl',
        sources: CHUNK_SOURCES,
        defines: { ...s3.defines, ...defs, ...outputCode(C / 16, NV2, denom), MODE: 'output', KS: KS2, NV: NV2, TXN: TXN2, INNER: inner(KS2) },
      }),
      params: p(b0, dvTiles2, KS2),
      bindings: s3.bindings,
      workgroups: [dvTiles2, N, nb * Hq],
      info: {
        kernel: 'gla_chunk.output',
        op: 'glaChunk',
        ...info,
        flops: 2 * nb * Hq * T * (dk + C) * dv,
        bytes: 4 * nb * T * (Hq * (dk * dvTiles2 + C * dvTiles2 + dv) + Hkv * dv * (hasD ? 2 : 1)) + 4 * nb * Hq * N * dk * dv,
      },
    });
    Hst.dispose();
    Zh?.dispose();
  }
  G?.dispose();
  GD?.dispose();
  Pm.dispose();
  if (st.temp) st.t.dispose();
  if (zs?.temp) zs.t.dispose();
  return o;
}
