// Capture reductions (spec §3.5), fused: one job per tap point reads the tensor once and accumulates
// every statistic that point needs into its own word range of one output buffer (offsets in its Job);
// one dispatch runs several jobs (Capture: a layer's tap points at once).
// A tensor is read as [rows, H, D]: element i belongs to head (i / D) % H. Only rows [row0, row0 + rows)
// count (a token range). Workgroup (c, h) covers elements j ∈ [c·CHUNK, (c+1)·CHUNK) of head h's
// rows·D elements, j ↦ i = ((row0 + j / D)·H + h)·D + j % D.
// Binning and thresholds compare order-preserving integer keys of the f32 bits (key(x) < key(y) ⟺
// x < y, with −0 read as +0) against edge keys precomputed on the CPU in the input's own domain
// (log α edges when α = exp(log α) is binned, σ(l) edges on a logit scale), so the kernel evaluates
// no transcendental and the float64 twin reproduces every count exactly. NaN is counted apart.
// Sections of the output (u32 words; counts are exact atomics, sums are f32 bits), each compiled in by
// define (the union over a dispatch's jobs) and computed for the jobs whose flags name it:
//   HIST:    histogram, bin b ∈ [0, B) is the largest b with E[b] ≤ key(x); key < E[0] → under (B),
//            key > E[B] → over (B+1), NaN → B+2; counts at o_hist (H, B+3).
//   SAT:     for threshold pair k < 8: #(x < lowₖ), #(x > highₖ) (NaN never counted); at o_sat (H, 2K).
//   MOM:     Σ v, Σ v² with v = x or exp(x) (F_EXP); per-chunk tree sums at o_mom (chunks, H, 2).
//   PROXY:   from gate logits a (and c, F_REFINED): Σ g(1−g) and Σ dF/dg = Σ 2(1−r)g + 2r(1−g),
//            g = σ(a), r = σ(c); partials at o_prox (chunks, H, 2). F_PROXY_A: a is x (c is y);
//            F_PROXY_C: c is x, a is y (always refined).
//   ROWNORM: ‖x_row,h‖₂ per counted row at o_norm (rows, H).
//   PHI:     entropy −Σ p log p of p = max(φ, 0) / Σ max(φ, 0) per row (0 when the sum is 0, NaN
//            ignored) at o_ent (rows, H), and the workgroup's Σ of its rows' entropies at
//            o_esum (chunks, H) (the CPU adds those in float64 for the mean); #(φ ≤ P.zero) per head
//            at o_zeros (H) (NaN never counts).
//            Row phases: workgroup (c, h) takes the rows whose first element j = r·D lies in its chunk.
//   CHAN:    Σ_rows v per (head, channel), v = x or exp(x) (F_CHAN_EXP), as partials over row blocks
//            at o_chan (n_blk, H, D), compensated within a thread; the CPU adds the blocks.
// The buffer is zeroed before the pass; the per-chunk partials are summed by the finish mode below
// (or identically on the CPU, capture/reduce.ts finishSums).
//   finish:  partials (chunks, H, 2) → (H, 2), or → (H) = sqrt(Σ v²) for state norms.

override WG: u32 = 256;
const PER_THREAD: u32 = 8u;

fn key_of(bits: u32) -> u32 {
  var b = bits;
  if (b == 0x80000000u) { b = 0u; }
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

fn is_nan_bits(b: u32) -> bool {
  return (b & 0x7fffffffu) > 0x7f800000u;
}

#if MODE == finish || MOM || PROXY || ROWNORM || PHI || CHAN
var<workgroup> r0: array<f32, WG>;
var<workgroup> r1: array<f32, WG>;

// Tree sum of each thread's (s0, s1) over the workgroup: the totals are in r0[0], r1[0] afterwards.
// Uniform control flow.
fn tree_sum(lid: u32, s0: f32, s1: f32) {
  workgroupBarrier();
  r0[lid] = s0;
  r1[lid] = s1;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      r0[lid] += r0[lid + s];
      r1[lid] += r1[lid + s];
    }
    workgroupBarrier();
  }
}
#endif

