// Chunkwise-parallel gated linear attention (spec §3.2, §3.4). Chunks of C tokens (C % 16 == 0),
// N = ceil(T / C); A = log α ≤ 0 (key side), D = log β ≤ 0 (value side). Every exponent is ≤ 0.
// MODE == cumsum  G, GD = the inclusive cumulative sums of A, D restarted at every chunk (non-increasing).
// MODE == kv      (dk tile, dv tile, chunk, b, kv head), parallel over chunks: the chunk's contribution
//                 ΔS_n = (K ⊙ exp(G_last − G))ᵀ (V ⊙ exp(GD_last − GD)), G_last the chunk's last valid row
//                 (and Δz_n = Σ_t K ⊙ exp(G_last − G) with the denominator).
// MODE == scan    (state entries, b, kv head), serial over chunks but only elementwise: replaces ΔS_n by
//                 S_n, the state entering chunk n, with S_{n+1} = (exp(G_last) exp(GD_last)ᵀ) ⊙ S_n + ΔS_n;
//                 the final state in place.
// MODE == attn    (chunk, b, q head): the intra-chunk matrix P[t, u] = s Σ_k Q[t,k] K[u,k] exp(G[t,k] − G[u,k]),
//                 u ≤ t, from sub-chunks of 16 (anchored off-diagonal blocks, pairwise diagonal blocks),
//                 written to P (B, T, Hq, C); entries u > t are never written.
// MODE == output  (dv tile, chunk, b, q head): one GEMM over the concatenated reduction axis [dk | C]:
//                 O = [s Q ⊙ exp(G) | P] · [S_n ; V]. HAS_D: the inter part is scaled by exp(GD_t) and the
//                 intra terms take exp(GD_t − GD_u) pairwise. DENOM: the same GEMM against [z_n ; 1] gives
//                 the denominator; O / (den + 1e-6) (the op sets s = 1).
// Binding slots are assigned by the op (${BIND_*}); tile shapes are defines too (they size register sets).

struct Params {
  T: u32,
  Hq: u32,
  Hkv: u32,
  dk: u32,
  dv: u32,
  N: u32,        // chunks
  groups: u32,   // Hq / Hkv
  scale: f32,
  b0: u32,       // first batch row of this dispatch (the state-history buffer holds batches b0..)
  dv_tiles: u32,
  inner: u32,    // the inner product loop's trip count (KS or SL). The INNER define is `P.inner` by default: a
                 //   uniform bound keeps software drivers (lavapipe) from unrolling the wide loop bodies,
                 //   which costs them tens of seconds of compile time; the op can make it a constant.
  _pad: u32,
}

const C: u32 = ${C}u;
const NSUB: u32 = C / 16u;
const EPS: f32 = 1e-6;

@group(0) @binding(0) var<uniform> P: Params;

// ----------------------------------------------------------------------------------------- cumsum
#if MODE == cumsum
// G[t] = Σ_{u = chunk start..t} A[u], one thread per (b, chunk, h, column): loads coalesce across columns.
@group(0) @binding(${BIND_X}) var<storage, read> xin: array<f32>;          // (B, T, H, W) log gates
@group(0) @binding(${BIND_Y}) var<storage, read_write> yout: array<f32>;   // (B, T, H, W) chunk-local cumsum

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // P.dk is the width W here, P.Hkv the heads
  let hw = P.Hkv * P.dk;
  let col = wid.x * 256u + lid;          // h · W + column
  if (col >= hw) { return; }
  let n = wid.y;
  let b = wid.z;
  let t0 = n * C;
  let t1 = min(t0 + C, P.T);
  var acc = 0.0;
  for (var t = t0; t < t1; t++) {
    let o = (b * P.T + t) * hw + col;
    acc += xin[o];
    yout[o] = acc;
  }
}
#endif

// --------------------------------------------------------------------------------------------- kv
#if MODE == kv
const TM: u32 = ${TM}u;                // rows per thread (contiguous); BK = 16 · TM
const NV: u32 = ${NV}u;                // vec4 column groups per thread
const TXN: u32 = ${TXN}u;              // threads along columns; WG = 16 · TXN
const SL: u32 = ${SL}u;                // rows staged per round
const WG: u32 = 16u * TXN;
const BK: u32 = 16u * TM;
const BV: u32 = 4u * NV * TXN;
const BV4: u32 = BV / 4u;

