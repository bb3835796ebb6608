// The headless `regla` CLI (plain Node + Dawn through the `webgpu` package): `run` generates from a
// model folder with gate-saturation statistics, `eval` measures perplexity (and dumps logits as .npy),
// `info` describes a model and the GPU. Errors are one line on stderr: exit 2 for usage, 1 at run time.

import { open, readFile } from 'node:fs/promises';
import { create, globals } from 'webgpu';
import {
  GpuContext,
  InterventionError,
  Session,
  configToJson,
  describeIntervention,
  validateInterventions,
  rowNll64,
  validateSource,
  type SamplingOptions,
  type Tensor,
} from '../../shaders/index.js';
import { loadTokenizer, openModelFolder, type ModelFolder } from './model-folder.js';
import { requiredString, type OptionSpec } from './args.js';
import { INTERVENE_HELP, parseIntervention } from './intervene.js';
import { PROFILE_HELP, PROFILE_SPEC, cmdProfile } from './profile.js';
import { CAPTURE_HELP, CAPTURE_SPEC, cmdCapture } from './capture.js';
import { SWEEP_HELP, SWEEP_SPEC, cmdSweep } from './sweep.js';

/** A bad command line (exit 2). */
class UsageError extends Error {}

// Dawn dies in ProcessEvents when webgpu's create() result is collected, so it lives here for the
// life of the process; created on first use so `--help` and usage errors need no GPU.
const DAWN: { gpu: GPU | null } = { gpu: null };

function gpu(): GPU {
  if (!DAWN.gpu) {
    Object.assign(globalThis, globals);
    DAWN.gpu = create(['disable-dawn-features=timestamp_quantization']) as unknown as GPU;
  }
  return DAWN.gpu;
}

// ------------------------------------------------------------------------------------ help

const HELP: Record<string, string> = {
  main: `regla — run ReGLA / GLA models on WebGPU (Dawn) from the command line

usage: regla <command> [options]

commands:
  run    generate text from a prompt; prints tokens/s and per-layer gate saturation
  eval   perplexity of a text file; can dump the logits as .npy
  info   the model's normalized config, parameter count, weight memory, the GPU's limits
  profile  per-kernel GPU timings over sequence lengths and chunk sizes; Chrome trace + CSV
  capture  gate / feature-map / state / per-token statistics of one prefill; JSON + safetensors
           of the full tensors over a token range
  sweep    prefill / decode scaling over sequence lengths × chunk sizes × variants, the
           linear-vs-softmax crossover, state vs KV-cache memory; JSON + CSV

A model is a folder with config.json, model.safetensors (or shards listed in
model.safetensors.index.json) and tokenizer.json.

  regla run --model samples/tiny --prompt "Once upon a time" --max-tokens 64
  regla <command> --help       options of one command

Exit codes: 0 ok, 1 runtime error (bad model files, GPU), 2 bad command line.`,
  run: `usage: regla run --model DIR --prompt TEXT [options]

Streams the generated text to stdout as tokens arrive, then prints prefill and decode
tokens/s and, per layer, the share of the prompt's log gates log α that are saturated
(α > 0.99 or α < 0.01).

  --model DIR          model folder (required)
  --prompt TEXT        prompt text (required)
  --max-tokens N       tokens to generate (default 64)
  --temperature T      0 = greedy (default 0.8)
  --top-k K            0 = off (default 0)
  --top-p P            1 = off (default 1)
  --seed S             sampling seed (default 0)
${INTERVENE_HELP}
  --json               print one JSON object instead of streaming text
  --help               this text`,
  eval: `usage: regla eval --model DIR --text FILE [--dump-logits OUT.npy] [--json]

Tokenizes FILE, runs it through the model in blocks of at most 1024 tokens (the state carries
across blocks) and prints the perplexity exp(mean NLL) of tokens 2..T (log-softmax in float64).

  --model DIR          model folder (required)
  --text FILE          UTF-8 text file (required)
  --dump-logits OUT    write the [T, vocab] float32 logits as a .npy file (v1.0, '<f4', C order)
  --block N            tokens per forward block, 1..1024 (default 1024)
  --json               print one JSON object
  --help               this text`,
  info: `usage: regla info --model DIR [--json]

Prints the normalized config, the parameter count, the weight memory (f32 on the GPU and on
disk), and the GPU adapter with its limits. Checks every tensor's name and shape.

  --model DIR          model folder (required)
  --json               print one JSON object
  --help               this text`,
};