#if MODE == finish
struct Params {
  chunks: u32,
  H: u32,
  _p0: u32,
  _p1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;        // (chunks, H, 2)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // (H, 2), or (H) with NORM

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  var s0 = 0.0;
  var s1 = 0.0;
  for (var c = lid; c < P.chunks; c += WG) {
    s0 += part[(c * P.H + h) * 2u];
    s1 += part[(c * P.H + h) * 2u + 1u];
  }
  tree_sum(lid, s0, s1);
  if (lid == 0u) {
#if NORM
    out[h] = sqrt(r1[0]);
#else
    out[h * 2u] = r0[0];
    out[h * 2u + 1u] = r1[0];
#endif
  }
}
#else

// Several jobs in one dispatch (Capture: every tap point of a layer at once): job k reads input slot
// xs (and ys, the other gate, for the proxies) and writes its sections at its own offsets of `out`.
// Flattened workgroup w = wid.x + wid.y·gx belongs to the last job k with wg0 ≤ w, as (c, h) =
// (l mod chunks, l / chunks), l = w − wg0. The defines are the union of the jobs' sections; each job
// computes only those its flags name (workgroup-uniform branches).
const F_HIST: u32 = 1u;
const F_SAT: u32 = 2u;
const F_MOM: u32 = 4u;
const F_EXP: u32 = 8u;
const F_PROXY_A: u32 = 16u;
const F_PROXY_C: u32 = 32u;
const F_REFINED: u32 = 64u;
const F_ROWNORM: u32 = 128u;
const F_PHI: u32 = 256u;
const F_CHAN: u32 = 512u;
const F_CHAN_EXP: u32 = 1024u;

struct Job {
  rows: u32,
  H: u32,
  D: u32,
  chunks: u32,
  n_hist: u32,  // B + 1 histogram edge keys at E[0..n_hist)
  n_sat: u32,   // 2K threshold keys (low₀, high₀, low₁, …) at E[n_hist..n_hist + n_sat)
  row0: u32,    // first row counted
  flags: u32,   // F_*
  o_hist: u32,
  o_sat: u32,
  o_zeros: u32,
  o_mom: u32,
  o_prox: u32,
  o_norm: u32,
  o_ent: u32,
  o_chan: u32,
  zero: f32,
  n_blk: u32,    // CHAN: row blocks (≤ chunks); workgroup (c < n_blk, h) sums rows [c·blk_rows, …)
  blk_rows: u32,
  h_map: u32,    // HIST: the input → binned-domain map of the bin estimate (hist_domain)
  h_lo: f32,     // HIST: the binned domain's lo and B / (hi − lo)
  h_scale: f32,
  o_esum: u32,   // PHI: per-chunk Σ of the rows' entropies (chunks, H)
  wg0: u32,      // the job's first flattened workgroup
  xs: u32,       // input slot of x
  ys: u32,       // input slot of the other gate's logits (proxies)
  _p0: u32,
  _p1: u32,
}

struct Params {
  jobs: u32,
  gx: u32,      // workgroups along x
  _p0: u32,
  _p1: u32,
  job: array<Job, ${NJ}>,
#if HIST || SAT
  edges: array<array<vec4<u32>, 70>, ${NJ}>, // per job: keys, 4 per vec4
#endif
}
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> x0: array<u32>;   // (rows, H, D) f32 bits
#if X1
@group(0) @binding(3) var<storage, read> x1: array<u32>;
#endif
#if X2
@group(0) @binding(4) var<storage, read> x2: array<u32>;
#endif
#if X3
@group(0) @binding(5) var<storage, read> x3: array<u32>;
#endif
#if X4
@group(0) @binding(6) var<storage, read> x4: array<u32>;
#endif
#if X5
@group(0) @binding(7) var<storage, read> x5: array<u32>;
#endif
#if X6
@group(0) @binding(8) var<storage, read> x6: array<u32>;
#endif
#if X7
@group(0) @binding(9) var<storage, read> x7: array<u32>;
#endif

