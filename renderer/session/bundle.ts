// Session bundles (.reglasession): one file that saves and reopens a whole session — the models
// (reference, normalized config, content hash of config/weights/tokenizer), every run (prompt,
// sampling with its seed, interventions, tokens, stats, the analysis: capture records and full
// tensor dumps, effective attention, kernel profile), the capture configuration, the adapter, and
// the view (selection, compare, panel). The file is a safetensors container: its __metadata__
// holds the versioned JSON document, its tensors every large typed array (dumps `run3/gate.a@2`,
// TokenMatrix data, attention). Numbers JSON cannot hold (NaN, ±Infinity, −0) are tagged, class
// instances (TokenMatrix) and typed arrays are revived exactly; the document is validated with zod
// on open, and bad files get named errors (BundleError, BundleVersionError, BundleTruncatedError).

import { z } from 'zod';
import {
  DEFAULT_QUANTITIES,
  FEATURE_MAPS,
  ReglaError,
  SafetensorsError,
  SafetensorsTruncatedError,
  TokenMatrix,
  configToJson,
  parseConfig,
  readTypedSafetensors,
  writeTypedSafetensors,
  type CaptureRecord,
  type Intervention,
  type ModelConfig,
  type ProfileReport,
  type Quantity,
  type TapPoint,
  type TypedData,
  type TypedDtype,
  type TypedTensor,
} from '../../shaders/index.js';
import { hashModelFolder, type ModelHash } from '../host/folder.js';
import type { FolderReader } from '../../shaders/index.js';
import { MAX_COMPARE, type RecordedModel, type RestoredSession, type SessionView, type Store } from '../state/store.js';
import { dumpKey, type Analysis, type DumpTensor, type ModelRef, type Run } from '../state/types.js';
import { DUMP_POINTS } from './runner.js';

export const BUNDLE_FORMAT = 'regla-session';
export const BUNDLE_VERSION = 1;
export const BUNDLE_EXTENSION = 'reglasession';
/** The __metadata__ key holding the JSON document (plus `format` and `version` for a quick look). */
const DOC_KEY = 'session';

// ---------------------------------------------------------------------------------- errors

/** The file is not a session bundle, or its document or tensors are malformed. */
export class BundleError extends ReglaError {
  override readonly name: string = 'BundleError';
}

/** The bundle's format version is not one this app reads (`newer`: saved by a later app). */
export class BundleVersionError extends BundleError {
  override readonly name: string = 'BundleVersionError';
  constructor(
    readonly found: unknown,
    readonly newer: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** The file ends before its header or its tensors do (a partial download or copy). */
export class BundleTruncatedError extends BundleError {
  override readonly name: string = 'BundleTruncatedError';
}

/** A local model has the session's model name but other content (reported as a warning). */
export class ModelHashMismatchError extends BundleError {
  override readonly name: string = 'ModelHashMismatchError';
}

// ---------------------------------------------------------------------------------- snapshot

/** One model the session's runs used. */
export interface SessionModel {
  ref: ModelRef;
  config: ModelConfig;
  /** Null where the model could not be hashed when the session was saved. */
  hash: ModelHash | null;
}

/** The view: what every panel follows (intervened run → baseline links and the tour's step included). */
export type SessionUi = SessionView;

/** How the runs' analyses were captured (Runner.analyzeNow's configuration). */
export interface SessionCapture {
  quantities: Quantity[];
  dumpPoints: TapPoint[];
}

/** Everything a bundle holds, as live objects (what encodeSession writes and decodeSession returns). */
export interface SessionSnapshot {
  savedAt: string;
  /** The adapter and its flags where the session ran (store.ui.gpu). */
  gpu: Store['gpu'];
  capture: SessionCapture;
  models: SessionModel[];
  runs: Run[];
  ui: SessionUi;
}

/** What Runner.analyzeNow captures: every default quantity plus the ‖S_t‖ replay, and DUMP_POINTS in full. */
export const ANALYSIS_CAPTURE: SessionCapture = { quantities: [...DEFAULT_QUANTITIES, 'tokenState'], dumpPoints: [...DUMP_POINTS] };

// ---------------------------------------------------------------------------------- encoding

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const SPECIAL = ['NaN', 'Infinity', '-Infinity', '-0'] as const;

/** A number as JSON: itself, or {$num} for what JSON cannot hold exactly. */
function num(v: number): Json {
  if (Number.isFinite(v) && !Object.is(v, -0)) return v;
  return { $num: Object.is(v, -0) ? '-0' : String(v) };
}

class TensorSink {
  readonly tensors: Array<[string, TypedTensor]> = [];
  private readonly names = new Set<string>();

  put(name: string, data: TypedData, shape: readonly number[]): string {
    if (this.names.has(name)) throw new BundleError(`two tensors named ${name}`);
    this.names.add(name);
    this.tensors.push([name, { shape, data }]);
    return name;
  }
}

function isTyped(v: unknown): v is TypedData {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Uint32Array || v instanceof Int32Array || v instanceof Uint8Array;
}

/**
 * A value as JSON: numbers tagged where needed, TokenMatrix → {$tm: {rows, cols, tensor}}, typed
 * arrays → {$t: tensor}, their data into `sink` under `name` (the value's path); undefined fields
 * are left out, as JSON.stringify does.
 */
function enc(v: unknown, name: string, sink: TensorSink): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return num(v);
  if (v instanceof TokenMatrix) return { $tm: { rows: v.rows, cols: v.cols, tensor: sink.put(name, v.data, [v.rows, v.cols]) } };
  if (isTyped(v)) return { $t: sink.put(name, v, [v.length]) };
  if (Array.isArray(v)) return v.map((x, i) => enc(x, `${name}.${i}`, sink));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = enc(x, `${name}.${k}`, sink);
    return out;
  }
  throw new BundleError(`cannot save ${Object.prototype.toString.call(v)} at ${name}`);
}

