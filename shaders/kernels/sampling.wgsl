// Token sampling on the GPU; only the chosen id (u32) is ever read back. Semantics (the float64
// twin cpu/sampling.ts is identical):
//  - z = the logits row. NaN is never picked (sorts below -inf, mass 0); +-inf are clamped to
//    +-f32max; -0 equals +0.
//  - temperature <= 0 (the op's `greedy` flag): argmax, the lowest id among equal maxima.
//  - Otherwise w_i = exp2((z_i - max z) * log2(e) / temperature) in (0, 1], as 33.31 fixed point
//    W_i = floor(w_i * 2^31) (a token with w_i < 2^-31 carries no mass); integer sums make every
//    mass below exact and independent of the summation order (and of the workgroup split).
//  - top-k (0 < k < V): keep z >= the k-th largest logit (ties kept).
//  - top-p (p < 1): among those, keep z >= theta, theta the largest logit such that the kept mass
//    sum_{z_i >= theta} W_i >= floor(p32 * Z_k / 2^32) (p32 = round(p * 2^32), Z_k the top-k set's
//    mass): the smallest set of most probable tokens reaching p, ties at the boundary kept.
//  - Draw x = pcg(pcg(seed) ^ pcg(step + 0x9e3779b9)), u = x / 2^32; goal = floor(x * Z / 2^32)
//    with Z the kept mass; the token is the first id (in id order) whose inclusive cumulative
//    kept mass exceeds goal.
// Thresholds are exact f32 keys found by radix select over an order-preserving u32 key of z,
// 8 bits per pass, no sorting: 4 passes for top-k (counts), then 4 for top-p (counts and masses,
// over the top-k set). Each pass builds a 256-bin histogram of the candidates that match the
// prefix chosen so far (bins replicated 4x in workgroup memory, lane % 4, to soften atomic
// contention), suffix-scans it and takes the highest bin that still holds the k-th key (top-k) or
// reaches the mass goal (top-p). Two ways to run the passes:
//  SINGLE  one dispatch, one workgroup of WG invocations: no global synchronization at all; best
//          for small rows, where a dispatch costs more than a pass (the op picks it up to 16K).
//  else    NB workgroups of SLICE ids and a short sequence of dispatches (entry points):
//            block_max (pass 0)  per-block max key and its lowest id
//            radix (passes 1..)  every workgroup first derives the state left by the previous
//                                pass (the selection from that pass's global histogram;
//                                workgroup 0 also stores it), then adds its block to this pass's
//                                global histogram
//            block_sums          per-block kept mass
//            pick (1 workgroup)  scan of block masses -> the block holding goal -> scan of that
//                                block's per-invocation runs -> the id; greedy: reduce the maxima.
// Either way the pick walks contiguous runs of ids per invocation, so the first id wins.

const F32_MAX: f32 = 3.4028234663852886e38;
const FIX_ONE: f32 = 2147483648.0;  // 2^31
const NONE: u32 = 0xffffffffu;

struct Params {
  V: u32,
  offset: u32,     // first element of the row
  nb: u32,         // blocks
  ept: u32,        // elements per thread per block (SLICE = 256 * ept)
  s_log2: f32,     // log2(e) / temperature, at most 1e30
  top_k: u32,
  top_p: u32,      // round(p * 2^32)
  flags: u32,      // 1 greedy, 2 top-k, 4 top-p
  seed: u32,
  step: u32,
  out_index: u32,
  pass_idx: u32,   // this dispatch's pass number
  kpasses: u32,    // 4 with top-k, else 0
  ppasses: u32,    // 4 with top-p, else 0
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;                 // (T, V): the row at offset
#if SINGLE
@group(0) @binding(2) var<storage, read_write> out: array<u32>;              // (n): the id at out_index
#else
@group(0) @binding(2) var<storage, read_write> scratch: array<atomic<u32>>;  // layout below, zeroed by the op
#if PICK
@group(0) @binding(3) var<storage, read_write> out: array<u32>;              // (n): the id at out_index
#endif
#endif

// ---------------------------------------------------------------- u64 (lo, hi) helpers

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}
fn ge64(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.y > b.y || (a.y == b.y && a.x >= b.x);
}
fn mul32(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = lh + hl;
  let cmid = select(0u, 0x10000u, mid < lh);
  let lo = ll + (mid << 16u);
  return vec2<u32>(lo, ah * bh + (mid >> 16u) + cmid + select(0u, 1u, lo < ll));
}
// floor(x * Z / 2^32) for Z = (lo, hi)
fn mulshr32(z: vec2<u32>, x: u32) -> vec2<u32> {
  let p1 = mul32(x, z.x);
  let p2 = mul32(x, z.y);
  let lo = p1.y + p2.x;
  return vec2<u32>(lo, p2.y + select(0u, 1u, lo < p1.y));
}

