// The in-browser half of the browser tests: runs a list of cases on one GpuContext opened from
// navigator.gpu, checks after each that every tensor was disposed, and publishes a JSON
// SuiteResult on window.__suiteResult for the Node side (chromium.test.ts) to assert on.

import { GpuContext } from '../../shaders/index.js';

/** One check. Throw to fail; the message is what the Node side reports. */
export interface Case {
  name: string;
  run(ctx: GpuContext): Promise<CaseReport | void>;
}

/** Optional figures a case reports (e.g. the worst relative error it saw). */
export interface CaseReport {
  worstRel?: number;
  worstAbs?: number;
}

export interface CaseResult extends CaseReport {
  name: string;
  ok: boolean;
  message: string;
  ms: number;
}

export interface SuiteResult {
  ok: boolean;
  /** Set when the suite could not start (no WebGPU, no adapter). */
  error?: string;
  adapter?: { vendor: string; architecture: string; device: string; description: string };
  features?: string[];
  cases: CaseResult[];
}

declare global {
  interface Window {
    __suiteResult?: SuiteResult;
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

async function runCase(ctx: GpuContext, c: Case): Promise<CaseResult> {
  const t0 = performance.now();
  const before = ctx.memory.liveTensors;
  try {
    const report = (await c.run(ctx)) ?? {};
    await ctx.sync();
    const leaked = ctx.memory.liveTensors - before;
    if (leaked !== 0) throw new Error(`${leaked} live tensor(s) left after the case`);
    return { name: c.name, ok: true, message: '', ms: performance.now() - t0, ...report };
  } catch (e) {
    return { name: c.name, ok: false, message: describeError(e), ms: performance.now() - t0 };
  }
}

export async function runSuite(cases: readonly Case[]): Promise<SuiteResult> {
  if (!('gpu' in navigator)) return { ok: false, error: 'navigator.gpu is missing (WebGPU is off)', cases: [] };
  let ctx: GpuContext;
  try {
    ctx = await GpuContext.create(navigator.gpu, { label: 'browser-suite' });
  } catch (e) {
    return { ok: false, error: describeError(e), cases: [] };
  }
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(ctx, c));
  const info = ctx.device.adapterInfo;
  const result: SuiteResult = {
    ok: results.every((r) => r.ok),
    adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
    features: [...ctx.features].sort(),
    cases: results,
  };
  ctx.destroy(true);
  return result;
}

export function publish(result: SuiteResult): void {
  window.__suiteResult = result;
  document.body.dataset['state'] = result.ok ? 'passed' : 'failed';
  document.body.textContent = JSON.stringify(result, null, 2);
}
