// One decode token of a gated-linear-attention layer in one dispatch, one workgroup per kv head h
// (spec §1.5 steps 1–8 after the projections, §3.1):
//   inputs  proj = [q | k | v | gk | gr | gv | g] of this token (a fused GEMV's output; segment
//           offsets in P), short conv + SiLU on q, k, v with the rolling history (CONV);
//   gates   log α_i from gk (low rank: a = W1·z + b1 here) per GATE, / τ, clamp; value side for fast_decay;
//   maps    φ(q) per query head of the group, φ(k) (FMAP); exp_norm keeps the running key max M and folds
//           M_{t−1} − M_t into log α (0 at the very first token);
//   state   S ← (e^{log α} e^{log β}ᵀ) ⊙ S + φ(k) vᵀ; z ← e^{log α} ⊙ z + φ(k)  (DENOM);
//   read    o_g = s·Sᵀφ(q_g), or Sᵀφ(q_g) / (zᵀφ(q_g) + 1e-6);
//   output  per query head: norm over dv (NORM: 0 none, 1 rmsnorm, 2 layernorm) ⊙ swish(g) (OUT_GATE).
// The state update splits the rows over ⌊256 / dv⌋ groups of dv threads (dv ≤ 256); thread j < dv
// then owns value column j for the norm and the output gate.
// The op checks the workgroup-memory bounds below and falls back to the unfused ops otherwise.

#include "gate_math.wgsl"

const NEG_INF: f32 = -3.0e38;
const MAXQ: u32 = 1536u;   // G · dkf
const MAXK: u32 = 512u;    // dkf
const MAXV: u32 = 256u;    // dv
const MAXG: u32 = 8u;      // query heads per kv head

