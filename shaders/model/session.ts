// Session: one model on one GpuContext with one running sequence. Build from config + weights,
// prefill(tokens), step(token), generate(prompt, sampling, stop) streaming tokens through a callback
// (only the sampled id is read back per token), reset, cancel. Calls are serialized; capture taps
// attach via `tap`, the profiler via ctx.setObserver — neither changes a kernel; `interventions`
// (model/interventions.ts) edit every later forward.

import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../errors.js';
import { parseConfig, type ModelConfig } from './config.js';
import { mapSource, validateWeights, type WeightMap, type WeightSource } from './weights.js';
import { GpuModel, ModelState, forward, type ProgressFn, type Tap } from './model.js';
import { sample } from '../ops/sampling.js';
import { validateInterventions, type Intervention } from './interventions.js';

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK?: number;
  /** 1 = off. */
  topP?: number;
  seed?: number;
}

export interface GenerateOptions {
  maxTokens: number;
  /** Token ids that end generation (the stop token is included in the result). */
  stop?: readonly number[];
  /** Called with each new token as soon as it is known. */
  onToken?: (token: number, index: number) => void;
}

export interface GenerateResult {
  tokens: number[];
  stopReason: 'stop' | 'length' | 'cancelled';
  /** Wall-clock milliseconds of prefill and of the decode loop. */
  prefillMs: number;
  decodeMs: number;
}

export interface SessionOptions {
  mode?: 'chunk' | 'recurrent';
  chunkSize?: number;
  onProgress?: ProgressFn;
}

export class Session {
  /** Observes tensors during forward passes (capture). Null = off, zero cost. */
  tap: Tap | null = null;
  private interventionList: readonly Intervention[] = [];
  mode: 'chunk' | 'recurrent';
  chunkSize: number;
  private readonly state: ModelState;
  private queue: Promise<unknown> = Promise.resolve();
  private cancelled = false;
  private disposed = false;

  private constructor(
    readonly ctx: GpuContext,
    readonly model: GpuModel,
    o: SessionOptions,
  ) {
    this.mode = o.mode ?? 'chunk';
    this.chunkSize = o.chunkSize ?? 64;
    this.state = new ModelState(ctx, model.config);
  }

  /** From an in-memory weight map. `config` is a normalized ModelConfig or a raw config.json object. */
  static async create(ctx: GpuContext, config: ModelConfig | Record<string, unknown>, weights: WeightMap, o: SessionOptions = {}): Promise<Session> {
    const c = asConfig(config);
    validateWeights(c, weights);
    return Session.load(ctx, c, mapSource(weights), o);
  }

  /** From a weight source (e.g. a model folder read tensor by tensor), streamed to the GPU. */
  static async load(ctx: GpuContext, config: ModelConfig | Record<string, unknown>, source: WeightSource, o: SessionOptions = {}): Promise<Session> {
    const model = await GpuModel.load(ctx, asConfig(config), source, o.onProgress);
    return new Session(ctx, model, o);
  }

  /**
   * Interventions applied to every forward this session runs (prefill, step, generate); [] = none.
   * Validated when set: the setter throws an InterventionError and keeps the previous list.
   */
  get interventions(): readonly Intervention[] {
    return this.interventionList;
  }

