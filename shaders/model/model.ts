// The model on the GPU: weights uploaded once (validated against the config first), per-sequence
// recurrent state (GLA states, exp_norm key max, conv histories, KV caches of softmax layers), and
// the forward pass over a block of tokens built from the ops. Capture taps and the profiler attach
// from outside (taps here, the profiler through GpuContext) without changing any kernel.
// Interventions (ForwardOptions.interventions, model/interventions.ts) add their own in-place edit
// dispatches only when present; each layer's settings come from layerEffect, once per layer.

import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { OutOfMemoryError, ShapeError, WeightsFormatError } from '../errors.js';
import { featureDim, isSoftmaxLayer, readoutScale, softmaxHeadDim, type ModelConfig } from './config.js';
import { expectedWeights, mapSource, validateSource, validateWeights, type WeightMap, type WeightSource } from './weights.js';
import { rowNorm } from '../ops/norm.js';
import { GEMV_MAX_ROWS, matmul, matmulSegments } from '../ops/matmul.js';
import { embedding } from '../ops/embedding.js';
import { shortConv } from '../ops/short_conv.js';
import { logGate } from '../ops/gate.js';
import { featureMap, expNormKeys } from '../ops/feature_map.js';
import { glaChunk, glaRecurrent } from '../ops/gla.js';
import { attnOutput } from '../ops/attn_out.js';
import { rope } from '../ops/rope.js';
import { kvAppend, softmaxAttention } from '../ops/softmax_attn.js';
import { FUSED_MAX_HIDDEN, gemvNorm, mlpPartial, MLP_MAX_SLICE } from '../ops/matmul.js';
import { layerEffect, validateInterventions, type Intervention, type LayerEffect } from './interventions.js';
import { clampInPlace, scaleColumns } from '../ops/interventions.js';
import { glaStep, glaStepSupported, type ConvHistory, type GlaStepDims, type PackedOffsets, type ProjOffsets } from '../ops/gla_step.js';

/** Points where capture taps can observe tensors (spec §3.5). */
export type TapPoint =
  | 'hidden' // [T, hidden] residual stream entering the layer
  | 'gate.a' // [T, Hkv, dk] base gate logits (alive until 'gate.c' of the same site has been tapped)
  | 'gate.c' // [T, Hkv, dk] refining gate logits
  | 'gate.b' // [T, Hkv, dv] value-side logits
  | 'gate.logA' // [T, Hkv, dk'] log α (after exp_norm fold)
  | 'gate.logD' // [T, Hkv, dv]
  | 'phi.q' // [T, Hq, dk']
  | 'phi.k' // [T, Hkv, dk']
  | 'keymax' // [Hkv] running key max after the block
  | 'v' // [T, Hkv, dv] values entering the recurrence
  | 'state.in' // [Hkv, dk', dv] state entering the block (before the recurrence overwrites it)
  | 'attn.o' // [T, Hq, dv] before the output norm
  | 'attn.y' // [T, Hq·dv] after norm and output gate
  | 'state' // [Hkv, dk', dv] after the block
  | 'logits'; // [rows, vocab]

export interface TapSite {
  layer: number;
  /** Absolute position of the block's first token. */
  pos0: number;
  T: number;
}
/** Called synchronously while the forward is encoded; enqueue GPU copies/reductions, do not read back. */
export type Tap = (point: TapPoint, t: Tensor, site: TapSite) => void;

export interface ForwardOptions {
  /** 'last' computes logits for the last token only; 'all' for every token. */
  logits: 'last' | 'all';
  /** Prefill algorithm for GLA layers. Decode (T = 1) always uses the recurrent step. */
  mode?: 'chunk' | 'recurrent';
  chunkSize?: number;
  tap?: Tap | null;
  /** false forces the unfused ops for single-token steps (the fused path is the default). */
  fused?: boolean;
  /** false encodes a whole prefill into one submit (the default submits each layer as it is encoded). */
  submitPerLayer?: boolean;
  /**
   * Edits to this forward (model/interventions.ts), validated first (InterventionError). Any
   * intervention makes decode take the unfused ops; an empty list is exactly the default forward.
   */
  interventions?: readonly Intervention[];
}

interface GateWeights {
  w?: Tensor; // full rank [out, H]
  w0?: Tensor; // low rank [r, H]
  w1?: Tensor; // [out, r]
  bias: Tensor; // [out]
}

/** Row ranges of the fused input projection (absent segments are absent keys). */
interface InputSegments {
  q?: { row: number; rows: number };
  k?: { row: number; rows: number };
  v?: { row: number; rows: number };
  gk?: { row: number; rows: number };
  gr?: { row: number; rows: number };
  gv?: { row: number; rows: number };
  g?: { row: number; rows: number };
}

interface LayerWeights {
  softmax: boolean;
  attnNorm: Tensor;
  /** All projections of attn_norm(h) (q, k, v, gates, output gate g) in one matrix, by row segment. */
  inProj: { w: Tensor; bias: Tensor; seg: InputSegments };
  o: Tensor;
  qConv?: Tensor;
  kConv?: Tensor;
  vConv?: Tensor;
  gk?: GateWeights;
  gr?: GateWeights;
  gv?: GateWeights;
  fmapQ?: { w: Tensor; b: Tensor };
  fmapK?: { w: Tensor; b: Tensor };
  gNorm?: Tensor;
  gNormBias?: Tensor;
  mlpNorm: Tensor;
  gateUp: Tensor; // [2I, H]: gate rows then up rows
  down: Tensor;
  /** The fused decode step's packed small weights and offsets (GLA layers whose shapes it supports). */
  step?: { packed: Tensor; packedOffsets: PackedOffsets; offsets: ProjOffsets; dims: GlaStepDims };
}

