// The session runner: the engine side of the app. Opens model folders into Sessions (one per model,
// weights stay on the GPU), generates with streamed tokens, then analyzes the whole sequence in one
// captured prefill (capture reductions + full tensors of the tapped points + logits of every
// position) and writes plain records into the store. Effective attention and the kernel profile
// are computed on request. Everything here is async GPU work; nothing blocks the UI thread for long.
// A run may carry interventions (shaders/model/interventions.ts): they are set on its session for
// every GPU job of that run (generation, the analysis prefill, scoring, profiling) and cleared after,
// so the session is always left with none.

import type { Tokenizer } from '@huggingface/tokenizers';
import {
  Capture,
  DEFAULT_QUANTITIES,
  MAX_ATTENTION_WINDOW,
  Session,
  TensorDump,
  combineTaps,
  joinChunks,
  effectiveAttention,
  openModelFolder,
  profileRun,
  sweepRun,
  sweepRow,
  randomWeights,
  readoutScale,
  softmaxBaselineConfig,
  hasSoftmaxLayers,
  validateInterventions,
  type DumpChunk,
  type FolderReader,
  type Intervention,
  type ModelFolder,
  type GpuContext,
  type ModelConfig,
  type SamplingOptions,
  type SweepRow,
  type TapPoint,
} from '../../shaders/index.js';
import { loadTokenizerFromFolder } from '../host/folder.js';
import { modelConfig, useStore } from '../state/store.js';
import { dumpKey, type DumpTensor, type LoadedModel, type ModelRef, type Run, type TokenView, type TrainingLog } from '../state/types.js';
import { PieceStream, sliced, tokenStatsSliced } from './tokens.js';

/** Tap points whose full tensors the analysis keeps (those a variant lacks simply never fire). */
export const DUMP_POINTS: readonly TapPoint[] = ['gate.a', 'gate.c', 'gate.logA', 'gate.logD', 'phi.q', 'phi.k', 'attn.o'];
/** Above this many bytes of dumped tensors, only the selected layer is dumped. */
const DUMP_BUDGET = 192 * 2 ** 20;
/** Logits of every position are read back only up to this many floats ([T, vocab]). */
const LOGITS_BUDGET = 24 * 2 ** 20;
/** The analysis (and so every per-token panel) covers at most this many tokens. */
export const MAX_ANALYSIS_TOKENS = MAX_ATTENTION_WINDOW;

interface Open {
  model: LoadedModel;
  session: Session;
  tokenizer: Tokenizer;
}

let runCounter = 0;

/** A model and the interventions it runs under (crossScore scores each run as it was generated). */
export interface Scorer {
  key: string;
  interventions?: readonly Intervention[];
}

/**
 * Runs `fn` with `list` set as the session's interventions and always clears them after, so no GPU
 * job of another run ever sees them. The setter validates (InterventionError, nothing set).
 */
export async function withInterventions<T>(session: { interventions: readonly Intervention[] }, list: readonly Intervention[], fn: () => Promise<T>): Promise<T> {
  session.interventions = list;
  try {
    return await fn();
  } finally {
    session.interventions = [];
  }
}

export class Runner {
  private readonly open = new Map<string, Open>();
  private readonly sessionsBusy = new Map<string, Promise<unknown>>();

  constructor(readonly ctx: GpuContext) {}

  /** Opens (or returns) a model: folder → config + streamed weights → Session; tokenizer; training log. */
  async load(ref: ModelRef, reader: FolderReader): Promise<LoadedModel> {
    const have = this.open.get(ref.key);
    if (have) return have.model;
    const st = useStore.getState();
    st.setProgress({ label: `Opening ${ref.name}`, fraction: 0 });
    let folder: ModelFolder | null = null;
    try {
      folder = await openModelFolder(reader);
      const tokenizer = await loadTokenizerFromFolder(folder);
      // Read before the upload: nothing can fail between creating the session and keeping it.
      const trainingLog = await readTrainingLog(reader);
      const session = await Session.load(this.ctx, folder.config, folder.source, {
        onProgress: (done, total) => useStore.getState().setProgress({ label: `Uploading ${ref.name}`, fraction: total > 0 ? done / total : 1 }),
      });
      const model: LoadedModel = { ref, config: folder.config, weightBytes: folder.weightBytes, trainingLog };
      this.open.set(ref.key, { model, session, tokenizer });
      useStore.getState().setLoaded(model);
      return model;
    } finally {
      await folder?.close();
      useStore.getState().setProgress(null);
    }
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  private get(key: string): Open {
    const o = this.open.get(key);
    if (!o) throw new Error(`model ${key} is not open`);
    return o;
  }

  /** One GPU job at a time per session (generate, analyze, profile share its state). */
  private exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.sessionsBusy.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.sessionsBusy.set(key, next.catch(() => undefined));
    return next;
  }