/** Word i of input slot s (s is the same for the whole workgroup). */
fn ld(s: u32, i: u32) -> u32 {
  switch s {
#if X1
    case 1u: { return x1[i]; }
#endif
#if X2
    case 2u: { return x2[i]; }
#endif
#if X3
    case 3u: { return x3[i]; }
#endif
#if X4
    case 4u: { return x4[i]; }
#endif
#if X5
    case 5u: { return x5[i]; }
#endif
#if X6
    case 6u: { return x6[i]; }
#endif
#if X7
    case 7u: { return x7[i]; }
#endif
    default: { return x0[i]; }
  }
}

#if HIST || SAT
var<workgroup> E: array<u32, 280>;
var<workgroup> local_counts: array<atomic<u32>, 280>;
#endif

fn element(P: Job, h: u32, j: u32) -> u32 {
  return ((P.row0 + j / P.D) * P.H + h) * P.D + j % P.D;
}

fn sigm(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

#if HIST
// The input mapped to the domain the bins are uniform in (0: x, 1: exp(x) — 'exp' values —, 2: logit(x),
// 3: logit(exp(x))), only to guess the bin: the exact bin always comes from the edge keys.
fn hist_domain(P: Job, x: f32) -> f32 {
  if (P.h_map == 1u) { return exp(x); }
  if (P.h_map == 2u) { return log(x / (1.0 - x)); }
  if (P.h_map == 3u) { return x - log(1.0 - exp(x)); }
  return x;
}
#endif

fn put_f32(i: u32, v: f32) {
  atomicStore(&out[i], bitcast<u32>(v));
}

#if CHAN
// Compensated Σ over rows r_from, r_from + step, … < r_to of v = x or exp(x) at column n of the (H·D) row.
fn chan_sum(P: Job, n: u32, r_from: u32, r_to: u32, step: u32) -> f32 {
  let W = P.H * P.D;
  let ex = (P.flags & F_CHAN_EXP) != 0u;
  var s = 0.0;
  var comp = 0.0;
  for (var r = r_from; r < r_to; r += step) {
    var v = bitcast<f32>(ld(P.xs, (P.row0 + r) * W + n));
    if (ex) { v = exp(v); }
    let yy = v - comp;
    let t = s + yy;
    comp = (t - s) - yy;
    s = t;
  }
  return s;
}
#endif

#if MOM || PROXY
// Tree sum of (s0, s1) over the workgroup into out[o + {0, 1}]. Uniform control flow.
fn tree(lid: u32, s0: f32, s1: f32, write: bool, o: u32) {
  tree_sum(lid, s0, s1);
  if (lid == 0u && write) {
    put_f32(o, r0[0]);
    put_f32(o + 1u, r1[0]);
  }
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * U.gx;
  var jb = 0u;
  for (var k = 1u; k < U.jobs; k += 1u) {
    if (U.job[k].wg0 <= w) { jb = k; }
  }
  let P = U.job[jb];
  let per = max(P.chunks, 1u);
  let c = (w - P.wg0) % per;
  let h = (w - P.wg0) / per;
  // Workgroups past the last job's (the grid is rounded up to whole rows of gx).
  if (w < P.wg0 || c >= P.chunks || h >= P.H) { return; }
  let f = P.flags;
  let m = P.rows * P.D;
  let j0 = c * (WG * PER_THREAD);
  let j1 = min(m, j0 + WG * PER_THREAD);
#if HIST
  let do_hist = (f & F_HIST) != 0u;
#endif
#if SAT
  let do_sat = (f & F_SAT) != 0u;
#endif
#if HIST || SAT
  if ((f & (F_HIST | F_SAT)) != 0u) {
    let n_keys = P.n_hist + P.n_sat;
    for (var e = lid; e < 280u; e += WG) {
      if (e < n_keys) { E[e] = U.edges[jb][e / 4u][e % 4u]; }
      atomicStore(&local_counts[e], 0u);
    }
    workgroupBarrier();
  }
#endif
#if SAT
  var cnt: array<u32, 16>;
#endif
#if HIST
  // A run of equal bins is added to the workgroup's count once (saturated gates put most of a
  // thread's elements in one bin: far fewer contended atomics; the counts are the same).
  var run_bin = 0u;
  var run_n = 0u;
#endif
#if MOM
  let do_mom = (f & F_MOM) != 0u;
  let mom_exp = (f & F_EXP) != 0u;
  var s0 = 0.0;
  var s1 = 0.0;
#endif
#if PROXY
  let prox_a = (f & F_PROXY_A) != 0u;
  let prox_c = (f & F_PROXY_C) != 0u;
  let refined = (f & F_REFINED) != 0u;
  var p0 = 0.0;
  var p1 = 0.0;
#endif
  // A constant trip count (PER_THREAD) so that the compiler can unroll and keep the loads in flight.
  for (var u = 0u; u < PER_THREAD; u += 1u) {
    let j = j0 + lid + u * WG;
    if (j >= j1) { break; }
    let i = element(P, h, j);
    let b = ld(P.xs, i);
    let xv = bitcast<f32>(b);
#if HIST
    if (do_hist) {
      let B = P.n_hist - 1u;
      var bin = B + 2u;
      if (!is_nan_bits(b)) {
        let k = key_of(b);
        if (k < E[0]) {
          bin = B;
        } else if (k > E[B]) {
          bin = B + 1u;
        } else {
          // The largest bin in [0, B) with E[bin] ≤ k: guessed from the value (uniform bins in the
          // binned domain), then moved until the edge keys agree, so the count is exact whatever the
          // guess (NaN or ±inf guesses are clamped into range first). Was a binary search over E:
          // ~6 dependent workgroup-memory reads an element, most of a histogram pass's time.
          let guess = i32(clamp(floor((hist_domain(P, xv) - P.h_lo) * P.h_scale), 0.0, f32(B - 1u)));
          var b2 = u32(clamp(guess, 0, i32(B) - 1));
          while (b2 > 0u && E[b2] > k) { b2 -= 1u; }
          while (b2 + 1u < B && E[b2 + 1u] <= k) { b2 += 1u; }
          bin = b2;
        }
      }
      if (bin == run_bin) {
        run_n += 1u;
      } else {
        if (run_n != 0u) { atomicAdd(&local_counts[run_bin], run_n); }
        run_bin = bin;
        run_n = 1u;
      }
    }
#endif
#if SAT
    if (do_sat && !is_nan_bits(b)) {
      let k = key_of(b);
      for (var t = 0u; t < P.n_sat; t += 2u) {
        if (k < E[P.n_hist + t]) { cnt[t] += 1u; }
        if (k > E[P.n_hist + t + 1u]) { cnt[t + 1u] += 1u; }
      }
    }
#endif
#if MOM
    if (do_mom) {
      var v = xv;
      if (mom_exp) { v = exp(xv); }
      s0 += v;
      s1 += v * v;
    }
#endif
#if PROXY
    if (prox_a) {
      let g = sigm(xv);
      p0 += g * (1.0 - g);
      if (refined) {
        let r = sigm(bitcast<f32>(ld(P.ys, i)));
        p1 += 2.0 * (1.0 - r) * g + 2.0 * r * (1.0 - g);
      }
    } else if (prox_c) {
      let g = sigm(bitcast<f32>(ld(P.ys, i)));
      p0 += g * (1.0 - g);
      let r = sigm(xv);
      p1 += 2.0 * (1.0 - r) * g + 2.0 * r * (1.0 - g);
    }
#endif
  }
#if HIST
  if (run_n != 0u) { atomicAdd(&local_counts[run_bin], run_n); }
#endif
#if SAT
  // Per-thread counts, then one workgroup atomic per thread and threshold.
  for (var t = 0u; t < P.n_sat; t += 1u) {
    if (cnt[t] != 0u) { atomicAdd(&local_counts[P.n_hist + 2u + t], cnt[t]); }
  }
#endif
#if HIST || SAT
  if ((f & (F_HIST | F_SAT)) != 0u) { workgroupBarrier(); }
#endif
#if HIST
  if (do_hist) {
    let hw = P.n_hist + 2u;
    for (var e = lid; e < hw; e += WG) {
      let v = atomicLoad(&local_counts[e]);
      if (v != 0u) { atomicAdd(&out[P.o_hist + h * hw + e], v); }
    }
  }
#endif
#if SAT
  for (var e = lid; e < P.n_sat; e += WG) {
    let v = atomicLoad(&local_counts[P.n_hist + 2u + e]);
    if (v != 0u) { atomicAdd(&out[P.o_sat + h * P.n_sat + e], v); }
  }
#endif
#if MOM
  tree(lid, s0, s1, do_mom, P.o_mom + (c * P.H + h) * 2u);
#endif
#if PROXY
  tree(lid, p0, p1, prox_a || prox_c, P.o_prox + (c * P.H + h) * 2u);
#endif
#if ROWNORM || PHI
  // Rows whose first element lies in this chunk: one thread per row when rows are short (D ≤ WG),
  // the whole workgroup per row (strided, tree sums) when they are long (logits: D = vocabulary).
  let do_norm = (f & F_ROWNORM) != 0u;
  let do_phi = (f & F_PHI) != 0u;
  if (do_norm || do_phi) {
    let rb = (j0 + P.D - 1u) / P.D;
    let re = (j1 + P.D - 1u) / P.D;
    var zc = 0u;
    var esum = 0.0; // the entropies this thread wrote, for the chunk's Σ
    if (P.D <= WG) {
      // TPR threads per row (a power of two ≤ 32, as many as the chunk's rows leave), each striding
      // over the row; their partials meet in r0/r1 and the row's first thread adds them in order.
      // (One thread walking a whole row was a chain of D dependent loads: ~10 µs a pass at D = 64.)
      let nr = re - rb;
      var tpr = 1u;
      while (tpr < 32u && tpr * 2u * nr <= WG) { tpr *= 2u; }
      let per_pass = WG / tpr;
      let lane = lid % tpr;
      let first = lid - lane;
      for (var q0 = 0u; q0 < nr; q0 += per_pass) {
        let rr = q0 + lid / tpr;
        let on = rr < nr;
        let r = rb + rr;
        let n = r * P.H + h;
        let base = ((P.row0 + r) * P.H + h) * P.D;
        var sq = 0.0;
        var pos = 0.0;
        if (on) {
          for (var d = lane; d < P.D; d += tpr) {
            let v = bitcast<f32>(ld(P.xs, base + d));
            sq = fma(v, v, sq);
            if (do_phi) {
              if (v <= P.zero) { zc += 1u; }
              if (v > 0.0) { pos += v; }
            }
          }
        }
        workgroupBarrier();
        r0[lid] = sq;
        r1[lid] = pos;
        workgroupBarrier();
        var total_pos = 0.0;
        if (lane == 0u) {
          var tsq = 0.0;
          for (var t = 0u; t < tpr; t += 1u) {
            tsq += r0[lid + t];
            total_pos += r1[lid + t];
          }
          if (do_norm && on) { put_f32(P.o_norm + n, sqrt(tsq)); }
        }
#if PHI
        if (do_phi) {
          workgroupBarrier();
          if (lane == 0u) { r1[lid] = total_pos; }
          workgroupBarrier();
          total_pos = r1[first];
          var e = 0.0;
          if (on && total_pos > 0.0) {
            for (var d = lane; d < P.D; d += tpr) {
              let v = bitcast<f32>(ld(P.xs, base + d));
              if (v > 0.0) {
                let p = v / total_pos;
                if (p > 0.0) { e -= p * log(p); }
              }
            }
          }
          r0[lid] = e;
          workgroupBarrier();
          if (lane == 0u && on) {
            var te = 0.0;
            for (var t = 0u; t < tpr; t += 1u) { te += r0[lid + t]; }
            put_f32(P.o_ent + n, te);
            esum += te;
          }
        }
#endif
      }
    } else {
      for (var r = rb; r < re; r += 1u) {
        let n = r * P.H + h;
        let base = ((P.row0 + r) * P.H + h) * P.D;
        var sq = 0.0;
        var pos = 0.0;
        for (var d = lid; d < P.D; d += WG) {
          let v = bitcast<f32>(ld(P.xs, base + d));
          sq = fma(v, v, sq);
          if (do_phi) {
            if (v <= P.zero) { zc += 1u; }
            if (v > 0.0) { pos += v; }
          }
        }
        tree_sum(lid, sq, pos);
        let total_sq = r0[0];
        let total_pos = r1[0];
        if (do_norm && lid == 0u) { put_f32(P.o_norm + n, sqrt(total_sq)); }
#if PHI
        if (do_phi) {
          var e = 0.0;
          if (total_pos > 0.0) {
            for (var d = lid; d < P.D; d += WG) {
              let v = bitcast<f32>(ld(P.xs, base + d));
              if (v > 0.0) {
                let p = v / total_pos;
                if (p > 0.0) { e -= p * log(p); }
              }
            }
          }
          tree_sum(lid, e, 0.0);
          if (lid == 0u) {
            put_f32(P.o_ent + n, r0[0]);
            esum += r0[0];
          }
        }
#endif
      }
    }
#if PHI
    if (do_phi) {
      if (zc != 0u) { atomicAdd(&out[P.o_zeros + h], zc); }
      tree_sum(lid, esum, 0.0);
      if (lid == 0u) { put_f32(P.o_esum + c * P.H + h, r0[0]); }
    }
#endif
  }
#endif
#if CHAN
  // Channel sums in row blocks: workgroup (c, h), c < n_blk, sums rows [c·blk_rows, (c+1)·blk_rows) of
  // every channel of head h into partial (c, h, d) at o_chan (n_blk, H, D); the CPU adds the blocks
  // (reduce.ts blockSums64). With D ≤ WG, WG / D thread groups split the block's rows (coalesced
  // loads, compensated per thread) and their sums meet in a fixed order; with D > WG one thread per
  // channel walks the block.
  if ((f & F_CHAN) != 0u) {
    let r_lo = c * P.blk_rows;
    let r_hi = min(P.rows, r_lo + P.blk_rows);
    let in_blk = c < P.n_blk;
    if (P.D <= WG) {
      let G = WG / P.D;
      let d = lid % P.D;
      let g = lid / P.D;
      var s = 0.0;
      if (in_blk && g < G) { s = chan_sum(P, h * P.D + d, r_lo + g, r_hi, G); }
      workgroupBarrier();
      r0[lid] = s;
      workgroupBarrier();
      if (in_blk && lid < P.D) {
        var t = 0.0;
        for (var k = 0u; k < G; k += 1u) { t += r0[k * P.D + lid]; }
        put_f32(P.o_chan + (c * P.H + h) * P.D + lid, t);
      }
    } else if (in_blk) {
      for (var d = lid; d < P.D; d += WG) {
        put_f32(P.o_chan + (c * P.H + h) * P.D + d, chan_sum(P, h * P.D + d, r_lo, r_hi, 1u));
      }
    }
  }
#endif
}
#endif
