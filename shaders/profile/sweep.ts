// Variant sweeps: prefill and decode latency of several model configurations over sequence
// lengths × chunk sizes, with the recurrent-state vs KV-cache bytes each run leaves behind, plus
// the linear-vs-softmax crossover length and the memory table derived from those rows.

import type { GpuContext } from '../gpu/context.js';
import { configToJson, isSoftmaxLayer, parseConfig, softmaxHeadDim, type ModelConfig } from '../model/config.js';
import { Session } from '../model/session.js';
import type { WeightMap, WeightSource } from '../model/weights.js';
import { quantile, type Phase } from './profile.js';
import { csvField } from './trace.js';

export interface SweepVariant {
  name: string;
  /** A normalized ModelConfig or a raw config.json object. */
  config: ModelConfig | Record<string, unknown>;
  /** In-memory weights, or a source read tensor by tensor (e.g. a model folder). */
  weights: WeightMap | WeightSource;
}

export interface SweepOptions {
  configs: readonly SweepVariant[];
  seqLens: readonly number[];
  chunkSizes: readonly number[];
  decodeTokens: number;
  /** Measured repeats per (variant, T, chunk) (≥ 1); times are their medians. */
  repeat: number;
  /** Discarded runs before the first measured one of each session (default 1); with `interleave`, of each cell. */
  warmup?: number;
  /**
   * Open every variant's session at once and, at each (chunk, T), run `warmup` discarded runs of
   * each variant and then alternate the variants run by run, so that compilation, allocation and
   * clock or thermal drift hit them alike: what a crossover between two variants needs. Costs all
   * the models' memory together. Rows then come in the order chunk, T, variant. Default false.
   */
  interleave?: boolean;
  /**
   * Run discarded prefills at the first length for this long after the sessions open, before the
   * first measured cell (default 0): a GPU left idle while the weights were built clocks down and
   * takes a moment to come back (on the H200 the first lengths measured up to 3× slow without).
   */
  warmupMs?: number;
  /** Called after each row (progress). */
  onRow?: (row: SweepRow) => void;
}

export interface SweepRow {
  variant: string;
  T: number;
  chunk: number;
  /** CPU wall time of prefill(T tokens) until ctx.sync() returns. */
  prefillMs: number;
  /** CPU wall time per decode step (NaN when decodeTokens = 0). */
  decodeMsPerToken: number;
  /** Recurrent state (GLA S, z, key max, conv histories) after T + decodeTokens tokens. */
  stateBytes: number;
  /** KV-cache bytes allocated (capacity grows geometrically, at least 256 positions). */
  kvCacheBytes: number;
  /** KV-cache bytes holding positions: softmax layers · 2 · positions · Hkv · head dim · 4. */
  kvUsedBytes: number;
}

// performance.now exists in browsers, Node and Workers; the engine's lib (ES2022) does not declare it.
const now = (): number => (globalThis as unknown as { performance: { now(): number } }).performance.now();

function asConfig(c: ModelConfig | Record<string, unknown>): ModelConfig {
  return 'numLayers' in c ? (c as ModelConfig) : parseConfig(c);
}

function isSource(w: WeightMap | WeightSource): w is WeightSource {
  return typeof (w as Partial<WeightSource>).read === 'function';
}

/** Whether a config has at least one softmax-attention layer (softmax or hybrid). */
export function hasSoftmaxLayers(c: ModelConfig | Record<string, unknown>): boolean {
  return asConfig(c).hybridSoftmaxLayers.length > 0;
}

/**
 * The engine's own softmax-attention comparison for a config: the same model with every layer a
 * causal softmax-attention layer (RoPE, KV cache). Timing does not depend on the weights, so pair
 * it with randomWeights(config).
 */
export function softmaxBaselineConfig(c: ModelConfig | Record<string, unknown>): ModelConfig {
  const base = asConfig(c);
  return parseConfig({ ...configToJson(base), hybrid_softmax_layers: Array.from({ length: base.numLayers }, (_, i) => i) });
}

/** Bytes of K and V cached per position across the softmax layers of a config. */
export function kvBytesPerPosition(c: ModelConfig): number {
  let layers = 0;
  for (let i = 0; i < c.numLayers; i++) if (isSoftmaxLayer(c, i)) layers++;
  return layers * 2 * c.numKvHeads * softmaxHeadDim(c) * 4;
}

/**
 * For each variant (one Session, disposed at the end), each chunk size and each T: `warmup`
 * discarded runs on the session's first measurement, then `repeat` runs of reset → prefill(T ids
 * cycling through the vocabulary) → decodeTokens single steps. Rows come in the order
 * variant, chunk, T.
 */
