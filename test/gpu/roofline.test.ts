// Roofline microbenchmarks on lavapipe: the FMA kernel's output equals its float32 twin (simulated
// step by step with Math.fround) and its closed form; the stream kernel's per-workgroup sums equal
// the CPU's; measureDevicePeaks returns finite figures; placeOnRoofline / rooflineTable arithmetic.
// Never asserts timings.

import { describe, expect, it } from 'vitest';
import { fmaBench, measureDevicePeaks, placeOnRoofline, rooflineTable, streamBench, streamWorkgroups } from '../../shaders/profile/roofline.js';
import { opStats, type ProfileRecord, type ProfileReport } from '../../shaders/profile/profile.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

const f = Math.fround;
const WG = 256;

/** float32 twin of fma_peak: out[gid·4 + lane] for `steps` = 8 · iterations. */
function fmaTwin(threads: number, iterations: number, m: number, c: number): Float32Array {
  const out = new Float32Array(threads * 4);
  for (let gid = 0; gid < threads; gid++) {
    for (let l = 0; l < 4; l++) {
      const a = [0, 1, 2, 3].map((j) => {
        let x = f(f(gid & 255) + 0.25 * l + j);
        for (let s = 0; s < 8 * iterations; s++) x = f(x * m + c); // m = 2^-k: the product is exact
        return x;
      });
      out[gid * 4 + l] = f(f((a[0] as number) + (a[1] as number)) + f((a[2] as number) + (a[3] as number)));
    }
  }
  return out;
}

describe('microbench kernels', () => {
  for (const [iterations, m, c] of [
    [2, 0.5, 1],
    [1, 0.5, -0.25],
  ] as const) {
    it(`fma_peak equals its float32 twin (iterations ${iterations}, m ${m}, c ${c})`, async () => {
      const ctx = await getContext();
      const wgs = 3;
      const out = fmaBench(ctx, { workgroups: wgs, iterations, m, c });
      try {
        const got = await ctx.readF32(out);
        const want = fmaTwin(wgs * WG, iterations, m, c);
        expect(got.length).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)));
        expect(worst).toBe(0);
        // Closed form x_n = x0·m^n + c·(1 - m^n)/(1 - m), summed over the 4 chains (x0 + j).
        const n = 8 * iterations;
        const mn = m ** n;
        for (const gid of [0, 1, 255, 256, 700]) {
          for (let l = 0; l < 4; l++) {
            const x0 = (gid & 255) + 0.25 * l;
            const closed = [0, 1, 2, 3].reduce((s, j) => s + (x0 + j) * mn + (c * (1 - mn)) / (1 - m), 0);
            expect(Math.abs((got[gid * 4 + l] as number) - closed)).toBeLessThan(1e-5);
          }
        }
      } finally {
        out.dispose();
      }
    });
  }

  for (const nVec4 of [10003, 257]) {
    it(`stream_read per-workgroup sums equal the CPU's (${nVec4} vec4)`, async () => {
      const ctx = await getContext();
      const data = new Float32Array(nVec4 * 4);
      for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 13) - 6; // small integers: exact sums
      const x = ctx.upload(data, [data.length], 'x');
      const out = streamBench(ctx, x);
      try {
        const got = await ctx.readF32(out);
        const wgs = streamWorkgroups(nVec4);
        expect(got.length).toBe(wgs * 4);
        const stride = wgs * WG;
        const want = new Float64Array(wgs * 4);
        for (let i = 0; i < nVec4; i++) {
          const w = Math.floor((i % stride) / WG);
          for (let l = 0; l < 4; l++) want[w * 4 + l] = (want[w * 4 + l] as number) + (data[i * 4 + l] as number);
        }
        expect(Array.from(got)).toEqual(Array.from(want));
        const total = Array.from(got).reduce((s, v) => s + v, 0);
        const cpu = data.reduce((s, v) => s + v, 0);
        expect(Math.abs(total - cpu)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(cpu)));
      } finally {
        x.dispose();
        out.dispose();
      }
    });
  }

  it('measureDevicePeaks returns finite positive peaks and per-kernel samples', async () => {
    const ctx = await getContext();
    const p = await measureDevicePeaks(ctx, { sizeMiB: 1, iterations: 4, fmaWorkgroups: 4, repeats: 2, warmup: 1 });
    expect(p.timestamped).toBe(ctx.features.has('timestamp-query'));
    for (const v of [p.flopsPerS, p.bytesPerS]) expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(p.fmaKernel.samplesMs).toHaveLength(2);
    expect(p.streamKernel.samplesMs).toHaveLength(2);
    expect(p.fmaKernel.flops).toBe(4 * WG * 4 * 256);
    expect(p.streamKernel.bytes).toBe(1048576);
    expect(p.streamKernel.workgroups).toBe(streamWorkgroups(65536));
    await expect(measureDevicePeaks(ctx, { repeats: 0 })).rejects.toThrow(RangeError);
  });

  it('targetMs sizes the kernels from probes, within the default bounds', async () => {
    const ctx = await getContext();
    const p = await measureDevicePeaks(ctx, { targetMs: 5, repeats: 1, warmup: 0 });
    const threads = p.fmaKernel.workgroups * WG;
    expect(p.fmaKernel.workgroups).toBeGreaterThanOrEqual(64);
    expect(p.fmaKernel.workgroups).toBeLessThanOrEqual(2048);
    const iterations = p.fmaKernel.flops / (threads * 256);
    expect(Number.isInteger(iterations) && iterations >= 16 && iterations <= 1024).toBe(true);
    expect(p.streamKernel.bytes).toBeGreaterThanOrEqual(4 << 20);
    expect(p.streamKernel.bytes).toBeLessThanOrEqual(256 << 20);
    for (const v of [p.flopsPerS, p.bytesPerS]) expect(Number.isFinite(v) && v > 0).toBe(true);
  });
});

