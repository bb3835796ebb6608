// Causal softmax attention over a KV cache, flash-attention style (never a T x T matrix):
//   o_t = sum_{j <= p_t} softmax_j(s * q_t . k_j) v_j,   p_t = pos0 + t   (query t's absolute position)
// Grouped heads: query head hq reads kv head hq / G (G = Hq / Hkv). A workgroup owns BQ "rows" of one
// kv head, a row being a (token t, group member g) pair, R = t * G + g, so the G query heads that
// share a kv head share every K/V tile. Keys stream through workgroup memory in tiles of BK; the
// online softmax keeps, per row, the running max m (log2 domain: scores are pre-multiplied by
// s * log2 e, so exp is exp2) and the running sum l, and rescales the accumulator by exp2(m_old - m)
// (<= 0 exponent) whenever m grows. Masked scores are MASKED (-3e38, exp2 -> 0) and m starts at
// M_INIT (-1e30), so rows with no key yet (padding rows, empty splits) stay finite: l = 0, acc = 0.
//
// Per key tile, four phases separated by barriers (global loads are issued one phase ahead, into
// registers, so their latency hides behind the previous phase's math):
//   A  K tile registers -> kv (zero-filled past the valid keys and dims); V tile loads issued
//   B  scores: thread (rg, kg) holds RM rows x CN keys (keys kg + j * KG, so the KG lanes reading
//      kv hit consecutive padded rows: no bank conflicts); q comes from global memory (L1 hits: the
//      workgroup re-reads its own BQ rows every tile); per-row partial maxima -> pm
//   C  p = exp2(score - m_new) -> pt (transposed: [key][row]); V registers -> kv (K is no longer
//      read); next K tile loads issued
//   D  thread (rg2, dg) owns RM2 consecutive rows x DV4 vec4 of dims (dg + j * DG): rescale, then
//      acc += p v with p broadcast from pt and v read conflict-free from kv
// SPLIT (flash-decoding): workgroup z only covers keys [z * chunk, (z + 1) * chunk) and writes the
// unnormalized acc and (m, l) per row; COMBINE merges the splits: M = max m_z,
// o = sum_z exp2(m_z - M) acc_z / sum_z exp2(m_z - M) l_z.
// Sizes (defines): HD head dim (multiple of 4), HDP = HD padded to 16, BQ, BK, RM x CN per thread
// in phase B (RG x KG threads), RM2 x DV4 in phase D (RG2 x DG threads); 128 threads.
// DECODE (at most 8 rows per kv head, e.g. T = 1): a barrier-light variant further down; it always
// writes partials for COMBINE.

const WG: u32 = 128u;
const V4A: u32 = ${HD}u / 4u;   // vec4 per head row in global memory
const MASKED: f32 = -3.0e38;
const M_INIT: f32 = -1.0e30;

