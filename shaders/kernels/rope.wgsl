// Rotary position embedding, Hugging Face Llama form (spec §1.5): for token t at position
// p = pos0 + t, head h and pair index i < d/2 (rotate-half pairs (i, i + d/2)):
//   a   = f32(p * inv_freq[i])                   (one f32 product, as HF's f32 path)
//   y_i = x_i cos a - x_{i+d/2} sin a,   y_{i+d/2} = x_{i+d/2} cos a + x_i sin a.
// inv_freq[i] = 1 / theta^(2i/d) is rounded to f32 by the op (HF computes it in f32 too) and
// arrives in the uniform block. a reaches 16K+ rad at long positions, where GPU sin/cos lose all
// accuracy: a is reduced exactly-enough modulo 2pi (Cody-Waite, 2pi in 8-bit pieces so k * piece
// is exact for k < 2^16, i.e. a < 4e5 rad), then modulo pi/2, and sin/cos are Taylor polynomials
// on [-pi/4, pi/4] (error < 2e-9), so the result depends on the driver only through rounding.
// VEC: pairs in groups of 4 (d/2 % 4 == 0), x and y read and written as vec4. INPLACE: y is x
// (each invocation reads its elements before writing them).

override WG: u32 = 256;

struct Params {
  rows: u32,      // T * H
  heads: u32,     // H
  hd: u32,        // head dim d (even)
  pos0: u32,
  inv_freq: array<vec4<f32>, 32>,  // inv_freq[i] at [i / 4][i % 4], i < d/2 <= 128
}

@group(0) @binding(0) var<uniform> P: Params;
#if VEC && INPLACE
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;  // (T, H, d), rotated in place
#elif VEC
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;        // (T, H, d)
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;  // (T, H, d)
#elif INPLACE
@group(0) @binding(1) var<storage, read_write> y: array<f32>;        // (T, H, d), rotated in place
#else
@group(0) @binding(1) var<storage, read> x: array<f32>;              // (T, H, d)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;        // (T, H, d)
#endif

#if VEC
alias ELEM = vec4<f32>;
#else
alias ELEM = f32;
#endif
#if INPLACE
fn load(i: u32) -> ELEM { return y[i]; }
#else
fn load(i: u32) -> ELEM { return x[i]; }
#endif

// 2pi = C1 + ... + C6, each with at most 8 significant bits.
const C1: f32 = 6.28125;
const C2: f32 = 0.00193023681640625;
const C3: f32 = 5.066394805908203e-06;
const C4: f32 = 3.958120942115784e-09;
const C5: f32 = 1.0231815394945443e-11;
const C6: f32 = 2.1538326677728037e-14;
const INV_2PI: f32 = 0.15915494309189535;
// pi/2 = H1 + H2 + H3 (16-bit pieces; the quadrant index is at most 2).
const H1: f32 = 1.570770263671875;
const H2: f32 = 2.6063062250614166e-05;
const H3: f32 = 6.077094383272197e-11;
const TWO_OVER_PI: f32 = 0.6366197723675814;

// (cos a, sin a) for a >= 0.
fn cos_sin(a: f32) -> vec2<f32> {
  let k = floor(a * INV_2PI + 0.5);
  var r = a - k * C1;
  r = r - k * C2;
  r = r - k * C3;
  r = r - k * C4;
  r = r - k * C5;
  r = r - k * C6;
  let q = round(r * TWO_OVER_PI);
  let s = ((r - q * H1) - q * H2) - q * H3;
  let s2 = s * s;
  let sn = s * (1.0 + s2 * (-1.0 / 6.0 + s2 * (1.0 / 120.0 + s2 * (-1.0 / 5040.0 + s2 * (1.0 / 362880.0)))));
  let cs = 1.0 + s2 * (-0.5 + s2 * (1.0 / 24.0 + s2 * (-1.0 / 720.0 + s2 * (1.0 / 40320.0 + s2 * (-1.0 / 3628800.0)))));
  switch (i32(q) & 3) {
    case 1: { return vec2<f32>(-sn, cs); }
    case 2: { return vec2<f32>(-cs, -sn); }
    case 3: { return vec2<f32>(sn, -cs); }
    default: { return vec2<f32>(cs, sn); }
  }
}

fn angle(pos: f32, i: u32) -> f32 {
  // max() keeps the product rounded on its own: it cannot be contracted into the reduction's
  // first subtraction, which would change a from HF's value.
  return max(pos * P.inv_freq[i / 4u][i % 4u], 0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * WG;
  let half = P.hd / 2u;
#if VEC
  let groups = half / 4u;
  if (id >= P.rows * groups) { return; }
  let row = id / groups;
  let g = id % groups;
  let pos = f32(P.pos0 + row / P.heads);
  let base = row * (P.hd / 4u);
  let x1 = load(base + g);
  let x2 = load(base + groups + g);
  let i0 = g * 4u;
  let a = cos_sin(angle(pos, i0));
  let b = cos_sin(angle(pos, i0 + 1u));
  let c = cos_sin(angle(pos, i0 + 2u));
  let d = cos_sin(angle(pos, i0 + 3u));
  let co = vec4<f32>(a.x, b.x, c.x, d.x);
  let si = vec4<f32>(a.y, b.y, c.y, d.y);
  y[base + g] = x1 * co - x2 * si;
  y[base + groups + g] = x2 * co + x1 * si;
#else
  if (id >= P.rows * half) { return; }
  let row = id / half;
  let i = id % half;
  let pos = f32(P.pos0 + row / P.heads);
  let base = row * P.hd;
  let x1 = load(base + i);
  let x2 = load(base + half + i);
  let cs = cos_sin(angle(pos, i));
  y[base + i] = x1 * cs.x - x2 * cs.y;
  y[base + half + i] = x2 * cs.x + x1 * cs.y;
#endif
}
