// Tiled f32 matrix product.
//   NT (default):  y[m, n] = Σ_k x[m, k] · w[n, k]   (+ bias[n]) (+ resid[m, n])   — Linear, w = [out, in]
//   NN (#if NN):   y[m, n] = Σ_k x[m, k] · w[k, n]                                   — plain row-major B
//   NAIVE:         NN with one thread per output, no tiling (the benchmark baseline)
// Tiled: a workgroup owns a BM×BN tile of y, each of its (BM/TM)·(BN/8) threads a TM×8 micro-tile
// (TM = 8, or 16 with TM16) made of (TM/4)×2 blocks of 4×4 (rows tm·4 + j·BM/(TM/4), cols tn·4 +
// {0, BN/2}) so that the vec4 reads of workgroup memory are conflict-free (a warp reads consecutive
// vec4s or broadcasts). K advances by BK through two workgroup buffers, so one barrier per step
// suffices; the next tile is fetched into registers while the current one is consumed. Workgroup
// memory: 2·BK·(BM + BN)·4 bytes (16 KiB at 128×128×8, 48 KiB at 256×128×16). Tiles are visited in
// groups of P.group_m tile rows so that concurrent workgroups share panels of x and w in L2.
// VEC4: K % 4 == 0 and N % 4 == 0, all global traffic is vec4; otherwise scalar loads with bounds.
// With VEC4 the loads past M or N read a clamped (valid) row whose products the store drops, so the
// K loop has no branches; only EDGE_K (K % BK != 0) zero-fills k past K. (On the H200 the
// branch-per-load form ran at 31.9 TFLOP/s at 4096³ where the same tiles unbranched ran 35.5.)
// SEGMENTS (NT only, bias only): w is several weights stacked by rows (the fused input projection);
// columns [start_s, start_s + width_s) of y go to a contiguous [M, width_s] block at element
// M·start_s, so every segment's output is its own 256-byte-aligned region of y; columns between
// segments (padding rows of w) are not written. One dispatch instead of one per weight.
// GLU_X (NT): x is [gate | up] (M, 2K) and the product's input is swish(gate) ⊙ up, formed on load:
// the SwiGLU MLP's down projection without the activation pass and its buffer.
// The epilogue terms are runtime flags (uniform branches) rather than variants: fewer pipelines to
// compile, and the branch is outside the K loop. Absent terms are bound to a stand-in buffer.

#if VEC4
alias VT = vec4<f32>;
#else
alias VT = f32;
#endif

struct Params {
  M: u32,
  N: u32,
  K: u32,
  group_m: u32,
  flags: u32,   // 1: + bias, 2: + resid, 4: + y (residual already in y: in place)
  n_seg: u32,   // SEGMENTS: column segments in seg
  _pad1: u32,
  _pad2: u32,
#if SEGMENTS
  seg: array<vec4<u32>, 4>,   // (start, width) of segment s at seg[s / 2].xy or .zw
#endif
}

const F_BIAS: u32 = 1u;
const F_RESID: u32 = 2u;
const F_INPLACE: u32 = 4u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<VT>;          // (M, K)
@group(0) @binding(2) var<storage, read> w: array<VT>;          // (N, K); NN and NAIVE: (K, N)
@group(0) @binding(3) var<storage, read_write> y: array<VT>;    // (M, N)
#if !NAIVE
@group(0) @binding(4) var<storage, read> bias: array<VT>;       // (N)
@group(0) @binding(5) var<storage, read> resid: array<VT>;      // (M, N)
#endif

#if NAIVE
// ---------------------------------------------------------------- naive baseline (scalar, NN)

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= P.M || n >= P.N) { return; }
  var s = 0.0;
  for (var k = 0u; k < P.K; k++) {
    s += x[m * P.K + k] * w[k * P.N + n];
  }
  y[m * P.N + n] = s;
}

#else
// ---------------------------------------------------------------- tiled

override BM: u32 = 128u;
override BN: u32 = 128u;
override BK: u32 = 8u;
#if TM16
const TM: u32 = 16u;
#else
const TM: u32 = 8u;
#endif
override WG: u32 = (BM / TM) * (BN / 8u);
// Rows between a thread's blocks of 4, in vec4s of a k-row of As.
override RS: u32 = BM / (TM / 4u) / 4u;
// vec4s each thread stages per step: 2·TM·BK/BN of x and 2·TM·BK/BM of w (the op keeps both in {1, 2, 4}).
override LA: u32 = (BM * BK / 4u) / WG;
override LB: u32 = (BN * BK / 4u) / WG;
override A_LEN: u32 = BK * BM / 2u;   // two buffers of BK × BM/4 vec4
override B_LEN: u32 = BK * BN / 2u;

