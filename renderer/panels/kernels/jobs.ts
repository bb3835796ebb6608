// Long GPU jobs the Kernels panel starts, kept outside React so they survive tab switches: which
// runs are being profiled, and the device peaks (measured once per GPU context, on request, since
// the microbenchmarks take a while on software WebGPU).

import { useSyncExternalStore } from 'react';
import { measureDevicePeaks, type DevicePeaks, type GpuContext } from '../../../shaders/index.js';

const profiling = new Set<string>();
const peaks = new WeakMap<GpuContext, DevicePeaks>();
let measuring: GpuContext | null = null;
let version = 0;
const listeners = new Set<() => void>();

function changed(): void {
  version++;
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Re-renders the caller whenever a job starts or ends. */
export function useJobs(): { isProfiling: (runId: string) => boolean; anyProfiling: boolean; measuring: boolean; peaksOf: (ctx: GpuContext | null | undefined) => DevicePeaks | null } {
  useSyncExternalStore(subscribe, () => version);
  return {
    isProfiling: (id) => profiling.has(id),
    anyProfiling: profiling.size > 0,
    measuring: measuring !== null,
    peaksOf: (ctx) => (ctx ? (peaks.get(ctx) ?? null) : null),
  };
}

/** Runs `job` as the profile of `runId` (one at a time per run). */
export async function trackProfile(runId: string, job: () => Promise<void>): Promise<void> {
  if (profiling.has(runId)) return;
  profiling.add(runId);
  changed();
  try {
    await job();
  } finally {
    profiling.delete(runId);
    changed();
  }
}

/**
 * Measures the FMA peak and streaming bandwidth of `ctx` (sizes chosen for ~30 ms per kernel run,
 * within the engine's defaults), caching the result per context.
 */
export async function measurePeaks(ctx: GpuContext): Promise<DevicePeaks> {
  const have = peaks.get(ctx);
  if (have) return have;
  if (measuring) throw new Error('device peaks are already being measured');
  measuring = ctx;
  changed();
  try {
    const p = await measureDevicePeaks(ctx, { targetMs: 30, repeats: 5, warmup: 1 });
    peaks.set(ctx, p);
    return p;
  } finally {
    measuring = null;
    changed();
  }
}

/** Forgets a context's peaks (to measure again). */
export function forgetPeaks(ctx: GpuContext): void {
  peaks.delete(ctx);
  changed();
}
