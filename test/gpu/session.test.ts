// Session API: generate/stream/stop/cancel/reset against the float64 twin, and bad input.
import { describe, expect, it } from 'vitest';
import { Session } from '../../shaders/model/session.js';
import { parseConfig } from '../../shaders/model/config.js';
import { expectedWeights, randomWeights } from '../../shaders/model/weights.js';
import { cpuState, forward64 } from '../../shaders/cpu/model.js';
import { DeviceLostError, OutOfMemoryError, ShapeError, WeightsFormatError } from '../../shaders/errors.js';
import { GpuContext } from '../../shaders/gpu/context.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext, keepGpuAlive } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

describe('Session', () => {
  const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
  const w = randomWeights(c, { seed: 11 });

  it('greedy generate follows the twin argmax and streams tokens', async () => {
    const ctx = await getContext();
    const s = await Session.create(ctx, c, w);
    const prompt = tokens(9, c.vocabSize, 3);
    const streamed: number[] = [];
    const r = await s.generate(prompt, { temperature: 0 }, { maxTokens: 6, onToken: (t) => streamed.push(t) });
    expect(r.tokens).toEqual(streamed);
    expect(r.stopReason).toBe('length');
    expect(s.position).toBe(prompt.length + 5);
    // Twin: argmax step by step.
    const st = cpuState(c);
    let logits = forward64(c, w, st, prompt);
    const want: number[] = [];
    for (let i = 0; i < 6; i++) {
      const V = c.vocabSize;
      const row = logits.subarray(logits.length - V);
      let best = 0;
      for (let j = 1; j < V; j++) if ((row[j] as number) > (row[best] as number)) best = j;
      want.push(best);
      logits = forward64(c, w, st, [best]);
    }
    expect(r.tokens).toEqual(want);
    s.dispose();
  });

  it('stops on a stop token, cancels, resets and is reproducible with a seed', async () => {
    const ctx = await getContext();
    const s = await Session.create(ctx, c, w);
    const prompt = tokens(5, c.vocabSize, 4);
    const a = await s.generate(prompt, { temperature: 1, topK: 20, topP: 0.9, seed: 42 }, { maxTokens: 8 });
    await s.reset();
    expect(s.position).toBe(0);
    const b = await s.generate(prompt, { temperature: 1, topK: 20, topP: 0.9, seed: 42 }, { maxTokens: 8 });
    expect(b.tokens).toEqual(a.tokens);
    await s.reset();
    const stopAt = a.tokens[2] as number;
    const st = await s.generate(prompt, { temperature: 1, topK: 20, topP: 0.9, seed: 42 }, { maxTokens: 8, stop: [stopAt] });
    expect(st.stopReason).toBe('stop');
    expect(st.tokens.at(-1)).toBe(stopAt);
    expect(st.tokens).toEqual(a.tokens.slice(0, st.tokens.length));
    // The speculative step past the stop token was undone: the state holds the prompt and every
    // generated token but the last, so feeding the stop token now equals the twin over all of them.
    expect(s.position).toBe(prompt.length + st.tokens.length - 1);
    const after = await s.step(stopAt);
    const twin = forward64(c, w, cpuState(c), [...prompt, ...st.tokens]);
    expectClose(after, twin.subarray(twin.length - c.vocabSize), { rtol: 2e-3, atol: 2e-4, label: 'logits after a stop' });
    await s.reset();
    // cancel() takes effect after the token in flight (the step after the current one is already
    // submitted when the current token arrives): one more token at most, and the state stays exact.
    const cancelled = await s.generate(prompt, { temperature: 0 }, { maxTokens: 50, onToken: (_, i) => i === 1 && s.cancel() });
    expect(cancelled.stopReason).toBe('cancelled');
    expect(cancelled.tokens.length).toBeGreaterThanOrEqual(2);
    expect(cancelled.tokens.length).toBeLessThanOrEqual(3);
    expect(s.position).toBe(prompt.length + cancelled.tokens.length - 1);
    // prefill and step give the same logits as the twin after a reset
    await s.reset();
    const l1 = await s.prefill(prompt);
    const ref = forward64(c, w, cpuState(c), prompt);
    expectClose(l1, ref.subarray(ref.length - c.vocabSize), { rtol: 2e-3, atol: 2e-4, label: 'prefill last logits' });
    s.dispose();
  });

  it('rejects bad tokens and bad weights with named errors, and keeps working', async () => {
    const ctx = await getContext();
    const s = await Session.create(ctx, c, w);
    await expect(s.prefill([1, c.vocabSize])).rejects.toThrowError(ShapeError);
    await expect(s.prefill([1.5])).rejects.toThrowError(/token 0 = 1.5 is outside the vocabulary/);
    await expect(s.prefill([])).rejects.toThrowError(ShapeError);
    expect((await s.prefill([1, 2, 3])).length).toBe(c.vocabSize);
    s.dispose();
    const bad = new Map(w);
    bad.delete('model.layers.0.attn.gr_proj.bias');
    await expect(Session.create(ctx, c, bad)).rejects.toThrowError(WeightsFormatError);
    expect(ctx.memory.liveTensors).toBe(0);
  });
});

