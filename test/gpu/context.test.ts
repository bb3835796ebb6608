// GpuContext.zeroed on lavapipe: the zeros reach a reused pooled buffer before the work encoded after
// the call and after the work submitted before it, without ending the open compute pass.

import { describe, expect, it } from 'vitest';
import { add } from '../../shaders/ops/elementwise.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

describe('GpuContext.zeroed', () => {
  it('a reused pooled buffer reads as zeros inside an open pass, and the earlier work still saw its old contents', async () => {
    const ctx = await getContext();
    const [n, m] = [1000, 3000]; // different pool buckets: only the zeroed tensor can take old's buffer
    const a = ctx.upload(new Float32Array(n).map((_, i) => i), [n], 'a');
    const c = ctx.upload(new Float32Array(m).map((_, i) => -i), [m], 'c');
    const old = ctx.upload(new Float32Array(m).fill(7), [m], 'old');
    // Encoded (not yet submitted) work that reads the old contents: c + old.
    const before = add(ctx, c, old);
    const oldBuffer = old.buffer;
    old.dispose(); // an encoder is open: the buffer goes back to the pool at the next submit
    ctx.flush();
    // A new pass, then a zeroed tensor of old's size: it reuses that buffer without a pass break.
    const b = ctx.upload(new Float32Array(n).fill(1), [n], 'b');
    const opened = add(ctx, a, b);
    const z = ctx.zeroed([m], 'f32', 'z');
    const reused = z.buffer === oldBuffer;
    const after = add(ctx, c, z);
    const [gotBefore, gotOpened, gotAfter] = [await ctx.readF32(before), await ctx.readF32(opened), await ctx.readF32(after)];
    [a, b, c, z, before, opened, after].forEach((t) => t.dispose());
    expect(reused, 'the zeroed tensor reuses the pooled buffer').toBe(true);
    expect(Array.from(gotBefore)).toEqual(Array.from({ length: m }, (_, i) => 7 - i));
    expect(Array.from(gotOpened)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(Array.from(gotAfter)).toEqual(Array.from({ length: m }, (_, i) => 0 - i)); // −0 + 0 = +0
  });

  it('counts the tensor like tensor() does and handles empty shapes', async () => {
    const ctx = await getContext();
    const live = ctx.memory.liveTensors;
    const e = ctx.zeroed([0], 'u32', 'empty');
    const t = ctx.zeroed([5, 3], 'u32', 'counts');
    expect(ctx.memory.liveTensors).toBe(live + 2);
    expect(Array.from(await ctx.read(t))).toEqual(new Array(15).fill(0));
    e.dispose();
    t.dispose();
    expect(ctx.memory.liveTensors).toBe(live);
  });
});

describe('GpuContext.onFlush', () => {
  it('work a listener encodes at a flush goes into that submit; a throwing listener does not stop the submit', async () => {
    const ctx = await getContext();
    const n = 1000;
    const x = ctx.upload(new Float32Array(n).map((_, i) => i), [n], 'x');
    const one = ctx.upload(new Float32Array(n).fill(1), [n], 'one');
    let out: ReturnType<typeof add> | null = null;
    const order: string[] = [];
    const offA = ctx.onFlush(() => {
      order.push('a');
      out ??= add(ctx, x, one);
    });
    const offB = ctx.onFlush(() => {
      order.push('b');
      throw new Error('listener failed (test)');
    });
    let submitted = 0;
    let encodedBeforeSubmit = false;
    const offS = ctx.onSubmit(() => {
      submitted++;
      encodedBeforeSubmit = out !== null;
    });
    expect(() => ctx.flush(), 'flush with no open encoder still runs the listeners').toThrow('listener failed (test)');
    offB();
    expect(order).toEqual(['a', 'b']);
    expect(submitted, 'one submit').toBe(1);
    expect(encodedBeforeSubmit, 'the listener encoded before the submit').toBe(true);
    ctx.flush();
    expect(order).toEqual(['a', 'b', 'a']);
    expect(submitted, 'nothing encoded since: no submit').toBe(1);
    expect(Array.from(await ctx.readF32(out as unknown as typeof x))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    offA();
    offS();
    [x, one, out as unknown as typeof x].forEach((t) => t.dispose());
  });

  it('a flush caused by a listener\'s own work (the uniform ring full) submits without calling the listeners again', async () => {
    const ctx = await getContext();
    const n = 64;
    const steps = 1100; // more dispatches than the ring's 1024 uniform slots of one submit
    const one = ctx.upload(new Float32Array(n).fill(1), [n], 'one');
    let acc = ctx.upload(new Float32Array(n), [n], 'acc');
    let calls = 0;
    let submits = 0;
    const offS = ctx.onSubmit(() => submits++);
    const off = ctx.onFlush(() => {
      calls++;
      if (calls > 1) return; // re-entered (the defect under test): do not recurse
      for (let i = 0; i < steps; i++) {
        const next = add(ctx, acc, one);
        acc.dispose();
        acc = next;
      }
    });
    ctx.flush();
    off();
    offS();
    expect(calls, 'the listener ran once').toBe(1);
    expect(submits, 'the full ring submitted once inside the listener, then the flush itself').toBe(2);
    expect(Array.from(await ctx.readF32(acc))).toEqual(new Array(n).fill(steps));
    acc.dispose();
    one.dispose();
  });
});