export async function sweep(ctx: GpuContext, o: SweepOptions): Promise<SweepRow[]> {
  if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new RangeError(`sweep: repeat must be an integer ≥ 1, got ${o.repeat}`);
  if (!Number.isInteger(o.decodeTokens) || o.decodeTokens < 0) throw new RangeError('sweep: decodeTokens must be an integer ≥ 0');
  for (const T of o.seqLens) if (!Number.isInteger(T) || T < 1) throw new RangeError(`sweep: sequence length ${T} is not an integer ≥ 1`);
  const warmup = o.warmup ?? 1;
  return o.interleave ? sweepInterleaved(ctx, o, warmup) : sweepByVariant(ctx, o, warmup);
}

/** A variant with its session open. */
export interface OpenVariant {
  name: string;
  config: ModelConfig;
  session: Session;
}

async function openSession(ctx: GpuContext, v: SweepVariant): Promise<OpenVariant> {
  const config = asConfig(v.config);
  const session = isSource(v.weights) ? await Session.load(ctx, config, v.weights) : await Session.create(ctx, config, v.weights);
  return { name: v.name, config, session };
}

/** Prefills of T tokens (and the decode steps) on `s` until `ms` milliseconds have passed. */
async function spin(ctx: GpuContext, s: Session, T: number, decodeTokens: number, ms: number): Promise<void> {
  const until = now() + ms;
  while (now() < until) await sweepRun(ctx, s, T, decodeTokens);
}

/**
 * One run of a sweep cell: reset → prefill(T ids cycling through the vocabulary) → decodeTokens single
 * steps; CPU wall ms of the prefill and per decode step (NaN without steps), each until the GPU is idle.
 */
export async function sweepRun(ctx: GpuContext, s: Session, T: number, decodeTokens: number): Promise<{ prefill: number; decode: number }> {
  const V = s.config.vocabSize;
  await s.reset();
  let a = now();
  await s.prefill(Array.from({ length: T }, (_, i) => i % V));
  await ctx.sync();
  let b = now();
  const prefill = b - a;
  a = b;
  for (let i = 0; i < decodeTokens; i++) await s.step((T + i) % V);
  await ctx.sync();
  b = now();
  return { prefill, decode: decodeTokens > 0 ? (b - a) / decodeTokens : NaN };
}

/** A cell's row from its measured runs' times; memory as the session holds it now (call before its reset). */
export function sweepRow(v: OpenVariant, T: number, chunk: number, decodeTokens: number, pre: number[], dec: number[]): SweepRow {
  const bytes = v.session.stateBytes;
  return {
    variant: v.name,
    T,
    chunk,
    prefillMs: quantile(pre, 0.5),
    decodeMsPerToken: quantile(dec, 0.5),
    stateBytes: bytes.state,
    kvCacheBytes: bytes.kvCache,
    kvUsedBytes: kvBytesPerPosition(v.config) * (T + decodeTokens),
  };
}

async function sweepByVariant(ctx: GpuContext, o: SweepOptions, warmup: number): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  for (const sv of o.configs) {
    const v = await openSession(ctx, sv);
    try {
      const T0 = o.seqLens[0];
      if (o.warmupMs && T0 !== undefined) await spin(ctx, v.session, T0, o.decodeTokens, o.warmupMs);
      let warm = false;
      for (const chunk of o.chunkSizes) {
        v.session.chunkSize = chunk;
        for (const T of o.seqLens) {
          const pre: number[] = [];
          const dec: number[] = [];
          const runs = (warm ? 0 : warmup) + o.repeat;
          for (let r = 0; r < runs; r++) {
            const t = await sweepRun(ctx, v.session, T, o.decodeTokens);
            if (r < runs - o.repeat) continue;
            pre.push(t.prefill);
            if (o.decodeTokens > 0) dec.push(t.decode);
          }
          warm = true;
          const row = sweepRow(v, T, chunk, o.decodeTokens, pre, dec); // stateBytes before the reset below
          await v.session.reset();
          rows.push(row);
          o.onRow?.(row);
        }
      }
    } finally {
      v.session.dispose();
    }
  }
  return rows;
}

