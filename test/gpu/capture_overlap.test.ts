// Capture's read-back modes (CaptureOptions.readback): records read back in groups at every submit
// while the forward runs (the default) and at each forward's logits must equal, record for record
// and bit for bit, those of one read-back at collect(), through several forwards, decode steps and
// filters; a failed background read-back surfaces from collect(); dispose() releases everything.
import { describe, expect, it } from 'vitest';
import { Capture, type CaptureOptions, type CaptureRecord, type Quantity } from '../../shaders/capture/capture.js';
import { combineTaps } from '../../shaders/capture/dump.js';
import { GpuValidationError, ShapeError } from '../../shaders/errors.js';
import type { StagingBuffer } from '../../shaders/gpu/staging.js';
import { GpuModel, ModelState, forward, type Tap, type TapPoint } from '../../shaders/model/model.js';
import { parseConfig, type ModelConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import type { GpuContext } from '../../shaders/gpu/context.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { add } from '../../shaders/ops/elementwise.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

const ALL: Quantity[] = ['gate', 'phi', 'state', 'output', 'logits', 'tokenState', 'tokenNorm', 'phiStats', 'topk', 'channels'];

/** Three layers (a refined gate: gate.a's proxies wait for gate.c's pass). */
const CONFIG = { ...(VARIANTS['regla'] as Record<string, unknown>), num_hidden_layers: 3 };
/** More rows than one capture chunk (2048 elements per workgroup) and many model chunks. */
const LONG = 2100;

/**
 * Fills the context's uniform ring exactly (dispatches of one slot each): the next dispatch with
 * parameters flushes first. Measures the ring's slots as the dispatches between two ring-full submits.
 */
function fillRing(ctx: GpuContext): void {
  const x = ctx.tensor([4], 'f32', 'ring.x');
  ctx.zero(x);
  let submits = 0;
  const off = ctx.onSubmit(() => submits++);
  const one = (): void => add(ctx, x, x).dispose();
  try {
    while (submits === 0) one();
    let slots = 0;
    for (; submits === 1; slots++) one();
    for (let i = 1; i < slots; i++) one(); // the dispatch that flushed holds slot 0
  } finally {
    off();
    x.dispose();
  }
}

/** Where the test fills the uniform ring: right before Capture dispatches a layer's planned passes. */
type RingAt = 'flush' | 'site';

/**
 * A prefill of LONG tokens, three decode steps, then a prefill of 40 more; one collect at the end.
 * `flushAt`: the context also submits right after that point's tap (a submit between gate.a and gate.c).
 * `ringAt`: the uniform ring is full when Capture dispatches layer 0's passes: 'flush' at the flush
 * ending the prefill's layer 0 (filled after its last tap), 'site' at the first tap of layer 1 in the
 * first decode step (filled before Capture sees it).
 */
async function run(ctx: GpuContext, c: ModelConfig, model: GpuModel, o: CaptureOptions, flushAt?: TapPoint, ringAt?: RingAt): Promise<{ recs: CaptureRecord[]; early: number }> {
  const st = new ModelState(ctx, c);
  const capture = new Capture(ctx, o);
  let block = 0;
  const filler: Tap = (point, _t, site) => {
    if ((ringAt === 'flush' && block === 0 && point === 'attn.y' && site.layer === 0) || (ringAt === 'site' && block === 1 && point === 'hidden' && site.layer === 1)) fillRing(ctx);
  };
  const tap = combineTaps(filler, capture.tap, (point) => {
    if (point === flushAt) ctx.flush();
  });
  const blocks = [tokens(LONG, c.vocabSize), [3], [5], [7], tokens(40, c.vocabSize, 2)];
  try {
    let early = 0;
    for (const [i, ids0] of blocks.entries()) {
      block = i;
      const ids = ctx.upload(Uint32Array.from(ids0), [ids0.length], 'ids');
      try {
        const logits = forward(model, st, ids, { logits: i === 0 ? 'last' : 'all', tap });
        await ctx.read(logits); // what a session does: the GPU runs while the records are built
        logits.dispose();
      } finally {
        ids.dispose();
      }
      if (i === 0) early = capture.readingBack;
    }
    return { recs: await capture.collect(), early };
  } finally {
    capture.dispose();
    st.dispose();
  }
}

describe('Capture read-back modes', () => {
  const cases: Array<[string, Omit<CaptureOptions, 'readback'>, (TapPoint | undefined)?, RingAt?]> = [
    ['every quantity', { quantities: ALL, topk: 4 }],
    ['every quantity, a submit between gate.a and gate.c', { quantities: ALL }, 'gate.a'],
    ['token range, heads and layers filters', { quantities: ALL, tokens: { lo: 100, hi: 2120 }, heads: [1], layers: [0, 2], bins: 16 }],
    // One staging buffer: groups that find it lent wait, join later ones, or are read at collect().
    ['every quantity, staging capped at one buffer', { quantities: ALL, stagingBytes: 1 << 20 }],
    ['every quantity, no staging room (all read at collect())', { quantities: ALL, stagingBytes: 0 }],
    // The flush that a full ring forces from inside Capture's own dispatch must not seal (copy out
    // and release) the outputs that dispatch has yet to write.
    ['every quantity, the uniform ring full at the flush that dispatches a layer\'s passes', { quantities: ALL }, undefined, 'flush'],
    ['every quantity, the uniform ring full when the next layer\'s first tap dispatches them', { quantities: ALL }, undefined, 'site'],
  ];
  for (const [name, o, flushAt, ringAt] of cases) {
    it(`${name}: the same records, in the same order, as one read-back at collect()`, async () => {
      const ctx = await getContext();
      const c = parseConfig(CONFIG);
      const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 11, gateBias: 1 }));
      try {
        const off = await run(ctx, c, model, { ...o, readback: 'collect' }, flushAt, ringAt);
        const on = await run(ctx, c, model, o, flushAt, ringAt); // the default: 'submit'
        const atLogits = await run(ctx, c, model, { ...o, readback: 'logits' }, flushAt, ringAt);
        expect(off.early).toBe(0);
        // The prefill's per-layer submits sealed its earlier layers before collect() (when there is room).
        if (o.stagingBytes === 0) expect(on.early).toBe(0);
        else expect(on.early).toBeGreaterThan(0);
        // At the prefill's logits tap, every record of it went into one read-back.
        expect(atLogits.early).toBeGreaterThan(0);
        // Bitwise, not only numerically: the per-token matrices' bytes.
        const bytes = (r: CaptureRecord[]): number[] => r.flatMap((x) => [x.tokenNorm, x.tokenEntropy, x.tokenStateNorm, x.topk?.values].flatMap((m) => (m ? Array.from(new Uint32Array(m.data.buffer, m.data.byteOffset, m.data.length)) : [])));
        expect(off.recs.length).toBeGreaterThan(0);
        for (const other of [on, atLogits]) {
          expect(other.recs.length).toBe(off.recs.length);
          for (let i = 0; i < off.recs.length; i++) expect(other.recs[i], `record ${i}`).toStrictEqual(off.recs[i]);
          expect(bytes(other.recs)).toEqual(bytes(off.recs));
          expect(other.recs.some((r) => r.pos0 > LONG)).toBe(true); // decode steps and the second block
        }
      } finally {
        model.dispose();
      }
    });
  }

  it.each(['submit', 'logits'] as const)('%s: collects after each forward and across reuse; dispose with reads in flight releases everything', async (readback) => {
    const ctx = await getContext();
    const c = parseConfig(CONFIG);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 12 }));
    const st = new ModelState(ctx, c);
    expect(() => new Capture(ctx, { quantities: ALL, stagingBytes: -1 })).toThrow(ShapeError);
    expect(() => new Capture(ctx, { quantities: ALL, stagingBytes: 0.5 })).toThrow(/stagingBytes/);
    expect(() => new Capture(ctx, { quantities: ALL, readback: 'later' as 'collect' })).toThrow(/readback/);
    const capture = new Capture(ctx, { quantities: ALL, readback });
    const ids = ctx.upload(Uint32Array.from(tokens(300, c.vocabSize)), [300], 'ids');
    try {
      const first = forward(model, st, ids, { logits: 'last', tap: capture.tap });
      first.dispose();
      const a = await capture.collect();
      expect(capture.size).toBe(0);
      const second = forward(model, st, ids, { logits: 'last', tap: capture.tap });
      second.dispose();
      const b = await capture.collect();
      expect(b.map((r) => [r.layer, r.point])).toEqual(a.map((r) => [r.layer, r.point]));
      expect(b.every((r) => r.pos0 === 300)).toBe(true);
      // Reads in flight at dispose(): no records, no leaks, nothing unhandled.
      forward(model, st, ids, { logits: 'last', tap: capture.tap }).dispose();
      ctx.flush();
      expect(capture.readingBack).toBeGreaterThan(0);
      capture.dispose();
      expect(capture.size).toBe(0);
      await ctx.sync();
    } finally {
      capture.dispose();
      ids.dispose();
      st.dispose();
      model.dispose();
    }
  });

  it('a failed background read-back rejects collect() and releases the rest', async () => {
    const ctx = await getContext();
    const c = parseConfig(CONFIG);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 13 }));
    const st = new ModelState(ctx, c);
    // The context's shared staging pool fails every read (its buffers go back to the pool).
    const pool = ctx.staging;
    const read = pool.read.bind(pool);
    pool.read = ((buf: StagingBuffer) => {
      pool.release(buf);
      return Promise.reject(new GpuValidationError('staging read failed (test)'));
    }) as typeof pool.read;
    const capture = new Capture(ctx, { quantities: ALL, readback: 'submit' });
    const ids = ctx.upload(Uint32Array.from(tokens(64, c.vocabSize)), [64], 'ids');
    try {
      forward(model, st, ids, { logits: 'last', tap: capture.tap }).dispose();
      await expect(capture.collect()).rejects.toThrow(/staging read/);
      expect(capture.size).toBe(0);
      expect(pool.stats.inFlight).toBe(0);
    } finally {
      pool.read = read;
      capture.dispose();
      ids.dispose();
      st.dispose();
      model.dispose();
    }
  });

  it('readback logits: a failed read-back rejects collect() and releases the rest', async () => {
    const ctx = await getContext();
    const c = parseConfig(CONFIG);
    const model = await GpuModel.upload(ctx, c, randomWeights(c, { seed: 14 }));
    const st = new ModelState(ctx, c);
    const capture = new Capture(ctx, { quantities: ALL, readback: 'logits' });
    const ids = ctx.upload(Uint32Array.from(tokens(64, c.vocabSize)), [64], 'ids');
    const readWith = ctx.readWith.bind(ctx);
    // The capture's one read-back (the first read after the logits tap) fails.
    let fail = false;
    ctx.readWith = <R>(t: Tensor, use: (mapped: ArrayBuffer) => R, ...rest: [number?, number?]): Promise<R> =>
      fail && t.name === 'capture.readback' ? Promise.reject(new Error('map failed (test)')) : readWith(t, use, ...rest);
    try {
      fail = true;
      forward(model, st, ids, { logits: 'last', tap: capture.tap }).dispose();
      fail = false;
      expect(capture.readingBack).toBeGreaterThan(0);
      await expect(capture.collect()).rejects.toThrow(/map failed \(test\)/);
      expect(capture.size).toBe(0);
      // The next forward reads back as usual.
      forward(model, st, ids, { logits: 'last', tap: capture.tap }).dispose();
      expect((await capture.collect()).length).toBeGreaterThan(0);
    } finally {
      ctx.readWith = readWith;
      capture.dispose();
      ids.dispose();
      st.dispose();
      model.dispose();
    }
  });
});
