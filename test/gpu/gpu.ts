// Test harness: one Dawn GPU context per worker process. The object returned by webgpu's
// create() must stay referenced for the life of the process (else Dawn dies in ProcessEvents),
// so it lives in a module-level constant.
import { create, globals } from 'webgpu';
import { afterEach, expect } from 'vitest';
import { GpuContext } from '../../shaders/index.js';

Object.assign(globalThis, globals);
const gpu: GPU = create(['disable-dawn-features=timestamp_quantization']) as unknown as GPU;
let ctxPromise: Promise<GpuContext> | null = null;

export function keepGpuAlive(): GPU {
  return gpu;
}

export function getContext(): Promise<GpuContext> {
  ctxPromise ??= GpuContext.create(gpu, { label: 'test' });
  return ctxPromise;
}

/** Registers an afterEach that asserts every tensor was disposed. */
export function checkLeaks(): void {
  afterEach(async () => {
    if (!ctxPromise) return;
    const ctx = await ctxPromise;
    await ctx.sync();
    expect(ctx.memory.liveTensors, 'live tensors after test').toBe(0);
  });
}