export type ProgressFn = (done: number, total: number, name: string) => void;

export class GpuModel {
  private constructor(
    readonly ctx: GpuContext,
    readonly config: ModelConfig,
    readonly embed: Tensor,
    readonly layers: LayerWeights[],
    readonly finalNorm: Tensor,
    readonly lmHead: Tensor,
    private readonly owned: Tensor[],
  ) {}

  /** Total bytes of weights on the GPU. */
  get weightBytes(): number {
    return this.owned.reduce((a, t) => a + t.size * 4, 0);
  }

  /** Uploads an in-memory weight map (see load). */
  static async upload(ctx: GpuContext, c: ModelConfig, w: WeightMap, onProgress?: ProgressFn): Promise<GpuModel> {
    validateWeights(c, w);
    return GpuModel.load(ctx, c, mapSource(w), onProgress);
  }

  /**
   * Validates names and shapes, checks device limits, then streams the weights to the GPU one tensor
   * at a time (each is read, written into its GPU buffer and dropped: no second full copy on the CPU).
   * `onProgress` is called after each tensor. On any error every buffer allocated so far is released.
   */
  static async load(ctx: GpuContext, c: ModelConfig, source: WeightSource, onProgress?: ProgressFn): Promise<GpuModel> {
    validateSource(c, source);
    const specs = expectedWeights(c);
    for (const s of specs) ctx.checkFits(s.name, s.shape.reduce((a, b) => a * b, 1) * 4);
    if (c.intermediateSize * 2 * c.hiddenSize * 4 > ctx.limits.maxStorageBufferBindingSize) {
      throw new OutOfMemoryError(
        `mlp gate+up: ${c.intermediateSize * 2 * c.hiddenSize * 4} bytes exceeds this device's ${ctx.limits.maxStorageBufferBindingSize}-byte binding limit`,
      );
    }
    const owned: Tensor[] = [];
    let done = 0;
    const total = specs.length;
    const has = (name: string): boolean => source.shape(name) !== undefined;
    const shapeOf = (name: string): readonly number[] => source.shape(name) ?? [];
    /** Reads one tensor, checking the element count the shape promises. */
    const read = async (name: string): Promise<Float32Array> => {
      const data = await source.read(name);
      const n = shapeOf(name).reduce((x, y) => x * y, 1);
      if (data.length !== n) throw new WeightsFormatError(`${name}: ${data.length} values for shape [${shapeOf(name).join(', ')}] (${n})`);
      return data;
    };
    /** Writes one source tensor into `t` at an element offset. */
    const into = async (t: Tensor, name: string, offset: number): Promise<void> => {
      ctx.write(t, await read(name), offset);
      onProgress?.(++done, total, name);
    };
    const up = async (name: string, shape?: readonly number[]): Promise<Tensor> => {
      const t = ctx.tensor(shape ?? shapeOf(name), 'f32', name);
      owned.push(t);
      await into(t, name, 0);
      return t;
    };
    const maybe = async (name: string, shape?: readonly number[]): Promise<Tensor | undefined> => (has(name) ? up(name, shape) : undefined);
    try {
      const embed = await up('model.embeddings.weight');
      const layers: LayerWeights[] = [];
      for (let i = 0; i < c.numLayers; i++) {
        const p = `model.layers.${i}.`;
        const attnNorm = await up(`${p}attn_norm.weight`);
        const softmax = isSoftmaxLayer(c, i);
        // Every projection of x = attn_norm(h) lives in one [N, H] matrix (segments padded to 64 rows so
        // each is a 256-byte-aligned row view): prefill runs one matmul per segment, decode one GEMV.
        const gateName = (g: string): string => (has(`${p}attn.${g}.weight`) ? `${p}attn.${g}.weight` : `${p}attn.${g}.0.weight`);
        const segNames: Array<[keyof InputSegments, string, boolean]> = [
          ['q', `${p}attn.q_proj.weight`, false],
          ['k', `${p}attn.k_proj.weight`, false],
          ['v', `${p}attn.v_proj.weight`, false],
          ['gk', gateName('gk_proj'), has(`${p}attn.gk_proj.bias`)],
          ['gr', gateName('gr_proj'), has(`${p}attn.gr_proj.bias`)],
          ['gv', gateName('gv_proj'), has(`${p}attn.gv_proj.bias`)],
          ['g', `${p}attn.g_proj.weight`, false],
        ];
        const present = segNames.filter(([, name]) => has(name));
        const seg: InputSegments = {};
        let rows = 0;
        for (const [key, name] of present) {
          const n = shapeOf(name)[0] as number;
          seg[key] = { row: rows, rows: n };
          rows += Math.ceil(n / 64) * 64;
        }
        const inW = ctx.tensor([rows, c.hiddenSize], 'f32', `${p}attn.in_proj`);
        const inB = ctx.tensor([rows], 'f32', `${p}attn.in_proj.bias`);
        owned.push(inW, inB);
        ctx.zero(inW);
        ctx.zero(inB);
        for (const [key, name, hasBias] of present) {
          const sg = seg[key] as { row: number; rows: number };
          await into(inW, name, sg.row * c.hiddenSize);
          if (hasBias) await into(inB, name.replace(/\.weight$/, '.bias'), sg.row);
        }
        const view = (key: keyof InputSegments): Tensor | undefined => {
          const sg = seg[key];
          return sg ? inW.rows(sg.row, sg.rows, `${p}attn.${key}_proj`) : undefined;
        };
        const L: LayerWeights = {
          softmax,
          attnNorm,
          inProj: { w: inW, bias: inB, seg },
          o: await up(`${p}attn.o_proj.weight`),
          mlpNorm: await up(`${p}mlp_norm.weight`),
          gateUp: ctx.tensor([2 * c.intermediateSize, c.hiddenSize], 'f32', `${p}mlp.gate_up`),
          down: await up(`${p}mlp.down_proj.weight`),
        };
        // One [2I, H] matrix so gate and up are one matmul, written in two halves (no CPU concat).
        owned.push(L.gateUp);
        await into(L.gateUp, `${p}mlp.gate_proj.weight`, 0);
        await into(L.gateUp, `${p}mlp.up_proj.weight`, c.intermediateSize * c.hiddenSize);
        if (!softmax) {
          const convShape = (n: string): number[] => [shapeOf(n)[0] ?? 0, shapeOf(n)[2] ?? 0];
          const qc = await maybe(`${p}attn.q_conv1d.weight`, convShape(`${p}attn.q_conv1d.weight`));
          const kc = await maybe(`${p}attn.k_conv1d.weight`, convShape(`${p}attn.k_conv1d.weight`));
          const vc = await maybe(`${p}attn.v_conv1d.weight`, convShape(`${p}attn.v_conv1d.weight`));
          if (qc && kc && vc) Object.assign(L, { qConv: qc, kConv: kc, vConv: vc });
          for (const [key, name] of [['gk', 'gk_proj'], ['gr', 'gr_proj'], ['gv', 'gv_proj']] as const) {
            const wv = view(key);
            if (!wv) continue;
            const sg = seg[key] as { row: number; rows: number };
            L[key] = has(`${p}attn.${name}.weight`)
              ? { w: wv, bias: inB.rows(sg.row, sg.rows, `${p}attn.${name}.bias`) }
              : { w0: wv, w1: await up(`${p}attn.${name}.1.weight`), bias: await up(`${p}attn.${name}.1.bias`) };
          }
          if (has(`${p}attn.fmap_q.weight`)) {
            L.fmapQ = { w: await up(`${p}attn.fmap_q.weight`), b: await up(`${p}attn.fmap_q.bias`) };
            L.fmapK = { w: await up(`${p}attn.fmap_k.weight`), b: await up(`${p}attn.fmap_k.bias`) };
          }
          const gn = await maybe(`${p}attn.g_norm.weight`);
          if (gn) L.gNorm = gn;
          const gnb = await maybe(`${p}attn.g_norm.bias`);
          if (gnb) L.gNormBias = gnb;
          const step = await packStep(ctx, c, source, p, seg);
          if (step) {
            owned.push(step.packed);
            L.step = step;
          }
        }
        layers.push(L);
      }
      const finalNorm = await up('model.norm.weight');
      const lmHead = c.tieWordEmbeddings ? embed : await up('lm_head.weight');
      return new GpuModel(ctx, c, embed, layers, finalNorm, lmHead, owned);
    } catch (e) {
      for (const t of owned) t.dispose();
      throw e;
    }
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }
}