struct Params {
  T: u32,
  hq: u32,          // query heads
  hkv: u32,         // kv heads
  groups: u32,      // G = hq / hkv
  pos0: u32,
  rows: u32,        // T * G rows per kv head
  chunk: u32,       // keys per split (SPLIT, DECODE), else >= pos0 + T
  nsplit: u32,
  scale_log2: f32,  // s * log2(e)
  nrb: u32,         // row blocks
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
#if COMBINE
@group(0) @binding(1) var<storage, read> po: array<vec4<f32>>;        // (nsplit, hkv, rows, HD) unnormalized acc
@group(0) @binding(2) var<storage, read> pml: array<vec2<f32>>;       // (nsplit, hkv, rows) (m, l)
@group(0) @binding(3) var<storage, read_write> o: array<vec4<f32>>;   // (T, hq, HD)
#else
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;         // (T, hq, HD), roped
@group(0) @binding(2) var<storage, read> kc: array<vec4<f32>>;        // (Tmax, hkv, HD), roped keys
@group(0) @binding(3) var<storage, read> vc: array<vec4<f32>>;        // (Tmax, hkv, HD)
#if SPLIT || DECODE
@group(0) @binding(4) var<storage, read_write> po: array<vec4<f32>>;  // (nsplit, hkv, rows, HD)
@group(0) @binding(5) var<storage, read_write> pml: array<vec2<f32>>; // (nsplit, hkv, rows)
#else
@group(0) @binding(4) var<storage, read_write> o: array<vec4<f32>>;   // (T, hq, HD)
#endif
#endif

#if !COMBINE && !DECODE
const V4: u32 = ${HDP}u / 4u;   // vec4 per padded row
const KVS: u32 = V4 + 1u;       // kv row stride (odd in vec4 units: conflict-free across keys)
const BQ: u32 = ${BQ}u;
const BK: u32 = ${BK}u;
const RM: u32 = ${RM}u;
const CN: u32 = ${CN}u;
const KG: u32 = ${KG}u;
const RM2: u32 = ${RM2}u;
const DV4: u32 = ${DV4}u;
const DG: u32 = ${DG}u;

var<workgroup> kv: array<vec4<f32>, BK * KVS>;  // K tile, then V tile: [key][dim4], padded rows
var<workgroup> pt: array<f32, BK * BQ>;         // probabilities, [key][row]
var<workgroup> pm: array<f32, BQ * KG>;         // partial row maxima of the tile, [row][kg]

const LOADS: u32 = (BK * V4 + WG - 1u) / WG;  // vec4 per thread per tile

// Keys [k0, k0 + BK) of kv head h from K (or V) into registers; zero past `kend` and past HD.
// Issued a phase ahead of use so the global latency hides behind the previous phase's math.
fn fetch(k0: u32, kend: u32, h: u32, lid: u32, is_v: bool) -> array<vec4<f32>, LOADS> {
  var r: array<vec4<f32>, LOADS>;
  for (var it = 0u; it < LOADS; it++) {
    let idx = lid + it * WG;
    let c = idx / V4;
    let d = idx % V4;
    let j = k0 + c;
    r[it] = vec4<f32>(0.0);
    if (c < BK && j < kend && d < V4A) {
      let g = (j * P.hkv + h) * V4A + d;
      if (is_v) { r[it] = vc[g]; } else { r[it] = kc[g]; }
    }
  }
  return r;
}

fn stash(r: array<vec4<f32>, LOADS>, lid: u32) {
  for (var it = 0u; it < LOADS; it++) {
    let idx = lid + it * WG;
    if (idx < BK * V4) { kv[(idx / V4) * KVS + idx % V4] = r[it]; }
  }
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rb = P.nrb - 1u - wid.x;  // the longest (latest) row blocks start first
  let h = wid.y;
  let z = wid.z;
  let row0 = rb * BQ;
  let last_row = min(row0 + BQ, P.rows) - 1u;
  let qmax = P.pos0 + last_row / P.groups;  // the block's latest query position
  let kbeg = z * P.chunk;
  let kend = min(kbeg + P.chunk, qmax + 1u);

  // phase B ownership: rows rg * RM + i, keys kg + j * KG
  let kg = lid % KG;
  let rg = lid / KG;
  var qbase: array<u32, RM>;
  var qpos: array<i32, RM>;
  var m_s: array<f32, RM>;
  for (var i = 0u; i < RM; i++) {
    let r = row0 + rg * RM + i;
    let t = r / P.groups;
    let hq = h * P.groups + r % P.groups;
    if (r < P.rows) {
      qbase[i] = (t * P.hq + hq) * V4A;
      qpos[i] = i32(P.pos0 + t);
    } else {
      qbase[i] = 0u;
      qpos[i] = -1;
    }
    m_s[i] = M_INIT;
  }
  // phase D ownership: rows rg2 * RM2 + i, dims dg + j * DG
  let dg = lid % DG;
  let rg2 = lid / DG;
  var acc: array<vec4<f32>, RM2 * DV4>;
  var m_o: array<f32, RM2>;
  var l_o: array<f32, RM2>;
  for (var i = 0u; i < RM2; i++) {
    m_o[i] = M_INIT;
    l_o[i] = 0.0;
  }
  for (var a = 0u; a < RM2 * DV4; a++) { acc[a] = vec4<f32>(0.0); }

  var rk = fetch(kbeg, kend, h, lid, false);
  for (var k0 = kbeg; k0 < kend; k0 += BK) {
    // A
    stash(rk, lid);
    workgroupBarrier();
    let rv = fetch(k0, kend, h, lid, true);
    // B
    var s: array<array<f32, CN>, RM>;
    for (var i = 0u; i < RM; i++) {
      for (var j = 0u; j < CN; j++) { s[i][j] = 0.0; }
    }
    for (var d = 0u; d < V4A; d++) {
      var kk: array<vec4<f32>, CN>;
      for (var j = 0u; j < CN; j++) { kk[j] = kv[(kg + j * KG) * KVS + d]; }
      for (var i = 0u; i < RM; i++) {
        let qv = q[qbase[i] + d];
        for (var j = 0u; j < CN; j++) { s[i][j] += dot(qv, kk[j]); }
      }
    }
    for (var i = 0u; i < RM; i++) {
      var mx = MASKED;
      for (var j = 0u; j < CN; j++) {
        let key = i32(k0 + kg + j * KG);
        var v = s[i][j] * P.scale_log2;
        if (key > qpos[i] || u32(key) >= kend) { v = MASKED; }
        s[i][j] = v;
        mx = max(mx, v);
      }
      pm[(rg * RM + i) * KG + kg] = mx;
    }
    workgroupBarrier();
    // C
    for (var i = 0u; i < RM; i++) {
      let r = rg * RM + i;
      var mn = m_s[i];
      for (var g = 0u; g < KG; g++) { mn = max(mn, pm[r * KG + g]); }
      m_s[i] = mn;
      for (var j = 0u; j < CN; j++) { pt[(kg + j * KG) * BQ + r] = exp2(s[i][j] - mn); }
    }
    stash(rv, lid);
    if (k0 + BK < kend) { rk = fetch(k0 + BK, kend, h, lid, false); }
    workgroupBarrier();
    // D
    for (var i = 0u; i < RM2; i++) {
      let r = rg2 * RM2 + i;
      var mn = m_o[i];
      for (var g = 0u; g < KG; g++) { mn = max(mn, pm[r * KG + g]); }
      let alpha = exp2(m_o[i] - mn);
      m_o[i] = mn;
      l_o[i] *= alpha;
      for (var j = 0u; j < DV4; j++) { acc[i * DV4 + j] *= alpha; }
    }
    for (var c = 0u; c < BK; c++) {
      var vv: array<vec4<f32>, DV4>;
      for (var j = 0u; j < DV4; j++) { vv[j] = kv[c * KVS + dg + j * DG]; }
      for (var i = 0u; i < RM2; i++) {
        let p = pt[c * BQ + rg2 * RM2 + i];
        l_o[i] += p;
        for (var j = 0u; j < DV4; j++) { acc[i * DV4 + j] += p * vv[j]; }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < RM2; i++) {
    let r = row0 + rg2 * RM2 + i;
    if (r >= P.rows) { continue; }
#if SPLIT
    let pr = (z * P.hkv + h) * P.rows + r;
    for (var j = 0u; j < DV4; j++) {
      let d = dg + j * DG;
      if (d < V4A) { po[pr * V4A + d] = acc[i * DV4 + j]; }
    }
    if (dg == 0u) { pml[pr] = vec2<f32>(m_o[i], l_o[i]); }
#else
    let t = r / P.groups;
    let hq = h * P.groups + r % P.groups;
    let inv = 1.0 / l_o[i];
    for (var j = 0u; j < DV4; j++) {
      let d = dg + j * DG;
      if (d < V4A) { o[(t * P.hq + hq) * V4A + d] = acc[i * DV4 + j] * inv; }
    }
#endif
  }
}
#endif

#if DECODE
// Decode (few rows: R = T * G <= RD, one workgroup per (split z, kv head)). The split's keys go
// through in sub-chunks of CH = 128, one key per thread for the scores (q rows broadcast from
// workgroup memory), so a sub-chunk costs four barriers instead of eight 16-key tiles:
//   1  s[r][j] = s * log2e * q_r . k_j -> sc; 2 per-(row, segment) maxima -> pmx;
//   3  m_new per row, p = exp2(s - m_new) -> sc (in place), alpha = exp2(m - m_new);
//   4  thread (d4, kgp) rescales acc[r] and adds p[r][j] v_j for keys j = kgp (mod KGP).
// At the end the KGP key groups are summed by a tree in workgroup memory and written as a partial.
const RD: u32 = ${RD}u;
const V4A2: u32 = ${V4A2}u;     // V4A rounded up to a power of two
const KGP: u32 = WG / V4A2;     // key groups in phase 4
const CH: u32 = WG;

var<workgroup> pool: array<vec4<f32>, RD * 64u>;  // q rows [r][d4]; at the end the reduction buffer
var<workgroup> sc: array<f32, RD * CH>;           // scores, then p, [r][key]
var<workgroup> pmx: array<f32, CH>;               // partial maxima [segment][r]
var<workgroup> lbuf: array<f32, (KGP / 2u) * RD>;

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.x;
  let h = wid.y;
  let kbeg = z * P.chunk;
  let kend = min(kbeg + P.chunk, P.pos0 + P.T);
  for (var idx = lid; idx < RD * V4A; idx += WG) {
    let r = idx / V4A;
    var val = vec4<f32>(0.0);
    if (r < P.rows) { val = q[((r / P.groups) * P.hq + h * P.groups + r % P.groups) * V4A + idx % V4A]; }
    pool[idx] = val;
  }
  var qpos: array<i32, RD>;
  var m: array<f32, RD>;
  var l: array<f32, RD>;
  var acc: array<vec4<f32>, RD>;
  for (var r = 0u; r < RD; r++) {
    qpos[r] = select(-1, i32(P.pos0 + r / P.groups), r < P.rows);
    m[r] = M_INIT;
    l[r] = 0.0;
    acc[r] = vec4<f32>(0.0);
  }
  let d4 = lid % V4A2;
  let kgp = lid / V4A2;
  workgroupBarrier();
  for (var kb = kbeg; kb < kend; kb += CH) {
    // 1
    let j = kb + lid;
    var s: array<f32, RD>;
    for (var r = 0u; r < RD; r++) { s[r] = 0.0; }
    if (j < kend) {
      let kbase = (j * P.hkv + h) * V4A;
      for (var d = 0u; d < V4A; d++) {
        let kk = kc[kbase + d];
        for (var r = 0u; r < RD; r++) { s[r] += dot(pool[r * V4A + d], kk); }
      }
    }
    for (var r = 0u; r < RD; r++) {
      var v = s[r] * P.scale_log2;
      if (j >= kend || i32(j) > qpos[r]) { v = MASKED; }
      sc[r * CH + lid] = v;
    }
    workgroupBarrier();
    // 2
    {
      let r = lid % RD;
      let seg = lid / RD;
      var mx = MASKED;
      for (var u = 0u; u < RD; u++) { mx = max(mx, sc[r * CH + seg * RD + u]); }
      pmx[lid] = mx;
    }
    workgroupBarrier();
    // 3
    var alpha: array<f32, RD>;
    for (var r = 0u; r < RD; r++) {
      var mn = m[r];
      for (var seg = 0u; seg < CH / RD; seg++) { mn = max(mn, pmx[seg * RD + r]); }
      alpha[r] = exp2(m[r] - mn);
      m[r] = mn;
      sc[r * CH + lid] = exp2(sc[r * CH + lid] - mn);
    }
    workgroupBarrier();
    // 4
    for (var r = 0u; r < RD; r++) {
      acc[r] *= alpha[r];
      l[r] *= alpha[r];
    }
    if (d4 < V4A) {
      for (var jj = kgp; jj < CH; jj += KGP) {
        let key = kb + jj;
        var v = vec4<f32>(0.0);
        if (key < kend) { v = vc[(key * P.hkv + h) * V4A + d4]; }
        for (var r = 0u; r < RD; r++) {
          let p = sc[r * CH + jj];
          acc[r] += p * v;
          l[r] += p;
        }
      }
    }
    workgroupBarrier();
  }
  // sum the key groups: halve KGP each round
  for (var half = KGP / 2u; half > 0u; half /= 2u) {
    if (kgp >= half && kgp < 2u * half) {
      for (var r = 0u; r < RD; r++) {
        pool[((kgp - half) * RD + r) * V4A2 + d4] = acc[r];
        if (d4 == 0u) { lbuf[(kgp - half) * RD + r] = l[r]; }
      }
    }
    workgroupBarrier();
    if (kgp < half) {
      for (var r = 0u; r < RD; r++) {
        acc[r] += pool[(kgp * RD + r) * V4A2 + d4];
        l[r] += lbuf[kgp * RD + r];
      }
    }
    workgroupBarrier();
  }
  if (kgp == 0u && d4 < V4A) {
    for (var r = 0u; r < RD; r++) {
      if (r >= P.rows) { break; }
      let pr = (z * P.hkv + h) * P.rows + r;
      po[pr * V4A + d4] = acc[r];
      if (d4 == 0u) { pml[pr] = vec2<f32>(m[r], l[r]); }
    }
  }
}
#endif

#if COMBINE
// One invocation per (row, kv head, dim4).
@compute @workgroup_size(128)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * WG;
  let n = P.rows * P.hkv * V4A;
  if (id >= n) { return; }
  let d = id % V4A;
  let rh = id / V4A;
  let r = rh % P.rows;
  let h = rh / P.rows;
  let stride = P.hkv * P.rows;
  let base = h * P.rows + r;
  // four splits per step: independent loads in flight
  var mx = M_INIT;
  var z = 0u;
  for (; z + 4u <= P.nsplit; z += 4u) {
    let a = pml[z * stride + base].x;
    let b = pml[(z + 1u) * stride + base].x;
    let c = pml[(z + 2u) * stride + base].x;
    let e = pml[(z + 3u) * stride + base].x;
    mx = max(mx, max(max(a, b), max(c, e)));
  }
  for (; z < P.nsplit; z++) { mx = max(mx, pml[z * stride + base].x); }
  var num = vec4<f32>(0.0);
  var den = 0.0;
  z = 0u;
  for (; z + 4u <= P.nsplit; z += 4u) {
    var ml: array<vec2<f32>, 4>;
    var pv: array<vec4<f32>, 4>;
    for (var u = 0u; u < 4u; u++) {
      let pr = (z + u) * stride + base;
      ml[u] = pml[pr];
      pv[u] = po[pr * V4A + d];
    }
    for (var u = 0u; u < 4u; u++) {
      let w = exp2(ml[u].x - mx);
      den += w * ml[u].y;
      num += w * pv[u];
    }
  }
  for (; z < P.nsplit; z++) {
    let pr = z * stride + base;
    let ml = pml[pr];
    let w = exp2(ml.x - mx);
    den += w * ml.y;
    num += w * po[pr * V4A + d];
  }
  let t = r / P.groups;
  let hq = h * P.groups + r % P.groups;
  o[(t * P.hq + hq) * V4A + d] = num / den;
}
#endif