// --------------------------------------------------------------------------------- arguments

type Spec = OptionSpec;
type Parsed = Map<string, string | number | boolean | string[]>;

const SPECS: Record<string, Spec> = {
  run: {
    model: 'string',
    prompt: 'string',
    'max-tokens': 'int',
    temperature: 'number',
    'top-k': 'int',
    'top-p': 'number',
    seed: 'int',
    intervene: 'list',
    json: 'flag',
    help: 'flag',
  },
  eval: { model: 'string', text: 'string', 'dump-logits': 'string', block: 'int', json: 'flag', help: 'flag' },
  info: { model: 'string', json: 'flag', help: 'flag' },
};

function parseArgs(cmd: string, argv: readonly string[]): Parsed {
  const spec = SPECS[cmd]!;
  const out: Parsed = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`${cmd}: unexpected argument "${arg}" (see regla ${cmd} --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`${cmd}: unknown option --${name} (see regla ${cmd} --help)`);
    if (out.has(name) && kind !== 'list') throw new UsageError(`${cmd}: --${name} given twice`);
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(`${cmd}: --${name} takes no value`);
      out.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // A value may start with "-" (a negative number, a prompt) but not be another option.
      if (value === undefined || (value.startsWith('--') && kind !== 'string')) throw new UsageError(`${cmd}: --${name} needs a value`);
      if (value.startsWith('--') && spec[value.slice(2).split('=')[0]!]) throw new UsageError(`${cmd}: --${name} needs a value`);
      i++;
    }
    if (kind === 'string') out.set(name, value);
    else if (kind === 'list') {
      const prev = out.get(name);
      out.set(name, [...(Array.isArray(prev) ? prev : []), value]);
    } else {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${cmd}: --${name} must be a number, got "${value}"`);
      if (kind === 'int' && !Number.isInteger(n)) throw new UsageError(`${cmd}: --${name} must be an integer, got "${value}"`);
      out.set(name, n);
    }
  }
  return out;
}

function str(a: Parsed, cmd: string, name: string): string {
  return requiredString(a, cmd, name, (m) => new UsageError(m));
}

function numArg(a: Parsed, name: string, fallback: number, check: (n: number) => boolean, what: string): number {
  const v = a.get(name);
  const n = typeof v === 'number' ? v : fallback;
  if (!check(n)) throw new UsageError(`--${name} must be ${what}, got ${n}`);
  return n;
}

// ------------------------------------------------------------------------------------ helpers

const out = (s: string): void => void process.stdout.write(s);

async function withModel<T>(dir: string, fn: (folder: ModelFolder) => Promise<T>): Promise<T> {
  const folder = await openModelFolder(dir);
  try {
    return await fn(folder);
  } finally {
    await folder.close();
  }
}

async function withSession<T>(folder: ModelFolder, fn: (s: Session, ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await GpuContext.create(gpu(), { label: 'regla' });
  try {
    const session = await Session.load(ctx, folder.config, folder.source);
    try {
      return await fn(session, ctx);
    } finally {
      session.dispose();
    }
  } finally {
    ctx.destroy(true);
  }
}

const perSecond = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0);

// ---------------------------------------------------------------------------------------- run

export interface LayerSaturation {
  layer: number;
  /** log α entries seen over the prompt. */
  entries: number;
  /** Share with α > 0.99 and with α < 0.01. */
  high: number;
  low: number;
  saturated: number;
}

const LOG_HIGH = Math.log(0.99);
const LOG_LOW = Math.log(0.01);

/** Text from a growing token list, holding back a trailing incomplete UTF-8 sequence (U+FFFD). */
class TextStream {
  private emitted = '';
  constructor(private readonly decode: (ids: number[]) => string) {}

  next(ids: number[]): string {
    const full = this.decode(ids).replace(/\uFFFD+$/, '');
    if (!full.startsWith(this.emitted)) return '';
    const add = full.slice(this.emitted.length);
    this.emitted = full;
    return add;
  }

  end(ids: number[]): string {
    const full = this.decode(ids);
    const add = full.startsWith(this.emitted) ? full.slice(this.emitted.length) : '';
    this.emitted = full;
    return add;
  }
}

