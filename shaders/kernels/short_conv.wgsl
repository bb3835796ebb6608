// Short causal depthwise convolution + SiLU (fla's ShortConvolution, no bias), channels last:
//   y[t, c] = silu(Σ_{j<K} w[c, j] · x̃[t + j, c])   with x̃ = [history; x] ((K-1) + T rows),
// i.e. weight index K-1 multiplies the current token — PyTorch Conv1d(padding K-1) truncated to T,
// with the zero padding replaced by the carried history. The same dispatch writes the new history:
//   history_out[r, c] = x̃[T + r, c], r < K-1 (the last K-1 inputs, reaching into the old history
//   when T < K-1). One thread per (row, channel) of [y; history_out].

struct Params {
  T: u32,
  C: u32,
  K: u32,
  has_hist: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;            // (T, C)
@group(0) @binding(2) var<storage, read> w: array<f32>;            // (C, K)
@group(0) @binding(3) var<storage, read> hist: array<f32>;         // (K-1, C); unread when has_hist == 0
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (T, C)
@group(0) @binding(5) var<storage, read_write> hist_out: array<f32>; // (K-1, C)

// Row r of x̃ (r < K-1: history, else x[r - (K-1)]).
fn xt(r: u32, c: u32) -> f32 {
  let h = P.K - 1u;
  if (r >= h) { return x[(r - h) * P.C + c]; }
  if (P.has_hist == 0u) { return 0.0; }
  return hist[r * P.C + c];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * 65535u) * 256u + lid;
  let rows = P.T + P.K - 1u;
  if (i >= rows * P.C) { return; }
  let t = i / P.C;
  let c = i % P.C;
  if (t < P.T) {
    var s = 0.0;
    for (var j = 0u; j < P.K; j++) { s += w[c * P.K + j] * xt(t + j, c); }
    y[t * P.C + c] = s / (1.0 + exp(-s));
  } else {
    let r = t - P.T;
    hist_out[r * P.C + c] = xt(P.T + r, c);
  }
}
