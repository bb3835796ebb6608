// The dense products of matmul.wgsl (tiled, NN, naive) and of gemv.wgsl's plain GEMV path against the
// float64 twin: odd and randomized shapes, every epilogue, every supported tile shape.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shaders/cpu/random.js';
import { matmul64, matmulNN64 } from '../../shaders/cpu/matmul.js';
import { swiglu64 } from '../../shaders/cpu/elementwise.js';
import { matmul, matmulNaive, matmulNN, matmulSegments, type MatmulSegment, type MatmulTile } from '../../shaders/ops/matmul.js';
import type { GpuContext } from '../../shaders/gpu/context.js';
import type { Tensor } from '../../shaders/gpu/tensor.js';
import { expectClose } from './compare.js';
import { checkLeaks, getContext } from './gpu.js';

checkLeaks();

function record(label: string, rel: number): void {
  console.log(`${label}: worst rel ${rel.toExponential(2)}`);
}

// f32 dot products of length K with unit-scale terms: error grows like √K·ε relative to |terms|.
const tol = (K: number): { rtol: number; atol: number } => ({ rtol: 2e-5, atol: 2e-6 * Math.sqrt(Math.max(K, 1)) * 4 });

function disposeAll(...ts: Array<Tensor | undefined>): void {
  for (const t of ts) t?.dispose();
}

interface Case {
  M: number;
  K: number;
  N: number;
  bias?: boolean;
  residual?: boolean;
  inplace?: boolean;
  path?: 'tiled' | 'gemv';
  tile?: MatmulTile;
}

async function runCase(ctx: GpuContext, c: Case, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const x = rng.normals(c.M * c.K);
  const w = rng.normals(c.N * c.K, 0.5);
  const b = c.bias ? rng.normals(c.N) : undefined;
  const r = c.residual ? rng.normals(c.M * c.N, 2) : undefined;
  const tx = ctx.upload(x, [c.M, c.K], 'x');
  const tw = ctx.upload(w, [c.N, c.K], 'w');
  const tb = b ? ctx.upload(b, [c.N], 'bias') : undefined;
  const tr = r ? ctx.upload(r, [c.M, c.N], 'residual') : undefined;
  const y = matmul(ctx, {
    x: tx,
    w: tw,
    bias: tb,
    residual: tr,
    out: c.inplace ? tr : undefined,
    ...(c.path ? { path: c.path } : {}),
    ...(c.tile ? { tile: c.tile } : {}),
  });
  if (c.inplace) expect(y).toBe(tr);
  const got = await ctx.readF32(y);
  const want = matmul64(x, w, c.M, c.N, c.K, b, r);
  const label = `matmul ${c.M}x${c.K}x${c.N}${c.path ? ` ${c.path}` : ''}${c.tile ? ` ${c.tile.bm}x${c.tile.bn}x${c.tile.bk}${c.tile.tm ? ` tm${c.tile.tm}` : ''}` : ''}${b ? ' +bias' : ''}${r ? (c.inplace ? ' +=resid' : ' +resid') : ''}`;
  record(label, expectClose(got, want, { ...tol(c.K), label }).worstRel);
  disposeAll(tx, tw, tb, tr, c.inplace ? undefined : y);
}

