// Bandwidth-bound matrix-vector kernels for decode (a few tokens), f32. Every weight element is read
// once, as vec4 when rows are a multiple of 4 long (VEC4), by coalesced warps.
//
// KIND == gemv:        y[m, n] = Σ_k x[m, k] · w[n, k] (+ bias[n]) (+ resid[m, n]), m < M ≤ 4.
//                      2^tpr_log2 threads share one row of w (strided vec4s, 4 in flight), then a tree
//                      sum; the M rows of x ride in the 4 components of one accumulator.
// KIND == gemv_norm:   x = resid + Σ_p partials[p];  workgroup 0 writes resid_out = x;
//                      xn = x / sqrt(mean(x²) + eps) ⊙ norm_w  (every workgroup, kept in registers:
//                      thread t holds k-quads t + 256·j, j < J ≤ 8, so H ≤ 8192);
//                      y[n] = Σ_k w[n, k] · xn[k] (+ bias[n]), rows in blocks of 8, blocks strided over
//                      the P.groups workgroups so that few workgroups recompute the norm.
// KIND == mlp_partial: xn as above from h (no partials); workgroup p owns intermediate rows [i0, i1)
//                      (i0 = 4·⌊p·(I/4)/P⌋ when I % 4 == 0, else ⌊p·I/P⌋):
//                      a[i] = swish(w_gu[i]·xn) · (w_gu[I + i]·xn), kept in workgroup memory, then
//                      partials[p, h] = Σ_{i0 ≤ i < i1} w_down[h, i] · a[i]   (8 lanes per row of w_down).
//                      Hence h + Σ_p partials[p] = h + MLP(h).
// The 8-row reductions across the 256 threads go 256 → 32 → 8 → 1 per row (three barriers).
// Optional inputs are runtime flags with a stand-in buffer bound, not variants (fewer pipelines).

#include "common.wgsl"

#if VEC4
alias VT = vec4<f32>;
#else
alias VT = f32;
#endif

#if KIND == gemv
// ================================================================ plain gemv

const WG: u32 = 256u;

