// The Compare panel's pure parts: the layer × token gate matrix, diffs, log-probability summaries,
// where sequences part, the approximate KL from top-k lists, kernel time deltas, and the token
// window / line chart geometry of viz/compare.ts.
import { describe, expect, it } from 'vitest';
import { parseConfig, type OpStats, type ProfileReport } from '../../shaders/index.js';
import { approxKl, commonPrefix, diffMatrix, finiteMean, formatDelta, gateLayerToken, hasFinite, klSeries, logprobSummary, opDeltas, sameTokens, sliceCols } from '../../renderer/panels/compare/logic.js';
import { dumpKey, type Analysis, type DumpTensor, type TokenView } from '../../renderer/state/types.js';
import { clampWindow, panWindow, runColor, seriesChart, tokenTicks, zoomWindow } from '../../renderer/viz/compare.js';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

function tok(pos: number, id: number, logprob: number | null, prompt = false, top: TokenView['top'] = []): TokenView {
  return { pos, id, text: `t${id}`, prompt, logprob, entropy: null, top };
}

describe('gateLayerToken', () => {
  // GLA, 3 layers; only layer 1 has a gate dump: T = 2 tokens, 2 kv heads, 2 channels.
  const config = parseConfig({ hidden_size: 8, num_hidden_layers: 3, num_heads: 2, vocab_size: 16, intermediate_size: 16, model_type: 'gla' });
  const a = new Float32Array([
    // t0: h0 (0, 1), h1 (2, 3)
    0, 1, 2, 3,
    // t1: h0 (-1, -2), h1 (4, 5)
    -1, -2, 4, 5,
  ]);
  const dump: DumpTensor = { layer: 1, point: 'gate.a', pos0: 0, rows: 2, rowShape: [2, 2], data: a };
  const analysis: Analysis = { T: 2, records: [], dumps: new Map([[dumpKey('gate.a', 1), dump]]), ms: 0 };

  it('averages g over one head per token and leaves undumped layers NaN', () => {
    const m = gateLayerToken(analysis, config, 'g', 0);
    expect(m.rows).toBe(3);
    expect(m.cols).toBe(2);
    expect(Number.isNaN(m.values[0])).toBe(true);
    expect(Number.isNaN(m.values[5])).toBe(true);
    expect(m.values[2]).toBeCloseTo((sig(0) + sig(1)) / 2, 12);
    expect(m.values[3]).toBeCloseTo((sig(-1) + sig(-2)) / 2, 12);
  });

  it('averages over all heads for head < 0, and F = exp(log σ(a) / τ)', () => {
    const all = gateLayerToken(analysis, config, 'g', -1);
    expect(all.values[2]).toBeCloseTo((sig(0) + sig(1) + sig(2) + sig(3)) / 4, 12);
    const F = gateLayerToken(analysis, config, 'F', 1);
    const tau = config.gateLogitNormalizer;
    expect(tau).toBeGreaterThan(1);
    expect(F.values[1 * 2 + 1]).toBeCloseTo((Math.exp(Math.log(sig(4)) / tau) + Math.exp(Math.log(sig(5)) / tau)) / 2, 6);
  });

  it('is all NaN for a quantity the gate lacks (r on a plain GLA gate)', () => {
    const r = gateLayerToken(analysis, config, 'r', 0);
    expect([...r.values].every(Number.isNaN)).toBe(true);
    expect(hasFinite(r)).toBe(false);
    expect(hasFinite(gateLayerToken(analysis, config, 'g', 0))).toBe(true);
    expect(hasFinite(null)).toBe(false);
  });
});

describe('diffMatrix / sliceCols', () => {
  const a = { rows: 2, cols: 3, values: Float64Array.from([1, 2, 3, 4, 5, 6]) };
  const b = { rows: 2, cols: 2, values: Float64Array.from([10, 20, 30, 40]) };
  it('subtracts run 0 over the shared columns', () => {
    const d = diffMatrix(a, b);
    expect(d).not.toBeNull();
    expect(d?.cols).toBe(2);
    expect([...(d?.values ?? [])]).toEqual([9, 18, 26, 35]);
  });
  it('refuses different layer counts', () => {
    expect(diffMatrix(a, { rows: 1, cols: 3, values: Float64Array.from([1, 2, 3]) })).toBeNull();
  });
  it('slices a column window', () => {
    const s = sliceCols(a, 1, 3);
    expect(s.cols).toBe(2);
    expect([...s.values]).toEqual([2, 3, 5, 6]);
    expect(sliceCols(a, 2, 99).cols).toBe(1);
  });
});