function encodeRun(r: Run, sink: TensorSink): Json {
  const id = r.id;
  const a = r.analysis;
  return {
    id,
    model: r.model.key,
    prompt: r.prompt,
    sampling: enc(r.sampling, `${id}/sampling`, sink),
    interventions: enc(r.interventions, `${id}/interventions`, sink),
    maxTokens: r.maxTokens,
    status: r.status,
    error: r.error,
    tokens: enc(r.tokens, `${id}/tokens`, sink),
    promptLength: r.promptLength,
    stats: enc(r.stats, `${id}/stats`, sink),
    analysis: a
      ? {
          T: a.T,
          ms: num(a.ms),
          records: enc(a.records, `${id}/records`, sink),
          dumps: [...a.dumps.values()].map((d) => ({
            layer: d.layer,
            point: d.point,
            pos0: d.pos0,
            rows: d.rows,
            rowShape: [...d.rowShape],
            tensor: sink.put(`${id}/${dumpKey(d.point, d.layer)}`, d.data, [d.rows, ...d.rowShape]),
          })),
        }
      : null,
    attention: r.attention ? enc(r.attention, `${id}/attention`, sink) : null,
    profile: r.profile ? enc(r.profile, `${id}/profile`, sink) : null,
  };
}

/** The bundle's bytes. Pure: nothing is read from the store or the host. */
export function encodeSession(s: SessionSnapshot): Uint8Array {
  const sink = new TensorSink();
  const keys = new Set(s.models.map((m) => m.ref.key));
  for (const r of s.runs) if (!keys.has(r.model.key)) throw new BundleError(`run ${r.id}: its model ${r.model.key} is not among the session's models`);
  const doc: Json = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    savedAt: s.savedAt,
    gpu: enc(s.gpu, 'gpu', sink),
    capture: enc(s.capture, 'capture', sink),
    models: s.models.map((m) => ({ ref: enc(m.ref, 'ref', sink), config: enc(configToJson(m.config), 'config', sink), hash: enc(m.hash, 'hash', sink) })),
    runs: s.runs.map((r) => encodeRun(r, sink)),
    ui: enc(s.ui, 'ui', sink),
  };
  return writeTypedSafetensors(sink.tensors, { metadata: { format: BUNDLE_FORMAT, version: String(BUNDLE_VERSION), [DOC_KEY]: JSON.stringify(doc) } });
}

// ---------------------------------------------------------------------------------- decoding

type Table = Map<string, { dtype: TypedDtype; shape: number[]; data: TypedData }>;