describe('matmul y = x·wᵀ (+bias, +residual) vs float64 twin', () => {
  const cases: Case[] = [
    { M: 1, K: 1, N: 1 },
    { M: 1, K: 1, N: 1, path: 'tiled' },
    { M: 37, K: 129, N: 65 },
    { M: 37, K: 65, N: 129, bias: true },
    { M: 1, K: 768, N: 2048 },
    { M: 3, K: 768, N: 200, bias: true, residual: true },
    { M: 4, K: 131, N: 77, bias: true, residual: true },
    { M: 2, K: 64, N: 48, residual: true, inplace: true },
    { M: 1, K: 5000, N: 9 },
    { M: 2, K: 300, N: 33, path: 'tiled' },
    { M: 130, K: 3000, N: 257 },
    { M: 130, K: 3000, N: 256, bias: true, residual: true },
    { M: 72, K: 96, N: 40, bias: true, residual: true, inplace: true },
    { M: 5, K: 0, N: 12, bias: true, residual: true },
    { M: 3, K: 0, N: 12, bias: true },
    // the large tile on the vec4 and the scalar path, and other tile shapes (each one more pipeline
    // to compile, several seconds on lavapipe: a selection)
    { M: 200, K: 72, N: 260, bias: true, tile: { bm: 128, bn: 128, bk: 8 } },
    { M: 131, K: 70, N: 259, residual: true, tile: { bm: 128, bn: 128, bk: 8 } },
    { M: 140, K: 52, N: 136, tile: { bm: 128, bn: 64, bk: 8 } },
    { M: 67, K: 45, N: 66, tile: { bm: 64, bn: 64, bk: 4 } },
    { M: 70, K: 100, N: 68, bias: true, tile: { bm: 64, bn: 64, bk: 16, groupM: 3 } },
    // 16 rows per thread: vec4 with k past K zero-filled (76 % 16), vec4 with rows and columns past
    // M and N read clamped and dropped, and the scalar path
    { M: 200, K: 76, N: 260, bias: true, tile: { bm: 128, bn: 128, bk: 16, tm: 16 } },
    { M: 67, K: 64, N: 68, residual: true, tile: { bm: 128, bn: 128, bk: 8, tm: 16 } },
    { M: 131, K: 70, N: 259, residual: true, tile: { bm: 128, bn: 64, bk: 8, tm: 16 } },
  ];
  cases.forEach((c, i) => {
    it(`${c.M}x${c.K}x${c.N} ${JSON.stringify({ ...c, M: undefined, K: undefined, N: undefined })}`, async () => {
      await runCase(await getContext(), c, 1000 + i);
    });
  });

  // The fused input projection: stacked weights with padding rows between segments, each segment's
  // output a contiguous block; widths not multiples of 4 take the scalar path.
  const segCases: Array<{ M: number; K: number; N: number; segs: MatmulSegment[]; tile?: MatmulTile }> = [
    { M: 37, K: 48, N: 256, segs: [{ row: 0, rows: 40 }, { row: 64, rows: 64 }, { row: 128, rows: 16 }, { row: 192, rows: 60 }] },
    { M: 130, K: 33, N: 200, segs: [{ row: 0, rows: 3 }, { row: 64, rows: 70 }, { row: 192, rows: 8 }] },
    { M: 9, K: 64, N: 128, segs: [{ row: 64, rows: 64 }], tile: { bm: 128, bn: 128, bk: 8 } },
  ];
  for (const c of segCases) {
    it(`segments ${c.M}x${c.K}x${c.N}: ${c.segs.map((g) => `[${g.row}+${g.rows}]`).join(' ')} + bias`, async () => {
      const ctx = await getContext();
      const rng = new Rng(c.M + c.N);
      const x = rng.normals(c.M * c.K);
      const w = rng.normals(c.N * c.K, 0.5);
      const b = rng.normals(c.N);
      const [tx, tw, tb] = [ctx.upload(x, [c.M, c.K], 'x'), ctx.upload(w, [c.N, c.K], 'w'), ctx.upload(b, [c.N], 'bias')];
      const { out, parts } = matmulSegments(ctx, { x: tx, w: tw, bias: tb, segments: c.segs, ...(c.tile ? { tile: c.tile } : {}) });
      const full = matmul64(x, w, c.M, c.N, c.K, b);
      for (const [i, g] of c.segs.entries()) {
        const part = parts[i] as Tensor;
        expect(part.shape).toEqual([c.M, g.rows]);
        const want = Float64Array.from({ length: c.M * g.rows }, (_, e) => full[Math.floor(e / g.rows) * c.N + g.row + (e % g.rows)] as number);
        const label = `segment ${i} [${g.row}+${g.rows}]`;
        record(label, expectClose(await ctx.readF32(part), want, { ...tol(c.K), label }).worstRel);
        part.dispose(); // borrowed: frees nothing
        expect(out.disposed).toBe(false);
      }
      out.dispose();
      expect(parts.every((t) => t.disposed)).toBe(true);
      expect(() => (parts[0] as Tensor).assertAlive()).toThrowError(/used after dispose/);
      disposeAll(tx, tw, tb);
    });
  }

  // The SwiGLU down projection: x = [gate | up] (M, 2K), input swish(gate) ⊙ up formed on load.
  for (const [M, K, N, residual] of [[70, 48, 40, true], [33, 30, 17, false], [3, 64, 24, true], [200, 132, 96, false]] as const) {
    it(`glu input ${M}x2·${K}x${N}${residual ? ' +resid' : ''}${M <= 4 ? ' (GEMV: activation pass first)' : ''}`, async () => {
      const ctx = await getContext();
      const rng = new Rng(M * K + N);
      const gu = rng.normals(M * 2 * K, 2);
      gu[5] = 80; // swish of large ± values stays finite
      gu[6] = -80;
      const w = rng.normals(N * K, 0.5);
      const r = residual ? rng.normals(M * N) : undefined;
      const [tx, tw] = [ctx.upload(gu, [M, 2 * K], 'gu'), ctx.upload(w, [N, K], 'w')];
      const tr = r ? ctx.upload(r, [M, N], 'resid') : undefined;
      const y = matmul(ctx, { x: tx, w: tw, glu: true, residual: tr });
      const want = matmul64(swiglu64(gu, M, K), w, M, N, K, undefined, r);
      const label = `glu ${M}x${K}x${N}`;
      record(label, expectClose(await ctx.readF32(y), want, { ...tol(K), label }).worstRel);
      const odd = ctx.upload(new Float32Array(6), [2, 3], 'odd');
      expect(() => matmul(ctx, { x: odd, w: tw, glu: true })).toThrowError(/even width/);
      disposeAll(tx, tw, tr, y, odd);
    });
  }

  it('segments: bad layouts are ShapeErrors', async () => {
    const ctx = await getContext();
    const tx = ctx.upload(new Float32Array(8), [2, 4], 'x');
    const tw = ctx.upload(new Float32Array(128 * 4), [128, 4], 'w');
    for (const segments of [[], [{ row: 32, rows: 4 }], [{ row: 0, rows: 70 }, { row: 64, rows: 4 }], [{ row: 64, rows: 65 }], [{ row: 0, rows: 0 }]]) {
      expect(() => matmulSegments(ctx, { x: tx, w: tw, segments }), JSON.stringify(segments)).toThrowError(/segment/);
    }
    disposeAll(tx, tw);
  });

  it('randomized shapes', async () => {
    const ctx = await getContext();
    const rng = new Rng(77);
    for (let i = 0; i < 12; i++) {
      const M = 1 + rng.int(i % 3 === 0 ? 4 : 90);
      const K = 1 + rng.int(200);
      const N = 1 + rng.int(150);
      await runCase(ctx, { M, K, N, bias: rng.next() < 0.5, residual: rng.next() < 0.5 }, 5000 + i);
    }
  });

  it('matmulNN and matmulNaive (b row-major [K, N])', async () => {
    const ctx = await getContext();
    for (const [M, K, N, tile] of [
      [37, 129, 65, undefined],
      [130, 40, 260, { bm: 128, bn: 128, bk: 8 }],
      [129, 44, 132, { bm: 128, bn: 128, bk: 8 }],
      [131, 44, 136, { bm: 128, bn: 64, bk: 8, tm: 16 }],
    ] as const) {
      const rng = new Rng(M * 7 + N);
      const a = rng.normals(M * K);
      const b = rng.normals(K * N);
      const ta = ctx.upload(a, [M, K], 'a');
      const tb = ctx.upload(b, [K, N], 'b');
      const want = matmulNN64(a, b, M, N, K);
      const y1 = matmulNN(ctx, { a: ta, b: tb, ...(tile ? { tile } : {}) });
      const y2 = matmulNaive(ctx, { a: ta, b: tb });
      record(`matmulNN ${M}x${K}x${N}`, expectClose(await ctx.readF32(y1), want, { ...tol(K), label: 'nn' }).worstRel);
      record(`matmulNaive ${M}x${K}x${N}`, expectClose(await ctx.readF32(y2), want, { ...tol(K), label: 'naive' }).worstRel);
      disposeAll(ta, tb, y1, y2);
    }
  });

  it('rejects bad shapes and tiles with ShapeError', async () => {
    const ctx = await getContext();
    const x = ctx.upload(new Float32Array(12), [3, 4], 'x');
    const w = ctx.upload(new Float32Array(10), [2, 5], 'proj.weight');
    const w2 = ctx.upload(new Float32Array(8), [2, 4], 'w2');
    expect(() => matmul(ctx, { x, w })).toThrowError(/proj.weight: expected shape \[2, 4\]/);
    expect(() => matmul(ctx, { x, w: w2, path: 'tiled', tile: { bm: 128, bn: 128, bk: 12 } })).toThrowError(/matmul.tile/);
    const sq = ctx.upload(new Float32Array(16), [4, 4], 'square');
    expect(() => matmul(ctx, { x: sq, w: sq, out: sq })).toThrowError(/may not alias/);
    sq.dispose();
    const x10 = ctx.upload(new Float32Array(40), [10, 4], 'x10');
    expect(() => matmul(ctx, { x: x10, w: w2, path: 'gemv' })).toThrowError(/GEMV/);
    disposeAll(x, w, w2, x10);
  });
});
