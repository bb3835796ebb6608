// Tensor: a disposable handle to a GPU buffer with a shape and dtype. The GpuContext owns the
// buffer; dispose() hands it back to the pool (deferred until submitted work that used it).

import { ShapeError } from '../errors.js';

export type DType = 'f32' | 'u32' | 'i32';

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class Tensor {
  private released = false;
  readonly size: number;

  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly name: string,
    private readonly onDispose: () => void,
    private readonly parent?: Tensor,
    /** Byte offset into `buffer` (row-slice views); 0 for tensors that own their buffer. */
    readonly byteOffset = 0,
    /** For borrowed regions: the tensor whose buffer this is (its dispose ends this one too). */
    private readonly lender?: Tensor,
  ) {
    this.size = numel(shape);
  }

  get disposed(): boolean {
    const root = this.root;
    return root.released || (root.lender?.disposed ?? false);
  }

  /** The tensor that owns the buffer (itself unless this is a view). */
  private get root(): Tensor {
    return this.parent ?? this;
  }

  assertAlive(): void {
    if (this.disposed) throw new ShapeError(this.name, 'used after dispose()');
  }

  /**
   * The same buffer under another shape with the same element count (no copy). A view shares its
   * parent's buffer: disposing the view disposes the parent.
   */
  view(shape: readonly number[], name = this.name): Tensor {
    this.assertAlive();
    if (numel(shape) !== this.size) {
      throw new ShapeError(this.name, `cannot view [${this.shape.join(', ')}] as [${shape.join(', ')}]`);
    }
    return new Tensor(this.buffer, shape, this.dtype, name, () => this.root.dispose(), this.root, this.byteOffset);
  }

  /**
   * Rows [start, start + count) along the first axis, without a copy. The byte offset must be a
   * multiple of 256 (WebGPU's storage binding alignment); layouts that slice pad their rows for it.
   */
  rows(start: number, count: number, name = this.name): Tensor {
    this.assertAlive();
    const rowElems = this.shape.slice(1).reduce((a, b) => a * b, 1);
    const first = this.shape[0] ?? 0;
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > first) {
      throw new ShapeError(this.name, `rows [${start}, ${start + count}) out of range ${first}`);
    }
    const offset = this.byteOffset + start * rowElems * 4;
    if (offset % 256 !== 0) throw new ShapeError(this.name, `row ${start} starts at byte ${offset}, not a multiple of 256`);
    return new Tensor(this.buffer, [count, ...this.shape.slice(1)], this.dtype, name, () => this.root.dispose(), this.root, offset);
  }

  /**
   * Elements [start, start + numel(shape)) under `shape`, borrowed: its dispose() frees nothing (it
   * only ends this handle), and it dies with this tensor. The byte offset must be a multiple of 256.
   */
  region(start: number, shape: readonly number[], name = this.name): Tensor {
    this.assertAlive();
    const n = numel(shape);
    if (!Number.isInteger(start) || start < 0 || start + n > this.size) {
      throw new ShapeError(this.name, `region [${start}, ${start + n}) out of range ${this.size}`);
    }
    const offset = this.byteOffset + start * 4;
    if (offset % 256 !== 0) throw new ShapeError(this.name, `region at element ${start} starts at byte ${offset}, not a multiple of 256`);
    return new Tensor(this.buffer, shape, this.dtype, name, () => undefined, undefined, offset, this);
  }

  dispose(): void {
    if (this.parent) {
      this.parent.dispose();
      return;
    }
    if (this.released) return;
    this.released = true;
    this.onDispose();
  }
}

/**
 * Checks a tensor's shape before a dispatch. `expected` entries of -1 match any size.
 * Throws ShapeError naming the tensor, the expected and the actual shape.
 */
export function expectShape(t: Tensor, expected: readonly number[], dtype: DType = 'f32'): void {
  t.assertAlive();
  const ok =
    t.shape.length === expected.length && expected.every((d, i) => d === -1 || d === t.shape[i]);
  if (!ok) {
    const fmt = (s: readonly number[]): string => `[${s.map((d) => (d === -1 ? '*' : d)).join(', ')}]`;
    throw new ShapeError(t.name, `expected shape ${fmt(expected)}, got ${fmt(t.shape)}`);
  }
  if (t.dtype !== dtype) throw new ShapeError(t.name, `expected dtype ${dtype}, got ${t.dtype}`);
}
