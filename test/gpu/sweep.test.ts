// sweep() over the tiny 'regla' (all GLA layers) and 'softmax' (all softmax layers) variants on
// lavapipe: every row present and finite, the exact recurrent-state and KV-cache byte counts
// (state constant in T, KV cache growing), crossover() interpolation and memoryTable() on
// synthetic/measured rows, no leaked tensors. Never asserts timings.

import { describe, expect, it } from 'vitest';
import { featureDim, parseConfig, softmaxHeadDim } from '../../shaders/model/config.js';
import { mapSource, randomWeights } from '../../shaders/model/weights.js';
import { crossover, hasSoftmaxLayers, kvBytesPerPosition, memoryTable, softmaxBaselineConfig, sweep, type SweepRow } from '../../shaders/profile/sweep.js';
import { checkLeaks, getContext } from './gpu.js';
import { VARIANTS } from './variants.js';

checkLeaks();

const regla = parseConfig(VARIANTS['regla']!);
const softmax = parseConfig(VARIANTS['softmax']!);
// 260 + decode crosses the KV cache's 256-position minimum capacity, so its allocation grows.
const SEQ = [16, 48, 260];
const CHUNKS = [16, 32];
const DECODE = 2;

describe('sweep', () => {
  it('regla vs softmax: complete rows and exact state / KV-cache bytes', async () => {
    const ctx = await getContext();
    const live = ctx.memory.liveTensors;
    const rows = await sweep(ctx, {
      configs: [
        { name: 'regla', config: regla, weights: randomWeights(regla, { seed: 3 }) },
        { name: 'softmax', config: VARIANTS['softmax']!, weights: randomWeights(softmax, { seed: 4 }) },
      ],
      seqLens: SEQ,
      chunkSizes: CHUNKS,
      decodeTokens: DECODE,
      repeat: 1,
    });
    expect(ctx.memory.liveTensors).toBe(live);
    expect(rows.map((r) => `${r.variant}/${r.chunk}/${r.T}`)).toEqual(
      ['regla', 'softmax'].flatMap((v) => CHUNKS.flatMap((c) => SEQ.map((T) => `${v}/${c}/${T}`))),
    );
    for (const r of rows) {
      expect(Number.isFinite(r.prefillMs) && r.prefillMs > 0).toBe(true);
      expect(Number.isFinite(r.decodeMsPerToken) && r.decodeMsPerToken > 0).toBe(true);
    }

    // GLA layers: S [Hkv, dkf, dv] + z [Hkv, dkf] + key max [Hkv], f32, no conv; no KV cache.
    const dkf = featureDim(regla);
    const glaState = regla.numLayers * regla.numKvHeads * (dkf * regla.headDimV + dkf + 1) * 4;
    expect(glaState).toBe(2 * 2 * (8 * 16 + 8 + 1) * 4); // regla: expand_k 0.5 → dkf 8, dv 16
    for (const r of rows.filter((x) => x.variant === 'regla')) {
      expect(r.stateBytes).toBe(glaState);
      expect(r.kvCacheBytes).toBe(0);
      expect(r.kvUsedBytes).toBe(0);
    }

    // Softmax layers: K and V [capacity, Hkv, hd] each, capacity = max(256, 2^ceil(log2(positions))).
    const hd = softmaxHeadDim(softmax);
    const perPos = softmax.numLayers * 2 * softmax.numKvHeads * hd * 4;
    expect(kvBytesPerPosition(softmax)).toBe(perPos);
    expect(kvBytesPerPosition(regla)).toBe(0);
    for (const r of rows.filter((x) => x.variant === 'softmax')) {
      const pos = r.T + DECODE;
      const cap = Math.max(256, 2 ** Math.ceil(Math.log2(pos)));
      expect(r.stateBytes).toBe(0);
      expect(r.kvCacheBytes).toBe(perPos * cap);
      expect(r.kvUsedBytes).toBe(perPos * pos);
    }

    const mem = memoryTable(rows);
    expect(mem.map((m) => `${m.variant}/${m.T}`)).toEqual(['regla', 'softmax'].flatMap((v) => SEQ.map((T) => `${v}/${T}`)));
    const sm = mem.filter((m) => m.variant === 'softmax');
    for (let i = 1; i < sm.length; i++) {
      expect(sm[i]!.kvUsedBytes).toBeGreaterThan(sm[i - 1]!.kvUsedBytes);
      expect(sm[i]!.kvCacheBytes).toBeGreaterThanOrEqual(sm[i - 1]!.kvCacheBytes);
    }
    expect(sm.at(-1)!.kvCacheBytes).toBeGreaterThan(sm[0]!.kvCacheBytes);
    for (const m of mem) expect(m.totalBytes).toBe(m.stateBytes + m.kvCacheBytes);
    expect(new Set(mem.filter((m) => m.variant === 'regla').map((m) => m.stateBytes)).size).toBe(1);
  });

  it("a weight source (a model folder's reader) and the engine's softmax baseline of a config", async () => {
    const ctx = await getContext();
    const base = softmaxBaselineConfig(VARIANTS['regla']!);
    expect(base.hybridSoftmaxLayers).toEqual([0, 1]);
    expect({ ...base, hybridSoftmaxLayers: [] }).toEqual(regla);
    expect(hasSoftmaxLayers(regla)).toBe(false);
    expect(hasSoftmaxLayers(base)).toBe(true);
    expect(hasSoftmaxLayers(VARIANTS['hybrid_regla']!)).toBe(true);
    const rows = await sweep(ctx, {
      configs: [
        { name: 'src', config: regla, weights: mapSource(randomWeights(regla, { seed: 3 })) },
        { name: 'softmax', config: base, weights: randomWeights(base, { seed: 1 }) },
      ],
      seqLens: [16],
      chunkSizes: [16],
      decodeTokens: 1,
      repeat: 1,
      warmup: 0,
    });
    expect(rows.map((r) => r.variant)).toEqual(['src', 'softmax']);
    expect(rows[1]!.kvUsedBytes).toBe(kvBytesPerPosition(base) * 17);
  });

  it('interleave: every session open at once, the variants alternating per cell, the same rows in chunk, T, variant order', async () => {
    const ctx = await getContext();
    const live = ctx.memory.liveTensors;
    const configs = [
      { name: 'regla', config: regla, weights: randomWeights(regla, { seed: 3 }) },
      { name: 'softmax', config: softmax, weights: randomWeights(softmax, { seed: 4 }) },
    ];
    const opts = { configs, seqLens: [16, 260], chunkSizes: [16, 32], decodeTokens: 1, repeat: 2, warmup: 1 };
    const seen: string[] = [];
    const inter = await sweep(ctx, { ...opts, interleave: true, onRow: (r) => seen.push(`${r.chunk}/${r.T}/${r.variant}`) });
    expect(ctx.memory.liveTensors).toBe(live);
    const order = [16, 32].flatMap((c) => [16, 260].flatMap((T) => ['regla', 'softmax'].map((v) => `${c}/${T}/${v}`)));
    expect(inter.map((r) => `${r.chunk}/${r.T}/${r.variant}`)).toEqual(order);
    expect(seen).toEqual(order);
    // warmupMs: discarded prefills before the first cell (more dispatches, the same rows).
    const d0 = ctx.dispatchCount;
    const plain = await sweep(ctx, opts);
    const d1 = ctx.dispatchCount;
    const warmed = await sweep(ctx, { ...opts, warmupMs: 200 });
    expect(ctx.dispatchCount - d1).toBeGreaterThan(d1 - d0);
    expect(warmed.map((r) => `${r.variant}/${r.chunk}/${r.T}`)).toEqual(plain.map((r) => `${r.variant}/${r.chunk}/${r.T}`));
    const key = (r: SweepRow): string => `${r.variant}/${r.chunk}/${r.T}`;
    const bytes = (r: SweepRow): number[] => [r.stateBytes, r.kvCacheBytes, r.kvUsedBytes];
    const byKey = new Map(plain.map((r) => [key(r), bytes(r)]));
    for (const r of inter) {
      expect(bytes(r)).toEqual(byKey.get(key(r)));
      expect(Number.isFinite(r.prefillMs) && r.prefillMs > 0 && Number.isFinite(r.decodeMsPerToken)).toBe(true);
    }
    expect(ctx.memory.liveTensors).toBe(live);
  });

  it('rejects bad options', async () => {
    const ctx = await getContext();
    const base = { configs: [], seqLens: [16], chunkSizes: [16], decodeTokens: 1, repeat: 1 };
    await expect(sweep(ctx, { ...base, repeat: 0 })).rejects.toThrow(RangeError);
    await expect(sweep(ctx, { ...base, seqLens: [0] })).rejects.toThrow(RangeError);
    await expect(sweep(ctx, { ...base, decodeTokens: -1 })).rejects.toThrow(RangeError);
  });
});

