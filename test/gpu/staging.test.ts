// StagingPool and GpuContext.onSubmit on lavapipe: reads return the copied bytes, a buffer is
// reused once its map resolved, with every buffer in flight the pool grows up to its byte cap and
// then refuses (counted drops) without waiting, and submit listeners run once per submit.

import { describe, expect, it } from 'vitest';
import { StagingPool } from '../../shaders/gpu/staging.js';
import { Tensor } from '../../shaders/gpu/tensor.js';
import type { GpuContext } from '../../shaders/gpu/context.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

/** Copies t into the staging buffer in the context's encoder (as TensorDump does). */
function copyInto(ctx: GpuContext, t: Tensor, buffer: GPUBuffer, size: number): void {
  ctx.copy(t, new Tensor(buffer, [size / 4], 'f32', 'staging', () => undefined));
}

describe('GpuContext.onSubmit', () => {
  it('runs after each submit of recorded work, not for empty flushes; unsubscribes', async () => {
    const ctx = await getContext();
    let calls = 0;
    const off = ctx.onSubmit(() => calls++);
    ctx.flush(); // nothing recorded: no submit
    expect(calls).toBe(0);
    const t = ctx.upload(new Float32Array([1, 2, 3]), [3], 'x');
    const u = ctx.tensor([3], 'f32', 'y');
    ctx.copy(t, u);
    ctx.flush();
    expect(calls).toBe(1);
    ctx.copy(t, u);
    expect(Array.from(await ctx.readF32(u))).toEqual([1, 2, 3]); // read submits: one more call
    expect(calls).toBe(2);
    off();
    ctx.copy(t, u);
    ctx.flush();
    expect(calls).toBe(2);
    t.dispose();
    u.dispose();
  });
});

describe('StagingPool', () => {
  it('reads back copied bytes and reuses a buffer after its map resolved', async () => {
    const ctx = await getContext();
    const pool = new StagingPool(ctx.device, { buffers: 2, bufferBytes: 1024, maxBytes: 4096 });
    expect(pool.stats).toMatchObject({ buffers: 2, free: 2, inFlight: 0, bytes: 2048 });
    const data = Float32Array.from({ length: 100 }, (_, i) => i * 0.5 - 7);
    const t = ctx.upload(data, [100], 'x');
    try {
      const a = pool.acquire(400)!;
      expect(a.size).toBe(1024);
      copyInto(ctx, t, a.buffer, a.size);
      ctx.flush();
      expect(pool.stats.inFlight).toBe(1);
      expect(Array.from(new Float32Array(await pool.read(a, 400)))).toEqual(Array.from(data));
      expect(pool.stats).toMatchObject({ inFlight: 0, free: 2, acquired: 1, reused: 0 });
      // The smallest free buffer that fits; the one just read comes back for the next request.
      const b = pool.acquire(8)!;
      const c = pool.acquire(8)!;
      expect([b.buffer, c.buffer]).toContain(a.buffer);
      expect(pool.stats).toMatchObject({ acquired: 3, reused: 1, grown: 0 });
      pool.release(b);
      pool.release(c);
      expect(() => pool.release(c)).toThrow(/not lent/);
    } finally {
      t.dispose();
      pool.destroy();
    }
  });

  it('all buffers in flight: grows up to the cap, then drops without waiting', async () => {
    const ctx = await getContext();
    const pool = new StagingPool(ctx.device, { buffers: 2, bufferBytes: 256, maxBytes: 1024 });
    const lent = [pool.acquire(256)!, pool.acquire(200)!];
    expect(pool.stats).toMatchObject({ grown: 0, inFlight: 2, free: 0 });
    lent.push(pool.acquire(256)!, pool.acquire(4)!); // grows to the 1024-byte cap
    expect(pool.stats).toMatchObject({ grown: 2, buffers: 4, bytes: 1024, dropped: 0 });
    expect(pool.acquire(16)).toBeNull();
    expect(pool.acquire(100)).toBeNull();
    expect(pool.stats).toMatchObject({ dropped: 2, droppedBytes: 116, inFlight: 4 });
    // A request larger than any buffer when the cap leaves no room is dropped even with free buffers…
    pool.release(lent.pop()!);
    expect(pool.acquire(512)).toBeNull();
    // …but small free buffers are given up to make room when that fits the cap.
    pool.release(lent.pop()!);
    pool.release(lent.pop()!);
    const big = pool.acquire(512);
    expect(big?.size).toBe(512);
    expect(pool.stats).toMatchObject({ bytes: 1024, buffers: 3, dropped: 3 });
    // Reading a buffer returns it; the next acquire reuses it (no growth).
    const t = ctx.upload(new Float32Array(64).fill(3), [64], 'x');
    copyInto(ctx, t, big!.buffer, big!.size);
    ctx.flush();
    const read = pool.read(big!, 256);
    expect(pool.acquire(512)).toBeNull(); // still in flight until the map resolves
    expect(new Float32Array(await read).every((x) => x === 3)).toBe(true);
    const again = pool.acquire(512)!;
    expect(again.buffer).toBe(big!.buffer);
    pool.release(again);
    pool.release(lent[0]!);
    expect(pool.stats).toMatchObject({ inFlight: 0, dropped: 4 });
    t.dispose();
    pool.destroy();
    expect(() => pool.acquire(4)).toThrow(/destroy/);
    expect(() => new StagingPool(ctx.device, { buffers: 8, bufferBytes: 256, maxBytes: 1024 })).toThrow(RangeError);
  });
});
