// Profiling runs: prefill + decode of a Session repeated under a DispatchObserver. 'per-op' gives
// every dispatch its own timestamped pass (attribution, at the cost of lost overlap); 'fused' keeps
// the engine's batching and times whole submits (GPU timestamps around each encoder) and whole
// prefill / decode steps on the CPU after ctx.sync (true throughput). Owns the record/statistics shapes that trace.ts and the CLI serialize.

import type { DispatchInfo, DispatchObserver, GpuContext } from '../gpu/context.js';
import { TimestampProfiler } from '../gpu/timestamps.js';
import type { Session } from '../model/session.js';

export type ProfileMode = 'per-op' | 'fused';
export type Phase = 'prefill' | 'decode';

export interface ProfileOptions {
  prompt: readonly number[];
  decodeTokens: number;
  /** Measured repeats (≥ 1). */
  repeat: number;
  /** Repeats run first and discarded (pipeline compilation, pool warm-up). */
  warmup: number;
  mode: ProfileMode;
  /** Label of this configuration in records and traces (default: the model type). */
  variant?: string;
  /** Adapter description from the host (the engine never asks the adapter itself). */
  adapter?: Readonly<Record<string, string>>;
  /** Device features (default: the context's). */
  features?: readonly string[];
}

export interface ProfileRecord {
  variant: string;
  /** Measured repeat index (0-based, warm-ups excluded). */
  repeat: number;
  layer: number | null;
  op: string;
  kernel: string;
  phase: Phase;
  /** Sequence position: 0 for the prompt's prefill, prompt.length + i for decode step i. */
  token: number;
  workgroups: readonly [number, number, number];
  flops: number;
  bytes: number;
  /** GPU ns relative to the repeat's first timestamp; NaN when not timed per dispatch. */
  startNs: number;
  endNs: number;
}

/** One prefill or one decode step timed on the CPU (ms since the start of profileRun). */
export interface CpuSpan {
  variant: string;
  repeat: number;
  phase: Phase;
  token: number;
  startMs: number;
  endMs: number;
}

export interface OpStats {
  phase: Phase;
  op: string;
  kernel: string;
  /** Dispatches per measured repeat. */
  count: number;
  medianUs: number;
  p10Us: number;
  p90Us: number;
  /** Over all timed dispatches: Σ flops / Σ time, Σ bytes / Σ time. NaN without times. */
  gflops: number;
  gbps: number;
}

export interface ProfilePrecision {
  /** Whether per-dispatch GPU times exist (timestamp-query and 'per-op'). */
  timestamps: boolean;
  quantized: boolean;
  quantumNs: number;
}

export interface ProfileReport {
  variant: string;
  mode: ProfileMode;
  adapter: Readonly<Record<string, string>>;
  features: readonly string[];
  promptTokens: number;
  decodeTokens: number;
  repeat: number;
  warmup: number;
  precision: ProfilePrecision;
  records: ProfileRecord[];
  spans: CpuSpan[];
  /** 'fused' with timestamp-query: each submit timed as a whole (true batching). */
  gpuSpans: GpuSpan[];
  perOp: OpStats[];
  totals: {
    /**
     * Medians over repeats of GPU busy time (Σ dispatches in 'per-op', Σ submit spans in 'fused')
     * when timestamp-query exists, else CPU wall time after ctx.sync().
     */
    prefillMs: number;
    decodeMsPerToken: number;
    source: 'gpu' | 'cpu';
    cpuPrefillMs: number;
    cpuDecodeMsPerToken: number;
  };
}

interface Tag {
  phase: Phase;
  token: number;
}

/** One submit's GPU span in 'fused' mode: first dispatch's start to the encoder's end. */
export interface GpuSpan {
  variant: string;
  repeat: number;
  phase: Phase;
  token: number;
  /** GPU ns relative to the repeat's first timestamp. */
  startNs: number;
  endNs: number;
}

const SPAN_CAPACITY = 1024; // submits per repeat whose span is timed

/**
 * Tags every dispatch with the current phase/token. In 'per-op' it hands a fresh copy of the info
 * to the TimestampProfiler so the timing comes back attributable. In 'fused' it keeps the engine's
 * one-pass batching; with timestamp-query it times each submit as a whole: the first dispatch of an
 * encoder gets a beginning-of-pass write (its own pass: the one perturbation) and an empty pass
 * appended in beforeSubmit gets the end-of-pass write.
 */
