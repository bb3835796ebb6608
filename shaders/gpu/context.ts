// GpuContext: the one owner of GPU resources. It holds the device the host gave it, a size-bucketed
// buffer pool (releases deferred until the work that used a buffer is submitted), the pipeline
// cache keyed by kernel|entry|defines|overrides, the command encoder that batches dispatches, byte
// counters, and the device-lost state. Ops never create buffers or pipelines themselves.

import { StagingPool } from './staging.js';
import {
  DeviceLostError,
  GpuValidationError,
  OutOfMemoryError,
  ShaderCompileError,
  ShapeError,
} from '../errors.js';
import { preprocess, type Defines, type SourceLine } from './preprocess.js';
import { Tensor, type DType, numel } from './tensor.js';

/** What a dispatch is, for profiling and capture. Attach it to every dispatch. */
export interface DispatchInfo {
  kernel: string;
  op: string;
  layer?: number;
  /** Token range [start, end) this dispatch covers, or the chunk index for chunked kernels. */
  tokens?: readonly [number, number];
  chunk?: number;
  flops?: number;
  bytes?: number;
}

/** A profiler plugs in here: it is asked for a pass descriptor per dispatch (timestamp writes). */
export interface DispatchObserver {
  /** Called per dispatch; return timestampWrites to time it in its own pass, or undefined. */
  beginDispatch(info: DispatchInfo, workgroups: readonly [number, number, number]): GPUComputePassTimestampWrites | undefined;
  /** Called when the encoder holding those dispatches is about to be submitted. */
  beforeSubmit(encoder: GPUCommandEncoder): void;
  /** Called after submit. */
  afterSubmit(): void;
}

export interface KernelSpec {
  /** The .wgsl file name, e.g. 'matmul.wgsl'; must be a key of `sources`. */
  file: string;
  sources: Readonly<Record<string, string>>;
  entry?: string;
  defines?: Defines;
  overrides?: Readonly<Record<string, number>>;
}

