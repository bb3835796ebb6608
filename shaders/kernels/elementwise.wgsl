// Elementwise ops over flat f32 tensors in units of one vec4 (VEC4) or one element, U units per thread:
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

// Operands of one unit (b unused by the one-input ops).
struct Unit {
  a: VT,
  b: VT,
}

fn load(i: u32) -> Unit {
  var u: Unit;
  if (i < P.n) {
#if OP == add
#if INPLACE
    u.a = y[i];
#else
    u.a = a[i];
#endif
    u.b = b[i];
#elif OP == swiglu
    let t = i / P.cols;
    let c = i % P.cols;
    u.a = x[t * 2u * P.cols + c];
    u.b = x[t * 2u * P.cols + P.cols + c];
#else
    u.a = src(i);
#endif
  }
  return u;
}

fn store(i: u32, u: Unit) {
  if (i < P.n) {
#if OP == add
    y[i] = u.a + u.b;
#elif OP == silu
    y[i] = u.a / (1.0 + exp(-u.a));
#elif OP == scale
    y[i] = P.s * u.a;
#elif OP == swiglu
    y[i] = u.a / (1.0 + exp(-u.a)) * u.b;
#endif
  }
}

// UNITS (1, 2 or 4; ops/elementwise.ts UNITS_PER_THREAD picks) units per thread, 256 apart so that
// each warp's accesses stay coalesced, all loads issued before the first store so that UNITS loads
// per operand are in flight. Written out, not as a loop over a private array (which may go to local
// memory). `npm run bench -- --only bandwidth` times each.
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i0 = (wid.x + wid.y * 65535u) * (256u * ${UNITS}u) + lid;
#if UNITS == 1
  store(i0, load(i0));
#elif UNITS == 2
  let u0 = load(i0);
  let u1 = load(i0 + 256u);
  store(i0, u0);
  store(i0 + 256u, u1);
#else
  let u0 = load(i0);
  let u1 = load(i0 + 256u);
  let u2 = load(i0 + 512u);
  let u3 = load(i0 + 768u);
  store(i0, u0);
  store(i0 + 256u, u1);
  store(i0 + 512u, u2);
  store(i0 + 768u, u3);
#endif
}
