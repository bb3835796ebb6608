// Feature maps φ (spec §1.1), per row of `dk` features (a row is one token of one head):
//   MODE == elementwise  KIND relu: max(x, 0);  KIND elu1: 1 + elu(x) = x > 0 ? 1 + x : exp(x)
//   MODE == exp_norm_q   φ(q)_i = exp(q_i − max_j q_j)                              (queries)
//   MODE == hedgehog     y = W x + b (W [dk, dk] as [out, in], shared by heads), then
//                        φ = softmax over 2dk of [2y, −2y]  (fla HedgehogFeatureMap: x = layer(x); y = 2x;
//                        cat([y, −y]).softmax(−1); the spec's "[2(Wx+b), −2(Wx+b)]" says the same)
//   exp_norm on keys, with the causal running max M_t = max(M_{t−1}, max_i k_{t,i}) per (b, kv head):
//   MODE == key_scan     per block of KB tokens: m_t = max_i k_{t,i}, then the inclusive prefix max L_t
//                        inside the block (Hillis-Steele in workgroup memory) and the block's max
//   MODE == key_apply    E = max(M_prev, maxima of the earlier blocks); M_t = max(E, L_t),
//                        φ(k_t) = exp(k_t − M_t), log α'_t = log α_t + (M_{t−1} − M_t), the term 0 at the
//                        very first token (no M_prev, t = 0); the block holding T − 1 writes M_{T−1}.

const NEG_INF: f32 = -3.0e38;

struct Params {
  rows: u32,   // B·T·H for row maps; T for the key passes
  dk: u32,
  heads: u32,  // key passes: Hkv
  blocks: u32, // key passes: ceil(T / KB)
}

@group(0) @binding(0) var<uniform> P: Params;

#if MODE == elementwise
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (B, T, H, dk)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // (B, T, H, dk)

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * 65535u) * 256u + lid;
  if (e >= P.rows * P.dk) { return; }
  let v = x[e];
#if KIND == relu
  y[e] = max(v, 0.0);
#else
  y[e] = select(exp(v), 1.0 + v, v > 0.0);
#endif
}
#endif

#if MODE == exp_norm_q
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (B, T, H, dk)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // (B, T, H, dk)

var<workgroup> red: array<f32, 256>;

// 8 rows per workgroup, 32 lanes per row.
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * 65535u) * 8u + lid / 32u;
  let lane = lid % 32u;
  let valid = row < P.rows;
  let base = row * P.dk;
  var m = NEG_INF;
  if (valid) {
    for (var i = lane; i < P.dk; i += 32u) { m = max(m, x[base + i]); }
  }
  red[lid] = m;
  workgroupBarrier();
  for (var s = 16u; s > 0u; s = s / 2u) {
    if (lane < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let mx = red[lid - lane];
  if (valid) {
    for (var i = lane; i < P.dk; i += 32u) { y[base + i] = exp(x[base + i] - mx); }
  }
}
#endif

#if MODE == hedgehog
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (B, T, H, dk)
@group(0) @binding(2) var<storage, read> w: array<f32>;          // (dk, dk) [out, in]
@group(0) @binding(3) var<storage, read> bias: array<f32>;       // (dk)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;    // (B, T, H, 2·dk)

const HR: u32 = 4u;          // rows per workgroup
// dk <= 256 (feature dim <= 512): one thread per output feature.
var<workgroup> xs: array<f32, 1024>;   // (HR, dk) inputs, then 2(Wx + b)
var<workgroup> red: array<f32, 256>;

// Reduction over the 64 lanes of each row group (4 groups of 64 threads).
fn group_reduce(v: f32, lid: u32, is_max: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s / 2u) {
    let lane = lid % 64u;
    if (lane < s) {
      red[lid] = select(red[lid] + red[lid + s], max(red[lid], red[lid + s]), is_max);
    }
    workgroupBarrier();
  }
  let r = red[lid - lid % 64u];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row0 = (wid.x + wid.y * 65535u) * HR;
  let dk = P.dk;
  for (var e = lid; e < HR * dk; e += 256u) {
    let r = row0 + e / dk;
    xs[e] = select(0.0, x[r * dk + e % dk], r < P.rows);
  }
  workgroupBarrier();
  // Thread j computes output feature j of all HR rows: one weight load feeds HR FMAs.
  var ys: array<f32, 4>;
  let j = lid;
  if (j < dk) {
    for (var r = 0u; r < HR; r++) { ys[r] = bias[j]; }
    for (var i = 0u; i < dk; i++) {
      let wv = w[j * dk + i];
      for (var r = 0u; r < HR; r++) { ys[r] += wv * xs[r * dk + i]; }
    }
  }
  workgroupBarrier();
  if (j < dk) { for (var r = 0u; r < HR; r++) { xs[r * dk + j] = 2.0 * ys[r]; } }
  workgroupBarrier();
  // Softmax over [z, −z] per row: 64 lanes per row.
  let g = lid / 64u;
  let lane = lid % 64u;
  let r = row0 + g;
  var m = 0.0;
  for (var i = lane; i < dk; i += 64u) { m = max(m, abs(xs[g * dk + i])); }
  m = group_reduce(m, lid, true);
  var s = 0.0;
  for (var i = lane; i < dk; i += 64u) {
    let z = xs[g * dk + i];
    s += exp(z - m) + exp(-z - m);
  }
  s = group_reduce(s, lid, false);
  let inv = 1.0 / s;
  if (r < P.rows) {
    for (var i = lane; i < dk; i += 64u) {
      let z = xs[g * dk + i];
      y[r * 2u * dk + i] = exp(z - m) * inv;
      y[r * 2u * dk + dk + i] = exp(-z - m) * inv;
    }
  }
}
#endif

