// Numeric comparison for GPU-vs-twin tests: reports the worst relative error and the first bad index.
import { expect } from 'vitest';

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  label?: string;
}

export interface CloseReport {
  worstRel: number;
  worstAbs: number;
  worstIndex: number;
}

/** |a - b| <= atol + rtol * |b| elementwise; no NaN/Inf allowed in `actual`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, o: CloseOptions = {}): CloseReport {
  const rtol = o.rtol ?? 1e-4;
  const atol = o.atol ?? 1e-5;
  const label = o.label ?? 'tensor';
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worstRel = 0;
  let worstAbs = 0;
  let worstIndex = -1;
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (!Number.isFinite(a)) {
      firstBad = firstBad < 0 ? i : firstBad;
      continue;
    }
    const d = Math.abs(a - b);
    const rel = d / Math.max(Math.abs(b), atol / rtol);
    if (rel > worstRel) {
      worstRel = rel;
      worstIndex = i;
    }
    worstAbs = Math.max(worstAbs, d);
    if (d > atol + rtol * Math.abs(b) && firstBad < 0) firstBad = i;
  }
  if (firstBad >= 0) {
    expect.fail(
      `${label}: first bad index ${firstBad}: got ${actual[firstBad]}, want ${expected[firstBad]} ` +
        `(rtol ${rtol}, atol ${atol}; worst rel ${worstRel.toExponential(2)} at ${worstIndex})`,
    );
  }
  return { worstRel, worstAbs, worstIndex };
}
