// TensorDump: full tensors of selected layers, tap points and tokens, read back in chunks through a
// pool of staging buffers without ever stalling the forward pass. The tap (run while the forward is
// encoded) copies the selected rows into a MAP_READ staging buffer from a StagingPool and returns;
// when the context submits that work (GpuContext.onSubmit) the buffer's mapAsync starts, and when it
// resolves the rows are copied out, the buffer goes back to the pool and the chunk is delivered, in
// tap order, to onChunk or to the async iterator. With every staging buffer in flight and the pool at
// its byte cap, a chunk is dropped and counted instead of waited for.

import type { GpuContext } from '../gpu/context.js';
import { StagingPool, type StagingBuffer, type StagingPoolOptions, type StagingStats } from '../gpu/staging.js';
import { Tensor } from '../gpu/tensor.js';
import type { Tap, TapPoint, TapSite } from '../model/model.js';
import { ShapeError } from '../errors.js';

export interface DumpChunk {
  layer: number;
  point: TapPoint;
  /** Absolute position of the first row (for 'state' and 'keymax': the block's last position). */
  pos0: number;
  /** Token rows in `data` (1 for 'state' and 'keymax', whose whole tensor is one row). */
  rows: number;
  /** Shape of one row, e.g. [Hq, dk'] for 'phi.q', [vocab] for 'logits'. */
  rowShape: number[];
  /** rows × Π rowShape values, row-major. */
  data: Float32Array;
}

export interface TensorDumpOptions {
  /** Tap points to dump. */
  points: readonly TapPoint[];
  /** Layers (default all); the logits site (layer = numLayers) is kept whenever 'logits' is asked for. */
  layers?: readonly number[];
  /** Absolute token range [start, end) (default all tokens). */
  tokens?: readonly [number, number];
  /** The staging pool, or options for one the dump creates and destroys. */
  pool?: StagingPool | StagingPoolOptions;
  /** Receives every chunk, in tap order; without it chunks queue for the async iterator. */
  onChunk?: (chunk: DumpChunk) => void;
}

export interface DumpStats {
  /** Chunks delivered and their bytes. */
  chunks: number;
  bytes: number;
  /** Chunks not dumped because no staging buffer was free and the pool was at its cap. */
  dropped: number;
  droppedBytes: number;
  /** Chunks whose read-back failed (device lost). */
  failed: number;
  pool: StagingStats;
}

/** Points whose tensor has no token axis: dumped whole, as one row at the block's last position. */
const WHOLE: ReadonlySet<TapPoint> = new Set<TapPoint>(['state', 'keymax']);

interface Encoded {
  buf: StagingBuffer;
  bytes: number;
  meta: Omit<DumpChunk, 'data'>;
}

/** One tap from several: each is called in order (null/undefined entries are skipped). */
export function combineTaps(...taps: ReadonlyArray<Tap | null | undefined>): Tap {
  const list = taps.filter((t): t is Tap => typeof t === 'function');
  return (point, t, site) => {
    for (const tap of list) tap(point, t, site);
  };
}

/**
 * Rows of a tapped tensor: its token axis (the first axis, or the second after a leading 1 in the
 * [1, T, H, d] layouts) holds the block's last n positions (n = T except logits 'last': 1).
 */
function tokenRows(point: TapPoint, t: Tensor, site: TapSite): { n: number; rowShape: number[]; first: number } {
  const s = t.shape;
  if (WHOLE.has(point)) return { n: 1, rowShape: [...s], first: site.pos0 + site.T - 1 };
  const axis = s.length >= 3 && s[0] === 1 ? 1 : 0;
  const n = s[axis] ?? 1;
  return { n, rowShape: s.slice(axis + 1), first: site.pos0 + site.T - n };
}

export class TensorDump implements AsyncIterable<DumpChunk> {
  private readonly ctx: GpuContext;
  private readonly points: ReadonlySet<TapPoint>;
  private readonly layers: ReadonlySet<number> | null;
  private readonly start: number;
  private readonly end: number;
  private readonly pool: StagingPool;
  private readonly ownsPool: boolean;
  private readonly onChunk: ((chunk: DumpChunk) => void) | undefined;
  private readonly unsubscribe: () => void;
  /** Copies encoded but not yet submitted. */
  private encoded: Encoded[] = [];
  /** Resolves after every submitted chunk before it was delivered (keeps tap order). */
  private tail: Promise<void> = Promise.resolve();
  private readonly queue: DumpChunk[] = [];
  private readonly waiters: Array<(r: IteratorResult<DumpChunk>) => void> = [];
  private closed = false;
  private disposed = false;
  private readonly counts = { chunks: 0, bytes: 0, dropped: 0, droppedBytes: 0, failed: 0 };

  constructor(ctx: GpuContext, o: TensorDumpOptions) {
    this.ctx = ctx;
    this.points = new Set(o.points);
    this.layers = o.layers ? new Set(o.layers) : null;
    const [start, end] = o.tokens ?? [0, Infinity];
    if (!(start >= 0) || !(end > start)) throw new ShapeError('dump.tokens', `[${start}, ${end}) is not a token range`);
    this.start = start;
    this.end = end;
    this.ownsPool = !(o.pool instanceof StagingPool);
    this.pool = o.pool instanceof StagingPool ? o.pool : new StagingPool(ctx.device, { label: `${ctx.label}:dump`, ...o.pool });
    this.onChunk = o.onChunk;
    this.unsubscribe = ctx.onSubmit(() => this.submitted());
  }

