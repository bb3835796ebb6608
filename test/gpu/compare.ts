// Numeric comparison for GPU-vs-twin tests in Vitest: the browser suite's assertClose (the first bad
// index, the worst relative error), reported through expect.
import { expect } from 'vitest';
import { assertClose } from '../browser/compare.js';

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  label?: string;
}

export interface CloseReport {
  worstRel: number;
  worstAbs: number;
}

/** |a - b| <= atol + rtol * |b| elementwise; no NaN/Inf allowed in `actual`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, o: CloseOptions = {}): CloseReport {
  const label = o.label ?? 'tensor';
  expect(actual.length, `${label}: length`).toBe(expected.length);
  try {
    return assertClose(actual, expected, { rtol: o.rtol ?? 1e-4, atol: o.atol ?? 1e-5, label });
  } catch (e) {
    return expect.fail(e instanceof Error ? e.message : String(e));
  }
}
