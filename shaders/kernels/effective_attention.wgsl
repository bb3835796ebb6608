// Effective attention of one query head over a window [t0, t0 + W) (spec §3.5):
//   A[t, u] = s · Σ_i φ(q_t)_i exp(G_t,i − G_u,i) φ(k_u)_i  for u ≤ t, 0 above the diagonal,
// G = inclusive cumulative log α over the window, so G_t − G_u = Σ_{w=u+1..t} log α_w ≤ 0 (no
// overflow; never factored into exp(G_t)·exp(−G_u), which would). With the denominator form each row
// is divided by its (unscaled) sum + 1e-6, as the model divides S_tᵀq by z_tᵀq + 1e-6.
// Four passes selected by PASS: 0 the cumulative sum (one thread per channel, serial over the
// window), 1 the matrix (16×16 output tiles, channels staged through workgroup memory in slices of
// 16), 2 the row normalization (one workgroup per row), 3 the value-side decay of one value channel
// j (fast_decay): y[t, u] *= exp(Dc_t,j − Dc_u,j), Dc the window's cumulative log D (pass 0 over dv).

struct Params {
  W: u32,       // window length = columns of the output
  rows: u32,    // output rows
  row0: u32,    // window-relative index of the first output row
  t0: u32,      // absolute first token of the window
  Hq: u32,
  Hkv: u32,
  dkf: u32,     // channels of the cumulated gate (dv in pass 3)
  head: u32,    // query head
  kv_head: u32, // its kv group
  scale: f32,
  value_channel: u32, // pass 3
  _p1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;

#if PASS == 0
@group(0) @binding(1) var<storage, read> a: array<f32>;         // (T, Hkv, dkf) log α
@group(0) @binding(2) var<storage, read_write> g: array<f32>;   // (W, dkf) cumulative log α

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= P.dkf) { return; }
  var acc = 0.0;
  for (var r = 0u; r < P.W; r++) {
    acc += a[((P.t0 + r) * P.Hkv + P.kv_head) * P.dkf + i];
    g[r * P.dkf + i] = acc;
  }
}
#endif

#if PASS == 1
const TS: u32 = 16u;
@group(0) @binding(1) var<storage, read> q: array<f32>;         // (T, Hq, dkf) φ(q)
@group(0) @binding(2) var<storage, read> k: array<f32>;         // (T, Hkv, dkf) φ(k)
#if HAS_A
@group(0) @binding(3) var<storage, read> g: array<f32>;         // (W, dkf) cumulative log α
@group(0) @binding(4) var<storage, read_write> y: array<f32>;   // (rows, W)
#else
@group(0) @binding(3) var<storage, read_write> y: array<f32>;   // (rows, W)
#endif

var<workgroup> sq: array<array<f32, 16>, 16>;  // [row][channel]
var<workgroup> sk: array<array<f32, 16>, 16>;  // [col][channel]
#if HAS_A
var<workgroup> sgq: array<array<f32, 16>, 16>;
var<workgroup> sgk: array<array<f32, 16>, 16>;
#endif

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c0 = wid.x * TS;
  let rl0 = wid.y * TS;            // first output row of the tile
  let r = P.row0 + rl0 + lid.y;    // window-relative query row
  let c = c0 + lid.x;              // window-relative key column
  let in_out = (rl0 + lid.y) < P.rows && c < P.W;
  // Tiles strictly above the diagonal are zeros: the whole workgroup leaves before any barrier.
  if (c0 > P.row0 + rl0 + TS - 1u) {
    if (in_out) { y[(rl0 + lid.y) * P.W + c] = 0.0; }
    return;
  }
  let rr = P.row0 + rl0 + lid.x;   // row this thread loads (transposed roles for the loads)
  let cc = c0 + lid.y;
  var acc = 0.0;
  for (var i0 = 0u; i0 < P.dkf; i0 += TS) {
    let i = i0 + lid.y;
    let ik = i0 + lid.x;
    // q/G rows: thread (x = row, y = channel); k/G cols: thread (x = channel, y = col).
    let row_ok = (rl0 + lid.x) < P.rows && i < P.dkf;
    let col_ok = cc < P.W && ik < P.dkf;
    sq[lid.x][lid.y] = select(0.0, q[((P.t0 + rr) * P.Hq + P.head) * P.dkf + i], row_ok);
    sk[lid.y][lid.x] = select(0.0, k[((P.t0 + cc) * P.Hkv + P.kv_head) * P.dkf + ik], col_ok);
#if HAS_A
    sgq[lid.x][lid.y] = select(0.0, g[rr * P.dkf + i], row_ok);
    sgk[lid.y][lid.x] = select(0.0, g[cc * P.dkf + ik], col_ok);
#endif
    workgroupBarrier();
    for (var j = 0u; j < TS; j++) {
#if HAS_A
      // min(·, 0) keeps masked (u > t) entries finite; they are dropped below anyway.
      acc += sq[lid.y][j] * exp(min(sgq[lid.y][j] - sgk[lid.x][j], 0.0)) * sk[lid.x][j];
#else
      acc += sq[lid.y][j] * sk[lid.x][j];
#endif
    }
    workgroupBarrier();
  }
  if (in_out) { y[(rl0 + lid.y) * P.W + c] = select(0.0, P.scale * acc, c <= r); }
}
#endif

#if PASS == 2
@group(0) @binding(1) var<storage, read_write> y: array<f32>;   // (rows, W)

var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * 65535u;
  if (row >= P.rows) { return; }
  let base = row * P.W;
  var s = 0.0;
  for (var c = lid; c < P.W; c += 64u) { s += y[base + c]; }
  red[lid] = s;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h = h / 2u) {
    if (lid < h) { red[lid] = red[lid] + red[lid + h]; }
    workgroupBarrier();
  }
  let inv = 1.0 / (red[0] + 1e-6);
  for (var c = lid; c < P.W; c += 64u) { y[base + c] = y[base + c] * inv; }
}
#endif

#if PASS == 3
@group(0) @binding(1) var<storage, read> dc: array<f32>;        // (W, dv) cumulative log D
@group(0) @binding(2) var<storage, read_write> y: array<f32>;   // (rows, W)

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let rl = gid.y;
  if (c >= P.W || rl >= P.rows) { return; }
  let r = P.row0 + rl;
  if (c > r) { return; }
  let j = P.value_channel;
  y[rl * P.W + c] = y[rl * P.W + c] * exp(min(dc[r * P.dkf + j] - dc[c * P.dkf + j], 0.0));
}
#endif