  /** Assign to `session.tap` (or ForwardOptions.tap, or combine with combineTaps). Never waits. */
  readonly tap: Tap = (point, t, site) => {
    if (this.closed || !this.points.has(point)) return;
    if (point !== 'logits' && this.layers && !this.layers.has(site.layer)) return;
    const { n, rowShape, first } = tokenRows(point, t, site);
    const lo = Math.max(first, this.start);
    const hi = Math.min(first + n, this.end);
    if (hi <= lo) return;
    const rowElems = rowShape.reduce((a, b) => a * b, 1);
    const count = (hi - lo) * rowElems;
    const bytes = count * 4;
    const buf = this.pool.acquire(bytes);
    if (!buf) {
      this.counts.dropped++;
      this.counts.droppedBytes += bytes;
      return;
    }
    // The staging buffer as a copy destination in the context's encoder order (no pool, no release).
    const dst = new Tensor(buf.buffer, [buf.size / 4], 'f32', 'dump.staging', () => undefined);
    this.ctx.copy(t, dst, (lo - first) * rowElems, 0, count);
    this.encoded.push({ buf, bytes, meta: { layer: site.layer, point, pos0: lo, rows: hi - lo, rowShape } });
  };

  /** After a submit: start mapping every buffer whose copy it carried; deliver in tap order. */
  private submitted(): void {
    const batch = this.encoded;
    if (batch.length === 0) return;
    this.encoded = [];
    for (const e of batch) {
      const read = this.pool.read(e.buf, e.bytes);
      read.catch(() => undefined); // observed below, in order
      this.tail = this.tail.then(async () => {
        let data: ArrayBuffer;
        try {
          data = await read;
        } catch {
          this.counts.failed++;
          return;
        }
        this.deliver({ ...e.meta, data: new Float32Array(data) });
      });
    }
  }

  private deliver(chunk: DumpChunk): void {
    if (this.disposed) return;
    this.counts.chunks++;
    this.counts.bytes += chunk.data.byteLength;
    if (this.onChunk) {
      this.onChunk(chunk);
      return;
    }
    const w = this.waiters.shift();
    if (w) w({ value: chunk, done: false });
    else this.queue.push(chunk);
  }

  /** Submits pending copies (ctx.flush) and waits until every chunk so far has been delivered. */
  async drain(): Promise<void> {
    this.ctx.flush();
    await this.tail;
  }

  /** Stops dumping (the tap becomes a no-op), drains, and ends the async iterator. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  get stats(): DumpStats {
    return { ...this.counts, pool: this.pool.stats };
  }

  /** Chunks in tap order until close(); only chunks not taken by onChunk. */
  [Symbol.asyncIterator](): AsyncIterator<DumpChunk> {
    return {
      next: (): Promise<IteratorResult<DumpChunk>> => {
        const c = this.queue.shift();
        if (c) return Promise.resolve({ value: c, done: false });
        if (this.closed && this.encoded.length === 0) {
          // Closed: anything still in flight arrives through tail before done.
          return this.tail.then(() => {
            const d = this.queue.shift();
            return d ? { value: d, done: false } : { value: undefined, done: true };
          });
        }
        return new Promise((resolve) => this.waiters.push(resolve));
      },
    };
  }

  /**
   * Stops the tap and the submit hook; the pool (if the dump made it) is destroyed, each lent buffer
   * once its map resolves. Chunks not yet delivered are discarded.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.closed = true;
    // Copies already encoded must be submitted before their buffers can be destroyed.
    if (this.encoded.length > 0) this.ctx.flush();
    this.unsubscribe();
    if (this.ownsPool) this.pool.destroy();
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }
}

/** One tensor assembled from a dump's chunks of one layer and point, rows in position order. */
export interface JoinedTensor {
  layer: number;
  point: TapPoint;
  /** [rows, ...rowShape]. */
  shape: number[];
  /** Absolute positions [lo, hi) spanned; `contiguous` false when chunks left gaps (dropped chunks). */
  tokens: { lo: number; hi: number };
  contiguous: boolean;
  data: Float32Array;
}

/** Joins chunks into one tensor per (layer, point), in first-seen order. */
export function joinChunks(chunks: readonly DumpChunk[]): JoinedTensor[] {
  const groups = new Map<string, DumpChunk[]>();
  for (const ch of chunks) {
    const key = `${ch.layer}\u0000${ch.point}`;
    const list = groups.get(key);
    if (list) list.push(ch);
    else groups.set(key, [ch]);
  }
  const out: JoinedTensor[] = [];
  for (const list of groups.values()) {
    list.sort((x, y) => x.pos0 - y.pos0);
    const first = list[0] as DumpChunk;
    const last = list[list.length - 1] as DumpChunk;
    const rows = list.reduce((s, ch) => s + ch.rows, 0);
    const data = new Float32Array(list.reduce((s, ch) => s + ch.data.length, 0));
    let at = 0;
    for (const ch of list) {
      data.set(ch.data, at);
      at += ch.data.length;
    }
    const tokens = { lo: first.pos0, hi: last.pos0 + last.rows };
    out.push({ layer: first.layer, point: first.point, shape: [rows, ...first.rowShape], tokens, contiguous: tokens.hi - tokens.lo === rows, data });
  }
  return out;
}