/**
 * Per-sequence state of every layer. Created empty (position 0); reset() zeroes it. Every recurrent
 * part (GLA states, denominators, key maxima, conv histories) is a 256-byte-aligned region of ONE
 * buffer, so the whole recurrent state is saved and restored with one copy (snapshot / restore).
 */
export class ModelState {
  position = 0;
  /** Per GLA layer: S [1, Hkv, dkf, dv]; z [1, Hkv, dkf] (denominator); running key max [1, Hkv]. */
  readonly glaState: Array<Tensor | null> = [];
  readonly zState: Array<Tensor | null> = [];
  readonly keyMax: Array<Tensor | null> = [];
  /** Short-conv histories: one region per layer, with [K-1, C] views of q, k and v (null without conv). */
  readonly convHist: Array<(ConvHistory & { views: { q: Tensor; k: Tensor; v: Tensor } }) | null> = [];
  readonly kv: Array<{ k: Tensor; v: Tensor; capacity: number } | null> = [];
  /** The one buffer holding every recurrent part. */
  private readonly arena: Tensor;
  private saved: { copy: Tensor; position: number } | null = null;

  constructor(
    private readonly ctx: GpuContext,
    readonly config: ModelConfig,
  ) {
    const c = config;
    const dkf = featureDim(c);
    const K = c.convSize;
    const pad = (n: number): number => Math.ceil(n / 64) * 64;
    // Layout first (element offsets, each part padded to 64 elements = 256 bytes), then one buffer.
    const widths = [c.numHeads * c.headDimK, c.numKvHeads * c.headDimK, c.numKvHeads * c.headDimV];
    const histSizes = widths.map((w) => pad((K - 1) * w));
    const parts: Array<{ s: number; z: number; m: number; h: number } | null> = [];
    let n = 0;
    const take = (count: number): number => {
      const at = n;
      n += pad(count);
      return at;
    };
    for (let i = 0; i < c.numLayers; i++) {
      if (isSoftmaxLayer(c, i)) {
        parts.push(null);
        continue;
      }
      const s = take(c.numKvHeads * dkf * c.headDimV);
      const z = take(c.numKvHeads * dkf);
      const m = take(c.numKvHeads);
      const h = c.useShortConv && K > 1 ? take(histSizes.reduce((a, b) => a + b, 0)) : -1;
      parts.push({ s, z, m, h });
    }
    this.arena = ctx.tensor([Math.max(64, n)], 'f32', 'recurrent_state');
    const A = this.arena;
    for (let i = 0; i < c.numLayers; i++) {
      const p = parts[i];
      this.glaState.push(p ? A.region(p.s, [1, c.numKvHeads, dkf, c.headDimV], `state.L${i}`) : null);
      this.zState.push(p ? A.region(p.z, [1, c.numKvHeads, dkf], `zstate.L${i}`) : null);
      this.keyMax.push(p ? A.region(p.m, [1, c.numKvHeads], `keymax.L${i}`) : null);
      if (p && p.h >= 0) {
        // q, k, v histories back to back in the layer's region, each starting on a 256-byte boundary.
        const buffer = A.region(p.h, [histSizes.reduce((a, b) => a + b, 0), 1], `conv_history.L${i}`);
        const at = [0, histSizes[0] as number, (histSizes[0] as number) + (histSizes[1] as number)];
        const view = (j: number): Tensor => buffer.rows(at[j] as number, (K - 1) * (widths[j] as number)).view([K - 1, widths[j] as number]);
        this.convHist.push({ buffer, q: at[0] as number, k: at[1] as number, v: at[2] as number, views: { q: view(0), k: view(1), v: view(2) } });
      } else {
        this.convHist.push(null);
      }
      this.kv.push(null);
    }
    this.reset();
  }

