// Accurate gate arithmetic shared by gate.wgsl and gla_step.wgsl (spec §1.3, stable log forms).

const LN2: f32 = 0.6931471805599453;

// log(1 + x) for −1 < x <= 1 to a few ULP. WGSL's log() only promises an absolute error of 2^-21
// near 1 (lavapipe and NVIDIA both show it), which ruins log(1 + e^-|a|) for |a| > 10 (common.wgsl's
// log1p_f relies on it), so for x >= −1/4 this sums log1p(x) = 2 atanh(s), s = x / (2 + x) in
// [−1/7, 1/3], as an odd series (error < s^16 / 17 < 2e-9); below, 1 + x is exact enough for log().
fn log1p_acc(x: f32) -> f32 {
  if (x < -0.25) { return log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  var p = 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  p = p * s2 + 1.0;
  return 2.0 * s * p;
}

fn log_sigmoid_acc(x: f32) -> f32 {
  return min(x, 0.0) - log1p_acc(exp(-abs(x)));
}

fn sigmoid_acc(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn logaddexp_acc(a: f32, b: f32) -> f32 {
  return max(a, b) + log1p_acc(exp(-abs(a - b)));
}

// log F of the refined gate, F = g(g + 2r(1 − g)), g = σ(a), r = σ(c):
//   a <  0: log F = logσ(a) + logaddexp(logσ(a), ln2 + logσ(c) + logσ(−a))   (the spec's form)
//   a >= 0: log F = log1p(−ε(2σ(−c) + ε(σ(c) − σ(−c)))),  ε = σ(−a) = 1 − g
// The second is the same value: for g → 1 the spec's form cancels 2·logσ(a) against the r term and
// loses every digit as r → 1 (log F → −3ε²); this one has no cancellation. 1 − g always enters as
// σ(−a), never by subtraction, so logits of ±30 give the saturated ends exactly.
fn log_refined(x: f32, cx: f32) -> f32 {
  if (x < 0.0) {
    let la = log_sigmoid_acc(x);
    return la + logaddexp_acc(la, LN2 + log_sigmoid_acc(cx) + log_sigmoid_acc(-x));
  }
  let eps = sigmoid_acc(-x);
  return log1p_acc(-eps * (2.0 * sigmoid_acc(-cx) + eps * (sigmoid_acc(cx) - sigmoid_acc(-cx))));
}
