// Attention output block (spec §1.4, §1.5 steps 7–8), fused: per (token, head) row of dv values
//   NORM == rmsnorm    y = o / sqrt(mean(o²) + eps) · w
//   NORM == layernorm  y = (o − mean) / sqrt(var + eps) · w + b   (population variance)
//   NORM == none       y = o
// then with GATE: y ⊙= swish(g), g the output-gate pre-activation of the same (token, head, channel).
// w and b are [dv], shared by all heads. 32 lanes per row, 8 rows per workgroup; f32 throughout.

#include "common.wgsl"

struct Params {
  rows: u32,   // T · Hq
  dv: u32,
  eps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> o: array<f32>;            // (T, Hq, dv)
#if NORM == layernorm
@group(0) @binding(2) var<storage, read> w: array<f32>;            // (dv)
@group(0) @binding(3) var<storage, read> bias: array<f32>;         // (dv)
#if GATE
@group(0) @binding(4) var<storage, read> gate: array<f32>;         // (T, Hq · dv)
@group(0) @binding(5) var<storage, read_write> y: array<f32>;      // (T, Hq · dv)
#else
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (T, Hq · dv)
#endif
#elif NORM == rmsnorm
@group(0) @binding(2) var<storage, read> w: array<f32>;            // (dv)
#if GATE
@group(0) @binding(3) var<storage, read> gate: array<f32>;         // (T, Hq · dv)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (T, Hq · dv)
#else
@group(0) @binding(3) var<storage, read_write> y: array<f32>;      // (T, Hq · dv)
#endif
#else
#if GATE
@group(0) @binding(2) var<storage, read> gate: array<f32>;         // (T, Hq · dv)
@group(0) @binding(3) var<storage, read_write> y: array<f32>;      // (T, Hq · dv)
#else
@group(0) @binding(2) var<storage, read_write> y: array<f32>;      // (T, Hq · dv)
#endif
#endif

var<workgroup> red: array<f32, 256>;

fn row_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 16u; s > 0u; s = s / 2u) {
    if (lid % 32u < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[lid - lid % 32u];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * 65535u) * 8u + lid / 32u;
  let lane = lid % 32u;
  let valid = row < P.rows;
  let dv = P.dv;
  let base = row * dv;
  let n = f32(dv);
#if NORM == layernorm
  var s = 0.0;
  if (valid) { for (var i = lane; i < dv; i += 32u) { s += o[base + i]; } }
  let mean = row_sum(s, lid) / n;
#else
  let mean = 0.0;
#endif
#if NORM == none
  let inv = 1.0;
#else
  var ss = 0.0;
  if (valid) {
    for (var i = lane; i < dv; i += 32u) {
      let d = o[base + i] - mean;
      ss += d * d;
    }
  }
  let inv = inverseSqrt(row_sum(ss, lid) / n + P.eps);
#endif
  if (!valid) { return; }
  for (var i = lane; i < dv; i += 32u) {
    var v = (o[base + i] - mean) * inv;
#if NORM != none
    v = v * w[i];
#endif
#if NORM == layernorm
    v = v + bias[i];
#endif
#if GATE
    v = v * swish(gate[base + i]);
#endif
    y[base + i] = v;
  }
}