  /** Zeroes states and histories, drops KV caches and any snapshot; position back to 0. */
  reset(): void {
    this.position = 0;
    this.ctx.zero(this.arena);
    for (let i = 0; i < this.kv.length; i++) {
      const kv = this.kv[i];
      if (kv) [kv.k, kv.v].forEach((t) => t.dispose());
      this.kv[i] = null;
    }
    this.saved?.copy.dispose();
    this.saved = null;
  }

  /**
   * Saves the recurrent state and the position (one GPU copy, ordered with the encoded work), so that
   * restore() can undo the tokens fed after it. KV caches are append-only: restoring the position is
   * enough for them.
   */
  snapshot(): void {
    this.saved ??= { copy: this.ctx.tensor([this.arena.size], 'f32', 'recurrent_state.saved'), position: 0 };
    this.ctx.copy(this.arena, this.saved.copy);
    this.saved.position = this.position;
  }

  /** Returns to the last snapshot (a ShapeError without one). */
  restore(): void {
    if (!this.saved) throw new ShapeError('state', 'restore() without a snapshot');
    this.ctx.copy(this.saved.copy, this.arena);
    this.position = this.saved.position;
  }

  /** Bytes held by recurrent states and KV caches (the "state vs KV cache memory" figure). */
  get bytes(): { state: number; kvCache: number } {
    let state = 0;
    let kvCache = 0;
    for (const t of [...this.glaState, ...this.zState, ...this.keyMax]) if (t) state += t.size * 4;
    for (const h of this.convHist) if (h) state += h.buffer.size * 4;
    for (const kv of this.kv) if (kv) kvCache += (kv.k.size + kv.v.size) * 4;
    return { state, kvCache };
  }

  /** Ensures layer i's KV cache holds at least `needed` positions (grows geometrically, keeps contents). */
  kvFor(i: number, needed: number): { k: Tensor; v: Tensor; capacity: number } {
    const c = this.config;
    const hd = softmaxHeadDim(c);
    const cur = this.kv[i];
    if (cur && cur.capacity >= needed) return cur;
    const capacity = Math.max(256, 2 ** Math.ceil(Math.log2(needed)));
    const k = this.ctx.tensor([capacity, c.numKvHeads, hd], 'f32', `kcache.L${i}`);
    const v = this.ctx.tensor([capacity, c.numKvHeads, hd], 'f32', `vcache.L${i}`);
    if (cur) {
      const n = this.position * c.numKvHeads * hd;
      if (n > 0) {
        this.ctx.copy(cur.k, k, 0, 0, n);
        this.ctx.copy(cur.v, v, 0, 0, n);
      }
      cur.k.dispose();
      cur.v.dispose();
    }
    const next = { k, v, capacity };
    this.kv[i] = next;
    return next;
  }

  dispose(): void {
    this.reset();
    this.arena.dispose();
  }
}

/**
 * Packs a GLA layer's small weights (conv kernels, low-rank second gate stages, hedgehog maps, the
 * output norm) into one buffer for the fused decode step; undefined when the step does not fit.
 */
