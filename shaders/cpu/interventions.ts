// Float64 twins of the interventions' edits (kernels/interventions.wgsl), in place.

/** x = min(max(x, lo), hi), in place. */
export function clamp64(x: Float64Array, lo: number, hi: number): Float64Array {
  for (let e = 0; e < x.length; e++) x[e] = Math.min(hi, Math.max(lo, x[e] as number));
  return x;
}

/** x[r · width + col0 + j] *= s for every row r and j < cols, in place. */
export function scaleColumns64(x: Float64Array, width: number, col0: number, cols: number, s: number): Float64Array {
  for (let r = 0; r < x.length / width; r++) {
    for (let j = 0; j < cols; j++) x[r * width + col0 + j] = s * (x[r * width + col0 + j] as number);
  }
  return x;
}
