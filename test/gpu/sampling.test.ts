import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { sample } from '../../shaders/ops/sampling.js';
import { drawBits, sample64, sampleDetail64, type SampleOptions64 } from '../../shaders/cpu/sampling.js';
import type { GpuContext } from '../../shaders/gpu/context.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

type Opts = Omit<SampleOptions64, 'step'>;
type Strategy = 'auto' | 'single' | 'multi';

/** Samples `steps` on the GPU into one u32 buffer (one readback). */
async function gpuSamples(ctx: GpuContext, logits: Tensor, o: Opts, steps: readonly number[], strategy: Strategy = 'auto'): Promise<number[]> {
  const out = ctx.tensor([steps.length], 'u32', 'ids');
  steps.forEach((step, j) => {
    sample(ctx, { logits, ...o, step, out, outIndex: j, strategy });
    if (j % 64 === 63) ctx.flush();
  });
  const ids = Array.from((await ctx.read(out)) as Uint32Array);
  out.dispose();
  return ids;
}

/** Logits like a language model's: a few strong tokens over a wide tail. */
function lmLogits(V: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const z = rng.normals(V, 2);
  for (let i = 0; i < 12; i++) z[rng.int(V)] = 9 + 6 * rng.next();
  return z;
}

/** Decisions closer than this (relative to the masses compared) may differ between f32 and float64. */
const MARGIN = 2e-6;

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('sampling: greedy', () => {
  it('argmax with the lowest id on ties; NaN never wins; -0 equals +0', async () => {
    const ctx = await getContext();
    const cases: Array<[number[], number]> = [
      [[0.5, 2, -1, 2, 1.5, 0, 2], 1],
      [[NaN, -Infinity, -3, NaN, -3, -7, -4], 2],
      [[-0, 0, -1, -0, -2, -1, -5], 0],
      [[1, 2, 3, 4, 5, 6, Infinity], 6],
    ];
    for (const [row, want] of cases) {
      const t = ctx.upload(Float32Array.from(row), [7], 'logits');
      for (const strategy of ['single', 'multi'] as const) {
        const [got] = await gpuSamples(ctx, t, { temperature: 0, topK: 0, topP: 1, seed: 1 }, [0], strategy);
        expect(got, strategy).toBe(want);
      }
      expect(sample64(row, { temperature: 0, topK: 0, topP: 1, seed: 1, step: 0 })).toBe(want);
      t.dispose();
    }
  });

  it('V = 4096 and 50257 (many ids per invocation), [T, V] samples the last row', async () => {
    const ctx = await getContext();
    for (const V of [4096, 50257]) {
      const z = lmLogits(2 * V, V).map((x) => x - 10);
      z[V + 1234] = 20; // the last row's winner
      z[V + 777] = 20; // an equal logit later in the row loses
      z[V + 4000] = 20;
      z[100] = 50; // the first row is ignored
      const t = ctx.upload(z, [2, V], 'logits');
      for (const strategy of ['single', 'multi'] as const) {
        const ids = await gpuSamples(ctx, t, { temperature: 0, topK: 0, topP: 1, seed: 0 }, [0], strategy);
        expect(ids[0], strategy).toBe(777);
      }
      t.dispose();
    }
  });
});

