// The bundled sample models (samples/models/<name>/, made by samples/train/train_samples.sh) against
// their PyTorch goldens (samples/train/golden.py): on the held-out golden windows the engine's f32
// logits match PyTorch's within 1e-3 (max abs) at the stored rows, and its perplexity within 0.5%.
// Every variant of samples/train/variants.json must be there with its training log.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Session } from '../../shaders/model/session.js';
import { rowNll64 } from '../../shaders/cpu/sampling.js';
import { readSafetensors } from '../../shaders/model/safetensors.js';
import { parseConfig } from '../../shaders/model/config.js';
import { expectedWeights } from '../../shaders/model/weights.js';
import { openModelFolder } from '../../main/cli/model-folder.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

const ROOT = join(import.meta.dirname, '..', '..', 'samples');
const MODELS = join(ROOT, 'models');
const LOGIT_TOL = 1e-3;
const PPL_TOL = 0.005;

interface Golden {
  windows: number;
  window: number;
  rows: number[];
  predicted: number;
  mean_nll: number;
  perplexity: number;
}

interface TrainingLog {
  name: string;
  steps: Array<{ step: number; loss: number }>;
  evals: Array<{ step: number; val_loss: number }>;
  gates: { bins: number; snapshots: Array<{ step: number; layers: Array<{ layer: number; g_hist: number[]; alpha_hist: number[] }> }> };
}

const variants = JSON.parse(readFileSync(join(ROOT, 'train', 'variants.json'), 'utf8')) as { variants: Record<string, unknown> };
const names = Object.keys(variants.variants);
const tokens = JSON.parse(readFileSync(join(MODELS, 'golden_tokens.json'), 'utf8')) as { windows: number; window: number; ids: number[] };

describe('bundled sample models ≡ their PyTorch goldens', () => {
  it('every variant of variants.json is bundled and listed in index.json with its parameters and golden perplexity', async () => {
    const dirs = (await readdir(MODELS, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(dirs.sort()).toEqual([...names].sort());
    const index = JSON.parse(readFileSync(join(MODELS, 'index.json'), 'utf8')) as { models: Array<{ name: string; path: string; parameters: number; golden_perplexity: number }> };
    expect(index.models.map((m) => m.name)).toEqual(names);
    for (const m of index.models) {
      const config = parseConfig(JSON.parse(readFileSync(join(MODELS, m.path, 'config.json'), 'utf8')));
      expect(m.parameters, m.name).toBe(expectedWeights(config).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0));
      const golden = JSON.parse(readFileSync(join(MODELS, m.path, 'golden.json'), 'utf8')) as Golden;
      expect(m.golden_perplexity, m.name).toBeCloseTo(golden.perplexity, 3);
    }
  });

  for (const name of names) {
    it(name, async () => {
      const dir = join(MODELS, name);
      const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Golden;
      expect([golden.windows, golden.window]).toEqual([tokens.windows, tokens.window]);
      const ref = readSafetensors(new Uint8Array(readFileSync(join(dir, 'golden.safetensors'))), `${name}/golden.safetensors`).tensors.get('logits');
      if (!ref) throw new Error(`${name}/golden.safetensors has no logits`);

      const log = JSON.parse(readFileSync(join(dir, 'training_log.json'), 'utf8')) as TrainingLog;
      expect(log.name).toBe(name);
      expect(log.steps.length).toBeGreaterThan(0);
      expect(log.evals.at(-1)?.step).toBe(log.steps.at(-1)?.step);

      const folder = await openModelFolder(dir);
      const ctx = await getContext();
      const session = await Session.load(ctx, folder.config, folder.source);
      const V = folder.config.vocabSize;
      const W = tokens.window;
      const expected = ref.data as Float32Array;
      let worst = 0;
      let total = 0;
      let count = 0;
      try {
        for (let w = 0; w < tokens.windows; w++) {
          await session.reset();
          const ids = tokens.ids.slice(w * W, (w + 1) * W);
          const logits = await session.prefill(ids, { logits: 'all' });
          for (let t = 0; t + 1 < W; t++) {
            total += rowNll64(logits, t * V, V, ids[t + 1]!);
            count++;
          }
          if (w === 0) {
            golden.rows.forEach((row, i) => {
              for (let j = 0; j < V; j++) worst = Math.max(worst, Math.abs(logits[row * V + j]! - expected[i * V + j]!));
            });
          }
        }
      } finally {
        session.dispose();
        await folder.close();
      }
      const ppl = Math.exp(total / count);
      console.log(`${name}: max |engine − torch| logits ${worst.toExponential(2)}; perplexity engine ${ppl.toFixed(3)} torch ${golden.perplexity.toFixed(3)}`);
      expect(count).toBe(golden.predicted);
      expect(worst).toBeLessThanOrEqual(LOGIT_TOL);
      expect(Math.abs(ppl / golden.perplexity - 1)).toBeLessThanOrEqual(PPL_TOL);
    });
  }
});