// ---------------------------------------------------------------- keys, masses, hash

fn is_nan_bits(b: u32) -> bool {
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}
// Order-preserving: larger logit -> larger key; NaN -> 0 (below -inf = 0x007fffff); -0 -> +0.
fn key_of(z: f32) -> u32 {
  var b = bitcast<u32>(z);
  if (is_nan_bits(b)) { return 0u; }
  if (b == 0x80000000u) { b = 0u; }
  if ((b & 0x80000000u) == 0u) { return b | 0x80000000u; }
  return ~b;
}
fn value_of(k: u32) -> f32 {
  if ((k & 0x80000000u) != 0u) { return bitcast<f32>(k & 0x7fffffffu); }
  return bitcast<f32>(~k);
}
fn clampf(z: f32) -> f32 {
  return min(max(z, -F32_MAX), F32_MAX);
}
// W = floor(exp2((z - M) * s) * 2^31); 0 for NaN.
fn mass(z: f32, mc: f32) -> u32 {
  if (is_nan_bits(bitcast<u32>(z))) { return 0u; }
  let w = exp2((clampf(z) - mc) * P.s_log2);
  return u32(min(w, 1.0) * FIX_ONE);
}
fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}
fn load(e: u32) -> f32 {
  return logits[P.offset + e];
}

#if SINGLE
override WG: u32 = 256;  // a power of two, 256..1024

// Histograms (4 copies x 256 bins: count, mass lo, mass hi); reused as WG-wide scratch for the
// max reduction (key, id) and the pick scan (mass lo, hi).
var<workgroup> h0: array<atomic<u32>, 1024>;
var<workgroup> h1: array<atomic<u32>, 1024>;
var<workgroup> h2: array<atomic<u32>, 1024>;
var<workgroup> sc: array<u32, 256>;        // bin counts, suffix-scanned
var<workgroup> sl: array<vec2<u32>, 256>;  // bin masses (lo, hi), suffix-scanned
var<workgroup> wsel: atomic<u32>;

const UNROLL: u32 = 4u;

// Elements e0, e0 + stride, ... (UNROLL of them, clamped to the row): loads issued together so
// that one invocation keeps several in flight.
fn load4(e0: u32, stride: u32) -> array<f32, UNROLL> {
  var zs: array<f32, UNROLL>;
  for (var u = 0u; u < UNROLL; u++) { zs[u] = load(min(e0 + u * stride, P.V - 1u)); }
  return zs;
}

// ---------------------------------------------------------------- one radix pass

struct Sel {
  bin: u32,
  above_count: u32,        // candidates in bins above `bin`
  above_mass: vec2<u32>,   // their mass
  total_mass: vec2<u32>,   // all candidates' mass
}

