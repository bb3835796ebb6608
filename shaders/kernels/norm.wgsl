// Row normalization: y = (x - mean?) / sqrt(mean((x - mean?)^2) + eps) * w (+ b), in f32.
// RMSNorm when LAYER == 0 (no mean), LayerNorm (population variance) when LAYER == 1.
// One workgroup per row; rows may be tokens ([T, hidden]) or token-heads ([T*H, dv], shared w).

override WG: u32 = 256;

struct Params {
  rows: u32,
  width: u32,
  eps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (rows, width)
@group(0) @binding(2) var<storage, read> w: array<f32>;        // (width)
#if LAYER
@group(0) @binding(3) var<storage, read> b: array<f32>;        // (width)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;  // (rows, width)
#else
@group(0) @binding(3) var<storage, read_write> y: array<f32>;  // (rows, width)
#endif

var<workgroup> red: array<f32, WG>;

fn reduce_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  var s = WG / 2u;
  loop {
    if (s == 0u) { break; }
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
    s = s / 2u;
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * 65535u;
  if (row >= P.rows) { return; }
  let base = row * P.width;
  let n = f32(P.width);
#if LAYER
  var s = 0.0;
  for (var i = lid; i < P.width; i += WG) { s += x[base + i]; }
  let mean = reduce_sum(s, lid) / n;
#else
  let mean = 0.0;
#endif
  var ss = 0.0;
  for (var i = lid; i < P.width; i += WG) {
    let d = x[base + i] - mean;
    ss += d * d;
  }
  let inv = inverseSqrt(reduce_sum(ss, lid) / n + P.eps);
  for (var i = lid; i < P.width; i += WG) {
#if LAYER
    y[base + i] = (x[base + i] - mean) * inv * w[i] + b[i];
#else
    y[base + i] = (x[base + i] - mean) * inv * w[i];
#endif
  }
}
