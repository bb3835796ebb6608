// Roofline: measures this device's f32 FMA peak and streaming read bandwidth with two
// microbenchmarks (kernels/microbench.wgsl), then places the profiler's per-op statistics under
// that roof (arithmetic intensity, attainable GFLOP/s, fraction of the roof reached).

import { params, type GpuContext, type Kernel } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { TimestampProfiler } from '../gpu/timestamps.js';
import source from '../kernels/microbench.wgsl';
import { sourcesFor } from '../kernels/sources.js';
import { grid } from '../ops/util.js';
import { quantile, type OpStats, type Phase, type ProfileReport } from './profile.js';

const SOURCES = sourcesFor('microbench.wgsl', source);
const WG = 256;
/** Flops per thread per loop iteration of fma_peak: 8 steps · 4 chains · 4 lanes · 2. */
export const FMA_FLOPS_PER_ITERATION = 8 * 4 * 4 * 2;
const STREAM_VEC4_PER_THREAD = 32; // sizes the stream grid: 8 trips of 4 loads per thread

export interface PeakOptions {
  /** Bytes streamed by the read kernel, in MiB (default 256, clamped to the binding limit). */
  sizeMiB?: number;
  /** Loop iterations per thread of the FMA kernel (default 1024). */
  iterations?: number;
  /** Workgroups (of 256 threads) of the FMA kernel (default 2048). */
  fmaWorkgroups?: number;
  /** Measured repeats per kernel (default 5) after `warmup` discarded ones (default 2). */
  repeats?: number;
  warmup?: number;
  /**
   * When set, sizes that are not given explicitly are chosen so one run takes about this long
   * (from a small timed probe), within the defaults as upper bounds: software adapters finish fast.
   */
  targetMs?: number;
}

export interface MicrobenchKernel {
  name: 'fma_peak' | 'stream_read';
  workgroups: number;
  flops: number;
  bytes: number;
  /** Median and all measured durations (ms). */
  medianMs: number;
  samplesMs: number[];
}

export interface DevicePeaks {
  flopsPerS: number;
  bytesPerS: number;
  fmaKernel: MicrobenchKernel;
  streamKernel: MicrobenchKernel;
  /** True when times are GPU timestamps, false when CPU time around ctx.sync(). */
  timestamped: boolean;
}

export interface FmaArgs {
  workgroups: number;
  iterations: number;
  /** x ← fma(x, m, c); defaults 0.5 and 1 (exact products, so the result has a closed form). */
  m?: number;
  c?: number;
  out?: Tensor;
}

function fmaKernel(ctx: GpuContext): Kernel {
  return ctx.kernel({ file: 'microbench.wgsl', sources: SOURCES, defines: { STREAM: false } });
}

function streamKernel(ctx: GpuContext): Kernel {
  return ctx.kernel({ file: 'microbench.wgsl', sources: SOURCES, defines: { STREAM: true } });
}

/** Records the FMA kernel; returns its output [workgroups·256·4] (one vec4 per thread). */
export function fmaBench(ctx: GpuContext, a: FmaArgs): Tensor {
  const [gx, gy] = grid(a.workgroups);
  // Every thread of the (possibly rounded-up) 2-D grid runs and writes one vec4.
  const wgs = gx * gy;
  const out = a.out ?? ctx.tensor([wgs * WG * 4], 'f32', 'microbench.fma');
  if (out.size < wgs * WG * 4) throw new RangeError(`fmaBench: out holds ${out.size} floats, needs ${wgs * WG * 4}`);
  ctx.dispatch({
    kernel: fmaKernel(ctx),
    params: params().u32(a.iterations).u32(gx).f32(a.m ?? 0.5).f32(a.c ?? 1).build(),
    bindings: [out],
    workgroups: [gx, gy],
    info: { kernel: 'microbench', op: 'fma_peak', flops: wgs * WG * a.iterations * FMA_FLOPS_PER_ITERATION, bytes: wgs * WG * 16 },
  });
  return out;
}

/** Workgroups the stream kernel uses for n_vec4 elements. */
export function streamWorkgroups(nVec4: number): number {
  return Math.max(1, Math.ceil(nVec4 / (WG * STREAM_VEC4_PER_THREAD)));
}

