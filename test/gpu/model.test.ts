// The whole forward of every variant (seeded random weights) against the float64 twin; decode
// step by step ≡ prefill; chunked ≡ recurrent prefill.
import { describe, expect, it } from 'vitest';
import { ModelState, GpuModel, forward } from '../../shaders/model/model.js';
import { parseConfig, type ModelConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import { cpuState, forward64 } from '../../shaders/cpu/model.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();



async function gpuLogits(c: ModelConfig, w: ReturnType<typeof randomWeights>, blocks: number[][], mode: 'chunk' | 'recurrent', chunkSize = 16): Promise<Float32Array[]> {
  const ctx = await getContext();
  const model = await GpuModel.upload(ctx, c, w);
  const state = new ModelState(ctx, c);
  const out: Float32Array[] = [];
  try {
    for (const b of blocks) {
      const ids = ctx.upload(Uint32Array.from(b), [b.length], 'ids');
      const logits = forward(model, state, ids, { logits: 'all', mode, chunkSize });
      out.push(await ctx.readF32(logits));
      logits.dispose();
      ids.dispose();
    }
  } finally {
    state.dispose();
    model.dispose();
  }
  return out;
}

describe('full forward of every variant vs the float64 twin', () => {
  for (const [name, json] of Object.entries(VARIANTS)) {
    it(name, async () => {
      const c = parseConfig(json);
      const w = randomWeights(c, { seed: 7, gateBias: 1 });
      const ids = tokens(37, c.vocabSize); // not a multiple of the chunk size
      const ref = forward64(c, w, cpuState(c), ids);
      const [chunked] = await gpuLogits(c, w, [ids], 'chunk', 16);
      const r = expectClose(chunked as Float32Array, ref, { rtol: 2e-3, atol: 2e-4, label: `${name} chunked logits` });
      console.log(`${name}: worst relative error of logits ${r.worstRel.toExponential(2)} (max abs ${r.worstAbs.toExponential(2)})`);
      // Continuing a sequence: prefill 20 then 5 single steps then 12 ≡ the twin over the same blocks.
      const blocks = [ids.slice(0, 20), ...ids.slice(20, 25).map((t) => [t]), ids.slice(25)];
      const parts = await gpuLogits(c, w, blocks, 'chunk', 16);
      const joined = new Float32Array(ref.length);
      let off = 0;
      for (const p of parts) {
        joined.set(p, off);
        off += p.length;
      }
      expectClose(joined, ref, { rtol: 2e-3, atol: 2e-4, label: `${name} prefill+steps logits` });
    });
  }

  it('recurrent prefill ≡ chunked prefill (chunk 16 and 32)', async () => {
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const w = randomWeights(c, { seed: 9 });
    const ids = tokens(45, c.vocabSize, 2);
    const [rec] = await gpuLogits(c, w, [ids], 'recurrent');
    for (const C of [16, 32]) {
      const [ch] = await gpuLogits(c, w, [ids], 'chunk', C);
      expectClose(ch as Float32Array, rec as Float32Array, { rtol: 1e-3, atol: 1e-4, label: `chunk ${C} vs recurrent` });
    }
  });
});


describe('fused decode', () => {
  // gla_step splits the state rows over ⌊256 / dv⌋ thread groups: wide heads cover one group (dv 192)
  // and two groups with idle threads (dv 96), the tiny variants many groups.
  const wide: Record<string, Record<string, unknown>> = {
    regla_dv192: { model_type: 'regla', hidden_size: 192, num_hidden_layers: 1, num_heads: 1, vocab_size: 61, intermediate_size: 48 },
    regla_dv96: { model_type: 'regla', hidden_size: 192, num_hidden_layers: 1, num_heads: 2, vocab_size: 61, intermediate_size: 48 },
  };
  for (const name of ['regla', 'gla_conv_gqa_tied', 'hedgehog', 'fast_decay', ...Object.keys(wide)]) {
    it(`${name}: fused step ≡ unfused step, 4 dispatches per GLA layer`, async () => {
      const ctx = await getContext();
      const c = parseConfig((wide[name] ?? VARIANTS[name]) as Record<string, unknown>);
      const w = randomWeights(c, { seed: 21, gateBias: 0.5 });
      const model = await GpuModel.upload(ctx, c, w);
      const states = [new ModelState(ctx, c), new ModelState(ctx, c)];
      const prompt = ctx.upload(Uint32Array.from(tokens(11, c.vocabSize, 5)), [11], 'prompt');
      for (const st of states) forward(model, st, prompt, { logits: 'last' }).dispose();
      prompt.dispose();
      for (let step = 0; step < 3; step++) {
        const id = ctx.upload(Uint32Array.from([(step * 13 + 3) % c.vocabSize]), [1], 'id');
        const d0 = ctx.dispatchCount;
        const fused = forward(model, states[0] as ModelState, id, { logits: 'last' });
        const dispatches = ctx.dispatchCount - d0;
        const plain = forward(model, states[1] as ModelState, id, { logits: 'last', fused: false });
        expectClose(await ctx.readF32(fused), await ctx.readF32(plain), { rtol: 1e-4, atol: 1e-5, label: `${name} step ${step}` });
        expect(dispatches).toBe(4 * c.numLayers + 2); // + embedding gather and the final norm/LM head
        [fused, plain, id].forEach((t) => t.dispose());
      }
      states.forEach((s) => s.dispose());
      model.dispose();
    });
  }
});