const BK4: u32 = BK / 4u;
const NIT_K: u32 = (SL * BK4 + WG - 1u) / WG;   // staging rounds, constant so that loads batch up
const NIT_V: u32 = (SL * BV4 + WG - 1u) / WG;

@group(0) @binding(${BIND_K}) var<storage, read> k: array<vec4<f32>>;        // (B, T, Hkv, dk)
@group(0) @binding(${BIND_V}) var<storage, read> v: array<vec4<f32>>;        // (B, T, Hkv, dv)
#if HAS_A
@group(0) @binding(${BIND_G}) var<storage, read> g: array<vec4<f32>>;        // (B, T, Hkv, dk) G
#endif
#if HAS_D
@group(0) @binding(${BIND_GD}) var<storage, read> gd: array<vec4<f32>>;      // (B, T, Hkv, dv) GD
#endif
@group(0) @binding(${BIND_H}) var<storage, read_write> hst: array<vec4<f32>>;// (Bg, Hkv, N, dk, dv) ΔS_n
#if DENOM
@group(0) @binding(${BIND_ZH}) var<storage, read_write> zh: array<f32>;      // (Bg, Hkv, N, dk) Δz_n
#endif

var<workgroup> sh_k: array<vec4<f32>, SL * BK4>;   // (SL, BK) K ⊙ exp(G_last − G)
var<workgroup> sh_v: array<vec4<f32>, SL * BV4>;    // (SL, BV) V (⊙ exp(GD_last − GD))
#if HAS_A
var<workgroup> sh_gl: array<vec4<f32>, BK4>;        // G_last
#endif
#if HAS_D
var<workgroup> sh_gdl: array<vec4<f32>, BV4>;       // GD_last
#endif

// ΔS_n = (K ⊙ exp(G_last − G))ᵀ (V ⊙ exp(GD_last − GD)) over chunk n, a (BK × C)·(C × BV) product per
// workgroup, parallel over chunks. The tile lives in named registers s_a_n emitted by the op
// (function-scope arrays indexed in loops end up in local memory on some drivers).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let dk = P.dk;
  let dv = P.dv;
  let T = P.T;
  let Hkv = P.Hkv;
  let kt = wid.x / P.dv_tiles;
  let vt = wid.x % P.dv_tiles;
  let k0 = kt * BK;
  let v0 = vt * BV;
  let n = wid.y;
  let bh = wid.z;                      // batch-local b · Hkv + h
  let b = P.b0 + bh / Hkv;
  let h = bh % Hkv;
  let tx = lid % TXN;
  let ty = lid / TXN;
  let dv4 = dv / 4u;
  let kstride4 = Hkv * dk / 4u;
  let vstride4 = Hkv * dv4;
  let kbase = (b * T * Hkv + h) * dk / 4u + k0 / 4u;  // + t · kstride4 + vec4 column
  let vbase = (b * T * Hkv + h) * dv4 + v0 / 4u;      // + t · vstride4 + vec4 column
  let tc = n * C;
  let tl = min(tc + C, T) - 1u;        // the chunk's last valid row
  ${S_ZERO}
#if HAS_A
  for (var e = lid; e < BK4; e += WG) { sh_gl[e] = g[kbase + tl * kstride4 + e]; }
#endif
#if HAS_D
  for (var e = lid; e < BV4; e += WG) { sh_gdl[e] = gd[vbase + tl * vstride4 + e]; }
#endif
#if DENOM
  var z = 0.0;