// Histogram of the candidates' digit `digit` (bits 31 - 8 digit .. 24 - 8 digit of the key);
// candidates: keys matching `prefix` in the digits above, and (top-p) keys >= lk. Returns the
// highest non-empty bin whose inclusive suffix reaches `need_count` (top-k) or, with masses,
// `need_mass` (top-p; when `p_from_total`, need_mass is computed here as p * total).
fn radix_pass(lid: u32, with_mass: bool, digit: u32, prefix: u32, lk: u32, mc: f32, need_count: u32,
              need_mass_in: vec2<u32>, p_from_total: bool) -> Sel {
  for (var i = lid; i < 1024u; i += WG) {
    atomicStore(&h0[i], 0u);
    atomicStore(&h1[i], 0u);
    atomicStore(&h2[i], 0u);
  }
  if (lid == 0u) { atomicStore(&wsel, 0u); }
  workgroupBarrier();
  let shift = 24u - 8u * digit;
  let copy = (lid & 3u) * 256u;
  for (var e0 = lid; e0 < P.V; e0 += UNROLL * WG) {
    let zs = load4(e0, WG);
    for (var u = 0u; u < UNROLL; u++) {
      if (e0 + u * WG >= P.V) { break; }
      let z = zs[u];
      let k = key_of(z);
      if (digit != 0u && (k >> (shift + 8u)) != prefix) { continue; }
      if (k < lk) { continue; }
      let bin = copy + ((k >> shift) & 255u);
      atomicAdd(&h0[bin], 1u);
      if (with_mass) {
        let w = mass(z, mc);
        let old = atomicAdd(&h1[bin], w);
        if (old + w < old) { atomicAdd(&h2[bin], 1u); }
      }
    }
  }
  workgroupBarrier();
  var cnt = 0u;
  if (lid < 256u) {
    var m = vec2<u32>(0u, 0u);
    for (var c = 0u; c < 4u; c++) {
      cnt += atomicLoad(&h0[c * 256u + lid]);
      m = add64(m, vec2<u32>(atomicLoad(&h1[c * 256u + lid]), atomicLoad(&h2[c * 256u + lid])));
    }
    sc[lid] = cnt;
    sl[lid] = m;
  }
  // inclusive suffix sums over bins
  for (var d = 1u; d < 256u; d *= 2u) {
    workgroupBarrier();
    var c2 = 0u;
    var m2 = vec2<u32>(0u, 0u);
    if (lid < 256u) {
      c2 = sc[lid];
      m2 = sl[lid];
      if (lid + d < 256u) {
        c2 += sc[lid + d];
        m2 = add64(m2, sl[lid + d]);
      }
    }
    workgroupBarrier();
    if (lid < 256u) {
      sc[lid] = c2;
      sl[lid] = m2;
    }
  }
  workgroupBarrier();
  let total = sl[0];
  var need = need_mass_in;
  if (p_from_total) { need = mulshr32(total, P.top_p); }
  if (lid < 256u && cnt > 0u) {
    var ok = sc[lid] >= need_count;
    if (with_mass) { ok = ge64(sl[lid], need); }
    if (ok) { atomicMax(&wsel, lid + 1u); }
  }
  workgroupBarrier();
  let b = atomicLoad(&wsel) - 1u;
  var r: Sel;
  r.bin = b;
  r.total_mass = total;
  r.above_count = 0u;
  r.above_mass = vec2<u32>(0u, 0u);
  if (b < 255u) {
    r.above_count = sc[b + 1u];
    r.above_mass = sl[b + 1u];
  }
  if (p_from_total) { r.total_mass = need; }  // hand the goal back to the caller
  workgroupBarrier();
  return r;
}

