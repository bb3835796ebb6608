// Log gates, elementwise, in stable log form (spec §1.3, §1.5 step 4). Per element of the logits:
//   MODE == gla      log α = logσ(a) · inv_tau            ('gla' τ = config, 'sigmoid' τ = 1,
//                                                         fast_decay's key side on a, value side on b)
//   MODE == refined  F = g(g + 2r(1 − g)), g = σ(a), r = σ(c);  log α = log F · inv_tau, with
//                    a <  0: log F = logσ(a) + logaddexp(logσ(a), ln2 + logσ(c) + logσ(−a))   (the spec's form)
//                    a >= 0: log F = log1p(−ε(2σ(−c) + ε(σ(c) − σ(−c)))),  ε = σ(−a) = 1 − g
//                    The second is the same value: for g → 1 the spec's form cancels 2·logσ(a) against
//                    the r term and loses every digit as r → 1 (log F → −3ε²); this one has no
//                    cancellation. 1 − g always enters as σ(−a), never by subtraction, so logits of ±30
//                    give the saturated ends exactly.
// then with CLAMP: log α = max(log α, clamp_min). REPEAT = 2 (hedgehog doubles the feature dim) writes
// each row's `width` gates into both halves of a 2·width output row.

#include "gate_math.wgsl"

struct Params {
  n: u32,          // elements of the logits
  width: u32,      // features per row (dk or dv)
  inv_tau: f32,
  clamp_min: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;          // (B, T, H, width) logits
#if MODE == refined
@group(0) @binding(2) var<storage, read> c: array<f32>;          // (B, T, H, width) refining logits
@group(0) @binding(3) var<storage, read_write> y: array<f32>;    // (B, T, H, width · REPEAT) log gates
#else
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // (B, T, H, width · REPEAT) log gates
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * 65535u) * 256u + lid;
  if (e >= P.n) { return; }
  let x = a[e];
  let la = log_sigmoid_acc(x);
#if MODE == refined
  let lf = log_refined(x, c[e]);
#else
  let lf = la;
#endif
  var g = lf * P.inv_tau;
#if CLAMP
  g = max(g, P.clamp_min);
#endif
  let row = e / P.width;
  let col = e - row * P.width;
  let base = row * P.width * ${REPEAT}u + col;
  for (var r = 0u; r < ${REPEAT}u; r++) {
    y[base + r * P.width] = g;
  }
}