var<workgroup> As: array<vec4<f32>, A_LEN>;   // [buf][k][m / 4], m-contiguous (x transposed)
var<workgroup> Bs: array<vec4<f32>, B_LEN>;   // [buf][k][n / 4], n-contiguous

#if !VEC4
// 4 consecutive elements of x (or w) at row offset o, columns c..c+3 of `len`; zeros past the row
// end. Branch-free (clamped in-row loads): compact code, which lavapipe compiles much faster.
fn ld4_x(o: u32, c: u32, len: u32) -> vec4<f32> {
  let e = len - 1u;
  return vec4<f32>(select(0.0, x[o + min(c, e)], c < len), select(0.0, x[o + min(c + 1u, e)], c + 1u < len),
                   select(0.0, x[o + min(c + 2u, e)], c + 2u < len), select(0.0, x[o + min(c + 3u, e)], c + 3u < len));
}
fn ld4_w(o: u32, c: u32, len: u32) -> vec4<f32> {
  let e = len - 1u;
  return vec4<f32>(select(0.0, w[o + min(c, e)], c < len), select(0.0, w[o + min(c + 1u, e)], c + 1u < len),
                   select(0.0, w[o + min(c + 2u, e)], c + 2u < len), select(0.0, w[o + min(c + 3u, e)], c + 3u < len));
}
#endif

#if GLU_X
fn swish4(g: vec4<f32>) -> vec4<f32> {
  return g / (vec4<f32>(1.0) + exp(-g));
}

// 4 consecutive k of row `row` of swish(gate) ⊙ up, x = [gate | up] of shape (M, 2K) (zeros past M or
// K; VEC4: row clamped instead): the SwiGLU activation computed as the tile loads it, never stored
// (same f32 operations as the swiglu kernel, so the product is the same bits).
fn load_x(row: u32, k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
#if VEC4
  let r = min(row, P.M - 1u);
#if EDGE_K
  if (k < P.K) { v = swish4(x[(r * 2u * P.K + k) / 4u]) * x[(r * 2u * P.K + P.K + k) / 4u]; }
#else
  v = swish4(x[(r * 2u * P.K + k) / 4u]) * x[(r * 2u * P.K + P.K + k) / 4u];
#endif
#else
  if (row < P.M) { v = swish4(ld4_x(row * 2u * P.K, k, P.K)) * ld4_x(row * 2u * P.K + P.K, k, P.K); }
#endif
  return v;
}
#else
// 4 consecutive k of row `row` of x (zeros past M or K; VEC4: row clamped instead).
fn load_x(row: u32, k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
#if VEC4
#if EDGE_K
  if (k < P.K) { v = x[(min(row, P.M - 1u) * P.K + k) / 4u]; }
#else
  v = x[(min(row, P.M - 1u) * P.K + k) / 4u];
#endif
#else
  if (row < P.M) { v = ld4_x(row * P.K, k, P.K); }
#endif
  return v;
}
#endif

#if NN
// 4 consecutive n of row k of w (K, N) (VEC4: n clamped to the last quad instead of zeros past N).
fn load_w(k: u32, n: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
#if VEC4
#if EDGE_K
  if (k < P.K) { v = w[(k * P.N + min(n, P.N - 4u)) / 4u]; }
#else
  v = w[(k * P.N + min(n, P.N - 4u)) / 4u];
#endif
#else
  if (k < P.K) { v = ld4_w(k * P.N, n, P.N); }
#endif
  return v;
}
#else
// 4 consecutive k of row n of w (N, K) (VEC4: row clamped instead of zeros past N).
fn load_w(n: u32, k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
#if VEC4
#if EDGE_K
  if (k < P.K) { v = w[(min(n, P.N - 1u) * P.K + k) / 4u]; }
#else
  v = w[(min(n, P.N - 1u) * P.K + k) / 4u];
#endif
#else
  if (n < P.N) { v = ld4_w(n * P.K, k, P.K); }
#endif
  return v;
}
#endif

// Staged element l of the x tile starting at (m0, k0): row l / (BK/4), k-quad l % (BK/4) (coalesced).
fn fetch_a(l: u32, m0: u32, k0: u32) -> vec4<f32> {
  let q = BK / 4u;
  return load_x(m0 + l / q, k0 + (l % q) * 4u);
}