/** Records the stream kernel over x (length a multiple of 4); returns per-workgroup vec4 sums [workgroups·4]. */
export function streamBench(ctx: GpuContext, x: Tensor, out?: Tensor): Tensor {
  if (x.size % 4 !== 0) throw new RangeError(`streamBench: length ${x.size} is not a multiple of 4`);
  const n = x.size / 4;
  const wgs = streamWorkgroups(n);
  const [gx, gy] = grid(wgs);
  // With gy > 1 the last row may be partial; the kernel assumes a full grid, so round up.
  const total = gx * gy;
  const y = out ?? ctx.tensor([total * 4], 'f32', 'microbench.stream');
  ctx.dispatch({
    kernel: streamKernel(ctx),
    params: params().u32(n).u32(gx).f32(0).f32(0).build(),
    bindings: [x, y],
    workgroups: [gx, gy],
    info: { kernel: 'microbench', op: 'stream_read', flops: n * 4, bytes: n * 16 + total * 16 },
  });
  return y;
}

// performance.now exists in browsers, Node and Workers; the engine's lib (ES2022) does not declare it.
const now = (): number => (globalThis as unknown as { performance: { now(): number } }).performance.now();

/** Times `record` (one dispatch) warmup + repeats times; GPU timestamps when available. */
async function timeDispatch(ctx: GpuContext, record: () => void, repeats: number, warmup: number): Promise<{ samplesMs: number[]; timestamped: boolean }> {
  const ts = ctx.features.has('timestamp-query') ? new TimestampProfiler(ctx) : null;
  const samplesMs: number[] = [];
  await ctx.sync();
  for (let r = 0; r < warmup + repeats; r++) {
    if (ts) ctx.setObserver(ts);
    const a = now();
    try {
      record();
      await ctx.sync();
    } finally {
      if (ts) ctx.setObserver(null);
    }
    const b = now();
    const gpu = ts ? await ts.collect() : [];
    if (r < warmup) continue;
    const t = gpu[0];
    samplesMs.push(t && Number.isFinite(t.endNs - t.startNs) ? (t.endNs - t.startNs) / 1e6 : b - a);
  }
  return { samplesMs, timestamped: ts !== null };
}

/**
 * Measures the device's f32 FMA throughput and streaming read bandwidth (medians of `repeats`
 * after `warmup`). The defaults suit a large discrete GPU; use small sizes on software adapters.
 */
export async function measureDevicePeaks(ctx: GpuContext, o: PeakOptions = {}): Promise<DevicePeaks> {
  const repeats = o.repeats ?? 5;
  const warmup = o.warmup ?? 2;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`measureDevicePeaks: repeats must be an integer ≥ 1, got ${repeats}`);
  const sized = o.targetMs !== undefined ? await autoSize(ctx, o.targetMs, o) : o;
  const iterations = sized.iterations ?? 1024;
  const [fx, fy] = grid(sized.fmaWorkgroups ?? 2048);
  const fmaWgs = fx * fy;
  const maxBytes = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const bytes = Math.max(4096, Math.floor(Math.min((sized.sizeMiB ?? 256) * 1048576, maxBytes / 2) / 4096) * 4096);
  const nVec4 = bytes / 16;

  const fmaOut = ctx.tensor([fmaWgs * WG * 4], 'f32', 'microbench.fma');
  const x = ctx.tensor([nVec4 * 4], 'f32', 'microbench.x');
  const [sx, sy] = grid(streamWorkgroups(nVec4));
  const streamOut = ctx.tensor([sx * sy * 4], 'f32', 'microbench.stream');
  try {
    ctx.zero(x); // pooled memory is undefined; NaN payloads could slow some adders
    const f = await timeDispatch(ctx, () => fmaBench(ctx, { workgroups: fmaWgs, iterations, out: fmaOut }), repeats, warmup);
    const s = await timeDispatch(ctx, () => streamBench(ctx, x, streamOut), repeats, warmup);
    const fmaFlops = fmaWgs * WG * iterations * FMA_FLOPS_PER_ITERATION;
    const streamBytes = nVec4 * 16;
    const fm = quantile(f.samplesMs, 0.5);
    const sm = quantile(s.samplesMs, 0.5);
    return {
      flopsPerS: fmaFlops / (fm / 1e3),
      bytesPerS: streamBytes / (sm / 1e3),
      fmaKernel: { name: 'fma_peak', workgroups: fmaWgs, flops: fmaFlops, bytes: fmaWgs * WG * 16, medianMs: fm, samplesMs: f.samplesMs },
      streamKernel: { name: 'stream_read', workgroups: sx * sy, flops: nVec4 * 4, bytes: streamBytes, medianMs: sm, samplesMs: s.samplesMs },
      timestamped: f.timestamped && s.timestamped,
    };
  } finally {
    fmaOut.dispose();
    x.dispose();
    streamOut.dispose();
  }
}

