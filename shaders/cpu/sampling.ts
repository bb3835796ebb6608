// Float64 twin of GPU sampling (kernels/sampling.wgsl, whose header states the semantics): the
// same keys, the same 33.31 fixed-point masses (from float64 exp instead of f32 exp2), the same
// integer thresholds and the identical draw, so GPU and twin agree whenever no decision lies
// within float rounding of a boundary; sampleDetail64 reports how far the closest one is.

/** Top-p as the kernel receives it: round(p * 2^32), clamped to u32. */
export function topPFixed(topP: number): number {
  if (!(topP > 0)) return 0;
  return Math.min(2 ** 32 - 1, Math.round(topP * 2 ** 32));
}

/** log2(e) / temperature as the kernel receives it (f32, at most 1e30). */
export function massScale(temperature: number): number {
  return Math.fround(Math.min(Math.LOG2E / temperature, 1e30));
}

export interface SampleOptions64 {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  step: number;
}

export interface SampleDetail64 {
  token: number;
  /** The uniform draw in [0, 1). */
  u: number;
  /** Tokens kept after top-k and top-p (all tokens when neither applies). */
  kept: number;
  /** The smallest kept logit (the threshold), or -Infinity when nothing is filtered. */
  threshold: number;
  /**
   * The closest decision boundary, relative to the masses compared there (Infinity when greedy):
   * top-p's target against the cumulative masses on either side of the threshold, and the draw's
   * target against the chosen token's cumulative interval.
   */
  margin: number;
}

/** PCG hash (O'Neill's pcg32 output on one LCG step), as in the kernel. */
export function pcgHash(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** The draw's u32: x = pcg(pcg(seed) ^ pcg(step + 0x9e3779b9)); u = x / 2^32. */
export function drawBits(seed: number, step: number): number {
  return pcgHash((pcgHash(seed >>> 0) ^ pcgHash(((step >>> 0) + 0x9e3779b9) >>> 0)) >>> 0);
}

const F32_MAX = 3.4028234663852886e38;
const clamp = (z: number): number => Math.min(Math.max(z, -F32_MAX), F32_MAX);
/** NaN sorts below every number; -0 equals +0. */
const greater = (a: number, b: number): boolean => (Number.isNaN(b) ? !Number.isNaN(a) : a > b);

export function sample64(logits: ArrayLike<number>, o: SampleOptions64): number {
  return sampleDetail64(logits, o).token;
}

export function sampleDetail64(logits: ArrayLike<number>, o: SampleOptions64): SampleDetail64 {
  const V = logits.length;
  const z = Float64Array.from({ length: V }, (_, i) => Math.fround(logits[i] as number));
  let arg = 0;
  for (let i = 1; i < V; i++) if (greater(z[i] as number, z[arg] as number)) arg = i;
  const x = drawBits(o.seed, o.step);
  const u = x / 2 ** 32;
  if (!(o.temperature > 0)) return { token: arg, u, kept: 1, threshold: z[arg] as number, margin: Infinity };

  const M = clamp(z[arg] as number);
  const s = massScale(o.temperature);
  const W = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const zi = z[i] as number;
    W[i] = Number.isNaN(zi) ? 0 : Math.floor(Math.min(1, 2 ** ((clamp(zi) - M) * s)) * 2 ** 31);
  }
  // ids by logit, descending (NaN last); ties in id order
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => {
    const za = z[a] as number;
    const zb = z[b] as number;
    if (greater(za, zb)) return -1;
    if (greater(zb, za)) return 1;
    return a - b;
  });
  const k = Math.floor(o.topK);
  let threshold = -Infinity; // keep z >= threshold (NaN never passes, mass 0 anyway)
  let margin = Infinity;
  if (k > 0 && k < V) threshold = z[order[k - 1] as number] as number;
  if (o.topP < 1) {
    let Zk = 0n;
    for (let i = 0; i < V; i++) if (!((z[i] as number) < threshold)) Zk += BigInt(W[i] as number);
    const target = (BigInt(topPFixed(o.topP)) * Zk) >> 32n;
    // walk distinct values from the top: the first whose inclusive mass reaches target
    let cum = 0n;
    for (let j = 0; j < V; ) {
      const v = z[order[j] as number] as number;
      if (v < threshold || Number.isNaN(v)) break;
      const before = cum;
      while (j < V && (z[order[j] as number] as number) === v) cum += BigInt(W[order[j++] as number] as number);
      if (cum >= target) {
        const scaleZ = Number(Zk) || 1;
        margin = Math.min(margin, Number(target - before) / scaleZ, Number(cum - target) / scaleZ);
        threshold = v;
        break;
      }
    }
  }
  const keep = (i: number): boolean => !((z[i] as number) < threshold) && !Number.isNaN(z[i] as number);
  let Z = 0n;
  let kept = 0;
  for (let i = 0; i < V; i++) {
    if (keep(i)) {
      Z += BigInt(W[i] as number);
      kept++;
    }
  }
  const target = (BigInt(x) * Z) >> 32n;
  let cum = 0n;
  let token = arg;
  for (let i = 0; i < V; i++) {
    if (!keep(i)) continue;
    const before = cum;
    cum += BigInt(W[i] as number);
    if (cum > target) {
      token = i;
      const scaleZ = Number(Z) || 1;
      margin = Math.min(margin, Number(target - before) / scaleZ, Number(cum - target) / scaleZ);
      break;
    }
  }
  return { token, u, kept, threshold, margin };
}

/** −log softmax(row)[target] in float64, for the row of V logits starting at `off`. */
export function rowNll64(logits: ArrayLike<number>, off: number, V: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < V; j++) max = Math.max(max, logits[off + j] as number);
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp((logits[off + j] as number) - max);
  return max + Math.log(sum) - (logits[off + target] as number);
}