async function sweepInterleaved(ctx: GpuContext, o: SweepOptions, warmup: number): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  const open: OpenVariant[] = [];
  try {
    for (const sv of o.configs) open.push(await openSession(ctx, sv));
    const T0 = o.seqLens[0];
    const v0 = open[0];
    if (o.warmupMs && T0 !== undefined && v0) await spin(ctx, v0.session, T0, o.decodeTokens, o.warmupMs);
    for (const chunk of o.chunkSizes) {
      for (const v of open) v.session.chunkSize = chunk;
      for (const T of o.seqLens) {
        const pre = open.map((): number[] => []);
        const dec = open.map((): number[] => []);
        for (const v of open) for (let r = 0; r < warmup; r++) await sweepRun(ctx, v.session, T, o.decodeTokens);
        for (let r = 0; r < o.repeat; r++) {
          for (const [i, v] of open.entries()) {
            const t = await sweepRun(ctx, v.session, T, o.decodeTokens);
            pre[i]?.push(t.prefill);
            if (o.decodeTokens > 0) dec[i]?.push(t.decode);
          }
        }
        for (const [i, v] of open.entries()) {
          const row = sweepRow(v, T, chunk, o.decodeTokens, pre[i] ?? [], dec[i] ?? []);
          await v.session.reset();
          rows.push(row);
          o.onRow?.(row);
        }
      }
    }
  } finally {
    for (const v of open) v.session.dispose();
  }
  return rows;
}

/**
 * The smallest T at which `linearVariant` is no slower than `softmaxVariant` in `phase`, linearly
 * interpolated between the measured lengths both share; null when it never is. Per T, each
 * variant's time is its best over chunk sizes, or the given chunk's.
 */
export function crossover(rows: readonly SweepRow[], linearVariant: string, softmaxVariant: string, phase: Phase, chunk?: number): number | null {
  const best = (variant: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const r of rows) {
      if (r.variant !== variant || (chunk !== undefined && r.chunk !== chunk)) continue;
      const t = phase === 'prefill' ? r.prefillMs : r.decodeMsPerToken;
      if (!Number.isFinite(t)) continue;
      m.set(r.T, Math.min(m.get(r.T) ?? Infinity, t));
    }
    return m;
  };
  const lin = best(linearVariant);
  const sm = best(softmaxVariant);
  const Ts = [...lin.keys()].filter((T) => sm.has(T)).sort((a, b) => a - b);
  let prevT = NaN;
  let prevD = NaN;
  for (const T of Ts) {
    const d = (lin.get(T) as number) - (sm.get(T) as number);
    if (d <= 0) {
      if (!Number.isFinite(prevD)) return T;
      return prevT + ((T - prevT) * prevD) / (prevD - d);
    }
    prevT = T;
    prevD = d;
  }
  return null;
}

export interface MemoryRow {
  variant: string;
  T: number;
  stateBytes: number;
  kvCacheBytes: number;
  kvUsedBytes: number;
  totalBytes: number;
}

/** State vs KV-cache bytes per (variant, T) (independent of the chunk size), sorted by variant then T. */
export function memoryTable(rows: readonly SweepRow[]): MemoryRow[] {
  const out = new Map<string, MemoryRow>();
  for (const r of rows) {
    const key = `${r.variant}\u0000${r.T}`;
    if (out.has(key)) continue;
    out.set(key, {
      variant: r.variant,
      T: r.T,
      stateBytes: r.stateBytes,
      kvCacheBytes: r.kvCacheBytes,
      kvUsedBytes: r.kvUsedBytes,
      totalBytes: r.stateBytes + r.kvCacheBytes,
    });
  }
  const order = [...new Set(rows.map((r) => r.variant))];
  return [...out.values()].sort((a, b) => order.indexOf(a.variant) - order.indexOf(b.variant) || a.T - b.T);
}

/** The columns of a sweep's CSV (the CLI's --csv and the app's export). */
export const SWEEP_CSV_HEADER = [
  'variant',
  'T',
  'chunk',
  'prefill_ms',
  'prefill_tokens_per_s',
  'decode_ms_per_token',
  'decode_tokens_per_s',
  'state_bytes',
  'kv_cache_bytes',
  'kv_used_bytes',
] as const;

/** tokens / (ms / 1000); NaN when the time is not a positive finite number. */
export function tokensPerSecond(tokens: number, ms: number): number {
  return ms > 0 && Number.isFinite(ms) ? (tokens * 1000) / ms : NaN;
}

/** The rows as CSV (RFC 4180, CRLF) with SWEEP_CSV_HEADER. */
export function sweepCsv(rows: readonly SweepRow[]): string {
  const lines: string[] = [SWEEP_CSV_HEADER.join(',')];
  for (const r of rows) {
    lines.push(
      [r.variant, r.T, r.chunk, r.prefillMs, tokensPerSecond(r.T, r.prefillMs), r.decodeMsPerToken, tokensPerSecond(1, r.decodeMsPerToken), r.stateBytes, r.kvCacheBytes, r.kvUsedBytes]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