async function cmdRun(a: Parsed): Promise<void> {
  const dir = str(a, 'run', 'model');
  const prompt = a.get('prompt');
  if (typeof prompt !== 'string') throw new UsageError('run: --prompt is required (see regla run --help)');
  const maxTokens = numArg(a, 'max-tokens', 64, (n) => n >= 1, 'an integer ≥ 1');
  const sampling: SamplingOptions = {
    temperature: numArg(a, 'temperature', 0.8, (n) => n >= 0, '≥ 0'),
    topK: numArg(a, 'top-k', 0, (n) => n >= 0, 'an integer ≥ 0'),
    topP: numArg(a, 'top-p', 1, (n) => n > 0 && n <= 1, 'in (0, 1]'),
    seed: numArg(a, 'seed', 0, (n) => n >= 0 && n <= 0xffffffff, 'an integer in [0, 2^32)'),
  };
  const json = a.get('json') === true;
  const specs = (a.get('intervene') as string[] | undefined) ?? [];
  const interventions = specs.map((spec) => usageOnIntervention(spec, () => parseIntervention(spec)));

  await withModel(dir, async (folder) => {
    const tok = await loadTokenizer(folder);
    const promptIds = tok.encode(prompt).ids;
    if (promptIds.length === 0) throw new UsageError('run: --prompt encodes to no tokens');
    await withSession(folder, async (session, ctx) => {
      // A spec that does not fit this model (a layer or head out of range, the wrong gate kind) is a
      // usage error naming the spec.
      interventions.forEach((iv, i) => usageOnIntervention(specs[i] as string, () => validateInterventions(folder.config, [iv])));
      session.interventions = interventions;
      // The tap only enqueues copies (it runs while the forward is encoded); they are read after. Only
      // the prompt's block counts: generate encodes the first decode step before the first token is
      // read back (pipelined), so that step can reach the tap too.
      const captures: Array<{ layer: number; t: Tensor }> = [];
      session.tap = (point, t, site) => {
        if (point !== 'gate.logA' || site.pos0 >= promptIds.length) return;
        const copy = ctx.tensor(t.shape, 'f32', `saturation.logA.${site.layer}`);
        ctx.copy(t, copy);
        captures.push({ layer: site.layer, t: copy });
      };
      const stream = new TextStream((ids) => tok.decode(ids));
      const generated: number[] = [];
      let saturation: LayerSaturation[];
      let result;
      try {
        result = await session.generate(promptIds, sampling, {
          maxTokens,
          onToken: (id) => {
            // The prompt's prefill is done once the first token exists; later steps run untapped (fused, unless interventions are active).
            session.tap = null;
            generated.push(id);
            if (!json) out(stream.next(generated));
          },
        });
        saturation = await readSaturation(ctx, captures);
      } finally {
        session.tap = null;
        for (const c of captures) c.t.dispose();
      }
      const text = tok.decode(result.tokens);
      const decodeTokens = Math.max(result.tokens.length - 1, 0);
      const prefill = { tokens: promptIds.length, ms: result.prefillMs, tokensPerSecond: perSecond(promptIds.length, result.prefillMs) };
      const decode = { tokens: decodeTokens, ms: result.decodeMs, tokensPerSecond: perSecond(decodeTokens, result.decodeMs) };
      if (json) {
        out(
          JSON.stringify({
            prompt,
            promptTokens: promptIds,
            tokens: result.tokens,
            text,
            stopReason: result.stopReason,
            prefill,
            decode,
            gateSaturation: saturation,
            interventions,
          }) + '\n',
        );
        return;
      }
      out(stream.end(result.tokens) + '\n\n');
      if (interventions.length > 0) out(`interventions: ${interventions.map(describeIntervention).join('; ')}\n`);
      out(`prefill  ${prefill.tokens} tokens in ${prefill.ms.toFixed(1)} ms: ${prefill.tokensPerSecond.toFixed(1)} tokens/s\n`);
      out(`decode   ${decode.tokens} tokens in ${decode.ms.toFixed(1)} ms: ${decode.tokensPerSecond.toFixed(1)} tokens/s (${result.stopReason})\n`);
      if (saturation.length === 0) out('gate saturation: no gated layers\n');
      else {
        out('gate saturation over the prompt (share of log α entries):\n');
        out('  layer   α>0.99    α<0.01    total\n');
        for (const s of saturation) {
          const pct = (x: number): string => `${(100 * x).toFixed(2)}%`.padStart(8);
          out(`  ${String(s.layer).padStart(5)}  ${pct(s.high)}  ${pct(s.low)}  ${pct(s.saturated)}\n`);
        }
      }
    });
  });
}