struct Params {
  Hq: u32, Hkv: u32, dk: u32, dkf: u32,
  dv: u32, G: u32, rank: u32, K: u32,            // K: conv size
  off_q: u32, off_k: u32, off_v: u32, off_gk: u32,
  off_gr: u32, off_gv: u32, off_g: u32, first: u32,
  inv_tau: f32, clamp_min: f32, scale: f32, eps: f32,
  p_qc: u32, p_kc: u32, p_vc: u32, p_w1k: u32,    // offsets into the packed per-layer parameters
  p_b1k: u32, p_w1r: u32, p_b1r: u32, p_w1v: u32,
  p_b1v: u32, p_hqw: u32, p_hqb: u32, p_hkw: u32,
  p_hkb: u32, p_nw: u32, p_nb: u32, h_q: u32,    // h_*: offsets of the conv histories in hs
  h_k: u32, h_v: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> proj: array<f32>;         // (N) this token's projections
@group(0) @binding(2) var<storage, read_write> st: array<f32>;     // (Hkv, dkf, dv) state S
@group(0) @binding(3) var<storage, read_write> y: array<f32>;      // (Hq·dv) gated, normed output
#if USES_PK
@group(0) @binding(${BIND_PK}) var<storage, read> pk: array<f32>;        // packed per-layer small weights
#endif
#if DENOM
@group(0) @binding(${BIND_Z}) var<storage, read_write> zs: array<f32>;   // (Hkv, dkf) denominator state
#endif
#if FMAP == exp_norm
@group(0) @binding(${BIND_M}) var<storage, read_write> mk: array<f32>;   // (Hkv) running key max
#endif
#if CONV
@group(0) @binding(${BIND_H}) var<storage, read_write> hs: array<f32>;   // conv histories (K−1, C) of q, k, v at h_q, h_k, h_v
#endif

var<workgroup> sq: array<f32, MAXQ>;   // q of the group, then φ(q) (G rows of dkf)
var<workgroup> sk: array<f32, MAXK>;   // k, then φ(k)
var<workgroup> sa: array<f32, MAXK>;   // log α, then α
var<workgroup> sv: array<f32, MAXV>;   // v
var<workgroup> sd: array<f32, MAXV>;   // log β, then β (fast_decay)
var<workgroup> red: array<f32, 256>;

fn wg_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn wg_max(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// Short causal conv + SiLU of channel c (of C) with weights at pk[pw] and history rows hs[ho + r·C + c],
// r < K−1 (oldest first); shifts the history by one token.
#if CONV
fn conv(c: u32, x: f32, C: u32, pw: u32, ho: u32) -> f32 {
  let K = P.K;
  var s = pk[pw + c * K + K - 1u] * x;
  for (var r = 0u; r + 1u < K; r++) { s += pk[pw + c * K + r] * hs[ho + r * C + c]; }
  for (var r = 0u; r + 2u < K; r++) { hs[ho + r * C + c] = hs[ho + (r + 1u) * C + c]; }
  if (K > 1u) { hs[ho + (K - 2u) * C + c] = x; }
  return s * sigmoid_acc(s);
}
#endif

// Gate logit of kv-head channel ch (full rank: straight from proj; low rank: W1·z + b1).
fn gate_logit(off: u32, pw: u32, pb: u32, ch: u32) -> f32 {
#if LOWRANK
  var s = pk[pb + ch];
  for (var r = 0u; r < P.rank; r++) { s += pk[pw + ch * P.rank + r] * proj[off + r]; }
  return s;
#else
  return proj[off + ch];
#endif
}

#if FMAP == hedgehog
// Row g of the group's query features, or the key's features for g == G.
fn hh_feat(g: u32, i: u32) -> f32 {
  if (g < P.G) { return sq[g * P.dkf + i]; }
  return sk[i];
}
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let G = P.G;
  let dk = P.dk;
  let dkf = P.dkf;
  let dv = P.dv;

  // 1. inputs (+ conv), gates ------------------------------------------------------------
  for (var e = lid; e < G * dk; e += 256u) {
    let c = h * G * dk + e;               // the group's query heads are consecutive
    var x = proj[P.off_q + c];
#if CONV
    x = conv(c, x, P.Hq * dk, P.p_qc, P.h_q);
#endif
    sq[(e / dk) * dkf + e % dk] = x;
  }
  for (var i = lid; i < dk; i += 256u) {
    let c = h * dk + i;
    var x = proj[P.off_k + c];
#if CONV
    x = conv(c, x, P.Hkv * dk, P.p_kc, P.h_k);
#endif
    sk[i] = x;
#if GATE == none
    var la = 0.0;
#elif GATE == refined
    var la = log_refined(gate_logit(P.off_gk, P.p_w1k, P.p_b1k, c), gate_logit(P.off_gr, P.p_w1r, P.p_b1r, c)) * P.inv_tau;
#else
    var la = log_sigmoid_acc(gate_logit(P.off_gk, P.p_w1k, P.p_b1k, c)) * P.inv_tau;
#endif
#if CLAMP
    la = max(la, P.clamp_min);
#endif
    sa[i] = la;
    if (dkf > dk) { sa[dk + i] = la; }    // hedgehog: the gate repeats over both halves
  }
  for (var j = lid; j < dv; j += 256u) {
    let c = h * dv + j;
    var x = proj[P.off_v + c];
#if CONV
    x = conv(c, x, P.Hkv * dv, P.p_vc, P.h_v);
#endif
    sv[j] = x;
#if GATE == fast_decay
    var ld = log_sigmoid_acc(gate_logit(P.off_gv, P.p_w1v, P.p_b1v, c)) * P.inv_tau;
#if CLAMP
    ld = max(ld, P.clamp_min);
#endif
    sd[j] = exp(ld);
#else
    sd[j] = 1.0;
#endif
  }
  workgroupBarrier();

  // 2. feature maps ------------------------------------------------------------------------
#if FMAP == relu || FMAP == elu1
  for (var e = lid; e < G * dkf; e += 256u) {
    let x = sq[e];
#if FMAP == relu
    sq[e] = max(x, 0.0);
#else
    sq[e] = select(exp(x), 1.0 + x, x > 0.0);
#endif
  }
  for (var i = lid; i < dk; i += 256u) {
    let x = sk[i];
#if FMAP == relu
    sk[i] = max(x, 0.0);
#else
    sk[i] = select(exp(x), 1.0 + x, x > 0.0);
#endif
  }
  workgroupBarrier();
#endif
#if FMAP == exp_norm
  for (var g = 0u; g < G; g++) {
    var m = NEG_INF;
    for (var i = lid; i < dk; i += 256u) { m = max(m, sq[g * dkf + i]); }
    let mq = wg_max(m, lid);
    for (var i = lid; i < dk; i += 256u) { sq[g * dkf + i] = exp(sq[g * dkf + i] - mq); }
  }
  var mloc = NEG_INF;
  for (var i = lid; i < dk; i += 256u) { mloc = max(mloc, sk[i]); }
  let kmax = wg_max(mloc, lid);
  var mnew = kmax;
  var fold = 0.0;
  if (P.first == 0u) {
    let mprev = mk[h];
    mnew = max(mprev, kmax);
    fold = mprev - mnew;
  }
  for (var i = lid; i < dk; i += 256u) {
    sk[i] = exp(sk[i] - mnew);
    sa[i] = sa[i] + fold;
  }
  workgroupBarrier();
  if (lid == 0u) { mk[h] = mnew; }
#endif
#if FMAP == hedgehog
  // y = W x + b per head (W [dk, dk] as [out, in]); φ = softmax over 2dk of [2y, −2y].
  var yv: array<f32, 4>;                 // (G + 1)·dk ≤ 1024 outputs, ≤ 4 per thread
  for (var n = 0u; n < 4u; n++) {
    let e = lid + n * 256u;
    if (e < (G + 1u) * dk) {
      let g = e / dk;
      let j = e % dk;
      var s = 0.0;
      if (g < G) {
        s = pk[P.p_hqb + j];
        for (var i = 0u; i < dk; i++) { s += pk[P.p_hqw + j * dk + i] * sq[g * dkf + i]; }
      } else {
        s = pk[P.p_hkb + j];
        for (var i = 0u; i < dk; i++) { s += pk[P.p_hkw + j * dk + i] * sk[i]; }
      }
      yv[n] = 2.0 * s;
    }
  }
  workgroupBarrier();
  for (var n = 0u; n < 4u; n++) {
    let e = lid + n * 256u;
    if (e < (G + 1u) * dk) {
      let g = e / dk;
      let j = e % dk;
      if (g < G) {
        sq[g * dkf + j] = yv[n];
        sq[g * dkf + dk + j] = -yv[n];
      } else {
        sk[j] = yv[n];
        sk[dk + j] = -yv[n];
      }
    }
  }
  workgroupBarrier();
  for (var g = 0u; g <= G; g++) {
    var m = NEG_INF;
    for (var i = lid; i < dkf; i += 256u) { m = max(m, hh_feat(g, i)); }
    let mx = wg_max(m, lid);
    var s = 0.0;
    for (var i = lid; i < dkf; i += 256u) { s += exp(hh_feat(g, i) - mx); }
    let tot = wg_sum(s, lid);
    for (var i = lid; i < dkf; i += 256u) {
      if (g < G) { sq[g * dkf + i] = exp(sq[g * dkf + i] - mx) / tot; } else { sk[i] = exp(sk[i] - mx) / tot; }
    }
    workgroupBarrier();
  }
#endif
  for (var i = lid; i < dkf; i += 256u) { sa[i] = exp(sa[i]); }
  workgroupBarrier();

  // 3. state update and read-out -------------------------------------------------------------
  // R = ⌊256 / dv⌋ groups of dv threads split the dkf rows (thread (r, c) takes rows r, r + R, … of
  // column c), so each thread's chain of state loads is R times shorter than one thread per column
  // walking every row; the groups' partial read-outs then meet in workgroup memory (fixed order).
  var o: array<f32, MAXG>;
  for (var g = 0u; g < MAXG; g++) { o[g] = 0.0; }
  let R = max(1u, 256u / dv);
  {
    let c = lid % dv;
    let rg = lid / dv;
    if (rg < R) {
      let vj = sv[c];
      let bj = sd[c];
      let base = h * dkf * dv + c;
      for (var i = rg; i < dkf; i += R) {
        let s = st[base + i * dv] * (sa[i] * bj) + sk[i] * vj;
        st[base + i * dv] = s;
        for (var g = 0u; g < G; g++) { o[g] = fma(s, sq[g * dkf + i], o[g]); }
      }
    }
  }
  if (R > 1u) {
    for (var g = 0u; g < G; g++) {
      workgroupBarrier();
      red[lid] = o[g];
      workgroupBarrier();
      if (lid < dv) {
        var t = 0.0;
        for (var r = 0u; r < R; r++) { t += red[r * dv + lid]; }
        o[g] = t;
      }
    }
    workgroupBarrier();
  }
  let j = lid;
#if DENOM
  for (var i = lid; i < dkf; i += 256u) { zs[h * dkf + i] = zs[h * dkf + i] * sa[i] + sk[i]; }
  storageBarrier();
  workgroupBarrier();
#endif

  // 4. per query head: denominator or scale, norm, output gate ------------------------------
  for (var g = 0u; g < G; g++) {
#if DENOM
    var pz = 0.0;
    for (var i = lid; i < dkf; i += 256u) { pz += zs[h * dkf + i] * sq[g * dkf + i]; }
    let den = wg_sum(pz, lid);
    var x = o[g] / (den + 1e-6);
#else
    var x = o[g] * P.scale;
#endif
    let valid = j < dv;
    if (!valid) { x = 0.0; }
#if NORM == 2
    let mean = wg_sum(x, lid) / f32(dv);
    let d = select(0.0, x - mean, valid);
    let inv = inverseSqrt(wg_sum(d * d, lid) / f32(dv) + P.eps);
    x = d * inv * select(0.0, pk[P.p_nw + j], valid) + select(0.0, pk[P.p_nb + j], valid);
#elif NORM == 1
    let inv = inverseSqrt(wg_sum(x * x, lid) / f32(dv) + P.eps);
    x = x * inv * select(0.0, pk[P.p_nw + j], valid);
#endif
    if (valid) {
      let hqi = h * G + g;
#if OUT_GATE
      let gl = proj[P.off_g + hqi * dv + j];
      x = x * gl * sigmoid_acc(gl);
#endif
      y[hqi * dv + j] = x;
    }
  }
}
