// `regla capture`: one prefill of a prompt with a Capture attached; writes OUT/capture.json (records,
// model/config summary, options, prompt tokens and their strings, the dump's counts) and
// OUT/tensors.safetensors (full tensors of the selected layers and token range, read back through a
// TensorDump's staging pool). regla.ts owns argument parsing and exit codes.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Capture,
  DEFAULT_QUANTITIES,
  GpuContext,
  MAX_TOP_K,
  Session,
  TensorDump,
  combineTaps,
  joinChunks,
  configToJson,
  featureDim,
  writeSafetensors,
  type DumpChunk,
  type ModelConfig,
  type Quantity,
  type TapPoint,
} from '../../shaders/index.js';
import { type CommandDeps, type OptionSpec, type ParsedArgs, intList, requiredString } from './args.js';
import { loadTokenizer, openModelFolder } from './model-folder.js';

/** Every Quantity; a Record so that a new engine quantity fails to typecheck until it is listed here. */
const QUANTITY_SET: Record<Quantity, true> = {
  gate: true,
  phi: true,
  state: true,
  output: true,
  logits: true,
  tokenState: true,
  tokenNorm: true,
  phiStats: true,
  topk: true,
  channels: true,
};
const ALL_QUANTITIES = Object.keys(QUANTITY_SET) as Quantity[];

export const CAPTURE_HELP = `usage: regla capture --model DIR --prompt TEXT --out DIR [options]

Runs the prompt's prefill with capture taps (reductions on the GPU, read back once at the end).
Writes OUT/capture.json: per layer and tap point, histograms, saturation counts, per-head means and
gate-gradient proxies, state norms, per-token norms, φ sparsity and entropy, logits top-k, memory
length per channel; the options, the config, the prompt's tokens and the dump's chunk counts.
Writes OUT/tensors.safetensors: full tensors of the selected layers over the token range, named
layer.N.<point>, shape [rows, heads, dim]: gate.logA, gate.logD (fast_decay) with gate; phi.q,
phi.k with phi; v with tokenState. They come back through a pool of staging buffers sized for the
run (at most 2 GiB); a chunk that does not fit is dropped and counted (capture.json "dump", stdout),
never waited for.

  --model DIR          model folder (required)
  --prompt TEXT        prompt to prefill (required)
  --out DIR            output folder, created if needed (required)
  --layers LIST        layers to capture, comma-separated (default all; the logits are always kept)
  --quantities LIST    comma-separated, of ${ALL_QUANTITIES.slice(0, 6).join(', ')},
                       ${ALL_QUANTITIES.slice(6).join(', ')}; "all" for every one
                       (default all but tokenState, the token-serial ‖S_t‖ replay)
  --tokens LO:HI       absolute prompt positions LO ≤ t < HI (either end may be left out; default
                       the whole prompt); reductions, per-token rows and tensors cover only these.
                       The logits (histogram, top-k) are the last token's, kept when it is inside
  --heads LIST         heads kept in the records' per-head arrays, comma-separated (default all)
  --topk K             top-k of the logits, 1..${MAX_TOP_K} (default 5)
  --bins N             histogram bins, 1..256 (default 64)
  --help               this text`;

export const CAPTURE_SPEC: OptionSpec = {
  model: 'string',
  prompt: 'string',
  out: 'string',
  layers: 'string',
  quantities: 'string',
  tokens: 'string',
  heads: 'string',
  topk: 'int',
  bins: 'int',
  help: 'flag',
};

export type CaptureDeps = CommandDeps;

/** Tap points whose full tensors go to tensors.safetensors, and the quantity that asks for each. */
const FULL: ReadonlyArray<[TapPoint, Quantity]> = [
  ['gate.logA', 'gate'],
  ['gate.logD', 'gate'],
  ['phi.q', 'phi'],
  ['phi.k', 'phi'],
  ['v', 'tokenState'],
];
/** Staging bytes one run may hold at once (every chunk of a prefill is in flight together). */
const STAGING_CAP = 2 ** 31;

