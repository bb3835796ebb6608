// Roofline microbenchmarks: the device's f32 FMA peak and its streaming read bandwidth.
//
// fma_peak: each thread runs 4 independent vec4 chains x ← fma(x, m, c), 8 unrolled steps per
// iteration (4 chains keep the FMA pipes full despite each chain's latency). m and c come from
// uniforms so nothing folds; with m = 0.5 every product is exact, so fused and unfused FMA agree
// and the result has a closed form: x_n = x_0·m^n + c·(1 - m^n)/(1 - m). Chain j, lane l starts at
// x_0 = f32(gid & 255) + 0.25·l + j. Flops per thread: iterations · 8 · 4 chains · 4 lanes · 2.
//
// stream_read: each thread sums a grid-stride slice of x with 4 loads in flight per loop trip;
// the workgroup folds its sums to one vec4 (out[wid]) so the loads cannot be dropped.
// Bytes read: n_vec4 · 16.

const WG: u32 = 256u;

struct Params {
  a: u32,   // fma_peak: iterations; stream_read: n_vec4
  b: u32,   // workgroups in x (ids span a 2-D grid: wid.x + wid.y · b)
  m: f32,
  c: f32,
}

@group(0) @binding(0) var<uniform> P: Params;

#if STREAM
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;          // (n_vec4)
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;  // (workgroups)

var<workgroup> red: array<vec4<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid3: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let wid = wid3.x + wid3.y * P.b;
  let n = P.a;
  let stride = nwg.x * nwg.y * WG;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var i = wid * WG + lid;
  // Full trips: four independent loads per thread in flight.
  loop {
    if (i + 3u * stride >= n) { break; }
    acc0 += x[i];
    acc1 += x[i + stride];
    acc2 += x[i + 2u * stride];
    acc3 += x[i + 3u * stride];
    i += 4u * stride;
  }
  loop {
    if (i >= n) { break; }
    acc0 += x[i];
    i += stride;
  }
  red[lid] = (acc0 + acc1) + (acc2 + acc3);
  workgroupBarrier();
  var s = WG / 2u;
  loop {
    if (s == 0u) { break; }
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
    s = s / 2u;
  }
  if (lid == 0u) { out[wid] = red[0]; }
}
#else
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;  // (workgroups · WG)

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid3: vec3<u32>) {
  let gid = (wid3.x + wid3.y * P.b) * WG + lid3.x;
  let m = vec4<f32>(P.m);
  let c = vec4<f32>(P.c);
  let base = vec4<f32>(f32(gid & 255u)) + vec4<f32>(0.0, 0.25, 0.5, 0.75);
  var a0 = base;
  var a1 = base + vec4<f32>(1.0);
  var a2 = base + vec4<f32>(2.0);
  var a3 = base + vec4<f32>(3.0);
  for (var it = 0u; it < P.a; it++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
  }
  out[gid] = (a0 + a1) + (a2 + a3);
}
#endif
