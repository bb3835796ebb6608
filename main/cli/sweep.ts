// `regla sweep`: shaders/profile/sweep.ts over sequence lengths × chunk sizes × variants (the model
// folder, more folders, optionally the engine's own all-softmax version of the model), prefill and
// decode. Prints the scaling table, the linear-vs-softmax crossover lengths and the state vs KV-cache
// memory table; writes JSON (and CSV). regla.ts owns argument parsing and exit codes.

import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import {
  GpuContext,
  crossover,
  hasSoftmaxLayers,
  memoryTable,
  randomWeights,
  softmaxBaselineConfig,
  sweep,
  sweepCsv,
  tokensPerSecond,
  type MemoryRow,
  type ModelConfig,
  type SweepRow,
  type SweepVariant,
} from '../../shaders/index.js';
import { type CommandDeps, type OptionSpec, type ParsedArgs, intList, requiredString } from './args.js';
import { openModelFolder, type ModelFolder } from './model-folder.js';

export const SWEEP_HELP = `usage: regla sweep --model DIR --out SWEEP.json [options]

For every variant × chunk size × sequence length: a prompt of that many tokens (ids cycling
through the vocabulary), its prefill and N decode tokens, repeated after one discarded warm-up.
Prints the scaling table (median times), the linear-vs-softmax crossover length (the shortest
sequence at which a linear-attention variant is no slower than a softmax or hybrid one, best chunk
per length) and recurrent-state vs KV-cache memory; writes all of it as JSON.

  --model DIR          model folder (required); its folder name labels it
  --out FILE           JSON to write (required)
  --csv FILE           also write the rows as CSV
  --variants LIST      more model folders to compare, comma-separated
  --softmax            add the engine's own softmax-attention version of --model (every layer
                       causal softmax attention with a KV cache, random weights) as "softmax"
  --seq LIST           sequence lengths, comma-separated (default 256,1024,4096)
  --chunk LIST         chunk sizes, multiples of 16 in 16..128 (default 64)
  --decode N           decode tokens per run (default 16)
  --repeat N           measured repeats (default 3)
  --interleave         open every variant at once and alternate them run by run at each length,
                       after a discarded run per length and a 1 s GPU warm-up: compilation and
                       clock drift then hit all variants alike (what a crossover needs); costs all
                       the models' memory together; rows come chunk by chunk, length by length
  --help               this text`;

export const SWEEP_SPEC: OptionSpec = {
  model: 'string',
  out: 'string',
  csv: 'string',
  variants: 'string',
  softmax: 'flag',
  seq: 'string',
  chunk: 'string',
  decode: 'int',
  repeat: 'int',
  interleave: 'flag',
  help: 'flag',
};

export type SweepDeps = CommandDeps;