/** Values per token row of a full-tensor point: an upper bound from the config (heads × dim). */
function rowValues(c: ModelConfig, point: TapPoint): number {
  const dkf = featureDim(c);
  switch (point) {
    case 'phi.q':
      return c.numHeads * dkf;
    case 'gate.logD':
    case 'v':
      return c.numKvHeads * c.headDimV;
    default:
      return c.numKvHeads * dkf;
  }
}

/** "LO:HI", "LO:" or ":HI" → the parts given (validated against the prompt later). */
function parseTokens(v: unknown, usage: (m: string) => Error): { lo?: number; hi?: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(String(v));
  if (!m || (m[1] === '' && m[2] === '')) throw usage(`capture: --tokens must be LO:HI (absolute positions, LO ≤ t < HI), got "${String(v)}"`);
  return { ...(m[1] ? { lo: Number(m[1]) } : {}), ...(m[2] ? { hi: Number(m[2]) } : {}) };
}

export async function cmdCapture(a: ParsedArgs, deps: CaptureDeps): Promise<void> {
  const dir = requiredString(a, 'capture', 'model', deps.usage);
  const prompt = a.get('prompt');
  if (typeof prompt !== 'string') throw deps.usage('capture: --prompt is required (see regla capture --help)');
  const outDir = requiredString(a, 'capture', 'out', deps.usage);
  const qv = a.get('quantities');
  let quantities: Quantity[];
  if (qv === undefined) quantities = [...DEFAULT_QUANTITIES];
  else {
    const names = String(qv).split(',').map((s) => s.trim());
    const bad = names.find((q) => q !== 'all' && !Object.hasOwn(QUANTITY_SET, q));
    if (bad !== undefined || names.length === 0) {
      throw deps.usage(`capture: --quantities must be "all" or a comma-separated list of ${ALL_QUANTITIES.join(', ')}, got "${String(qv)}"`);
    }
    const chosen = new Set(names.includes('all') ? ALL_QUANTITIES : (names as Quantity[]));
    quantities = ALL_QUANTITIES.filter((q) => chosen.has(q));
  }
  const bins = a.get('bins') ?? 64;
  if (typeof bins !== 'number' || bins < 1 || bins > 256) throw deps.usage(`capture: --bins must be an integer in 1..256, got ${String(bins)}`);
  const topk = a.get('topk') ?? 5;
  if (typeof topk !== 'number' || topk < 1 || topk > MAX_TOP_K) throw deps.usage(`capture: --topk must be an integer in 1..${MAX_TOP_K}, got ${String(topk)}`);
  const lv = a.get('layers');
  const layers = lv === undefined ? undefined : intList(lv, 'capture', 'layers', [], (n) => n >= 0, 'layer indices', deps.usage);
  const hv = a.get('heads');
  const heads = hv === undefined ? undefined : intList(hv, 'capture', 'heads', [], (n) => n >= 0, 'head indices', deps.usage);
  const tokenArg = parseTokens(a.get('tokens'), deps.usage);

  const folder = await openModelFolder(dir);
  try {
    const c = folder.config;
    if (layers?.some((n) => n >= c.numLayers)) {
      throw deps.usage(`capture: --layers must lie in 0..${c.numLayers - 1}, got "${String(lv)}"`);
    }
    if (heads?.some((n) => n >= c.numHeads)) throw deps.usage(`capture: --heads must lie in 0..${c.numHeads - 1}, got "${String(hv)}"`);
    const tok = await loadTokenizer(folder);
    const ids = tok.encode(prompt).ids;
    const T = ids.length;
    if (T === 0) throw deps.usage('capture: --prompt encodes to no tokens');
    const tokens = { lo: tokenArg?.lo ?? 0, hi: tokenArg?.hi ?? T };
    if (tokens.lo >= tokens.hi || tokens.hi > T) {
      throw deps.usage(`capture: --tokens must satisfy 0 ≤ LO < HI ≤ ${T} (the prompt's tokens), got "${String(a.get('tokens'))}"`);
    }
    const selected = [...(layers ?? Array.from({ length: c.numLayers }, (_, i) => i))].sort((x, y) => x - y); // intList dedupes
    const points = FULL.filter(([, q]) => quantities.includes(q)).map(([p]) => p);
    const rows = tokens.hi - tokens.lo;
    // Every chunk of the prefill is in flight at once (nothing maps before the forward is submitted).
    const stagingBytes = Math.min(
      STAGING_CAP,
      selected.length * points.reduce((s, p) => s + Math.ceil((rows * rowValues(c, p) * 4) / 256) * 256, 0),
    );
    const ctx = await GpuContext.create(deps.gpu(), { label: 'regla-capture' });
    try {
      const session = await Session.load(ctx, c, folder.source);
      const capture = new Capture(ctx, { quantities, ...(layers ? { layers } : {}), bins, tokens, ...(heads ? { heads } : {}), topk });
      const chunks: DumpChunk[] = [];
      const dump =
        points.length > 0 && stagingBytes > 0
          ? new TensorDump(ctx, {
              points,
              layers: selected,
              tokens: [tokens.lo, tokens.hi],
              pool: { buffers: 0, bufferBytes: 256, maxBytes: stagingBytes },
              onChunk: (ch) => chunks.push(ch),
            })
          : null;
      try {
        // Taps only enqueue work while the forward is encoded; the dump maps its buffers as they are
        // submitted, the capture reads back once after the prefill.
        session.tap = combineTaps(capture.tap, dump?.tap);
        await session.prefill(ids, { logits: 'last' });
        session.tap = null;
        await dump?.close();
        const records = await capture.collect();
        const joined = joinChunks(chunks);
        const tensors = joined.map((j): [string, { shape: number[]; data: Float32Array }] => [`layer.${j.layer}.${j.point}`, { shape: j.shape, data: j.data }]);
        const tensorInfo = joined.map((j) => ({ name: `layer.${j.layer}.${j.point}`, shape: j.shape, tokens: j.tokens, ...(j.contiguous ? {} : { contiguous: false as const }) }));
        const s = dump?.stats;
        const dumpInfo = { chunks: s?.chunks ?? 0, bytes: s?.bytes ?? 0, dropped: s?.dropped ?? 0, droppedBytes: s?.droppedBytes ?? 0, failed: s?.failed ?? 0 };
        await mkdir(outDir, { recursive: true });
        const json = {
          model: { dir, modelType: c.modelType, numLayers: c.numLayers, config: configToJson(c) },
          prompt: { text: prompt, tokens: ids, strings: ids.map((id) => tok.decode([id])) },
          options: { layers: selected, quantities, bins, tokens, ...(heads ? { heads } : {}), topk },
          tensors: tensorInfo,
          dump: dumpInfo,
          records,
        };
        await writeFile(join(outDir, 'capture.json'), JSON.stringify(json));
        await writeFile(
          join(outDir, 'tensors.safetensors'),
          writeSafetensors(tensors, { metadata: { format: 'regla-capture', tokens: String(T), lo: String(tokens.lo), hi: String(tokens.hi) } }),
        );
        const range = tokens.lo === 0 && tokens.hi === T ? `${T} tokens` : `tokens ${tokens.lo}..${tokens.hi - 1} of ${T}`;
        deps.write(`${records.length} records, ${tensors.length} tensors over ${range} → ${outDir}\n`);
        if (dumpInfo.dropped > 0) {
          deps.write(`dropped ${dumpInfo.dropped} tensor chunks (${dumpInfo.droppedBytes} bytes): the staging pool (${stagingBytes} bytes) was full\n`);
        }
        if (dumpInfo.failed > 0) deps.write(`${dumpInfo.failed} tensor chunks failed to read back\n`);
      } finally {
        session.tap = null;
        dump?.dispose();
        capture.dispose();
        session.dispose();
      }
    } finally {
      ctx.destroy(true);
    }
  } finally {
    await folder.close();
  }
}