// ---------------------------------------------------------------- the kernel

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  // max key and its lowest id
  var best = 0u;
  var bid = NONE;
  for (var e0 = lid; e0 < P.V; e0 += UNROLL * WG) {
    let zs = load4(e0, WG);
    for (var u = 0u; u < UNROLL; u++) {
      let e = e0 + u * WG;
      if (e >= P.V) { break; }
      let k = key_of(zs[u]);
      if (bid == NONE || k > best) {
        best = k;
        bid = e;
      }
    }
  }
  atomicStore(&h0[lid], best);
  atomicStore(&h1[lid], bid);
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    workgroupBarrier();
    if (lid < s) {
      let k2 = atomicLoad(&h0[lid + s]);
      let i2 = atomicLoad(&h1[lid + s]);
      let k1 = atomicLoad(&h0[lid]);
      let i1 = atomicLoad(&h1[lid]);
      if (i2 != NONE && (i1 == NONE || k2 > k1 || (k2 == k1 && i2 < i1))) {
        atomicStore(&h0[lid], k2);
        atomicStore(&h1[lid], i2);
      }
    }
  }
  workgroupBarrier();
  let mkey = atomicLoad(&h0[0]);
  let argmax = atomicLoad(&h1[0]);
  workgroupBarrier();
  if ((P.flags & 1u) != 0u) {
    if (lid == 0u) { out[P.out_index] = argmax; }
    return;
  }
  let mc = clampf(value_of(mkey));

  // top-k threshold: the k-th largest key
  var lk = 0u;
  if ((P.flags & 2u) != 0u) {
    var prefix = 0u;
    var need = P.top_k;
    for (var digit = 0u; digit < 4u; digit++) {
      let r = radix_pass(lid, false, digit, prefix, 0u, mc, need, vec2<u32>(0u, 0u), false);
      prefix = (prefix << 8u) | r.bin;
      need -= r.above_count;
    }
    lk = prefix;
  }
  // top-p threshold over the top-k set
  var th = lk;
  if ((P.flags & 4u) != 0u) {
    var prefix = 0u;
    var need = vec2<u32>(0u, 0u);
    for (var digit = 0u; digit < 4u; digit++) {
      let r = radix_pass(lid, true, digit, prefix, lk, mc, 0u, need, digit == 0u);
      if (digit == 0u) { need = r.total_mass; }
      prefix = (prefix << 8u) | r.bin;
      need = sub64(need, r.above_mass);
    }
    th = max(th, prefix);
  }

  // pick: invocation lid owns ids [r0, r1)
  let C = (P.V + WG - 1u) / WG;
  let r0 = min(lid * C, P.V);
  let r1 = min(r0 + C, P.V);
  var run = vec2<u32>(0u, 0u);
  for (var e0 = r0; e0 < r1; e0 += UNROLL) {
    let zs = load4(e0, 1u);
    for (var u = 0u; u < UNROLL; u++) {
      if (e0 + u >= r1) { break; }
      let z = zs[u];
      if (key_of(z) >= th) { run = add64(run, vec2<u32>(mass(z, mc), 0u)); }
    }
  }
  atomicStore(&h1[lid], run.x);
  atomicStore(&h2[lid], run.y);
  if (lid == 0u) { atomicStore(&wsel, NONE); }
  // inclusive prefix sums over invocations
  for (var d = 1u; d < WG; d *= 2u) {
    workgroupBarrier();
    var m = vec2<u32>(atomicLoad(&h1[lid]), atomicLoad(&h2[lid]));
    if (lid >= d) { m = add64(m, vec2<u32>(atomicLoad(&h1[lid - d]), atomicLoad(&h2[lid - d]))); }
    workgroupBarrier();
    atomicStore(&h1[lid], m.x);
    atomicStore(&h2[lid], m.y);
  }
  workgroupBarrier();
  let total = vec2<u32>(atomicLoad(&h1[WG - 1u]), atomicLoad(&h2[WG - 1u]));
  let x = pcg(pcg(P.seed) ^ pcg(P.step + 0x9e3779b9u));
  let goal = mulshr32(total, x);
  let incl = vec2<u32>(atomicLoad(&h1[lid]), atomicLoad(&h2[lid]));
  var acc = sub64(incl, run);
  if (ge64(goal, acc) && !ge64(goal, incl)) {
    for (var e = r0; e < r1; e++) {
      let z = load(e);
      if (key_of(z) < th) { continue; }
      acc = add64(acc, vec2<u32>(mass(z, mc), 0u));
      if (!ge64(goal, acc)) {
        atomicMin(&wsel, e);
        break;
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let f = atomicLoad(&wsel);
    out[P.out_index] = select(f, argmax, f == NONE);
  }
}
#else
const WG: u32 = 256u;
const NBMAX: u32 = 256u;
const PART: u32 = 0u;              // (NBMAX, 2): block max key, its id
const STATE: u32 = 512u;           // (16 passes, 16 words)
const HIST: u32 = 768u;            // (9 passes, 256 bins, 3): count, mass lo, mass hi
const BSUM: u32 = HIST + 9u * 768u; // (NBMAX, 2): block kept mass lo, hi

// state words
const S_MKEY: u32 = 0u;
const S_ARGMAX: u32 = 1u;
const S_PFX_K: u32 = 2u;   // top-k prefix; the threshold key once its 4 passes are done
const S_R_K: u32 = 3u;     // rank still to find inside the current top-k bin
const S_PFX_P: u32 = 4u;
const S_PREM_LO: u32 = 5u; // top-p mass still to reach inside the current bin
const S_PREM_HI: u32 = 6u;
const S_WORDS: u32 = 7u;

var<workgroup> hcnt: array<atomic<u32>, 1024>;
var<workgroup> hlo: array<atomic<u32>, 1024>;
var<workgroup> hhi: array<atomic<u32>, 1024>;
var<workgroup> sc: array<u32, 256>;          // scans: counts
var<workgroup> sl: array<vec2<u32>, 256>;    // scans: u64 masses (lo, hi)
var<workgroup> st: array<u32, 16>;           // derived state
var<workgroup> wsel: atomic<u32>;

// ---------------------------------------------------------------- scans over 256 lanes

// Inclusive suffix sums (bin b: sum over bins >= b) of sc and sl, in place.
fn suffix_scan(lid: u32) {
  for (var d = 1u; d < 256u; d *= 2u) {
    workgroupBarrier();
    var c = sc[lid];
    var m = sl[lid];
    if (lid + d < 256u) {
      c += sc[lid + d];
      m = add64(m, sl[lid + d]);
    }
    workgroupBarrier();
    sc[lid] = c;
    sl[lid] = m;
  }
  workgroupBarrier();
}
// Inclusive prefix sums of sl, in place.
fn prefix_scan64(lid: u32) {
  for (var d = 1u; d < 256u; d *= 2u) {
    workgroupBarrier();
    var m = sl[lid];
    if (lid >= d) { m = add64(m, sl[lid - d]); }
    workgroupBarrier();
    sl[lid] = m;
  }
  workgroupBarrier();
}

// ---------------------------------------------------------------- state derivation

fn hist_base(p: u32) -> u32 {
  return HIST + (p - 1u) * 768u;
}

// Fills st with the state for pass P.pass_idx: from the block maxima (pass 1) or from the previous
// pass's stored state and histogram. Workgroup 0 stores it. Uniform control flow throughout.
fn derive_state(lid: u32, wg: u32) {
  let i = P.pass_idx;
  if (i == 1u) {
    // reduce the block maxima: larger key, then lower id
    var k = 0u;
    var id = 0xffffffffu;
    if (lid < P.nb) {
      k = atomicLoad(&scratch[PART + lid * 2u]);
      id = atomicLoad(&scratch[PART + lid * 2u + 1u]);
    }
    sc[lid] = k;
    sl[lid] = vec2<u32>(id, 0u);
    for (var d = 128u; d > 0u; d /= 2u) {
      workgroupBarrier();
      if (lid < d) {
        let k2 = sc[lid + d];
        let i2 = sl[lid + d].x;
        if (k2 > sc[lid] || (k2 == sc[lid] && i2 < sl[lid].x)) {
          sc[lid] = k2;
          sl[lid] = vec2<u32>(i2, 0u);
        }
      }
    }
    workgroupBarrier();
    if (lid == 0u) {
      st[S_MKEY] = sc[0];
      st[S_ARGMAX] = sl[0].x;
      st[S_PFX_K] = 0u;
      st[S_R_K] = P.top_k;
      st[S_PFX_P] = 0u;
      st[S_PREM_LO] = 0u;
      st[S_PREM_HI] = 0u;
    }
  } else {
    if (lid < S_WORDS) { st[lid] = atomicLoad(&scratch[STATE + (i - 1u) * 16u + lid]); }
    let prev = i - 1u;
    let is_k = prev <= P.kpasses;
    let is_p = !is_k && prev <= P.kpasses + P.ppasses;
    if (is_k || is_p) {
      let hb = hist_base(prev);
      let cnt = atomicLoad(&scratch[hb + lid * 3u]);
      sc[lid] = cnt;
      sl[lid] = vec2<u32>(atomicLoad(&scratch[hb + lid * 3u + 1u]), atomicLoad(&scratch[hb + lid * 3u + 2u]));
      if (lid == 0u) { atomicStore(&wsel, 0u); }
      suffix_scan(lid);
      let digit = select(prev - P.kpasses - 1u, prev - 1u, is_k);
      if (is_p && digit == 0u) {
        // the top-k set's mass is the whole first top-p histogram: p goal from it
        let pt = mulshr32(sl[0], P.top_p);
        workgroupBarrier();
        if (lid == 0u) {
          st[S_PREM_LO] = pt.x;
          st[S_PREM_HI] = pt.y;
        }
      }
      workgroupBarrier();
      var ok = false;
      if (is_k) {
        ok = cnt > 0u && sc[lid] >= st[S_R_K];
      } else {
        ok = cnt > 0u && ge64(sl[lid], vec2<u32>(st[S_PREM_LO], st[S_PREM_HI]));
      }
      if (ok) { atomicMax(&wsel, lid + 1u); }
      workgroupBarrier();
      let b = atomicLoad(&wsel) - 1u;
      if (lid == 0u) {
        let above_c = sc[b] - atomicLoad(&scratch[hb + b * 3u]);
        let mb = vec2<u32>(atomicLoad(&scratch[hb + b * 3u + 1u]), atomicLoad(&scratch[hb + b * 3u + 2u]));
        let above_m = sub64(sl[b], mb);
        if (is_k) {
          st[S_PFX_K] = (st[S_PFX_K] << 8u) | b;
          st[S_R_K] = st[S_R_K] - above_c;
        } else {
          st[S_PFX_P] = (st[S_PFX_P] << 8u) | b;
          let rem = sub64(vec2<u32>(st[S_PREM_LO], st[S_PREM_HI]), above_m);
          st[S_PREM_LO] = rem.x;
          st[S_PREM_HI] = rem.y;
        }
      }
    }
  }
  workgroupBarrier();
  if (wg == 0u && lid < S_WORDS) { atomicStore(&scratch[STATE + i * 16u + lid], st[lid]); }
  workgroupBarrier();
}

// The final threshold key (0 keeps everything).
fn threshold() -> u32 {
  var t = 0u;
  if ((P.flags & 2u) != 0u) { t = st[S_PFX_K]; }
  if ((P.flags & 4u) != 0u) { t = max(t, st[S_PFX_P]); }
  return t;
}

// ---------------------------------------------------------------- entry points

#if BLOCK_MAX
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = wid.x * WG * P.ept;
  var best = 0u;
  var bid = 0xffffffffu;
  for (var j = 0u; j < P.ept; j++) {
    let e = base + j * WG + lid;
    if (e < P.V) {
      let k = key_of(load(e));
      if (k > best || bid == 0xffffffffu) {
        best = k;
        bid = e;
      }
    }
  }
  sc[lid] = best;
  sl[lid] = vec2<u32>(bid, 0u);
  for (var d = 128u; d > 0u; d /= 2u) {
    workgroupBarrier();
    if (lid < d) {
      let k2 = sc[lid + d];
      let i2 = sl[lid + d].x;
      if (i2 != 0xffffffffu && (k2 > sc[lid] || (k2 == sc[lid] && i2 < sl[lid].x))) {
        sc[lid] = k2;
        sl[lid] = vec2<u32>(i2, 0u);
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    atomicStore(&scratch[PART + wid.x * 2u], sc[0]);
    atomicStore(&scratch[PART + wid.x * 2u + 1u], sl[0].x);
  }
}
#endif

#if RADIX
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  derive_state(lid, wid.x);
  for (var c = 0u; c < 4u; c++) {
    atomicStore(&hcnt[c * 256u + lid], 0u);
    atomicStore(&hlo[c * 256u + lid], 0u);
    atomicStore(&hhi[c * 256u + lid], 0u);
  }
  workgroupBarrier();
  let i = P.pass_idx;
  let is_k = i <= P.kpasses;
  let digit = select(i - P.kpasses - 1u, i - 1u, is_k);
  let shift = 24u - 8u * digit;
  let prefix = select(st[S_PFX_P], st[S_PFX_K], is_k);
  let lk = select(0u, st[S_PFX_K], (P.flags & 2u) != 0u);
  let mc = clampf(value_of(st[S_MKEY]));
  let copy = (lid & 3u) * 256u;
  let base = wid.x * WG * P.ept;
  for (var j = 0u; j < P.ept; j++) {
    let e = base + j * WG + lid;
    if (e >= P.V) { break; }
    let z = load(e);
    let k = key_of(z);
    var cand = digit == 0u || (k >> (shift + 8u)) == prefix;
    if (!is_k) { cand = cand && k >= lk; }
    if (!cand) { continue; }
    let bin = copy + ((k >> shift) & 255u);
    atomicAdd(&hcnt[bin], 1u);
    if (!is_k) {
      let w = mass(z, mc);
      let old = atomicAdd(&hlo[bin], w);
      if (old + w < old) { atomicAdd(&hhi[bin], 1u); }
    }
  }
  workgroupBarrier();
  var cnt = 0u;
  var m = vec2<u32>(0u, 0u);
  for (var c = 0u; c < 4u; c++) {
    cnt += atomicLoad(&hcnt[c * 256u + lid]);
    m = add64(m, vec2<u32>(atomicLoad(&hlo[c * 256u + lid]), atomicLoad(&hhi[c * 256u + lid])));
  }
  let hb = hist_base(i) + lid * 3u;
  if (cnt > 0u) { atomicAdd(&scratch[hb], cnt); }
  if (m.x != 0u) {
    let old = atomicAdd(&scratch[hb + 1u], m.x);
    if (old + m.x < old) { m.y += 1u; }
  }
  if (m.y != 0u) { atomicAdd(&scratch[hb + 2u], m.y); }
}
#endif

#if BLOCK_SUMS
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  derive_state(lid, wid.x);
  let th = threshold();
  let mc = clampf(value_of(st[S_MKEY]));
  let base = wid.x * WG * P.ept;
  var m = vec2<u32>(0u, 0u);
  for (var j = 0u; j < P.ept; j++) {
    let e = base + j * WG + lid;
    if (e >= P.V) { break; }
    let z = load(e);
    if (key_of(z) >= th) { m = add64(m, vec2<u32>(mass(z, mc), 0u)); }
  }
  sl[lid] = m;
  for (var d = 128u; d > 0u; d /= 2u) {
    workgroupBarrier();
    if (lid < d) { sl[lid] = add64(sl[lid], sl[lid + d]); }
  }
  workgroupBarrier();
  if (lid == 0u) {
    atomicStore(&scratch[BSUM + wid.x * 2u], sl[0].x);
    atomicStore(&scratch[BSUM + wid.x * 2u + 1u], sl[0].y);
  }
}
#endif

