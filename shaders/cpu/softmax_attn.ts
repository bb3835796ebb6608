// Float64 twin of causal softmax attention over a KV cache (kernels/softmax_attn.wgsl): plain
// softmax with the max subtracted, grouped heads (query head i reads kv head floor(i / G)).

export interface SoftmaxAttention64Args {
  q: ArrayLike<number>; // [T, Hq, hd]
  kCache: ArrayLike<number>; // [Tmax, Hkv, hd] (rows 0 .. pos0 + T - 1 used)
  vCache: ArrayLike<number>; // [Tmax, Hkv, hd]
  T: number;
  Hq: number;
  Hkv: number;
  hd: number;
  pos0: number;
  /** Default hd^-1/2. */
  scale?: number;
}

/** Returns o [T, Hq, hd]: query t (position pos0 + t) attends to cached positions 0 .. pos0 + t. */
export function softmaxAttention64(a: SoftmaxAttention64Args): Float64Array {
  const { T, Hq, Hkv, hd, pos0 } = a;
  const G = Hq / Hkv;
  const scale = a.scale ?? 1 / Math.sqrt(hd);
  const o = new Float64Array(T * Hq * hd);
  const s = new Float64Array(pos0 + T);
  for (let t = 0; t < T; t++) {
    const n = pos0 + t + 1;
    for (let h = 0; h < Hq; h++) {
      const kh = Math.floor(h / G);
      const qb = (t * Hq + h) * hd;
      let mx = -Infinity;
      for (let j = 0; j < n; j++) {
        const kb = (j * Hkv + kh) * hd;
        let d = 0;
        for (let i = 0; i < hd; i++) d += (a.q[qb + i] as number) * (a.kCache[kb + i] as number);
        s[j] = d * scale;
        mx = Math.max(mx, d * scale);
      }
      let l = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp((s[j] as number) - mx);
        s[j] = e;
        l += e;
      }
      for (let j = 0; j < n; j++) {
        const w = (s[j] as number) / l;
        const vb = (j * Hkv + kh) * hd;
        for (let i = 0; i < hd; i++) o[qb + i] = (o[qb + i] as number) + w * (a.vCache[vb + i] as number);
      }
    }
  }
  return o;
}
