// Runner.sweep (the Sweeps panel's engine side) on Dawn: rows stream length by length with the
// engine's memory accounting, the softmax baseline is added and disposed, a cancel stops between
// rows, bad fields are refused, and the open session is left reset at its own chunk size.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFolder } from '../../main/cli/model-folder.js';
import { kvBytesPerPosition, softmaxBaselineConfig, type Session, type SweepRow } from '../../shaders/index.js';
import { Runner } from '../../renderer/session/runner.js';
import type { ModelRef } from '../../renderer/state/types.js';
import { getContext } from './gpu.js';

const REF: ModelRef = { key: 'sample:regla', name: 'regla', kind: 'sample', variant: 'regla' };

describe('Runner.sweep', () => {
  let runner: Runner;
  let session: Session;
  beforeAll(async () => {
    runner = new Runner(await getContext());
    await runner.load(REF, nodeFolder('samples/models/regla'));
    session = (runner as unknown as { open: Map<string, { session: Session }> }).open.get(REF.key)?.session as Session;
  });
  afterAll(() => runner.dispose());

  it('streams every (variant, chunk, T) row with the softmax baseline, then disposes it', async () => {
    const ctx = runner.ctx;
    await ctx.sync();
    const live = ctx.memory.liveTensors;
    const streamed: SweepRow[] = [];
    const seen: string[][] = [];
    session.chunkSize = 64;
    const rows = await runner.sweep([REF.key], {
      seq: [16, 48],
      chunk: [16, 32],
      decode: 2,
      repeat: 1,
      softmax: true,
      signal: new AbortController().signal,
      onRow: (r) => streamed.push(r),
      onVariants: (v) => seen.push(v.map((x) => `${x.name}:${x.key}:${x.baseline}:${x.softmaxLayers}`)),
    });
    expect(seen).toEqual([['regla:sample:regla:false:false', 'softmax:null:true:true']]);
    expect(rows).toEqual(streamed);
    // T by T, each length for every chunk and variant.
    expect(rows.map((r) => `${r.variant}/${r.chunk}/${r.T}`)).toEqual([
      'regla/16/16',
      'softmax/16/16',
      'regla/32/16',
      'softmax/32/16',
      'regla/16/48',
      'softmax/16/48',
      'regla/32/48',
      'softmax/32/48',
    ]);
    for (const r of rows) {
      expect(r.prefillMs).toBeGreaterThan(0);
      expect(r.decodeMsPerToken).toBeGreaterThan(0);
    }
    const lin = rows.filter((r) => r.variant === 'regla');
    // Linear attention: a fixed-size state, no KV cache.
    expect(new Set(lin.map((r) => r.stateBytes)).size).toBe(1);
    expect(lin[0]?.stateBytes).toBeGreaterThan(0);
    expect(lin.every((r) => r.kvCacheBytes === 0 && r.kvUsedBytes === 0)).toBe(true);
    const perPos = kvBytesPerPosition(softmaxBaselineConfig(session.config));
    expect(perPos).toBeGreaterThan(0);
    for (const r of rows.filter((x) => x.variant === 'softmax')) {
      expect(r.kvUsedBytes).toBe(perPos * (r.T + 2));
      expect(r.kvCacheBytes).toBeGreaterThanOrEqual(r.kvUsedBytes);
    }
    // The open session is reset at its own chunk size; the baseline's tensors are gone.
    expect(session.position).toBe(0);
    expect(session.chunkSize).toBe(64);
    await ctx.sync();
    expect(ctx.memory.liveTensors).toBe(live);
  });

  it('stops between rows when cancelled', async () => {
    const ac = new AbortController();
    const streamed: SweepRow[] = [];
    const rows = await runner.sweep([REF.key], {
      seq: [16, 32, 48],
      chunk: [16],
      decode: 0,
      repeat: 2,
      softmax: false,
      signal: ac.signal,
      onRow: (r) => {
        streamed.push(r);
        ac.abort();
      },
    });
    expect(rows).toHaveLength(1);
    expect(streamed).toHaveLength(1);
    expect(rows[0]?.decodeMsPerToken).toBeNaN();
    expect(session.position).toBe(0);
    const none = await runner.sweep([REF.key], { seq: [16], chunk: [16], decode: 0, repeat: 1, softmax: false, signal: AbortSignal.abort(), onRow: () => undefined });
    expect(none).toEqual([]);
  });

  it('refuses bad fields and unknown models', async () => {
    const base = { seq: [16], chunk: [16], decode: 0, repeat: 1, softmax: false, signal: new AbortController().signal, onRow: () => undefined };
    await expect(runner.sweep([REF.key], { ...base, chunk: [40] })).rejects.toThrow(/multiple of 16/);
    await expect(runner.sweep([REF.key], { ...base, seq: [0] })).rejects.toThrow(/integer ≥ 1/);
    await expect(runner.sweep([REF.key], { ...base, repeat: 0 })).rejects.toThrow(/repeat/);
    await expect(runner.sweep(['sample:nope'], base)).rejects.toThrow(/not open/);
  });
});
