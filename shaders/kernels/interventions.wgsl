// Elementwise edits of the interventions (model/interventions.ts), in place on a flat f32 tensor:
//   OP == clamp:       x[e] = min(max(x[e], lo), hi) for e < n        (gate logits a, b, c; lo ≤ hi)
//   OP == scale_cols:  x[r · stride + col0 + j] *= s for r < rows, j < cols, e = r · cols + j < n
//                      (one head's block of columns of every row of attn.y)

struct Params {
  n: u32,        // elements touched
  stride: u32,   // scale_cols: elements per row
  col0: u32,     // scale_cols: first column of the block
  cols: u32,     // scale_cols: columns in the block
  lo: f32,       // clamp bounds
  hi: f32,
  s: f32,        // scale_cols factor
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * 65535u) * 256u + lid;
  if (e >= P.n) { return; }
#if OP == clamp
  x[e] = min(max(x[e], P.lo), P.hi);
#else
  let r = e / P.cols;
  let i = r * P.stride + P.col0 + (e - r * P.cols);
  x[i] = P.s * x[i];
#endif
}