/** Compile-time checks that the schemas below cover the app's types. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

const TAP_POINTS = ['hidden', 'gate.a', 'gate.c', 'gate.b', 'gate.logA', 'gate.logD', 'phi.q', 'phi.k', 'keymax', 'v', 'state.in', 'attn.o', 'attn.y', 'state', 'logits'] as const;
export type TapPointsCovered = Assert<Same<(typeof TAP_POINTS)[number], TapPoint>>;
const QUANTITIES = ['gate', 'phi', 'state', 'output', 'logits', 'tokenState', 'tokenNorm', 'phiStats', 'topk', 'channels'] as const;
export type QuantitiesCovered = Assert<Same<(typeof QUANTITIES)[number], Quantity>>;
const RUN_STATUS = ['loading', 'generating', 'analyzing', 'done', 'cancelled', 'error'] as const;
export type StatusCovered = Assert<Same<(typeof RUN_STATUS)[number], Run['status']>>;

/** The document's schemas, reviving tensors from `table` (each use recorded in `used`). */
function schemas(table: Table, used: Set<string>) {
  const Num = z
    .union([z.number(), z.strictObject({ $num: z.enum(SPECIAL) })])
    .transform((v) => (typeof v === 'number' ? v : v.$num === '-0' ? -0 : Number(v.$num)));
  const Int = z.number().int();
  const Nat = Int.nonnegative();
  const Nums = z.array(Num);
  const Point = z.enum(TAP_POINTS);

  const tensor = (name: string, dtype: TypedDtype, shape: readonly number[], ctx: z.RefinementCtx): TypedData | null => {
    const t = table.get(name);
    const want = `${dtype} [${shape.join(', ')}]`;
    if (!t) {
      ctx.addIssue({ code: 'custom', message: `no tensor ${name} in the bundle` });
      return null;
    }
    if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      ctx.addIssue({ code: 'custom', message: `tensor ${name} is ${t.dtype} [${t.shape.join(', ')}], expected ${want}` });
      return null;
    }
    used.add(name);
    return t.data;
  };
  const F32 = z.strictObject({ $t: z.string() }).transform((v, ctx) => {
    const n = table.get(v.$t)?.shape[0] ?? 0;
    const d = tensor(v.$t, 'F32', [n], ctx);
    return d ? (d as Float32Array) : z.NEVER;
  });
  const TmRef = z.strictObject({ $tm: z.strictObject({ rows: Nat, cols: Nat, tensor: z.string() }) });
  const TmF32 = TmRef.transform((v, ctx) => {
    const d = tensor(v.$tm.tensor, 'F32', [v.$tm.rows, v.$tm.cols], ctx);
    return d ? new TokenMatrix(v.$tm.rows, v.$tm.cols, d as Float32Array) : z.NEVER;
  });
  const TmU32 = TmRef.transform((v, ctx) => {
    const d = tensor(v.$tm.tensor, 'U32', [v.$tm.rows, v.$tm.cols], ctx);
    return d ? new TokenMatrix(v.$tm.rows, v.$tm.cols, d as Uint32Array) : z.NEVER;
  });

  const Histogram = z.strictObject({
    lo: Num,
    hi: Num,
    scale: z.enum(['linear', 'logit']),
    value: z.enum(['identity', 'exp']),
    counts: z.array(Nums),
    under: Nums,
    over: Nums,
    nan: Nums,
  });
  const Saturation = z.strictObject({ kind: z.enum(['alpha', 'logit']), threshold: Num, low: Nums, high: Nums, count: Num });
  const Means = z.strictObject({ count: Num, mean: Nums, meanSq: Nums, memoryLength: Nums.optional(), gOneMinusG: Nums.optional(), dFdg: Nums.optional() });
  const Range = z.strictObject({ lo: Int, hi: Int });
  const RecordS = z.strictObject({
    layer: Nat,
    point: Point,
    pos0: Nat,
    T: Nat,
    tokens: Range.optional(),
    heads: z.array(Nat).optional(),
    histogram: Histogram.optional(),
    saturation: z.array(Saturation).optional(),
    means: Means.optional(),
    stateNorm: Nums.optional(),
    tokenStateNorm: TmF32.optional(),
    tokenNorm: TmF32.optional(),
    phiZeros: Nums.optional(),
    phiSparsity: Nums.optional(),
    phiEntropy: Nums.optional(),
    tokenEntropy: TmF32.optional(),
    topk: z.strictObject({ k: Nat, ids: TmU32, values: TmF32 }).optional(),
    channelMeanAlpha: z.array(Nums).optional(),
    channelMemoryLength: z.array(Nums).optional(),
  });

  const Dump = z.strictObject({ layer: Nat, point: Point, pos0: Nat, rows: Nat, rowShape: z.array(Nat), tensor: z.string() }).transform((d, ctx): DumpTensor => {
    const data = tensor(d.tensor, 'F32', [d.rows, ...d.rowShape], ctx);
    return data ? { layer: d.layer, point: d.point, pos0: d.pos0, rows: d.rows, rowShape: d.rowShape, data: data as Float32Array } : z.NEVER;
  });
  const AnalysisS = z.strictObject({ T: Nat, ms: Num, records: z.array(RecordS), dumps: z.array(Dump) }).transform(
    (a): Analysis => ({ T: a.T, records: a.records as CaptureRecord[], dumps: new Map(a.dumps.map((d) => [dumpKey(d.point, d.layer), d])), ms: a.ms }),
  );
  const Attention = z.strictObject({ layer: Nat, head: Nat, lo: Nat, hi: Nat, matrix: F32 }).superRefine((a, ctx) => {
    if (a.hi < a.lo || a.matrix.length !== (a.hi - a.lo) ** 2) ctx.addIssue({ code: 'custom', message: `attention matrix has ${a.matrix.length} values for window [${a.lo}, ${a.hi})` });
  });

  const Scope = z.union([z.literal('all'), z.array(Nat)]);
  const InterventionS = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('clamp_g'), layers: Scope, min: Num, max: Num }),
    z.strictObject({ kind: z.literal('force_r'), layers: Scope, value: z.union([z.literal(0), z.literal(1)]) }),
    z.strictObject({ kind: z.literal('scale_head'), layer: Nat, head: Nat, scale: Num }),
    z.strictObject({ kind: z.literal('feature_map'), layers: Scope, map: z.enum(FEATURE_MAPS) }),
    z.strictObject({ kind: z.literal('no_output_norm'), layers: Scope }),
  ]);

  const Phase = z.enum(['prefill', 'decode']);
  const Profile = z.strictObject({
    variant: z.string(),
    mode: z.enum(['per-op', 'fused']),
    adapter: z.record(z.string(), z.string()),
    features: z.array(z.string()),
    promptTokens: Num,
    decodeTokens: Num,
    repeat: Num,
    warmup: Num,
    precision: z.strictObject({ timestamps: z.boolean(), quantized: z.boolean(), quantumNs: Num }),
    records: z.array(
      z.strictObject({
        variant: z.string(),
        repeat: Num,
        layer: Num.nullable(),
        op: z.string(),
        kernel: z.string(),
        phase: Phase,
        token: Num,
        workgroups: z.tuple([Num, Num, Num]),
        flops: Num,
        bytes: Num,
        startNs: Num,
        endNs: Num,
      }),
    ),
    spans: z.array(z.strictObject({ variant: z.string(), repeat: Num, phase: Phase, token: Num, startMs: Num, endMs: Num })),
    gpuSpans: z.array(z.strictObject({ variant: z.string(), repeat: Num, phase: Phase, token: Num, startNs: Num, endNs: Num })),
    perOp: z.array(z.strictObject({ phase: Phase, op: z.string(), kernel: z.string(), count: Num, medianUs: Num, p10Us: Num, p90Us: Num, gflops: Num, gbps: Num })),
    totals: z.strictObject({ prefillMs: Num, decodeMsPerToken: Num, source: z.enum(['gpu', 'cpu']), cpuPrefillMs: Num, cpuDecodeMsPerToken: Num }),
  });

  const Token = z.strictObject({
    pos: Nat,
    id: Nat,
    text: z.string(),
    prompt: z.boolean(),
    logprob: Num.nullable(),
    entropy: Num.nullable(),
    top: z.array(z.strictObject({ id: Nat, text: z.string(), p: Num })),
  });
  const RunS = z.strictObject({
    id: z.string().min(1),
    model: z.string().min(1),
    prompt: z.string(),
    sampling: z.strictObject({ temperature: Num, topK: Num.optional(), topP: Num.optional(), seed: Num.optional() }),
    interventions: z.array(InterventionS),
    maxTokens: Nat,
    status: z.enum(RUN_STATUS),
    error: z.string().nullable(),
    tokens: z.array(Token),
    promptLength: Nat,
    stats: z.strictObject({ prefillMs: Num, decodeMs: Num, generated: Nat, stopReason: z.string().nullable() }),
    analysis: AnalysisS.nullable(),
    attention: Attention.nullable(),
    profile: Profile.nullable(),
  });

  const Hex = z.string().regex(/^[0-9a-f]{64}$/);
  const Hash = z.strictObject({
    algorithm: z.literal('sha256'),
    chunkBytes: Int.positive(),
    files: z.array(z.strictObject({ file: z.string().min(1), bytes: Nat, sha256: Hex })),
    digest: Hex,
  });
  const Ref = z.strictObject({ key: z.string().min(1), name: z.string(), kind: z.enum(['sample', 'folder']), variant: z.string(), about: z.string().optional(), parameters: Num.optional() });
  const Config = z.record(z.string(), z.unknown()).transform((c, ctx) => {
    try {
      return parseConfig(c);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `model config: ${e instanceof Error ? e.message : String(e)}` });
      return z.NEVER;
    }
  });
  const Model = z.strictObject({ ref: Ref, config: Config, hash: Hash.nullable() });

  const Ui = z.strictObject({
    currentRun: z.string().nullable(),
    compare: z.array(z.string()).max(MAX_COMPARE),
    sharedScale: z.boolean(),
    hoverToken: Nat.nullable(),
    lockedToken: Nat.nullable(),
    layer: Nat,
    head: Nat,
    gateQuantity: z.enum(['g', 'r', 'F', 'logA']),
    scale: z.enum(['linear', 'logit']),
    tokenMetric: z.enum(['none', 'logprob', 'entropy', 'gate', 'stateNorm']),
    threshold: Num,
    panel: z.string(),
    activeModel: z.string().nullable(),
    derivedFrom: z.record(z.string(), z.string()).default({}),
    tourStep: Nat.default(0),
    tourCompare: z.string().nullable().default(null),
  });

  const Doc = z.strictObject({
    format: z.literal(BUNDLE_FORMAT),
    version: z.literal(BUNDLE_VERSION),
    savedAt: z.string(),
    gpu: z.strictObject({ adapter: z.string(), features: z.array(z.string()), quantized: z.boolean().nullable() }).nullable(),
    capture: z.strictObject({ quantities: z.array(z.enum(QUANTITIES)), dumpPoints: z.array(Point) }),
    models: z.array(Model),
    runs: z.array(RunS),
    ui: Ui,
  });
  return { Doc, RecordS, InterventionS };
}

