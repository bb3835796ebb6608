// Shared WGSL helpers: sigmoid without overflow, and swish (SiLU). The accurate log-space gate
// arithmetic lives in gate_math.wgsl (WGSL's log() is too coarse near 1 for a naive log1p).

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

fn swish(x: f32) -> f32 {
  return x * sigmoid(x);
}
