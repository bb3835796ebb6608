// Elementwise ops over flat f32 tensors, one vec4 (VEC4) or one element per thread:
//   OP == add:     y = a + b                (INPLACE: y += b, y holds a)
//   OP == silu:    y = x · σ(x)             (INPLACE: y holds x)
//   OP == scale:   y = s · x                (INPLACE: y holds x)
//   OP == swiglu:  y[t, i] = swish(gu[t, i]) · gu[t, I + i]   (gu = [T, 2I]: gate columns, then up)
// Units are vec4s when VEC4 (the op checks that every length is a multiple of 4), else elements.

#if VEC4
alias VT = vec4<f32>;
#else
alias VT = f32;
#endif

struct Params {
  n: u32,       // units in y
  cols: u32,    // swiglu: units per row of y (I, or I / 4)
  s: f32,       // scale
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
#if OP == add
#if INPLACE
@group(0) @binding(1) var<storage, read> b: array<VT>;          // (n)
@group(0) @binding(2) var<storage, read_write> y: array<VT>;    // (n), holds a on entry
#else
@group(0) @binding(1) var<storage, read> a: array<VT>;          // (n)
@group(0) @binding(2) var<storage, read> b: array<VT>;          // (n)
@group(0) @binding(3) var<storage, read_write> y: array<VT>;    // (n)
#endif
#elif INPLACE
@group(0) @binding(1) var<storage, read_write> y: array<VT>;    // (n), holds x on entry
#else
@group(0) @binding(1) var<storage, read> x: array<VT>;          // (n); swiglu: (T, 2I)
@group(0) @binding(2) var<storage, read_write> y: array<VT>;    // (n); swiglu: (T, I)
#endif

#if OP != add && OP != swiglu
fn src(i: u32) -> VT {
#if INPLACE
  return y[i];
#else
  return x[i];
#endif
}
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * 65535u) * 256u + lid;
  if (i >= P.n) { return; }
#if OP == add
#if INPLACE
  y[i] = y[i] + b[i];
#else
  y[i] = a[i] + b[i];
#endif
#elif OP == silu
  let v = src(i);
  y[i] = v / (1.0 + exp(-v));
#elif OP == scale
  y[i] = P.s * src(i);
#elif OP == swiglu
  let t = i / P.cols;
  let c = i % P.cols;
  let g = x[t * 2u * P.cols + c];
  let u = x[t * 2u * P.cols + P.cols + c];
  y[i] = g / (1.0 + exp(-g)) * u;
#endif
}