  /**
   * Starts a run: streams generated tokens into the store, then analyzes. Resolves with its id.
   * `interventions` apply to the generation and to the analysis prefill (so every panel shows the
   * intervened model) and are recorded in the run; a list that does not fit the model rejects with
   * an InterventionError before any run is registered. The run is registered synchronously (before
   * the first await), so a caller may read it as the store's current run right after the call.
   */
  async generate(modelKey: string, prompt: string, sampling: SamplingOptions, maxTokens: number, interventions: readonly Intervention[] = []): Promise<string> {
    const o = this.get(modelKey);
    validateInterventions(o.model.config, interventions);
    const id = `run${++runCounter}`;
    const promptIds = o.tokenizer.encode(prompt).ids;
    const st = useStore.getState();
    const run: Run = {
      id,
      model: o.model.ref,
      prompt,
      sampling,
      interventions: structuredClone([...interventions]),
      maxTokens,
      status: 'generating',
      error: null,
      tokens: [],
      promptLength: promptIds.length,
      stats: { prefillMs: 0, decodeMs: 0, generated: 0, stopReason: null },
      analysis: null,
      attention: null,
      profile: null,
    };
    st.putRun(run);
    st.setCurrentRun(id);
    if (promptIds.length === 0) {
      st.updateRun(id, { status: 'error', error: 'the prompt encodes to no tokens' });
      return id;
    }
    const pieces = new PieceStream((ids) => o.tokenizer.decode(ids));
    const view = (t: number, pos: number): TokenView => ({
      pos,
      id: t,
      text: pieces.push(t),
      prompt: pos < promptIds.length,
      logprob: null,
      entropy: null,
      top: [],
    });
    st.updateRun(id, { tokens: promptIds.map(view) });
    await this.exclusive(modelKey, async () => {
      const s = o.session;
      try {
        await withInterventions(s, run.interventions, async () => {
          await s.reset();
          const all = [...promptIds];
          const maxNew = Math.max(0, Math.min(maxTokens, MAX_ANALYSIS_TOKENS - promptIds.length));
          const res = await s.generate(promptIds, sampling, {
            maxTokens: maxNew,
            onToken: (t) => {
              all.push(t);
              const tv = view(t, all.length - 1);
              useStore.getState().updateRun(id, (r) => ({ tokens: [...r.tokens, tv] }));
            },
          });
          useStore.getState().updateRun(id, {
            status: res.stopReason === 'cancelled' ? 'cancelled' : 'analyzing',
            stats: { prefillMs: res.prefillMs, decodeMs: res.decodeMs, generated: res.tokens.length, stopReason: res.stopReason },
          });
          await this.analyzeNow(id, o, all);
        });
      } catch (e) {
        useStore.getState().updateRun(id, { status: 'error', error: describe(e) });
      }
    });
    return id;
  }

  cancel(modelKey: string): void {
    this.open.get(modelKey)?.session.cancel();
  }