#if MODE == key_scan
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;    // (B, T, Hkv, dk)
@group(0) @binding(2) var<storage, read_write> lpre: array<f32>; // (B, Hkv, T) prefix max inside the block
@group(0) @binding(3) var<storage, read_write> bmax: array<f32>; // (B, Hkv, blocks)

const KB: u32 = 256u;
var<workgroup> sc: array<f32, 512>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blk = wid.x;
  let bh = wid.y;                       // b · Hkv + h
  let b = bh / P.heads;
  let h = bh % P.heads;
  let t = blk * KB + lid;
  let T = P.rows;
  var m = NEG_INF;
  if (t < T) {
    let base = ((b * T + t) * P.heads + h) * (P.dk / 4u);
    for (var i = 0u; i < P.dk / 4u; i++) {
      let v = k[base + i];
      m = max(m, max(max(v.x, v.y), max(v.z, v.w)));
    }
  }
  // Inclusive prefix max, ping-ponging between the two halves of sc.
  var src = 0u;
  sc[lid] = m;
  workgroupBarrier();
  for (var off = 1u; off < KB; off *= 2u) {
    var v = sc[src + lid];
    if (lid >= off) { v = max(v, sc[src + lid - off]); }
    sc[(src ^ 256u) + lid] = v;
    src = src ^ 256u;
    workgroupBarrier();
  }
  if (t < T) { lpre[bh * T + t] = sc[src + lid]; }
  if (lid == KB - 1u) { bmax[bh * P.blocks + blk] = sc[src + lid]; }
}
#endif

#if MODE == key_apply
@group(0) @binding(1) var<storage, read> k: array<f32>;            // (B, T, Hkv, dk)
@group(0) @binding(2) var<storage, read> lpre: array<f32>;         // (B, Hkv, T)
@group(0) @binding(3) var<storage, read> bmax: array<f32>;         // (B, Hkv, blocks)
#if HAS_A
@group(0) @binding(4) var<storage, read> a_in: array<f32>;         // (B, T, Hkv, dk) log α
#if HAS_MPREV
@group(0) @binding(5) var<storage, read> m_prev: array<f32>;       // (B, Hkv)
@group(0) @binding(6) var<storage, read_write> phi: array<f32>;    // (B, T, Hkv, dk)
@group(0) @binding(7) var<storage, read_write> a_out: array<f32>;  // (B, T, Hkv, dk) log α'
@group(0) @binding(8) var<storage, read_write> m_out: array<f32>;  // (B, Hkv)
#else
@group(0) @binding(5) var<storage, read_write> phi: array<f32>;    // (B, T, Hkv, dk)
@group(0) @binding(6) var<storage, read_write> a_out: array<f32>;  // (B, T, Hkv, dk) log α'
@group(0) @binding(7) var<storage, read_write> m_out: array<f32>;  // (B, Hkv)
#endif
#else
#if HAS_MPREV
@group(0) @binding(4) var<storage, read> m_prev: array<f32>;       // (B, Hkv)
@group(0) @binding(5) var<storage, read_write> phi: array<f32>;    // (B, T, Hkv, dk)
@group(0) @binding(6) var<storage, read_write> a_out: array<f32>;  // (B, T, Hkv, dk) log α'
@group(0) @binding(7) var<storage, read_write> m_out: array<f32>;  // (B, Hkv)
#else
@group(0) @binding(4) var<storage, read_write> phi: array<f32>;    // (B, T, Hkv, dk)
@group(0) @binding(5) var<storage, read_write> a_out: array<f32>;  // (B, T, Hkv, dk) log α'
@group(0) @binding(6) var<storage, read_write> m_out: array<f32>;  // (B, Hkv)
#endif
#endif

const KB: u32 = 256u;
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blk = wid.x;
  let bh = wid.y;
  let b = bh / P.heads;
  let h = bh % P.heads;
  let T = P.rows;
  let dk = P.dk;
  // E: the running max entering this block (earlier blocks and the carried M_prev).
  var e = NEG_INF;
  for (var j = lid; j < blk; j += 256u) { e = max(e, bmax[bh * P.blocks + j]); }
  red[lid] = e;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  e = red[0];
#if HAS_MPREV
  e = max(e, m_prev[bh]);
#endif
  let t0 = blk * KB;
  let n = min(KB, T - t0) * dk;
  for (var idx = lid; idx < n; idx += 256u) {
    let tl = idx / dk;
    let i = idx - tl * dk;
    let t = t0 + tl;
    let mt = max(e, lpre[bh * T + t]);
    var mp = e;
    if (tl > 0u) { mp = max(e, lpre[bh * T + t - 1u]); }
    // The very first token has no earlier offset: its term is 0 (spec §1.1).
    let term = select(mp - mt, 0.0, mp <= NEG_INF);
    let o = ((b * T + t) * P.heads + h) * dk + i;
    phi[o] = exp(k[o] - mt);
#if HAS_A
    a_out[o] = a_in[o] + term;
#else
    a_out[o] = term;
#endif
  }
  if (lid == 0u && t0 + KB >= T) { m_out[bh] = max(e, lpre[bh * T + T - 1u]); }
}
#endif
