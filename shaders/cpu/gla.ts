// Float64 twins of the gated-linear-attention kernels: the token-serial recurrence
// (kernels/gla_recurrent.wgsl), a float64 port of the chunkwise algorithm itself (kernels/gla_chunk.wgsl:
// chunk-local cumulative gates, state passing, sub-chunks of 16 with anchored exponents, pairwise
// diagonal blocks, two-sided gate), and a direct exp_norm reference that never folds the running max.

export interface GlaDims {
  B: number;
  T: number;
  Hq: number;
  Hkv: number;
  dk: number;
  dv: number;
}

/** Flat row-major inputs, the GPU layouts: q [B,T,Hq,dk], k [B,T,Hkv,dk], v [B,T,Hkv,dv], A [B,T,Hkv,dk], D [B,T,Hkv,dv]. */
export interface GlaInputs64 {
  q: ArrayLike<number>;
  k: ArrayLike<number>;
  v: ArrayLike<number>;
  A?: ArrayLike<number> | undefined;
  D?: ArrayLike<number> | undefined;
  scale: number;
  denominator?: boolean;
  /** Initial state [B, Hkv, dk, dv] (zeros when absent). */
  state?: ArrayLike<number> | undefined;
  /** Initial denominator state [B, Hkv, dk] (zeros when absent). */
  zState?: ArrayLike<number> | undefined;
  /** glaRecurrent64 only: when given, [B, T, Hkv] receives ‖S_t‖_F after each token's update. */
  stateNorms?: Float64Array | undefined;
}

export interface GlaResult64 {
  o: Float64Array; // [B, T, Hq, dv]
  state: Float64Array; // final [B, Hkv, dk, dv]
  zState: Float64Array; // final [B, Hkv, dk]
}

export const DENOM_EPS = 1e-6;

/**
 * S_t = (exp(A_t) exp(D_t)ᵀ) ⊙ S_{t−1} + k_t v_tᵀ; o_t = s·S_tᵀ q_t (inclusive), or with the denominator
 * o_t = S_tᵀ q_t / (z_tᵀ q_t + 1e-6), z_t = exp(A_t) ⊙ z_{t−1} + k_t (spec §1, §1.5 step 6).
 */
export function glaRecurrent64(d: GlaDims, x: GlaInputs64): GlaResult64 {
  const { B, T, Hq, Hkv, dk, dv } = d;
  const groups = Hq / Hkv;
  const o = new Float64Array(B * T * Hq * dv);
  const state = x.state ? Float64Array.from(x.state) : new Float64Array(B * Hkv * dk * dv);
  const zState = x.zState ? Float64Array.from(x.zState) : new Float64Array(B * Hkv * dk);
  const ea = new Float64Array(dk);
  const ed = new Float64Array(dv);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hkv; h++) {
      const S = state.subarray((b * Hkv + h) * dk * dv, (b * Hkv + h + 1) * dk * dv);
      const z = zState.subarray((b * Hkv + h) * dk, (b * Hkv + h + 1) * dk);
      for (let t = 0; t < T; t++) {
        const kr = ((b * T + t) * Hkv + h) * dk;
        const vr = ((b * T + t) * Hkv + h) * dv;
        for (let i = 0; i < dk; i++) ea[i] = x.A ? Math.exp(x.A[kr + i] as number) : 1;
        for (let j = 0; j < dv; j++) ed[j] = x.D ? Math.exp(x.D[vr + j] as number) : 1;
        for (let i = 0; i < dk; i++) {
          const ki = x.k[kr + i] as number;
          for (let j = 0; j < dv; j++) {
            S[i * dv + j] = (ea[i] as number) * (ed[j] as number) * (S[i * dv + j] as number) + ki * (x.v[vr + j] as number);
          }
          z[i] = (ea[i] as number) * (z[i] as number) + ki;
        }
        if (x.stateNorms) {
          let sq = 0;
          for (let e = 0; e < dk * dv; e++) sq += (S[e] as number) * (S[e] as number);
          x.stateNorms[(b * T + t) * Hkv + h] = Math.sqrt(sq);
        }
        for (let g = 0; g < groups; g++) {
          const hq = h * groups + g;
          const qr = ((b * T + t) * Hq + hq) * dk;
          const orow = ((b * T + t) * Hq + hq) * dv;
          let den = 0;
          for (let i = 0; i < dk; i++) den += (z[i] as number) * (x.q[qr + i] as number);
          for (let j = 0; j < dv; j++) {
            let s = 0;
            for (let i = 0; i < dk; i++) s += (S[i * dv + j] as number) * (x.q[qr + i] as number);
            o[orow + j] = x.denominator ? s / (den + DENOM_EPS) : x.scale * s;
          }
        }
      }
    }
  }
  return { o, state, zState };
}