#endif
  for (var r0 = 0u; r0 < C; r0 += SL) {
    if (tc + r0 > tl) { break; }
    workgroupBarrier();
    for (var it = 0u; it < NIT_K; it++) {
      let e = lid + it * WG;
      let r = e / BK4;
      let c4 = e % BK4;
      let t = tc + r0 + r;
      var kk = vec4<f32>(0.0);
      if (e < SL * BK4 && t <= tl) {
        kk = k[kbase + t * kstride4 + c4];
#if HAS_A
        kk = kk * exp(min(sh_gl[c4] - g[kbase + t * kstride4 + c4], vec4<f32>(0.0)));
#endif
      }
      if (e < SL * BK4) { sh_k[e] = kk; }
    }
    for (var it = 0u; it < NIT_V; it++) {
      let e = lid + it * WG;
      let r = e / BV4;
      let c4 = e % BV4;
      let t = tc + r0 + r;
      var vv = vec4<f32>(0.0);
      if (e < SL * BV4 && t <= tl) {
        vv = v[vbase + t * vstride4 + c4];
#if HAS_D
        vv = vv * exp(min(sh_gdl[c4] - gd[vbase + t * vstride4 + c4], vec4<f32>(0.0)));
#endif
      }
      if (e < SL * BV4) { sh_v[e] = vv; }
    }
    workgroupBarrier();
    for (var r = 0u; r < ${INNER}; r++) {
      let kb = r * BK + ty * TM;
      let vb = r * BV4 + tx;
      ${S_FMA}
    }
#if DENOM
    if (lid < BK) {
      for (var r = 0u; r < SL; r++) { z += sh_k[r * BK4 + lid / 4u][lid % 4u]; }
    }
#endif
  }
  let hb = ((bh * P.N + n) * dk + k0 + ty * TM) * dv4 + v0 / 4u + tx;
  ${S_PUBLISH}
#if DENOM
  if (vt == 0u && lid < BK) { zh[(bh * P.N + n) * dk + k0 + lid] = z; }
#endif
}
#endif

// ------------------------------------------------------------------------------------------- scan
#if MODE == scan
// State passing, one thread per 4 state entries (and one per z entry), serial over chunks, in place:
// hst[n] holds ΔS_n on entry and S_n (the state entering chunk n) on exit;
// S_{n+1} = (exp(G_last) exp(GD_last)ᵀ) ⊙ S_n + ΔS_n, z_{n+1} = exp(G_last) ⊙ z_n + Δz_n.
@group(0) @binding(${BIND_S}) var<storage, read_write> st: array<vec4<f32>>; // (B, Hkv, dk, dv) S_0 in, S_T out
@group(0) @binding(${BIND_H}) var<storage, read_write> hst: array<vec4<f32>>;// (Bg, Hkv, N, dk, dv)
#if HAS_A
@group(0) @binding(${BIND_G}) var<storage, read> g: array<f32>;              // (B, T, Hkv, dk) G
#endif
#if HAS_D
@group(0) @binding(${BIND_GD}) var<storage, read> gd: array<vec4<f32>>;      // (B, T, Hkv, dv) GD
#endif
#if DENOM
@group(0) @binding(${BIND_Z}) var<storage, read_write> zs: array<f32>;       // (B, Hkv, dk) z_0 in, z_T out
@group(0) @binding(${BIND_ZH}) var<storage, read_write> zh: array<f32>;      // (Bg, Hkv, N, dk)
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let dk = P.dk;
  let dv4 = P.dv / 4u;
  let T = P.T;
  let Hkv = P.Hkv;
  let e = wid.x * 256u + lid;
  let bh = wid.y;
  let b = P.b0 + bh / Hkv;
  let h = bh % Hkv;
  let bhg = b * Hkv + h;
  let gbase = (b * T * Hkv + h) * dk;        // + t · Hkv · dk + row
  let ne = dk * dv4;
  if (e < ne) {
    let i = e / dv4;
    let c4 = e % dv4;
    var s = st[bhg * ne + e];
    for (var n = 0u; n < P.N; n++) {
      let tl = min(n * C + C, T) - 1u;
      let o = (bh * P.N + n) * ne + e;
      let x = hst[o];
      hst[o] = s;
#if HAS_A
      s = s * exp(g[gbase + tl * Hkv * dk + i]);
#endif
#if HAS_D
      s = s * exp(gd[(b * T * Hkv + h) * dv4 + tl * Hkv * dv4 + c4]);
#endif
      s = s + x;
    }
    st[bhg * ne + e] = s;
  }
#if DENOM
  else if (e < ne + dk) {
    let i = e - ne;
    var z = zs[bhg * dk + i];
    for (var n = 0u; n < P.N; n++) {
      let tl = min(n * C + C, T) - 1u;
      let o = (bh * P.N + n) * dk + i;
      let x = zh[o];
      zh[o] = z;
#if HAS_A
      z = z * exp(g[gbase + tl * Hkv * dk + i]);
#endif
      z = z + x;
    }
    zs[bhg * dk + i] = z;
  }
#endif
}
#endif

