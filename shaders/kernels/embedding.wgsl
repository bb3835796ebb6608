// Embedding lookup: y[t, :] = table[ids[t], :], a zero row when ids[t] ≥ V.
// One thread per vec4 (VEC4, H % 4 == 0) or element of y.

#if VEC4
alias VT = vec4<f32>;
#else
alias VT = f32;
#endif

struct Params {
  n: u32,       // units in y: T · H (/ 4)
  width: u32,   // units per row: H (/ 4)
  vocab: u32,   // V
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;         // (T)
@group(0) @binding(2) var<storage, read> table: array<VT>;        // (V, H)
@group(0) @binding(3) var<storage, read_write> y: array<VT>;      // (T, H)

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * 65535u) * 256u + lid;
  if (i >= P.n) { return; }
  let t = i / P.width;
  let c = i % P.width;
  let id = ids[t];
  var v = VT(0.0);
  if (id < P.vocab) { v = table[id * P.width + c]; }
  y[i] = v;
}
