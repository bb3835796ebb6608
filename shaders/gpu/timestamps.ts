// GPU timing per dispatch via timestamp queries: a DispatchObserver that gives each dispatch its
// own compute pass with begin/end timestamps and resolves them after submit into plain records.
// Falls back to nothing (records without times) when `timestamp-query` is missing; the caller
// then times on the CPU. Quantization (65,536 ns by default in Dawn/Chromium) is detected.

import type { DispatchInfo, DispatchObserver, GpuContext } from './context.js';

export interface DispatchTiming {
  info: DispatchInfo;
  workgroups: readonly [number, number, number];
  /** GPU nanoseconds relative to the first timestamp of the collection; NaN without timestamps. */
  startNs: number;
  endNs: number;
}

interface Pending {
  querySet: GPUQuerySet;
  resolve: GPUBuffer;
  read: GPUBuffer;
  entries: Array<{ info: DispatchInfo; workgroups: readonly [number, number, number] }>;
}

export class TimestampProfiler implements DispatchObserver {
  readonly supported: boolean;
  private current: Pending | null = null;
  private readonly submitted: Pending[] = [];
  private readonly cpuOnly: Array<{ info: DispatchInfo; workgroups: readonly [number, number, number] }> = [];

  /** `capacity`: dispatches per submit that can be timed (two timestamps each). */
  constructor(
    private readonly ctx: GpuContext,
    private readonly capacity = 2048,
  ) {
    this.supported = ctx.features.has('timestamp-query');
  }

  private fresh(): Pending {
    const d = this.ctx.device;
    const n = this.capacity * 2;
    return {
      querySet: d.createQuerySet({ type: 'timestamp', count: n }),
      resolve: d.createBuffer({ size: n * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
      read: d.createBuffer({ size: n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      entries: [],
    };
  }

  beginDispatch(info: DispatchInfo, workgroups: readonly [number, number, number]): GPUComputePassTimestampWrites | undefined {
    if (!this.supported) {
      this.cpuOnly.push({ info, workgroups });
      return undefined;
    }
    this.current ??= this.fresh();
    const p = this.current;
    if (p.entries.length >= this.capacity) {
      this.cpuOnly.push({ info, workgroups });
      return undefined;
    }
    const i = p.entries.length;
    p.entries.push({ info, workgroups });
    return { querySet: p.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  beforeSubmit(encoder: GPUCommandEncoder): void {
    const p = this.current;
    if (!p || p.entries.length === 0) return;
    const n = p.entries.length * 2;
    encoder.resolveQuerySet(p.querySet, 0, n, p.resolve, 0);
    encoder.copyBufferToBuffer(p.resolve, 0, p.read, 0, n * 8);
  }

  afterSubmit(): void {
    if (this.current && this.current.entries.length > 0) {
      this.submitted.push(this.current);
      this.current = null;
    }
  }

  /** Waits for all submitted work and returns the timings collected so far (and forgets them). */
  async collect(): Promise<DispatchTiming[]> {
    await this.ctx.sync();
    const out: DispatchTiming[] = [];
    const raw: bigint[] = [];
    for (const p of this.submitted) {
      const n = p.entries.length * 2;
      await p.read.mapAsync(GPUMapMode.READ, 0, n * 8);
      const ts = new BigUint64Array(p.read.getMappedRange(0, n * 8).slice(0));
      p.read.unmap();
      p.entries.forEach((e, i) => {
        raw.push(ts[2 * i] as bigint, ts[2 * i + 1] as bigint);
        out.push({ ...e, startNs: 0, endNs: 0 });
      });
      p.querySet.destroy();
      p.resolve.destroy();
      p.read.destroy();
    }
    this.submitted.length = 0;
    const t0 = raw.length ? raw.reduce((a, b) => (b < a ? b : a)) : 0n;
    out.forEach((r, i) => {
      r.startNs = Number((raw[2 * i] as bigint) - t0);
      r.endNs = Number((raw[2 * i + 1] as bigint) - t0);
    });
    for (const e of this.cpuOnly) out.push({ ...e, startNs: NaN, endNs: NaN });
    this.cpuOnly.length = 0;
    return out;
  }
}

/**
 * The timestamp quantum in ns if every nonzero delta is a multiple of 65,536 ns (the Dawn/Chromium
 * default), else the smallest nonzero delta seen (an upper bound of the precision).
 */
export function timestampPrecision(timings: readonly DispatchTiming[]): { quantized: boolean; quantumNs: number } {
  const deltas = timings.map((t) => t.endNs - t.startNs).filter((d) => Number.isFinite(d) && d > 0);
  if (deltas.length === 0) return { quantized: false, quantumNs: NaN };
  const quantized = deltas.every((d) => d % 65536 === 0);
  return { quantized, quantumNs: quantized ? 65536 : Math.min(...deltas) };
}