/**
 * The chunkwise parallel form of spec §3.2 / §3.4, in float64, structured as the GPU kernels are:
 * per chunk of C tokens the cumulative gates G, GD restart at 0; the state entering each chunk is
 * passed on with S ← exp(G_last)exp(GD_last)ᵀ ⊙ S + (K ⊙ exp(G_last − G))ᵀ (V ⊙ exp(GD_last − GD));
 * the output is O = s(Q ⊙ exp(G)) S_n ⊙ exp(GD) + Σ_{u ≤ t} P[t, u] (V[u] ⊙ exp(GD_t − GD_u)) with
 * P built from sub-chunks of 16: off-diagonal blocks anchored at the query sub-chunk's first row n,
 * (Q ⊙ exp(G − G_n))(K ⊙ exp(G_n − G))ᵀ, and diagonal blocks pairwise. Every exponent is ≤ 0.
 */
export function glaChunk64(d: GlaDims, x: GlaInputs64, C: number): GlaResult64 {
  const { B, T, Hq, Hkv, dk, dv } = d;
  const groups = Hq / Hkv;
  const SUB = 16;
  const s = x.denominator ? 1 : x.scale;
  const o = new Float64Array(B * T * Hq * dv);
  const state = x.state ? Float64Array.from(x.state) : new Float64Array(B * Hkv * dk * dv);
  const zState = x.zState ? Float64Array.from(x.zState) : new Float64Array(B * Hkv * dk);
  const N = Math.ceil(T / C);
  const G = new Float64Array(C * dk);
  const GD = new Float64Array(C * dv);
  const P = new Float64Array(C * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hkv; h++) {
      const S = state.subarray((b * Hkv + h) * dk * dv, (b * Hkv + h + 1) * dk * dv);
      const z = zState.subarray((b * Hkv + h) * dk, (b * Hkv + h + 1) * dk);
      const kAt = (t: number, i: number): number => x.k[((b * T + t) * Hkv + h) * dk + i] as number;
      const vAt = (t: number, j: number): number => x.v[((b * T + t) * Hkv + h) * dv + j] as number;
      for (let n = 0; n < N; n++) {
        const t0 = n * C;
        const L = Math.min(C, T - t0); // valid rows; the last chunk may be partial
        // chunk-local inclusive cumulative sums
        for (let i = 0; i < dk; i++) {
          let acc = 0;
          for (let r = 0; r < L; r++) {
            acc += x.A ? (x.A[((b * T + t0 + r) * Hkv + h) * dk + i] as number) : 0;
            G[r * dk + i] = acc;
          }
        }
        for (let j = 0; j < dv; j++) {
          let acc = 0;
          for (let r = 0; r < L; r++) {
            acc += x.D ? (x.D[((b * T + t0 + r) * Hkv + h) * dv + j] as number) : 0;
            GD[r * dv + j] = acc;
          }
        }
        const gl = (i: number): number => G[(L - 1) * dk + i] as number;
        const gdl = (j: number): number => GD[(L - 1) * dv + j] as number;
        // outputs of every query head of the group, reading S_n (the state entering this chunk)
        for (let g = 0; g < groups; g++) {
          const hq = h * groups + g;
          const qAt = (t: number, i: number): number => x.q[((b * T + t) * Hq + hq) * dk + i] as number;
          P.fill(0);
          for (let r = 0; r < L; r++) {
            const sub = Math.floor(r / SUB);
            const an = sub * SUB; // anchor: first row of the query sub-chunk
            for (let u = 0; u <= r; u++) {
              let p = 0;
              if (u < an) {
                for (let i = 0; i < dk; i++) {
                  const qt = qAt(t0 + r, i) * Math.exp((G[r * dk + i] as number) - (G[an * dk + i] as number));
                  const kt = kAt(t0 + u, i) * Math.exp((G[an * dk + i] as number) - (G[u * dk + i] as number));
                  p += qt * kt;
                }
              } else {
                for (let i = 0; i < dk; i++) {
                  p += qAt(t0 + r, i) * kAt(t0 + u, i) * Math.exp((G[r * dk + i] as number) - (G[u * dk + i] as number));
                }
              }
              P[r * C + u] = s * p;
            }
          }
          for (let r = 0; r < L; r++) {
            const orow = ((b * T + t0 + r) * Hq + hq) * dv;
            let den = 0;
            if (x.denominator) {
              for (let i = 0; i < dk; i++) den += s * qAt(t0 + r, i) * Math.exp(G[r * dk + i] as number) * (z[i] as number);
              for (let u = 0; u <= r; u++) den += P[r * C + u] as number;
            }
            for (let j = 0; j < dv; j++) {
              let inter = 0;
              for (let i = 0; i < dk; i++) inter += qAt(t0 + r, i) * Math.exp(G[r * dk + i] as number) * (S[i * dv + j] as number);
              let acc = s * inter * Math.exp(GD[r * dv + j] as number);
              for (let u = 0; u <= r; u++) {
                acc += (P[r * C + u] as number) * vAt(t0 + u, j) * Math.exp((GD[r * dv + j] as number) - (GD[u * dv + j] as number));
              }
              o[orow + j] = x.denominator ? acc / (den + DENOM_EPS) : acc;
            }
          }
        }
        // state passing into chunk n + 1
        for (let i = 0; i < dk; i++) {
          const ei = Math.exp(gl(i));
          for (let j = 0; j < dv; j++) {
            let acc = ei * Math.exp(gdl(j)) * (S[i * dv + j] as number);
            for (let r = 0; r < L; r++) {
              acc += kAt(t0 + r, i) * Math.exp(gl(i) - (G[r * dk + i] as number)) * vAt(t0 + r, j) * Math.exp(gdl(j) - (GD[r * dv + j] as number));
            }
            S[i * dv + j] = acc;
          }
          let zz = ei * (z[i] as number);
          for (let r = 0; r < L; r++) zz += kAt(t0 + r, i) * Math.exp(gl(i) - (G[r * dk + i] as number));
          z[i] = zz;
        }
      }
    }
  }
  return { o, state, zState };
}

