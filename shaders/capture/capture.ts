// Capture (spec §3.5): a Tap that, per observed tensor, enqueues the capture reductions (histograms,
// saturation counts, per-head means, gate-gradient proxies, state norms) into tensors it owns, and
// collect() which reads them all back in one transfer as plain records. Nothing is read back while
// the forward pass is encoded, and the model's own tensors are only read, never written.

import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Tap, TapPoint, TapSite } from '../model/model.js';
import { ShapeError } from '../errors.js';
import { alphaThreshold, logitThreshold, type HistogramSpec, type ThresholdPair } from './edges.js';
import { gateProxies, headMoments, histogram, saturation, stateNorm, type HeadLayout } from './reduce.js';

export type Quantity = 'gate' | 'phi' | 'state' | 'output' | 'logits';

export interface Range {
  lo: number;
  hi: number;
}

export interface CaptureOptions {
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

export interface CaptureRecord {
  layer: number;
  point: TapPoint;
  pos0: number;
  T: number;
  histogram?: HistogramRecord;
  saturation?: SaturationRecord[];
  means?: MeansRecord;
  /** 'state': Frobenius norm per kv head. */
  stateNorm?: number[];
}

const POINT_QUANTITY: Partial<Record<TapPoint, Quantity>> = {
  'gate.a': 'gate',
  'gate.c': 'gate',
  'gate.b': 'gate',
  'gate.logA': 'gate',
  'gate.logD': 'gate',
  'phi.q': 'phi',
  'phi.k': 'phi',
  'attn.o': 'output',
  'attn.y': 'output',
  state: 'state',
  logits: 'logits',
};

interface Pending {
  site: TapSite;
  point: TapPoint;
  heads: number;
  count: number;
  hist?: { t: Tensor; spec: HistogramSpec };
  sat?: { t: Tensor; entries: Array<{ kind: 'alpha' | 'logit'; threshold: number }> };
  moments?: { t: Tensor; alpha: boolean };
  proxies?: { t: Tensor; refined: boolean };
  norm?: Tensor;
}

export class Capture {
  private readonly quantities: ReadonlySet<Quantity>;
  private readonly layers: ReadonlySet<number> | null;
  private readonly bins: number;
  private readonly eps: readonly number[];
  private readonly logitT: readonly number[];
  private readonly gateScale: 'linear' | 'logit';
  private readonly ranges: Required<NonNullable<CaptureOptions['ranges']>>;
  private pending: Pending[] = [];
  /** gate.a copied until gate.c (same layer) arrives, for the refined gate's proxies. */
  private heldA: { record: Pending; copy: Tensor; layout: HeadLayout } | null = null;
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
  }

  /** Records enqueued and not yet collected. */
  get size(): number {
    return this.pending.length;
  }