struct Params {
  N: u32,
  K: u32,
  K4: u32,        // ⌈K / 4⌉
  M: u32,         // rows of x, 1…4
  tpr_log2: u32,  // log2 of the threads per row of w (a power of two ≤ WG)
  flags: u32,     // 1: + bias, 2: + resid, 4: + y (residual already in y: in place)
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<VT>;          // (M, K)
@group(0) @binding(2) var<storage, read> w: array<VT>;          // (N, K)
@group(0) @binding(3) var<storage, read_write> y: array<f32>;   // (M, N)
@group(0) @binding(4) var<storage, read> bias: array<f32>;      // (N)
@group(0) @binding(5) var<storage, read> resid: array<f32>;     // (M, N)

var<workgroup> red: array<vec4<f32>, WG>;   // component m: row m of x

// Scalar mode: 4 clamped in-row loads and selects, branch-free (compact code for lavapipe too).
fn ldw(row: u32, k4: u32) -> vec4<f32> {
#if VEC4
  return w[row * P.K4 + k4];
#else
  let o = row * P.K;
  let c = k4 * 4u;
  let e = P.K - 1u;
  return vec4<f32>(select(0.0, w[o + min(c, e)], c < P.K), select(0.0, w[o + min(c + 1u, e)], c + 1u < P.K),
                   select(0.0, w[o + min(c + 2u, e)], c + 2u < P.K), select(0.0, w[o + min(c + 3u, e)], c + 3u < P.K));
#endif
}

fn ldx(m: u32, k4: u32) -> vec4<f32> {
#if VEC4
  return x[m * P.K4 + k4];
#else
  let o = m * P.K;
  let c = k4 * 4u;
  let e = P.K - 1u;
  return vec4<f32>(select(0.0, x[o + min(c, e)], c < P.K), select(0.0, x[o + min(c + 1u, e)], c + 1u < P.K),
                   select(0.0, x[o + min(c + 2u, e)], c + 2u < P.K), select(0.0, x[o + min(c + 3u, e)], c + 3u < P.K));
#endif
}

// acc[m] += w·x[m] for the M rows of x (uniform branches, no dynamic indexing of acc).
fn fma_rows(acc: vec4<f32>, wv: vec4<f32>, k4: u32) -> vec4<f32> {
  var a = acc;
  a.x += dot(wv, ldx(0u, k4));
  if (P.M > 1u) { a.y += dot(wv, ldx(1u, k4)); }
  if (P.M > 2u) { a.z += dot(wv, ldx(2u, k4)); }
  if (P.M > 3u) { a.w += dot(wv, ldx(3u, k4)); }
  return a;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tpr = 1u << P.tpr_log2;
  let row = ((wid.x + wid.y * 65535u) << (8u - P.tpr_log2)) + (lid >> P.tpr_log2);
  let lane = lid & (tpr - 1u);
  var acc = vec4<f32>(0.0);
  if (row < P.N) {
    var k4 = lane;
    // four loads of w in flight per thread
    while (k4 + 3u * tpr < P.K4) {
      let w0 = ldw(row, k4);
      let w1 = ldw(row, k4 + tpr);
      let w2 = ldw(row, k4 + 2u * tpr);
      let w3 = ldw(row, k4 + 3u * tpr);
      acc = fma_rows(acc, w0, k4);
      acc = fma_rows(acc, w1, k4 + tpr);
      acc = fma_rows(acc, w2, k4 + 2u * tpr);
      acc = fma_rows(acc, w3, k4 + 3u * tpr);
      k4 += 4u * tpr;
    }
    while (k4 < P.K4) {
      acc = fma_rows(acc, ldw(row, k4), k4);
      k4 += tpr;
    }
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = tpr / 2u; s > 0u; s = s / 2u) {
    if (lane < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lane == 0u && row < P.N) {
    let sums = red[lid];
    for (var m = 0u; m < P.M; m++) {
      let i = m * P.N + row;
      var v = sums[m];
      if ((P.flags & 1u) != 0u) { v += bias[row]; }
      if ((P.flags & 2u) != 0u) { v += resid[i]; }
      if ((P.flags & 4u) != 0u) { v += y[i]; }
      y[i] = v;
    }
  }
}

#else
// ================================================================ fused decode kernels (256 threads)

const WG: u32 = 256u;

var<workgroup> red: array<f32, 2048>;   // (8 rows, 256 threads)
var<workgroup> red2: array<f32, 256>;   // (8 rows, 32)
var<workgroup> red3: array<f32, 64>;    // (8 rows, 8)

const J: u32 = ${J}u;   // k-quads per thread: ⌈⌈H/4⌉ / 256⌉ ≤ 8 (H ≤ 8192)

// Sum over the workgroup of one value per thread (result valid in every thread).
fn reduce_all(v: f32, lid: u32) -> f32 {
  red2[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red2[lid] += red2[lid + s]; }
    workgroupBarrier();
  }
  let r = red2[0];
  workgroupBarrier();
  return r;
}

// Sums the per-thread values red[r·256 + t] of 8 rows over the workgroup into red3[r·8 .. r·8+8]; row r's
// total is then row_total(r). The caller writes red and places a barrier first; ends with a barrier.
fn reduce8(lid: u32) {
  {
    let r = lid / 32u;
    let q = lid % 32u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) { s += red[r * WG + q + 32u * i]; }
    red2[lid] = s;
  }
  workgroupBarrier();
  if (lid < 64u) {
    let r = lid / 8u;
    let q = lid % 8u;
    red3[lid] = red2[r * 32u + q] + red2[r * 32u + q + 8u] + red2[r * 32u + q + 16u] + red2[r * 32u + q + 24u];
  }
  workgroupBarrier();
}

// red[r·256 + lid] = (lo, hi)[r]: this thread's partial sums of 8 rows.
fn store8(lo: vec4<f32>, hi: vec4<f32>, lid: u32) {
  red[lid] = lo.x;
  red[WG + lid] = lo.y;
  red[2u * WG + lid] = lo.z;
  red[3u * WG + lid] = lo.w;
  red[4u * WG + lid] = hi.x;
  red[5u * WG + lid] = hi.y;
  red[6u * WG + lid] = hi.z;
  red[7u * WG + lid] = hi.w;
}

fn row_total(r: u32) -> f32 {
  var s = 0.0;
  for (var i = 0u; i < 8u; i++) { s += red3[r * 8u + i]; }
  return s;
}

#if KIND == gemv_norm
// ---------------------------------------------------------------- gemv_norm