  /**
   * One prefill over the whole sequence with capture (every default quantity plus the token-serial
   * ‖S_t‖), full tensors of DUMP_POINTS and logits at every position (→ log-probs, entropy, top-3).
   */
  private async analyzeNow(id: string, o: Open, ids: number[]): Promise<void> {
    const run = useStore.getState().runs[id];
    if (!run) return;
    const c = o.model.config;
    const s = o.session;
    const T = ids.length;
    const t0 = performance.now();
    const perLayer = T * 4 * (2 * c.keyDim + 3 * c.numKvHeads * Math.max(c.headDimK, c.headDimV) + c.valueDim);
    const layers = perLayer * c.numLayers <= DUMP_BUDGET ? undefined : [Math.min(useStore.getState().layer, c.numLayers - 1)];
    const chunks: DumpChunk[] = [];
    const capture = new Capture(this.ctx, { quantities: [...DEFAULT_QUANTITIES, 'tokenState'] });
    const dump = new TensorDump(this.ctx, {
      points: DUMP_POINTS,
      ...(layers ? { layers } : {}),
      pool: { buffers: 4, bufferBytes: 4 * 2 ** 20, maxBytes: DUMP_BUDGET + 64 * 2 ** 20 },
      onChunk: (ch) => chunks.push(ch),
    });
    const wantLogits = T * c.vocabSize <= LOGITS_BUDGET;
    try {
      await s.reset();
      s.tap = combineTaps(capture.tap, dump.tap);
      const logits = await s.prefill(ids, { logits: wantLogits ? 'all' : 'last' });
      s.tap = null;
      await dump.close();
      const records = await capture.collect();
      const dumps = new Map<string, DumpTensor>();
      for (const j of joinChunks(chunks)) {
        const [rows = 0, ...rowShape] = j.shape;
        dumps.set(dumpKey(j.point, j.layer), { layer: j.layer, point: j.point, pos0: j.tokens.lo, rows, rowShape, data: j.data });
      }
      const stats = wantLogits ? await tokenStatsSliced(logits, T, c.vocabSize, ids, (t) => o.tokenizer.decode([t])) : null;
      useStore.getState().updateRun(id, (r) => ({
        status: r.status === 'cancelled' ? 'cancelled' : 'done',
        analysis: { T, records, dumps, ms: performance.now() - t0 },
        tokens: stats ? r.tokens.map((tv, pos) => ({ ...tv, ...stats[pos] })) : r.tokens,
      }));
    } finally {
      s.tap = null;
      capture.dispose();
      dump.dispose();
      await s.reset();
    }
  }

  /**
   * The effective attention matrix of one layer and query head over the analyzed tokens. Computed
   * from the run's dumped φ(q), φ(k) and log α, which its analysis prefill captured under the run's
   * interventions (taps see the intervened tensors: a swapped feature map's φ, a clamped or forced
   * gate's log α), so an intervened run's matrix is the intervened model's without another forward.
   * The read-out scale is the config's, as under interventions.
   */
  async attention(id: string, layer: number, head: number): Promise<void> {
    const st = useStore.getState();
    const run = st.runs[id];
    const a = run?.analysis;
    if (!run || !a) return;
    // Only the recorded φ dumps and the config are needed: runs restored from a session bundle
    // whose model is not open get their matrix too.
    const c = modelConfig(st, run.model.key);
    if (!c) throw new Error(`the config of model ${run.model.name} is neither open nor recorded`);
    const q = a.dumps.get(dumpKey('phi.q', layer));
    const k = a.dumps.get(dumpKey('phi.k', layer));
    if (!q || !k) throw new Error(`layer ${layer} has no φ(q)/φ(k) dump (a softmax layer, or the dump kept only another layer)`);
    const A = a.dumps.get(dumpKey('gate.logA', layer));
    const T = q.rows;
    const up = (d: DumpTensor, name: string) => this.ctx.upload(d.data, [1, d.rows, ...d.rowShape], name);
    const phiQ = up(q, 'attn.phiQ');
    const phiK = up(k, 'attn.phiK');
    const logA = A ? up(A, 'attn.logA') : undefined;
    try {
      const m = effectiveAttention(this.ctx, { phiQ, phiK, A: logA, head, scale: readoutScale(c), denominator: c.denominator, layer, t0: 0, t1: T });
      try {
        const matrix = await this.ctx.readF32(m);
        useStore.getState().updateRun(id, { attention: { layer, head, lo: q.pos0, hi: q.pos0 + T, matrix } });
      } finally {
        m.dispose();
      }
    } finally {
      phiQ.dispose();
      phiK.dispose();
      logA?.dispose();
    }
  }

  /** Per-op kernel profile of this run's prompt (prefill) and a few decode steps, under its interventions. */
  async profile(id: string, o: { decodeTokens?: number; repeat?: number } = {}): Promise<void> {
    const run = useStore.getState().runs[id];
    if (!run) return;
    const m = this.get(run.model.key);
    const prompt = run.tokens.slice(0, run.promptLength).map((t) => t.id);
    await this.exclusive(run.model.key, () =>
      withInterventions(m.session, run.interventions, async () => {
        const report = await profileRun(m.session, {
          prompt,
          decodeTokens: o.decodeTokens ?? 16,
          repeat: o.repeat ?? 3,
          warmup: 1,
          mode: 'per-op',
          variant: run.model.name,
        });
        useStore.getState().updateRun(id, { profile: report });
        await m.session.reset();
      }),
    );
  }