/**
 * The exp_norm layer straight from its definition (spec §1.1), with no folding: φ(q_t)_i =
 * exp(q_{t,i} − max_j q_{t,j}), the causal running key max M_t (continuing from mPrev), and
 * o_t = s Σ_{u ≤ t} Σ_i φ(q_t)_i (Π_{w=u+1..t} α_{w,i}) exp(k_{u,i} − M_t) v_u.
 * Inputs are raw q, k (before any map) and the key-side log gate A (absent = no gate), B = 1 layouts
 * [T, Hq, dk], [T, Hkv, dk], [T, Hkv, dv]. O(T² dk dv): for small tests only.
 */
export function expNormDirect64(
  d: Omit<GlaDims, 'B'>,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  A: ArrayLike<number> | undefined,
  scale: number,
  mPrev?: ArrayLike<number>,
): Float64Array {
  const { T, Hq, Hkv, dk, dv } = d;
  const groups = Hq / Hkv;
  const o = new Float64Array(T * Hq * dv);
  for (let hq = 0; hq < Hq; hq++) {
    const h = Math.floor(hq / groups);
    let M = mPrev ? (mPrev[h] as number) : -Infinity;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < dk; i++) M = Math.max(M, k[(t * Hkv + h) * dk + i] as number);
      let qm = -Infinity;
      for (let i = 0; i < dk; i++) qm = Math.max(qm, q[(t * Hq + hq) * dk + i] as number);
      const phiQ = new Float64Array(dk);
      for (let i = 0; i < dk; i++) phiQ[i] = Math.exp((q[(t * Hq + hq) * dk + i] as number) - qm);
      const logDecay = new Float64Array(dk); // Σ_{w=u+1..t} log α_w, grown as u walks back from t
      for (let u = t; u >= 0; u--) {
        let w = 0;
        for (let i = 0; i < dk; i++) {
          w += (phiQ[i] as number) * Math.exp((logDecay[i] as number) + (k[(u * Hkv + h) * dk + i] as number) - M);
        }
        const orow = (t * Hq + hq) * dv;
        for (let j = 0; j < dv; j++) o[orow + j] = (o[orow + j] as number) + scale * w * (v[(u * Hkv + h) * dv + j] as number);
        if (A) for (let i = 0; i < dk; i++) logDecay[i] = (logDecay[i] as number) + (A[(u * Hkv + h) * dk + i] as number);
      }
    }
  }
  return o;
}
