// `regla capture`: one prefill of a prompt with a Capture attached; writes OUT/capture.json (records,
// model/config summary, prompt tokens and their strings) and OUT/tensors.safetensors (the full gate
// log α and φ tensors of the selected layers). regla.ts owns argument parsing and exit codes.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Capture, GpuContext, Session, configToJson, writeSafetensors, type Quantity, type Tensor, type TapPoint } from '../../shaders/index.js';
import { loadTokenizer, openModelFolder } from './model-folder.js';

export const CAPTURE_HELP = `usage: regla capture --model DIR --prompt TEXT --out DIR [options]

Runs the prompt's prefill with capture taps and writes OUT/capture.json (per layer and tap point:
histograms, saturation counts, per-head means, state norms; the config; the prompt's tokens) and
OUT/tensors.safetensors (layer.N.gate.logA [1, T, Hkv, dk'], layer.N.gate.logD, layer.N.phi.q,
layer.N.phi.k of the selected layers, when those quantities are captured).

  --model DIR          model folder (required)
  --prompt TEXT        prompt to prefill (required)
  --out DIR            output folder, created if needed (required)
  --layers LIST        layers to capture, comma-separated (default all)
  --quantities LIST    of gate,phi,state,output,logits (default all)
  --bins N             histogram bins, 1..256 (default 64)
  --help               this text`;

export const CAPTURE_SPEC: Record<string, 'string' | 'number' | 'int' | 'flag'> = {
  model: 'string',
  prompt: 'string',
  out: 'string',
  layers: 'string',
  quantities: 'string',
  bins: 'int',
  help: 'flag',
};

export interface CaptureDeps {
  gpu: () => GPU;
  /** Builds the CLI's usage error (exit 2). */
  usage: (message: string) => Error;
  write: (s: string) => void;
}

const QUANTITIES: readonly Quantity[] = ['gate', 'phi', 'state', 'output', 'logits'];
/** Tap points whose full tensors go to tensors.safetensors, by quantity. */
const FULL: Partial<Record<TapPoint, Quantity>> = { 'gate.logA': 'gate', 'gate.logD': 'gate', 'phi.q': 'phi', 'phi.k': 'phi' };

export async function cmdCapture(a: ReadonlyMap<string, string | number | boolean>, deps: CaptureDeps): Promise<void> {
  const dir = a.get('model');
  const prompt = a.get('prompt');
  const outDir = a.get('out');
  if (typeof dir !== 'string' || dir === '') throw deps.usage('capture: --model is required (see regla capture --help)');
  if (typeof prompt !== 'string') throw deps.usage('capture: --prompt is required (see regla capture --help)');
  if (typeof outDir !== 'string' || outDir === '') throw deps.usage('capture: --out is required (see regla capture --help)');
  const qv = a.get('quantities');
  const quantities = qv === undefined ? [...QUANTITIES] : String(qv).split(',').map((s) => s.trim());
  const bad = quantities.find((q) => !(QUANTITIES as readonly string[]).includes(q));
  if (bad !== undefined || quantities.length === 0) {
    throw deps.usage(`capture: --quantities must be a comma-separated list of ${QUANTITIES.join(', ')}, got "${String(qv)}"`);
  }
  const bins = a.get('bins') ?? 64;
  if (typeof bins !== 'number' || bins < 1 || bins > 256) throw deps.usage(`capture: --bins must be an integer in 1..256, got ${String(bins)}`);
  const lv = a.get('layers');
  let layers: number[] | undefined;
  if (lv !== undefined) {
    const parts = String(lv).split(',').map((s) => s.trim());
    layers = parts.map(Number);
    if (parts.some((s) => s === '') || layers.some((n) => !Number.isInteger(n) || n < 0)) {
      throw deps.usage(`capture: --layers must be a comma-separated list of layer indices, got "${String(lv)}"`);
    }
  }

  const folder = await openModelFolder(dir);
  try {
    const c = folder.config;
    if (layers?.some((n) => n >= c.numLayers)) {
      throw deps.usage(`capture: --layers must lie in 0..${c.numLayers - 1}, got "${String(lv)}"`);
    }
    const tok = await loadTokenizer(folder);
    const ids = tok.encode(prompt).ids;
    if (ids.length === 0) throw deps.usage('capture: --prompt encodes to no tokens');
    const selected = new Set(layers ?? Array.from({ length: c.numLayers }, (_, i) => i));
    const ctx = await GpuContext.create(deps.gpu(), { label: 'regla-capture' });
    try {
      const session = await Session.load(ctx, c, folder.source);
      const capture = new Capture(ctx, { quantities: quantities as Quantity[], ...(layers ? { layers } : {}), bins });
      const copies: Array<{ name: string; t: Tensor }> = [];
      try {
        // Taps only enqueue work while the forward is encoded; everything is read back after it.
        session.tap = (point, t, site) => {
          capture.tap(point, t, site);
          const q = FULL[point];
          if (!q || !quantities.includes(q) || !selected.has(site.layer)) return;
          const copy = ctx.tensor(t.shape, 'f32', `capture.${point}`);
          ctx.copy(t, copy);
          copies.push({ name: `layer.${site.layer}.${point}`, t: copy });
        };
        await session.prefill(ids, { logits: 'last' });
        session.tap = null;
        const records = await capture.collect();
        const tensors: Array<[string, { shape: number[]; data: Float32Array }]> = [];
        for (const { name, t } of copies) tensors.push([name, { shape: [...t.shape], data: await ctx.readF32(t) }]);
        await mkdir(outDir, { recursive: true });
        const json = {
          model: { dir, modelType: c.modelType, numLayers: c.numLayers, config: configToJson(c) },
          prompt: { text: prompt, tokens: ids, strings: ids.map((id) => tok.decode([id])) },
          options: { layers: [...selected].sort((x, y) => x - y), quantities, bins },
          tensors: tensors.map(([name, t]) => ({ name, shape: t.shape })),
          records,
        };
        await writeFile(join(outDir, 'capture.json'), JSON.stringify(json));
        await writeFile(join(outDir, 'tensors.safetensors'), writeSafetensors(tensors, { metadata: { format: 'regla-capture', tokens: String(ids.length) } }));
        deps.write(`${records.length} records, ${tensors.length} tensors over ${ids.length} tokens → ${outDir}\n`);
      } finally {
        session.tap = null;
        capture.dispose();
        for (const { t } of copies) t.dispose();
        session.dispose();
      }
    } finally {
      ctx.destroy(true);
    }
  } finally {
    await folder.close();
  }
}
