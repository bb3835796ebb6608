// GPU-vs-twin comparison for browser cases (no vitest in the page): |a - b| <= atol + rtol * |b|
// elementwise, no NaN/Inf; throws naming the first bad index, returns the worst errors otherwise.

import type { CaseReport } from './harness.js';

export interface CloseOptions {
  rtol: number;
  atol: number;
  label: string;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, o: CloseOptions): Required<CaseReport> {
  if (actual.length !== expected.length) throw new Error(`${o.label}: length ${actual.length}, want ${expected.length}`);
  let worstRel = 0;
  let worstAbs = 0;
  let worstAt = -1;
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    const d = Math.abs(a - b);
    if (!Number.isFinite(a) || d > o.atol + o.rtol * Math.abs(b)) {
      if (firstBad < 0) firstBad = i;
      continue;
    }
    const rel = d / (Math.max(Math.abs(b), o.rtol > 0 ? o.atol / o.rtol : 0) || 1);
    if (rel > worstRel) {
      worstRel = rel;
      worstAt = i;
    }
    worstAbs = Math.max(worstAbs, d);
  }
  if (firstBad >= 0) {
    throw new Error(
      `${o.label}: first bad index ${firstBad}: got ${actual[firstBad]}, want ${expected[firstBad]} ` +
        `(rtol ${o.rtol}, atol ${o.atol}; worst good rel ${worstRel.toExponential(2)} at ${worstAt})`,
    );
  }
  return { worstRel, worstAbs };
}

export function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(message);
}