describe('sampling vs float64 twin', () => {
  const configs: Array<[string, Opts]> = [
    ['temperature 1', { temperature: 1, topK: 0, topP: 1, seed: 11 }],
    ['temperature 0.7, top-k 40', { temperature: 0.7, topK: 40, topP: 1, seed: 12 }],
    ['temperature 1.3, top-p 0.9', { temperature: 1.3, topK: 0, topP: 0.9, seed: 13 }],
    ['top-k 50 + top-p 0.8', { temperature: 0.9, topK: 50, topP: 0.8, seed: 14 }],
    ['top-k 3 + top-p 0.5', { temperature: 2, topK: 3, topP: 0.5, seed: 15 }],
  ];
  for (const V of [7, 4096, 50257]) {
    for (const strategy of ['single', 'multi'] as const) {
      for (const [name, o] of configs) {
        it(`V=${V} ${strategy}: ${name}`, async () => {
          const ctx = await getContext();
          const z = lmLogits(V, V + o.seed);
          const t = ctx.upload(z, [V], 'logits');
          const steps = range(V > 10000 ? 16 : 40, strategy === 'single' ? 1000 : 2000);
          try {
            const ids = await gpuSamples(ctx, t, o, steps, strategy);
            let compared = 0;
            steps.forEach((step, j) => {
              const d = sampleDetail64(z, { ...o, step });
              // f32 exp2 vs float64 exp: masses differ by about 1e-6 relative
              if (d.margin < MARGIN) return;
              compared++;
              expect(ids[j], `step ${step}`).toBe(d.token);
            });
            expect(compared).toBeGreaterThan(steps.length * 0.75);
          } finally {
            t.dispose();
          }
        });
      }
    }
  }
});