// Transposed store into As: the 4 k of one row land in 4 k-rows of the buffer.
fn store_a(l: u32, buf: u32, v: vec4<f32>) {
  let q = BK / 4u;
  let row = l / q;
  let k = (l % q) * 4u;
  let base = buf * (BK * BM / 4u) + row / 4u;
  let c = row % 4u;
  As[base + (k + 0u) * (BM / 4u)][c] = v.x;
  As[base + (k + 1u) * (BM / 4u)][c] = v.y;
  As[base + (k + 2u) * (BM / 4u)][c] = v.z;
  As[base + (k + 3u) * (BM / 4u)][c] = v.w;
}

#if NN
fn fetch_b(l: u32, n0: u32, k0: u32) -> vec4<f32> {
  let q = BN / 4u;
  return load_w(k0 + l / q, n0 + (l % q) * 4u);
}
fn store_b(l: u32, buf: u32, v: vec4<f32>) {
  Bs[buf * (BK * BN / 4u) + l] = v;
}
#else
fn fetch_b(l: u32, n0: u32, k0: u32) -> vec4<f32> {
  let q = BK / 4u;
  return load_w(n0 + l / q, k0 + (l % q) * 4u);
}
fn store_b(l: u32, buf: u32, v: vec4<f32>) {
  let q = BK / 4u;
  let row = l / q;
  let k = (l % q) * 4u;
  let base = buf * (BK * BN / 4u) + row / 4u;
  let c = row % 4u;
  Bs[base + (k + 0u) * (BN / 4u)][c] = v.x;
  Bs[base + (k + 1u) * (BN / 4u)][c] = v.y;
  Bs[base + (k + 2u) * (BN / 4u)][c] = v.z;
  Bs[base + (k + 3u) * (BN / 4u)][c] = v.w;
}
#endif

#if SEGMENTS
// Element of y for (m, n) in the segment-major layout, or 0xffffffff in padding between segments.
fn seg_index(m: u32, n: u32) -> u32 {
  for (var s = 0u; s < P.n_seg; s++) {
    let e = P.seg[s / 2u];
    let odd = (s & 1u) == 1u;
    let start = select(e.x, e.z, odd);
    let width = select(e.y, e.w, odd);
    if (n >= start && n < start + width) { return P.M * start + m * width + (n - start); }
  }
  return 0xffffffffu;
}
#endif

