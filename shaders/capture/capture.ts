// Capture (spec §3.5): a Tap that, per observed tensor, enqueues the capture reductions (histograms,
// saturation counts, per-head means, gate-gradient proxies, state norms, and per token: ‖S_t‖, ‖o_t‖,
// φ entropy, logits top-k; per channel: mean α) into tensors it owns, and collect() which returns them
// as plain records. When their bytes come back is `readback`:
//   'submit' (default): every submit of the context (the forward submits each layer at T > 1) ends
//     with a copy of the outputs enqueued so far into a staging buffer from the context's shared pool;
//     once submitted it is mapped and those records are built as soon as the map resolves, while the
//     GPU runs later layers; collect() then only finishes the last group. Fastest on the H200 (bench
//     `targets`, 12 layers, T=2048) once the staging buffers were shared across captures.
//   'logits': when a forward taps its logits (its last point), everything enqueued so far is copied
//     into one buffer and its read-back submitted right behind the forward, ahead of the session's
//     own logits read; all records are built when the GPU has finished.
//   'collect': collect() copies and reads everything in one transfer (a round trip after the GPU idles).
// Same records, bit for bit, in every mode. The model's own tensors are only read, never written.
// The reductions of one layer (one site) are planned at their taps and run as one dispatch at the
// layer's end (before the context's next submit; reduce.ts dispatchFused).
// Quantities that are off cost nothing.

import type { GpuContext } from '../gpu/context.js';
import type { StagingBuffer } from '../gpu/staging.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Tap, TapPoint, TapSite } from '../model/model.js';
import { ShapeError } from '../errors.js';
import { alphaThreshold, logitThreshold, type HistogramSpec, type ThresholdPair } from './edges.js';
import { blockSums64, dispatchFused, finishSums, fusedReduce, logitsTopK, MAX_TOP_K, planFused, stateLayout, tokenStateNorms, type FusedArgs, type FusedJob, type FusedLayout, type HeadLayout, type RowRange } from './reduce.js';

/**
 * 'gate' | 'phi' | 'output' | 'logits': histograms, saturation, means (and gate-gradient proxies) of
 * the tapped tensors; 'state': ‖S_T‖ after the block. Per token: 'tokenState' ‖S_t‖ per kv head
 * (replayed from the state entering the block), 'tokenNorm' ‖o_t‖ per head before the output norm and
 * per token after it, 'phiStats' φ sparsity and entropy, 'topk' the logits' top k. 'channels': mean α
 * and effective memory length per (head, channel) of gate.logA and gate.logD.
 */
export type Quantity = 'gate' | 'phi' | 'state' | 'output' | 'logits' | 'tokenState' | 'tokenNorm' | 'phiStats' | 'topk' | 'channels';

/**
 * Every quantity except 'tokenState': the token-serial ‖S_t‖ replay stays opt-in until its cost is
 * measured. What tools turn on when the user names no quantities.
 */
export const DEFAULT_QUANTITIES: readonly Quantity[] = ['gate', 'phi', 'state', 'output', 'logits', 'tokenNorm', 'phiStats', 'topk', 'channels'];

export interface Range {
  lo: number;
  hi: number;
}

export interface CaptureOptions {
  /**
   * Quantities to reduce; nothing else is enqueued. DEFAULT_QUANTITIES is every one except
   * 'tokenState' (the token-serial ‖S_t‖ replay, opt-in until its cost is measured).
   */
  quantities: readonly Quantity[];
  /** Layers to observe (default all); the logits (site layer = numLayers) are kept regardless. */
  layers?: readonly number[];
  /** Histogram bins (default 64, at most 256). */
  bins?: number;
  /** Saturation thresholds: α < eps / α > 1 − eps (default [1e-3, 1e-2]); |logit| > t (default [6]). */
  thresholds?: { eps: readonly number[]; logit: readonly number[] };
  /** α histograms linear over [0, 1] (default) or by logit(α) over ranges.alphaLogit. */
  gateScale?: 'linear' | 'logit';
  /** Histogram ranges; defaults: alphaLogit [−8, 8], logit [−8, 8], phi [0, 1], output [−4, 4], logits [−20, 20]. */
  ranges?: Partial<Record<'alphaLogit' | 'logit' | 'phi' | 'output' | 'logits', Range>>;
  /**
   * Absolute token positions [lo, hi): every reduction counts only these tokens; blocks outside the
   * range are not reduced at all (default: every token).
   */
  tokens?: Range;
  /** Heads kept in the records' per-head arrays (kv or query heads, as the point has them); default all. */
  heads?: readonly number[];
  /** 'topk': k (default 5, at most 32). */
  topk?: number;
  /** 'phiStats': entries ≤ this count as zero (default 1e-6). */
  phiZero?: number;
  /**
   * When the records' bytes are read back (see the header): at every submit of the context (default),
   * at each forward's logits, or at collect(). Same records in every mode.
   */
  readback?: Readback;
  /**
   * readback 'submit': bytes of staging buffers in flight at most (default 64 MiB). A group that does
   * not fit waits for a later submit (joined with the next) or for collect(), which reads it in one transfer.
   */
  stagingBytes?: number;
}

