// Per-token capture quantities (kernels/capture_tokens.wgsl): each GPU reduction against its float64
// twin on the same (read-back) inputs — counts and top-k exactly, floats within 1e-5 relative — and
// the Capture records of a tiny model against the twins on tensors copied at the taps.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { blockSums64, fusedReduce, histogram, logitsTopK, tokenStateNorms } from '../../shaders/capture/reduce.js';
import { histogram64, moments64, stateNorm64 } from '../../shaders/cpu/capture.js';
import { channelSums64, phiStats64, rowNorms64, tokenStateNorms64, topK64 } from '../../shaders/cpu/capture_tokens.js';
import { Capture, type CaptureRecord, type Quantity } from '../../shaders/capture/capture.js';
import { GpuModel, ModelState, forward, type Tap, type TapPoint } from '../../shaders/model/model.js';
import { featureDim, parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import type { GpuContext } from '../../shaders/gpu/context.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

const ALL: Quantity[] = ['gate', 'phi', 'state', 'output', 'logits', 'tokenState', 'tokenNorm', 'phiStats', 'topk', 'channels'];

/** |got − want| ≤ rtol·|want| (+ a tiny absolute floor for exact zeros) per element. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, label: string): void {
  expect(got.length, `${label} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    expect(Math.abs(g - w), `${label}[${i}]: ${g} vs ${w}`).toBeLessThanOrEqual(rtol * Math.abs(w) + 1e-30);
  }
}

/** A fused pass's output as words and floats. */
async function readWords(ctx: GpuContext, t: Tensor): Promise<{ words: Uint32Array; floats: Float32Array }> {
  const words = (await ctx.read(t)) as Uint32Array;
  return { words, floats: new Float32Array(words.buffer, words.byteOffset, words.length) };
}

describe('per-token reductions vs twins', () => {
  it('row norms over a row range', async () => {
    const ctx = await getContext();
    const x = new Rng(1).normals(37 * 3 * 16, 1.5, 0.2);
    const tx = ctx.upload(x, [1, 37, 3, 16], 'x');
    const { out, layout } = fusedReduce(ctx, { x: tx, rows: { start: 5, count: 20 }, rowNorms: true });
    const f = await readWords(ctx, out);
    expectClose(f.floats.subarray(layout.rowNorms ?? -1, (layout.rowNorms ?? -1) + 20 * 3), rowNorms64(x.subarray(5 * 48, 25 * 48), 16), 1e-5, 'row norms');
    [tx, out].forEach((t) => t.dispose());
  });

  // Rows spread over several 2048-element chunks, with widths that give each row 1 to 32 threads
  // (D = 2: a chunk's 1024 rows in 4 passes of one thread per row; D = 24: rows straddling chunk
  // boundaries; D = 200, 256: 16 threads per row) and the whole-workgroup path (D = 300).
  for (const [T, H, D] of [[1500, 2, 2], [300, 3, 24], [40, 2, 200], [30, 1, 256], [20, 2, 300]] as const) {
    it(`row norms and φ entropy / zeros, ${T} rows × ${H} heads × ${D}`, async () => {
      const ctx = await getContext();
      const rng = new Rng(T + D);
      const x = rng.normals(T * H * D, 1, 0.2);
      for (let i = 0; i < x.length; i += 4) x[i] = 0;
      const tx = ctx.upload(x, [1, T, H, D], 'x');
      const rows = { start: 3, count: T - 5 };
      const { out, layout } = fusedReduce(ctx, { x: tx, rows, rowNorms: true, phi: { zero: 1e-6 } });
      const f = await readWords(ctx, out);
      const part = x.subarray(3 * H * D, (3 + rows.count) * H * D);
      const at = (o: number | undefined, n: number): Float32Array => f.floats.subarray(o ?? -1, (o ?? -1) + n);
      expectClose(at(layout.rowNorms, rows.count * H), rowNorms64(part, D), 1e-5, 'row norms');
      const want = phiStats64(part, H, D);
      expectClose(at(layout.entropy, rows.count * H), want.entropy, 1e-5, 'entropy');
      expect(Array.from(f.words.subarray(layout.zeros ?? -1, (layout.zeros ?? -1) + H))).toEqual(Array.from(want.zeros));
      [tx, out].forEach((t) => t.dispose());
    });
  }

  it('histogram counts only the row range (exact)', async () => {
    const ctx = await getContext();
    const x = new Rng(2).normals(50 * 2 * 8, 1);
    const tx = ctx.upload(x, [1, 50, 2, 8], 'x');
    const spec = { bins: 16, lo: -2, hi: 2 };
    const out = histogram(ctx, { x: tx, spec, rows: { start: 7, count: 31 } });
    expect(Array.from(await ctx.read(out))).toEqual(Array.from(histogram64(x.subarray(7 * 16, 38 * 16), 2, 8, spec)));
    [tx, out].forEach((t) => t.dispose());
  });

  it('φ sparsity (exact counts) and entropy', async () => {
    const ctx = await getContext();
    const rng = new Rng(3);
    const [T, H, D] = [29, 3, 24];
    const x = rng.normals(T * H * D, 1, 0.3);
    for (let i = 0; i < x.length; i += 5) x[i] = 0; // relu zeros
    for (let i = 2; i < x.length; i += 17) x[i] = Math.fround(1e-6); // exactly at the threshold: counts
    for (let i = 3; i < x.length; i += 19) x[i] = Math.fround(1.0000001e-6); // just above: does not
    x[7] = NaN;
    for (let d = 0; d < D; d++) x[(4 * H + 1) * D + d] = -1; // an all-non-positive row: entropy 0
    const tx = ctx.upload(x, [1, T, H, D], 'phi');
    const { out, layout } = fusedReduce(ctx, { x: tx, rows: { start: 2, count: 25 }, phi: { zero: 1e-6 } });
    const f = await readWords(ctx, out);
    const want = phiStats64(x.subarray(2 * H * D, 27 * H * D), H, D);
    expect(Array.from(f.words.subarray(layout.zeros ?? -1, (layout.zeros ?? -1) + H))).toEqual(Array.from(want.zeros));
    expect(Array.from(want.zeros).every((z) => z > 0)).toBe(true);
    const ent = f.floats.subarray(layout.entropy ?? -1, (layout.entropy ?? -1) + 25 * H);
    expectClose(ent, want.entropy, 1e-5, 'entropy');
    expect(ent[(4 - 2) * H + 1]).toBe(0);
    [tx, out].forEach((t) => t.dispose());
  });

  it('channel sums of α over a row range', async () => {
    const ctx = await getContext();
    const x = new Rng(4).normals(700 * 2 * 16, 0.5, -0.4);
    const tx = ctx.upload(x, [1, 700, 2, 16], 'logA');
    const { out, layout } = fusedReduce(ctx, { x: tx, rows: { start: 10, count: 600 }, channels: 'exp' });
    const f = await readWords(ctx, out);
    const ch = layout.channels ?? { offset: -1, blocks: 0 };
    expect(ch.blocks).toBe(3); // 600 rows: blocks of ≥ 256 rows, added on the CPU
    expectClose(blockSums64(f.floats, ch.offset, ch.blocks, 2 * 16), channelSums64(x.subarray(10 * 32, 610 * 32), 2, 16, 'exp'), 1e-5, 'channel sums');
    [tx, out].forEach((t) => t.dispose());
  });

  // 5000 and 3000 logits over 5 rows: the split path (several workgroups a row, then the candidates).
  for (const [V, k] of [[61, 5], [1000, 32], [40, 1], [7, 10], [5000, 5], [3000, 32]] as const) {
    it(`top-${k} of ${V} logits per row (exact, ties by id, NaN skipped)`, async () => {
      const ctx = await getContext();
      const rng = new Rng(V + k);
      const rows = 6;
      const x = rng.normals(rows * V, 3);
      for (let i = 0; i < x.length; i += 3) x[i] = Math.round((x[i] as number) * 2) / 2; // many ties
      x[1] = NaN;
      x[V + 2] = Infinity;
      x[2 * V + 3] = -Infinity;
      x[3 * V] = -0;
      for (let j = 0; j < V; j++) if (j > 2) x[5 * V + j] = NaN; // a row with fewer than k finite values when k > 3
      const tx = ctx.upload(x, [rows, V], 'logits');
      const d0 = ctx.dispatchCount;
      const r = logitsTopK(ctx, { logits: tx, k, rows: { start: 1, count: 5 } });
      expect(ctx.dispatchCount - d0, 'passes').toBe(V > 2048 ? 2 : 1);
      const want = topK64(x.subarray(V, rows * V), V, k);
      expect(Array.from(await ctx.read(r.ids))).toEqual(Array.from(want.ids));
      const got = await ctx.readF32(r.values);
      expect(Array.from(got)).toEqual(Array.from(want.values, (v) => Math.fround(v)));
      [tx, r.ids, r.values].forEach((t) => t.dispose());
    });
  }

  for (const gates of ['none', 'A', 'AD'] as const) {
    it(`‖S_t‖ replay from the entering state (gates: ${gates})`, async () => {
      const ctx = await getContext();
      const rng = new Rng(gates.length + 10);
      const [T, H, dk, dv] = [13, 2, 16, 24]; // 384 entries per head: two slabs, the second partial
      const s0 = rng.normals(H * dk * dv, 0.5);
      const k = rng.uniforms(T * H * dk, 0, 1);
      const v = rng.normals(T * H * dv, 1);
      const A = rng.uniforms(T * H * dk, -2, 0);
      const D = rng.uniforms(T * H * dv, -0.5, 0);
      const t = {
        s: ctx.upload(s0, [1, H, dk, dv], 's0'),
        k: ctx.upload(k, [1, T, H, dk], 'k'),
        v: ctx.upload(v, [1, T, H, dv], 'v'),
        A: ctx.upload(A, [1, T, H, dk], 'A'),
        D: ctx.upload(D, [1, T, H, dv], 'D'),
      };
      const useA = gates !== 'none';
      const useD = gates === 'AD';
      const inputs = { state: s0, k, v, A: useA ? A : undefined, D: useD ? D : undefined };
      for (const rows of [undefined, { start: 4, count: 7 }]) {
        const out = tokenStateNorms(ctx, { state: t.s, k: t.k, v: t.v, ...(useA ? { A: t.A } : {}), ...(useD ? { D: t.D } : {}), ...(rows ? { rows } : {}) });
        const t0 = rows?.start ?? 0;
        const t1 = rows ? rows.start + rows.count : T;
        expect(out.shape).toEqual([t1 - t0, H]);
        expectClose(await ctx.readF32(out), tokenStateNorms64({ Hkv: H, dk, dv }, inputs, t0, t1), 1e-5, `‖S_t‖ rows ${t0}..${t1}`);
        out.dispose();
      }
      // The input state is only read.
      expect(Array.from(await ctx.readF32(t.s))).toEqual(Array.from(s0));
      Object.values(t).forEach((x) => x.dispose());
    });
  }
});

/** Tap points copied for the twins (the state entering the block is copied at its tap, before the recurrence). */
const COPIED: TapPoint[] = ['gate.logA', 'gate.logD', 'phi.q', 'phi.k', 'v', 'state.in', 'attn.o', 'attn.y', 'state', 'logits'];

interface Copies {
  get(layer: number, point: TapPoint, pos0: number): Tensor | undefined;
  tap: Tap;
  read(layer: number, point: TapPoint, pos0: number): Promise<Float32Array | undefined>;
  dispose(): void;
}

function copier(ctx: Awaited<ReturnType<typeof getContext>>, capture: Capture): Copies {
  const m = new Map<string, Tensor>();
  const key = (l: number, p: TapPoint, pos0: number): string => `${l}|${p}|${pos0}`;
  return {
    get: (l, p, pos0) => m.get(key(l, p, pos0)),
    tap: (point, t, site) => {
      capture.tap(point, t, site);
      if (!COPIED.includes(point)) return;
      const copy = ctx.tensor(t.shape, 'f32', `copy.${point}`);
      ctx.copy(t, copy);
      m.set(key(site.layer, point, site.pos0), copy);
    },
    read: async (l, p, pos0) => {
      const t = m.get(key(l, p, pos0));
      return t ? ctx.readF32(t) : undefined;
    },
    dispose: () => {
      for (const t of m.values()) if (!t.disposed) t.dispose();
      m.clear();
    },
  };
}

const find = (recs: CaptureRecord[], layer: number, point: TapPoint, pos0: number): CaptureRecord => {
  const r = recs.find((x) => x.layer === layer && x.point === point && x.pos0 === pos0);
  expect(r, `record ${layer} ${point} @${pos0}`).toBeDefined();
  return r as CaptureRecord;
};

describe('Capture per-token records on tiny models', () => {
  for (const variant of ['regla', 'fast_decay', 'gla_conv_gqa_tied']) {
    it(`${variant}: every per-token record equals its twin on the tapped tensors; logits bitwise unchanged`, async () => {
      const ctx = await getContext();
      const c = parseConfig(VARIANTS[variant] as Record<string, unknown>);
      const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 5, gateBias: 1 }));
      const T = 20;
      const ids = ctx.upload(Uint32Array.from(tokens(T, c.vocabSize)), [T], 'ids');
      const s0 = new ModelState(ctx, c);
      const s1 = new ModelState(ctx, c);
      const capture = new Capture(ctx, { quantities: ALL, topk: 4 });
      const copies = copier(ctx, capture);
      try {
        const off = forward(model, s0, ids, { logits: 'all', mode: 'chunk', chunkSize: 16 });
        const on = forward(model, s1, ids, { logits: 'all', mode: 'chunk', chunkSize: 16, tap: copies.tap });
        const a = await ctx.readF32(off);
        const b = await ctx.readF32(on);
        [off, on].forEach((t) => t.dispose());
        expect(Array.from(new Uint32Array(b.buffer))).toEqual(Array.from(new Uint32Array(a.buffer)));
        const recs = await capture.collect();
        const [Hq, Hkv, dkf, dv] = [c.numHeads, c.numKvHeads, featureDim(c), c.headDimV];
        for (let l = 0; l < c.numLayers; l++) {
          // ‖S_t‖ from the state entering the block, and ‖S_in‖.
          const sIn = (await copies.read(l, 'state.in', 0)) as Float32Array;
          const k = (await copies.read(l, 'phi.k', 0)) as Float32Array;
          const v = (await copies.read(l, 'v', 0)) as Float32Array;
          const A = await copies.read(l, 'gate.logA', 0);
          const D = await copies.read(l, 'gate.logD', 0);
          expect(D !== undefined).toBe(c.gate === 'fast_decay');
          const ri = find(recs, l, 'state.in', 0);
          const want = tokenStateNorms64({ Hkv, dk: dkf, dv }, { state: sIn, k, v, A, D }, 0, T);
          expect(ri.tokenStateNorm?.rows).toBe(T);
          expectClose(ri.tokenStateNorm?.data ?? [], want, 1e-5, `L${l} ‖S_t‖`);
          expectClose(ri.stateNorm ?? [], stateNorm64(sIn, Hkv, dkf * dv), 1e-5, `L${l} ‖S_in‖`);
          // The replayed last token matches the chunked kernel's final state.
          const final = find(recs, l, 'state', 0).stateNorm ?? [];
          expectClose(ri.tokenStateNorm?.row(T - 1) ?? [], final, 1e-4, `L${l} ‖S_T‖ replay vs chunk`);
          // ‖o_t‖ before the norm per head, after it per token.
          const o = (await copies.read(l, 'attn.o', 0)) as Float32Array;
          expectClose(find(recs, l, 'attn.o', 0).tokenNorm?.data ?? [], rowNorms64(o, dv), 1e-5, `L${l} ‖o_t‖`);
          const y = (await copies.read(l, 'attn.y', 0)) as Float32Array;
          const ry = find(recs, l, 'attn.y', 0);
          expect(ry.tokenNorm?.cols).toBe(1);
          expectClose(ry.tokenNorm?.data ?? [], rowNorms64(y, Hq * dv), 1e-5, `L${l} ‖y_t‖`);
          // φ sparsity (exact) and entropy per token and per head.
          for (const [p, H] of [['phi.q', Hq], ['phi.k', Hkv]] as const) {
            const x = (await copies.read(l, p, 0)) as Float32Array;
            const w = phiStats64(x, H, dkf);
            const r = find(recs, l, p, 0);
            expect(r.phiZeros).toEqual(Array.from(w.zeros));
            expect(r.phiSparsity).toEqual(Array.from(w.zeros, (z) => z / (T * dkf)));
            expectClose(r.tokenEntropy?.data ?? [], w.entropy, 1e-5, `L${l} ${p} entropy`);
            const mean = Array.from({ length: H }, (_, h) => w.entropy.filter((_, i) => i % H === h).reduce((s, e) => s + e, 0) / T);
            expectClose(r.phiEntropy ?? [], mean, 1e-5, `L${l} ${p} mean entropy`);
          }
          if (c.featureMap === 'relu') expect(find(recs, l, 'phi.k', 0).phiZeros?.some((z) => z > 0)).toBe(true);
          // Mean α and memory length per channel.
          for (const [p, x, W] of [['gate.logA', A, dkf], ['gate.logD', D, dv]] as const) {
            if (!x) continue;
            const r = find(recs, l, p, 0);
            const sums = channelSums64(x, Hkv, W, 'exp');
            expectClose(r.channelMeanAlpha?.flat() ?? [], Array.from(sums, (s) => s / T), 1e-5, `L${l} ${p} channel mean α`);
            expect(r.channelMemoryLength?.flat()).toEqual(r.channelMeanAlpha?.flat().map((m) => 1 / (1 - m)));
            // The per-head mean α is the channel means' average.
            const m = moments64(x, Hkv, W, 'exp');
            expectClose(r.means?.mean ?? [], Array.from({ length: Hkv }, (_, h) => (m[2 * h] as number) / (T * W)), 1e-5, `L${l} ${p} mean α`);
          }
        }
        // Logits top-k, on the GPU, against the twin on the logits.
        const logits = (await copies.read(c.numLayers, 'logits', 0)) as Float32Array;
        const tk = find(recs, c.numLayers, 'logits', 0).topk;
        const wk = topK64(logits, c.vocabSize, 4);
        expect(tk?.k).toBe(4);
        expect(Array.from(tk?.ids.data ?? [])).toEqual(Array.from(wk.ids));
        expect(Array.from(tk?.values.data ?? [])).toEqual(Array.from(wk.values));
        expect(tk?.ids.rows).toBe(T);
        expect(recs.every((r) => r.tokens?.lo === 0 && r.tokens.hi === T)).toBe(true);
      } finally {
        copies.dispose();
        capture.dispose();
        [s0, s1].forEach((s) => s.dispose());
        ids.dispose();
        model.dispose();
      }
    });
  }

  it('token range and heads filter: partially covered blocks count their rows only, blocks outside are skipped', async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['gla_conv_gqa_tied'] as Record<string, unknown>);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 6 }));
    const st = new ModelState(ctx, c);
    const capture = new Capture(ctx, { quantities: ALL, tokens: { lo: 5, hi: 23 }, heads: [1], bins: 16 });
    const copies = copier(ctx, capture);
    const blocks = [
      { pos0: 0, n: 20 },
      { pos0: 20, n: 6 },
      { pos0: 26, n: 3 },
    ];
    const idTensors: Tensor[] = [];
    try {
      for (const { n } of blocks) {
        const ids = ctx.upload(Uint32Array.from(tokens(n, c.vocabSize, n)), [n], 'ids');
        idTensors.push(ids);
        forward(model, st, ids, { logits: 'all', mode: 'chunk', chunkSize: 16, tap: copies.tap }).dispose();
      }
      const recs = await capture.collect();
      expect(recs.some((r) => r.pos0 === 26)).toBe(false);
      const [Hq, Hkv, dkf, dv] = [c.numHeads, c.numKvHeads, featureDim(c), c.headDimV];
      for (const [pos0, lo, hi] of [[0, 5, 20], [20, 20, 23]] as const) {
        const r0 = lo - pos0;
        const rows = hi - lo;
        for (let l = 0; l < c.numLayers; l++) {
          const sIn = (await copies.read(l, 'state.in', pos0)) as Float32Array;
          const k = (await copies.read(l, 'phi.k', pos0)) as Float32Array;
          const v = (await copies.read(l, 'v', pos0)) as Float32Array;
          const A = (await copies.read(l, 'gate.logA', pos0)) as Float32Array;
          const ri = find(recs, l, 'state.in', pos0);
          expect(ri.tokens).toEqual({ lo, hi });
          expect(ri.heads).toEqual([1]);
          const want = tokenStateNorms64({ Hkv, dk: dkf, dv }, { state: sIn, k, v, A }, r0, r0 + rows);
          expectClose(ri.tokenStateNorm?.data ?? [], Array.from(want).filter((_, i) => i % Hkv === 1), 1e-5, `L${l}@${pos0} ‖S_t‖`);
          // Histogram of α over the selected rows only, head 1 only.
          const rh = find(recs, l, 'gate.logA', pos0);
          const hw = histogram64(A.subarray(r0 * Hkv * dkf, (r0 + rows) * Hkv * dkf), Hkv, dkf, { bins: 16, lo: 0, hi: 1, value: 'exp' });
          expect(rh.histogram?.counts).toEqual([Array.from(hw.subarray(19, 19 + 16))]);
          expect(rh.saturation?.[0]?.count).toBe(rows * dkf);
          const chan = channelSums64(A.subarray(r0 * Hkv * dkf, (r0 + rows) * Hkv * dkf), Hkv, dkf, 'exp');
          expectClose(rh.channelMeanAlpha?.flat() ?? [], Array.from(chan.subarray(dkf, 2 * dkf), (s) => s / rows), 1e-5, `L${l}@${pos0} channel α`);
          const o = (await copies.read(l, 'attn.o', pos0)) as Float32Array;
          const on = rowNorms64(o.subarray(r0 * Hq * dv, (r0 + rows) * Hq * dv), dv);
          expectClose(find(recs, l, 'attn.o', pos0).tokenNorm?.data ?? [], Array.from(on).filter((_, i) => i % Hq === 1), 1e-5, `L${l}@${pos0} ‖o_t‖`);
          const pq = (await copies.read(l, 'phi.q', pos0)) as Float32Array;
          const ps = phiStats64(pq.subarray(r0 * Hq * dkf, (r0 + rows) * Hq * dkf), Hq, dkf);
          const rq = find(recs, l, 'phi.q', pos0);
          expect(rq.phiZeros).toEqual([ps.zeros[1]]);
          expect(rq.tokenEntropy?.rows).toBe(rows);
          const y = find(recs, l, 'attn.y', pos0);
          expect(y.tokenNorm?.rows).toBe(rows);
          expect(y.heads).toBeUndefined(); // one "head" of Hq·dv features: the filter does not apply
        }
        const lg = (await copies.read(c.numLayers, 'logits', pos0)) as Float32Array;
        const tk = find(recs, c.numLayers, 'logits', pos0).topk;
        const wk = topK64(lg.subarray(r0 * c.vocabSize, (r0 + rows) * c.vocabSize), c.vocabSize, 5);
        expect(Array.from(tk?.ids.data ?? [])).toEqual(Array.from(wk.ids));
        expect(tk?.ids.rows).toBe(rows);
      }
    } finally {
      copies.dispose();
      capture.dispose();
      st.dispose();
      idTensors.forEach((t) => t.dispose());
      model.dispose();
    }
  });

  it("'last' logits count only the last token; decode steps tap like prefill; off quantities enqueue nothing", async () => {
    const ctx = await getContext();
    const c = parseConfig(VARIANTS['regla'] as Record<string, unknown>);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 7 }));
    const st = new ModelState(ctx, c);
    const ids = ctx.upload(Uint32Array.from(tokens(9, c.vocabSize)), [9], 'ids');
    const one = ctx.upload(Uint32Array.from([3]), [1], 'one');
    const capture = new Capture(ctx, { quantities: ['topk', 'tokenState'], tokens: { lo: 8, hi: 10 } });
    try {
      const none = new Capture(ctx, { quantities: [] });
      const s2 = new ModelState(ctx, c);
      forward(model, s2, ids, { logits: 'last', tap: none.tap }).dispose();
      expect(none.size).toBe(0);
      none.dispose();
      s2.dispose();
      forward(model, st, ids, { logits: 'last', tap: capture.tap }).dispose();
      forward(model, st, one, { logits: 'last', tap: capture.tap }).dispose();
      const recs = await capture.collect();
      const lg = recs.filter((r) => r.point === 'logits');
      expect(lg.map((r) => [r.pos0, r.tokens?.lo, r.topk?.ids.rows])).toEqual([[0, 8, 1], [9, 9, 1]]);
      const si = recs.filter((r) => r.point === 'state.in');
      expect(si.length).toBe(2 * c.numLayers);
      expect(si.every((r) => r.tokenStateNorm?.rows === 1 && r.tokenStateNorm.cols === c.numKvHeads)).toBe(true);
      expect(recs.every((r) => r.point === 'logits' || r.point === 'state.in')).toBe(true);
    } finally {
      capture.dispose();
      st.dispose();
      [ids, one].forEach((t) => t.dispose());
      model.dispose();
    }
  });
});
