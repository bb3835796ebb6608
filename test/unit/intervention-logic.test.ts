// The Interventions panel's pure logic (renderer/panels/interventions/logic.ts): which runs form the
// pair, the token-aligned text diff, Δ log p and KL per token from cross-scores (checked against a
// direct log-softmax of made-up logits) and their totals; run labels; and the run's interventions in
// the exports (capture JSON and safetensors header, Chrome trace metadata).
import { describe, expect, it } from 'vitest';
import { parseConfig, readSafetensors, toChromeTrace, type Intervention, type ProfileReport } from '../../shaders/index.js';
import { baselineOf, deltaSummary, largestDeltas, logprobDeltas, pickIntervened, rerunBase, signed, tokenDiff } from '../../renderer/panels/interventions/logic.js';
import { interventionRecords, interventionsText, runLabel } from '../../renderer/session/interventions.js';
import { captureFiles, runTraceMeta } from '../../renderer/session/export.js';
import { logSoftmaxRows } from '../../renderer/session/runner.js';
import type { Run, TokenView } from '../../renderer/state/types.js';
import { VARIANTS } from '../gpu/variants.js';

const tok = (pos: number, id: number, prompt = false): TokenView => ({ pos, id, text: `t${id}`, prompt, logprob: null, entropy: null, top: [] });
const toks = (ids: number[], promptLength = 2): TokenView[] => ids.map((id, i) => tok(i, id, i < promptLength));

function run(id: string, over: Partial<Run> = {}): Run {
  return {
    id,
    model: { key: 'sample:regla', name: 'regla', kind: 'sample', variant: 'regla' },
    prompt: 'p',
    sampling: { temperature: 0, seed: 3 },
    interventions: [],
    maxTokens: 4,
    status: 'done',
    error: null,
    tokens: [],
    promptLength: 2,
    stats: { prefillMs: 0, decodeMs: 0, generated: 0, stopReason: null },
    analysis: null,
    attention: null,
    profile: null,
    ...over,
  };
}

const CLAMP: Intervention = { kind: 'clamp_g', layers: [0, 1, 2, 3], min: 0, max: 0.9 };
const ZERO: Intervention = { kind: 'scale_head', layer: 1, head: 0, scale: 0 };

describe('tokenDiff', () => {
  it('identical runs: no divergence', () => {
    const d = tokenDiff(toks([5, 6, 7]), toks([5, 6, 7]));
    expect(d).toMatchObject({ prefix: 3, divergence: null, sameAfter: 0 });
    expect(d.columns.map((c) => c.same)).toEqual([true, true, true]);
  });
  it('the first differing position, aligned by position, with agreement after it counted', () => {
    const d = tokenDiff(toks([5, 6, 7, 8, 9]), toks([5, 6, 1, 8, 2]));
    expect(d.prefix).toBe(2);
    expect(d.divergence).toBe(2);
    expect(d.sameAfter).toBe(1);
    expect(d.columns.map((c) => [c.pos, c.base?.id, c.other?.id, c.same])).toEqual([
      [0, 5, 5, true],
      [1, 6, 6, true],
      [2, 7, 1, false],
      [3, 8, 8, true],
      [4, 9, 2, false],
    ]);
  });
  it('one run ending early diverges where it ends', () => {
    const d = tokenDiff(toks([5, 6, 7]), toks([5, 6, 7, 4, 4]));
    expect(d).toMatchObject({ prefix: 3, divergence: 3 });
    expect(d.columns[3]).toMatchObject({ base: null, same: false });
    expect(d.columns).toHaveLength(5);
    expect(tokenDiff([], [])).toMatchObject({ prefix: 0, divergence: null, columns: [] });
  });
});

