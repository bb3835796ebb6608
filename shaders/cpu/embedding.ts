// Float64 twin of the embedding lookup (kernels/embedding.wgsl): ids ≥ V give zero rows.

export function embedding64(ids: ArrayLike<number>, table: ArrayLike<number>, V: number, H: number): Float64Array {
  const y = new Float64Array(ids.length * H);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t] as number;
    if (id >= V) continue;
    for (let i = 0; i < H; i++) y[t * H + i] = table[id * H + i] as number;
  }
  return y;
}
