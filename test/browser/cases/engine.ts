// Browser cases for the engine beyond single kernels: the tiled matmul, the chunked GLA kernel, the
// whole forward of a variant against the float64 twin, fused decode against the unfused ops, and
// greedy generation through Session — the same checks as test/gpu, on Chromium's WebGPU.

import { matmul64 } from '../../../shaders/cpu/matmul.js';
import { glaRecurrent64 } from '../../../shaders/cpu/gla.js';
import { Rng } from '../../../shaders/cpu/random.js';
import { cpuState, forward64 } from '../../../shaders/cpu/model.js';
import { matmul } from '../../../shaders/ops/matmul.js';
import { glaChunk } from '../../../shaders/ops/gla.js';
import { parseConfig } from '../../../shaders/model/config.js';
import { randomWeights } from '../../../shaders/model/weights.js';
import { GpuModel, ModelState, forward } from '../../../shaders/model/model.js';
import { Session } from '../../../shaders/model/session.js';
import { assertClose } from '../compare.js';
import type { Case } from '../harness.js';

export function matmulCase(M: number, N: number, K: number): Case {
  return {
    name: `matmul ${M}x${N}x${K} with bias + residual`,
    async run(ctx) {
      const rng = new Rng(M * 31 + N * 7 + K);
      const x = rng.normals(M * K);
      const w = rng.normals(N * K, 0.1);
      const b = rng.normals(N);
      const r = rng.normals(M * N);
      const tx = ctx.upload(x, [M, K], 'x');
      const tw = ctx.upload(w, [N, K], 'w');
      const tb = ctx.upload(b, [N], 'b');
      const tr = ctx.upload(r, [M, N], 'r');
      const y = matmul(ctx, { x: tx, w: tw, bias: tb, residual: tr });
      try {
        return assertClose(await ctx.readF32(y), matmul64(x, w, M, N, K, b, r), { rtol: 1e-4, atol: 1e-4, label: 'matmul' });
      } finally {
        [tx, tw, tb, tr, y].forEach((t) => t.dispose());
      }
    },
  };
}

export function glaChunkCase(T: number, C: number): Case {
  return {
    name: `chunked GLA T=${T} C=${C} vs token-serial twin`,
    async run(ctx) {
      const rng = new Rng(T + C);
      const [B, H, dk, dv] = [1, 2, 16, 16];
      const n = B * T * H * dk;
      const q = rng.normals(n, 0.5);
      const k = rng.normals(n, 0.5);
      const v = rng.normals(B * T * H * dv);
      const A = Float32Array.from(rng.normals(n), (x) => -Math.log1p(Math.exp(-x - 1)) / 4);
      const t = [ctx.upload(q, [B, T, H, dk], 'q'), ctx.upload(k, [B, T, H, dk], 'k'), ctx.upload(v, [B, T, H, dv], 'v'), ctx.upload(A, [B, T, H, dk], 'A')] as const;
      const o = glaChunk(ctx, { q: t[0], k: t[1], v: t[2], A: t[3], scale: 0.25, chunkSize: C });
      try {
        const ref = glaRecurrent64({ B, T, Hq: H, Hkv: H, dk, dv }, { q, k, v, A, scale: 0.25 });
        return assertClose(await ctx.readF32(o), ref.o, { rtol: 1e-4, atol: 1e-5, label: 'gla chunk' });
      } finally {
        [...t, o].forEach((x) => x.dispose());
      }
    },
  };
}

const tiny = { hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 61, intermediate_size: 48 };

export function modelCase(name: string, json: Record<string, unknown>): Case {
  return {
    name: `forward ${name} vs float64 twin, then fused decode steps`,
    async run(ctx) {
      const c = parseConfig({ ...tiny, ...json });
      const w = randomWeights(c, { seed: 5, gateBias: 1 });
      const ids = Array.from({ length: 21 }, (_, i) => (i * 13 + 2) % c.vocabSize);
      const model = await GpuModel.upload(ctx, c, w);
      const st = new ModelState(ctx, c);
      try {
        const ref = forward64(c, w, cpuState(c), ids);
        const t = ctx.upload(Uint32Array.from(ids.slice(0, 18)), [18], 'ids');
        const l1 = forward(model, st, t, { logits: 'all', chunkSize: 16 });
        const got = Array.from(await ctx.readF32(l1));
        [t, l1].forEach((x) => x.dispose());
        for (const id of ids.slice(18)) {
          const one = ctx.upload(Uint32Array.from([id]), [1], 'id');
          const l = forward(model, st, one, { logits: 'last' });
          got.push(...(await ctx.readF32(l)));
          [one, l].forEach((x) => x.dispose());
        }
        return assertClose(got, ref, { rtol: 2e-3, atol: 2e-4, label: `${name} logits` });
      } finally {
        st.dispose();
        model.dispose();
      }
    },
  };
}

export const generateCase: Case = {
  name: 'Session.generate greedy follows the twin argmax',
  async run(ctx) {
    const c = parseConfig({ model_type: 'regla', ...tiny });
    const w = randomWeights(c, { seed: 8 });
    const s = await Session.create(ctx, c, w);
    try {
      const prompt = [3, 1, 4, 1, 5];
      const r = await s.generate(prompt, { temperature: 0 }, { maxTokens: 5 });
      const st = cpuState(c);
      let logits = forward64(c, w, st, prompt);
      for (let i = 0; i < 5; i++) {
        const row = logits.subarray(logits.length - c.vocabSize);
        let best = 0;
        for (let j = 1; j < c.vocabSize; j++) if ((row[j] as number) > (row[best] as number)) best = j;
        if (r.tokens[i] !== best) throw new Error(`token ${i}: got ${r.tokens[i]}, twin argmax ${best}`);
        logits = forward64(c, w, st, [best]);
      }
    } finally {
      s.dispose();
    }
  },
};