// ------------------------------------------------------------------------------------------- attn
#if MODE == attn
const KS: u32 = ${KS}u;               // dk columns per staged slice
const KP: u32 = KS + 1u;              // padded row stride: lanes read rows 16j + c
const NE: u32 = ${NE}u;               // diagonal pairs per thread: ceil(NSUB · 136 / 256)

const KS4: u32 = KS / 4u;
const NIT_S: u32 = (C * KS4 + 255u) / 256u;            // staging rounds (constant: the loads batch up)
const NIT_D: u32 = ((C - 16u) * KS + 255u) / 256u;
const NIT_A: u32 = (NSUB * NSUB * KS + 255u) / 256u;

@group(0) @binding(${BIND_Q}) var<storage, read> q: array<vec4<f32>>;      // (B, T, Hq, dk)
@group(0) @binding(${BIND_K}) var<storage, read> k: array<vec4<f32>>;      // (B, T, Hkv, dk)
#if HAS_A
@group(0) @binding(${BIND_G}) var<storage, read> g: array<vec4<f32>>;      // (B, T, Hkv, dk) G
#endif
@group(0) @binding(${BIND_P}) var<storage, read_write> pm: array<f32>;     // (B, T, Hq, C) P rows

var<workgroup> sh_q: array<f32, C * KP>;                  // s Q (raw, for the diagonal blocks)
var<workgroup> sh_k: array<f32, C * KP>;                  // K (raw)
var<workgroup> sh_g: array<f32, C * KP>;                  // G
var<workgroup> sh_qt: array<f32, (C - 16u) * KP + 1u>;    // rows 16..C−1: s Q ⊙ exp(G − G_{first row of its sub-chunk})
var<workgroup> sh_kh: array<f32, (C - 16u) * KP + 1u>;    // rows 0..C−17: K ⊙ exp(G_{first row of the next sub-chunk} − G)
var<workgroup> sh_d: array<f32, NSUB * NSUB * KS>;        // (i, j): exp(G_{16i} − G_{16(j+1)}), j < i

// One workgroup per (chunk, b, q head) builds every lower block of P. Off-diagonal block (i, j), j < i:
//   P = (Q ⊙ exp(G − G_{16i})) · diag(exp(G_{16i} − G_{16(j+1)})) · (K ⊙ exp(G_{16(j+1)} − G))ᵀ,
// three factors with exponents ≤ 0 (the anchors of §3.2 split at the sub-chunk boundary so that K's
// factor is shared by every i); thread (r, c) holds entry (r, c) of every such block (acc_i_j).
// Diagonal blocks pairwise: the NSUB · 136 pairs u ≤ t are packed densely over the threads (acd_e).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x + wid.y * 65535u;
  if (n >= P.N) { return; }
  let bq = wid.z;                      // batch-local b · Hq + hq
  let b = P.b0 + bq / P.Hq;
  let hq = bq % P.Hq;
  let h = hq / P.groups;
  let T = P.T;
  let dk = P.dk;
  let dk4 = dk / 4u;
  let tc = n * C;
  let r = lid / 16u;
  let c = lid % 16u;
  let sc = P.scale;
  ${A_DECL}
  for (var k0 = 0u; k0 < dk; k0 += KS) {
    for (var it = 0u; it < NIT_S; it++) {
      let e = lid + it * 256u;
      let row = e / KS4;
      let kq = e % KS4;
      let t = tc + row;
      var qv = vec4<f32>(0.0);
      var kv = vec4<f32>(0.0);
      var gv = vec4<f32>(0.0);
      if (e < C * KS4 && t < T) {
        qv = q[((b * T + t) * P.Hq + hq) * dk4 + k0 / 4u + kq] * sc;
        kv = k[((b * T + t) * P.Hkv + h) * dk4 + k0 / 4u + kq];
#if HAS_A
        gv = g[((b * T + t) * P.Hkv + h) * dk4 + k0 / 4u + kq];
#endif
      }
      if (e < C * KS4) {
        let o = row * KP + kq * 4u;
        sh_q[o] = qv.x; sh_q[o + 1u] = qv.y; sh_q[o + 2u] = qv.z; sh_q[o + 3u] = qv.w;
        sh_k[o] = kv.x; sh_k[o + 1u] = kv.y; sh_k[o + 2u] = kv.z; sh_k[o + 3u] = kv.w;
        sh_g[o] = gv.x; sh_g[o + 1u] = gv.y; sh_g[o + 2u] = gv.z; sh_g[o + 3u] = gv.w;
      }
    }
    workgroupBarrier();
    for (var it = 0u; it < NIT_D; it++) {
      let e = lid + it * 256u;
      if (e >= (C - 16u) * KS) { break; }
      let x = e / KS;
      let kk = e % KS;
      let t = x + 16u;                                  // Q̃ row, anchored at its sub-chunk's first row
      let ta = t & ~15u;
      sh_qt[x * KP + kk] = sh_q[t * KP + kk] * exp(min(sh_g[t * KP + kk] - sh_g[ta * KP + kk], 0.0));
      let ub = (x & ~15u) + 16u;                        // K̂ row x, anchored at the next sub-chunk's first row
      sh_kh[x * KP + kk] = sh_k[x * KP + kk] * exp(min(sh_g[ub * KP + kk] - sh_g[x * KP + kk], 0.0));
    }
    for (var it = 0u; it < NIT_A; it++) {
      let e = lid + it * 256u;
      if (e >= NSUB * NSUB * KS) { break; }
      let ij = e / KS;
      let kk = e % KS;
      let i = ij / NSUB;
      let j = ij % NSUB;
      var dd = 0.0;
      if (j < i) { dd = exp(min(sh_g[i * 16u * KP + kk] - sh_g[(j + 1u) * 16u * KP + kk], 0.0)); }
      sh_d[e] = dd;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${INNER}; kk++) {
      ${A_FMA}
    }
    workgroupBarrier();
  }
  let pb = ((b * T + tc) * P.Hq + hq) * C;   // + row · Hq · C + column
  let rs = P.Hq * C;
  ${A_STORE}
}
#endif