describe('sampling semantics', () => {
  it('top-k 1 is greedy; seeds reproduce; different seeds differ', async () => {
    const ctx = await getContext();
    const z = lmLogits(4096, 5);
    const t = ctx.upload(z, [4096], 'logits');
    const greedy = (await gpuSamples(ctx, t, { temperature: 0, topK: 0, topP: 1, seed: 0 }, [0]))[0];
    const k1 = await gpuSamples(ctx, t, { temperature: 1.5, topK: 1, topP: 1, seed: 9 }, range(16));
    expect(new Set(k1)).toEqual(new Set([greedy]));
    const o = { temperature: 3, topK: 0, topP: 1, seed: 42 };
    const a = await gpuSamples(ctx, t, o, range(32));
    const b = await gpuSamples(ctx, t, o, range(32));
    const c = await gpuSamples(ctx, t, { ...o, seed: 43 }, range(32));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(4);
    t.dispose();
  });

  it('thresholds keep ties and exclude everything below; NaN and -inf are never drawn', async () => {
    const ctx = await getContext();
    // top-k 2: the 2nd largest is 1 and is tied (ids 1, 2): three tokens kept
    const z = Float32Array.from([3, 1, 1, 0, NaN, -Infinity, 0.5]);
    const t = ctx.upload(z, [7], 'logits');
    const o = { temperature: 4, topK: 2, topP: 1, seed: 3 };
    expect(sampleDetail64(z, { ...o, step: 0 }).kept).toBe(3);
    const ids = await gpuSamples(ctx, t, o, range(200));
    expect(new Set(ids)).toEqual(new Set([0, 1, 2]));
    // top-p: probabilities ~ [0.64, 0.24, 0.09, 0.03]; p = 0.9 needs three tokens, 0.85 two, 0.6 one
    const z2 = Float32Array.from([Math.log(0.64), Math.log(0.24), Math.log(0.09), Math.log(0.03), NaN]);
    const t2 = ctx.upload(z2, [5], 'logits');
    expect(sampleDetail64(z2, { temperature: 1, topK: 0, topP: 0.9, seed: 0, step: 0 }).kept).toBe(3);
    expect(sampleDetail64(z2, { temperature: 1, topK: 0, topP: 0.85, seed: 0, step: 0 }).kept).toBe(2);
    expect(new Set(await gpuSamples(ctx, t2, { temperature: 1, topK: 0, topP: 0.9, seed: 4 }, range(200)))).toEqual(new Set([0, 1, 2]));
    expect(new Set(await gpuSamples(ctx, t2, { temperature: 1, topK: 0, topP: 0.85, seed: 4 }, range(100)))).toEqual(new Set([0, 1]));
    expect(new Set(await gpuSamples(ctx, t2, { temperature: 1, topK: 0, topP: 0.6, seed: 4 }, range(50)))).toEqual(new Set([0]));
    expect(new Set(await gpuSamples(ctx, t2, { temperature: 1, topK: 0, topP: 1, seed: 4 }, range(400)))).toEqual(new Set([0, 1, 2, 3]));
    [t, t2].forEach((x) => x.dispose());
  });

  it('frequencies over many steps match the kept, renormalized probabilities', async () => {
    const ctx = await getContext();
    const z = Float32Array.from([2.0, 1.5, 1.2, 0.3, -0.5, 1.9, -2]);
    const o = { temperature: 0.9, topK: 5, topP: 0.93, seed: 2024 };
    // expected: softmax(z / T) over the top-5, then the smallest prefix reaching 0.93
    const top5 = [0, 5, 1, 2, 3];
    const w = top5.map((i) => Math.exp((z[i] as number) / o.temperature));
    const sum = w.reduce((x, y) => x + y, 0);
    let cum = 0;
    const kept: number[] = [];
    for (const [j, i] of top5.entries()) {
      kept.push(i);
      cum += (w[j] as number) / sum;
      if (cum >= o.topP) break;
    }
    expect(kept).toEqual([0, 5, 1, 2]);
    const keptW = kept.map((i) => Math.exp((z[i] as number) / o.temperature));
    const keptSum = keptW.reduce((x, y) => x + y, 0);
    const N = 3000;
    const t = ctx.upload(z, [7], 'logits');
    const ids = await gpuSamples(ctx, t, o, range(N));
    const counts = new Array<number>(7).fill(0);
    for (const id of ids) counts[id] = (counts[id] as number) + 1;
    for (let i = 0; i < 7; i++) {
      const p = kept.includes(i) ? (keptW[kept.indexOf(i)] as number) / keptSum : 0;
      const f = (counts[i] as number) / N;
      expect(Math.abs(f - p), `token ${i}: ${f} vs ${p}`).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / N) + 1e-9);
    }
    // the twin draws the same tokens
    const twin = range(N).map((step) => sample64(z, { ...o, step }));
    expect(ids.filter((id, j) => id !== twin[j]).length).toBeLessThanOrEqual(2);
    t.dispose();
  });

  it('V = 262144 (the largest vocabularies): greedy, top-k + top-p and temperature match the twin', async () => {
    const ctx = await getContext();
    const V = 262144;
    const z = lmLogits(V, 77);
    const t = ctx.upload(z, [V], 'logits');
    try {
      for (const o of [
        { temperature: 0, topK: 0, topP: 1, seed: 5 },
        { temperature: 0.8, topK: 50, topP: 0.9, seed: 5 },
        { temperature: 1.1, topK: 0, topP: 1, seed: 6 },
      ]) {
        const steps = range(4);
        const ids = await gpuSamples(ctx, t, o, steps);
        steps.forEach((step, j) => {
          const d = sampleDetail64(z, { ...o, step });
          if (d.margin >= MARGIN) expect(ids[j], `${JSON.stringify(o)} step ${step}`).toBe(d.token);
        });
      }
    } finally {
      t.dispose();
    }
  });

  it('the draw is uniform-looking and identical to the twin hash', () => {
    const n = 20000;
    const bins = new Array<number>(10).fill(0);
    for (let s = 0; s < n; s++) {
      const u = drawBits(7, s) / 2 ** 32;
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      bins[Math.floor(u * 10)]! += 1;
    }
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(5 * Math.sqrt(n / 10));
    expect(drawBits(1, 2)).not.toBe(drawBits(2, 1));
  });

  it('rejects a non-u32 out and an out-of-range outIndex', async () => {
    const ctx = await getContext();
    const t = ctx.upload(new Float32Array(7), [7], 'logits');
    const bad = ctx.tensor([1], 'f32', 'outf');
    const ok = ctx.tensor([2], 'u32', 'outu');
    const o = { logits: t, temperature: 1, topK: 0, topP: 1, seed: 0, step: 0 };
    expect(() => sample(ctx, { ...o, out: bad })).toThrowError(/outf: expected dtype u32/);
    expect(() => sample(ctx, { ...o, out: ok, outIndex: 2 })).toThrowError(/outu: outIndex 2/);
    [t, bad, ok].forEach((x) => x.dispose());
  });
});
