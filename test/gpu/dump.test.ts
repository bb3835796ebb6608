// TensorDump on a tiny ReGLA model (lavapipe): the chunks it delivers equal the same tensors copied
// and read with ctx.read (token-range clipping across a prefill and decode steps, whole 'state',
// logits 'last'), logits and generated tokens are bitwise identical with the dump attached, the
// async iterator yields the chunks in tap order, and with a tiny pool chunks are dropped and counted
// while generation goes on unchanged. Also combineTaps.

import { describe, expect, it } from 'vitest';
import { TensorDump, combineTaps, type DumpChunk } from '../../shaders/capture/dump.js';
import { StagingPool } from '../../shaders/gpu/staging.js';
import type { Tap, TapPoint } from '../../shaders/model/model.js';
import { Session } from '../../shaders/model/session.js';
import { parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

const config = parseConfig(VARIANTS['regla']!);
const weights = randomWeights(config, { seed: 11, gateBias: 1 });
const PROMPT = tokens(20, config.vocabSize);
const POINTS: TapPoint[] = ['hidden', 'gate.logA', 'phi.q', 'attn.o', 'state', 'logits'];

interface Copy {
  point: TapPoint;
  layer: number;
  pos0: number;
  T: number;
  t: Tensor;
}

describe('TensorDump', () => {
  it('chunks equal the tensors read with ctx.read (token range over prefill and decode)', async () => {
    const ctx = await getContext();
    const session = await Session.create(ctx, config, weights);
    const copies: Copy[] = [];
    const chunks: DumpChunk[] = [];
    const dump = new TensorDump(ctx, { points: POINTS, layers: [1], tokens: [5, 25], pool: { buffers: 4, bufferBytes: 4096 }, onChunk: (c) => chunks.push(c) });
    const copyTap: Tap = (point, t, site) => {
      if (!POINTS.includes(point) || (point !== 'logits' && site.layer !== 1)) return;
      const copy = ctx.tensor(t.shape, 'f32', `copy.${point}`);
      ctx.copy(t, copy);
      copies.push({ point, layer: site.layer, pos0: site.pos0, T: site.T, t: copy });
    };
    try {
      session.tap = combineTaps(dump.tap, null, copyTap);
      await session.prefill(PROMPT); // positions 0..19
      for (let i = 0; i < 6; i++) await session.step(i + 3); // positions 20..25
      await dump.close();
      // Prefill: rows 5..19 of each token tensor, logits (last row = 19) and the state after 19;
      // decode 20..24 one row each (25 is outside the range).
      const expected = POINTS.length * (1 + 5);
      expect(chunks).toHaveLength(expected);
      expect(dump.stats).toMatchObject({ chunks: expected, dropped: 0, failed: 0 });
      expect(dump.stats.pool.inFlight).toBe(0);
      for (const c of chunks) {
        const src = copies.find((x) => x.point === c.point && x.pos0 <= c.pos0 && c.pos0 < x.pos0 + x.T);
        expect(src, `${c.point}@${c.pos0}`).toBeDefined();
        const full = await ctx.readF32(src!.t);
        const rowElems = c.rowShape.reduce((a, b) => a * b, 1);
        expect(c.data.length).toBe(c.rows * rowElems);
        if (c.point === 'state') {
          expect(c.rows).toBe(1);
          expect(c.pos0).toBe(src!.pos0 + src!.T - 1);
          expect(c.rowShape).toEqual([...src!.t.shape]);
          expect(c.data).toEqual(full);
          continue;
        }
        const n = c.point === 'logits' ? 1 : src!.T; // logits 'last': one row, the block's last token
        const first = src!.pos0 + src!.T - n;
        expect(c.pos0).toBeGreaterThanOrEqual(5);
        expect(c.pos0 + c.rows).toBeLessThanOrEqual(25);
        expect(c.data).toEqual(full.subarray((c.pos0 - first) * rowElems, (c.pos0 - first + c.rows) * rowElems));
        expect(c.layer).toBe(c.point === 'logits' ? config.numLayers : 1);
      }
      const prefill = chunks.filter((c) => c.point === 'phi.q' && c.pos0 < 20);
      expect(prefill.map((c) => [c.pos0, c.rows])).toEqual([[5, 15]]);
      expect(prefill[0]!.rowShape).toEqual([config.numHeads, 8]);
      expect(chunks.filter((c) => c.point === 'hidden').map((c) => c.pos0)).toEqual([5, 20, 21, 22, 23, 24]);
      expect(chunks.find((c) => c.point === 'logits')!.pos0).toBe(19);
    } finally {
      session.tap = null;
      dump.dispose();
      for (const c of copies) c.t.dispose();
      session.dispose();
    }
  });

  it('generation with the dump attached: identical logits and tokens; async iterator in tap order', async () => {
    const ctx = await getContext();
    const session = await Session.create(ctx, config, weights);
    const noop: Tap = () => undefined;
    try {
      // Reference: the same (unfused, tapped) path with a tap that does nothing.
      session.tap = noop;
      const refAll = await session.prefill(PROMPT, { logits: 'all' });
      const refStep = await session.step(7);
      await session.reset();
      const refGen = await session.generate(PROMPT, { temperature: 0 }, { maxTokens: 8 });
      await session.reset();
      // Without any tap the prompt's logits are the same bits too (prefill never takes the fused path).
      session.tap = null;
      expect(await session.prefill(PROMPT, { logits: 'all' })).toEqual(refAll);
      await session.reset();

      const dump = new TensorDump(ctx, { points: ['gate.logA', 'phi.k', 'attn.y', 'logits'] });
      try {
        session.tap = dump.tap;
        expect(await session.prefill(PROMPT, { logits: 'all' })).toEqual(refAll);
        expect(await session.step(7)).toEqual(refStep);
        await session.reset();
        const gen = await session.generate(PROMPT, { temperature: 0 }, { maxTokens: 8 });
        expect(gen.tokens).toEqual(refGen.tokens);
        session.tap = null;
        const closing = dump.close();
        const got: DumpChunk[] = [];
        for await (const c of dump) got.push(c);
        await closing;
        // 3 forward blocks with 2 layers of 3 points + logits: prefill, step, generate's prefill,
        // then 7 decode steps (the 8th token is sampled from the 7th step's logits).
        const forwards = 1 + 1 + 1 + 7;
        expect(got).toHaveLength(forwards * (2 * 3 + 1));
        expect(dump.stats.dropped).toBe(0);
        const order = got.map((c) => `${c.pos0}:${c.layer}:${c.point}`);
        expect(order.slice(0, 7)).toEqual(['0:0:gate.logA', '0:0:phi.k', '0:0:attn.y', '0:1:gate.logA', '0:1:phi.k', '0:1:attn.y', '0:2:logits']);
        // The dumped prompt logits ('all': 20 rows) are the returned ones.
        expect(got[6]!.rows).toBe(PROMPT.length);
        expect(got[6]!.data).toEqual(refAll);
        expect(got.slice(-7).every((c) => c.pos0 === PROMPT.length + 6 && c.rows === 1)).toBe(true);
      } finally {
        session.tap = null;
        dump.dispose();
      }
    } finally {
      session.dispose();
    }
  });

  it('a pool that runs out drops and counts chunks instead of stalling; generation is unchanged', async () => {
    const ctx = await getContext();
    const session = await Session.create(ctx, config, weights);
    // One 256-byte buffer, no growth: the prompt's [20, Hkv, 8] log α (1280 bytes) never fits, and
    // during one forward only the first small chunk gets the buffer.
    const pool = new StagingPool(ctx.device, { buffers: 1, bufferBytes: 256, maxBytes: 256 });
    const chunks: DumpChunk[] = [];
    const dump = new TensorDump(ctx, { points: ['gate.logA', 'phi.q'], pool, onChunk: (c) => chunks.push(c) });
    try {
      session.tap = () => undefined;
      const ref = await session.generate(PROMPT, { temperature: 0 }, { maxTokens: 5 });
      await session.reset();
      session.tap = dump.tap;
      const gen = await session.generate(PROMPT, { temperature: 0 }, { maxTokens: 5 });
      expect(gen.tokens).toEqual(ref.tokens);
      await dump.close();
      const s = dump.stats;
      // 5 forwards (prefill + 4 steps) × 2 layers × 2 points.
      expect(s.chunks + s.dropped).toBe(5 * 2 * 2);
      expect(s.dropped).toBeGreaterThan(0);
      expect(s.chunks).toBeGreaterThan(0);
      expect(s.pool.dropped).toBe(s.dropped);
      expect(s.pool).toMatchObject({ buffers: 1, bytes: 256, grown: 0, inFlight: 0 });
      expect(s.pool.reused).toBe(s.chunks - 1);
      expect(chunks.every((c) => c.pos0 >= PROMPT.length && c.data.byteLength <= 256)).toBe(true);
    } finally {
      session.tap = null;
      dump.dispose();
      pool.destroy();
      session.dispose();
    }
  });

  it('combineTaps calls every tap in order and skips null', () => {
    const calls: string[] = [];
    const a: Tap = (p, _t, s) => void calls.push(`a:${p}:${s.layer}`);
    const b: Tap = (p) => void calls.push(`b:${p}`);
    const tap = combineTaps(a, undefined, b, null);
    tap('phi.q', {} as Tensor, { layer: 1, pos0: 0, T: 1 });
    expect(calls).toEqual(['a:phi.q:1', 'b:phi.q']);
  });
});