/** Runs fn; an InterventionError becomes a usage error (exit 2) naming the --intervene spec. */
function usageOnIntervention<T>(spec: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof InterventionError)) throw e;
    const detail = e.message.startsWith(`${e.intervention}: `) ? e.message.slice(e.intervention.length + 2) : e.message;
    throw new UsageError(`run: --intervene "${spec}": ${detail}`);
  }
}

async function readSaturation(ctx: GpuContext, captures: ReadonlyArray<{ layer: number; t: Tensor }>): Promise<LayerSaturation[]> {
  const by = new Map<number, { entries: number; high: number; low: number }>();
  for (const c of captures) {
    const v = await ctx.readF32(c.t);
    const s = by.get(c.layer) ?? { entries: 0, high: 0, low: 0 };
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x > LOG_HIGH) s.high++;
      else if (x < LOG_LOW) s.low++;
    }
    s.entries += v.length;
    by.set(c.layer, s);
  }
  return [...by.entries()]
    .sort(([x], [y]) => x - y)
    .map(([layer, s]) => {
      const d = Math.max(s.entries, 1);
      return { layer, entries: s.entries, high: s.high / d, low: s.low / d, saturated: (s.high + s.low) / d };
    });
}

// --------------------------------------------------------------------------------------- eval

/** A NumPy v1.0 header for a C-order little-endian float32 array. */
export function npyHeader(shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + length (2) + dict + '\n' is padded to a multiple of 64.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  if (dict.length > 0xffff) throw new Error('npy header too long');
  const bytes = new Uint8Array(total);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length & 0xff, dict.length >> 8]);
  for (let i = 0; i < dict.length; i++) bytes[10 + i] = dict.charCodeAt(i);
  return bytes;
}