export interface Kernel {
  readonly key: string;
  /** Small numeric id (bind-group cache keys). */
  readonly id: number;
  readonly file: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export type Binding = Tensor | GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export interface DispatchArgs {
  kernel: Kernel;
  /** Uniform parameters, bound at @binding(0). Build with `params()`. */
  params?: ArrayBuffer;
  /** Storage buffers bound at @binding(1), @binding(2), … in order. */
  bindings: readonly Binding[];
  workgroups: readonly [number, number?, number?];
  info: DispatchInfo;
}

export interface MemoryCounters {
  liveTensors: number;
  liveBytes: number;
  pooledBytes: number;
  allocatedBytes: number;
  peakBytes: number;
  allocations: number;
}

export interface ContextOptions {
  /** Label prefix for GPU objects. */
  label?: string;
}

/** f32 → its bits. */
const F32_SCRATCH = new Float32Array(1);
const F32_BITS = new Uint32Array(F32_SCRATCH.buffer);

/** Builds a uniform block with WGSL alignment for scalars (4 bytes each, padded to 16). */
export class ParamWriter {
  /** The words' bits, as u32, since the last block. */
  private words: number[] = [];
  /** Earlier scalar runs and blocks, in order (only when u32s was used). */
  private readonly parts: Array<ArrayLike<number>> = [];
  private partWords = 0;
  u32(v: number): this {
    this.words.push(v >>> 0);
    return this;
  }
  /** Several u32 words in order: the block is kept as given (not copied word by word) until build(). */
  u32s(vs: Uint32Array): this {
    this.parts.push(this.words, vs);
    this.partWords += this.words.length + vs.length;
    this.words = [];
    return this;
  }
  i32(v: number): this {
    this.words.push((v | 0) >>> 0);
    return this;
  }
  f32(v: number): this {
    F32_SCRATCH[0] = v;
    this.words.push(F32_BITS[0] as number);
    return this;
  }
  build(): ArrayBuffer {
    const n = this.partWords + this.words.length;
    const u = new Uint32Array(Math.max(4, Math.ceil(n / 4) * 4));
    let at = 0;
    for (const part of this.parts) {
      u.set(part, at);
      at += part.length;
    }
    u.set(this.words, at);
    return u.buffer;
  }
}
export const params = (): ParamWriter => new ParamWriter();

const STORAGE_USAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM_USAGE = 0x40 | 0x08; // UNIFORM | COPY_DST
const READ_USAGE = 0x01 | 0x08; // MAP_READ | COPY_DST
/** Bytes of the context's shared staging buffers at most. */
const STAGING_POOL_BYTES = 256 << 20;
const RING_BYTES = 1 << 18; // uniform ring: 1024 slots of 256 bytes per submit
const RING_ALIGN = 256; // minUniformBufferOffsetAlignment

/** Bucket sizes: 256-byte granularity up to 64 KiB, then powers of 2^(1/4). */
function bucketSize(bytes: number): number {
  const b = Math.max(256, bytes);
  if (b <= 65536) return Math.ceil(b / 256) * 256;
  const exp = Math.ceil(Math.log2(b) * 4) / 4;
  return Math.ceil(2 ** exp / 256) * 256;
}

let nextBufferId = 1;
const bufferIds = new WeakMap<GPUBuffer, number>();
function bufferId(b: GPUBuffer): number {
  let id = bufferIds.get(b);
  if (id === undefined) {
    id = nextBufferId++;
    bufferIds.set(b, id);
  }
  return id;
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly features: ReadonlySet<string>;
  readonly limits: GPUSupportedLimits;
  readonly label: string;

  private lostError: DeviceLostError | null = null;
  private firstValidationError: GpuValidationError | null = null;
  private readonly lostPromise: Promise<DeviceLostError>;

  private readonly free = new Map<string, GPUBuffer[]>(); // key: usage:size
  private pendingRelease: Array<{ key: string; buffer: GPUBuffer }> = [];
  /** Zeros for zeroed() (grown on demand; never written). */
  private zeroBytes = new ArrayBuffer(0);
  private readonly pipelines = new Map<string, Kernel>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private passPipeline: GPUComputePipeline | null = null;
  private kernelIds = 0;
  private observer: DispatchObserver | null = null;
  private readonly dispatchListeners = new Set<(info: DispatchInfo) => void>();
  private readonly submitListeners = new Set<() => void>();
  private readonly flushListeners = new Set<() => void>();
  /** True while the flush listeners run (a flush they cause, e.g. a full uniform ring, only submits). */
  private flushing = false;
  private readonly counters: MemoryCounters = {
    liveTensors: 0,
    liveBytes: 0,
    pooledBytes: 0,
    allocatedBytes: 0,
    peakBytes: 0,
    allocations: 0,
  };
  /** Dispatches recorded since creation (for "dispatches per token" figures). */
  dispatchCount = 0;

  constructor(device: GPUDevice, options: ContextOptions = {}) {
    this.device = device;
    this.label = options.label ?? 'regla';
    this.features = new Set(device.features as unknown as Iterable<string>);
    this.limits = device.limits;
    this.lostPromise = device.lost.then((info) => {
      this.lostError = new DeviceLostError(
        `GPU device lost (${info.reason}): ${info.message || 'no message'}; create a new session`,
      );
      return this.lostError;
    });
    device.addEventListener('uncapturederror', (ev) => {
      const err = ev.error;
      if (!this.firstValidationError) {
        this.firstValidationError = new GpuValidationError(`GPU error: ${err.message}`);
      }
    });
  }

  /**
   * Requests an adapter and a device with the largest limits and the optional features the engine
   * uses. `gpu` is `navigator.gpu` in a browser or the object from the `webgpu` package's create().
   */
  static async create(gpu: GPU, options: ContextOptions & { powerPreference?: GPUPowerPreference } = {}): Promise<GpuContext> {
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) throw new DeviceLostError('no WebGPU adapter is available on this machine');
    const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];
    const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
    const l = adapter.limits;
    const requiredLimits: Record<string, number> = {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    };
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
    return new GpuContext(device, options);
  }

  get lost(): boolean {
    return this.lostError !== null;
  }

  /** Resolves with the DeviceLostError when the device is lost. */
  get whenLost(): Promise<DeviceLostError> {
    return this.lostPromise;
  }

  private checkAlive(): void {
    if (this.lostError) throw this.lostError;
  }

  /** Throws the first uncaptured GPU validation error since the last call, if any. */
  checkErrors(): void {
    this.checkAlive();
    const e = this.firstValidationError;
    if (e) {
      this.firstValidationError = null;
      throw e;
    }
  }

  // ---------------------------------------------------------------- buffers and tensors

  get memory(): Readonly<MemoryCounters> {
    return { ...this.counters };
  }

  /** Restarts peak tracking from the bytes live now (to measure the peak of one run). */
  resetPeak(): void {
    this.counters.peakBytes = this.counters.liveBytes;
  }

  /** Throws OutOfMemoryError when one buffer of `bytes` cannot exist on this device. */
  checkFits(name: string, bytes: number): void {
    const maxBind = this.limits.maxStorageBufferBindingSize;
    const maxBuf = this.limits.maxBufferSize;
    if (bytes > maxBind || bytes > maxBuf) {
      throw new OutOfMemoryError(
        `${name}: ${bytes} bytes exceeds this device's limit of ${Math.min(maxBind, maxBuf)} bytes per buffer ` +
          `(maxStorageBufferBindingSize ${maxBind}, maxBufferSize ${maxBuf})`,
      );
    }
  }

  private acquire(bytes: number, usage: number, label: string): { buffer: GPUBuffer; key: string; size: number } {
    this.checkAlive();
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    const reused = list?.pop();
    if (reused) {
      this.counters.pooledBytes -= size;
      return { buffer: reused, key, size };
    }
    this.checkFits(label, size);
    let buffer: GPUBuffer;
    try {
      buffer = this.device.createBuffer({ size, usage, label: `${this.label}:${label}` });
    } catch (cause) {
      throw new OutOfMemoryError(`${label}: could not allocate ${size} bytes`, { cause });
    }
    this.counters.allocatedBytes += size;
    this.counters.allocations++;
    return { buffer, key, size };
  }

  private releaseLater(key: string, buffer: GPUBuffer): void {
    if (this.encoder) this.pendingRelease.push({ key, buffer });
    else this.returnToPool(key, buffer);
  }

  private returnToPool(key: string, buffer: GPUBuffer): void {
    const size = Number(key.split(':')[1]);
    this.counters.pooledBytes += size;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
  }

  /** Creates an uninitialized (pooled: contents undefined) tensor. */
  tensor(shape: readonly number[], dtype: DType = 'f32', name = 'tensor'): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(name, `invalid shape [${shape.join(', ')}]`);
    }
    const bytes = numel(shape) * 4;
    const { buffer, key, size } = this.acquire(bytes, STORAGE_USAGE, name);
    this.counters.liveTensors++;
    this.counters.liveBytes += size;
    this.counters.peakBytes = Math.max(this.counters.peakBytes, this.counters.liveBytes);
    return new Tensor(buffer, shape, dtype, name, () => {
      this.counters.liveTensors--;
      this.counters.liveBytes -= size;
      this.releaseLater(key, buffer);
    });
  }

  /** Creates a tensor holding `data`. */
  upload(data: Float32Array | Uint32Array | Int32Array, shape: readonly number[], name = 'tensor'): Tensor {
    const dtype: DType = data instanceof Float32Array ? 'f32' : data instanceof Uint32Array ? 'u32' : 'i32';
    if (numel(shape) !== data.length) {
      throw new ShapeError(name, `data has ${data.length} elements, shape [${shape.join(', ')}] needs ${numel(shape)}`);
    }
    const t = this.tensor(shape, dtype, name);
    this.write(t, data);
    return t;
  }

  /** Writes data into a tensor (at element offset), ordered before later submitted work. */
  write(t: Tensor, data: Float32Array | Uint32Array | Int32Array, elementOffset = 0): void {
    this.checkAlive();
    if (elementOffset + data.length > t.size) {
      throw new ShapeError(t.name, `write of ${data.length} elements at ${elementOffset} overflows ${t.size}`);
    }
    // Anything already encoded for this tensor must run before the write: submit it first.
    if (this.encoder) this.flush();
    if (data.byteLength > 0) {
      this.device.queue.writeBuffer(t.buffer, t.byteOffset + elementOffset * 4, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  /**
   * A new tensor that reads as zeros to all work encoded from now on, without breaking the open compute
   * pass (unlike tensor() + zero()): the zeros go through the queue, which runs them after everything
   * already submitted and before the open encoder's submit. Safe because a pooled buffer returns to
   * the pool only after the submit of its last use, so no encoded work still reads the old contents.
   */
  zeroed(shape: readonly number[], dtype: DType = 'f32', name = 'tensor'): Tensor {
    const t = this.tensor(shape, dtype, name);
    this.zeroFirst(t, t.size);
    return t;
  }

  /**
   * Zeros the first `elements` elements of t through the queue (before the next submit's work, like
   * zeroed()); the rest keeps whatever the pool's buffer held.
   */
  zeroFirst(t: Tensor, elements: number): void {
    const bytes = Math.min(elements, t.size) * 4;
    if (bytes <= 0) return;
    if (this.zeroBytes.byteLength < bytes) this.zeroBytes = new ArrayBuffer(Math.max(bytes, 2 * this.zeroBytes.byteLength));
    this.device.queue.writeBuffer(t.buffer, t.byteOffset, this.zeroBytes, 0, bytes);
  }

  /** Zero-fills a tensor on the GPU (in encoder order). */
  zero(t: Tensor): void {
    this.endPass();
    this.getEncoder().clearBuffer(t.buffer, t.byteOffset, t.size * 4);
  }

  /** Copies src into dst (in encoder order). */
  copy(src: Tensor, dst: Tensor, srcElem = 0, dstElem = 0, count = src.size): void {
    if (srcElem + count > src.size || dstElem + count > dst.size) {
      throw new ShapeError(dst.name, `copy of ${count} elements out of range`);
    }
    this.copyToBuffer(src, dst.buffer, dst.byteOffset + dstElem * 4, count, srcElem);
  }

  /** Copies `count` elements of src from `srcElem` into a buffer at byte `dstByte` (in encoder order): tensor copies, read-backs, staging. */
  copyToBuffer(src: Tensor, dst: GPUBuffer, dstByte: number, count = src.size, srcElem = 0): void {
    if (srcElem < 0 || srcElem + count > src.size) throw new ShapeError(src.name, `copy of ${count} elements out of range`);
    this.endPass();
    if (count > 0) this.getEncoder().copyBufferToBuffer(src.buffer, src.byteOffset + srcElem * 4, dst, dstByte, count * 4);
  }

  /** Reads a tensor back (or a sub-range of elements). Submits pending work first. */
  async read(t: Tensor, start = 0, count = t.size - start): Promise<Float32Array | Uint32Array | Int32Array> {
    const copy = await this.readWith(t, (mapped) => mapped.slice(0, count * 4), start, count);
    if (t.dtype === 'u32') return new Uint32Array(copy);
    if (t.dtype === 'i32') return new Int32Array(copy);
    return new Float32Array(copy);
  }

  /**
   * Reads a tensor back (or a sub-range of elements) and returns what `use` makes of the mapped bytes
   * (elements start .. start + count at byte 0; valid only during the call: nothing may keep a view
   * of them). Saves the copy of large read-backs that are turned into something else anyway.
   */
  async readWith<R>(t: Tensor, use: (mapped: ArrayBuffer) => R, start = 0, count = t.size - start): Promise<R> {
    this.checkAlive();
    if (start < 0 || start + count > t.size) throw new ShapeError(t.name, `read [${start}, ${start + count}) out of range ${t.size}`);
    const bytes = count * 4;
    const staging = this.acquire(bytes, READ_USAGE, `${t.name}:readback`);
    this.copyToBuffer(t, staging.buffer, 0, count, start);
    this.flush();
    try {
      await Promise.race([
        staging.buffer.mapAsync(1 /* GPUMapMode.READ */, 0, staging.size),
        this.lostPromise.then((e) => Promise.reject(e)),
      ]);
    } catch (cause) {
      if (this.lostError) throw this.lostError;
      throw new GpuValidationError(`readback of ${t.name} failed`, { cause });
    }
    try {
      return use(staging.buffer.getMappedRange(0, staging.size));
    } finally {
      staging.buffer.unmap();
      this.returnToPool(staging.key, staging.buffer);
      this.checkErrors();
    }
  }

  async readF32(t: Tensor): Promise<Float32Array> {
    const r = await this.read(t);
    if (!(r instanceof Float32Array)) throw new ShapeError(t.name, `expected f32, is ${t.dtype}`);
    return r;
  }

  /** A persistent uniform buffer (not pooled) for pre-recorded dispatches, e.g. decode. */
  uniformBuffer(data: ArrayBuffer, label: string): GPUBuffer {
    this.checkAlive();
    const buf = this.device.createBuffer({ size: Math.max(16, data.byteLength), usage: UNIFORM_USAGE, label });
    this.device.queue.writeBuffer(buf, 0, data);
    return buf;
  }

  /** Drops all pooled (free) buffers. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.counters.allocatedBytes -= this.counters.pooledBytes;
    this.counters.pooledBytes = 0;
  }

  // ---------------------------------------------------------------- pipelines

  kernel(spec: KernelSpec): Kernel {
    this.checkAlive();
    const entry = spec.entry ?? 'main';
    const defines = spec.defines ?? {};
    const overrides = spec.overrides ?? {};
    const key = `${spec.file}|${entry}|${stableString(defines)}|${stableString(overrides)}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const pre = preprocess(spec.file, spec.sources, defines);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: pre.code, label: key });
    const pipeline = this.device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: entry, constants: overrides },
      label: key,
    });
    const layout = pipeline.getBindGroupLayout(0);
    // Validation is asynchronous; compileCheck() surfaces it with the mapped line.
    const scope = this.device.popErrorScope();
    const k: Kernel = { key, id: ++this.kernelIds, file: spec.file, pipeline, layout };
    this.pipelines.set(key, k);
    this.compileChecks.push(
      (async () => {
        const err = await scope;
        const info = await module.getCompilationInfo();
        const first = info.messages.find((m) => m.type === 'error');
        if (first) {
          this.pipelines.delete(key);
          const origin: SourceLine = pre.lineMap[first.lineNum - 1] ?? { file: spec.file, line: first.lineNum };
          throw new ShaderCompileError(origin.file, origin.line, first.linePos, first.message);
        }
        if (err) {
          this.pipelines.delete(key);
          throw new ShaderCompileError(spec.file, 0, 0, err.message);
        }
      })(),
    );
    return k;
  }

  /** Keys (file|entry|defines|overrides) of every pipeline created so far. */
  get pipelineKeys(): string[] {
    return [...this.pipelines.keys()];
  }

  private compileChecks: Array<Promise<void>> = [];
  private ring: GPUBuffer | null = null;
  private readonly ringData = new Uint8Array(RING_BYTES);
  private ringUsed = 0;

  /** Awaits compilation of every pipeline created so far; throws ShaderCompileError for the first failure. */
  async compileCheck(): Promise<void> {
    const checks = this.compileChecks;
    this.compileChecks = [];
    await Promise.all(checks);
  }

  // ---------------------------------------------------------------- dispatch

  /** Attach (or detach with null) a profiler. Dispatches it times get a compute pass each. */
  setObserver(observer: DispatchObserver | null): void {
    this.flush();
    this.observer = observer;
  }

  /** Listen to every dispatch (capture/profiling bookkeeping). Returns an unsubscribe function. */
  onDispatch(listener: (info: DispatchInfo) => void): () => void {
    this.dispatchListeners.add(listener);
    return () => this.dispatchListeners.delete(listener);
  }

  /**
   * Called right after each submit of recorded work (flush, and so every read and sync): the point
   * where buffers written by that work may be mapped (mapAsync). Returns an unsubscribe function.
   */
  onSubmit(listener: () => void): () => void {
    this.submitListeners.add(listener);
    return () => this.submitListeners.delete(listener);
  }

  /**
   * Called at the start of every flush, before the recorded work is submitted (with or without an
   * open encoder): the last point to encode work that reads buffers released since the last submit
   * (they return to the pool only after it). Work a listener encodes goes into this submit (a flush
   * that work causes, a full uniform ring, submits without calling the listeners again). A listener
   * that throws does not stop the submit; its error is rethrown after it. Returns an unsubscribe
   * function.
   */
  onFlush(listener: () => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  private getEncoder(): GPUCommandEncoder {
    this.checkAlive();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: this.label });
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Builds (and caches) a bind group: params at binding 0 (if any), storage buffers at 1…n. */
  bindGroup(
    kernel: Kernel,
    paramsBuffer: GPUBuffer | { buffer: GPUBuffer; offset: number; size: number } | null,
    bindings: readonly Binding[],
  ): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    const keyParts: Array<string | number> = [kernel.id];
    if (paramsBuffer) {
      const pb = 'offset' in paramsBuffer && !('mapState' in paramsBuffer) ? paramsBuffer : { buffer: paramsBuffer as GPUBuffer, offset: 0, size: undefined };
      entries.push({ binding: 0, resource: pb.size === undefined ? { buffer: pb.buffer } : { buffer: pb.buffer, offset: pb.offset, size: pb.size } });
      keyParts.push(`${bufferId(pb.buffer)}@${pb.offset}+${pb.size ?? '*'}`);
    }
    bindings.forEach((b, i) => {
      let buffer: GPUBuffer;
      let offset = 0;
      let size: number | undefined;
      if (b instanceof Tensor) {
        b.assertAlive();
        buffer = b.buffer;
        offset = b.byteOffset;
        size = Math.max(4, b.size * 4);
      } else if ('buffer' in b && !('mapState' in b)) {
        buffer = b.buffer;
        offset = b.offset ?? 0;
        size = b.size;
      } else {
        buffer = b as GPUBuffer;
      }
      const resource: GPUBufferBinding = size === undefined ? { buffer, offset } : { buffer, offset, size };
      entries.push({ binding: i + 1, resource });
      keyParts.push(`${bufferId(buffer)}@${offset}+${size ?? '*'}`);
    });
    const key = keyParts.join('|');
    const cached = this.bindGroups.get(key);
    if (cached) return cached;
    const bg = this.device.createBindGroup({ layout: kernel.layout, entries, label: kernel.key });
    if (this.bindGroups.size > 4096) this.bindGroups.clear();
    this.bindGroups.set(key, bg);
    return bg;
  }

  /** Records one dispatch. Work is batched until flush() (or a read). */
  dispatch(args: DispatchArgs): void {
    this.checkAlive();
    let paramsBinding: { buffer: GPUBuffer; offset: number; size: number } | null = null;
    if (args.params) {
      // Uniforms go into one ring buffer written once per submit (flush); each dispatch binds its
      // 256-byte-aligned slot. Repeated op sequences (decode steps) then hit the bind-group cache.
      const size = args.params.byteLength;
      const slot = Math.ceil(size / RING_ALIGN) * RING_ALIGN;
      if (this.ringUsed + slot > RING_BYTES) this.flush();
      this.ring ??= this.device.createBuffer({ size: RING_BYTES, usage: UNIFORM_USAGE, label: `${this.label}:uniforms` });
      this.ringData.set(new Uint8Array(args.params), this.ringUsed);
      paramsBinding = { buffer: this.ring, offset: this.ringUsed, size };
      this.ringUsed += slot;
    }
    const bg = this.bindGroup(args.kernel, paramsBinding, args.bindings);
    this.dispatchBound(args.kernel, bg, args.workgroups, args.info);
  }

  /**
   * The model layer being encoded (set by the forward around each layer): dispatches whose op does
   * not name a layer itself are attributed to it, so a profile's per-layer view holds every kernel
   * of the layer (feature maps, gates, recurrence, output norm), not only those taking `layer`.
   */
  currentLayer: number | undefined = undefined;

  /** Records a dispatch with a prepared bind group (hot paths such as decode). */
  dispatchBound(kernel: Kernel, bindGroup: GPUBindGroup, workgroups: readonly [number, number?, number?], dispatched: DispatchInfo): void {
    const info = dispatched.layer === undefined && this.currentLayer !== undefined ? { ...dispatched, layer: this.currentLayer } : dispatched;
    const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    if (wg.some((w) => w > maxWg || !Number.isInteger(w) || w < 0)) {
      throw new ShapeError(info.op, `workgroup count [${wg.join(', ')}] exceeds ${maxWg} per dimension`);
    }
    this.dispatchCount++;
    for (const l of this.dispatchListeners) l(info);
    if (wg[0] * wg[1] * wg[2] === 0) return;
    const enc = this.getEncoder();
    const tw = this.observer?.beginDispatch(info, wg);
    if (tw) {
      this.endPass();
      const pass = enc.beginComputePass({ timestampWrites: tw, label: info.op });
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
      pass.end();
      return;
    }
    if (!this.pass) {
      this.pass = enc.beginComputePass({ label: this.label });
      this.passPipeline = null;
    }
    if (this.passPipeline !== kernel.pipeline) {
      this.pass.setPipeline(kernel.pipeline);
      this.passPipeline = kernel.pipeline;
    }
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
  }

  /** Submits all recorded work and recycles buffers released meanwhile. */
  flush(): void {
    if (this.flushing) {
      // A listener's own work filled the uniform ring: submit what is recorded so far and let the
      // listeners of the flush under way go on (run again here, one would act on half-encoded work:
      // Capture would copy out outputs its dispatch has not yet written).
      this.submit();
      return;
    }
    let failed: { error: unknown } | null = null;
    this.flushing = true;
    try {
      for (const l of this.flushListeners) {
        try {
          l();
        } catch (error) {
          failed ??= { error };
        }
      }
    } finally {
      this.flushing = false;
    }
    this.submit();
    if (failed) throw failed.error;
  }

  private submit(): void {
    if (!this.encoder) return;
    this.endPass();
    const enc = this.encoder;
    this.encoder = null;
    if (this.ring && this.ringUsed > 0) this.device.queue.writeBuffer(this.ring, 0, this.ringData.buffer, 0, this.ringUsed);
    this.ringUsed = 0;
    this.observer?.beforeSubmit(enc);
    if (!this.lostError) this.device.queue.submit([enc.finish()]);
    this.observer?.afterSubmit();
    const pending = this.pendingRelease;
    this.pendingRelease = [];
    for (const { key, buffer } of pending) this.returnToPool(key, buffer);
    for (const l of this.submitListeners) l();
  }

  /** Submits and waits until the GPU has finished everything so far. */
  async sync(): Promise<void> {
    this.flush();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.lostPromise.then((e) => Promise.reject(e))]);
    this.checkErrors();
  }

  private stagingPool: StagingPool | null = null;

  /**
   * MAP_READ staging buffers for background read-backs (capture's readback 'submit'), shared by all
   * their users and kept between them: creating mappable buffers costs the host more than the reads.
   */
  get staging(): StagingPool {
    this.checkAlive();
    this.stagingPool ??= new StagingPool(this.device, { buffers: 0, bufferBytes: 1 << 20, maxBytes: STAGING_POOL_BYTES, label: `${this.label}:staging` });
    return this.stagingPool;
  }

  /** Releases everything; the device itself is owned by the host and destroyed only if asked. */
  destroy(destroyDevice = false): void {
    this.flush();
    this.trim();
    this.stagingPool?.destroy();
    this.stagingPool = null;
    this.pipelines.clear();
    this.bindGroups.clear();
    if (destroyDevice) this.device.destroy();
  }
}

/** Ids of long define values (generated code): keys stay short, and a string object seen before is hashed once. */
const longValues = new Map<string, number>();

function stableString(o: Readonly<Record<string, unknown>>): string {
  return Object.keys(o)
    .sort()
    .map((k) => {
      const v = o[k];
      if (typeof v !== 'string' || v.length <= 64) return `${k}=${String(v)}`;
      let id = longValues.get(v);
      if (id === undefined) {
        id = longValues.size;
        longValues.set(v, id);
      }
      return `${k}=#${id}`;
    })
    .join(',');
}