export type Readback = 'logits' | 'collect' | 'submit';

export interface HistogramRecord {
  lo: number;
  hi: number;
  scale: 'linear' | 'logit';
  value: 'identity' | 'exp';
  /** [head][bin]. */
  counts: number[][];
  /** Per head: below lo, above hi, NaN. */
  under: number[];
  over: number[];
  nan: number[];
}

export interface SaturationRecord {
  /** 'alpha': low = #(α < eps), high = #(α > 1 − eps); 'logit': low = #(x < −t), high = #(x > t). */
  kind: 'alpha' | 'logit';
  threshold: number;
  /** Per head. */
  low: number[];
  high: number[];
  /** Elements per head. */
  count: number;
}

export interface MeansRecord {
  /** Elements per head. */
  count: number;
  /** Per head mean and mean square of the value (α for log-gate points). */
  mean: number[];
  meanSq: number[];
  /** Log-gate points: effective memory length 1 / (1 − mean α) per head. */
  memoryLength?: number[];
  /** gate.a: mean g(1 − g), g = σ(a); with a refining gate, mean dF/dg = 2(1 − r)g + 2r(1 − g). */
  gOneMinusG?: number[];
  dFdg?: number[];
}

export interface TopKRecord {
  k: number;
  /** [token][k]: vocabulary ids, best first (ties: smaller id first; 0xffffffff pads a row of NaNs). */
  ids: TokenMatrix<Uint32Array>;
  /** [token][k]: the logits (f32 values). */
  values: TokenMatrix;
}

export interface CaptureRecord {
  layer: number;
  point: TapPoint;
  pos0: number;
  T: number;
  /** Absolute positions [lo, hi) the reductions counted; per-token arrays have one row per position. */
  tokens?: Range;
  /** With CaptureOptions.heads: the head ids of the per-head arrays' entries. */
  heads?: number[];
  histogram?: HistogramRecord;
  saturation?: SaturationRecord[];
  means?: MeansRecord;
  /** 'state': Frobenius norm per kv head after the block; 'state.in': of the state entering it. */
  stateNorm?: number[];
  /** 'state.in' ('tokenState'): ‖S_t‖_F [token][kv head], S_t after token t (its own k_t v_tᵀ included). */
  tokenStateNorm?: TokenMatrix;
  /** 'attn.o': ‖o_t‖ [token][head] before the output norm; 'attn.y': [token][1] after norm and gate. */
  tokenNorm?: TokenMatrix;
  /** 'phi.q' | 'phi.k' ('phiStats'): per head, #(φ ≤ phiZero) and its share of the head's entries. */
  phiZeros?: number[];
  phiSparsity?: number[];
  /** Per head: mean over tokens of the entropy of p = max(φ, 0) / Σ max(φ, 0) (nats). */
  phiEntropy?: number[];
  /** [token][head]: that entropy per token. */
  tokenEntropy?: TokenMatrix;
  /** 'logits' ('topk'). */
  topk?: TopKRecord;
  /** 'gate.logA' | 'gate.logD' ('channels'): mean α [head][channel] and 1 / (1 − mean α). */
  channelMeanAlpha?: number[][];
  channelMemoryLength?: number[][];
}

const POINT_QUANTITIES: Partial<Record<TapPoint, readonly Quantity[]>> = {
  'gate.a': ['gate'],
  'gate.c': ['gate'],
  'gate.b': ['gate'],
  'gate.logA': ['gate', 'channels'],
  'gate.logD': ['gate', 'channels'],
  'phi.q': ['phi', 'phiStats'],
  'phi.k': ['phi', 'phiStats'],
  'attn.o': ['output', 'tokenNorm'],
  'attn.y': ['output', 'tokenNorm'],
  state: ['state'],
  'state.in': ['tokenState'],
  logits: ['logits', 'topk'],
};

/** The inputs of the ‖S_t‖ replay, held (not copied) from their taps until 'state.in' of the same layer. */
interface ReplayInputs {
  layer: number;
  pos0: number;
  A?: Tensor;
  D?: Tensor;
  k?: Tensor;
  v?: Tensor;
}

interface Pending {
  site: TapSite;
  point: TapPoint;
  heads: number;
  /** Per-head axis is real (false for [T, features] rows read as one head). */
  perHead: boolean;
  count: number;
  /** Rows (tokens) counted and their absolute positions. */
  rows: number;
  span: Range;
  /** The point's one fused reduction pass (kernels/capture.wgsl): its output and section layout. */
  fused?: { t: Tensor; layout: FusedLayout };
  hist?: HistogramSpec;
  sat?: Array<{ kind: 'alpha' | 'logit'; threshold: number }>;
  /** Moments of α = exp(log α) (memory length too). */
  alpha?: boolean;
  /** 'state' | 'state.in': the moments are the state norm's Σ S². */
  norm?: boolean;
  /** gate.a: the refining gate's pass (gate.c), whose proxies hold Σ dF/dg. */
  dFdg?: { t: Tensor; layout: FusedLayout };
  tokenState?: Tensor;
  topk?: { ids: Tensor; values: Tensor; k: number };
}