/** Picks FMA and stream sizes (those not given) so one run lasts about targetMs, from small probes. */
async function autoSize(ctx: GpuContext, targetMs: number, o: PeakOptions): Promise<PeakOptions> {
  const out: PeakOptions = { ...o };
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(v)));
  if (o.iterations === undefined || o.fmaWorkgroups === undefined) {
    const probe = { workgroups: 64, iterations: 16 };
    const out0 = ctx.tensor([probe.workgroups * WG * 4], 'f32', 'microbench.probe');
    try {
      const t = await timeDispatch(ctx, () => fmaBench(ctx, { ...probe, out: out0 }), 1, 1);
      const perMs = (probe.workgroups * WG * probe.iterations * FMA_FLOPS_PER_ITERATION) / Math.max(1e-3, t.samplesMs[0] ?? 1);
      const threadIters = (perMs * targetMs) / FMA_FLOPS_PER_ITERATION;
      out.iterations ??= clamp(threadIters / (64 * WG), 16, 1024);
      out.fmaWorkgroups ??= clamp(threadIters / (out.iterations * WG), 64, 2048);
    } finally {
      out0.dispose();
    }
  }
  if (o.sizeMiB === undefined) {
    const x = ctx.tensor([1 << 20], 'f32', 'microbench.probe'); // 4 MiB
    const y = ctx.tensor([grid(streamWorkgroups(1 << 18)).reduce((a, b) => a * b) * 4], 'f32', 'microbench.probe');
    try {
      ctx.zero(x);
      const t = await timeDispatch(ctx, () => streamBench(ctx, x, y), 1, 1);
      const mibPerMs = 4 / Math.max(1e-3, t.samplesMs[0] ?? 1);
      out.sizeMiB = clamp(mibPerMs * targetMs, 4, 256);
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return out;
}

export interface RooflinePoint {
  /** Arithmetic intensity, flop/byte. */
  intensity: number;
  /** min(peak GFLOP/s, intensity · peak GB/s). */
  attainableGflops: number;
  /** Achieved GFLOP/s over attainable (NaN without times). */
  fractionOfRoof: number;
  /** Which roof applies at this intensity. */
  bound: 'compute' | 'memory';
}

/** Places one op under the roof. `intensity` defaults to gflops / gbps (both over the same time). */
export function placeOnRoofline(op: Pick<OpStats, 'gflops' | 'gbps'>, peaks: Pick<DevicePeaks, 'flopsPerS' | 'bytesPerS'>, intensity = op.gflops / op.gbps): RooflinePoint {
  const peakG = peaks.flopsPerS / 1e9;
  const bwG = peaks.bytesPerS / 1e9;
  const attainableGflops = Math.min(peakG, intensity * bwG);
  return {
    intensity,
    attainableGflops,
    fractionOfRoof: op.gflops / attainableGflops,
    bound: intensity * bwG >= peakG ? 'compute' : 'memory',
  };
}

export interface RooflineRow extends RooflinePoint {
  phase: Phase;
  op: string;
  kernel: string;
  count: number;
  medianUs: number;
  gflops: number;
  gbps: number;
}

/**
 * Every per-op statistic of a report under the roof. Intensity comes from the records' declared
 * flops and bytes, so it exists even without times (then only fractionOfRoof is NaN).
 */
export function rooflineTable(report: ProfileReport, peaks: Pick<DevicePeaks, 'flopsPerS' | 'bytesPerS'>): RooflineRow[] {
  const sums = new Map<string, { flops: number; bytes: number }>();
  for (const r of report.records) {
    const key = `${r.phase}\u0000${r.op}\u0000${r.kernel}`;
    const s = sums.get(key) ?? { flops: 0, bytes: 0 };
    s.flops += r.flops;
    s.bytes += r.bytes;
    sums.set(key, s);
  }
  return report.perOp.map((op) => {
    const s = sums.get(`${op.phase}\u0000${op.op}\u0000${op.kernel}`);
    const intensity = s && s.bytes > 0 ? s.flops / s.bytes : op.gflops / op.gbps;
    return {
      phase: op.phase,
      op: op.op,
      kernel: op.kernel,
      count: op.count,
      medianUs: op.medianUs,
      gflops: op.gflops,
      gbps: op.gbps,
      ...placeOnRoofline(op, peaks, intensity),
    };
  });
}
