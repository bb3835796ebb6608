// Shared WGSL helpers: stable log-sigmoid / logaddexp / softplus, swish, f32 limits.

const NEG_INF: f32 = -3.0e38;

// log(sigmoid(x)) without overflow: min(x, 0) - log1p(exp(-|x|)).
fn log_sigmoid(x: f32) -> f32 {
  return min(x, 0.0) - log1p_f(exp(-abs(x)));
}

// log(1 + x) for x >= 0, accurate near 0.
fn log1p_f(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * x / (u - 1.0);
}

// log(exp(a) + exp(b)), stable.
fn logaddexp(a: f32, b: f32) -> f32 {
  let m = max(a, b);
  if (m <= NEG_INF) { return NEG_INF; }
  return m + log1p_f(exp(-abs(a - b)));
}

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

fn swish(x: f32) -> f32 {
  return x * sigmoid(x);
}