// ----------------------------------------------------------------------------------------- output
#if MODE == output
const KS: u32 = ${KS}u;                // reduction slice
const KP: u32 = KS + 1u;
const NV: u32 = ${NV}u;                // vec4 column groups per thread
const TXN: u32 = ${TXN}u;              // threads along columns; WG = 16 · TXN
const WG: u32 = 16u * TXN;
const BV: u32 = 4u * NV * TXN;
const BV4: u32 = BV / 4u;
const RM: u32 = C / 16u;               // rows per thread: ty + 16 m
const KS4: u32 = KS / 4u;
const NIT_A: u32 = (C * KS4 + WG - 1u) / WG;           // staging rounds (constant: the loads batch up)
const NIT_B: u32 = (KS * BV4 + WG - 1u) / WG;

@group(0) @binding(${BIND_Q}) var<storage, read> q: array<vec4<f32>>;          // (B, T, Hq, dk)
@group(0) @binding(${BIND_V}) var<storage, read> v: array<vec4<f32>>;          // (B, T, Hkv, dv)
#if HAS_A
@group(0) @binding(${BIND_G}) var<storage, read> g: array<vec4<f32>>;          // (B, T, Hkv, dk) G
#endif
#if HAS_D
@group(0) @binding(${BIND_GD}) var<storage, read> gd: array<vec4<f32>>;        // (B, T, Hkv, dv) GD
#endif
@group(0) @binding(${BIND_H}) var<storage, read> hst: array<vec4<f32>>;        // (Bg, Hkv, N, dk, dv) S_n
#if DENOM
@group(0) @binding(${BIND_ZH}) var<storage, read> zh: array<f32>;              // (Bg, Hkv, N, dk) z_n
#endif
@group(0) @binding(${BIND_P}) var<storage, read> pm: array<vec4<f32>>;         // (B, T, Hq, C) P rows
@group(0) @binding(${BIND_O}) var<storage, read_write> o: array<vec4<f32>>;    // (B, T, Hq, dv)

var<workgroup> sh_a: array<f32, C * KP>;            // (C, KS) left operand slice
var<workgroup> sh_b: array<vec4<f32>, KS * BV4>;    // (KS, BV) right operand slice
#if HAS_D
var<workgroup> sh_d: array<vec4<f32>, KS * BV4>;    // (KS, BV) GD of the V rows
#endif
#if DENOM
var<workgroup> sh_z: array<f32, KS>;
#endif

