// StagingPool: MAP_READ staging buffers for reading GPU data back without stalling the work that
// produces it. A fixed set of buffers is created up front; acquire() never waits: it hands out the
// smallest free buffer that fits, else grows the pool up to a byte cap, else refuses (null) and
// counts the drop. read() maps a buffer after the copy into it was submitted, copies the bytes out
// and returns the buffer to the pool as soon as mapAsync resolves.

import { GpuValidationError } from '../errors.js';

const MAP_READ_USAGE = 0x01 | 0x08; // MAP_READ | COPY_DST
const ALIGN = 256;

export interface StagingPoolOptions {
  /** Buffers created up front (default 4). */
  buffers?: number;
  /** Bytes of each of those (default 1 MiB; rounded up to 256). */
  bufferBytes?: number;
  /** Cap on the bytes of all staging buffers together (default 4 × buffers × bufferBytes). */
  maxBytes?: number;
  label?: string;
}

/** One staging buffer; owned by the pool, lent out between acquire() and read()/release(). */
export interface StagingBuffer {
  readonly buffer: GPUBuffer;
  /** Bytes of the buffer (≥ the bytes asked for). */
  readonly size: number;
}

export interface StagingStats {
  /** Buffers that exist (free + in flight). */
  buffers: number;
  free: number;
  inFlight: number;
  /** Bytes of all buffers. */
  bytes: number;
  maxBytes: number;
  /** acquire() calls answered with a buffer. */
  acquired: number;
  /** … of those with a buffer that had been used before. */
  reused: number;
  /** Buffers created beyond the initial ones. */
  grown: number;
  /** acquire() calls refused (all buffers in flight, cap reached) and their bytes. */
  dropped: number;
  droppedBytes: number;
}

interface Entry extends StagingBuffer {
  used: boolean;
}

export class StagingPool {
  private readonly free: Entry[] = [];
  private readonly lent = new Set<Entry>();
  private readonly label: string;
  private readonly bufferBytes: number;
  readonly maxBytes: number;
  private bytes = 0;
  private destroyed = false;
  private readonly counts = { acquired: 0, reused: 0, grown: 0, dropped: 0, droppedBytes: 0 };

  constructor(
    private readonly device: GPUDevice,
    o: StagingPoolOptions = {},
  ) {
    const n = o.buffers ?? 4;
    this.bufferBytes = Math.ceil(Math.max(ALIGN, o.bufferBytes ?? 1 << 20) / ALIGN) * ALIGN;
    this.maxBytes = o.maxBytes ?? 4 * n * this.bufferBytes;
    this.label = o.label ?? 'staging';
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`StagingPool: buffers must be an integer ≥ 0, got ${n}`);
    if (n * this.bufferBytes > this.maxBytes) {
      throw new RangeError(`StagingPool: ${n} buffers of ${this.bufferBytes} bytes exceed maxBytes ${this.maxBytes}`);
    }
    for (let i = 0; i < n; i++) this.free.push(this.create(this.bufferBytes));
  }

  private create(size: number): Entry {
    const buffer = this.device.createBuffer({ size, usage: MAP_READ_USAGE, label: `${this.label}:${size}` });
    this.bytes += size;
    return { buffer, size, used: false };
  }

  /**
   * A buffer of at least `bytes`, without waiting: the smallest free one that fits; else a new one
   * when the pool stays within maxBytes (free buffers too small to fit are destroyed to make room);
   * else null, counted in `dropped`.
   */
  acquire(bytes: number): StagingBuffer | null {
    if (this.destroyed) throw new GpuValidationError('StagingPool used after destroy()');
    const need = Math.ceil(Math.max(4, bytes) / ALIGN) * ALIGN;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const e = this.free[i] as Entry;
      if (e.size >= need && (best < 0 || e.size < (this.free[best] as Entry).size)) best = i;
    }
    let e: Entry | undefined;
    if (best >= 0) {
      e = this.free.splice(best, 1)[0] as Entry;
      if (e.used) this.counts.reused++;
    } else {
      const size = Math.max(need, this.bufferBytes);
      // Free buffers here are all too small: give their bytes back if that makes room.
      const freeBytes = this.free.reduce((a, x) => a + x.size, 0);
      if (this.bytes - freeBytes + size <= this.maxBytes) {
        while (this.bytes + size > this.maxBytes) {
          const small = this.free.shift() as Entry;
          small.buffer.destroy();
          this.bytes -= small.size;
        }
        e = this.create(size);
        this.counts.grown++;
      }
    }
    if (!e) {
      this.counts.dropped++;
      this.counts.droppedBytes += bytes;
      return null;
    }
    e.used = true;
    this.lent.add(e);
    this.counts.acquired++;
    return e;
  }

  /**
   * Maps `buf` (whose copy must already be submitted), returns a copy of its first `bytes` bytes, or
   * what `use` makes of the mapped bytes (valid only during the call: nothing may keep a view of
   * them), and gives the buffer back to the pool. Rejects when the map fails (the buffer is
   * destroyed then) or with what `use` throws.
   */
  read(buf: StagingBuffer, bytes: number): Promise<ArrayBuffer>;
  read<R>(buf: StagingBuffer, bytes: number, use: (mapped: ArrayBuffer) => R): Promise<R>;
  async read<R>(buf: StagingBuffer, bytes: number, use?: (mapped: ArrayBuffer) => R): Promise<R | ArrayBuffer> {
    const e = this.entry(buf);
    try {
      await e.buffer.mapAsync(1 /* GPUMapMode.READ */, 0, e.size);
    } catch (cause) {
      this.lent.delete(e);
      e.buffer.destroy();
      if (!this.destroyed) this.bytes -= e.size;
      throw new GpuValidationError(`staging read of ${bytes} bytes failed`, { cause });
    }
    try {
      const mapped = e.buffer.getMappedRange(0, e.size);
      return use ? use(mapped) : mapped.slice(0, bytes);
    } finally {
      e.buffer.unmap();
      this.release(buf);
    }
  }

  /** Gives back a buffer that will not be read (e.g. its copy was never submitted). */
  release(buf: StagingBuffer): void {
    const e = this.entry(buf);
    this.lent.delete(e);
    if (this.destroyed) e.buffer.destroy();
    else this.free.push(e);
  }

  private entry(buf: StagingBuffer): Entry {
    const e = buf as Entry;
    if (!this.lent.has(e)) throw new GpuValidationError('StagingPool: buffer is not lent out by this pool');
    return e;
  }

  get stats(): StagingStats {
    return {
      buffers: this.free.length + this.lent.size,
      free: this.free.length,
      inFlight: this.lent.size,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      ...this.counts,
    };
  }

  /** Destroys the free buffers now and each lent one when it comes back (read or release). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const e of this.free) e.buffer.destroy();
    this.free.length = 0;
    this.bytes = 0;
  }
}
