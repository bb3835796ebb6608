// Session bundles on real engine output (Dawn in Node): the records the engine's Capture produces
// on tiny models — every quantity, a head filter and a token range, the refined gate's gate.a/gate.c,
// fast_decay's gate.logD, logits top-k as u32 TokenMatrix — the TensorDump's full tensors and a
// per-op kernel profile go into a run, through encodeSession → decodeSession, and come back deep-equal.
import { describe, expect, it } from 'vitest';
import {
  Capture,
  Session,
  TensorDump,
  TokenMatrix,
  combineTaps,
  joinChunks,
  parseConfig,
  profileRun,
  randomWeights,
  type CaptureOptions,
  type CaptureRecord,
  type DumpChunk,
} from '../../shaders/index.js';
import { ANALYSIS_CAPTURE, decodeSession, encodeSession, type SessionSnapshot } from '../../renderer/session/bundle.js';
import { dumpKey, type DumpTensor, type ModelRef, type Run } from '../../renderer/state/types.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS, tokens } from './variants.js';

checkLeaks();

async function analyzed(variant: string, options: CaptureOptions[], withProfile: boolean): Promise<{ run: Run; config: ReturnType<typeof parseConfig> }> {
  const ctx = await getContext();
  const config = parseConfig(VARIANTS[variant] as Record<string, unknown>);
  const s = await Session.create(ctx, config, randomWeights(config, { seed: 5, gateBias: 1 }));
  const ids = tokens(12, config.vocabSize);
  const records: CaptureRecord[] = [];
  const dumps = new Map<string, DumpTensor>();
  try {
    for (const [i, o] of options.entries()) {
      const chunks: DumpChunk[] = [];
      const capture = new Capture(ctx, o);
      const dump = new TensorDump(ctx, { points: ANALYSIS_CAPTURE.dumpPoints, onChunk: (c) => chunks.push(c) });
      try {
        await s.reset();
        s.tap = i === 0 ? combineTaps(capture.tap, dump.tap) : capture.tap;
        await s.prefill(ids, { logits: 'all' });
        s.tap = null;
        await dump.close();
        records.push(...(await capture.collect()));
        for (const j of joinChunks(chunks)) {
          const [rows = 0, ...rowShape] = j.shape;
          dumps.set(dumpKey(j.point, j.layer), { layer: j.layer, point: j.point, pos0: j.tokens.lo, rows, rowShape, data: j.data });
        }
      } finally {
        s.tap = null;
        capture.dispose();
        dump.dispose();
      }
    }
    await s.reset();
    const profile = withProfile ? await profileRun(s, { prompt: ids.slice(0, 6), decodeTokens: 2, repeat: 1, warmup: 0, mode: 'per-op', variant }) : null;
    const ref: ModelRef = { key: `folder:${variant}#1`, name: variant, kind: 'folder', variant };
    const run: Run = {
      id: `run-${variant}`,
      model: ref,
      prompt: 'ids',
      sampling: { temperature: 0 },
      interventions: [],
      maxTokens: 0,
      status: 'done',
      error: null,
      tokens: ids.map((id, pos) => ({ pos, id, text: String(id), prompt: true, logprob: null, entropy: null, top: [] })),
      promptLength: ids.length,
      stats: { prefillMs: 0, decodeMs: 0, generated: 0, stopReason: null },
      analysis: { T: ids.length, records, dumps, ms: 1 },
      attention: null,
      profile,
    };
    return { run, config };
  } finally {
    s.dispose();
  }
}

/** Every field name present in any record (what the test covered). */
const fieldsOf = (recs: readonly CaptureRecord[]): string[] => [...new Set(recs.flatMap((r) => Object.keys(r)))].sort();

describe('session bundle round trip on the engine’s own capture records', () => {
  it('regla (refined gate) and fast_decay: every record field, dumps and a kernel profile deep-equal after save → open', async () => {
    const all: CaptureOptions = { quantities: ANALYSIS_CAPTURE.quantities };
    const filtered: CaptureOptions = { quantities: ANALYSIS_CAPTURE.quantities, heads: [1], tokens: { lo: 2, hi: 10 }, gateScale: 'logit', topk: 7, bins: 16 };
    const a = await analyzed('regla', [all, filtered], true);
    const b = await analyzed('fast_decay', [all], false);
    const snap: SessionSnapshot = {
      savedAt: '2026-12-02T16:00:00.000Z',
      gpu: { adapter: 'lavapipe', features: [], quantized: null },
      capture: ANALYSIS_CAPTURE,
      models: [
        { ref: a.run.model, config: a.config, hash: null },
        { ref: b.run.model, config: b.config, hash: null },
      ],
      runs: [a.run, b.run],
      ui: { currentRun: a.run.id, compare: [a.run.id, b.run.id], sharedScale: true, hoverToken: null, lockedToken: 3, layer: 1, head: 1, gateQuantity: 'r', scale: 'logit', tokenMetric: 'gate', threshold: 0.05, panel: 'gates', activeModel: null, derivedFrom: {}, tourStep: 0, tourCompare: null },
    };
    const records = [...a.run.analysis!.records, ...b.run.analysis!.records];
    // The engine produced every kind of field a record can carry.
    expect(fieldsOf(records)).toEqual(
      ['T', 'channelMeanAlpha', 'channelMemoryLength', 'heads', 'histogram', 'layer', 'means', 'phiEntropy', 'phiSparsity', 'phiZeros', 'point', 'pos0', 'saturation', 'stateNorm', 'tokenEntropy', 'tokenNorm', 'tokenStateNorm', 'tokens', 'topk'].sort(),
    );
    expect(records.some((r) => r.point === 'gate.logD')).toBe(true);
    expect(records.some((r) => r.means?.dFdg !== undefined)).toBe(true);
    expect(a.run.analysis!.dumps.size).toBeGreaterThan(4);
    expect(a.run.profile?.records.length).toBeGreaterThan(0);

    const back = decodeSession(encodeSession(snap));
    expect(back).toEqual(snap);
    const topk = back.runs[0]!.analysis!.records.find((r) => r.topk)!.topk!;
    expect(topk.ids).toBeInstanceOf(TokenMatrix);
    expect(topk.ids.data).toBeInstanceOf(Uint32Array);
    for (const [k, d] of a.run.analysis!.dumps) expect(new Uint8Array(back.runs[0]!.analysis!.dumps.get(k)!.data.buffer), k).toEqual(new Uint8Array(d.data.buffer));
  }, 240_000);
});