describe('crossover', () => {
  const row = (variant: string, T: number, chunk: number, prefillMs: number, decodeMsPerToken: number): SweepRow => ({
    variant, T, chunk, prefillMs, decodeMsPerToken, stateBytes: 0, kvCacheBytes: 0, kvUsedBytes: 0,
  });
  const rows: SweepRow[] = [
    // linear: best over chunks is chunk 64 (10, 14, 20); chunk 32 is slower everywhere.
    row('lin', 64, 64, 10, 1), row('lin', 128, 64, 14, 1), row('lin', 256, 64, 20, 1),
    row('lin', 64, 32, 11, 1), row('lin', 128, 32, 30, 1), row('lin', 256, 32, 50, 1),
    row('sm', 64, 64, 4, 0.5), row('sm', 128, 64, 16, 0.5), row('sm', 256, 64, 40, 2),
  ];

  it('interpolates between the last slower and the first faster length', () => {
    // d(64) = 6, d(128) = -2 → 64 + 64·6/8 = 112.
    expect(crossover(rows, 'lin', 'sm', 'prefill')).toBeCloseTo(112, 12);
    // Chunk 32 only: d(64) = 7, d(128) = 14, d(256) = 10 → never.
    expect(crossover(rows, 'lin', 'sm', 'prefill', 32)).toBeNull();
    // Decode: d = 0.5, 0.5, -1 → 128 + 128·0.5/1.5.
    expect(crossover(rows, 'lin', 'sm', 'decode')).toBeCloseTo(128 + 128 / 3, 12);
  });

  it('returns the first length when already no slower, null without common lengths', () => {
    expect(crossover(rows, 'sm', 'lin', 'prefill')).toBe(64);
    expect(crossover([...rows, row('x', 64, 64, 10, 1)], 'x', 'lin', 'prefill')).toBe(64); // equal counts
    expect(crossover(rows, 'lin', 'nothing', 'prefill')).toBeNull();
    expect(crossover([row('lin', 64, 64, NaN, NaN), row('sm', 64, 64, 1, 1)], 'lin', 'sm', 'decode')).toBeNull();
  });
});
