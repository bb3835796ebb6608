// Every browser case, in run order. Add a case with one line here (factories live in cases/).

import { leakCounterCase, roundTripCase } from './cases/context.js';
import { rowNormCase } from './cases/norm.js';
import type { Case } from './harness.js';

export const CASES: readonly Case[] = [
  leakCounterCase,
  roundTripCase,
  rowNormCase('rmsnorm', 1, 16),
  rowNormCase('rmsnorm', 7, 64),
  rowNormCase('rmsnorm', 5, 1000),
  rowNormCase('layernorm', 7, 64),
  rowNormCase('layernorm', 33, 768),
];
