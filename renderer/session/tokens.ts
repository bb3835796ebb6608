// Per-token views of a sequence: the text each token adds (decoding in context, so byte-level BPE
// pieces that split a UTF-8 character still come out right), and the model's log-probability of
// each token, the entropy of its prediction and the top alternatives, from [T, vocab] logits.

/** Pieces of a growing token list: push() decodes the whole prefix once and returns what it adds. */
export class PieceStream {
  private readonly ids: number[] = [];
  private emitted = '';
  constructor(private readonly decode: (ids: number[]) => string) {}

  /** The text `id` adds; '' while it ends inside a UTF-8 character (the next piece carries it). */
  push(id: number): string {
    this.ids.push(id);
    const full = this.decode(this.ids).replace(/\uFFFD+$/, '');
    if (!full.startsWith(this.emitted)) return '';
    const add = full.slice(this.emitted.length);
    this.emitted = full;
    return add;
  }
}

/** The text each token adds to the decoded prefix. */
export function tokenPieces(ids: readonly number[], decode: (ids: number[]) => string): string[] {
  const s = new PieceStream(decode);
  return ids.map((id) => s.push(id));
}

export interface TokenStat {
  logprob: number | null;
  entropy: number | null;
  top: Array<{ id: number; text: string; p: number }>;
}

/**
 * Row t of `logits` predicts token t + 1: position 0 gets nulls; position p gets log softmax of
 * row p − 1 at ids[p], that row's entropy (nats) and its `k` most likely ids.
 */
export function tokenStats(logits: Float32Array, T: number, V: number, ids: readonly number[], text: (id: number) => string, k = 3): TokenStat[] {
  const out: TokenStat[] = [{ logprob: null, entropy: null, top: [] }];
  for (let p = 1; p < T; p++) out.push(tokenStat(logits, V, ids, p, text, k));
  return out;
}

/** tokenStats in slices of at most ~`sliceMs`, yielding to the event loop between them (no long task). */
export async function tokenStatsSliced(logits: Float32Array, T: number, V: number, ids: readonly number[], text: (id: number) => string, k = 3, sliceMs = 8): Promise<TokenStat[]> {
  const out: TokenStat[] = [{ logprob: null, entropy: null, top: [] }];
  await sliced(1, T, (p) => out.push(tokenStat(logits, V, ids, p, text, k)), sliceMs);
  return out;
}

/** Calls fn(i) for i in [lo, hi), yielding to the event loop whenever a slice has run `sliceMs`. */
export async function sliced(lo: number, hi: number, fn: (i: number) => void, sliceMs = 8): Promise<void> {
  let t0 = performance.now();
  for (let i = lo; i < hi; i++) {
    fn(i);
    if (performance.now() - t0 >= sliceMs) {
      await new Promise<void>((r) => setTimeout(r, 0));
      t0 = performance.now();
    }
  }
}

function tokenStat(logits: Float32Array, V: number, ids: readonly number[], p: number, text: (id: number) => string, k: number): TokenStat {
  const row = logits.subarray((p - 1) * V, p * V);
  let max = -Infinity;
  for (let j = 0; j < V; j++) max = Math.max(max, row[j] as number);
  let z = 0;
  for (let j = 0; j < V; j++) z += Math.exp((row[j] as number) - max);
  const logZ = max + Math.log(z);
  let h = 0;
  for (let j = 0; j < V; j++) {
    const lp = (row[j] as number) - logZ;
    h -= Math.exp(lp) * lp;
  }
  const best: number[] = [];
  for (let j = 0; j < V; j++) {
    if (best.length < k || (row[j] as number) > (row[best[best.length - 1] as number] as number)) {
      best.push(j);
      best.sort((a, b) => (row[b] as number) - (row[a] as number));
      if (best.length > k) best.pop();
    }
  }
  return {
    logprob: (row[ids[p] as number] as number) - logZ,
    entropy: h,
    top: best.map((j) => ({ id: j, text: text(j), p: Math.exp((row[j] as number) - logZ) })),
  };
}
