// Capture reductions (spec §3.5): per-head histograms, saturation counts, sums, state norms.
// A tensor is read as [rows, H, D]: element i belongs to head (i / D) % H. Only rows [row0, row0 + rows)
// count (a token range). Workgroup (c, h) covers elements j ∈ [c·CHUNK, (c+1)·CHUNK) of head h's
// rows·D elements, j ↦ i = ((row0 + j / D)·H + h)·D + j % D.
// Binning and thresholds compare order-preserving integer keys of the f32 bits (key(x) < key(y) ⟺
// x < y, with −0 read as +0) against edge keys precomputed on the CPU in the input's own domain
// (log α edges when α = exp(log α) is binned, σ(l) edges on a logit scale), so the kernel evaluates
// no transcendental and the float64 twin reproduces every count exactly. NaN is counted apart.
//   histogram: bin b ∈ [0, B) is the largest b with E[b] ≤ key(x); key < E[0] → under (B),
//              key > E[B] → over (B+1), NaN → B+2; counts out (H, B+3).
//   saturation: for threshold pair k < 8: #(x < lowₖ), #(x > highₖ) (NaN never counted); out (H, 2K).
//   sums:      Σ v, Σ v² with v = x or exp(x); or, from gate logits a (and c): Σ g(1−g) and
//              Σ dF/dg = Σ 2(1−r)g + 2r(1−g), g = σ(a), r = σ(c); partials (chunks, H, 2), tree sums.
//   finish:    partials (chunks, H, 2) → (H, 2), or → (H) = sqrt(Σ v²) for state norms.

override WG: u32 = 256;
const PER_THREAD: u32 = 8u;

fn key_of(bits: u32) -> u32 {
  var b = bits;
  if (b == 0x80000000u) { b = 0u; }
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

fn is_nan_bits(b: u32) -> bool {
  return (b & 0x7fffffffu) > 0x7f800000u;
}

#if MODE == finish
struct Params {
  chunks: u32,
  H: u32,
  _p0: u32,
  _p1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;        // (chunks, H, 2)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // (H, 2), or (H) with NORM

var<workgroup> r0: array<f32, WG>;
var<workgroup> r1: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  var s0 = 0.0;
  var s1 = 0.0;
  for (var c = lid; c < P.chunks; c += WG) {
    s0 += part[(c * P.H + h) * 2u];
    s1 += part[(c * P.H + h) * 2u + 1u];
  }
  r0[lid] = s0;
  r1[lid] = s1;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      r0[lid] += r0[lid + s];
      r1[lid] += r1[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
#if NORM
    out[h] = sqrt(r1[0]);
#else
    out[h * 2u] = r0[0];
    out[h * 2u + 1u] = r1[0];
#endif
  }
}
#else

struct Params {
  rows: u32,
  H: u32,
  D: u32,
  gx: u32,      // workgroups along x (chunks are wid.x + wid.y·gx)
  chunks: u32,
  n_edges: u32, // histogram: B + 1 edges; saturation: 2K thresholds (low₀, high₀, low₁, …)
  row0: u32,    // first row counted
  _p1: u32,
#if MODE == hist || MODE == sat
  edges: array<vec4<u32>, 65>, // keys, 4 per vec4
#endif
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;           // (rows, H, D) f32 bits (a for proxies)

#if MODE == hist
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>; // (H, B + 3)
var<workgroup> E: array<u32, 260>;
var<workgroup> local_counts: array<atomic<u32>, 260>;
#elif MODE == sat
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>; // (H, 2K)
var<workgroup> E: array<u32, 260>;
var<workgroup> local_counts: array<atomic<u32>, 260>;
#elif MODE == proxy
#if REFINED
@group(0) @binding(2) var<storage, read> cx: array<f32>;          // (rows, H, D) refining logits c
@group(0) @binding(3) var<storage, read_write> part: array<f32>;  // (chunks, H, 2)
#else
@group(0) @binding(2) var<storage, read_write> part: array<f32>;  // (chunks, H, 2)
#endif
var<workgroup> r0: array<f32, WG>;
var<workgroup> r1: array<f32, WG>;
#else
@group(0) @binding(2) var<storage, read_write> part: array<f32>;  // (chunks, H, 2)
var<workgroup> r0: array<f32, WG>;
var<workgroup> r1: array<f32, WG>;
#endif

fn element(h: u32, j: u32) -> u32 {
  return ((P.row0 + j / P.D) * P.H + h) * P.D + j % P.D;
}

fn sigm(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * P.gx;
  let h = wid.z;
  let m = P.rows * P.D;
  let j0 = c * (WG * PER_THREAD);
  let j1 = min(m, j0 + WG * PER_THREAD);
#if MODE == hist || MODE == sat
  for (var e = lid; e < 260u; e += WG) {
    E[e] = P.edges[e / 4u][e % 4u];
    atomicStore(&local_counts[e], 0u);
  }
  workgroupBarrier();
#if MODE == sat
  var cnt: array<u32, 16>;
#endif
  if (c < P.chunks) {
    for (var j = j0 + lid; j < j1; j += WG) {
      let b = x[element(h, j)];
#if MODE == hist
      let B = P.n_edges - 1u;
      var bin = B + 2u;
      if (!is_nan_bits(b)) {
        let k = key_of(b);
        if (k < E[0]) {
          bin = B;
        } else if (k > E[B]) {
          bin = B + 1u;
        } else {
          // largest bin in [0, B) with E[bin] ≤ k
          var lo = 0u;
          var hi = B - 1u;
          while (lo < hi) {
            let mid = (lo + hi + 1u) / 2u;
            if (E[mid] <= k) { lo = mid; } else { hi = mid - 1u; }
          }
          bin = lo;
        }
      }
      atomicAdd(&local_counts[bin], 1u);
#else
      if (!is_nan_bits(b)) {
        let k = key_of(b);
        for (var t = 0u; t < P.n_edges; t += 2u) {
          if (k < E[t]) { cnt[t] += 1u; }
          if (k > E[t + 1u]) { cnt[t + 1u] += 1u; }
        }
      }
#endif
    }
  }
#if MODE == sat
  // Per-thread counts, then one workgroup atomic per thread and threshold.
  for (var t = 0u; t < P.n_edges; t += 1u) {
    if (cnt[t] != 0u) { atomicAdd(&local_counts[t], cnt[t]); }
  }
#endif
  workgroupBarrier();
#if MODE == hist
  let width = P.n_edges + 2u;
#else
  let width = P.n_edges;
#endif
  for (var e = lid; e < width; e += WG) {
    let v = atomicLoad(&local_counts[e]);
    if (v != 0u) { atomicAdd(&counts[h * width + e], v); }
  }
#else
  var s0 = 0.0;
  var s1 = 0.0;
  if (c < P.chunks) {
    for (var j = j0 + lid; j < j1; j += WG) {
      let i = element(h, j);
      let xv = bitcast<f32>(x[i]);
#if MODE == proxy
      let g = sigm(xv);
      s0 += g * (1.0 - g);
#if REFINED
      let r = sigm(cx[i]);
      s1 += 2.0 * (1.0 - r) * g + 2.0 * r * (1.0 - g);
#endif
#else
#if EXP
      let v = exp(xv);
#else
      let v = xv;
#endif
      s0 += v;
      s1 += v * v;
#endif
    }
  }
  r0[lid] = s0;
  r1[lid] = s1;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      r0[lid] += r0[lid + s];
      r1[lid] += r1[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u && c < P.chunks) {
    part[(c * P.H + h) * 2u] = r0[0];
    part[(c * P.H + h) * 2u + 1u] = r1[0];
  }
#endif
}
#endif
