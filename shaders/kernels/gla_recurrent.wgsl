// Token-serial gated linear attention (spec §1, §3.1), one workgroup per (b, kv head, dv tile):
//   S_t = (exp(A_t) exp(D_t)ᵀ) ⊙ S_{t−1} + k_t v_tᵀ          S: (dk, dv), key rows, value columns
//   o_t = s · S_tᵀ q_t                                          inclusive read-out, per query head of the group
//   DENOM: z_t = exp(A_t) ⊙ z_{t−1} + k_t,  o_t = S_tᵀ q_t / (z_tᵀ q_t + 1e-6)
// Thread (r, j) holds S[i, j] for rows i = r + R·m in registers (R = WG / BVR row groups); read-outs
// reduce the R partial dot products through workgroup memory. Used for decode (T = 1) and as the
// token-serial baseline. Binding slots are assigned by the op (${BIND_*}) since A, D, z are optional.

struct Params {
  T: u32,
  Hq: u32,
  Hkv: u32,
  dk: u32,
  dv: u32,
  groups: u32,   // Hq / Hkv
  scale: f32,
  _pad: u32,
}

const BVR: u32 = ${BVR}u;        // value columns per workgroup
const R: u32 = 256u / BVR;       // row groups
// rows per thread: ceil(dk / R), held in named registers rs_m, rz_m emitted by the op (function-scope
// arrays indexed in loops end up in local memory on some drivers)
const EPS: f32 = 1e-6;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(${BIND_Q}) var<storage, read> q: array<f32>;             // (B, T, Hq, dk)
@group(0) @binding(${BIND_K}) var<storage, read> k: array<f32>;             // (B, T, Hkv, dk)
@group(0) @binding(${BIND_V}) var<storage, read> v: array<f32>;             // (B, T, Hkv, dv)
#if HAS_A
@group(0) @binding(${BIND_A}) var<storage, read> ga: array<f32>;            // (B, T, Hkv, dk) log α
#endif
#if HAS_D
@group(0) @binding(${BIND_D}) var<storage, read> gd: array<f32>;            // (B, T, Hkv, dv) log β
#endif
@group(0) @binding(${BIND_S}) var<storage, read_write> st: array<f32>;      // (B, Hkv, dk, dv) in: S_0, out: S_T
#if DENOM
@group(0) @binding(${BIND_Z0}) var<storage, read> z0: array<f32>;          // (B, Hkv, dk) z_0 (a copy: every dv tile reads it)
@group(0) @binding(${BIND_Z}) var<storage, read_write> zs: array<f32>;      // (B, Hkv, dk) out: z_T
#endif
@group(0) @binding(${BIND_O}) var<storage, read_write> o: array<f32>;       // (B, T, Hq, dv)

var<workgroup> red: array<f32, 256>;
var<workgroup> redz: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bh = wid.y;
  let b = bh / P.Hkv;
  let h = bh % P.Hkv;
  let jl = lid % BVR;
  let r = lid / BVR;
  let j = wid.x * BVR + jl;
  let jv = j < P.dv;
  let dk = P.dk;
  let dv = P.dv;
  let T = P.T;
  let sbase = bh * dk * dv + j;
  ${R_DECL}
  for (var t = 0u; t < T; t++) {
    let kb = ((b * T + t) * P.Hkv + h) * dk;
    let vb = ((b * T + t) * P.Hkv + h) * dv;
    var vt = 0.0;
    var dt = 1.0;
    if (jv) {
      vt = v[vb + j];
#if HAS_D
      dt = exp(gd[vb + j]);
#endif
    }
    ${R_UPDATE}
    for (var g = 0u; g < P.groups; g++) {
      let hq = h * P.groups + g;
      let qb = ((b * T + t) * P.Hq + hq) * dk;
      var p = 0.0;
      var pz = 0.0;
      ${R_DOT}
      red[lid] = p;
      redz[lid] = pz;
      workgroupBarrier();
      if (r == 0u) {
        var sum = 0.0;
        var sz = 0.0;
        for (var rr = 0u; rr < R; rr++) {
          sum += red[rr * BVR + jl];
          sz += redz[rr * BVR + jl];
        }
        if (jv) {
#if DENOM
          o[((b * T + t) * P.Hq + hq) * dv + j] = sum / (sz + EPS);
#else
          o[((b * T + t) * P.Hq + hq) * dv + j] = P.scale * sum;
#endif
        }
      }
      workgroupBarrier();
    }
  }
  ${R_STORE}
}