async function packStep(
  ctx: GpuContext,
  c: ModelConfig,
  source: WeightSource,
  p: string,
  seg: InputSegments,
): Promise<{ packed: Tensor; packedOffsets: PackedOffsets; offsets: ProjOffsets; dims: GlaStepDims } | undefined> {
  const rank = c.gateLowRankDim ?? 0;
  const dims: GlaStepDims = {
    Hq: c.numHeads,
    Hkv: c.numKvHeads,
    dk: c.headDimK,
    dkf: featureDim(c),
    dv: c.headDimV,
    rank: c.gate === 'none' ? 0 : rank,
    K: c.useShortConv ? c.convSize : 1,
  };
  if (!glaStepSupported(dims, c.featureMap)) return undefined;
  // These are small (conv kernels, low-rank second stages, hedgehog maps, norm weights): read them all.
  const parts: Float32Array[] = [];
  let n = 0;
  const add = async (name: string): Promise<number> => {
    if (source.shape(name) === undefined) return 0;
    const d = await source.read(name);
    const at = n;
    parts.push(d);
    n += d.length;
    return at;
  };
  const packedOffsets: PackedOffsets = {
    qc: await add(`${p}attn.q_conv1d.weight`),
    kc: await add(`${p}attn.k_conv1d.weight`),
    vc: await add(`${p}attn.v_conv1d.weight`),
    w1k: await add(`${p}attn.gk_proj.1.weight`),
    b1k: await add(`${p}attn.gk_proj.1.bias`),
    w1r: await add(`${p}attn.gr_proj.1.weight`),
    b1r: await add(`${p}attn.gr_proj.1.bias`),
    w1v: await add(`${p}attn.gv_proj.1.weight`),
    b1v: await add(`${p}attn.gv_proj.1.bias`),
    hqw: await add(`${p}attn.fmap_q.weight`),
    hqb: await add(`${p}attn.fmap_q.bias`),
    hkw: await add(`${p}attn.fmap_k.weight`),
    hkb: await add(`${p}attn.fmap_k.bias`),
    nw: await add(`${p}attn.g_norm.weight`),
    nb: await add(`${p}attn.g_norm.bias`),
  };
  const packed = ctx.tensor([Math.max(1, n)], 'f32', `${p}attn.step_params`);
  let off = 0;
  for (const d of parts) {
    ctx.write(packed, d, off);
    off += d.length;
  }
  const at = (k: keyof InputSegments): number => seg[k]?.row ?? -1;
  const offsets: ProjOffsets = { q: at('q'), k: at('k'), v: at('v'), gk: at('gk'), gr: at('gr'), gv: at('gv'), g: at('g') };
  return { packed, packedOffsets, offsets, dims };
}

/**
 * Gate logits from the gate's input-projection output `first` (the logits themselves for a full-rank
 * gate; z = x·W0ᵀ for a low-rank one, which goes through W1 here).
 */
function gateLogits(ctx: GpuContext, first: Tensor, g: GateWeights, layer: number, op: string): Tensor {
  if (g.w) return first;
  if (!g.w0 || !g.w1) throw new ShapeError(op, 'gate projection has neither full nor low-rank weights');
  const y = matmul(ctx, { x: first, w: g.w1, bias: g.bias, op: `${op}.1`, layer });
  first.dispose();
  return y;
}

type Projections = { [K in keyof InputSegments]?: Tensor } & {
  /** Frees every part (idempotent per part) and, for the fused projection, its buffer. */
  done(): void;
};

/**
 * Every input projection of x = attn_norm(h) (spec §1.5 steps 1–2): a prefill runs them as one
 * segmented matmul over the stacked in_proj weight (one dispatch, a GPU-filling problem instead of
 * several narrow ones; the parts are borrowed blocks of one buffer, freed by done()); a few rows
 * (unfused decode) take one GEMV per segment (owned parts). Either way the caller may dispose a part
 * when it is finished with it and calls done() at the layer's end, which frees whatever is left.
 */
function inputProjections(ctx: GpuContext, xn: Tensor, L: LayerWeights, layer: number): Projections {
  const keys = (Object.keys(L.inProj.seg) as Array<keyof InputSegments>).sort((a, b) => (L.inProj.seg[a]?.row ?? 0) - (L.inProj.seg[b]?.row ?? 0));
  const opOf = (k: keyof InputSegments): string => (k === 'gk' || k === 'gr' || k === 'gv') && !L[k]?.w ? `${k}_proj.0` : `${k}_proj`;
  const out: Projections = { done: () => keys.forEach((k) => out[k]?.dispose()) };
  if ((xn.shape[0] ?? 0) > GEMV_MAX_ROWS) {
    const { out: owner, parts } = matmulSegments(ctx, {
      x: xn,
      w: L.inProj.w,
      bias: L.inProj.bias,
      segments: keys.map((k) => L.inProj.seg[k] as { row: number; rows: number }),
      names: keys.map(opOf),
      op: 'in_proj',
      layer,
    });
    keys.forEach((k, i) => (out[k] = parts[i] as Tensor));
    out.done = () => owner.dispose(); // the parts are borrowed blocks of it
    return out;
  }
  for (const k of keys) {
    const sg = L.inProj.seg[k] as { row: number; rows: number };
    const full = (k === 'gk' || k === 'gr' || k === 'gv') && L[k]?.w !== undefined;
    out[k] = matmul(ctx, {
      x: xn,
      w: L.inProj.w.rows(sg.row, sg.rows),
      ...(full ? { bias: L.inProj.bias.rows(sg.row, sg.rows) } : {}),
      op: opOf(k),
      layer,
    });
  }
  return out;
}

/** scale_head: each scaled head's block of `headDim` columns of y [T, Hq · headDim], in place. */
function scaleHeads(ctx: GpuContext, y: Tensor, eff: LayerEffect, headDim: number, layer: number): void {
  for (const [head, s] of eff.headScales ?? []) scaleColumns(ctx, { x: y, col0: head * headDim, cols: headDim, s, op: 'scale_head', layer });
}