// The accumulators are named registers acc_m_n (row ty + 16m, vec4 column group tx + TXN·n), emitted by
// the op (see the state pass for why).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let vt = wid.x;
  let n = wid.y;
  let bq = wid.z;                       // batch-local b · Hq + hq
  let bl = bq / P.Hq;
  let b = P.b0 + bl;
  let hq = bq % P.Hq;
  let h = hq / P.groups;
  let T = P.T;
  let dk = P.dk;
  let dv = P.dv;
  let dv4 = dv / 4u;
  let dk4 = dk / 4u;
  let v04 = vt * BV4;
  let tx = lid % TXN;
  let ty = lid / TXN;
  let tc = n * C;                       // first row of the chunk
  let sc = P.scale;
  ${O_DECL}
  let hb = ((bl * P.Hkv + h) * P.N + n) * dk;

  // inter-chunk part: (s Q ⊙ exp(G)) S_n
  for (var k0 = 0u; k0 < dk; k0 += KS) {
    for (var it = 0u; it < NIT_A; it++) {
      let e = lid + it * WG;
      if (e >= C * KS4) { break; }
      let row = e / KS4;
      let kq = e % KS4;
      let t = tc + row;
      var val = vec4<f32>(0.0);
      if (t < T) {
        val = q[((b * T + t) * P.Hq + hq) * dk4 + k0 / 4u + kq] * sc;
#if HAS_A
        val = val * exp(g[((b * T + t) * P.Hkv + h) * dk4 + k0 / 4u + kq]);
#endif
      }
      let base = row * KP + kq * 4u;
      sh_a[base] = val.x;
      sh_a[base + 1u] = val.y;
      sh_a[base + 2u] = val.z;
      sh_a[base + 3u] = val.w;
    }
    for (var it = 0u; it < NIT_B; it++) {
      let e = lid + it * WG;
      if (e >= KS * BV4) { break; }
      let kk = e / BV4;
      sh_b[e] = hst[(hb + k0 + kk) * dv4 + v04 + e % BV4];
    }
#if DENOM
    if (lid < KS) { sh_z[lid] = zh[hb + k0 + lid]; }
#endif
    workgroupBarrier();
    for (var kk = 0u; kk < ${INNER}; kk++) {
      ${O_LOAD}
      ${O_FMA}
#if DENOM
      let zz = sh_z[kk];
      ${O_DEN_Z}
#endif
    }
    workgroupBarrier();
  }

#if HAS_D
  // value-side gate: scale the inter part by exp(GD_t), keep GD_t for the pairwise intra terms
  ${O_DSCALE}
#endif

  // intra-chunk part: tril(P) V
  for (var u0 = 0u; u0 < C; u0 += KS) {
    if (tc + u0 >= T) { break; }
    for (var it = 0u; it < NIT_A; it++) {
      let e = lid + it * WG;
      if (e >= C * KS4) { break; }
      let row = e / KS4;
      let kq = e % KS4;
      let t = tc + row;
      var val = vec4<f32>(0.0);
      if (t < T && u0 + kq * 4u <= row) {
        val = pm[((b * T + t) * P.Hq + hq) * (C / 4u) + u0 / 4u + kq];
        let u = u0 + kq * 4u;
        // entries above the diagonal were never written
        if (u + 1u > row) { val.y = 0.0; }
        if (u + 2u > row) { val.z = 0.0; }
        if (u + 3u > row) { val.w = 0.0; }
      }
      let base = row * KP + kq * 4u;
      sh_a[base] = val.x;
      sh_a[base + 1u] = val.y;
      sh_a[base + 2u] = val.z;
      sh_a[base + 3u] = val.w;
    }
    for (var it = 0u; it < NIT_B; it++) {
      let e = lid + it * WG;
      if (e >= KS * BV4) { break; }
      let kk = e / BV4;
      let t = tc + u0 + kk;
      var val = vec4<f32>(0.0);
#if HAS_D
      var dval = vec4<f32>(0.0);
#endif
      if (t < T) {
        let idx = ((b * T + t) * P.Hkv + h) * dv4 + v04 + e % BV4;
        val = v[idx];
#if HAS_D
        dval = gd[idx];
#endif
      }
      sh_b[e] = val;
#if HAS_D
      sh_d[e] = dval;
#endif
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${INNER}; kk++) {
      ${O_LOAD}
#if HAS_D
      ${O_FMA_D}
#else
      ${O_FMA}
#endif
#if DENOM
      ${O_DEN_P}
#endif
    }
    workgroupBarrier();
  }

  ${O_STORE}
}
#endif