class TaggingObserver implements DispatchObserver {
  tag: Tag = { phase: 'prefill', token: 0 };
  readonly tags = new WeakMap<DispatchInfo, Tag>();
  readonly untimed: Array<{ info: DispatchInfo; workgroups: readonly [number, number, number] }> = [];
  private spanQuery: GPUQuerySet | null = null;
  private readonly spanTags: Tag[] = [];
  private open = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly inner: TimestampProfiler | null,
    spans: boolean,
  ) {
    if (spans) this.spanQuery = ctx.device.createQuerySet({ type: 'timestamp', count: 2 * SPAN_CAPACITY });
  }

  beginDispatch(info: DispatchInfo, workgroups: readonly [number, number, number]): GPUComputePassTimestampWrites | undefined {
    const copy: DispatchInfo = { ...info };
    this.tags.set(copy, this.tag);
    if (this.inner) return this.inner.beginDispatch(copy, workgroups);
    this.untimed.push({ info: copy, workgroups });
    if (!this.spanQuery || this.open || this.spanTags.length >= SPAN_CAPACITY) return undefined;
    this.open = true;
    this.spanTags.push(this.tag);
    return { querySet: this.spanQuery, beginningOfPassWriteIndex: 2 * (this.spanTags.length - 1) };
  }

  beforeSubmit(encoder: GPUCommandEncoder): void {
    this.inner?.beforeSubmit(encoder);
    if (this.open && this.spanQuery) {
      const i = this.spanTags.length - 1;
      encoder.beginComputePass({ timestampWrites: { querySet: this.spanQuery, endOfPassWriteIndex: 2 * i + 1 } }).end();
      this.open = false;
    }
  }

  afterSubmit(): void {
    this.inner?.afterSubmit();
  }

  /** Resolves the submit spans recorded since the last call (after ctx.sync()). */
  async collectSpans(): Promise<Array<Tag & { startNs: number; endNs: number }>> {
    const n = this.spanTags.length * 2;
    if (!this.spanQuery || n === 0) return [];
    const d = this.ctx.device;
    const resolve = d.createBuffer({ size: n * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = d.createBuffer({ size: n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const enc = d.createCommandEncoder();
      enc.resolveQuerySet(this.spanQuery, 0, n, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, n * 8);
      d.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const ts = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      const t0 = ts.reduce((a, b) => (b < a ? b : a));
      return this.spanTags.splice(0).map((tag, i) => ({
        ...tag,
        startNs: Number((ts[2 * i] as bigint) - t0),
        endNs: Number((ts[2 * i + 1] as bigint) - t0),
      }));
    } finally {
      resolve.destroy();
      read.destroy();
    }
  }

  destroy(): void {
    this.spanQuery?.destroy();
    this.spanQuery = null;
  }
}

// performance.now exists in browsers, Node and Workers; the engine's lib (ES2022) does not declare it.
const now = (): number => (globalThis as unknown as { performance: { now(): number } }).performance.now();

/** Linear-interpolated quantile of unsorted finite values (NaN when empty). */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (v[lo] as number) + ((v[hi] as number) - (v[lo] as number)) * (pos - lo);
}

/**
 * Timestamp precision of records: quantized when every nonzero duration is a multiple of 65,536 ns
 * (Dawn/Chromium's default quantization), else the smallest nonzero duration (an upper bound).
 */
export function detectPrecision(records: ReadonlyArray<{ startNs: number; endNs: number }>): ProfilePrecision {
  const deltas = records.map((r) => r.endNs - r.startNs).filter((d) => Number.isFinite(d) && d > 0);
  if (deltas.length === 0) return { timestamps: records.some((r) => Number.isFinite(r.startNs)), quantized: false, quantumNs: NaN };
  const quantized = deltas.every((d) => d % 65536 === 0);
  return { timestamps: true, quantized, quantumNs: quantized ? 65536 : Math.min(...deltas) };
}

/** Per (phase, op, kernel) statistics over the measured repeats. */
export function opStats(records: readonly ProfileRecord[], repeats: number): OpStats[] {
  const groups = new Map<string, ProfileRecord[]>();
  for (const r of records) {
    const key = `${r.phase}\u0000${r.op}\u0000${r.kernel}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const out: OpStats[] = [];
  for (const g of groups.values()) {
    const first = g[0] as ProfileRecord;
    const us = g.map((r) => (r.endNs - r.startNs) / 1000);
    const timed = g.filter((r) => Number.isFinite(r.endNs - r.startNs));
    const ns = timed.reduce((s, r) => s + (r.endNs - r.startNs), 0);
    const flops = timed.reduce((s, r) => s + r.flops, 0);
    const bytes = timed.reduce((s, r) => s + r.bytes, 0);
    out.push({
      phase: first.phase,
      op: first.op,
      kernel: first.kernel,
      count: g.length / Math.max(1, repeats),
      medianUs: quantile(us, 0.5),
      p10Us: quantile(us, 0.1),
      p90Us: quantile(us, 0.9),
      gflops: timed.length && ns > 0 ? flops / ns : NaN,
      gbps: timed.length && ns > 0 ? bytes / ns : NaN,
    });
  }
  const phaseOrder = (p: Phase): number => (p === 'prefill' ? 0 : 1);
  return out.sort((a, b) => phaseOrder(a.phase) - phaseOrder(b.phase) || b.medianUs * b.count - a.medianUs * a.count || a.op.localeCompare(b.op));
}

/**
 * Runs `warmup + repeat` times: reset, prefill(prompt), then `decodeTokens` single-token steps
 * (the fused decode path). The session must be idle; its sequence is reset before each repeat
 * and left reset afterwards. Never changes a kernel; only the pass structure differs by mode.
 */
export async function profileRun(session: Session, o: ProfileOptions): Promise<ProfileReport> {
  const ctx: GpuContext = session.ctx;
  const V = session.config.vocabSize;
  if (o.prompt.length === 0) throw new RangeError('profileRun: the prompt needs at least one token');
  if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new RangeError(`profileRun: repeat must be an integer ≥ 1, got ${o.repeat}`);
  if (!Number.isInteger(o.warmup) || o.warmup < 0) throw new RangeError(`profileRun: warmup must be an integer ≥ 0, got ${o.warmup}`);
  if (!Number.isInteger(o.decodeTokens) || o.decodeTokens < 0) throw new RangeError(`profileRun: decodeTokens must be an integer ≥ 0`);
  const variant = o.variant ?? session.config.modelType;
  const P = o.prompt.length;
  const decodeIds = Array.from({ length: o.decodeTokens }, (_, i) => (o.prompt[(P + i) % P] as number) % V);

  const ts = o.mode === 'per-op' ? new TimestampProfiler(ctx) : null;
  const spansOn = o.mode === 'fused' && ctx.features.has('timestamp-query');
  const obs = new TaggingObserver(ctx, ts, spansOn);
  const records: ProfileRecord[] = [];
  const gpuSpans: GpuSpan[] = [];
  const spans: CpuSpan[] = [];
  const cpuPrefill: number[] = [];
  const cpuDecode: number[] = [];
  const gpuPrefill: number[] = [];
  const gpuDecode: number[] = [];
  const t0 = now();

  await session.reset();
  ctx.setObserver(obs);
  try {
    for (let r = 0; r < o.warmup + o.repeat; r++) {
      const measured = r >= o.warmup;
      const rep = r - o.warmup;
      await session.reset();
      obs.tag = { phase: 'prefill', token: 0 };
      let a = now();
      await session.prefill(o.prompt);
      await ctx.sync();
      let b = now();
      if (measured) {
        spans.push({ variant, repeat: rep, phase: 'prefill', token: 0, startMs: a - t0, endMs: b - t0 });
        cpuPrefill.push(b - a);
      }
      const d0 = b;
      for (let i = 0; i < o.decodeTokens; i++) {
        obs.tag = { phase: 'decode', token: P + i };
        a = now();
        await session.step(decodeIds[i] as number);
        await ctx.sync();
        b = now();
        if (measured) spans.push({ variant, repeat: rep, phase: 'decode', token: P + i, startMs: a - t0, endMs: b - t0 });
      }
      if (measured && o.decodeTokens > 0) cpuDecode.push((b - d0) / o.decodeTokens);

      const timings = ts
        ? await ts.collect()
        : obs.untimed.splice(0).map((u) => ({ ...u, startNs: NaN, endNs: NaN }));
      const submits = await obs.collectSpans();
      if (!measured) continue;
      let pre = 0;
      let dec = 0;
      for (const sp of submits) {
        gpuSpans.push({ variant, repeat: rep, ...sp });
        if (sp.phase === 'prefill') pre += sp.endNs - sp.startNs;
        else dec += sp.endNs - sp.startNs;
      }
      for (const t of timings) {
        const tag = obs.tags.get(t.info) ?? { phase: 'prefill', token: 0 };
        const dur = t.endNs - t.startNs;
        if (Number.isFinite(dur)) {
          if (tag.phase === 'prefill') pre += dur;
          else dec += dur;
        }
        records.push({
          variant,
          repeat: rep,
          layer: t.info.layer ?? null,
          op: t.info.op,
          kernel: t.info.kernel,
          phase: tag.phase,
          token: tag.token,
          workgroups: t.workgroups,
          flops: t.info.flops ?? 0,
          bytes: t.info.bytes ?? 0,
          startNs: t.startNs,
          endNs: t.endNs,
        });
      }
      gpuPrefill.push(pre / 1e6);
      if (o.decodeTokens > 0) gpuDecode.push(dec / 1e6 / o.decodeTokens);
    }
  } finally {
    ctx.setObserver(null);
    if (ts) await ts.collect(); // frees query sets of an aborted repeat
    obs.destroy();
  }
  await session.reset();

  const precision = detectPrecision(records);
  const gpu = (o.mode === 'per-op' && precision.timestamps) || gpuSpans.length > 0;
  const cpuPrefillMs = quantile(cpuPrefill, 0.5);
  const cpuDecodeMsPerToken = quantile(cpuDecode, 0.5);
  return {
    variant,
    mode: o.mode,
    adapter: o.adapter ?? {},
    features: o.features ?? [...ctx.features].sort(),
    promptTokens: P,
    decodeTokens: o.decodeTokens,
    repeat: o.repeat,
    warmup: o.warmup,
    precision,
    records,
    spans,
    gpuSpans,
    perOp: opStats(records, o.repeat),
    totals: {
      prefillMs: gpu ? quantile(gpuPrefill, 0.5) : cpuPrefillMs,
      decodeMsPerToken: gpu ? quantile(gpuDecode, 0.5) : cpuDecodeMsPerToken,
      source: gpu ? 'gpu' : 'cpu',
      cpuPrefillMs,
      cpuDecodeMsPerToken,
    },
  };
}