describe('log-probability summaries', () => {
  const toks = [tok(0, 5, null, true), tok(1, 6, -1, true), tok(2, 7, -3, true), tok(3, 8, -2), tok(4, 9, -4)];
  it('means and perplexities per part', () => {
    const all = logprobSummary(toks);
    expect(all.n).toBe(4);
    expect(all.mean).toBeCloseTo(-2.5, 12);
    expect(all.perplexity).toBeCloseTo(Math.exp(2.5), 10);
    expect(logprobSummary(toks, 'prompt').mean).toBeCloseTo(-2, 12);
    expect(logprobSummary(toks, 'generated').perplexity).toBeCloseTo(Math.exp(3), 10);
    expect(Number.isNaN(logprobSummary([tok(0, 1, null)]).mean)).toBe(true);
  });
  it('finds where two sequences part', () => {
    const other = [tok(0, 5, null), tok(1, 6, -1), tok(2, 7, -1), tok(3, 1, -1), tok(4, 9, -1)];
    expect(commonPrefix(toks, other)).toBe(3);
    expect(sameTokens(toks, other)).toBe(false);
    expect(sameTokens(toks, toks.map((t) => ({ ...t })))).toBe(true);
    expect(sameTokens(toks, toks.slice(0, 4))).toBe(false);
  });
  it('finiteMean skips NaN', () => {
    expect(finiteMean([1, NaN, 3])).toBe(2);
    expect(Number.isNaN(finiteMean([NaN]))).toBe(true);
  });
});

describe('approximate KL from top-k lists', () => {
  it('is 0 for identical distributions', () => {
    const p = [{ id: 1, p: 0.5 }, { id: 2, p: 0.3 }, { id: 3, p: 0.1 }];
    expect(approxKl(p, p)).toBeCloseTo(0, 12);
  });
  it('is exact when the lists hold all the mass', () => {
    const p = [{ id: 1, p: 0.7 }, { id: 2, p: 0.3 }];
    const q = [{ id: 1, p: 0.4 }, { id: 2, p: 0.6 }];
    const exact = 0.7 * Math.log(0.7 / 0.4) + 0.3 * Math.log(0.3 / 0.6);
    expect(approxKl(p, q)).toBeCloseTo(exact, 12);
    expect(approxKl(q, p)).toBeCloseTo(0.4 * Math.log(0.4 / 0.7) + 0.6 * Math.log(0.6 / 0.3), 12);
  });
  it('coarse-grains the rest and fills ids missing from one list', () => {
    // P keeps {1: .6, 2: .2}, rest .2; Q keeps {1: .3, 3: .5}, rest .2.
    const p = [{ id: 1, p: 0.6 }, { id: 2, p: 0.2 }];
    const q = [{ id: 1, p: 0.3 }, { id: 3, p: 0.5 }];
    // P misses id 3: each = min(.2, .2/2) = .1, rest .1; Q misses id 2: each = min(.3, .2/2) = .1, rest .1.
    const expected = 0.6 * Math.log(0.6 / 0.3) + 0.2 * Math.log(0.2 / 0.1) + 0.1 * Math.log(0.1 / 0.5) + 0.1 * Math.log(0.1 / 0.1);
    expect(approxKl(p, q)).toBeCloseTo(expected, 12);
    expect(approxKl(p, q)).toBeGreaterThan(0);
  });
  it('is NaN without lists', () => {
    expect(Number.isNaN(approxKl([], [{ id: 1, p: 1 }]))).toBe(true);
  });
  it('per token only while the prefixes agree', () => {
    const t = [{ id: 1, text: 'a', p: 0.9 }, { id: 2, text: 'b', p: 0.1 }];
    const u = [{ id: 1, text: 'a', p: 0.5 }, { id: 2, text: 'b', p: 0.5 }];
    const a = [tok(0, 1, null), tok(1, 1, -0.1, false, t), tok(2, 2, -2, false, t), tok(3, 1, -1, false, t)];
    const b = [tok(0, 1, null), tok(1, 1, -0.7, false, u), tok(2, 1, -0.7, false, u), tok(3, 1, -1, false, u)];
    const kl = klSeries(a, b);
    expect(Number.isNaN(kl[0])).toBe(true);
    const exact = 0.9 * Math.log(0.9 / 0.5) + 0.1 * Math.log(0.1 / 0.5);
    expect(kl[1]).toBeCloseTo(exact, 12);
    // Tokens 0–1 agree, token 2 differs: position 2 still conditions on 0–1, position 3 does not.
    expect(kl[2]).toBeCloseTo(exact, 12);
    expect(Number.isNaN(kl[3])).toBe(true);
  });
});