describe('Δ log p and KL from cross-scores', () => {
  // Two made-up "models" over V = 3 ids scoring the same 4 tokens (rows t predict token t + 1).
  const V = 3;
  const ids = [0, 2, 1, 2];
  const la = logSoftmaxRows(new Float32Array([1, 2, 3, 0, 0, 0, -1, 4, 0, 0, 0, 0]), 4, V);
  const lb = logSoftmaxRows(new Float32Array([3, 2, 1, 0, 1, 0, 2, 2, 0, 0, 0, 0]), 4, V);
  const lp = (ls: Float32Array): Float64Array => Float64Array.from(ids, (id, t) => (t === 0 ? NaN : (ls[(t - 1) * V + id] as number)));
  const kl = Float64Array.from(ids, (_, t) => {
    if (t === 0) return NaN;
    let d = 0;
    for (let j = 0; j < V; j++) d += Math.exp(la[(t - 1) * V + j] as number) * ((la[(t - 1) * V + j] as number) - (lb[(t - 1) * V + j] as number));
    return d;
  });
  const scores = { logprobs: [lp(la), lp(lb)], kl: [new Float64Array(4).fill(NaN).map((_, t) => (t === 0 ? NaN : 0)), kl] };

  it('delta = log p under the intervened model − under the baseline, per baseline token', () => {
    const d = logprobDeltas(scores);
    expect(d.T).toBe(4);
    expect(Number.isNaN(d.delta[0])).toBe(true);
    for (let t = 1; t < 4; t++) {
      const want = (lb[(t - 1) * V + (ids[t] as number)] as number) - (la[(t - 1) * V + (ids[t] as number)] as number);
      expect(d.delta[t]).toBeCloseTo(want, 12);
      expect(d.kl[t]).toBeCloseTo(kl[t] as number, 12);
    }
    // Row 1: logits (0, 0, 0) vs (0, 1, 0) for id 1 → Δ = log(e/(e+2)) − log(1/3).
    expect(d.delta[2]).toBeCloseTo(Math.log(Math.E / (Math.E + 2)) - Math.log(1 / 3), 6);
    expect(() => logprobDeltas({ logprobs: [lp(la)], kl: [kl] })).toThrow(RangeError);
  });

  it('totals over every predicted token and over a range; the largest changes', () => {
    const d = logprobDeltas(scores);
    const s = deltaSummary(d);
    const dl = [1, 2, 3].map((t) => d.delta[t] as number);
    const kls = [1, 2, 3].map((t) => d.kl[t] as number);
    expect(s.n).toBe(3);
    expect(s.sumDelta).toBeCloseTo(dl.reduce((a, b) => a + b, 0), 12);
    expect(s.meanDelta).toBeCloseTo(s.sumDelta / 3, 12);
    expect(s.sumKl).toBeCloseTo(kls.reduce((a, b) => a + b, 0), 12);
    expect(s.maxKl).toBe(Math.max(...kls));
    expect(s.maxKlPos).toBe(1 + kls.indexOf(Math.max(...kls)));
    const g = deltaSummary(d, 2);
    expect(g.n).toBe(2);
    expect(g.sumDelta).toBeCloseTo(dl[1]! + dl[2]!, 12);
    const top = largestDeltas(d, 2);
    expect(top).toHaveLength(2);
    expect(Math.abs(top[0]!.delta)).toBeGreaterThanOrEqual(Math.abs(top[1]!.delta));
    expect(Math.abs(top[1]!.delta)).toBeGreaterThanOrEqual(Math.min(...dl.map(Math.abs)));
    expect(deltaSummary(d, 5)).toMatchObject({ n: 0, sumDelta: 0, maxKlPos: -1 });
  });

  it('signed numbers read with a true minus', () => {
    expect(signed(-0.70612)).toBe('−0.7061');
    expect(signed(0.01234)).toBe('+0.0123');
    expect(signed(0)).toBe('±0.0000');
    expect(signed(-0.00001)).toBe('±0.0000');
    expect(signed(NaN)).toBe('—');
    expect(signed(1.5, 1)).toBe('+1.5');
  });
});