describe('roofline placement', () => {
  const peaks = { flopsPerS: 1e12, bytesPerS: 1e11 }; // ridge at 10 flop/byte

  it('placeOnRoofline: memory- and compute-bound ops', () => {
    const mem = placeOnRoofline({ gflops: 50, gbps: 25 }, peaks);
    expect(mem.intensity).toBe(2);
    expect(mem.attainableGflops).toBeCloseTo(200, 9);
    expect(mem.fractionOfRoof).toBeCloseTo(0.25, 12);
    expect(mem.bound).toBe('memory');
    const comp = placeOnRoofline({ gflops: 800, gbps: 20 }, peaks);
    expect(comp.intensity).toBe(40);
    expect(comp.attainableGflops).toBe(1000);
    expect(comp.fractionOfRoof).toBeCloseTo(0.8, 12);
    expect(comp.bound).toBe('compute');
    const ridge = placeOnRoofline({ gflops: 100, gbps: 10 }, peaks);
    expect(ridge.attainableGflops).toBeCloseTo(1000, 9);
    const untimed = placeOnRoofline({ gflops: NaN, gbps: NaN }, peaks, 5);
    expect(untimed.attainableGflops).toBeCloseTo(500, 9);
    expect(untimed.fractionOfRoof).toBeNaN();
  });

  it('rooflineTable takes intensity from the records, with or without times', () => {
    const rec = (op: string, flops: number, bytes: number, ns: number): ProfileRecord => ({
      variant: 'v', repeat: 0, layer: 0, op, kernel: op, phase: 'prefill', token: 0, workgroups: [1, 1, 1], flops, bytes, startNs: 0, endNs: ns,
    });
    const timed = [rec('a', 4000, 1000, 100), rec('a', 4000, 1000, 100), rec('b', 1e6, 1e4, 1000)];
    const untimed = [rec('c', 300, 100, NaN)];
    const records = [...timed, ...untimed];
    const report = { records, perOp: opStats(records, 1) } as Pick<ProfileReport, 'records' | 'perOp'> as ProfileReport;
    const rows = rooflineTable(report, peaks);
    const by = (op: string) => rows.find((r) => r.op === op)!;
    // a: 8000 flops / 200 ns = 40 GFLOP/s, intensity 4 → roof 400 GFLOP/s.
    expect(by('a').intensity).toBe(4);
    expect(by('a').gflops).toBe(40);
    expect(by('a').attainableGflops).toBeCloseTo(400, 9);
    expect(by('a').fractionOfRoof).toBeCloseTo(0.1, 12);
    // b: 1000 GFLOP/s at intensity 100 → compute roof, fraction 1.
    expect(by('b').bound).toBe('compute');
    expect(by('b').fractionOfRoof).toBeCloseTo(1, 12);
    // c: untimed, intensity 3 still known.
    expect(by('c').intensity).toBe(3);
    expect(by('c').attainableGflops).toBeCloseTo(300, 9);
    expect(by('c').fractionOfRoof).toBeNaN();
  });
});
