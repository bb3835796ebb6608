// The sweep job, kept outside React so it survives tab switches (panels unmount when hidden): the
// form's last values, the variants and the rows streamed so far, progress, cancel. One sweep at a
// time; the Runner does the GPU work (Runner.sweep) under each model's exclusive lock.

import { useSyncExternalStore } from 'react';
import type { SweepRow } from '../../../shaders/index.js';
import type { Host, SampleEntry } from '../../host/host.js';
import { describe, type Runner } from '../../session/runner.js';
import { useStore } from '../../state/store.js';
import type { ModelRef } from '../../state/types.js';
import { sweepCells, type SweepVariantInfo } from './logic.js';

export interface SweepForm {
  /** Model keys checked (null: the active model until the user picks). */
  models: string[] | null;
  seq: string;
  chunk: string;
  decode: number;
  repeat: number;
  softmax: boolean;
}

export interface SweepParams {
  keys: string[];
  seq: number[];
  chunk: number[];
  decode: number;
  repeat: number;
  softmax: boolean;
}

export type SweepStatus = 'idle' | 'loading' | 'running' | 'done' | 'cancelled' | 'error';

export interface SweepJob {
  status: SweepStatus;
  form: SweepForm;
  params: SweepParams | null;
  variants: SweepVariantInfo[];
  rows: SweepRow[];
  /** Rows the sweep will measure when it completes. */
  total: number;
  /** What is happening now, for the progress line. */
  activity: string;
  error: string | null;
  startedAt: number;
  /** ms from start to end (or to now while running). */
  elapsedMs: number;
}

export const DEFAULT_FORM: SweepForm = { models: null, seq: '64,128,256', chunk: '32,64', decode: 4, repeat: 2, softmax: true };

let job: SweepJob = { status: 'idle', form: DEFAULT_FORM, params: null, variants: [], rows: [], total: 0, activity: '', error: null, startedAt: 0, elapsedMs: 0 };
let controller: AbortController | null = null;
const listeners = new Set<() => void>();

function set(patch: Partial<SweepJob> | ((j: SweepJob) => Partial<SweepJob>)): void {
  job = { ...job, ...(typeof patch === 'function' ? patch(job) : patch) };
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useSweepJob(): SweepJob {
  return useSyncExternalStore(subscribe, () => job);
}

export function setForm(patch: Partial<SweepForm>): void {
  set((j) => ({ form: { ...j.form, ...patch } }));
}

export const isBusy = (s: SweepStatus): boolean => s === 'loading' || s === 'running';

/** Stops the sweep after the current repeat (a prefill in flight finishes first). */
export function cancelSweep(): void {
  if (!controller || controller.signal.aborted) return;
  controller.abort();
  set({ activity: 'cancelling after the current run…' });
}

/** Forgets the rows of the last sweep (not while one runs). */
export function clearSweep(): void {
  if (isBusy(job.status)) return;
  set({ status: 'idle', params: null, variants: [], rows: [], total: 0, activity: '', error: null, elapsedMs: 0 });
}

/**
 * Opens the checked models that are bundled samples but not open yet (as the compare panel does),
 * then runs the sweep, streaming rows into the job.
 */
export async function startSweep(runner: Runner, host: Host, models: readonly ModelRef[], p: SweepParams): Promise<void> {
  if (isBusy(job.status) || p.keys.length === 0) return;
  const ac = new AbortController();
  controller = ac;
  const t0 = performance.now();
  const variantsN = p.keys.length + (p.softmax ? 1 : 0);
  set({ status: 'loading', params: p, variants: [], rows: [], total: sweepCells(variantsN, p.chunk.length, p.seq.length), activity: '', error: null, startedAt: Date.now(), elapsedMs: 0 });
  try {
    let samples: SampleEntry[] | null = null;
    for (const key of p.keys) {
      if (ac.signal.aborted) break;
      if (runner.isOpen(key)) continue;
      const ref = models.find((m) => m.key === key);
      set({ activity: `opening ${ref?.name ?? key}…` });
      samples ??= await host.listSamples();
      const entry = samples.find((e) => `sample:${e.name}` === key);
      if (!ref || !entry) throw new Error(`${ref?.name ?? key} is not open and is not a bundled sample: open it first`);
      await runner.load(ref, host.sampleFolder(entry));
    }
    if (!ac.signal.aborted) {
      set({ status: 'running', activity: p.softmax ? 'building the softmax baseline…' : 'measuring…' });
      // Runner.sweep's order: T, then chunk, then variant.
      const cellName = (done: number): string => {
        const nv = Math.max(1, job.variants.length);
        const v = job.variants[done % nv];
        const chunk = p.chunk[Math.floor(done / nv) % p.chunk.length];
        const T = p.seq[Math.floor(done / (nv * p.chunk.length))];
        return v && chunk !== undefined && T !== undefined ? `measuring ${v.name}, chunk ${chunk}, T = ${T}…` : 'finishing…';
      };
      await runner.sweep(p.keys, {
        seq: p.seq,
        chunk: p.chunk,
        decode: p.decode,
        repeat: p.repeat,
        softmax: p.softmax,
        signal: ac.signal,
        onVariants: (v) => {
          set({ variants: [...v] });
          set({ activity: cellName(0) });
        },
        onRow: (row) =>
          set((j) => ({
            rows: [...j.rows, row],
            activity: ac.signal.aborted ? j.activity : cellName(j.rows.length + 1),
            elapsedMs: performance.now() - t0,
          })),
      });
    }
    const cancelled = ac.signal.aborted;
    set({ status: cancelled ? 'cancelled' : 'done', activity: '', elapsedMs: performance.now() - t0 });
    if (cancelled) useStore.getState().notify('info', `Sweep cancelled after ${job.rows.length} of ${job.total} rows`);
  } catch (e) {
    set({ status: 'error', activity: '', error: describe(e), elapsedMs: performance.now() - t0 });
    useStore.getState().notify('error', `Sweep: ${describe(e)}`);
  } finally {
    if (controller === ac) controller = null;
  }
}