/** n numbers of a typed view from `start` as a plain array (a loop: Array.from is several times slower on long views). */
function numbersOf(v: Float32Array | Uint32Array, start: number, n: number): number[] {
  const out = new Array<number>(n); // preallocated: ~3× faster than pushing (every histogram row of a collect)
  for (let i = 0; i < n; i++) out[i] = v[start + i] as number;
  return out;
}

/**
 * Per-token values [rows][cols] in one row-major typed array (a copy, not a view of the readback):
 * cheap to collect at any T, ready for plots; JSON.stringify writes nested rows.
 */
const HEADS: number[][] = [];

/** [0, 1, …, H − 1] (shared; never mutated). */
function allHeads(H: number): readonly number[] {
  let h = HEADS[H];
  if (!h) {
    h = Array.from({ length: H }, (_, i) => i);
    HEADS[H] = h;
  }
  return h;
}

/** Words of a capture arena at most (64 MiB); a pass that needs more gets an arena of its own size. */
const ARENA_MAX_WORDS = 16 << 20;

/** Bytes of staging buffers one Capture keeps at most (readback 'submit'; CaptureOptions.stagingBytes). */
const STAGING_MAX_BYTES = 64 << 20;

/** One group's records, or why it has none. */
interface Built {
  records: CaptureRecord[];
  error?: unknown;
}

export class TokenMatrix<A extends Float32Array | Uint32Array = Float32Array> {
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly data: A,
  ) {}

  /** rows × cols of `v` from `start`, keeping only the columns in `keep` when given. */
  static of<A extends Float32Array | Uint32Array>(v: A, start: number, rows: number, cols: number, keep: readonly number[] | null = null): TokenMatrix<A> {
    if (!keep) return new TokenMatrix(rows, cols, v.slice(start, start + rows * cols) as A);
    const out = (v instanceof Float32Array ? new Float32Array(rows * keep.length) : new Uint32Array(rows * keep.length)) as A;
    for (let r = 0; r < rows; r++) for (let i = 0; i < keep.length; i++) out[r * keep.length + i] = v[start + r * cols + (keep[i] as number)] as number;
    return new TokenMatrix(rows, keep.length, out);
  }

  at(row: number, col: number): number {
    return this.data[row * this.cols + col] as number;
  }

  row(r: number): A {
    return this.data.subarray(r * this.cols, (r + 1) * this.cols) as A;
  }

  toJSON(): number[][] {
    const out: number[][] = [];
    for (let r = 0; r < this.rows; r++) out.push(Array.from(this.row(r)));
    return out;
  }
}

export class Capture {
  private readonly quantities: ReadonlySet<Quantity>;
  private readonly layers: ReadonlySet<number> | null;
  private readonly bins: number;
  private readonly eps: readonly number[];
  private readonly logitT: readonly number[];
  private readonly gateScale: 'linear' | 'logit';
  private readonly ranges: Required<NonNullable<CaptureOptions['ranges']>>;
  private readonly tokens: Range | null;
  private readonly headFilter: readonly number[] | null;
  private readonly topk: number;
  private readonly phiZero: number;
  private pending: Pending[] = [];
  /**
   * gate.a (by reference: the forward keeps it alive) until gate.c of the same layer arrives, for the
   * refined gate's proxies; then forgotten (its Σ g(1 − g) came from its own pass, Σ dF/dg from gate.c's).
   */
  private heldA: { record: Pending; a: Tensor } | null = null;
  private replay: ReplayInputs | null = null;
  /**
   * The fused passes of one site (a layer of one forward) planned and not yet dispatched: they run as
   * one dispatch (reduce.ts dispatchFused) when a tap of another site arrives, at the logits, before
   * the context's next submit (onFlush: the site's tensors are released only after it) or a read.
   */
  private jobs: FusedJob[] = [];
  private jobsSite: TapSite | null = null;
  private disposed = false;
  private readonly readback: Readback;
  /** readback 'submit': bytes of this capture's read-backs in flight at most, and now. */
  private readonly stagingCap: number;
  private stagingInFlight = 0;
  private readonly unsubscribe: () => void;
  /** Groups whose read-back is under way ('logits', 'submit'), in tap order; each settles with its records or an error. */
  private groups: Array<Promise<Built>> = [];
  /**
   * The fused passes' outputs of the records not yet read back, packed into arenas: one tensor cleared
   * once (a clearBuffer), then handed out word range by word range (no per-pass clearing write, one
   * copy per arena at read-back). `arena` takes the next pass; `arenaWords` holds every open arena's
   * words in use; an arena is released with the records it holds.
   */
  private arena: Tensor | null = null;
  private readonly arenaWords = new Map<Tensor, number>();
  /**
   * Words of the next arena: at least 16 Ki, the largest group read back so far (one layer's passes
   * with readback 'submit'), doubled each time an arena fills up before its group is read back.
   */
  private arenaSize = 1 << 14;
  private readonly alloc = (words: number): { t: Tensor; at: number } => {
    let t = this.arena;
    let at = t ? (this.arenaWords.get(t) as number) : 0;
    if (!t || at + words > t.size) {
      if (t) this.arenaSize = Math.min(2 * this.arenaSize, ARENA_MAX_WORDS);
      t = this.ctx.tensor([Math.max(words, this.arenaSize)], 'u32', 'capture.arena');
      this.ctx.zero(t);
      this.arena = t;
      at = 0;
    }
    this.arenaWords.set(t, at + words);
    return { t, at };
  };

