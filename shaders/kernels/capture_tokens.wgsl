// Per-token capture reductions (spec §3.5), each written for an exact float64 twin (cpu/capture_tokens.ts).
// Tensors are [all rows, H, D]; only rows [row0, row0 + rows) are read (a token range).
// (Row norms, φ entropy/zeros and channel sums are sections of the fused pass in capture.wgsl.)
//   topk:    per row the K largest values (ties: the smaller id first; NaN skipped): ids (rows, K) u32,
//            values (rows, K) f32 bits; a row with fewer than K non-NaN values pads with id 0xffffffff
//            and a NaN value. One workgroup per row: per-thread sorted top-K lists, then K rounds of a
//            workgroup arg-max over the list heads. SPLIT: workgroup (s, row) takes the columns
//            [s·span, (s+1)·span) and writes its K best to (rows, S, K) candidates; CAND then reads such
//            rows of S·K candidates with their ids from `cid` (few rows of many logits: one workgroup
//            per row would leave the GPU idle while it walks the whole row).
//   replay:  ‖S_t‖ from the state entering the block S_0 (Hkv, dk, dv), replaying the recurrence
//            S_t = (exp(A_t) exp(D_t)ᵀ) ⊙ S_{t−1} + k_t v_tᵀ token by token for t < T1 (spec §3.1, §3.4);
//            for t ≥ t0 each workgroup (slab of E·WG state entries, kv head) writes Σ S² of its slab
//            to part (T1 − t0, Hkv, slabs). Nothing else is written: S_t never reaches memory.
//   slabsum: part (n, slabs) → out (n) = sqrt(Σ_slabs part).

override WG: u32 = 64;

fn is_nan_bits(b: u32) -> bool {
  return (b & 0x7fffffffu) > 0x7f800000u;
}

#if MODE == topk
const K: u32 = ${K}u;
struct Params {
  rows: u32,
  V: u32,
  row0: u32,
  gx: u32,
  span: u32,   // SPLIT: columns per workgroup
  S: u32,      // SPLIT: workgroups per row
  _p0: u32,
  _p1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;           // (all rows, V) f32 bits
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;   // (rows, K); SPLIT: (rows, S, K)
@group(0) @binding(3) var<storage, read_write> vals: array<u32>;  // (rows, K) f32 bits; SPLIT: (rows, S, K)
#if CAND
@group(0) @binding(4) var<storage, read> cid: array<u32>;         // (rows, V): the id of each candidate
#endif

var<workgroup> bv: array<f32, WG>;
var<workgroup> bi: array<u32, WG>;
var<workgroup> bok: array<u32, WG>;

fn better(a: f32, ia: u32, b: f32, ib: u32) -> bool {
  return a > b || (a == b && ia < ib);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
#if SPLIT
  let row = wid.y;
  let j_lo = wid.x * P.span;
  let j_hi = min(P.V, j_lo + P.span);
  let out0 = (row * P.S + wid.x) * K;
#else
  let row = wid.x + wid.y * P.gx;
  let j_lo = 0u;
  let j_hi = P.V;
  let out0 = row * K;
#endif
  var lv: array<f32, K>;
  var li: array<u32, K>;
  var n = 0u;
  if (row < P.rows) {
    let base = (P.row0 + row) * P.V;
    for (var j = j_lo + lid; j < j_hi; j += WG) {
      let b = x[base + j];
      if (is_nan_bits(b)) { continue; }
      let v = bitcast<f32>(b);
#if CAND
      let id = cid[base + j];
#else
      let id = j;
#endif
      if (n == K && !better(v, id, lv[K - 1u], li[K - 1u])) { continue; }
      var p = K - 1u;
      if (n < K) {
        p = n;
        n += 1u;
      }
      while (p > 0u && better(v, id, lv[p - 1u], li[p - 1u])) {
        lv[p] = lv[p - 1u];
        li[p] = li[p - 1u];
        p -= 1u;
      }
      lv[p] = v;
      li[p] = id;
    }
  }
  var head = 0u;
  for (var r = 0u; r < K; r += 1u) {
    let ok = head < n;
    let at = min(head, K - 1u);
    bv[lid] = select(0.0, lv[at], ok);
    bi[lid] = select(0xffffffffu, li[at], ok);
    bok[lid] = select(0u, 1u, ok);
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
      if (lid < s) {
        let o = lid + s;
        if (bok[o] == 1u && (bok[lid] == 0u || better(bv[o], bi[o], bv[lid], bi[lid]))) {
          bv[lid] = bv[o];
          bi[lid] = bi[o];
          bok[lid] = 1u;
        }
      }
      workgroupBarrier();
    }
    let won = bok[0] == 1u;
    let win = bi[0];
    let wv = bv[0];
    if (lid == 0u && row < P.rows) {
      ids[out0 + r] = select(0xffffffffu, win, won);
      vals[out0 + r] = select(0x7fc00000u, bitcast<u32>(wv), won);
    }
    if (won && ok && li[at] == win) { head += 1u; }
    workgroupBarrier();
  }
}

