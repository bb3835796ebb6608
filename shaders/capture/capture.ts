// Capture (spec §3.5): a Tap that, per observed tensor, enqueues the capture reductions (histograms,
// saturation counts, per-head means, gate-gradient proxies, state norms, and per token: ‖S_t‖, ‖o_t‖,
// φ entropy, logits top-k; per channel: mean α) into tensors it owns, and collect() which reads them
// all back in one transfer as plain records. Nothing is read back while the forward pass is encoded,
// and the model's own tensors are only read, never written. Quantities that are off cost nothing.

import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Tap, TapPoint, TapSite } from '../model/model.js';
import { ShapeError } from '../errors.js';
import { alphaThreshold, logitThreshold, type HistogramSpec, type ThresholdPair } from './edges.js';
import {
  channelSums,
  gateProxies,
  headMoments,
  histogram,
  logitsTopK,
  MAX_TOP_K,
  phiStats,
  rowNorms,
  saturation,
  stateNorm,
  tokenStateNorms,
  type HeadLayout,
  type RowRange,
} from './reduce.js';

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
}

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
  ids: number[][];
  /** [token][k]: the logits (f32 values). */
  values: number[][];
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
  tokenStateNorm?: number[][];
  /** 'attn.o': ‖o_t‖ [token][head] before the output norm; 'attn.y': [token][1] after norm and gate. */
  tokenNorm?: number[][];
  /** 'phi.q' | 'phi.k' ('phiStats'): per head, #(φ ≤ phiZero) and its share of the head's entries. */
  phiZeros?: number[];
  phiSparsity?: number[];
  /** Per head: mean over tokens of the entropy of p = max(φ, 0) / Σ max(φ, 0) (nats). */
  phiEntropy?: number[];
  /** [token][head]: that entropy per token. */
  tokenEntropy?: number[][];
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
  hist?: { t: Tensor; spec: HistogramSpec };
  sat?: { t: Tensor; entries: Array<{ kind: 'alpha' | 'logit'; threshold: number }> };
  moments?: { t: Tensor; alpha: boolean };
  proxies?: { t: Tensor; refined: boolean };
  norm?: Tensor;
  tokenState?: Tensor;
  tokenNorm?: Tensor;
  phi?: { entropy: Tensor; zeros: Tensor; sums: Tensor; D: number };
  topk?: { ids: Tensor; values: Tensor; k: number };
  channels?: { t: Tensor; D: number };
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
  /** gate.a copied until gate.c (same layer) arrives, for the refined gate's proxies. */
  private heldA: { record: Pending; copy: Tensor; layout: HeadLayout; rows: RowRange } | null = null;
  private replay: ReplayInputs | null = null;
  private disposed = false;

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
  }

  /** Records enqueued and not yet collected. */
  get size(): number {
    return this.pending.length;
  }

  /** Absolute positions of the block inside the token range, or null when none is. */
  private spanOf(site: TapSite): Range | null {
    const lo = Math.max(site.pos0, this.tokens?.lo ?? site.pos0);
    const hi = Math.min(site.pos0 + site.T, this.tokens?.hi ?? site.pos0 + site.T);
    return lo < hi ? { lo, hi } : null;
  }

  /** Assign to `session.tap` (or ForwardOptions.tap). A no-op after dispose(). */
  readonly tap: Tap = (point, t, site) => {
    if (this.disposed) return;
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
    if (this.heldA && !(point === 'gate.c' && site.layer === this.heldA.record.site.layer)) this.releaseA(undefined);
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
    const common = { ...layout, layer, rows, op: `capture.${point}` };
    const hist = (spec: HistogramSpec): void => {
      rec.hist = { t: histogram(ctx, { x: t, spec, ...common }), spec };
    };
    const sat = (kind: 'alpha' | 'logit'): void => {
      const values = kind === 'alpha' ? this.eps : this.logitT;
      if (values.length === 0) return;
      const pairs: ThresholdPair[] = values.map((v) => (kind === 'alpha' ? alphaThreshold(v) : logitThreshold(v)));
      rec.sat = { t: saturation(ctx, { x: t, thresholds: pairs, ...common }), entries: values.map((threshold) => ({ kind, threshold })) };
    };
    switch (point) {
      case 'gate.logA':
      case 'gate.logD': {
        if (want('gate')) {
          const r = this.ranges.alphaLogit;
          hist(this.gateScale === 'logit' ? { bins: this.bins, lo: r.lo, hi: r.hi, scale: 'logit', value: 'exp' } : { bins: this.bins, lo: 0, hi: 1, value: 'exp' });
          sat('alpha');
          rec.moments = { t: headMoments(ctx, { x: t, value: 'exp', ...common }), alpha: true };
        }
        if (want('channels')) rec.channels = { t: channelSums(ctx, { x: t, value: 'exp', ...common, op: `capture.${point}.channels` }), D };
        break;
      }
      case 'gate.a':
      case 'gate.b':
      case 'gate.c': {
        const r = this.ranges.logit;
        hist({ bins: this.bins, lo: r.lo, hi: r.hi });
        sat('logit');
        rec.moments = { t: headMoments(ctx, { x: t, ...common }), alpha: false };
        if (point === 'gate.a') {
          const copy = ctx.tensor(t.shape, 'f32', 'capture.gate_a');
          ctx.copy(t, copy);
          this.heldA = { record: rec, copy, layout, rows };
        } else if (point === 'gate.c' && this.heldA) {
          this.releaseA(t);
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
          rec.moments = { t: headMoments(ctx, { x: t, ...common }), alpha: false };
        }
        if (want('phiStats')) {
          const p = phiStats(ctx, { x: t, zero: this.phiZero, ...common, op: `capture.${point}.stats` });
          const sums = headMoments(ctx, { x: p.entropy, heads, headDim: 1, layer, op: `capture.${point}.entropy` });
          rec.phi = { entropy: p.entropy, zeros: p.zeros, sums, D };
        }
        if (want('tokenNorm')) rec.tokenNorm = rowNorms(ctx, { x: t, ...common, op: `capture.${point}.norms` });
        if (want('topk')) rec.topk = { ...logitsTopK(ctx, { logits: t, k: this.topk, rows, op: 'capture.logits.topk' }), k: this.topk };
        break;
      }
      case 'state': {
        const h = t.shape.at(-3) ?? 1;
        rec.heads = h;
        rec.count = t.size / h;
        rec.rows = 0;
        rec.span = block;
        rec.norm = stateNorm(ctx, { state: t, layer, op: 'capture.state' });
        break;
      }
      case 'state.in': {
        const h = t.shape.at(-3) ?? 1;
        rec.heads = h;
        rec.count = t.size / h;
        rec.span = block;
        rec.rows = block.hi - block.lo;
        rec.norm = stateNorm(ctx, { state: t, layer, op: 'capture.state_in' });
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
  };

  /** Enqueues the gate-gradient proxies of the held gate.a (refined when c is given) and drops the copy. */
  private releaseA(c: Tensor | undefined): void {
    const held = this.heldA;
    if (!held) return;
    this.heldA = null;
    const refined = c !== undefined;
    held.record.proxies = {
      t: gateProxies(this.ctx, { a: held.copy, ...(c ? { c } : {}), ...held.layout, rows: held.rows, layer: held.record.site.layer, op: 'capture.gate_proxies' }),
      refined,
    };
    held.copy.dispose();
  }

  private static tensorsOf(p: Pending): Tensor[] {
    return [
      p.hist?.t,
      p.sat?.t,
      p.moments?.t,
      p.proxies?.t,
      p.norm,
      p.tokenState,
      p.tokenNorm,
      p.phi?.entropy,
      p.phi?.zeros,
      p.phi?.sums,
      p.topk?.ids,
      p.topk?.values,
      p.channels?.t,
    ].filter((t): t is Tensor => t !== undefined);
  }

  /** Reads every record enqueued so far back in one transfer, releases their tensors, and returns them. */
  async collect(): Promise<CaptureRecord[]> {
    this.releaseA(undefined);
    this.replay = null;
    const pending = this.pending;
    this.pending = [];
    const tensors = pending.flatMap(Capture.tensorsOf);
    const total = tensors.reduce((a, t) => a + t.size, 0);
    const offsets = new Map<Tensor, number>();
    let words: Uint32Array = new Uint32Array(0);
    if (total > 0) {
      const all = this.ctx.tensor([total], 'u32', 'capture.readback');
      try {
        let at = 0;
        for (const t of tensors) {
          offsets.set(t, at);
          this.ctx.copy(t, all, 0, at, t.size);
          at += t.size;
        }
        for (const t of tensors) t.dispose();
        const r = await this.ctx.read(all);
        words = r instanceof Uint32Array ? r : new Uint32Array(r.buffer, r.byteOffset, r.length);
      } finally {
        all.dispose();
        for (const t of tensors) if (!t.disposed) t.dispose();
      }
    }
    const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
    const u32s = (t: Tensor): number[] => Array.from(words.subarray(offsets.get(t) ?? 0, (offsets.get(t) ?? 0) + t.size));
    const f32s = (t: Tensor): number[] => Array.from(floats.subarray(offsets.get(t) ?? 0, (offsets.get(t) ?? 0) + t.size));
    const perHead = (v: number[], width: number, col: number, H: number): number[] => Array.from({ length: H }, (_, h) => v[h * width + col] as number);
    const matrix = (v: number[], rows: number, cols: number): number[][] => Array.from({ length: rows }, (_, r) => v.slice(r * cols, (r + 1) * cols));
    return pending.map((p) => {
      const out: CaptureRecord = { layer: p.site.layer, point: p.point, pos0: p.site.pos0, T: p.site.T, tokens: { ...p.span } };
      const H = p.heads;
      // The heads filter applies to per-head axes (not to [T, features] rows read as one head).
      const keep = p.perHead && this.headFilter ? this.headFilter.filter((h) => h < H) : null;
      const pick = <X>(v: X[]): X[] => (keep ? keep.map((h) => v[h] as X) : v);
      const pickCols = (m: number[][]): number[][] => (keep ? m.map(pick) : m);
      if (keep) out.heads = keep;
      if (p.hist) {
        const v = u32s(p.hist.t);
        const B = p.hist.spec.bins;
        const W = B + 3;
        out.histogram = {
          lo: p.hist.spec.lo,
          hi: p.hist.spec.hi,
          scale: p.hist.spec.scale ?? 'linear',
          value: p.hist.spec.value ?? 'identity',
          counts: pick(Array.from({ length: H }, (_, h) => v.slice(h * W, h * W + B))),
          under: pick(perHead(v, W, B, H)),
          over: pick(perHead(v, W, B + 1, H)),
          nan: pick(perHead(v, W, B + 2, H)),
        };
      }
      if (p.sat) {
        const v = u32s(p.sat.t);
        const W = p.sat.entries.length * 2;
        out.saturation = p.sat.entries.map((e, k) => ({ ...e, low: pick(perHead(v, W, 2 * k, H)), high: pick(perHead(v, W, 2 * k + 1, H)), count: p.count }));
      }
      if (p.moments || p.proxies) {
        const n = Math.max(1, p.count);
        const m = p.moments ? f32s(p.moments.t) : [];
        const mean = p.moments ? perHead(m, 2, 0, H).map((s) => s / n) : [];
        const means: MeansRecord = { count: p.count, mean: pick(mean), meanSq: p.moments ? pick(perHead(m, 2, 1, H).map((s) => s / n)) : [] };
        if (p.moments?.alpha) means.memoryLength = pick(mean.map((a) => 1 / (1 - a)));
        if (p.proxies) {
          const g = f32s(p.proxies.t);
          means.gOneMinusG = pick(perHead(g, 2, 0, H).map((s) => s / n));
          if (p.proxies.refined) means.dFdg = pick(perHead(g, 2, 1, H).map((s) => s / n));
        }
        out.means = means;
      }
      if (p.norm) out.stateNorm = pick(f32s(p.norm));
      if (p.tokenState) out.tokenStateNorm = pickCols(matrix(f32s(p.tokenState), p.rows, H));
      if (p.tokenNorm) out.tokenNorm = pickCols(matrix(f32s(p.tokenNorm), p.rows, H));
      if (p.phi) {
        const zeros = u32s(p.phi.zeros);
        const sums = f32s(p.phi.sums);
        const n = p.rows * p.phi.D;
        out.phiZeros = pick(zeros);
        out.phiSparsity = pick(zeros.map((z) => z / Math.max(1, n)));
        out.phiEntropy = pick(perHead(sums, 2, 0, H).map((s) => s / Math.max(1, p.rows)));
        out.tokenEntropy = pickCols(matrix(f32s(p.phi.entropy), p.rows, H));
      }
      if (p.topk) {
        const k = p.topk.k;
        out.topk = { k, ids: matrix(u32s(p.topk.ids), p.rows, k), values: matrix(f32s(p.topk.values), p.rows, k) };
      }
      if (p.channels) {
        const mean = matrix(f32s(p.channels.t), H, p.channels.D).map((row) => row.map((s) => s / Math.max(1, p.rows)));
        out.channelMeanAlpha = pick(mean);
        out.channelMemoryLength = pick(mean.map((row) => row.map((a) => 1 / (1 - a))));
      }
      return out;
    });
  }

  /** Drops everything not yet collected; the tap becomes a no-op. */
  dispose(): void {
    this.disposed = true;
    this.replay = null;
    if (this.heldA) {
      this.heldA.copy.dispose();
      this.heldA = null;
    }
    for (const p of this.pending) for (const t of Capture.tensorsOf(p)) t.dispose();
    this.pending = [];
  }
}