  constructor(
    private readonly ctx: GpuContext,
    o: CaptureOptions,
  ) {
    this.quantities = new Set(o.quantities);
    this.layers = o.layers ? new Set(o.layers) : null;
    this.bins = o.bins ?? 64;
    this.eps = o.thresholds?.eps ?? [1e-3, 1e-2];
    this.logitT = o.thresholds?.logit ?? [6];
    if (this.eps.length > 8 || this.logitT.length > 8) throw new ShapeError('capture.thresholds', 'at most 8 thresholds of each kind');
    this.gateScale = o.gateScale ?? 'linear';
    this.ranges = {
      alphaLogit: { lo: -8, hi: 8 },
      logit: { lo: -8, hi: 8 },
      phi: { lo: 0, hi: 1 },
      output: { lo: -4, hi: 4 },
      logits: { lo: -20, hi: 20 },
      ...o.ranges,
    };
    if (o.tokens && !(Number.isInteger(o.tokens.lo) && Number.isInteger(o.tokens.hi) && o.tokens.lo >= 0 && o.tokens.lo < o.tokens.hi)) {
      throw new ShapeError('capture.tokens', `needs integers 0 ≤ lo < hi, got [${o.tokens.lo}, ${o.tokens.hi})`);
    }
    this.tokens = o.tokens ? { lo: o.tokens.lo, hi: o.tokens.hi } : null;
    if (o.heads && o.heads.some((h) => !Number.isInteger(h) || h < 0)) throw new ShapeError('capture.heads', 'head ids must be non-negative integers');
    this.headFilter = o.heads ? [...new Set(o.heads)].sort((a, b) => a - b) : null;
    this.topk = o.topk ?? 5;
    if (!Number.isInteger(this.topk) || this.topk < 1 || this.topk > MAX_TOP_K) throw new ShapeError('capture.topk', `k must be an integer in 1..${MAX_TOP_K}, got ${this.topk}`);
    this.phiZero = o.phiZero ?? 1e-6;
    const maxBytes = o.stagingBytes ?? STAGING_MAX_BYTES;
    if (!(Number.isInteger(maxBytes) && maxBytes >= 0)) throw new ShapeError('capture.stagingBytes', `must be an integer ≥ 0, got ${maxBytes}`);
    this.readback = o.readback ?? 'submit';
    if (!['logits', 'collect', 'submit'].includes(this.readback)) throw new ShapeError('capture.readback', `must be 'logits', 'collect' or 'submit', got ${String(this.readback)}`);
    this.stagingCap = maxBytes;
    // At every flush of the context (the forward submits each layer at T > 1) the planned passes are
    // dispatched and, with readback 'submit', the records pending are sealed into one staging copy
    // (from the context's shared pool), mapped once that submit is made.
    const unsubmit = this.readback === 'submit' ? ctx.onSubmit(() => this.submitted()) : () => undefined;
    const unflush = ctx.onFlush(() => {
      // A flush from inside dispatchJobs (the uniform ring full at its dispatch) finds the passes being
      // dispatched not yet encoded: sealing then would copy out (and release) outputs not yet written.
      if (this.dispatching) return;
      this.dispatchJobs();
      this.seal();
    });
    this.unsubscribe = () => {
      unsubmit();
      unflush();
    };
  }

  /** Dispatches the planned passes (see `jobs`). */
  private dispatchJobs(): void {
    if (this.jobs.length === 0) return;
    const jobs = this.jobs;
    this.jobs = [];
    this.jobsSite = null;
    if (this.disposed || this.ctx.lost) return;
    this.dispatching = true;
    try {
      dispatchFused(this.ctx, jobs);
    } finally {
      this.dispatching = false;
    }
  }

  /** True while dispatchJobs encodes (see the flush hook). */
  private dispatching = false;

  /** Records enqueued and not yet collected (those already read back in the background included). */
  get size(): number {
    return this.pending.length + this.sealed;
  }

  /**
   * Of `size`, the records already copied out for a background read-back (0 with readback 'collect'):
   * their GPU tensors are released, and they are built as their maps resolve.
   */
  get readingBack(): number {
    return this.sealed;
  }

  /** Records in `groups`. */
  private sealed = 0;

  /** Absolute positions of the block inside the token range, or null when none is. */
  private spanOf(site: TapSite): Range | null {
    const lo = Math.max(site.pos0, this.tokens?.lo ?? site.pos0);
    const hi = Math.min(site.pos0 + site.T, this.tokens?.hi ?? site.pos0 + site.T);
    return lo < hi ? { lo, hi } : null;
  }