  /**
   * Prefill and decode latency of open models over sequence lengths × chunk sizes (the engine's
   * sweep, shaders/profile/sweep.ts, measured on the open sessions themselves), optionally with the
   * engine's all-softmax version of the first model (random weights, as `regla sweep --softmax`).
   * Runs one (variant, chunk, T) cell at a time under that model's exclusive lock, so generate and
   * analysis can interleave between cells; streams each row to onRow; stops at the next repeat
   * once `signal` aborts. Per cell: `warmup` discarded runs the first time a variant meets a chunk
   * size (its pipelines), then `repeat` runs of reset → prefill(T ids cycling through the
   * vocabulary) → `decode` single steps; times are medians, memory as the engine counts it. Rows
   * come T by T (each length for every chunk and variant), not in the engine's variant-major
   * order. Sessions are left reset at their own chunk size. Resolves with the rows measured.
   */
  async sweep(
    modelKeys: readonly string[],
    o: {
      seq: readonly number[];
      chunk: readonly number[];
      decode: number;
      repeat: number;
      softmax: boolean;
      onRow: (row: SweepRow) => void;
      signal: AbortSignal;
      /** The variants in order (names as in the rows), before the first row. */
      onVariants?: (variants: ReadonlyArray<{ name: string; key: string | null; baseline: boolean; softmaxLayers: boolean }>) => void;
      /** Discarded runs before the first measured T of each chunk size (default 1). */
      warmup?: number;
    },
  ): Promise<SweepRow[]> {
    if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new RangeError(`sweep: repeat must be an integer ≥ 1, got ${o.repeat}`);
    if (!Number.isInteger(o.decode) || o.decode < 0) throw new RangeError(`sweep: decode tokens must be an integer ≥ 0, got ${o.decode}`);
    for (const T of o.seq) if (!Number.isInteger(T) || T < 1) throw new RangeError(`sweep: sequence length ${T} is not an integer ≥ 1`);
    for (const c of o.chunk) if (!Number.isInteger(c) || c < 16 || c > 128 || c % 16 !== 0) throw new RangeError(`sweep: chunk size ${c} is not a multiple of 16 in 16..128`);
    const warmup = o.warmup ?? 1;
    const taken = new Set<string>();
    const unique = (base: string): string => {
      let name = base || 'model';
      for (let i = 2; taken.has(name); i++) name = `${base}#${i}`;
      taken.add(name);
      return name;
    };
    const variants: Array<{ name: string; key: string | null; config: ModelConfig; session: Session }> = modelKeys.map((key) => {
      const m = this.get(key);
      return { name: unique(m.model.ref.name), key, config: m.model.config, session: m.session };
    });
    const first = variants[0];
    let baseline: Session | null = null;
    const rows: SweepRow[] = [];
    try {
      if (o.softmax && first) {
        const config = softmaxBaselineConfig(first.config);
        baseline = await Session.create(this.ctx, config, randomWeights(config, { seed: 1 }));
        variants.push({ name: unique('softmax'), key: null, config, session: baseline });
      }
      o.onVariants?.(variants.map((v) => ({ name: v.name, key: v.key, baseline: v.key === null, softmaxLayers: hasSoftmaxLayers(v.config) })));
      const cell = async (s: Session, config: ModelConfig, name: string, chunk: number, T: number, warm: number): Promise<SweepRow | null> => {
        const own = s.chunkSize;
        const pre: number[] = [];
        const dec: number[] = [];
        s.chunkSize = chunk;
        try {
          for (let r = 0; r < warm + o.repeat; r++) {
            if (o.signal.aborted) return null;
            const t = await sweepRun(this.ctx, s, T, o.decode);
            if (r < warm) continue;
            pre.push(t.prefill);
            if (o.decode > 0) dec.push(t.decode);
          }
          return sweepRow({ name, config, session: s }, T, chunk, o.decode, pre, dec); // memory before the reset below
        } finally {
          s.chunkSize = own;
          await s.reset();
        }
      };
      // Shortest lengths first, every variant and chunk at each: the curves grow together, and a
      // cancelled sweep still compares the variants over the lengths it reached.
      const warmed = new Set<string>();
      outer: for (const T of o.seq) {
        for (const chunk of o.chunk) {
          for (const [vi, v] of variants.entries()) {
            if (o.signal.aborted) break outer;
            const w = `${vi}|${chunk}`;
            const job = (): Promise<SweepRow | null> => cell(v.session, v.config, v.name, chunk, T, warmed.has(w) ? 0 : warmup);
            const row = v.key === null ? await job() : await this.exclusive(v.key, job);
            if (!row) break outer;
            warmed.add(w);
            rows.push(row);
            o.onRow(row);
          }
        }
      }
    } finally {
      baseline?.dispose();
    }
    return rows;
  }