async function cmdEval(a: Parsed): Promise<void> {
  const dir = str(a, 'eval', 'model');
  const textPath = str(a, 'eval', 'text');
  const dumpPath = a.get('dump-logits');
  const block = numArg(a, 'block', 1024, (n) => n >= 1 && n <= 1024, 'an integer in 1..1024');
  const json = a.get('json') === true;
  let text: string;
  try {
    text = await readFile(textPath, 'utf8');
  } catch (e) {
    throw new Error(`${textPath}: cannot read the text file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }

  await withModel(dir, async (folder) => {
    const tok = await loadTokenizer(folder);
    const ids = tok.encode(text).ids;
    if (ids.length < 2) throw new Error(`${textPath}: ${ids.length} token(s); perplexity needs at least 2`);
    const V = folder.config.vocabSize;
    const T = ids.length;
    const dump = typeof dumpPath === 'string' ? await open(dumpPath, 'w') : null;
    try {
      if (dump) await dump.write(npyHeader([T, V]));
      const t0 = performance.now();
      const { nll, count } = await withSession(folder, async (session) => {
        let nll = 0;
        let count = 0;
        for (let start = 0; start < T; start += block) {
          const chunk = ids.slice(start, Math.min(start + block, T));
          const logits = await session.prefill(chunk, { logits: 'all' });
          if (dump) await dump.write(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
          for (let r = 0; r < chunk.length; r++) {
            const target = ids[start + r + 1];
            if (target === undefined) break;
            nll += rowNll64(logits, r * V, V, target);
            count++;
          }
        }
        return { nll, count };
      });
      const ms = performance.now() - t0;
      const mean = nll / count;
      const perplexity = Math.exp(mean);
      if (json) {
        const r: Record<string, unknown> = { tokens: T, predicted: count, meanNll: mean, perplexity, ms, tokensPerSecond: perSecond(T, ms) };
        if (dump) r['logits'] = { path: dumpPath, shape: [T, V] };
        out(JSON.stringify(r) + '\n');
      } else {
        out(`tokens      ${T} (${count} predicted)\n`);
        out(`mean NLL    ${mean.toPrecision(8)} nats\n`);
        out(`perplexity  ${perplexity.toPrecision(8)}\n`);
        out(`speed       ${perSecond(T, ms).toFixed(1)} tokens/s (model load included)\n`);
        if (dump) out(`logits      [${T}, ${V}] float32 → ${String(dumpPath)}\n`);
      }
    } finally {
      await dump?.close();
    }
  });
}

// --------------------------------------------------------------------------------------- info

const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
  'minStorageBufferOffsetAlignment',
] as const;

async function cmdInfo(a: Parsed): Promise<void> {
  const dir = str(a, 'info', 'model');
  const json = a.get('json') === true;
  await withModel(dir, async (folder) => {
    validateSource(folder.config, folder.source);
    let params = 0;
    for (const name of folder.source.names()) params += (folder.source.shape(name) ?? []).reduce((x, y) => x * y, 1);
    const adapter = await gpu().requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter is available on this machine');
    const limits: Record<string, number> = {};
    for (const k of LIMITS) limits[k] = adapter.limits[k];
    const ai = adapter.info;
    const adapterInfo = { vendor: ai.vendor, architecture: ai.architecture, device: ai.device, description: ai.description };
    const config = configToJson(folder.config);
    if (json) {
      out(
        JSON.stringify({
          model: folder.dir,
          files: folder.files,
          config,
          parameters: params,
          weightBytes: params * 4,
          fileBytes: folder.weightBytes,
          adapter: adapterInfo,
          limits,
        }) + '\n',
      );
      return;
    }
    out(`model       ${folder.dir}\n`);
    out(`files       ${folder.files.join(', ')}\n`);
    out(`config      ${JSON.stringify(config, null, 2).split('\n').join('\n            ')}\n`);
    out(`parameters  ${params} (${human(params, '')})\n`);
    out(`weights     ${params * 4} bytes as f32 on the GPU (${human(params * 4, 'B')}); ${folder.weightBytes} bytes on disk\n`);
    out(`adapter     ${[adapterInfo.vendor, adapterInfo.architecture, adapterInfo.device, adapterInfo.description].filter(Boolean).join(' / ') || '(no info)'}\n`);
    out('limits\n');
    for (const k of LIMITS) out(`  ${k.padEnd(36)}${limits[k]}\n`);
  });
}

function human(n: number, unit: string): string {
  const steps = unit === 'B' ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['', 'K', 'M', 'B', 'T'];
  const base = unit === 'B' ? 1024 : 1000;
  let i = 0;
  let x = n;
  while (x >= base && i < steps.length - 1) {
    x /= base;
    i++;
  }
  return `${x.toFixed(x >= 100 || i === 0 ? 0 : 1)}${unit === 'B' ? ' ' : ''}${steps[i]}`.trim();
}

// --------------------------------------------------------------------------------------- main

const COMMANDS: Record<string, (a: Parsed) => Promise<void>> = { run: cmdRun, eval: cmdEval, info: cmdInfo };

// `regla profile` lives in profile.ts; registered here so parsing, help and exit codes stay shared.
SPECS['profile'] = PROFILE_SPEC;
HELP['profile'] = PROFILE_HELP;
COMMANDS['profile'] = (a) =>
  cmdProfile(a, { gpu, usage: (m) => new UsageError(m), quantization: 'disabled', write: out });

// `regla capture` lives in capture.ts.
SPECS['capture'] = CAPTURE_SPEC;
HELP['capture'] = CAPTURE_HELP;
COMMANDS['capture'] = (a) => cmdCapture(a, { gpu, usage: (m) => new UsageError(m), write: out });

// `regla sweep` lives in sweep.ts.
SPECS['sweep'] = SWEEP_SPEC;
HELP['sweep'] = SWEEP_HELP;
COMMANDS['sweep'] = (a) => cmdSweep(a, { gpu, usage: (m) => new UsageError(m), write: out });

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) throw new UsageError('missing command: run, eval or info (see regla --help)');
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const topic = rest[0];
    out(`${HELP[topic !== undefined && HELP[topic] ? topic : 'main']!}\n`);
    return 0;
  }
  const fn = COMMANDS[cmd];
  if (!fn) throw new UsageError(`unknown command "${cmd}" (commands: run, eval, info, profile, capture, sweep; see regla --help)`);
  if (rest.includes('--help') || rest.includes('-h')) {
    out(`${HELP[cmd]!}\n`);
    return 0;
  }
  await fn(parseArgs(cmd, rest));
  return 0;
}

function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s*\n\s*/g, ' ').trim();
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`regla: ${oneLine(e)}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