describe('the pair', () => {
  const runs = { run1: run('run1'), run2: run('run2', { interventions: [CLAMP] }), run3: run('run3'), run4: run('run4', { interventions: [ZERO] }) };
  const derivedFrom = { run2: 'run1', run4: 'run3', gone: 'run9' };
  const order = ['run1', 'run2', 'run3', 'run4'];

  it('a re-run starts from the current run, or from its baseline when the current run is a re-run', () => {
    expect(rerunBase(runs.run1, runs, derivedFrom)?.id).toBe('run1');
    expect(rerunBase(runs.run2, runs, derivedFrom)?.id).toBe('run1');
    expect(rerunBase(run('solo', { interventions: [CLAMP] }), runs, derivedFrom)?.id).toBe('solo');
    expect(rerunBase(null, runs, derivedFrom)).toBeNull();
    expect(baselineOf('gone', runs, derivedFrom)).toBeNull();
  });

  it('the shown re-run: the chosen one, else the current one, else the newest of the current run, else the newest', () => {
    expect(pickIntervened('run2', 'run3', order, runs, derivedFrom)).toBe('run2');
    expect(pickIntervened(null, 'run4', order, runs, derivedFrom)).toBe('run4');
    expect(pickIntervened(null, 'run1', order, runs, derivedFrom)).toBe('run2');
    expect(pickIntervened('run1', 'run3', order, runs, derivedFrom)).toBe('run4');
    expect(pickIntervened(null, null, order, runs, derivedFrom)).toBe('run4');
    expect(pickIntervened(null, 'run1', ['run1'], { run1: runs.run1 }, {})).toBeNull();
  });
});

describe('labels and exports', () => {
  it('runs with interventions are labelled with describeIntervention’s text', () => {
    expect(runLabel(run('a'))).toBe('regla');
    expect(runLabel(run('b', { interventions: [CLAMP] }))).toBe('regla · clamp g to [0, 0.9] · layers 0–3');
    expect(interventionsText([CLAMP, ZERO])).toBe('clamp g to [0, 0.9] · layers 0–3 + zero head 0 · layer 1');
    expect(interventionsText([])).toBe('');
  });

  it('capture JSON and the safetensors header list the interventions (kind, params, text)', () => {
    const config = parseConfig({ ...VARIANTS['regla'], num_hidden_layers: 4 });
    const data = new Float32Array([1, 2, 3, 4]);
    const r = run('run2', {
      interventions: [CLAMP, ZERO],
      tokens: toks([1, 2, 3]),
      analysis: { T: 3, records: [], ms: 1, dumps: new Map([['gate.a@0', { layer: 0, point: 'gate.a', pos0: 0, rows: 2, rowShape: [2], data }]]) },
    });
    const f = captureFiles(r, config);
    const json = JSON.parse(f.json) as { interventions: unknown[]; format: string };
    expect(json.format).toBe('regla-capture');
    expect(json.interventions).toEqual([
      { kind: 'clamp_g', layers: [0, 1, 2, 3], min: 0, max: 0.9, text: 'clamp g to [0, 0.9] · layers 0–3' },
      { kind: 'scale_head', layer: 1, head: 0, scale: 0, text: 'zero head 0 · layer 1' },
    ]);
    const st = readSafetensors(f.safetensors, 'capture');
    expect(JSON.parse(st.header.metadata['interventions'] ?? 'null')).toEqual(json.interventions);
    expect(JSON.parse(captureFiles({ ...r, interventions: [] }, config).json).interventions).toEqual([]);
    // Records are copies: editing an export never reaches the run.
    const rec = interventionRecords([CLAMP])[0] as { layers: unknown };
    expect(rec.layers).toEqual([0, 1, 2, 3]);
    expect(rec.layers).not.toBe((CLAMP as { layers: unknown }).layers);
  });

  it('the Chrome trace metadata carries the run id and its interventions', () => {
    const report: ProfileReport = {
      variant: 'regla',
      mode: 'per-op',
      promptTokens: 2,
      decodeTokens: 0,
      repeat: 1,
      warmup: 0,
      adapter: {},
      features: [],
      precision: { timestamps: false, quantized: false, quantumNs: NaN },
      records: [],
      spans: [],
      gpuSpans: [],
      perOp: [],
      totals: { prefillMs: 1, decodeMsPerToken: NaN, source: 'cpu', cpuPrefillMs: 1, cpuDecodeMsPerToken: NaN },
    };
    const trace = toChromeTrace(report, runTraceMeta(run('run2', { interventions: [ZERO] }), { adapter: { description: 'x' } }));
    expect(trace.otherData['runId']).toBe('run2');
    expect(trace.otherData['interventions']).toEqual([{ kind: 'scale_head', layer: 1, head: 0, scale: 0, text: 'zero head 0 · layer 1' }]);
    expect(trace.otherData['adapter']).toEqual({ description: 'x' });
  });
});