struct Params {
  N: u32,
  H: u32,
  H4: u32,
  parts: u32,     // rows of partials (0: none)
  eps: f32,
  blocks: u32,    // ⌈N / 8⌉
  groups: u32,    // workgroups dispatched
  has_bias: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> resid: array<VT>;              // (H)
@group(0) @binding(2) var<storage, read> partials: array<VT>;           // (parts, H)
@group(0) @binding(3) var<storage, read> norm_w: array<VT>;             // (H)
@group(0) @binding(4) var<storage, read> w: array<VT>;                  // (N, H)
@group(0) @binding(5) var<storage, read> bias: array<f32>;              // (N)
@group(0) @binding(6) var<storage, read_write> resid_out: array<VT>;    // (H)
@group(0) @binding(7) var<storage, read_write> y: array<f32>;          // (N)

// Quad k4 (< H4) of a length-H vector at element offset o·H of a buffer; scalar mode zero-fills past H.
fn ld_resid(k4: u32) -> vec4<f32> {
#if VEC4
  return resid[k4];
#else
  let c = k4 * 4u;
  let e = P.H - 1u;
  return vec4<f32>(select(0.0, resid[min(c, e)], c < P.H), select(0.0, resid[min(c + 1u, e)], c + 1u < P.H),
                   select(0.0, resid[min(c + 2u, e)], c + 2u < P.H), select(0.0, resid[min(c + 3u, e)], c + 3u < P.H));
#endif
}
fn ld_part(p: u32, k4: u32) -> vec4<f32> {
#if VEC4
  return partials[p * P.H4 + k4];
#else
  let o = p * P.H;
  let c = k4 * 4u;
  let e = P.H - 1u;
  return vec4<f32>(select(0.0, partials[o + min(c, e)], c < P.H), select(0.0, partials[o + min(c + 1u, e)], c + 1u < P.H),
                   select(0.0, partials[o + min(c + 2u, e)], c + 2u < P.H), select(0.0, partials[o + min(c + 3u, e)], c + 3u < P.H));
#endif
}
fn ld_norm(k4: u32) -> vec4<f32> {
#if VEC4
  return norm_w[k4];
#else
  let c = k4 * 4u;
  let e = P.H - 1u;
  return vec4<f32>(select(0.0, norm_w[min(c, e)], c < P.H), select(0.0, norm_w[min(c + 1u, e)], c + 1u < P.H),
                   select(0.0, norm_w[min(c + 2u, e)], c + 2u < P.H), select(0.0, norm_w[min(c + 3u, e)], c + 3u < P.H));
#endif
}
fn ldw(row: u32, k4: u32) -> vec4<f32> {
#if VEC4
  return w[row * P.H4 + k4];
#else
  let o = row * P.H;
  let c = k4 * 4u;
  let e = P.H - 1u;
  return vec4<f32>(select(0.0, w[o + min(c, e)], c < P.H), select(0.0, w[o + min(c + 1u, e)], c + 1u < P.H),
                   select(0.0, w[o + min(c + 2u, e)], c + 2u < P.H), select(0.0, w[o + min(c + 3u, e)], c + 3u < P.H));
#endif
}

// x = resid + Σ partials at quad k4 (zero past H); workgroup 0 also stores it to resid_out.
fn x_quad(k4: u32, first: bool) -> vec4<f32> {
  if (k4 >= P.H4) { return vec4<f32>(0.0); }
  var v = ld_resid(k4);
  // 4 independent loads per step: the partial rows come from L2 in every workgroup, so their latency,
  // not their bytes, is what costs.
  var p = 0u;
  for (; p + 4u <= P.parts; p += 4u) {
    v += (ld_part(p, k4) + ld_part(p + 1u, k4)) + (ld_part(p + 2u, k4) + ld_part(p + 3u, k4));
  }
  for (; p < P.parts; p++) { v += ld_part(p, k4); }
  if (first) {
#if VEC4
    resid_out[k4] = v;
#else
    for (var i = 0u; i < 4u; i++) { if (k4 * 4u + i < P.H) { resid_out[k4 * 4u + i] = v[i]; } }
#endif
  }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // This thread's quads lid + 256·j of the normalized input; zero past H, so that the dot products
  // below need no per-quad branch (their loads are clamped into the row instead).
  var xn: array<vec4<f32>, J>;
  var ss = 0.0;
  for (var j = 0u; j < J; j++) {
    let v = x_quad(lid + j * WG, wid.x == 0u);
    xn[j] = v;
    ss += dot(v, v);
  }
  let inv = inverseSqrt(reduce_all(ss, lid) / f32(P.H) + P.eps);
  let e = P.H4 - 1u;
  for (var j = 0u; j < J; j++) { xn[j] *= inv * ld_norm(min(lid + j * WG, e)); }

  for (var b = wid.x; b < P.blocks; b += P.groups) {
    // 8 rows at once (8·J loads in flight per thread); rows past N repeat row N-1, never stored.
    let nr = min(8u, P.N - b * 8u);
    let last = P.N - 1u;
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    for (var j = 0u; j < J; j++) {
      let k4 = min(lid + j * WG, e);
      let xj = xn[j];
      lo += vec4<f32>(dot(ldw(min(b * 8u + 0u, last), k4), xj), dot(ldw(min(b * 8u + 1u, last), k4), xj),
                      dot(ldw(min(b * 8u + 2u, last), k4), xj), dot(ldw(min(b * 8u + 3u, last), k4), xj));
      hi += vec4<f32>(dot(ldw(min(b * 8u + 4u, last), k4), xj), dot(ldw(min(b * 8u + 5u, last), k4), xj),
                      dot(ldw(min(b * 8u + 6u, last), k4), xj), dot(ldw(min(b * 8u + 7u, last), k4), xj));
    }
    store8(lo, hi, lid);
    workgroupBarrier();
    reduce8(lid);
    if (lid < nr) {
      var v = row_total(lid);
      if (P.has_bias != 0u) { v += bias[b * 8u + lid]; }
      y[b * 8u + lid] = v;
    }
  }
}

#elif KIND == mlp_partial
// ---------------------------------------------------------------- mlp_partial

const S4_MAX: u32 = 432u;   // vec4s of activations: 16 KiB less the reduction buffers

struct Params {
  H: u32,
  H4: u32,
  I: u32,
  I4: u32,
  slices: u32,
  eps: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> h: array<VT>;                  // (H)
@group(0) @binding(2) var<storage, read> norm_w: array<VT>;             // (H)
@group(0) @binding(3) var<storage, read> w_gu: array<VT>;               // (2I, H): gate rows, then up rows
@group(0) @binding(4) var<storage, read> w_down: array<VT>;             // (H, I)
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;    // (slices, H)

var<workgroup> act: array<vec4<f32>, S4_MAX>;   // the slice's activations a[i0 + i]

fn ld_h(k4: u32) -> vec4<f32> {
  if (k4 >= P.H4) { return vec4<f32>(0.0); }
#if VEC4
  return h[k4];
#else
  let c = k4 * 4u;
  let e = P.H - 1u;
  return vec4<f32>(select(0.0, h[min(c, e)], c < P.H), select(0.0, h[min(c + 1u, e)], c + 1u < P.H),
                   select(0.0, h[min(c + 2u, e)], c + 2u < P.H), select(0.0, h[min(c + 3u, e)], c + 3u < P.H));
#endif
}
fn ld_norm(k4: u32) -> vec4<f32> {
#if VEC4
  return norm_w[k4];
#else
  let c = k4 * 4u;
  let e = P.H - 1u;
  return vec4<f32>(select(0.0, norm_w[min(c, e)], c < P.H), select(0.0, norm_w[min(c + 1u, e)], c + 1u < P.H),
                   select(0.0, norm_w[min(c + 2u, e)], c + 2u < P.H), select(0.0, norm_w[min(c + 3u, e)], c + 3u < P.H));
#endif
}
fn ld_gu(row: u32, k4: u32) -> vec4<f32> {
#if VEC4
  return w_gu[row * P.H4 + k4];
#else
  let o = row * P.H;
  let c = k4 * 4u;
  let e = P.H - 1u;
  return vec4<f32>(select(0.0, w_gu[o + min(c, e)], c < P.H), select(0.0, w_gu[o + min(c + 1u, e)], c + 1u < P.H),
                   select(0.0, w_gu[o + min(c + 2u, e)], c + 2u < P.H), select(0.0, w_gu[o + min(c + 3u, e)], c + 3u < P.H));
#endif
}
// Quad q of row hr of w_down restricted to the slice [i0, i0 + n) (scalar mode: zeros past n).
fn ld_down(hr: u32, i0: u32, q: u32, n: u32) -> vec4<f32> {
#if VEC4
  return w_down[hr * P.I4 + i0 / 4u + q];
#else
  let o = hr * P.I + i0;
  let c = q * 4u;
  let e = n - 1u;
  return vec4<f32>(select(0.0, w_down[o + min(c, e)], c < n), select(0.0, w_down[o + min(c + 1u, e)], c + 1u < n),
                   select(0.0, w_down[o + min(c + 2u, e)], c + 2u < n), select(0.0, w_down[o + min(c + 3u, e)], c + 3u < n));
#endif
}

// Slice boundaries, multiples of 4 when I is (see mlpSliceStart in cpu/matmul.ts).
fn slice_start(p: u32) -> u32 {
  if (P.I % 4u == 0u) { return 4u * ((p * P.I4) / P.slices); }
  return (p * P.I) / P.slices;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = wid.x;
  let i0 = slice_start(p);
  let n = slice_start(p + 1u) - i0;
  let nq = (n + 3u) / 4u;

  var xn: array<vec4<f32>, J>;
  var ss = 0.0;
  for (var j = 0u; j < J; j++) {
    let v = ld_h(lid + j * WG);
    xn[j] = v;
    ss += dot(v, v);
  }
  let inv = inverseSqrt(reduce_all(ss, lid) / f32(P.H) + P.eps);
  let e = P.H4 - 1u;
  for (var j = 0u; j < J; j++) { xn[j] *= inv * ld_norm(min(lid + j * WG, e)); }

  // Gate and up rows, 4 intermediate rows (8 dot products, 8·J loads in flight: red rows 0-3 gate,
  // 4-7 up) per reduction; rows past the slice repeat its last row and give a = 0.
  let last = i0 + max(n, 1u) - 1u;
  for (var c = 0u; c < nq; c++) {
    let r0 = i0 + c * 4u;
    let ra = min(r0, last);
    let rb = min(r0 + 1u, last);
    let rc = min(r0 + 2u, last);
    let rd = min(r0 + 3u, last);
    var g = vec4<f32>(0.0);
    var u = vec4<f32>(0.0);
    for (var j = 0u; j < J; j++) {
      let k4 = min(lid + j * WG, e);
      let xj = xn[j];
      g += vec4<f32>(dot(ld_gu(ra, k4), xj), dot(ld_gu(rb, k4), xj), dot(ld_gu(rc, k4), xj), dot(ld_gu(rd, k4), xj));
      u += vec4<f32>(dot(ld_gu(P.I + ra, k4), xj), dot(ld_gu(P.I + rb, k4), xj),
                     dot(ld_gu(P.I + rc, k4), xj), dot(ld_gu(P.I + rd, k4), xj));
    }
    store8(g, u, lid);
    workgroupBarrier();
    reduce8(lid);
    if (lid < 4u) {
      act[c][lid] = select(0.0, swish(row_total(lid)) * row_total(lid + 4u), c * 4u + lid < n);
    }
  }
  workgroupBarrier();

  // Down projection of the slice, 256 rows of w_down per pass: teams of 8 lanes read 8 consecutive
  // quads of a row (128 contiguous bytes), each team 8 rows (8 loads in flight per lane); the 8 lane
  // sums of each row meet in red.
  let lane = lid % 8u;
  let team = lid / 8u;
  let e_h = P.H - 1u;
  for (var c0 = 0u; c0 < P.H; c0 += WG) {
    let hb = c0 + team * 8u;
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    for (var q = lane; q < nq; q += 8u) {
      let a = act[q];
      lo += vec4<f32>(dot(ld_down(min(hb + 0u, e_h), i0, q, n), a), dot(ld_down(min(hb + 1u, e_h), i0, q, n), a),
                      dot(ld_down(min(hb + 2u, e_h), i0, q, n), a), dot(ld_down(min(hb + 3u, e_h), i0, q, n), a));
      hi += vec4<f32>(dot(ld_down(min(hb + 4u, e_h), i0, q, n), a), dot(ld_down(min(hb + 5u, e_h), i0, q, n), a),
                      dot(ld_down(min(hb + 6u, e_h), i0, q, n), a), dot(ld_down(min(hb + 7u, e_h), i0, q, n), a));
    }
    // red[(team·8 + r)·8 + lane]: row c0 + team·8 + r, lane's share
    let o = team * 64u + lane;
    red[o] = lo.x;
    red[o + 8u] = lo.y;
    red[o + 16u] = lo.z;
    red[o + 24u] = lo.w;
    red[o + 32u] = hi.x;
    red[o + 40u] = hi.y;
    red[o + 48u] = hi.z;
    red[o + 56u] = hi.w;
    workgroupBarrier();
    let row = c0 + lid;
    if (row < P.H) {
      var s = 0.0;
      for (var l = 0u; l < 8u; l++) { s += red[lid * 8u + l]; }
      partials[p * P.H + row] = s;
    }
    workgroupBarrier();
  }
}
#endif
#endif
