// profileRun on a tiny ReGLA model on lavapipe in both modes: every op of a layer is recorded,
// the fused decode path gives 4 dispatches per token per layer, per-op times are finite (lavapipe
// has timestamp-query), fused mode times whole submits only, and no tensor leaks. Never asserts timings.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import { Session } from '../../shaders/model/session.js';
import { profileRun, type ProfileReport } from '../../shaders/profile/profile.js';
import { toChromeTrace, toCsv } from '../../shaders/profile/trace.js';
import { parseCsv, validateTrace } from '../unit/trace-validate.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

const config = parseConfig(VARIANTS['regla']!);
const L = config.numLayers;
const PROMPT = tokens(40, config.vocabSize);
const DECODE = 3;
const DECODE_OPS = ['in_proj', 'gla_step', 'o_proj', 'mlp'];

async function run(mode: 'per-op' | 'fused'): Promise<ProfileReport> {
  const ctx = await getContext();
  const session = await Session.create(ctx, config, randomWeights(config, { seed: 5 }), { chunkSize: 16 });
  try {
    return await profileRun(session, { prompt: PROMPT, decodeTokens: DECODE, repeat: 2, warmup: 1, mode, adapter: { description: 'lavapipe' } });
  } finally {
    session.dispose();
  }
}

function checkStructure(rep: ProfileReport): void {
  expect(rep.records.length).toBeGreaterThan(0);
  for (let r = 0; r < 2; r++) {
    const recs = rep.records.filter((x) => x.repeat === r);
    // Prefill: every layer has the same op set, including the attention-norm and the MLP.
    const ops = (l: number): string[] => [...new Set(recs.filter((x) => x.phase === 'prefill' && x.layer === l).map((x) => x.op))].sort();
    expect(ops(0)).toEqual(ops(1));
    expect(ops(0)).toEqual(expect.arrayContaining(['attn_norm', 'o_proj', 'mlp_norm', 'down_proj']));
    expect(recs.some((x) => x.phase === 'prefill' && x.op === 'lm_head')).toBe(true);
    // Every kernel of a layer is attributed to it (ops that take no layer argument included); only
    // the embedding, the final norm and the LM head are outside the layers.
    expect(ops(0)).toEqual(expect.arrayContaining(['gate.A', 'in_proj']));
    expect(ops(0).some((op) => op.startsWith('gla') || op.startsWith('attnOutput'))).toBe(true);
    expect([...new Set(recs.filter((x) => x.phase === 'prefill' && x.layer === null).map((x) => x.op))].sort()).toEqual(['embedding', 'final_norm', 'lm_head']);
    // Decode: the fused path, 4 dispatches per token per layer.
    for (let i = 0; i < DECODE; i++) {
      for (let l = 0; l < L; l++) {
        const d = recs.filter((x) => x.phase === 'decode' && x.token === PROMPT.length + i && x.layer === l);
        expect(d.map((x) => x.op)).toEqual(DECODE_OPS);
      }
    }
  }
  expect(rep.spans.filter((s) => s.phase === 'decode')).toHaveLength(2 * DECODE);
  expect(rep.perOp.find((s) => s.phase === 'decode' && s.op === 'gla_step')?.count).toBe(L * DECODE);
  expect(Number.isFinite(rep.totals.cpuPrefillMs) && rep.totals.cpuPrefillMs > 0).toBe(true);
  expect(Number.isFinite(rep.totals.cpuDecodeMsPerToken)).toBe(true);
  expect(validateTrace(toChromeTrace(rep, { quantization: 'disabled' }))).toEqual([]);
  const csv = parseCsv(toCsv(rep));
  expect(csv.length).toBe(1 + rep.perOp.length);
}

describe('profileRun', () => {
  it('per-op: every dispatch timed and attributed', async () => {
    const ctx = await getContext();
    expect(ctx.features.has('timestamp-query')).toBe(true);
    const rep = await run('per-op');
    checkStructure(rep);
    for (const x of rep.records) {
      expect(Number.isFinite(x.startNs) && Number.isFinite(x.endNs), `${x.op} times`).toBe(true);
      expect(x.endNs).toBeGreaterThanOrEqual(x.startNs);
    }
    expect(rep.precision.timestamps).toBe(true);
    expect(rep.precision.quantized).toBe(false); // the harness disables Dawn's quantization
    expect(rep.totals.source).toBe('gpu');
    expect(Number.isFinite(rep.totals.prefillMs) && Number.isFinite(rep.totals.decodeMsPerToken)).toBe(true);
    expect(rep.perOp.every((s) => Number.isFinite(s.medianUs))).toBe(true);
  });

  it('fused: the same dispatches, batched; whole submits timed', async () => {
    const rep = await run('fused');
    checkStructure(rep);
    expect(rep.records.every((x) => Number.isNaN(x.startNs))).toBe(true);
    // Whole submits timed on the GPU: at least one per prefill and one per decode token.
    expect(rep.totals.source).toBe('gpu');
    for (let r = 0; r < 2; r++) {
      const sp = rep.gpuSpans.filter((s) => s.repeat === r);
      expect(sp.some((s) => s.phase === 'prefill')).toBe(true);
      for (let i = 0; i < DECODE; i++) expect(sp.some((s) => s.phase === 'decode' && s.token === PROMPT.length + i)).toBe(true);
      for (const s of sp) expect(Number.isFinite(s.startNs) && s.endNs >= s.startNs).toBe(true);
    }
    expect(Number.isFinite(rep.totals.prefillMs) && Number.isFinite(rep.totals.decodeMsPerToken)).toBe(true);
  });

  it('rejects bad options and leaves the session usable', async () => {
    const ctx = await getContext();
    const session = await Session.create(ctx, config, randomWeights(config, { seed: 5 }));
    try {
      await expect(profileRun(session, { prompt: [], decodeTokens: 1, repeat: 1, warmup: 0, mode: 'fused' })).rejects.toThrow(/prompt/);
      await expect(profileRun(session, { prompt: PROMPT, decodeTokens: 1, repeat: 0, warmup: 0, mode: 'fused' })).rejects.toThrow(/repeat/);
      const rep = await profileRun(session, { prompt: PROMPT.slice(0, 3), decodeTokens: 0, repeat: 1, warmup: 0, mode: 'per-op' });
      expect(rep.records.every((x) => x.phase === 'prefill')).toBe(true);
      expect(session.position).toBe(0);
    } finally {
      session.dispose();
    }
  });
});