// Epilogue for 4 consecutive columns n..n+3 of row m: + bias, + residual, bounds.
fn store_y(m: u32, n: u32, acc: vec4<f32>) {
  if (m >= P.M) { return; }
#if VEC4
  if (n >= P.N) { return; }
#if SEGMENTS
  let e = seg_index(m, n);   // widths are multiples of 4 with VEC4: n..n+3 share a segment
  if (e == 0xffffffffu) { return; }
  let i = e / 4u;
#else
  let i = (m * P.N + n) / 4u;
#endif
  var v = acc;
  if ((P.flags & F_BIAS) != 0u) { v += bias[n / 4u]; }
  if ((P.flags & F_RESID) != 0u) { v += resid[i]; }
  if ((P.flags & F_INPLACE) != 0u) { v += y[i]; }
  y[i] = v;
#else
  for (var j = 0u; j < 4u; j++) {
    let c = n + j;
#if SEGMENTS
    let i = seg_index(m, c);
    if (c < P.N && i != 0xffffffffu) {
#else
    if (c < P.N) {
      let i = m * P.N + c;
#endif
      var v = acc[j];
      if ((P.flags & F_BIAS) != 0u) { v += bias[c]; }
      if ((P.flags & F_RESID) != 0u) { v += resid[i]; }
      if ((P.flags & F_INPLACE) != 0u) { v += y[i]; }
      y[i] = v;
    }
  }
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Grouped tile order: pid walks down group_m tile rows before moving one tile column right.
  let tiles_m = (P.M + BM - 1u) / BM;
  let tiles_n = (P.N + BN - 1u) / BN;
  let pid = wid.x + wid.y * 65535u;
  if (pid >= tiles_m * tiles_n) { return; }
  let per_group = P.group_m * tiles_n;
  let first_m = (pid / per_group) * P.group_m;
  let rows_here = min(tiles_m - first_m, P.group_m);
  let in_group = pid % per_group;
  let m0 = (first_m + in_group % rows_here) * BM;
  let n0 = (in_group / rows_here) * BN;

  let tn = lid % (BN / 8u);
  let tm = lid / (BN / 8u);

  var c00 = vec4<f32>(0.0); var c01 = vec4<f32>(0.0);
  var c10 = vec4<f32>(0.0); var c11 = vec4<f32>(0.0);
  var c20 = vec4<f32>(0.0); var c21 = vec4<f32>(0.0);
  var c30 = vec4<f32>(0.0); var c31 = vec4<f32>(0.0);
  var c40 = vec4<f32>(0.0); var c41 = vec4<f32>(0.0);
  var c50 = vec4<f32>(0.0); var c51 = vec4<f32>(0.0);
  var c60 = vec4<f32>(0.0); var c61 = vec4<f32>(0.0);
  var c70 = vec4<f32>(0.0); var c71 = vec4<f32>(0.0);
#if TM16
  var c80 = vec4<f32>(0.0); var c81 = vec4<f32>(0.0);
  var c90 = vec4<f32>(0.0); var c91 = vec4<f32>(0.0);
  var cA0 = vec4<f32>(0.0); var cA1 = vec4<f32>(0.0);
  var cB0 = vec4<f32>(0.0); var cB1 = vec4<f32>(0.0);
  var cC0 = vec4<f32>(0.0); var cC1 = vec4<f32>(0.0);
  var cD0 = vec4<f32>(0.0); var cD1 = vec4<f32>(0.0);
  var cE0 = vec4<f32>(0.0); var cE1 = vec4<f32>(0.0);
  var cF0 = vec4<f32>(0.0); var cF1 = vec4<f32>(0.0);
#endif

  let steps = (P.K + BK - 1u) / BK;
  var ra0 = vec4<f32>(0.0); var ra1 = vec4<f32>(0.0); var ra2 = vec4<f32>(0.0); var ra3 = vec4<f32>(0.0);
  var rb0 = vec4<f32>(0.0); var rb1 = vec4<f32>(0.0); var rb2 = vec4<f32>(0.0); var rb3 = vec4<f32>(0.0);
  // LA, LB are pipeline constants: the untaken staging branches fold away.
  if (steps > 0u) {
    ra0 = fetch_a(lid, m0, 0u);
    rb0 = fetch_b(lid, n0, 0u);
    if (LA > 1u) { ra1 = fetch_a(lid + WG, m0, 0u); }
    if (LB > 1u) { rb1 = fetch_b(lid + WG, n0, 0u); }
    if (LA > 2u) { ra2 = fetch_a(lid + 2u * WG, m0, 0u); ra3 = fetch_a(lid + 3u * WG, m0, 0u); }
    if (LB > 2u) { rb2 = fetch_b(lid + 2u * WG, n0, 0u); rb3 = fetch_b(lid + 3u * WG, n0, 0u); }
    store_a(lid, 0u, ra0);
    store_b(lid, 0u, rb0);
    if (LA > 1u) { store_a(lid + WG, 0u, ra1); }
    if (LB > 1u) { store_b(lid + WG, 0u, rb1); }
    if (LA > 2u) { store_a(lid + 2u * WG, 0u, ra2); store_a(lid + 3u * WG, 0u, ra3); }
    if (LB > 2u) { store_b(lid + 2u * WG, 0u, rb2); store_b(lid + 3u * WG, 0u, rb3); }
  }
  workgroupBarrier();

  for (var t = 0u; t < steps; t++) {
    let cur = t & 1u;
    let more = t + 1u < steps;
    if (more) {
      let k0 = (t + 1u) * BK;
      ra0 = fetch_a(lid, m0, k0);
      rb0 = fetch_b(lid, n0, k0);
      if (LA > 1u) { ra1 = fetch_a(lid + WG, m0, k0); }
      if (LB > 1u) { rb1 = fetch_b(lid + WG, n0, k0); }
      if (LA > 2u) { ra2 = fetch_a(lid + 2u * WG, m0, k0); ra3 = fetch_a(lid + 3u * WG, m0, k0); }
      if (LB > 2u) { rb2 = fetch_b(lid + 2u * WG, n0, k0); rb3 = fetch_b(lid + 3u * WG, n0, k0); }
    }
    let ab = cur * (BK * BM / 4u) + tm;
    let bb = cur * (BK * BN / 4u) + tn;
    for (var kk = 0u; kk < BK; kk++) {
      let a0 = As[ab + kk * (BM / 4u)];
      let a1 = As[ab + kk * (BM / 4u) + RS];
#if TM16
      let a2 = As[ab + kk * (BM / 4u) + 2u * RS];
      let a3 = As[ab + kk * (BM / 4u) + 3u * RS];
#endif
      let b0 = Bs[bb + kk * (BN / 4u)];
      let b1 = Bs[bb + kk * (BN / 4u) + BN / 8u];
      c00 = fma(vec4<f32>(a0.x), b0, c00); c01 = fma(vec4<f32>(a0.x), b1, c01);
      c10 = fma(vec4<f32>(a0.y), b0, c10); c11 = fma(vec4<f32>(a0.y), b1, c11);
      c20 = fma(vec4<f32>(a0.z), b0, c20); c21 = fma(vec4<f32>(a0.z), b1, c21);
      c30 = fma(vec4<f32>(a0.w), b0, c30); c31 = fma(vec4<f32>(a0.w), b1, c31);
      c40 = fma(vec4<f32>(a1.x), b0, c40); c41 = fma(vec4<f32>(a1.x), b1, c41);
      c50 = fma(vec4<f32>(a1.y), b0, c50); c51 = fma(vec4<f32>(a1.y), b1, c51);
      c60 = fma(vec4<f32>(a1.z), b0, c60); c61 = fma(vec4<f32>(a1.z), b1, c61);
      c70 = fma(vec4<f32>(a1.w), b0, c70); c71 = fma(vec4<f32>(a1.w), b1, c71);
#if TM16
      c80 = fma(vec4<f32>(a2.x), b0, c80); c81 = fma(vec4<f32>(a2.x), b1, c81);
      c90 = fma(vec4<f32>(a2.y), b0, c90); c91 = fma(vec4<f32>(a2.y), b1, c91);
      cA0 = fma(vec4<f32>(a2.z), b0, cA0); cA1 = fma(vec4<f32>(a2.z), b1, cA1);
      cB0 = fma(vec4<f32>(a2.w), b0, cB0); cB1 = fma(vec4<f32>(a2.w), b1, cB1);
      cC0 = fma(vec4<f32>(a3.x), b0, cC0); cC1 = fma(vec4<f32>(a3.x), b1, cC1);
      cD0 = fma(vec4<f32>(a3.y), b0, cD0); cD1 = fma(vec4<f32>(a3.y), b1, cD1);
      cE0 = fma(vec4<f32>(a3.z), b0, cE0); cE1 = fma(vec4<f32>(a3.z), b1, cE1);
      cF0 = fma(vec4<f32>(a3.w), b0, cF0); cF1 = fma(vec4<f32>(a3.w), b1, cF1);
#endif
    }
    if (more) {
      let nxt = 1u - cur;
      store_a(lid, nxt, ra0);
      store_b(lid, nxt, rb0);
      if (LA > 1u) { store_a(lid + WG, nxt, ra1); }
      if (LB > 1u) { store_b(lid + WG, nxt, rb1); }
      if (LA > 2u) { store_a(lid + 2u * WG, nxt, ra2); store_a(lid + 3u * WG, nxt, ra3); }
      if (LB > 2u) { store_b(lid + 2u * WG, nxt, rb2); store_b(lid + 3u * WG, nxt, rb3); }
    }
    workgroupBarrier();
  }

  // Row by row, rotating the accumulators up: one copy of the (bounds-checked) epilogue instead of 16,
  // without indexing a local array dynamically. The trip count is opaque to the compiler (P.K is never
  // 0xffffffff) so that the loop stays rolled: unrolled, lavapipe takes ~10 s to compile this kernel.
  let q0 = n0 + tn * 4u;
  let q1 = q0 + BN / 2u;
  let rows = select(TM, 0u, P.K == 0xffffffffu);
  for (var r = 0u; r < rows; r++) {
    let row = m0 + tm * 4u + (r / 4u) * (RS * 4u) + r % 4u;
    store_y(row, q0, c00);
    store_y(row, q1, c01);
    c00 = c10; c01 = c11;
    c10 = c20; c11 = c21;
    c20 = c30; c21 = c31;
    c30 = c40; c31 = c41;
    c40 = c50; c41 = c51;
    c50 = c60; c51 = c61;
    c60 = c70; c61 = c71;
#if TM16
    c70 = c80; c71 = c81;
    c80 = c90; c81 = c91;
    c90 = cA0; c91 = cA1;
    cA0 = cB0; cA1 = cB1;
    cB0 = cC0; cB1 = cC1;
    cC0 = cD0; cC1 = cD1;
    cD0 = cE0; cD1 = cE1;
    cE0 = cF0; cE1 = cF1;
#endif
  }
}
#endif