/** Reshapes a tensor view-free: ops take explicit shapes, so this returns a reshaped alias handle. */
function as(t: Tensor, shape: readonly number[]): Tensor {
  return t.view(shape);
}

/** Split-K slices of the decode MLP: enough workgroups to stream the weights, few partial rows to re-read. */
function decodeSlices(I: number): number {
  return Math.min(Math.max(1, I), Math.max(Math.ceil(I / MLP_MAX_SLICE), Math.min(64, Math.ceil(I / 32))));
}

/** Whether decode can run the fused path (4 dispatches per GLA layer). */
export function canFuseDecode(model: GpuModel): boolean {
  return model.config.hiddenSize <= FUSED_MAX_HIDDEN && model.layers.every((L) => L.softmax || L.step !== undefined);
}

/**
 * One token through the fused decode path: per GLA layer (1) attn_norm + every input projection in
 * one GEMV that also adds the previous MLP's split-K partials into the residual, (2) the fused layer
 * step, (3) o_proj + residual, (4) mlp_norm + gate/up + SwiGLU + down as split-K partials.
 */
function decodeStep(model: GpuModel, state: ModelState, ids: Tensor): Tensor {
  const { ctx, config: c } = model;
  const H = c.hiddenSize;
  const pos0 = state.position;
  const slices = decodeSlices(c.intermediateSize);
  let h = embedding(ctx, { ids, table: model.embed });
  let partials: Tensor | undefined;
  for (let li = 0; li < c.numLayers; li++) {
    const L = model.layers[li] as LayerWeights;
    const resid = ctx.tensor([1, H], 'f32', 'resid');
    const proj = gemvNorm(ctx, {
      resid: h,
      partials,
      normWeight: L.attnNorm,
      eps: c.normEps,
      w: L.inProj.w,
      bias: L.inProj.bias,
      residOut: resid,
      op: 'in_proj',
      layer: li,
    });
    h.dispose();
    partials?.dispose();
    h = resid;
    let y: Tensor;
    let width: number;
    if (L.softmax) {
      const hd = softmaxHeadDim(c);
      const col = proj.view([proj.size, 1]);
      const segView = (k: 'q' | 'k' | 'v', heads: number): Tensor => {
        const sg = L.inProj.seg[k] as { row: number; rows: number };
        return col.rows(sg.row, sg.rows).view([1, heads, hd]);
      };
      const qr = rope(ctx, { x: segView('q', c.numHeads), pos0, theta: c.ropeTheta });
      const kr = rope(ctx, { x: segView('k', c.numKvHeads), pos0, theta: c.ropeTheta });
      const cache = state.kvFor(li, pos0 + 1);
      kvAppend(ctx, { k: kr, v: segView('v', c.numKvHeads), kCache: cache.k, vCache: cache.v, pos0 });
      y = softmaxAttention(ctx, { q: qr, kCache: cache.k, vCache: cache.v, pos0, T: 1 });
      width = c.numHeads * hd;
      qr.dispose();
      kr.dispose();
    } else {
      const st = L.step as NonNullable<LayerWeights['step']>;
      const hist = state.convHist[li];
      y = glaStep(ctx, {
        dims: st.dims,
        gate: c.gate,
        featureMap: c.featureMap,
        norm: c.attnNorm,
        denominator: c.denominator,
        outputGate: c.useOutputGate,
        conv: c.useShortConv,
        invTau: c.gate === 'sigmoid' ? 1 : 1 / c.gateLogitNormalizer,
        clampMin: c.clampMin,
        scale: readoutScale(c),
        eps: c.normEps,
        first: pos0 === 0,
        proj,
        offsets: st.offsets,
        packed: st.packed,
        packedOffsets: st.packedOffsets,
        state: state.glaState[li] as Tensor,
        zState: state.zState[li] as Tensor,
        keyMax: state.keyMax[li] as Tensor,
        ...(hist ? { hist } : {}),
        layer: li,
      });
      width = c.numHeads * c.headDimV;
    }
    proj.dispose();
    const h2 = matmul(ctx, { x: y.view([1, width]), w: L.o, residual: h, op: 'o_proj', layer: li });
    y.dispose();
    h.dispose();
    h = h2;
    partials = mlpPartial(ctx, { h, normWeight: L.mlpNorm, eps: c.normEps, wGateUp: L.gateUp, wDown: L.down, slices, op: 'mlp', layer: li });
  }
  const resid = ctx.tensor([1, H], 'f32', 'resid');
  const logits = gemvNorm(ctx, { resid: h, partials, normWeight: model.finalNorm, eps: c.normEps, w: model.lmHead, residOut: resid, op: 'lm_head' });
  [h, partials, resid].forEach((t) => t?.dispose());
  state.position += 1;
  return logits.view([1, c.vocabSize]);
}

/**
 * Runs `ids` (u32 [T]) through the model, advancing `state` by T positions. Returns the logits
 * ([1, vocab] for 'last', [T, vocab] for 'all'); the caller disposes them.
 */