describe('memory counters', () => {
  it('peakBytes covers a prefill and resetPeak restarts it from the live bytes', async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const s = await Session.create(ctx, c, randomWeights(c, { seed: 3 }));
    ctx.resetPeak();
    const live = ctx.memory.liveBytes;
    expect(ctx.memory.peakBytes).toBe(live);
    await s.prefill(tokens(40, c.vocabSize, 8));
    // Activations of the prefill came and went: the peak is above what stays live.
    expect(ctx.memory.peakBytes).toBeGreaterThan(ctx.memory.liveBytes);
    expect(ctx.memory.peakBytes).toBeGreaterThan(live);
    ctx.resetPeak();
    expect(ctx.memory.peakBytes).toBe(ctx.memory.liveBytes);
    s.dispose();
  });
});

describe('device limits and device loss', () => {
  it('a model over the buffer limit gets an OutOfMemoryError with the numbers, and nothing leaks', async () => {
    const ctx = await getContext();
    const limit = ctx.limits.maxStorageBufferBindingSize;
    const hidden = 1024;
    const vocab = Math.ceil(limit / (hidden * 4)) + 1; // embedding one row past the limit
    const big = parseConfig({ model_type: 'regla', hidden_size: hidden, num_hidden_layers: 1, num_heads: 8, vocab_size: vocab, tie_word_embeddings: true });
    const zeros = new Map(expectedWeights(big).map((s) => [s.name, { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) }]));
    await expect(Session.create(ctx, big, zeros)).rejects.toThrowError(OutOfMemoryError);
    await expect(Session.create(ctx, big, zeros)).rejects.toThrowError(new RegExp(`model.embeddings.weight: \\d+ bytes exceeds this device's limit of ${Math.min(limit, ctx.limits.maxBufferSize)} bytes`));
    expect(ctx.memory.liveTensors).toBe(0);
  });

  it('a lost device rejects with DeviceLostError and a new context and session work', async () => {
    const lostCtx = await GpuContext.create(keepGpuAlive(), { label: 'lost' });
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const w = randomWeights(c, { seed: 2 });
    const s = await Session.create(lostCtx, c, w);
    await s.prefill([1, 2]);
    lostCtx.device.destroy();
    await expect(lostCtx.whenLost).resolves.toBeInstanceOf(DeviceLostError);
    await expect(s.prefill([3])).rejects.toThrowError(DeviceLostError);
    await expect(s.generate([3], { temperature: 0 }, { maxTokens: 2 })).rejects.toThrowError(DeviceLostError);
    const fresh = await GpuContext.create(keepGpuAlive(), { label: 'fresh' });
    const s2 = await Session.create(fresh, c, w);
    const logits = await s2.prefill([1, 2, 3]);
    expect(logits.every(Number.isFinite)).toBe(true);
    s2.dispose();
    expect(fresh.memory.liveTensors).toBe(0);
    fresh.destroy(true);
  });
});

describe('streaming load from a WeightSource', () => {
  const c = parseConfig(VARIANTS['gla_conv_gqa_tied'] as Record<string, unknown>);
  const w = randomWeights(c, { seed: 4 });

  it('reads each tensor once, one at a time, reports progress, and equals the in-memory upload', async () => {
    const ctx = await getContext();
    let inFlight = 0;
    let maxInFlight = 0;
    const reads: string[] = [];
    const source = {
      names: () => w.keys(),
      shape: (n: string) => w.get(n)?.shape,
      read: async (n: string) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        reads.push(n);
        await new Promise((r) => setTimeout(r, 0));
        inFlight--;
        return Float32Array.from(w.get(n)?.data ?? []);
      },
    };
    const progress: number[] = [];
    const s = await Session.load(ctx, c, source, { onProgress: (done, total) => progress.push(done / total) });
    expect(maxInFlight).toBe(1);
    expect(new Set(reads).size).toBe(w.size);
    expect(progress.at(-1)).toBe(1);
    const ids = tokens(12, c.vocabSize);
    const a = await s.prefill(ids, { logits: 'all' });
    s.dispose();
    const s2 = await Session.create(ctx, c, w);
    expect(Array.from(await s2.prefill(ids, { logits: 'all' }))).toEqual(Array.from(a));
    s2.dispose();
  });

  it('a failing read rejects with its error and releases everything uploaded so far', async () => {
    const ctx = await getContext();
    let n = 0;
    const source = {
      names: () => w.keys(),
      shape: (name: string) => w.get(name)?.shape,
      read: async (name: string) => {
        if (++n === 7) throw new WeightsFormatError(`model.safetensors: ${name}: truncated data`);
        return w.get(name)?.data ?? new Float32Array();
      },
    };
    await expect(Session.load(ctx, c, source)).rejects.toThrowError(/truncated data/);
    expect(ctx.memory.liveTensors).toBe(0);
    const short = { ...source, read: async (name: string) => (w.get(name)?.data ?? new Float32Array()).subarray(1) };
    await expect(Session.load(ctx, c, short)).rejects.toThrowError(/values for shape/);
    expect(ctx.memory.liveTensors).toBe(0);
  });
});