describe('kernel time deltas', () => {
  const op = (phase: OpStats['phase'], name: string, medianUs: number): OpStats => ({ phase, op: name, kernel: `${name}.wgsl`, count: 1, medianUs, p10Us: medianUs, p90Us: medianUs, gflops: NaN, gbps: NaN });
  const report = (perOp: OpStats[]): ProfileReport => ({ perOp }) as unknown as ProfileReport;
  it('joins ops across runs, deltas vs run 0, prefill first and slowest first', () => {
    const rows = opDeltas([report([op('prefill', 'gla', 100), op('prefill', 'norm', 10), op('decode', 'gla', 20)]), report([op('prefill', 'gla', 80), op('decode', 'gla', 30), op('prefill', 'softmax', 50)]), null]);
    expect(rows.map((r) => `${r.phase}:${r.op}`)).toEqual(['prefill:gla', 'prefill:norm', 'prefill:softmax', 'decode:gla']);
    const gla = rows[0];
    expect(gla?.us[0]).toBe(100);
    expect(gla?.us[1]).toBe(80);
    expect(Number.isNaN(gla?.us[2])).toBe(true);
    expect(gla?.delta[1]).toBe(-20);
    expect(gla?.rel[1]).toBeCloseTo(-0.2, 12);
    expect(rows[3]?.delta[1]).toBe(10);
    expect(Number.isNaN(rows[2]?.delta[1])).toBe(true); // run 0 lacks softmax
  });
  it('formats deltas with sign and percent', () => {
    expect(formatDelta(-20, -0.2)).toBe('−20.0 µs (−20.0 %)');
    expect(formatDelta(5, 0.05, 'ms')).toBe('+5.0 ms (+5.0 %)');
    expect(formatDelta(NaN, NaN)).toBe('—');
  });
});

describe('viz/compare: token window and line chart', () => {
  it('clamps, zooms about a token and pans', () => {
    expect(clampWindow({ lo: -5, hi: 10 }, 100)).toEqual({ lo: 0, hi: 15 });
    expect(clampWindow({ lo: 95, hi: 110 }, 100)).toEqual({ lo: 85, hi: 100 });
    expect(clampWindow({ lo: 0, hi: 2 }, 100)).toEqual({ lo: 0, hi: 4 });
    const z = zoomWindow({ lo: 0, hi: 100 }, 50, 0.5, 100);
    expect(z).toEqual({ lo: 25, hi: 75 });
    const z2 = zoomWindow({ lo: 0, hi: 100 }, 10, 0.5, 100);
    expect(z2.hi - z2.lo).toBe(50);
    expect(z2.lo).toBe(5); // token 10 stays at 10 % of the window
    expect(zoomWindow(z, 50, 4, 100)).toEqual({ lo: 0, hi: 100 });
    expect(panWindow({ lo: 10, hi: 20 }, 85, 100)).toEqual({ lo: 90, hi: 100 });
  });
  it('places token columns like the heatmap and maps pixels back', () => {
    const c = seriesChart([Float64Array.from([NaN, -1, -2, -3]), Float64Array.from([NaN, -0.5, NaN, -4])], { lo: 0, hi: 4 }, 444, 100, [0]);
    const colW = (c.plot.right - c.plot.left) / 4;
    expect(c.x(0)).toBeCloseTo(c.plot.left + colW / 2, 9);
    expect(c.posAt(c.plot.left + colW * 2.5)).toBe(2);
    expect(c.posAt(c.plot.left - 1)).toBeNull();
    expect(c.yDomain[0]).toBeLessThanOrEqual(-4);
    expect(c.yDomain[1]).toBeGreaterThanOrEqual(0);
    // The second series breaks at its NaN: two move-tos.
    expect((c.paths[1]?.match(/M/g) ?? []).length).toBe(2);
    expect((c.paths[0]?.match(/M/g) ?? []).length).toBe(1);
  });
  it('labels integer tokens inside the window and cycles colours', () => {
    const t = tokenTicks(3, 20, 5);
    expect(t.every((v) => Number.isInteger(v) && v >= 3 && v < 20)).toBe(true);
    expect(t.length).toBeGreaterThan(1);
    expect(tokenTicks(5, 5)).toEqual([]);
    expect(runColor(0)).not.toBe(runColor(1));
    expect(runColor(6)).toBe(runColor(0));
  });
});