  /** Assign to `session.tap` (or ForwardOptions.tap). A no-op after dispose(). */
  readonly tap: Tap = (point, t, site) => {
    if (this.disposed) return;
    const q = POINT_QUANTITY[point];
    if (!q || !this.quantities.has(q)) return;
    if (point !== 'logits' && this.layers && !this.layers.has(site.layer)) return;
    if (this.heldA && !(point === 'gate.c' && site.layer === this.heldA.record.site.layer)) this.releaseA(undefined);
    const ctx = this.ctx;
    const layer = site.layer;
    // Rows of [T, features] tensors are not heads: they are one head of width features.
    const layout: HeadLayout = point === 'attn.y' || point === 'logits' ? { heads: 1, headDim: t.shape.at(-1) ?? 1 } : {};
    const heads = layout.heads ?? (t.shape.length >= 2 ? (t.shape.at(-2) as number) : 1);
    const rec: Pending = { site: { ...site }, point, heads, count: t.size / heads };
    const common = { ...layout, layer, op: `capture.${point}` };
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
        const r = this.ranges.alphaLogit;
        hist(this.gateScale === 'logit' ? { bins: this.bins, lo: r.lo, hi: r.hi, scale: 'logit', value: 'exp' } : { bins: this.bins, lo: 0, hi: 1, value: 'exp' });
        sat('alpha');
        rec.moments = { t: headMoments(ctx, { x: t, value: 'exp', ...common }), alpha: true };
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
          this.heldA = { record: rec, copy, layout };
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
        const r = point.startsWith('phi') ? this.ranges.phi : point === 'logits' ? this.ranges.logits : this.ranges.output;
        hist({ bins: this.bins, lo: r.lo, hi: r.hi });
        rec.moments = { t: headMoments(ctx, { x: t, ...common }), alpha: false };
        break;
      }
      case 'state': {
        const h = t.shape.at(-3) ?? 1;
        rec.heads = h;
        rec.count = t.size / h;
        rec.norm = stateNorm(ctx, { state: t, layer, op: 'capture.state' });
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
      t: gateProxies(this.ctx, { a: held.copy, ...(c ? { c } : {}), ...held.layout, layer: held.record.site.layer, op: 'capture.gate_proxies' }),
      refined,
    };
    held.copy.dispose();
  }

  private static tensorsOf(p: Pending): Tensor[] {
    return [p.hist?.t, p.sat?.t, p.moments?.t, p.proxies?.t, p.norm].filter((t): t is Tensor => t !== undefined);
  }

  /** Reads every record enqueued so far back in one transfer, releases their tensors, and returns them. */
  async collect(): Promise<CaptureRecord[]> {
    this.releaseA(undefined);
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
    return pending.map((p) => {
      const out: CaptureRecord = { layer: p.site.layer, point: p.point, pos0: p.site.pos0, T: p.site.T };
      const H = p.heads;
      if (p.hist) {
        const v = u32s(p.hist.t);
        const B = p.hist.spec.bins;
        const W = B + 3;
        out.histogram = {
          lo: p.hist.spec.lo,
          hi: p.hist.spec.hi,
          scale: p.hist.spec.scale ?? 'linear',
          value: p.hist.spec.value ?? 'identity',
          counts: Array.from({ length: H }, (_, h) => v.slice(h * W, h * W + B)),
          under: perHead(v, W, B, H),
          over: perHead(v, W, B + 1, H),
          nan: perHead(v, W, B + 2, H),
        };
      }
      if (p.sat) {
        const v = u32s(p.sat.t);
        const W = p.sat.entries.length * 2;
        out.saturation = p.sat.entries.map((e, k) => ({ ...e, low: perHead(v, W, 2 * k, H), high: perHead(v, W, 2 * k + 1, H), count: p.count }));
      }
      if (p.moments || p.proxies) {
        const n = Math.max(1, p.count);
        const m = p.moments ? f32s(p.moments.t) : [];
        const mean = p.moments ? perHead(m, 2, 0, H).map((s) => s / n) : [];
        const means: MeansRecord = { count: p.count, mean, meanSq: p.moments ? perHead(m, 2, 1, H).map((s) => s / n) : [] };
        if (p.moments?.alpha) means.memoryLength = mean.map((a) => 1 / (1 - a));
        if (p.proxies) {
          const g = f32s(p.proxies.t);
          means.gOneMinusG = perHead(g, 2, 0, H).map((s) => s / n);
          if (p.proxies.refined) means.dFdg = perHead(g, 2, 1, H).map((s) => s / n);
        }
        out.means = means;
      }
      if (p.norm) out.stateNorm = f32s(p.norm);
      return out;
    });
  }

  /** Drops everything not yet collected; the tap becomes a no-op. */
  dispose(): void {
    this.disposed = true;
    if (this.heldA) {
      this.heldA.copy.dispose();
      this.heldA = null;
    }
    for (const p of this.pending) for (const t of Capture.tensorsOf(p)) t.dispose();
    this.pending = [];
  }
}