  /** Assign to `session.tap` (or ForwardOptions.tap). A no-op after dispose(). */
  readonly tap: Tap = (point, t, site) => {
    this.observe(point, t, site);
    if (point === 'logits') {
      this.dispatchJobs();
      if (this.readback === 'logits') this.readNow();
    }
  };

  /**
   * readback 'logits': everything enqueued so far (the planned passes dispatched by the tap) goes into
   * one read-back now (copies encoded behind the forward, submitted at once), built when it resolves.
   */
  private readNow(): void {
    this.heldA = null;
    this.replay = null;
    if (this.disposed || this.ctx.lost || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.sealed += batch.length;
    const read = this.readAll(batch); // lays the batch out (arenas included) before it returns
    this.closeArenas();
    this.groups.push(read.then((records): Built => (this.disposed ? { records: [] } : { records }), (error: unknown): Built => ({ records: [], error })));
  }

  private observe(point: TapPoint, t: Tensor, site: TapSite): void {
    if (this.disposed) return;
    const js = this.jobsSite;
    if (js && (js.layer !== site.layer || js.pos0 !== site.pos0 || js.T !== site.T)) this.dispatchJobs();
    if (point === 'hidden') {
      this.replay = null;
      return;
    }
    const layerOk = point === 'logits' || !this.layers || this.layers.has(site.layer);
    const block = this.spanOf(site);
    if (!layerOk || !block) return;
    // The ‖S_t‖ replay's inputs stay alive until the recurrence has been encoded: hold them, no copies.
    if (this.quantities.has('tokenState') && (point === 'gate.logA' || point === 'gate.logD' || point === 'phi.k' || point === 'v')) {
      if (!this.replay || this.replay.layer !== site.layer || this.replay.pos0 !== site.pos0) this.replay = { layer: site.layer, pos0: site.pos0 };
      this.replay[point === 'gate.logA' ? 'A' : point === 'gate.logD' ? 'D' : point === 'phi.k' ? 'k' : 'v'] = t;
    }
    const on = (POINT_QUANTITIES[point] ?? []).filter((q) => this.quantities.has(q));
    if (on.length === 0) return;
    const want = (q: Quantity): boolean => on.includes(q);
    if (this.heldA && !(point === 'gate.c' && site.layer === this.heldA.record.site.layer)) this.heldA = null;
    const ctx = this.ctx;
    const layer = site.layer;
    // Rows of [T, features] tensors are not heads: they are one head of width features.
    const perHead = !(point === 'attn.y' || point === 'logits');
    const layout: HeadLayout = perHead ? {} : { heads: 1, headDim: t.shape.at(-1) ?? 1 };
    const heads = layout.heads ?? (t.shape.length >= 2 ? (t.shape.at(-2) as number) : 1);
    const D = layout.headDim ?? t.shape.at(-1) ?? 1;
    // Row r of a [rows, H, D] tensor holds position pos0 + T − rows + r (logits 'last': the last token);
    // states have no token rows.
    const isState = point === 'state' || point === 'state.in';
    const allRows = isState ? site.T : t.size / (heads * D);
    const first = site.pos0 + site.T - allRows;
    const span = { lo: Math.max(block.lo, first), hi: block.hi };
    if (span.lo >= span.hi) return;
    const rows: RowRange = { start: span.lo - first, count: span.hi - span.lo };
    const rec: Pending = { site: { ...site }, point, heads, perHead, count: rows.count * D, rows: rows.count, span };
    // Everything this point needs is reduced in one pass over t (fusedReduce), one output tensor.
    const args: FusedArgs = { x: t, ...layout, layer, rows, op: `capture.${point}`, alloc: this.alloc };
    const hist = (spec: HistogramSpec): void => {
      args.hist = spec;
      rec.hist = spec;
    };
    const sat = (kind: 'alpha' | 'logit'): void => {
      const values = kind === 'alpha' ? this.eps : this.logitT;
      if (values.length === 0) return;
      args.thresholds = values.map((v): ThresholdPair => (kind === 'alpha' ? alphaThreshold(v) : logitThreshold(v)));
      rec.sat = values.map((threshold) => ({ kind, threshold }));
    };
    const run = (a: FusedArgs = args): void => {
      const j = planFused(ctx, a);
      this.jobs.push(j);
      this.jobsSite ??= { layer: site.layer, pos0: site.pos0, T: site.T }; // a copy: the caller may reuse its site object
      rec.fused = { t: j.out, layout: j.layout };
    };
    switch (point) {
      case 'gate.logA':
      case 'gate.logD': {
        if (want('gate')) {
          const r = this.ranges.alphaLogit;
          hist(this.gateScale === 'logit' ? { bins: this.bins, lo: r.lo, hi: r.hi, scale: 'logit', value: 'exp' } : { bins: this.bins, lo: 0, hi: 1, value: 'exp' });
          sat('alpha');
          args.moments = 'exp';
          rec.alpha = true;
        }
        if (want('channels')) args.channels = 'exp';
        run();
        break;
      }
      case 'gate.a':
      case 'gate.b':
      case 'gate.c': {
        const r = this.ranges.logit;
        hist({ bins: this.bins, lo: r.lo, hi: r.hi });
        sat('logit');
        args.moments = 'identity';
        const held = point === 'gate.c' ? this.heldA : null;
        if (point === 'gate.a') args.proxies = { of: 'a' };
        else if (held) args.proxies = { of: 'c', a: held.a };
        run();
        // The forward keeps gate.a alive until gate.c of the same site is tapped (model.ts TapPoint):
        // held by reference, no copy.
        if (point === 'gate.a') this.heldA = { record: rec, a: t };
        else if (held && rec.fused) {
          held.record.dFdg = rec.fused;
          this.heldA = null;
        }
        break;
      }
      case 'phi.q':
      case 'phi.k':
      case 'attn.o':
      case 'attn.y':
      case 'logits': {
        const isPhi = point.startsWith('phi');
        if (want(isPhi ? 'phi' : point === 'logits' ? 'logits' : 'output')) {
          const r = isPhi ? this.ranges.phi : point === 'logits' ? this.ranges.logits : this.ranges.output;
          hist({ bins: this.bins, lo: r.lo, hi: r.hi });
          args.moments = 'identity';
        }
        if (want('phiStats')) args.phi = { zero: this.phiZero };
        if (want('tokenNorm')) args.rowNorms = true;
        if (args.hist || args.phi || args.rowNorms) run();
        if (want('topk')) rec.topk = { ...logitsTopK(ctx, { logits: t, k: this.topk, rows, op: 'capture.logits.topk' }), k: this.topk };
        break;
      }
      case 'state':
      case 'state.in': {
        const h = t.shape.at(-3) ?? 1;
        rec.heads = h;
        rec.count = t.size / h;
        rec.span = block;
        rec.rows = point === 'state' ? 0 : block.hi - block.lo;
        rec.norm = true;
        const sargs: FusedArgs = { x: t, ...stateLayout(t), moments: 'identity', layer, op: point === 'state' ? 'capture.state' : 'capture.state_in', alloc: this.alloc };
        if (point === 'state') {
          run(sargs);
          break;
        }
        // 'state.in' now: the recurrence overwrites the state right after this tap.
        const f = fusedReduce(ctx, sargs);
        rec.fused = { t: f.out, layout: f.layout };
        const r = this.replay;
        this.replay = null;
        if (r && r.layer === layer && r.pos0 === site.pos0 && r.k && r.v) {
          rec.tokenState = tokenStateNorms(ctx, {
            state: t,
            k: r.k,
            v: r.v,
            ...(r.A ? { A: r.A } : {}),
            ...(r.D ? { D: r.D } : {}),
            rows: { start: block.lo - site.pos0, count: block.hi - block.lo },
            layer,
            op: 'capture.token_state_norms',
          });
        }
        break;
      }
      default:
        return;
    }
    this.pending.push(rec);
  }

  private static tensorsOf(p: Pending): Tensor[] {
    // dFdg is another record's fused output (gate.c's): that record owns it.
    const out: Tensor[] = [];
    if (p.fused) out.push(p.fused.t);
    if (p.tokenState) out.push(p.tokenState);
    if (p.topk) out.push(p.topk.ids, p.topk.values);
    return out;
  }

  /**
   * The outputs of `batch` laid end to end: each tensor once (an arena: its words in use), its word
   * offset and words, and the words in all.
   */
  private layoutOf(batch: readonly Pending[]): { tensors: Tensor[]; offsets: Map<Tensor, number>; words: Map<Tensor, number>; total: number } {
    const offsets = new Map<Tensor, number>();
    const words = new Map<Tensor, number>();
    const tensors: Tensor[] = [];
    let total = 0;
    for (const p of batch) {
      for (const t of Capture.tensorsOf(p)) {
        if (offsets.has(t)) continue;
        const n = this.arenaWords.get(t) ?? t.size;
        offsets.set(t, total);
        words.set(t, n);
        tensors.push(t);
        total += n;
      }
    }
    return { tensors, offsets, words, total };
  }

  /** Every pending record is on its way back (or dropped): the open arenas go with them; the next pass opens a new one. */
  private closeArenas(): void {
    let used = 0;
    for (const n of this.arenaWords.values()) used += n;
    this.arenaSize = Math.min(Math.max(this.arenaSize, used), ARENA_MAX_WORDS);
    this.arena = null;
    this.arenaWords.clear();
  }

  /**
   * At a flush of the context, before its submit (readback 'submit'): encodes the copy of the pending
   * records' outputs into one staging buffer behind the work that wrote them (the same submit: no
   * submit of its own), releases the outputs, and once that submit is made maps the buffer and builds
   * the records when the map resolves. While a gate.a record waits for gate.c's pass (its dFdg), all
   * of them stay pending (they share the open arena) until a later flush; so they do when the pool is
   * at its cap.
   */
  private seal(): void {
    if (this.readback !== 'submit' || this.disposed || this.ctx.lost || this.pending.length === 0 || this.heldA) return;
    const batch = this.pending;
    const { tensors, offsets, words, total } = this.layoutOf(batch);
    const bytes = total * 4;
    const pool = this.ctx.staging;
    let buf: StagingBuffer | null = null;
    if (total > 0) {
      if (this.stagingInFlight + bytes > this.stagingCap) return;
      buf = pool.acquire(bytes);
      if (!buf) return;
      try {
        for (const t of tensors) this.ctx.copyToBuffer(t, buf.buffer, (offsets.get(t) as number) * 4, words.get(t) as number);
      } catch {
        // Never fail the flush that called us: these records stay pending; collect() reads them.
        pool.release(buf);
        return;
      }
    }
    this.pending = [];
    this.closeArenas();
    this.sealed += batch.length;
    if (!buf) {
      this.groups.push(Promise.resolve().then(() => this.built(batch, new Uint32Array(0), offsets)));
      return;
    }
    // Recycled by the context only after this submit, which runs the copy first.
    for (const t of tensors) t.dispose();
    this.stagingInFlight += bytes;
    const staged = buf;
    const submitted = new Promise<void>((resolve) => this.staged.push(resolve));
    this.groups.push(
      submitted
        .then(() => pool.read(staged, bytes, (mapped) => this.built(batch, new Uint32Array(mapped, 0, total), offsets)))
        .catch((error: unknown): Built => ({ records: [], error }))
        .finally(() => {
          this.stagingInFlight -= bytes;
        }),
    );
  }

  /** Groups whose copies went into the submit being made: their maps start once it is made. */
  private staged: Array<() => void> = [];

  private submitted(): void {
    const staged = this.staged;
    this.staged = [];
    for (const go of staged) go();
  }

  private built(batch: readonly Pending[], words: Uint32Array, offsets: ReadonlyMap<Tensor, number>): Built {
    if (this.disposed) return { records: [] };
    try {
      return { records: this.build(batch, words, offsets) };
    } catch (error) {
      return { records: [], error };
    }
  }

  /**
   * Every record enqueued so far, in tap order, and releases their tensors. With readback 'logits' or
   * 'submit' most are already on their way back (or built); the rest are read here.
   */
  async collect(): Promise<CaptureRecord[]> {
    this.dispatchJobs();
    this.heldA = null;
    this.replay = null;
    if (this.readback === 'submit' && !this.disposed && !this.ctx.lost) {
      this.ctx.flush(); // seals what is pending through the flush hook
    }
    const groups = this.groups;
    this.groups = [];
    this.sealed = 0;
    const rest = this.pending;
    this.pending = [];
    // Laid out now (arenas included), before anything else can open an arena.
    const restRead = rest.length > 0 ? this.readAll(rest) : null;
    this.closeArenas();
    const done = await Promise.all(groups);
    const failed = done.find((g) => g.error !== undefined);
    if (failed) {
      await restRead?.catch(() => undefined);
      if (this.ctx.lost) throw await this.ctx.whenLost;
      throw failed.error;
    }
    const records: CaptureRecord[] = [];
    for (const g of done) for (const r of g.records) records.push(r);
    if (restRead) for (const r of await restRead) records.push(r);
    return records;
  }

  /** Reads the outputs of `batch` back in one transfer, releases them, and builds its records (straight from the mapped bytes). */
  private async readAll(batch: readonly Pending[]): Promise<CaptureRecord[]> {
    const { tensors, offsets, words, total } = this.layoutOf(batch);
    if (total === 0) return this.build(batch, new Uint32Array(0), offsets);
    const all = this.ctx.tensor([total], 'u32', 'capture.readback');
    try {
      for (const t of tensors) this.ctx.copy(t, all, 0, offsets.get(t) as number, words.get(t) as number);
      for (const t of tensors) t.dispose();
      return await this.ctx.readWith(all, (mapped) => this.build(batch, new Uint32Array(mapped, 0, total), offsets));
    } finally {
      all.dispose();
      for (const t of tensors) if (!t.disposed) t.dispose();
    }
  }

  /** The records of `batch` from its outputs read back into `words` at `offsets`. */
  private build(batch: readonly Pending[], words: Uint32Array, offsets: ReadonlyMap<Tensor, number>): CaptureRecord[] {
    const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
    const out: CaptureRecord[] = [];
    for (const p of batch) out.push(this.record(p, words, floats, offsets));
    return out;
  }

  /** One record (plain loops over the typed views: this runs for every record of every collect). */
  private record(p: Pending, words: Uint32Array, floats: Float32Array, offsets: ReadonlyMap<Tensor, number>): CaptureRecord {
    const out: CaptureRecord = { layer: p.site.layer, point: p.point, pos0: p.site.pos0, T: p.site.T, tokens: { ...p.span } };
    const H = p.heads;
    // The heads filter applies to per-head axes (not to [T, features] rows read as one head).
    const keep = p.perHead && this.headFilter ? this.headFilter.filter((h) => h < H) : null;
    if (keep) out.heads = keep;
    const heads = keep ?? allHeads(H);
    /** Per kept head h: f(v[at + h·width]) (the value itself without f). */
    const col = (v: ArrayLike<number>, at: number, width: number, f?: (x: number) => number): number[] => {
      const r = new Array<number>(heads.length);
      for (let i = 0; i < heads.length; i++) {
        const x = v[at + (heads[i] as number) * width] as number;
        r[i] = f ? f(x) : x;
      }
      return r;
    };
    const f = p.fused;
    const base = f ? (offsets.get(f.t) ?? 0) : 0;
    const L = f?.layout;
    if (p.hist && L?.hist) {
      const B = p.hist.bins;
      const W = B + 3;
      const at = base + L.hist.offset;
      out.histogram = {
        lo: p.hist.lo,
        hi: p.hist.hi,
        scale: p.hist.scale ?? 'linear',
        value: p.hist.value ?? 'identity',
        counts: heads.map((h) => numbersOf(words, at + h * W, B)),
        under: col(words, at + B, W),
        over: col(words, at + B + 1, W),
        nan: col(words, at + B + 2, W),
      };
    }
    if (p.sat && L?.sat) {
      const W = L.sat.width;
      const at = base + L.sat.offset;
      out.saturation = p.sat.map((e, k) => ({ ...e, low: col(words, at + 2 * k, W), high: col(words, at + 2 * k + 1, W), count: p.count }));
    }
    if (L?.moments !== undefined && p.norm) {
      out.stateNorm = col(finishSums(floats, base + L.moments, L.chunks, L.H), 1, 2, (s) => Math.fround(Math.sqrt(s)));
    } else if (L && (L.moments !== undefined || L.proxies !== undefined)) {
      const n = Math.max(1, p.count);
      const perN = (s: number): number => s / n;
      const m = L.moments !== undefined ? finishSums(floats, base + L.moments, L.chunks, L.H) : null;
      const mean = m ? col(m, 0, 2, perN) : [];
      const means: MeansRecord = { count: p.count, mean, meanSq: m ? col(m, 1, 2, perN) : [] };
      if (p.alpha) means.memoryLength = mean.map((a) => 1 / (1 - a));
      if (L.proxies !== undefined) {
        means.gOneMinusG = col(finishSums(floats, base + L.proxies, L.chunks, L.H), 0, 2, perN);
        const d = p.dFdg;
        if (d?.layout.proxies !== undefined) means.dFdg = col(finishSums(floats, (offsets.get(d.t) ?? 0) + d.layout.proxies, d.layout.chunks, d.layout.H), 1, 2, perN);
      }
      out.means = means;
    }
    if (p.tokenState) out.tokenStateNorm = TokenMatrix.of(floats, offsets.get(p.tokenState) ?? 0, p.rows, H, keep);
    if (L?.rowNorms !== undefined) out.tokenNorm = TokenMatrix.of(floats, base + L.rowNorms, p.rows, H, keep);
    if (L?.entropy !== undefined && L.entropySum !== undefined && L.zeros !== undefined) {
      const entropy = floats.subarray(base + L.entropy, base + L.entropy + p.rows * H);
      const n = Math.max(1, p.rows * L.D);
      const rows = Math.max(1, p.rows);
      out.phiZeros = col(words, base + L.zeros, 1);
      out.phiSparsity = col(words, base + L.zeros, 1, (z) => z / n);
      // The mean over tokens: the pass's per-chunk sums, added in float64 (as the channel sums are).
      out.phiEntropy = col(blockSums64(floats, base + L.entropySum, L.chunks, H), 0, 1, (s) => s / rows);
      out.tokenEntropy = TokenMatrix.of(entropy, 0, p.rows, H, keep);
    }
    if (p.topk) {
      const k = p.topk.k;
      out.topk = { k, ids: TokenMatrix.of(words, offsets.get(p.topk.ids) ?? 0, p.rows, k), values: TokenMatrix.of(floats, offsets.get(p.topk.values) ?? 0, p.rows, k) };
    }
    if (L?.channels !== undefined) {
      const D = L.D;
      const sums = blockSums64(floats, base + L.channels.offset, L.channels.blocks, H * D);
      const rows = Math.max(1, p.rows);
      const mean = heads.map((h) => {
        const r: number[] = [];
        for (let d = 0; d < D; d++) r.push((sums[h * D + d] as number) / rows);
        return r;
      });
      out.channelMeanAlpha = mean;
      out.channelMemoryLength = mean.map((row) => row.map((a) => 1 / (1 - a)));
    }
    return out;
  }

  /** Drops everything not yet collected; the tap becomes a no-op. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    this.jobs = [];
    this.jobsSite = null;
    this.replay = null;
    this.heldA = null;
    for (const p of this.pending) for (const t of Capture.tensorsOf(p)) t.dispose();
    this.pending = [];
    this.closeArenas();
    // Groups still being read back: their staging buffers go back to the context's pool as each map
    // settles; results dropped.
    this.groups = [];
    this.sealed = 0;
  }
}
