import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { blockSums64, dispatchFused, finishSums, fusedReduce, gateProxies, type FusedArgs, headMoments, histogram, planFused, saturation, stateNorm } from '../../shaders/capture/reduce.js';
import { alphaThreshold, histogramEdges, logitThreshold, type HistogramSpec } from '../../shaders/capture/edges.js';
import { gateProxies64, histogram64, moments64, saturation64, stateNorm64 } from '../../shaders/cpu/capture.js';
import { channelSums64, phiStats64, rowNorms64 } from '../../shaders/cpu/capture_tokens.js';
import { Capture, DEFAULT_QUANTITIES } from '../../shaders/capture/capture.js';
import { Session } from '../../shaders/model/session.js';
import { GpuModel, ModelState, forward, type Tap, type TapPoint } from '../../shaders/model/model.js';
import { parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

/** |a − b| ≤ rtol · scale per element, scale = Σ|terms| of the sum (cancellation-safe). */
function expectSums(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rtol: number, label: string): number {
  expect(got.length, label).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const rel = Math.abs((got[i] as number) - (want[i] as number)) / Math.max(1e-30, scale[i] as number);
    worst = Math.max(worst, rel);
    expect(rel, `${label}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(rtol);
  }
  return worst;
}

/** Random values plus every bin edge, values just off the edges, out-of-range values, NaN, ±Inf, −0. */
function tricky(rng: Rng, n: number, spec: HistogramSpec, std: number, shift: number): Float32Array {
  const x = rng.normals(n, std, shift);
  const e = histogramEdges(spec);
  const specials = [NaN, Infinity, -Infinity, -0, 0, 1, -1e30, 1e30];
  let k = 0;
  for (let i = 0; i < n; i += 3) {
    const pick = k++ % (e.length + specials.length);
    if (pick < e.length) {
      const v = e[pick] as number;
      x[i] = (k & 1) === 0 ? v : Math.fround(v * (1 + ((k & 2) === 0 ? 1e-7 : -1e-7)));
    } else x[i] = specials[pick - e.length] as number;
  }
  return x;
}

describe('histogram vs twin (exact counts)', () => {
  const cases: Array<{ name: string; shape: number[]; spec: HistogramSpec; std: number; shift: number }> = [
    { name: 'linear identity', shape: [40, 3, 5], spec: { bins: 16, lo: -2, hi: 2 }, std: 1.5, shift: 0 },
    { name: 'linear identity, many chunks', shape: [1, 700, 2, 16], spec: { bins: 64, lo: -3, hi: 1 }, std: 1.2, shift: -0.5 },
    { name: 'alpha from log α (exp)', shape: [1, 50, 2, 8], spec: { bins: 32, lo: 0, hi: 1, value: 'exp' }, std: 1, shift: -0.7 },
    { name: 'logit scale on values', shape: [30, 2, 8], spec: { bins: 24, lo: -6, hi: 6, scale: 'logit' }, std: 0.3, shift: 0.5 },
    { name: 'logit scale of exp(log α)', shape: [1, 30, 4, 4], spec: { bins: 256, lo: -8, hi: 8, scale: 'logit', value: 'exp' }, std: 2, shift: -1 },
    { name: 'one bin, one head', shape: [257], spec: { bins: 1, lo: 0.25, hi: 0.5 }, std: 0.3, shift: 0.3 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ctx = await getContext();
      const rng = new Rng(c.shape.reduce((a, b) => a * b, 1) + c.spec.bins);
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = tricky(rng, n, c.spec, c.std, c.shift);
      const tx = ctx.upload(x, c.shape, 'x');
      const out = histogram(ctx, { x: tx, spec: c.spec });
      const got = Array.from(await ctx.read(out));
      const H = c.shape.length >= 2 ? (c.shape.at(-2) as number) : 1;
      const D = c.shape.at(-1) as number;
      const want = histogram64(x, H, D, c.spec);
      expect(got).toEqual(Array.from(want));
      expect(got.reduce((a, b) => a + b, 0)).toBe(n);
      [tx, out].forEach((t) => t.dispose());
    });
  }

  it('a value exactly at edge k lands in bin k; hi in the last bin; NaN, under and over apart', async () => {
    const ctx = await getContext();
    const spec: HistogramSpec = { bins: 10, lo: -1, hi: 1.5 };
    const e = histogramEdges(spec);
    const x = Float32Array.from([...e, NaN, -1.0000001, 2, Infinity, -Infinity]);
    const tx = ctx.upload(x, [x.length], 'x');
    const out = histogram(ctx, { x: tx, spec });
    const got = Array.from(await ctx.read(out));
    // bins 0..9 get edges 0..9, edge 10 (= hi) joins bin 9; under: -1.0000001, -Inf; over: 2, Inf.
    expect(got).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1]);
    expect(Array.from(histogram64(x, 1, x.length, spec))).toEqual(got);
    [tx, out].forEach((t) => t.dispose());
  });

  it('rejects bad specs', async () => {
    const ctx = await getContext();
    const tx = ctx.upload(new Float32Array(6), [2, 3], 'x');
    expect(() => histogram(ctx, { x: tx, spec: { bins: 300, lo: 0, hi: 1 } })).toThrowError(/bins/);
    expect(() => histogram(ctx, { x: tx, spec: { bins: 4, lo: 1, hi: 1 } })).toThrowError(/lo < hi/);
    expect(() => histogram(ctx, { x: tx, spec: { bins: 4, lo: 0, hi: 1 }, heads: 4 })).toThrowError(/heads/);
    tx.dispose();
  });
});

describe('saturation vs twin (exact counts)', () => {
  it('α < eps, α > 1 − eps from log α; |logit| > t', async () => {
    const ctx = await getContext();
    const rng = new Rng(5);
    const shape = [1, 90, 3, 8];
    const n = 90 * 24;
    const logA = rng.normals(n, 3, -1);
    for (let i = 0; i < n; i += 7) logA[i] = -rng.uniform(0, 2e-3); // near α = 1
    logA[0] = NaN;
    logA[1] = Math.fround(Math.log(1e-3)); // exactly at the threshold: not < it
    logA[2] = 0;
    logA[3] = -Infinity;
    const logits = rng.normals(n, 5);
    logits[5] = 6;
    logits[6] = -6;
    logits[7] = NaN;
    const tA = ctx.upload(logA, shape, 'logA');
    const tL = ctx.upload(logits, shape, 'logits');
    const ta = [alphaThreshold(1e-3), alphaThreshold(1e-2), alphaThreshold(0.1)];
    const tl = [logitThreshold(6), logitThreshold(4)];
    const sA = saturation(ctx, { x: tA, thresholds: ta });
    const sL = saturation(ctx, { x: tL, thresholds: tl });
    const gotA = Array.from(await ctx.read(sA));
    const gotL = Array.from(await ctx.read(sL));
    expect(gotA).toEqual(Array.from(saturation64(logA, 3, 8, ta)));
    expect(gotL).toEqual(Array.from(saturation64(logits, 3, 8, tl)));
    expect(gotA.some((v) => v > 0) && gotL.some((v) => v > 0)).toBe(true);
    [tA, tL, sA, sL].forEach((t) => t.dispose());
  });
});

describe('per-head sums vs twin', () => {
  for (const [shape, value] of [[[1, 37, 2, 16], 'identity'], [[1, 300, 4, 16], 'exp'], [[5, 7], 'identity']] as const) {
    it(`moments ${value} [${shape.join(', ')}]`, async () => {
      const ctx = await getContext();
      const rng = new Rng(shape.length * 11 + shape[1]);
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const x = value === 'exp' ? rng.normals(n, 0.5, -0.3) : rng.normals(n, 1, 0.2);
      const tx = ctx.upload(x, shape, 'x');
      const out = headMoments(ctx, { x: tx, value });
      const got = await ctx.readF32(out);
      const H = shape.at(-2) as number;
      const D = shape.at(-1) as number;
      const want = moments64(x, H, D, value);
      const abs = moments64(x.map((v) => (value === 'exp' ? v : Math.abs(v))), H, D, value);
      expectSums(got, want, abs, 1e-5, 'moments');
      [tx, out].forEach((t) => t.dispose());
    });
  }

  for (const refined of [true, false]) {
    it(`gate gradient proxies (${refined ? 'refined' : 'plain'})`, async () => {
      const ctx = await getContext();
      const rng = new Rng(refined ? 3 : 4);
      const shape = [1, 200, 2, 12];
      const n = 200 * 24;
      const a = rng.normals(n, 3, 1);
      const c = rng.normals(n, 2, -1);
      const ta = ctx.upload(a, shape, 'a');
      const tc = ctx.upload(c, shape, 'c');
      const out = gateProxies(ctx, refined ? { a: ta, c: tc } : { a: ta });
      const got = await ctx.readF32(out);
      const want = gateProxies64(a, refined ? c : undefined, 2, 12);
      expectSums(got, want, want, 1e-5, 'proxies');
      [ta, tc, out].forEach((t) => t.dispose());
    });
  }

  it('state norm per head', async () => {
    const ctx = await getContext();
    const rng = new Rng(8);
    const shape = [1, 3, 48, 64];
    const s = rng.normals(3 * 48 * 64, 2, 0.1);
    const ts = ctx.upload(s, shape, 'state');
    const out = stateNorm(ctx, { state: ts });
    expect(out.shape).toEqual([3]);
    const got = await ctx.readF32(out);
    const want = stateNorm64(s, 3, 48 * 64);
    expectSums(got, want, want, 1e-5, 'state norm');
    [ts, out].forEach((t) => t.dispose());
  });
});

describe('fused reduction: every section of one pass vs its twin', () => {
  for (const role of ['a', 'c'] as const) {
    // x = a: short rows (a thread per row; channel sums over three row blocks); x = c: rows longer than
    // a workgroup (logits-like: the workgroup per row; a thread per channel).
    it(`histogram, saturation, moments, proxies (x = ${role}), row norms, φ stats, channel sums over a row range`, async () => {
      const ctx = await getContext();
      const rng = new Rng(role === 'a' ? 21 : 22);
      const [R, H, D] = role === 'a' ? [600, 3, 12] : [40, 2, 700];
      const rows = role === 'a' ? { start: 13, count: 550 } : { start: 3, count: 30 };
      const n = R * H * D;
      const spec: HistogramSpec = { bins: 40, lo: -2, hi: 2 };
      const x = tricky(rng, n, spec, 1.2, 0.1);
      // Edges and values just off them stay; NaN, ±Inf and ±1e30 would make the sums meaningless.
      for (let i = 0; i < n; i++) if (!(Math.abs(x[i] as number) < 100)) x[i] = i % 2 === 0 ? -0.25 : 0.5;
      const other = rng.normals(n, 2, -0.5);
      const pairs = [logitThreshold(1), logitThreshold(0.5), alphaThreshold(0.3)];
      const tx = ctx.upload(x, [R, H, D], 'x');
      const to = ctx.upload(other, [R, H, D], 'other');
      const d0 = ctx.dispatchCount;
      const { out, layout } = fusedReduce(ctx, {
        x: tx,
        rows,
        hist: spec,
        thresholds: pairs,
        moments: 'identity',
        proxies: role === 'a' ? { of: 'a', c: to } : { of: 'c', a: to },
        rowNorms: true,
        phi: { zero: 0.1 },
        channels: 'exp',
      });
      expect(ctx.dispatchCount - d0, 'one pass').toBe(1);
      const words = (await ctx.read(out)) as Uint32Array;
      const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
      const xs = x.subarray(rows.start * H * D, (rows.start + rows.count) * H * D);
      const os = other.subarray(rows.start * H * D, (rows.start + rows.count) * H * D);
      const at = (o: number | undefined, len: number): Uint32Array => words.subarray(o ?? -1, (o ?? -1) + len);
      const atF = (o: number | undefined, len: number): Float32Array => floats.subarray(o ?? -1, (o ?? -1) + len);
      expect(Array.from(at(layout.hist?.offset, H * 43))).toEqual(Array.from(histogram64(xs, H, D, spec)));
      expect(Array.from(at(layout.sat?.offset, H * 6))).toEqual(Array.from(saturation64(xs, H, D, pairs)));
      const m = finishSums(floats, layout.moments ?? -1, layout.chunks, H);
      expectSums(m, moments64(xs, H, D), moments64(xs.map(Math.abs), H, D), 1e-5, 'moments');
      const g = finishSums(floats, layout.proxies ?? -1, layout.chunks, H);
      const wantG = role === 'a' ? gateProxies64(xs, os, H, D) : gateProxies64(os, xs, H, D);
      expectSums(g, wantG, wantG, 1e-5, 'proxies');
      const norms = atF(layout.rowNorms, rows.count * H);
      const wantN = rowNorms64(xs, D);
      expectSums(norms, wantN, wantN, 1e-5, 'row norms');
      const ph = phiStats64(xs, H, D, 0.1);
      expect(Array.from(at(layout.zeros, H))).toEqual(Array.from(ph.zeros));
      const ent = atF(layout.entropy, rows.count * H);
      expectSums(ent, ph.entropy, ph.entropy.map((e) => Math.max(e, 1e-6)), 1e-5, 'entropy');
      const es = Array.from({ length: H }, (_, h) => ent.filter((_, i) => i % H === h).reduce((a, b) => a + b, 0));
      const wantEs = Array.from({ length: H }, (_, h) => ph.entropy.filter((_, i) => i % H === h).reduce((a, b) => a + b, 0));
      expectSums(es, wantEs, wantEs, 1e-5, 'entropy sums');
      // The pass's own per-chunk Σ of the entropies (what the mean per head is made of).
      expectSums(blockSums64(floats, layout.entropySum ?? -1, layout.chunks, H), es, es, 1e-5, 'per-chunk entropy sums');
      const cs = channelSums64(xs, H, D, 'exp');
      const ch = layout.channels;
      expect(ch?.blocks).toBe(role === 'a' ? 3 : 1);
      expectSums(blockSums64(floats, ch?.offset ?? -1, ch?.blocks ?? 0, H * D), cs, cs, 1e-5, 'channel sums');
      // The CPU finish is the GPU finish, bit for bit.
      const gpu = headMoments(ctx, { x: tx, rows });
      expect(Array.from(await ctx.readF32(gpu))).toEqual(Array.from(m));
      // Only the counters are cleared before the pass: a pooled buffer full of junk gives the same words.
      const args: FusedArgs = { x: tx, rows, hist: spec, thresholds: pairs, moments: 'identity', proxies: role === 'a' ? { of: 'a', c: to } : { of: 'c', a: to }, rowNorms: true, phi: { zero: 0.1 }, channels: 'exp' };
      out.dispose();
      await ctx.sync();
      const junk = ctx.upload(new Uint32Array(layout.size).fill(0x7fc01234), [layout.size], 'junk');
      const junkBuffer = junk.buffer;
      junk.dispose();
      await ctx.sync();
      const again = fusedReduce(ctx, args);
      expect(again.out.buffer, 'the junk buffer is reused').toBe(junkBuffer);
      expect(Array.from((await ctx.read(again.out)) as Uint32Array)).toEqual(Array.from(words));
      [tx, to, again.out, gpu].forEach((t) => t.dispose());
    });
  }
});

describe('fused jobs in one dispatch', () => {
  it('several passes in one dispatch write the words of the same passes run one by one', async () => {
    const ctx = await getContext();
    const rng = new Rng(31);
    const spec: HistogramSpec = { bins: 24, lo: -3, hi: 3 };
    const a = ctx.upload(rng.normals(300 * 3 * 16, 2, 0.3), [300, 3, 16], 'a');
    const c = ctx.upload(rng.normals(300 * 3 * 16, 1.5, -0.4), [300, 3, 16], 'c');
    const long = ctx.upload(rng.normals(12 * 2 * 600, 1, 0), [12, 2, 600], 'long');
    const st = ctx.upload(rng.normals(3 * 8 * 16, 1, 0), [3, 8, 16], 'state');
    const a2 = a.view([300, 3, 16], 'a (another view of the same buffer)');
    const jobs: FusedArgs[] = [
      { x: a, hist: spec, thresholds: [logitThreshold(1)], moments: 'identity', proxies: { of: 'a' } },
      { x: c, hist: spec, thresholds: [logitThreshold(2), logitThreshold(0.5)], moments: 'identity', proxies: { of: 'c', a: a2 } },
      { x: a, rows: { start: 7, count: 250 }, hist: { bins: 16, lo: 0, hi: 1, value: 'exp' }, thresholds: [alphaThreshold(0.1)], moments: 'exp', channels: 'exp' },
      { x: long, hist: { bins: 8, lo: -1, hi: 1 }, moments: 'identity', rowNorms: true, phi: { zero: 0.2 } },
      { x: c, rows: { start: 3, count: 0 }, moments: 'identity' },
      { x: st, heads: 3, headDim: 128, moments: 'identity' },
      { x: c, rowNorms: true, phi: { zero: 0 } },
    ];
    // One arena, as Capture has it: every job's words in one cleared tensor.
    const total = 1 << 14;
    const arena = ctx.tensor([total], 'u32', 'arena');
    ctx.zero(arena);
    let used = 0;
    const alloc = (words: number): { t: Tensor; at: number } => {
      const at = used;
      used += words;
      expect(used).toBeLessThanOrEqual(total);
      return { t: arena, at };
    };
    const planned = jobs.map((j) => planFused(ctx, { ...j, alloc }));
    const d0 = ctx.dispatchCount;
    dispatchFused(ctx, planned);
    const dispatches = ctx.dispatchCount - d0;
    const inputs = 4; // a (and its view), c, long, state
    expect(dispatches).toBe(ctx.device.limits.maxStorageBuffersPerShaderStage > inputs ? 1 : 2);
    const words = (await ctx.read(arena)) as Uint32Array;
    for (const [k, j] of jobs.entries()) {
      const one = fusedReduce(ctx, j);
      const got = (await ctx.read(one.out)) as Uint32Array;
      const p = planned[k] as (typeof planned)[number];
      const at = p.layout.size === 0 ? 0 : Math.min(...[p.layout.hist?.offset, p.layout.sat?.offset, p.layout.zeros, p.layout.moments, p.layout.proxies, p.layout.rowNorms, p.layout.entropy, p.layout.channels?.offset].filter((o): o is number => o !== undefined));
      expect(Array.from(words.subarray(at, at + p.layout.size)), `job ${k}`).toEqual(Array.from(got.subarray(0, p.layout.size)));
      one.out.dispose();
    }
    // More jobs than one dispatch takes (8): split in two, every job the same words. Jobs writing
    // different tensors never share a dispatch.
    ctx.zero(arena);
    used = 0;
    const many = Array.from({ length: 11 }, () => planFused(ctx, { x: a, hist: spec, moments: 'identity', alloc }));
    const apart = planFused(ctx, { x: a, hist: spec, moments: 'identity' });
    const d1 = ctx.dispatchCount;
    dispatchFused(ctx, [...many, apart]);
    expect(ctx.dispatchCount - d1).toBe(3);
    const again = (await ctx.read(arena)) as Uint32Array;
    const size = apart.layout.size;
    const want = Array.from(((await ctx.read(apart.out)) as Uint32Array).subarray(0, size));
    for (let k = 0; k < many.length; k++) expect(Array.from(again.subarray(k * size, (k + 1) * size)), `job ${k} of 11`).toEqual(want);
    [a, c, long, st, arena, apart.out].forEach((t) => t.dispose());
  });
});

describe('dispatch budget', () => {
  // A layer's tap points run as one dispatch (8 inputs: gate.a, gate.c, log α, φ(q), φ(k), o, S, y),
  // two where the device binds fewer than 9 storage buffers; + 2 for the logits' pass and top-k.
  it('default capture adds one dispatch per layer to a regla prefill', async () => {
    const ctx = await getContext();
    const PER_LAYER = ctx.device.limits.maxStorageBuffersPerShaderStage >= 9 ? 1 : 2;
    const c = parseConfig({ ...(VARIANTS['regla'] as Record<string, unknown>), num_hidden_layers: 4 });
    const s = await Session.create(ctx, c, randomWeights(c, { seed: 1 }));
    const ids = tokens(24, c.vocabSize);
    try {
      let submits = 0;
      const off = ctx.onSubmit(() => submits++);
      let d0 = ctx.dispatchCount;
      await s.prefill(ids);
      const plain = ctx.dispatchCount - d0;
      const plainSubmits = submits;
      await s.reset();
      const cap = new Capture(ctx, { quantities: DEFAULT_QUANTITIES });
      s.tap = cap.tap;
      d0 = ctx.dispatchCount;
      submits = 0;
      await s.prefill(ids);
      // The read-back copies go into the forward's own submits (readback 'submit'): none of their own.
      expect(submits, 'submits of a captured prefill').toBeLessThanOrEqual(plainSubmits);
      off();
      const recs = await cap.collect();
      const extra = ctx.dispatchCount - d0 - plain;
      s.tap = null;
      cap.dispose();
      expect(recs.length).toBeGreaterThan(8 * c.numLayers);
      expect(extra, `${extra} extra dispatches for ${c.numLayers} layers`).toBeLessThanOrEqual(PER_LAYER * c.numLayers + 2);
    } finally {
      s.dispose();
    }
  });
});

describe('Capture on a tiny model', () => {
  it('logits bitwise equal with capture on; gate histogram equals the twin on the same log α', async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 3, gateBias: 1 }));
    const ids = ctx.upload(Uint32Array.from(tokens(20, c.vocabSize)), [20], 'ids');
    const s0 = new ModelState(ctx, c);
    const s1 = new ModelState(ctx, c);
    // Every quantity on, the per-token ones included (their taps: v and the state entering the block).
    const capture = new Capture(ctx, {
      quantities: ['gate', 'phi', 'state', 'output', 'logits', 'tokenState', 'tokenNorm', 'phiStats', 'topk', 'channels'],
      bins: 32,
      thresholds: { eps: [1e-2, 0.1], logit: [2, 6] },
    });
    const seen: Array<{ layer: number; copy: Tensor }> = [];
    const gates: Array<{ layer: number; point: TapPoint; copy: Tensor }> = [];
    const tap: Tap = (point, t, site) => {
      capture.tap(point, t, site);
      if (point === 'gate.logA') {
        const copy = ctx.tensor(t.shape, 'f32', 'test.logA');
        ctx.copy(t, copy);
        seen.push({ layer: site.layer, copy });
      }
      if (point === 'gate.a' || point === 'gate.c') {
        const copy = ctx.tensor(t.shape, 'f32', `test.${point}`);
        ctx.copy(t, copy);
        gates.push({ layer: site.layer, point, copy });
      }
    };
    try {
      const off = forward(model, s0, ids, { logits: 'all', mode: 'chunk', chunkSize: 16 });
      const on = forward(model, s1, ids, { logits: 'all', mode: 'chunk', chunkSize: 16, tap });
      const a = await ctx.readF32(off);
      const b = await ctx.readF32(on);
      [off, on].forEach((t) => t.dispose());
      expect(Array.from(new Uint32Array(b.buffer))).toEqual(Array.from(new Uint32Array(a.buffer)));
      expect(capture.size).toBeGreaterThan(0);
      const records = await capture.collect();
      expect(capture.size).toBe(0);
      expect(seen.length).toBe(c.numLayers);
      for (const { layer, copy } of seen) {
        const logA = await ctx.readF32(copy);
        copy.dispose();
        const rec = records.find((r) => r.layer === layer && r.point === 'gate.logA');
        const h = rec?.histogram;
        expect(h, `layer ${layer} logA record`).toBeDefined();
        if (!rec || !h) continue;
        const [H, D] = [copy.shape.at(-2) as number, copy.shape.at(-1) as number];
        const want = histogram64(logA, H, D, { bins: 32, lo: 0, hi: 1, value: 'exp' });
        const got = h.counts.flatMap((row, i) => [...row, h.under[i] as number, h.over[i] as number, h.nan[i] as number]);
        expect(got).toEqual(Array.from(want));
        expect(h.counts.flat().reduce((x, y) => x + y, 0)).toBe(logA.length);
        const sat = saturation64(logA, H, D, [alphaThreshold(1e-2), alphaThreshold(0.1)]);
        expect(rec.saturation?.length).toBe(2);
        rec.saturation?.forEach((s, k) => {
          for (let i = 0; i < H; i++) {
            expect(s.low[i]).toBe(sat[i * 4 + 2 * k]);
            expect(s.high[i]).toBe(sat[i * 4 + 2 * k + 1]);
          }
        });
        const m = moments64(logA, H, D, 'exp');
        const n = logA.length / H;
        expectSums(rec.means?.mean ?? [], Array.from({ length: H }, (_, i) => (m[2 * i] as number) / n), Array.from({ length: H }, (_, i) => (m[2 * i] as number) / n), 1e-5, 'mean α');
        expect(rec.means?.memoryLength?.length).toBe(H);
      }
      // Gate-gradient proxies: Σ g(1 − g) from gate.a's pass, Σ dF/dg from gate.c's (reading the held gate.a tensor).
      for (let layer = 0; layer < c.numLayers; layer++) {
        const ga = gates.find((g) => g.layer === layer && g.point === 'gate.a');
        const gc = gates.find((g) => g.layer === layer && g.point === 'gate.c');
        const rec = records.find((r) => r.layer === layer && r.point === 'gate.a');
        expect(ga && gc && rec, `layer ${layer} gates`).toBeTruthy();
        if (!ga || !gc || !rec) continue;
        const [H, D] = [ga.copy.shape.at(-2) as number, ga.copy.shape.at(-1) as number];
        const av = await ctx.readF32(ga.copy);
        const want = gateProxies64(av, await ctx.readF32(gc.copy), H, D);
        const n = av.length / H;
        const col = (k: number): number[] => Array.from({ length: H }, (_, h) => (want[2 * h + k] as number) / n);
        expectSums(rec.means?.gOneMinusG ?? [], col(0), col(0), 1e-5, 'g(1 − g)');
        expectSums(rec.means?.dFdg ?? [], col(1), col(1), 1e-5, 'dF/dg');
      }
      const points = new Set(records.map((r) => r.point));
      for (const p of ['gate.a', 'gate.c', 'gate.logA', 'phi.q', 'phi.k', 'attn.o', 'attn.y', 'state', 'state.in', 'logits']) expect(points.has(p as TapPoint), p).toBe(true);
      expect(records.find((r) => r.point === 'state.in')?.tokenStateNorm?.rows).toBe(20);
      const gateA = records.find((r) => r.point === 'gate.a');
      expect(gateA?.means?.dFdg?.length).toBe(c.numKvHeads);
      const state = records.find((r) => r.point === 'state');
      expect(state?.stateNorm?.every((v) => v > 0)).toBe(true);
      const logits = records.find((r) => r.point === 'logits');
      expect(logits?.histogram?.counts.length).toBe(1);
      expect(logits?.histogram?.counts.flat().reduce((x, y) => x + y, 0)).toBe(20 * c.vocabSize - (logits?.histogram?.under[0] ?? 0) - (logits?.histogram?.over[0] ?? 0) - (logits?.histogram?.nan[0] ?? 0));
    } finally {
      for (const { copy } of [...seen, ...gates]) if (!copy.disposed) copy.dispose();
      capture.dispose();
      [s0, s1].forEach((s) => s.dispose());
      ids.dispose();
      model.dispose();
    }
  });

  it('layers filter and dispose without collect release everything', async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 4 }));
    const ids = ctx.upload(Uint32Array.from(tokens(3, c.vocabSize)), [3], 'ids');
    const st = new ModelState(ctx, c);
    const capture = new Capture(ctx, { quantities: ['gate', 'state'], layers: [1] });
    try {
      forward(model, st, ids, { logits: 'last', tap: capture.tap }).dispose();
      expect(capture.size).toBeGreaterThan(0);
      const recs = await capture.collect();
      expect(recs.every((r) => r.layer === 1)).toBe(true);
      forward(model, st, ids, { logits: 'last', tap: capture.tap }).dispose();
    } finally {
      capture.dispose();
      st.dispose();
      ids.dispose();
      model.dispose();
    }
  });
});