type Schemas = ReturnType<typeof schemas>;
/** The record schema has exactly CaptureRecord's fields, and the intervention schema exactly Intervention's kinds. */
export type RecordCovered = Assert<Same<keyof z.output<Schemas['RecordS']>, keyof CaptureRecord>>;
export type InterventionsCovered = Assert<Same<z.output<Schemas['InterventionS']>['kind'], Intervention['kind']>>;
export type ProfileCovered = Assert<Same<keyof NonNullable<z.output<Schemas['Doc']>['runs'][number]['profile']>, keyof ProfileReport>>;

/** Bytes of a .reglasession → the snapshot. Throws BundleError, BundleVersionError or BundleTruncatedError. */
export function decodeSession(bytes: Uint8Array, source = 'session.reglasession'): SessionSnapshot {
  let file: ReturnType<typeof readTypedSafetensors>;
  try {
    file = readTypedSafetensors(bytes, source);
  } catch (e) {
    if (e instanceof SafetensorsTruncatedError) throw new BundleTruncatedError(`${source} is truncated (a partial download or copy?): ${e.message}`, { cause: e });
    if (e instanceof SafetensorsError) throw new BundleError(`${source} is not a session bundle: ${e.message}`, { cause: e });
    throw e;
  }
  const text = file.metadata[DOC_KEY];
  if (file.metadata['format'] !== BUNDLE_FORMAT || text === undefined) {
    throw new BundleError(`${source} is not a ReGLA session bundle (a safetensors file without a "${BUNDLE_FORMAT}" document)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BundleError(`${source}: the session document is not valid JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const version = typeof raw === 'object' && raw !== null ? (raw as { version?: unknown }).version : undefined;
  if (version !== BUNDLE_VERSION) {
    const newer = typeof version === 'number' && Number.isInteger(version) && version > BUNDLE_VERSION;
    throw new BundleVersionError(
      version,
      newer,
      newer
        ? `${source} was saved by a newer ReGLA Studio (session format version ${version}; this app reads version ${BUNDLE_VERSION}): update the app to open it`
        : `${source}: unknown session format version ${JSON.stringify(version)} (this app reads version ${BUNDLE_VERSION})`,
    );
  }
  const used = new Set<string>();
  const parsed = schemas(file.tensors, used).Doc.safeParse(raw);
  if (!parsed.success) throw new BundleError(`${source}: the session document is invalid:\n${z.prettifyError(parsed.error)}`);
  const doc = parsed.data;
  const unused = [...file.tensors.keys()].filter((n) => !used.has(n));
  if (unused.length > 0) throw new BundleError(`${source}: tensors no run refers to: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}`);

  const models: SessionModel[] = doc.models.map((m) => ({ ref: m.ref as ModelRef, config: m.config, hash: m.hash }));
  const refs = new Map(models.map((m) => [m.ref.key, m.ref]));
  if (refs.size !== models.length) throw new BundleError(`${source}: two models share one key`);
  const ids = new Set<string>();
  const runs: Run[] = doc.runs.map((r) => {
    const model = refs.get(r.model);
    if (!model) throw new BundleError(`${source}: run ${r.id} refers to model ${r.model}, which the session does not list`);
    if (ids.has(r.id)) throw new BundleError(`${source}: two runs named ${r.id}`);
    ids.add(r.id);
    return { ...r, model, sampling: r.sampling as Run['sampling'], interventions: r.interventions as Intervention[] };
  });
  for (const id of [...(doc.ui.currentRun === null ? [] : [doc.ui.currentRun]), ...doc.ui.compare]) {
    if (!ids.has(id)) throw new BundleError(`${source}: the view refers to run ${id}, which the session does not hold`);
  }
  return { savedAt: doc.savedAt, gpu: doc.gpu, capture: doc.capture, models, runs, ui: doc.ui };
}

// ---------------------------------------------------------------------------------- the app side

/**
 * Content hashes of the models this session opened, computed on first request from the reader
 * the model was opened with (so opening a model costs nothing extra) and kept.
 */
export class ModelHashes {
  private readonly readers = new Map<string, () => FolderReader>();
  private readonly done = new Map<string, Promise<ModelHash>>();

  constructor(private readonly chunk?: number) {}

  /** Remembers how to read model `key`'s folder (a fresh reader each time, or the one given). */
  track(key: string, reader: FolderReader | (() => FolderReader)): void {
    this.readers.set(key, typeof reader === 'function' ? reader : () => reader);
    this.done.delete(key);
  }

  has(key: string): boolean {
    return this.readers.has(key);
  }

  /** The model's hash; rejects when the folder cannot be read. */
  hash(key: string): Promise<ModelHash> {
    const have = this.done.get(key);
    if (have) return have;
    const reader = this.readers.get(key);
    if (!reader) return Promise.reject(new BundleError(`model ${key} was not opened from a folder this session can read`));
    const p = hashModelFolder(reader(), this.chunk);
    this.done.set(key, p);
    p.catch(() => this.done.delete(key));
    return p;
  }
}

/**
 * The store as a snapshot: runs in creation order (in-flight ones as cancelled), the models they
 * used with their configs (loaded, or recorded from an opened bundle) and hashes, and the view.
 * Runs whose model config is unknown are left out and named in `skipped`.
 */
export async function snapshotSession(
  s: Store,
  hashOf: (key: string) => Promise<ModelHash | null>,
  now = new Date(),
): Promise<{ snapshot: SessionSnapshot; skipped: string[]; unhashed: string[] }> {
  const runs: Run[] = [];
  const skipped: string[] = [];
  const models = new Map<string, SessionModel>();
  const unhashed: string[] = [];
  for (const id of s.runOrder) {
    const r = s.runs[id];
    if (!r) continue;
    const key = r.model.key;
    if (!models.has(key)) {
      const config = s.loaded[key]?.config ?? s.recorded[key]?.config;
      if (!config) {
        skipped.push(id);
        continue;
      }
      const recorded = s.loaded[key] ? undefined : s.recorded[key];
      const hash = recorded ? recorded.hash : await hashOf(key).catch(() => null);
      if (!hash) unhashed.push(r.model.name);
      models.set(key, { ref: r.model, config, hash });
    }
    const inFlight = r.status === 'loading' || r.status === 'generating' || r.status === 'analyzing';
    runs.push(inFlight ? { ...r, status: 'cancelled', error: r.error ?? `saved while ${r.status}` } : r);
  }
  const kept = new Set(runs.map((r) => r.id));
  const snapshot: SessionSnapshot = {
    savedAt: now.toISOString(),
    gpu: s.gpu,
    capture: ANALYSIS_CAPTURE,
    models: [...models.values()],
    runs,
    ui: {
      currentRun: s.currentRun !== null && kept.has(s.currentRun) ? s.currentRun : (runs.at(-1)?.id ?? null),
      compare: s.compare.filter((id) => kept.has(id)),
      sharedScale: s.sharedScale,
      hoverToken: s.hoverToken,
      lockedToken: s.lockedToken,
      layer: s.layer,
      head: s.head,
      gateQuantity: s.gateQuantity,
      scale: s.scale,
      tokenMetric: s.tokenMetric,
      threshold: s.threshold,
      panel: s.panel,
      activeModel: s.activeModel,
      derivedFrom: Object.fromEntries(Object.entries(s.derivedFrom).filter(([a, b]) => kept.has(a) && kept.has(b))),
      tourStep: s.tourStep,
      tourCompare: s.tourCompare !== null && kept.has(s.tourCompare) ? s.tourCompare : null,
    },
  };
  return { snapshot, skipped, unhashed };
}

/** A local model a session's model may be: a bundled sample or an open folder. */
export interface Candidate {
  ref: ModelRef;
  /** Its content hash (computed on demand; null or a rejection: cannot be hashed). */
  hash: () => Promise<ModelHash | null>;
}

export type ModelResolution =
  | { status: 'usable'; key: string; local: ModelRef }
  | { status: 'mismatch'; key: string; local: ModelRef; message: string; warning: ModelHashMismatchError }
  | { status: 'unverified'; key: string; local: ModelRef; message: string }
  | { status: 'missing'; key: string; message: string };

/** The key runs of an unavailable model get: its name and hash, never a local model's key. */
export function recordedKey(m: SessionModel): string {
  return `recorded:${m.ref.name}#${m.hash?.digest.slice(0, 12) ?? 'nohash'}`;
}

function differingFiles(a: ModelHash, b: ModelHash): string[] {
  const other = new Map(b.files.map((f) => [f.file, f.sha256]));
  const names = new Set([...a.files.map((f) => f.file), ...b.files.map((f) => f.file)]);
  const mine = new Map(a.files.map((f) => [f.file, f.sha256]));
  return [...names].filter((n) => mine.get(n) !== other.get(n));
}

/**
 * Which local model each session model is. A candidate whose hash equals the recorded one makes it
 * usable (same-named candidates are tried first, then open folders of any name); a same-named one
 * with other content is a mismatch (a warning naming the files that differ); a session model
 * saved without a hash, unverified; otherwise missing.
 */
export async function resolveModels(models: readonly SessionModel[], candidates: readonly Candidate[]): Promise<Map<string, ModelResolution>> {
  const out = new Map<string, ModelResolution>();
  const hashes = new Map<Candidate, Promise<ModelHash | null>>();
  const hashOf = (c: Candidate): Promise<ModelHash | null> => {
    let p = hashes.get(c);
    if (!p) {
      p = c.hash().catch(() => null);
      hashes.set(c, p);
    }
    return p;
  };
  for (const m of models) {
    const key = m.ref.key;
    const same = candidates.filter((c) => c.ref.name === m.ref.name).sort((a, b) => Number(b.ref.kind === m.ref.kind) - Number(a.ref.kind === m.ref.kind));
    const others = candidates.filter((c) => c.ref.kind === 'folder' && !same.includes(c));
    const name = `${m.ref.name}${m.ref.kind === 'sample' ? ' (sample)' : ''}`;
    if (!m.hash) {
      const local = same[0];
      out.set(
        key,
        local
          ? { status: 'unverified', key: recordedKey(m), local: local.ref, message: `the session recorded no content hash for model ${name}, so the local ${local.ref.name} cannot be checked against it` }
          : { status: 'missing', key: recordedKey(m), message: `model ${name} is not available` },
      );
      continue;
    }
    let found: Candidate | null = null;
    let firstSame: ModelHash | null = null;
    for (const c of [...same, ...others]) {
      const h = await hashOf(c);
      if (same.includes(c) && h && !firstSame) firstSame = h;
      if (h?.digest === m.hash.digest) {
        found = c;
        break;
      }
    }
    if (found) out.set(key, { status: 'usable', key: found.ref.key, local: found.ref });
    else if (same[0]) {
      const differs = firstSame ? differingFiles(m.hash, firstSame) : [];
      const message = `the local ${same[0].ref.name} differs from the session's model ${name} (${differs.length > 0 ? `${differs.join(', ')} differ` : 'it could not be hashed'})`;
      out.set(key, { status: 'mismatch', key: recordedKey(m), local: same[0].ref, message, warning: new ModelHashMismatchError(message) });
    } else out.set(key, { status: 'missing', key: recordedKey(m), message: `model ${name} is not available` });
  }
  return out;
}

let restoreCounter = 0;

/**
 * What the store's restoreSession takes: runs with fresh ids (`s<n>/<id>`, never a Runner id) and
 * their model keys mapped to the local model where usable, else to a recorded key; the recorded
 * models (their configs keep the panels drawing); the view with the same mapping.
 */
export function restorePlan(snap: SessionSnapshot, resolution: ReadonlyMap<string, ModelResolution>, tag = `s${++restoreCounter}`): RestoredSession {
  const ids = new Map(snap.runs.map((r) => [r.id, `${tag}/${r.id}`]));
  const recorded: RecordedModel[] = [];
  const refs = new Map<string, ModelRef>();
  for (const m of snap.models) {
    const res = resolution.get(m.ref.key) ?? { status: 'missing', key: recordedKey(m), message: `model ${m.ref.name} is not available` };
    const ref: ModelRef = res.status === 'usable' ? res.local : { ...m.ref, key: res.key };
    refs.set(m.ref.key, ref);
    recorded.push({ ref, config: m.config, hash: m.hash, status: res.status, message: res.status === 'usable' ? null : res.message });
  }
  const runs = snap.runs.map((r) => ({ ...r, id: ids.get(r.id) ?? r.id, model: refs.get(r.model.key) ?? r.model }));
  const mapId = (id: string | null): string | null => (id === null ? null : (ids.get(id) ?? null));
  return {
    runs,
    recorded,
    ui: {
      ...snap.ui,
      currentRun: mapId(snap.ui.currentRun),
      compare: snap.ui.compare.map((id) => ids.get(id) ?? id),
      activeModel: snap.ui.activeModel === null ? null : (refs.get(snap.ui.activeModel)?.key ?? null),
      derivedFrom: Object.fromEntries(Object.entries(snap.ui.derivedFrom).flatMap(([a, b]) => (ids.has(a) && ids.has(b) ? [[ids.get(a) as string, ids.get(b) as string]] : []))),
      tourCompare: mapId(snap.ui.tourCompare),
    },
  };
}

/** The suggested file name of a session: its current run's model and the time. */
export function bundleName(snap: SessionSnapshot): string {
  const run = snap.runs.find((r) => r.id === snap.ui.currentRun) ?? snap.runs.at(-1);
  const stamp = snap.savedAt.replace(/[:]/g, '-').replace(/\..*$/, '');
  return `regla-${run ? run.model.name.replace(/[^A-Za-z0-9_-]+/g, '_') : 'session'}-${stamp}.${BUNDLE_EXTENSION}`;
}
