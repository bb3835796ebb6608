// Every .wgsl kernel compiles (no ShaderCompileError, no validation error) for every variant's
// configuration: each variant runs chunked and recurrent prefill, fused and unfused decode, and
// sampling in every mode; the kernels no model uses (benchmark baselines, elementwise helpers) run
// directly, and with capture on, every reduction. Then every kernel file must have been compiled.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GpuModel, ModelState, forward } from '../../shaders/model/model.js';
import { parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import { matmulNN, matmulNaive } from '../../shaders/ops/matmul.js';
import { add, scale, silu } from '../../shaders/ops/elementwise.js';
import { clampInPlace, scaleColumns } from '../../shaders/ops/interventions.js';
import { sample } from '../../shaders/ops/sampling.js';
import { Capture } from '../../shaders/capture/capture.js';
import { effectiveAttention, effectiveAttentionRow } from '../../shaders/capture/attention.js';
import { fmaBench, streamBench } from '../../shaders/profile/roofline.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

const INCLUDES = new Set(['common.wgsl', 'gate_math.wgsl']);

describe('every kernel compiles with every variant', () => {
  it('runs all paths and compiles every .wgsl file', async () => {
    const ctx = await getContext();
    for (const [name, json] of Object.entries(VARIANTS)) {
      const c = parseConfig(json);
      const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 3 }));
      for (const mode of ['chunk', 'recurrent'] as const) {
        const st = new ModelState(ctx, c);
        const ids = ctx.upload(Uint32Array.from(tokens(20, c.vocabSize)), [20], 'ids');
        const one = ctx.upload(Uint32Array.from([1]), [1], 'one');
        // The recurrent pass also runs every capture reduction on every tap point.
        const capture = mode === 'recurrent' ? new Capture(ctx, { quantities: ['gate', 'phi', 'state', 'output', 'logits', 'tokenState', 'tokenNorm', 'phiStats', 'topk', 'channels'], gateScale: 'logit' }) : null;
        const logits = forward(model, st, ids, { logits: 'all', mode, chunkSize: 16, tap: capture?.tap ?? null });
        if (capture) {
          await capture.collect();
          capture.dispose();
        }
        const l2 = forward(model, st, one, { logits: 'last', fused: mode === 'chunk' });
        for (const [temperature, topK, topP] of [[0, 0, 1], [1, 0, 1], [0.8, 5, 1], [0.8, 0, 0.9], [1.2, 7, 0.5]] as const) {
          sample(ctx, { logits: l2, temperature, topK, topP, seed: 1, step: 0 }).dispose();
        }
        [logits, l2, ids, one].forEach((t) => t.dispose());
        st.dispose();
      }
      model.dispose();
      await ctx.compileCheck();
      ctx.checkErrors();
      void name;
    }
    const a = ctx.upload(new Float32Array(64).fill(0.5), [8, 8], 'a');
    for (const t of [matmulNN(ctx, { a, b: a }), matmulNaive(ctx, { a, b: a }), add(ctx, a, a), scale(ctx, a, 2), silu(ctx, a)]) t.dispose();
    clampInPlace(ctx, { x: a, lo: 0, hi: 1 });
    scaleColumns(ctx, { x: a, col0: 4, cols: 4, s: 2 });
    a.dispose();
    // Effective attention (with and without gate and denominator) and the roofline microbenchmarks.
    const phi = ctx.upload(new Float32Array(1 * 8 * 2 * 16).fill(0.25), [1, 8, 2, 16], 'phi');
    const logA = ctx.upload(new Float32Array(1 * 8 * 2 * 16).fill(-0.1), [1, 8, 2, 16], 'logA');
    for (const denominator of [false, true]) {
      effectiveAttention(ctx, { phiQ: phi, phiK: phi, A: logA, head: 1, scale: 0.25, denominator, t0: 0, t1: 8 }).dispose();
      effectiveAttentionRow(ctx, { phiQ: phi, phiK: phi, head: 0, scale: 0.25, denominator, token: 5 }).dispose();
    }
    fmaBench(ctx, { workgroups: 1, iterations: 2 }).dispose();
    const x = ctx.upload(new Float32Array(1024).fill(1), [1024], 'x');
    streamBench(ctx, x).dispose();
    [phi, logA, x].forEach((t) => t.dispose());
    await ctx.compileCheck();
    await ctx.sync();
    const compiled = new Set(ctx.pipelineKeys.map((k) => k.split('|')[0]));
    const files = readdirSync(new URL('../../shaders/kernels/', import.meta.url)).filter((f) => f.endsWith('.wgsl') && !INCLUDES.has(f));
    const missing = files.filter((f) => !compiled.has(f));
    expect(missing, 'kernel files never compiled').toEqual([]);
    console.log(`compiled ${ctx.pipelineKeys.length} pipelines from ${files.length} kernel files`);
  });
});