#if PICK
var<workgroup> found: atomic<u32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  derive_state(lid, 1u);
  if ((P.flags & 1u) != 0u) {
    if (lid == 0u) { out[P.out_index] = st[S_ARGMAX]; }
    return;
  }
  // block masses -> exclusive/inclusive prefix sums -> the block holding goal
  var own = vec2<u32>(0u, 0u);
  if (lid < P.nb) { own = vec2<u32>(atomicLoad(&scratch[BSUM + lid * 2u]), atomicLoad(&scratch[BSUM + lid * 2u + 1u])); }
  sl[lid] = own;
  if (lid == 0u) {
    atomicStore(&wsel, 0u);
    atomicStore(&found, 0xffffffffu);
  }
  prefix_scan64(lid);
  let total = sl[255];
  let x = pcg(pcg(P.seed) ^ pcg(P.step + 0x9e3779b9u));
  let goal = mulshr32(total, x);
  let incl = sl[lid];
  let excl = sub64(incl, own);
  if (lid < P.nb && ge64(goal, excl) && !ge64(goal, incl)) { atomicStore(&wsel, lid + 1u); }
  workgroupBarrier();
  let bsel = atomicLoad(&wsel);
  var tgt = vec2<u32>(0u, 0u);
  if (bsel > 0u) {
    let b = bsel - 1u;
    tgt = sub64(goal, sub64(sl[b], vec2<u32>(atomicLoad(&scratch[BSUM + b * 2u]), atomicLoad(&scratch[BSUM + b * 2u + 1u]))));
  }
  let th = threshold();
  let mc = clampf(value_of(st[S_MKEY]));
  // this thread's contiguous run of the chosen block, in id order
  let b = max(bsel, 1u) - 1u;
  let r0 = b * WG * P.ept + lid * P.ept;
  var run = vec2<u32>(0u, 0u);
  for (var j = 0u; j < P.ept; j++) {
    let e = r0 + j;
    if (e >= P.V) { break; }
    let z = load(e);
    if (key_of(z) >= th) { run = add64(run, vec2<u32>(mass(z, mc), 0u)); }
  }
  workgroupBarrier();
  sl[lid] = run;
  prefix_scan64(lid);
  let rincl = sl[lid];
  var acc = sub64(rincl, run);
  if (bsel > 0u && ge64(tgt, acc) && !ge64(tgt, rincl)) {
    for (var j = 0u; j < P.ept; j++) {
      let e = r0 + j;
      if (e >= P.V) { break; }
      let z = load(e);
      if (key_of(z) < th) { continue; }
      acc = add64(acc, vec2<u32>(mass(z, mc), 0u));
      if (!ge64(tgt, acc)) {
        atomicMin(&found, e);
        break;
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let f = atomicLoad(&found);
    out[P.out_index] = select(f, st[S_ARGMAX], f == 0xffffffffu);
  }
}
#endif
#endif