  /**
   * Scores one token sequence (teacher-forced) under several open models, each from an empty state
   * and under its scorer's interventions (a run is scored as it was generated; the same model may
   * appear twice with different lists): per position t ≥ 1, log p_i(ids[t] | ids[<t]) for every
   * scorer i, and KL(p_0 ‖ p_i) of the next-token distributions (nats; 0 for scorer 0). Needs every
   * model's vocabulary to be the same size.
   */
  async crossScore(ids: readonly number[], scorers: readonly Scorer[]): Promise<{ logprobs: Float64Array[]; kl: Float64Array[] }> {
    const models = scorers.map((x) => this.get(x.key));
    scorers.forEach((x, i) => validateInterventions((models[i] as Open).model.config, x.interventions ?? []));
    const V = models[0]?.model.config.vocabSize ?? 0;
    for (const m of models) {
      if (m.model.config.vocabSize !== V) throw new Error(`cannot compare ${m.model.ref.name}: vocabulary ${m.model.config.vocabSize} ≠ ${V}`);
    }
    const T = Math.min(ids.length, MAX_ANALYSIS_TOKENS);
    if (T * V > LOGITS_BUDGET) throw new Error(`scoring ${T} tokens × ${V} ids exceeds the logits budget`);
    const logSoftmax: Float32Array[] = [];
    for (const [i, m] of models.entries()) {
      const scorer = scorers[i] as Scorer;
      const rows = await this.exclusive(scorer.key, () =>
        withInterventions(m.session, scorer.interventions ?? [], async () => {
          await m.session.reset();
          try {
            return await m.session.prefill(ids.slice(0, T), { logits: 'all' });
          } finally {
            await m.session.reset();
          }
        }),
      );
      // [T, vocab] work on the page's thread, in slices that yield (no long task on long runs).
      const ls = new Float32Array(T * V);
      await sliced(0, T, (t) => logSoftmaxRow(rows, ls, t, V));
      logSoftmax.push(ls);
    }
    const base = logSoftmax[0] as Float32Array;
    const logprobs = logSoftmax.map((ls) => {
      const out = new Float64Array(T).fill(NaN);
      for (let t = 1; t < T; t++) out[t] = ls[(t - 1) * V + (ids[t] as number)] as number;
      return out;
    });
    const kl: Float64Array[] = [];
    for (const ls of logSoftmax) {
      const out = new Float64Array(T).fill(NaN);
      await sliced(1, T, (t) => {
        let d = 0;
        const o = (t - 1) * V;
        for (let j = 0; j < V; j++) {
          const lp = base[o + j] as number;
          d += Math.exp(lp) * (lp - (ls[o + j] as number));
        }
        out[t] = Math.max(0, d);
      });
      kl.push(out);
    }
    return { logprobs, kl };
  }

  dispose(): void {
    for (const o of this.open.values()) o.session.dispose();
    this.open.clear();
  }
}

/** A sample's training_log.json, or null: a missing or unreadable log loses the Training panel only. */
async function readTrainingLog(reader: FolderReader): Promise<TrainingLog | null> {
  try {
    if ((await reader.size('training_log.json')) === null) return null;
    return JSON.parse(new TextDecoder().decode(await reader.read('training_log.json'))) as TrainingLog;
  } catch {
    return null;
  }
}

/** Row-wise log-softmax of [T, V] logits (float64 accumulation). */
export function logSoftmaxRows(logits: Float32Array, T: number, V: number): Float32Array {
  const out = new Float32Array(T * V);
  for (let t = 0; t < T; t++) logSoftmaxRow(logits, out, t, V);
  return out;
}

/** Row t of log softmax(logits) into out. */
function logSoftmaxRow(logits: Float32Array, out: Float32Array, t: number, V: number): void {
  const o = t * V;
  let max = -Infinity;
  for (let j = 0; j < V; j++) max = Math.max(max, logits[o + j] as number);
  let z = 0;
  for (let j = 0; j < V; j++) z += Math.exp((logits[o + j] as number) - max);
  const lz = max + Math.log(z);
  for (let j = 0; j < V; j++) out[o + j] = (logits[o + j] as number) - lz;
}

export function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