export function forward(model: GpuModel, state: ModelState, ids: Tensor, o: ForwardOptions): Tensor {
  const { ctx, config: c } = model;
  const T = ids.size;
  if (T === 0) throw new ShapeError('ids', 'at least one token is needed');
  const pos0 = state.position;
  const tap = o.tap ?? null;
  const interventions = o.interventions ?? [];
  validateInterventions(c, interventions);
  ctx.currentLayer = undefined; // (a forward that threw may have left its layer set)
  // Capture taps observe the unfused intermediates, and interventions edit them; without either,
  // decode takes the fused path.
  if (T === 1 && !tap && interventions.length === 0 && o.fused !== false && canFuseDecode(model)) return decodeStep(model, state, ids);
  const mode = T === 1 ? 'recurrent' : (o.mode ?? 'chunk');
  const chunkSize = o.chunkSize ?? 64;
  // Checked before anything is allocated, so a bad option leaves no live tensors behind.
  if (mode === 'chunk' && !(Number.isInteger(chunkSize) && chunkSize % 16 === 0 && chunkSize >= 16 && chunkSize <= 128)) {
    throw new ShapeError('chunkSize', `${chunkSize} must be a multiple of 16 in 16…128`);
  }
  const dkf = featureDim(c);
  const scale = readoutScale(c);
  const Hq = c.numHeads;
  const Hkv = c.numKvHeads;

  let h = embedding(ctx, { ids, table: model.embed });
  for (let li = 0; li < c.numLayers; li++) {
    const L = model.layers[li] as LayerWeights;
    ctx.currentLayer = li;
    const site: TapSite = { layer: li, pos0, T };
    // This layer's settings under the interventions (the config's own when there are none).
    const eff = layerEffect(c, interventions, li);
    tap?.('hidden', h, site);
    const xn = rowNorm(ctx, { x: h, weight: L.attnNorm, eps: c.normEps, kind: 'rmsnorm', layer: li, op: 'attn_norm' });
    let y: Tensor;
    const proj = inputProjections(ctx, xn, L, li);
    if (L.softmax) {
      const hd = softmaxHeadDim(c);
      const q = proj.q as Tensor;
      const k = proj.k as Tensor;
      const v = proj.v as Tensor;
      const qr = rope(ctx, { x: as(q, [T, Hq, hd]), pos0, theta: c.ropeTheta });
      const kr = rope(ctx, { x: as(k, [T, Hkv, hd]), pos0, theta: c.ropeTheta });
      const cache = state.kvFor(li, pos0 + T);
      kvAppend(ctx, { k: kr, v: as(v, [T, Hkv, hd]), kCache: cache.k, vCache: cache.v, pos0 });
      const att = softmaxAttention(ctx, { q: qr, kCache: cache.k, vCache: cache.v, pos0, T });
      y = as(att, [T, Hq * hd]);
      scaleHeads(ctx, y, eff, hd, li);
      [q, k, v, qr, kr].forEach((t) => t.dispose());
    } else {
      let q = proj.q as Tensor;
      let k = proj.k as Tensor;
      let v = proj.v as Tensor;
      const hist = state.convHist[li]?.views;
      if (L.qConv && L.kConv && L.vConv && hist) {
        const rq = shortConv(ctx, { x: q, weight: L.qConv, history: hist.q });
        const rk = shortConv(ctx, { x: k, weight: L.kConv, history: hist.k });
        const rv = shortConv(ctx, { x: v, weight: L.vConv, history: hist.v });
        for (const [r, t] of [[rq, hist.q], [rk, hist.k], [rv, hist.v]] as const) {
          ctx.copy(r.history, t);
          r.history.dispose();
        }
        [q, k, v].forEach((t) => t.dispose());
        q = rq.y;
        k = rk.y;
        v = rv.y;
      }
      // Gates (spec §1.5 step 4): log α per key channel, value-side for fast_decay.
      let A: Tensor | undefined;
      let D: Tensor | undefined;
      if (c.gate !== 'none' && L.gk) {
        const a = gateLogits(ctx, proj.gk as Tensor, L.gk, li, 'gk_proj');
        const cl = L.gr && proj.gr ? gateLogits(ctx, proj.gr, L.gr, li, 'gr_proj') : undefined;
        const b = L.gv && proj.gv ? gateLogits(ctx, proj.gv, L.gv, li, 'gv_proj') : undefined;
        // clamp_g / force_r edit the logits in place, before the taps see them.
        if (eff.clampA) clampInPlace(ctx, { x: a, ...eff.clampA, op: 'clamp_g.a', layer: li });
        if (eff.clampC && cl) clampInPlace(ctx, { x: cl, ...eff.clampC, op: 'force_r.c', layer: li });
        if (eff.clampB && b) clampInPlace(ctx, { x: b, ...eff.clampB, op: 'clamp_g.b', layer: li });
        const a4 = as(a, [1, T, Hkv, c.headDimK]);
        tap?.('gate.a', a4, site);
        if (cl) tap?.('gate.c', as(cl, [1, T, Hkv, c.headDimK]), site);
        if (b) tap?.('gate.b', as(b, [1, T, Hkv, c.headDimV]), site);
        const g = logGate(ctx, {
          kind: c.gate,
          a: a4,
          ...(cl ? { c: as(cl, [1, T, Hkv, c.headDimK]) } : {}),
          ...(b ? { b: as(b, [1, T, Hkv, c.headDimV]) } : {}),
          normalizer: c.gate === 'sigmoid' ? 1 : c.gateLogitNormalizer,
          clampMin: c.clampMin,
          repeat: c.featureMap === 'hedgehog' ? 2 : 1,
        });
        A = g.A;
        D = g.D;
        [a, cl, b].forEach((t) => t?.dispose());
      }
      // Feature maps (step 5); feature_map interventions swap the kind (same width, no weights).
      const fmap = eff.featureMap;
      const hedgehog = fmap === 'hedgehog';
      const q4 = as(q, [1, T, Hq, c.headDimK]);
      const k4 = as(k, [1, T, Hkv, c.headDimK]);
      const phiQ = featureMap(ctx, {
        kind: fmap,
        x: q4,
        ...(hedgehog && L.fmapQ ? { weight: L.fmapQ.w, bias: L.fmapQ.b } : {}),
      });
      let phiK: Tensor;
      if (fmap === 'exp_norm') {
        const keyMax = state.keyMax[li] as Tensor;
        const r = expNormKeys(ctx, { k: k4, ...(A ? { A } : {}), ...(pos0 > 0 ? { mPrev: keyMax } : {}) });
        ctx.copy(r.mOut, keyMax);
        r.mOut.dispose();
        A?.dispose();
        A = r.A;
        phiK = r.phiK;
      } else {
        phiK = featureMap(ctx, { kind: fmap, x: k4, ...(hedgehog && L.fmapK ? { weight: L.fmapK.w, bias: L.fmapK.b } : {}) });
      }
      if (A) tap?.('gate.logA', A, site);
      if (D) tap?.('gate.logD', D, site);
      tap?.('phi.q', phiQ, site);
      tap?.('phi.k', phiK, site);
      if (fmap === 'exp_norm') tap?.('keymax', state.keyMax[li] as Tensor, site);
      // Recurrence and read-out (step 6). The recurrence updates the state in place: taps see the state
      // entering the block here, and whatever they enqueue runs before the recurrence (encoder order).
      const v4 = as(v, [1, T, Hkv, c.headDimV]);
      tap?.('v', v4, site);
      tap?.('state.in', state.glaState[li] as Tensor, site);
      const glaArgs = {
        q: phiQ,
        k: phiK,
        v: v4,
        ...(A ? { A } : {}),
        ...(D ? { D } : {}),
        scale,
        denominator: c.denominator,
        state: state.glaState[li] as Tensor,
        ...(c.denominator ? { zState: state.zState[li] as Tensor } : {}),
      };
      const o4 = mode === 'chunk' ? glaChunk(ctx, { ...glaArgs, chunkSize }) : glaRecurrent(ctx, glaArgs);
      tap?.('attn.o', o4, site);
      tap?.('state', state.glaState[li] as Tensor, site);
      [q, k, v, phiQ, phiK, A, D].forEach((t) => t?.dispose());
      // Output norm and gate (steps 7–8).
      const gl = proj.g;
      // no_output_norm runs the kind 'none' (the output gate still applies); scale_head scales attn.y.
      const norm = eff.attnNorm;
      y = attnOutput(ctx, {
        o: as(o4, [T, Hq, c.headDimV]),
        kind: norm,
        ...(norm !== 'none' && L.gNorm ? { weight: L.gNorm } : {}),
        ...(norm === 'layernorm' && L.gNormBias ? { bias: L.gNormBias } : {}),
        eps: c.normEps,
        ...(gl ? { gate: gl } : {}),
      });
      scaleHeads(ctx, y, eff, c.headDimV, li);
      tap?.('attn.y', y, site);
      o4.dispose();
      gl?.dispose();
      void dkf;
    }
    proj.done();
    xn.dispose();
    // Residual add fused into o_proj; then the SwiGLU MLP (§2).
    const h2 = matmul(ctx, { x: y, w: L.o, residual: h, op: 'o_proj', layer: li });
    y.dispose();
    h.dispose();
    const xm = rowNorm(ctx, { x: h2, weight: L.mlpNorm, eps: c.normEps, kind: 'rmsnorm', layer: li, op: 'mlp_norm' });
    const gu = matmul(ctx, { x: xm, w: L.gateUp, op: 'gate_up_proj', layer: li });
    h = matmul(ctx, { x: gu, glu: true, w: L.down, residual: h2, op: 'down_proj', layer: li });
    [xm, gu, h2].forEach((t) => t.dispose());
    // Submit each layer of a prefill as it is encoded: the GPU runs layer i while the host encodes
    // layer i + 1 (one submit at the end serialized all host encoding before any GPU work), and the
    // layer's freed buffers return to the pool for the next one.
    if (T > 1 && o.submitPerLayer !== false) ctx.flush();
  }
  ctx.currentLayer = undefined;
  // Final norm and LM head, on the last row only unless every row's logits are wanted.
  let last = h;
  if (o.logits === 'last' && T > 1) {
    last = ctx.tensor([1, c.hiddenSize], 'f32', 'last_hidden');
    ctx.copy(h, last, (T - 1) * c.hiddenSize, 0, c.hiddenSize);
  }
  const xf = rowNorm(ctx, { x: last, weight: model.finalNorm, eps: c.normEps, kind: 'rmsnorm', op: 'final_norm' });
  const logits = matmul(ctx, { x: xf, w: model.lmHead, op: 'lm_head' });
  tap?.('logits', logits, { layer: c.numLayers, pos0, T });
  xf.dispose();
  if (last !== h) last.dispose();
  h.dispose();
  state.position += T;
  return logits;
}
