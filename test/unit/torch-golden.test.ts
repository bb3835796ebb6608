// The PyTorch reference (samples/train/regla_torch.py) against the engine's float64 twin: each fixture
// in test/fixtures/torch/ holds a tiny random model exported by samples/train/make_fixtures.py and the
// f32 logits of its chunked torch forward; forward64 must reproduce them within 1e-4.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shaders/model/config.js';
import { readSafetensors } from '../../shaders/model/safetensors.js';
import { validateWeights } from '../../shaders/model/weights.js';
import { cpuState, forward64 } from '../../shaders/cpu/model.js';

const ROOT = join(import.meta.dirname, '..', 'fixtures', 'torch');
const TOL = 1e-4;

interface Golden {
  input_ids: number[];
  chunk_size: number;
  logits: number[][];
  recurrent_max_abs_diff: number;
}

const names = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('PyTorch reference ≡ engine float64 twin', () => {
  it('has the fixtures', () => {
    expect(names.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of names) {
    it(name, () => {
      const dir = join(ROOT, name);
      const config = parseConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
      const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Golden;
      const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), `${name}/model.safetensors`);
      validateWeights(config, tensors);
      const ids = golden.input_ids;
      const V = config.vocabSize;
      const logits = forward64(config, tensors, cpuState(config), ids);
      expect(logits.length).toBe(ids.length * V);
      expect(golden.logits.length).toBe(ids.length);
      let worst = 0;
      let at = [0, 0];
      for (let t = 0; t < ids.length; t++) {
        const row = golden.logits[t] ?? [];
        expect(row.length).toBe(V);
        for (let v = 0; v < V; v++) {
          const d = Math.abs((logits[t * V + v] as number) - (row[v] as number));
          if (!(d <= worst)) {
            worst = d;
            at = [t, v];
          }
        }
      }
      console.log(
        `${name}: max |torch − forward64| = ${worst.toExponential(2)} at (t=${at[0]}, v=${at[1]}); torch chunked vs recurrent ${golden.recurrent_max_abs_diff.toExponential(2)}`,
      );
      expect(golden.recurrent_max_abs_diff).toBeLessThan(TOL);
      expect(worst).toBeLessThanOrEqual(TOL);
    });
  }
});