export interface CrossoverEntry {
  linear: string;
  softmax: string;
  /** Crossover length per phase (interpolated), null when the linear variant is never faster. */
  prefill: number | null;
  decode: number | null;
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** The scaling table: one line per (variant, chunk, T). */
export function scalingText(rows: readonly SweepRow[]): string {
  const w = Math.max(8, ...rows.map((r) => r.variant.length)) + 2;
  const lines = [
    `  ${'variant'.padEnd(w)}${'chunk'.padStart(6)}${'T'.padStart(8)}${'prefill ms'.padStart(13)}${'tok/s'.padStart(12)}${'decode ms/tok'.padStart(15)}${'tok/s'.padStart(10)}`,
  ];
  for (const r of rows) {
    lines.push(
      `  ${r.variant.padEnd(w)}${String(r.chunk).padStart(6)}${String(r.T).padStart(8)}${fmt(r.prefillMs, 3).padStart(13)}` +
        `${fmt(tokensPerSecond(r.T, r.prefillMs), 1).padStart(12)}${fmt(r.decodeMsPerToken, 3).padStart(15)}${fmt(tokensPerSecond(1, r.decodeMsPerToken), 1).padStart(10)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The memory table: one line per (variant, T). */
export function memoryText(mem: readonly MemoryRow[]): string {
  const w = Math.max(8, ...mem.map((m) => m.variant.length)) + 2;
  const lines = [`  ${'variant'.padEnd(w)}${'T'.padStart(8)}${'state B'.padStart(12)}${'KV cache B'.padStart(13)}${'KV used B'.padStart(12)}${'total B'.padStart(12)}`];
  for (const m of mem) {
    lines.push(
      `  ${m.variant.padEnd(w)}${String(m.T).padStart(8)}${String(m.stateBytes).padStart(12)}${String(m.kvCacheBytes).padStart(13)}` +
        `${String(m.kvUsedBytes).padStart(12)}${String(m.totalBytes).padStart(12)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Every (linear, softmax-or-hybrid) pair of variants with its crossover length per phase. */
export function crossovers(rows: readonly SweepRow[], linear: readonly string[], softmax: readonly string[]): CrossoverEntry[] {
  const out: CrossoverEntry[] = [];
  for (const l of linear) {
    for (const s of softmax) out.push({ linear: l, softmax: s, prefill: crossover(rows, l, s, 'prefill'), decode: crossover(rows, l, s, 'decode') });
  }
  return out;
}


interface VariantInfo {
  name: string;
  dir: string | null;
  baseline: boolean;
  config: ModelConfig;
}

/** Distinct names from folder names: "tiny", "tiny#2", … */
function uniqueName(taken: Set<string>, base: string): string {
  let name = base || 'model';
  for (let i = 2; taken.has(name); i++) name = `${base}#${i}`;
  taken.add(name);
  return name;
}

export async function cmdSweep(a: ParsedArgs, deps: SweepDeps): Promise<void> {
  const dir = requiredString(a, 'sweep', 'model', deps.usage);
  const outPath = requiredString(a, 'sweep', 'out', deps.usage);
  const csvPath = a.get('csv');
  const seqs = intList(a.get('seq'), 'sweep', 'seq', [256, 1024, 4096], (n) => n >= 1, 'integers ≥ 1', deps.usage).sort((x, y) => x - y);
  const chunks = intList(a.get('chunk'), 'sweep', 'chunk', [64], (n) => n >= 16 && n <= 128 && n % 16 === 0, 'multiples of 16 in 16..128', deps.usage);
  const repeat = a.get('repeat') ?? 3;
  if (typeof repeat !== 'number' || repeat < 1) throw deps.usage(`sweep: --repeat must be an integer ≥ 1, got ${String(repeat)}`);
  const decode = a.get('decode') ?? 16;
  if (typeof decode !== 'number' || decode < 0) throw deps.usage(`sweep: --decode must be an integer ≥ 0, got ${String(decode)}`);
  const vv = a.get('variants');
  const extra = vv === undefined ? [] : String(vv).split(',').map((s) => s.trim());
  if (extra.some((s) => s === '')) throw deps.usage(`sweep: --variants must be a comma-separated list of model folders, got "${String(vv)}"`);
  const withBaseline = a.get('softmax') === true;

  const folders: ModelFolder[] = [];
  try {
    for (const d of [dir, ...extra]) folders.push(await openModelFolder(d));
    const taken = new Set<string>();
    const infos: VariantInfo[] = [];
    const variants: SweepVariant[] = [];
    for (const f of folders) {
      const name = uniqueName(taken, basename(resolve(f.dir)));
      infos.push({ name, dir: f.dir, baseline: false, config: f.config });
      variants.push({ name, config: f.config, weights: f.source });
    }
    if (withBaseline) {
      const config = softmaxBaselineConfig(folders[0]!.config);
      const name = uniqueName(taken, 'softmax');
      infos.push({ name, dir: null, baseline: true, config });
      variants.push({ name, config, weights: randomWeights(config, { seed: 1 }) });
    }

    let adapter: Record<string, string> = {};
    const ad = await deps.gpu().requestAdapter({ powerPreference: 'high-performance' });
    if (ad) adapter = { vendor: ad.info.vendor, architecture: ad.info.architecture, device: ad.info.device, description: ad.info.description };
    const ctx = await GpuContext.create(deps.gpu(), { label: 'regla-sweep' });
    let rows: SweepRow[];
    let features: string[];
    try {
      features = [...ctx.features].sort();
      const interleave = a.get('interleave') === true;
      rows = await sweep(ctx, { configs: variants, seqLens: seqs, chunkSizes: chunks, decodeTokens: decode, repeat, ...(interleave ? { interleave, warmupMs: 1000 } : {}) });
    } finally {
      ctx.destroy(true);
    }

    const linear = infos.filter((v) => !hasSoftmaxLayers(v.config)).map((v) => v.name);
    const softmax = infos.filter((v) => hasSoftmaxLayers(v.config)).map((v) => v.name);
    const cross = crossovers(rows, linear, softmax);
    const mem = memoryTable(rows);

    deps.write(`scaling (median of ${repeat} repeats; CPU time until the GPU is idle; ${decode} decode tokens):\n`);
    deps.write(scalingText(rows) + '\n');
    const span = `${seqs[0]}..${seqs.at(-1)}`;
    if (cross.length === 0) {
      deps.write(
        softmax.length === 0
          ? 'crossover: no softmax or hybrid variant to compare with (add --softmax or a hybrid model to --variants)\n\n'
          : 'crossover: no linear-attention variant to compare\n\n',
      );
    } else {
      deps.write('linear vs softmax crossover (shortest T where linear is no slower; best chunk per T):\n');
      const at = (x: number | null): string => (x === null ? `none in ${span}` : `T ≈ ${Math.round(x)}`);
      for (const c of cross) deps.write(`  ${c.linear} vs ${c.softmax}: prefill ${at(c.prefill)}, decode ${at(c.decode)}\n`);
      deps.write('\n');
    }
    deps.write('state vs KV-cache memory (bytes after T + decode tokens):\n');
    deps.write(memoryText(mem) + '\n');

    const json = {
      model: dir,
      variants: infos.map((v) => ({
        name: v.name,
        dir: v.dir,
        baseline: v.baseline,
        modelType: v.config.modelType,
        layers: v.config.numLayers,
        softmaxLayers: [...v.config.hybridSoftmaxLayers],
      })),
      seq: seqs,
      chunk: chunks,
      decode,
      repeat,
      adapter,
      features,
      rows: rows.map((r) => ({ ...r, prefillTokensPerS: tokensPerSecond(r.T, r.prefillMs), decodeTokensPerS: tokensPerSecond(1, r.decodeMsPerToken) })),
      crossover: cross,
      memory: mem,
    };
    // NaN (no decode tokens) serializes as null.
    await writeFile(outPath, JSON.stringify(json));
    deps.write(`sweep → ${outPath} (${rows.length} rows)\n`);
    if (typeof csvPath === 'string' && csvPath !== '') {
      await writeFile(csvPath, sweepCsv(rows));
      deps.write(`rows → ${csvPath}\n`);
    }
  } finally {
    for (const f of folders) await f.close();
  }
}
