// Every browser case, in run order. Add a case with one line here (factories live in cases/).

import { leakCounterCase, roundTripCase } from './cases/context.js';
import { rowNormCase } from './cases/norm.js';
import { generateCase, glaChunkCase, matmulCase, modelCase } from './cases/engine.js';
import { captureCase, profilerCase } from './cases/capture.js';
import { sampleCase } from './cases/samples.js';
import type { Case } from './harness.js';

export const CASES: readonly Case[] = [
  leakCounterCase,
  roundTripCase,
  rowNormCase('rmsnorm', 1, 16),
  rowNormCase('rmsnorm', 7, 64),
  rowNormCase('rmsnorm', 5, 1000),
  rowNormCase('layernorm', 7, 64),
  rowNormCase('layernorm', 33, 768),
  matmulCase(37, 129, 65),
  glaChunkCase(45, 16),
  modelCase('regla', { model_type: 'regla' }),
  modelCase('gla (conv, grouped heads)', { model_type: 'gla', num_heads: 4, num_kv_heads: 2, use_short_conv: true, gate_low_rank_dim: 4 }),
  modelCase('hybrid regla', { model_type: 'regla', hybrid_softmax_layers: [1] }),
  generateCase,
  captureCase,
  profilerCase,
  sampleCase('regla'),
];