#elif MODE == replay
const E: u32 = 4u; // state entries per thread; a slab is E·WG entries
struct Params {
  T1: u32,   // tokens replayed: 0 … T1 − 1
  t0: u32,   // first token whose norm is written
  H: u32,    // kv heads
  dk: u32,
  dv: u32,
  slabs: u32,
  _p0: u32,
  _p1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(${BIND_S0}) var<storage, read> s0: array<f32>;      // (Hkv, dk, dv) state entering the block
@group(0) @binding(${BIND_K}) var<storage, read> k: array<f32>;        // (T, Hkv, dk) φ(k)
@group(0) @binding(${BIND_V}) var<storage, read> v: array<f32>;        // (T, Hkv, dv)
#if HAS_A
@group(0) @binding(${BIND_A}) var<storage, read> ga: array<f32>;       // (T, Hkv, dk) log α
#endif
#if HAS_D
@group(0) @binding(${BIND_D}) var<storage, read> gd: array<f32>;       // (T, Hkv, dv) log β
#endif
@group(0) @binding(${BIND_OUT}) var<storage, read_write> part: array<f32>; // (T1 − t0, Hkv, slabs)

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let slab = wid.x;
  let h = wid.y;
  let n = P.dk * P.dv;
  var s: array<f32, E>;
  var ii: array<u32, E>;
  var jj: array<u32, E>;
  for (var m = 0u; m < E; m += 1u) {
    let e = (slab * E + m) * WG + lid;
    s[m] = 0.0;
    ii[m] = 0xffffffffu;
    if (e < n) {
      s[m] = s0[h * n + e];
      ii[m] = e / P.dv;
      jj[m] = e % P.dv;
    }
  }
  for (var t = 0u; t < P.T1; t += 1u) {
    let kb = (t * P.H + h) * P.dk;
    let vb = (t * P.H + h) * P.dv;
    var acc = 0.0;
    for (var m = 0u; m < E; m += 1u) {
      let i = ii[m];
      if (i != 0xffffffffu) {
        let j = jj[m];
#if HAS_A
        let a = exp(ga[kb + i]);
#else
        let a = 1.0;
#endif
#if HAS_D
        let d = exp(gd[vb + j]);
#else
        let d = 1.0;
#endif
        s[m] = s[m] * (a * d) + k[kb + i] * v[vb + j];
        acc = fma(s[m], s[m], acc);
      }
    }
    if (t >= P.t0) {
      red[lid] = acc;
      workgroupBarrier();
      for (var r = WG / 2u; r > 0u; r = r / 2u) {
        if (lid < r) { red[lid] += red[lid + r]; }
        workgroupBarrier();
      }
      if (lid == 0u) { part[((t - P.t0) * P.H + h) * P.slabs + slab] = red[0]; }
      workgroupBarrier();
    }
  }
}

#elif MODE == slabsum
struct Params {
  n: u32,
  slabs: u32,
  gx: u32,
  _p0: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;        // (n, slabs)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // (n)

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = (wid.x + wid.y * P.gx) * WG + lid;
  if (r >= P.n) { return; }
  var s = 0.0;
  for (var i = 0u; i < P.slabs; i += 1u) { s += part[r * P.slabs + i]; }
  out[r] = sqrt(s);
}
#endif