  set interventions(list: readonly Intervention[]) {
    validateInterventions(this.model.config, list);
    this.interventionList = [...list];
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  /** Tokens consumed so far in this sequence. */
  get position(): number {
    return this.state.position;
  }

  get stateBytes(): { state: number; kvCache: number } {
    return this.state.bytes;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private checkTokens(tokens: ArrayLike<number>): Uint32Array {
    if (this.disposed) throw new ShapeError('session', 'used after dispose()');
    const V = this.config.vocabSize;
    const ids = new Uint32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as number;
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new ShapeError('tokens', `token ${i} = ${t} is outside the vocabulary [0, ${V})`);
      ids[i] = t;
    }
    if (ids.length === 0) throw new ShapeError('tokens', 'at least one token is needed');
    return ids;
  }

  private run(ids: Tensor, logits: 'last' | 'all'): Tensor {
    return forward(this.model, this.state, ids, {
      logits,
      mode: this.mode,
      chunkSize: this.chunkSize,
      tap: this.tap,
      ...(this.interventionList.length > 0 ? { interventions: this.interventionList } : {}),
    });
  }

  /** Feeds tokens; returns the logits of the last token ([vocab]) or of all ([T·vocab]). */
  prefill(tokens: ArrayLike<number>, o: { logits?: 'last' | 'all' } = {}): Promise<Float32Array> {
    return this.serial(async () => {
      const ids = this.ctx.upload(this.checkTokens(tokens), [tokens.length], 'ids');
      try {
        const logits = this.run(ids, o.logits ?? 'last');
        try {
          return await this.ctx.readF32(logits);
        } finally {
          logits.dispose();
        }
      } finally {
        ids.dispose();
      }
    });
  }

  /** Feeds one token; returns its logits. */
  step(token: number): Promise<Float32Array> {
    return this.prefill([token]);
  }

  /**
   * Prefills `prompt`, then samples on the GPU until `maxTokens`, a stop token, or cancel().
   * Only each sampled id (4 bytes) is read back, and the host never waits for it with the GPU idle:
   * step i+1 (which reads token i on the GPU) is encoded and submitted before token i is read back.
   * When token i turns out to be a stop token, that speculative step is undone (the recurrent state
   * is snapshotted before it when stop tokens are given: one GPU copy per token). cancel() takes
   * effect after the token in flight. Either way, afterwards the state holds the prompt and every
   * generated token but the last, exactly as if each step had waited for its token.
   */
  generate(prompt: ArrayLike<number>, sampling: SamplingOptions, o: GenerateOptions): Promise<GenerateResult> {
    return this.serial(async () => {
      this.cancelled = false;
      const ctx = this.ctx;
      const stop = new Set(o.stop ?? []);
      const tokens: number[] = [];
      const t0 = now();
      const ids = ctx.upload(this.checkTokens(prompt), [prompt.length], 'ids');
      // Two id buffers: step i+1 reads token i from one while sampling token i+1 into the other.
      const tok = [ctx.tensor([1], 'u32', 'sampled.0'), ctx.tensor([1], 'u32', 'sampled.1')] as const;
      const sampleInto = (logits: Tensor, out: Tensor): void => {
        sample(ctx, {
          logits,
          temperature: sampling.temperature,
          topK: sampling.topK ?? 0,
          topP: sampling.topP ?? 1,
          seed: sampling.seed ?? 0,
          step: this.state.position,
          out,
        });
        logits.dispose();
      };
      const readId = async (t: Tensor): Promise<number> => ((await ctx.read(t)) as Uint32Array)[0] as number;
      let stopReason: GenerateResult['stopReason'] = 'length';
      let prefillMs = 0;
      let inFlight: Promise<number> | null = null;
      try {
        const first = this.run(ids, 'last');
        if (o.maxTokens <= 0 || this.cancelled) {
          first.dispose();
          ctx.flush();
          if (o.maxTokens > 0) stopReason = 'cancelled';
        } else {
          sampleInto(first, tok[0]);
          let pending = readId(tok[0]); // submits the prefill and the first sample
          for (let i = 0; ; i++) {
            // Speculate: feed token i (still on the GPU) and sample token i + 1.
            let next: Promise<number> | null = null;
            if (i + 1 < o.maxTokens && !this.cancelled) {
              if (stop.size > 0) this.state.snapshot();
              sampleInto(this.run(tok[i % 2] as Tensor, 'last'), tok[(i + 1) % 2] as Tensor);
              next = readId(tok[(i + 1) % 2] as Tensor);
              inFlight = next;
            }
            const id = await pending;
            if (i === 0) prefillMs = now() - t0;
            tokens.push(id);
            o.onToken?.(id, i);
            if (stop.has(id)) {
              stopReason = 'stop';
              if (next) {
                await next; // the speculative step has run: undo it
                this.state.restore();
              }
              break;
            }
            if (!next) {
              if (i + 1 < o.maxTokens) stopReason = 'cancelled';
              break;
            }
            pending = next;
          }
        }
        inFlight = null;
      } finally {
        // An error mid-loop can leave a read in flight: let it settle before its buffers are freed.
        await inFlight?.catch(() => undefined);
        ids.dispose();
        tok.forEach((t) => t.dispose());
      }
      return { tokens, stopReason, prefillMs, decodeMs: now() - t0 - prefillMs };
    });
  }

  /** Stops a running generate() after the current token. */
  cancel(): void {
    this.cancelled = true;
  }

  /** Forgets the sequence: states zeroed, caches dropped. */
  reset(): Promise<void> {
    return this.serial(async () => {
      this.state.reset();
      await this.ctx.sync();
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.state.dispose();
    this.model.dispose();
  }
}

function asConfig(config: ModelConfig | Record<string, unknown>): ModelConfig {
  return 'numLayers' in config ? (config as ModelConfig) : parseConfig(config);
}

// performance.now exists in browsers, Node and Workers; the engine's lib (ES2022) does not declare it.
const now = (): number => (globalThis as unknown as { performance: { now(): number } }).performance.now();

