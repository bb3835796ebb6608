// `npm run bench`: engine benchmarks that print ratios measured in one run, never pass/fail.
// Sizes: --full (real GPU: the README's figures come from an H200 through ../shared/gpu) or the
// default small sizes (any machine; software Vulkan numbers mean nothing). --json FILE writes
// every measurement; test/bench/reference.py times PyTorch/fla in the same command on the H200.

import { writeFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import {
  Capture,
  DEFAULT_QUANTITIES,
  GpuContext,
  ModelState,
  forward,
  sample,
  Rng,
  Session,
  TimestampProfiler,
  crossover,
  parseConfig,
  randomWeights,
  softmaxBaselineConfig,
  sweep,
  type ModelConfig,
  type Readback,
  type SweepRow,
  type Tensor,
} from '../../shaders/index.js';
import { checkTile, matmul, matmulNN, matmulNaive, matmulSegments, type MatmulTile } from '../../shaders/ops/matmul.js';
import { add, scale, swiglu } from '../../shaders/ops/elementwise.js';
import { glaChunk, glaRecurrent } from '../../shaders/ops/gla.js';
import { logGate } from '../../shaders/ops/gate.js';
import { softmaxAttention } from '../../shaders/ops/softmax_attn.js';

Object.assign(globalThis, globals);
// Must stay referenced for the life of the process (Dawn dies in ProcessEvents otherwise).
const gpu = create(['disable-dawn-features=timestamp_quantization']) as unknown as GPU;

const args = process.argv.slice(2);
const full = args.includes('--full');
const jsonOut = args[args.indexOf('--json') + 1];
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : null;
const want = (name: string): boolean => !only || only.includes(name);

const results: Record<string, unknown> = {};
const now = (): number => performance.now();

/** The median (the upper one of an even count); sorts xs in place. */
function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] as number;
}

/** Median wall time (ms) of `fn` (which only encodes work) after warm-up, synced each repeat. */
async function timeIt(ctx: GpuContext, fn: () => void, repeat = full ? 10 : 2, warmup = full ? 3 : 1): Promise<number> {
  for (let i = 0; i < warmup; i++) fn();
  await ctx.sync();
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = now();
    fn();
    await ctx.sync();
    times.push(now() - t0);
  }
  return median(times);
}

/** Median over `inner` back-to-back launches per sync (amortizes submit/sync overhead). */
async function timeBatch(ctx: GpuContext, fn: () => void, inner: number, repeat = full ? 7 : 2): Promise<number> {
  return (await timeIt(ctx, () => { for (let i = 0; i < inner; i++) fn(); }, repeat)) / inner;
}

function randTensor(ctx: GpuContext, rng: Rng, shape: number[], scale = 1, shift = 0, name = 'x'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return ctx.upload(rng.normals(n, scale, shift), shape, name);
}

async function benchMatmul(ctx: GpuContext): Promise<void> {
  const n = full ? 4096 : 256;
  const rng = new Rng(1);
  const a = randTensor(ctx, rng, [n, n], 1, 0, 'a');
  const b = randTensor(ctx, rng, [n, n], 1, 0, 'b');
  const flops = 2 * n * n * n;
  const tiled = await timeBatch(ctx, () => matmulNN(ctx, { a, b }).dispose(), full ? 10 : 1);
  // The Linear layout the model uses (x·wᵀ): both operands staged transposed.
  const nt = await timeBatch(ctx, () => matmul(ctx, { x: a, w: b, path: 'tiled' }).dispose(), full ? 10 : 1);
  const naive = await timeBatch(ctx, () => matmulNaive(ctx, { a, b }).dispose(), full ? 3 : 1);
  results['matmul'] = { n, tiledMs: tiled, ntMs: nt, naiveMs: naive, tiledTflops: flops / tiled / 1e9, ntTflops: flops / nt / 1e9, naiveTflops: flops / naive / 1e9 };
  console.log(
    `matmul ${n}³ f32: tiled ${tiled.toFixed(3)} ms (${(flops / tiled / 1e9).toFixed(1)} TFLOP/s; x·wᵀ ${(flops / nt / 1e9).toFixed(1)}), naive ${naive.toFixed(3)} ms → tiled/naive speedup ${(naive / tiled).toFixed(2)}×`,
  );
  a.dispose();
  b.dispose();
}

async function benchBandwidth(ctx: GpuContext): Promise<void> {
  const n = full ? 64 * 1024 * 1024 : 1024 * 1024; // 256 MiB per operand on the GPU
  const rng = new Rng(2);
  const a = ctx.upload(rng.uniforms(n, -1, 1), [n], 'a');
  const b = ctx.upload(rng.uniforms(n, -1, 1), [n], 'b');
  const out = ctx.tensor([n], 'f32', 'out');
  // Warm-up on these very buffers: on the H200 the first ~0.5 s of adds over fresh 256 MiB buffers
  // ran at under half speed (1.4–1.7 TB/s, then 3.7) even after the global compute warm-up.
  const t0 = now();
  while (full && now() - t0 < 1500) {
    for (let i = 0; i < 20; i++) add(ctx, a, b, out);
    await ctx.sync();
  }
  const ms = await timeBatch(ctx, () => add(ctx, a, b, out), full ? 20 : 2);
  const tbs = (3 * n * 4) / ms / 1e9;
  // The same add with each thread layout the kernel offers (the default is one of them).
  const byUnits: Record<number, number> = {};
  for (const u of [1, 2, 4] as const) {
    const msU = await timeBatch(ctx, () => add(ctx, a, b, out, u), full ? 20 : 2);
    byUnits[u] = (3 * n * 4) / msU / 1e9;
  }
  results['bandwidth'] = { elements: n, addMs: ms, tbPerS: tbs, fractionOf443: tbs / 4.43, tbPerSByUnitsPerThread: byUnits };
  console.log(
    `elementwise add ${n} f32: ${ms.toFixed(3)} ms → ${tbs.toFixed(2)} TB/s (${((tbs / 4.43) * 100).toFixed(0)}% of 4.43 TB/s); ` +
      `by units per thread: ${Object.entries(byUnits).map(([u, t]) => `${u}: ${t.toFixed(2)} TB/s`).join(', ')}`,
  );
  [a, b, out].forEach((t) => t.dispose());
}

/** GLA prefill on [B, T, H, D] inputs with gla-style log gates. */
async function benchGla(ctx: GpuContext): Promise<void> {
  const rng = new Rng(3);
  // Chunked vs token-serial recurrent over T, one model-sized layer (B=1, H=8, D=64).
  const serialTs = full ? [512, 1024, 2048, 4096, 8192, 16384] : [64, 256];
  const rows: unknown[] = [];
  for (const T of serialTs) {
    const [B, H, D] = full ? [1, 8, 64] : [1, 2, 16];
    const inputs = glaInputs(ctx, rng, B, T, H, D);
    const chunk = await timeIt(ctx, () => glaChunk(ctx, { ...inputs.args, chunkSize: 64 }).dispose());
    const serial = await timeIt(ctx, () => glaRecurrent(ctx, inputs.args).dispose(), full ? 3 : 1);
    rows.push({ T, B, H, D, chunkMs: chunk, recurrentMs: serial, speedup: serial / chunk });
    console.log(`GLA prefill B=${B} H=${H} D=${D} T=${T}: chunked ${chunk.toFixed(3)} ms, recurrent ${serial.toFixed(3)} ms → chunked ${(serial / chunk).toFixed(1)}× faster`);
    inputs.dispose();
  }
  results['gla_chunk_vs_recurrent'] = rows;
  // fla's shape: B=8, H=32, D=128.
  // B=4 at 16K: one [B, T, H, D] f32 tensor at B=8 is 2 GiB, past Dawn's 2 GiB binding limit.
  const flaShapes: Array<[number, number]> = full ? [[8, 2048], [8, 8192], [4, 16384]] : [[1, 128]];
  const flaRows: unknown[] = [];
  for (const [B, T] of flaShapes) {
    const [H, D] = full ? [32, 128] : [2, 32];
    const inputs = glaInputs(ctx, rng, B, T, H, D);
    const ms = await timeIt(ctx, () => glaChunk(ctx, { ...inputs.args, chunkSize: 64 }).dispose(), full ? 5 : 1);
    const flops = chunkFlops(B, T, H, D, 64);
    flaRows.push({ T, B, H, D, chunkMs: ms, tflops: flops / ms / 1e9 });
    console.log(`GLA chunked B=${B} H=${H} D=${D} T=${T}: ${ms.toFixed(3)} ms (${(flops / ms / 1e9).toFixed(1)} TFLOP/s effective)`);
    inputs.dispose();
  }
  results['gla_chunk_fla_shape'] = flaRows;
}

function chunkFlops(B: number, T: number, H: number, D: number, C: number): number {
  // intra QKᵀ and PV (half the C×C block each), inter Q·S, state update Kᵀ V: per chunk per head.
  const perChunk = 2 * C * C * D + 2 * C * C * D + 2 * C * D * D + 2 * C * D * D;
  return (B * H * Math.ceil(T / C) * perChunk);
}

function glaInputs(ctx: GpuContext, rng: Rng, B: number, T: number, H: number, D: number) {
  const n = B * T * H * D;
  const q = ctx.upload(rng.normals(n, 0.5), [B, T, H, D], 'q');
  const k = ctx.upload(rng.normals(n, 0.5), [B, T, H, D], 'k');
  const v = ctx.upload(rng.normals(n), [B, T, H, D], 'v');
  const logits = ctx.upload(rng.normals(n, 1, 2), [B, T, H, D], 'a');
  const { A } = logGate(ctx, { kind: 'gla', a: logits, normalizer: 16, clampMin: null });
  logits.dispose();
  const state = ctx.tensor([B, H, D, D], 'f32', 'state');
  ctx.zero(state);
  const args = { q, k, v, ...(A ? { A } : {}), scale: 1 / Math.sqrt(D), state };
  return { args, dispose: () => [q, k, v, A, state].forEach((t) => t?.dispose()) };
}

async function benchSoftmax(ctx: GpuContext): Promise<void> {
  const rng = new Rng(4);
  const rows: unknown[] = [];
  for (const T of full ? [2048, 8192, 16384] : [128]) {
    const [H, D] = full ? [32, 128] : [2, 32];
    const q = randTensor(ctx, rng, [T, H, D], 0.5);
    const k = randTensor(ctx, rng, [T, H, D], 0.5);
    const v = randTensor(ctx, rng, [T, H, D]);
    const ms = await timeIt(ctx, () => softmaxAttention(ctx, { q, kCache: k, vCache: v, pos0: 0, T }).dispose(), full ? 3 : 1);
    rows.push({ T, H, D, ms });
    console.log(`softmax attention (ours) H=${H} D=${D} T=${T}: ${ms.toFixed(3)} ms`);
    [q, k, v].forEach((t) => t.dispose());
  }
  results['softmax_attention'] = rows;
}

async function benchDecode(ctx: GpuContext): Promise<void> {
  const cfg = parseConfig(
    full
      ? { model_type: 'regla', hidden_size: 768, num_hidden_layers: 12, num_heads: 12, vocab_size: 32000, expand_k: 0.5, expand_v: 1 }
      : { model_type: 'regla', hidden_size: 64, num_hidden_layers: 2, num_heads: 2, vocab_size: 256 },
  );
  const session = await Session.create(ctx, cfg, randomWeights(cfg, { seed: 5 }));
  const prompt = Array.from({ length: 16 }, (_, i) => (i * 7) % cfg.vocabSize);
  const maxTokens = full ? 128 : 8;
  // Warm-up: every pipeline compiled, the buffer pool filled, the GPU's clocks up.
  for (let i = 0; i < (full ? 3 : 1); i++) {
    await session.generate(prompt, { temperature: 0 }, { maxTokens });
    await session.reset();
  }
  const before = ctx.dispatchCount;
  const r = await session.generate(prompt, { temperature: 0 }, { maxTokens });
  const decodeTokens = r.tokens.length - 1;
  const perTokenRuns = [r.decodeMs / Math.max(1, decodeTokens)];
  // With a stop token (never sampled: outside the vocabulary) generate snapshots the recurrent state
  // before each speculative step, as the app and the CLI run it (they pass the tokenizer's EOS).
  const perTokenStopRuns: number[] = [];
  const serialRuns: number[] = [];
  const weightBytes = session.model.weightBytes;
  const boundMs = weightBytes / 4.43e12 * 1e3;
  // Dispatches per decode token: count one step in isolation.
  await session.reset();
  await session.prefill(prompt);
  const d0 = ctx.dispatchCount;
  await session.step(1);
  const stepDispatches = ctx.dispatchCount - d0;
  // The embedding gather and the final norm + LM head are the two dispatches outside the layers.
  const perLayer = (stepDispatches - 2) / cfg.numLayers;
  // GPU time of one step, per op (each dispatch timed in its own pass: attribution, not throughput).
  const prof = new TimestampProfiler(ctx);
  ctx.setObserver(prof);
  await session.step(2);
  const timings = await prof.collect();
  ctx.setObserver(null);
  const byOp = new Map<string, number>();
  let gpuNs = 0;
  for (const t of timings) {
    const d = t.endNs - t.startNs;
    gpuNs += d;
    byOp.set(t.info.op, (byOp.get(t.info.op) ?? 0) + d);
  }
  const top = [...byOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${(v / 1e3).toFixed(1)} µs`);
  // What dominates, host or GPU: K steps (token fed back on the GPU, no readback) encoded, then one
  // submit: the host's encoding time per step, and the wall time per step of running them.
  const K = full ? 64 : 4;
  const st = new ModelState(ctx, cfg);
  const ids = ctx.tensor([1], 'u32', 'bench.tok');
  const encodeSteps = (): void => {
    for (let i = 0; i < K; i++) {
      const lg = forward(session.model, st, ids, { logits: 'last' });
      sample(ctx, { logits: lg, temperature: 0, topK: 0, topP: 1, seed: 0, step: st.position, out: ids });
      lg.dispose();
      ctx.flush(); // submit each step (its buffers go back to the pool), without waiting
    }
  };
  ctx.zero(ids);
  encodeSteps(); // warm-up
  await ctx.sync();
  st.reset();
  await ctx.sync();
  const e0 = now();
  encodeSteps();
  const encodeMs = (now() - e0) / K;
  await ctx.sync();
  const batchedMs = (now() - e0) / K;
  // The loop generate ran before it pipelined: each step waits for its token's readback. Alternated
  // with the pipelined generate (with and without a stop token); medians of the runs.
  const serialRun = async (): Promise<number> => {
    st.reset();
    const promptIds = ctx.upload(new Uint32Array(prompt), [prompt.length], 'bench.prompt');
    const p0 = forward(session.model, st, promptIds, { logits: 'last' });
    promptIds.dispose();
    sample(ctx, { logits: p0, temperature: 0, topK: 0, topP: 1, seed: 0, step: st.position, out: ids });
    p0.dispose();
    await ctx.read(ids);
    const s0 = now();
    for (let i = 1; i < maxTokens; i++) {
      const lg = forward(session.model, st, ids, { logits: 'last' });
      sample(ctx, { logits: lg, temperature: 0, topK: 0, topP: 1, seed: 0, step: st.position, out: ids });
      lg.dispose();
      await ctx.read(ids);
    }
    return (now() - s0) / (maxTokens - 1);
  };
  for (let rep = 0; rep < (full ? 5 : 1); rep++) {
    serialRuns.push(await serialRun());
    await session.reset();
    const rs = await session.generate(prompt, { temperature: 0 }, { maxTokens, stop: [cfg.vocabSize] });
    perTokenStopRuns.push(rs.decodeMs / Math.max(1, rs.tokens.length - 1));
    await session.reset();
    const rp = await session.generate(prompt, { temperature: 0 }, { maxTokens });
    perTokenRuns.push(rp.decodeMs / Math.max(1, rp.tokens.length - 1));
  }
  const perToken = median(perTokenRuns);
  const perTokenStop = median(perTokenStopRuns);
  const serialMs = median(serialRuns);
  st.dispose();
  ids.dispose();
  // The dispatch-overhead floor: per token the same number of (tiny) dispatches and a 4-byte readback,
  // pipelined like generate (token i+1's dispatches submitted before token i is read).
  const one = ctx.tensor([4], 'f32', 'bench.one');
  ctx.zero(one);
  const floorToken = (): Promise<unknown> => {
    for (let d = 0; d < stepDispatches; d++) scale(ctx, one, 1, one);
    return ctx.read(one, 0, 1);
  };
  await floorToken();
  const f0 = now();
  let inFlight = floorToken();
  for (let i = 1; i < maxTokens; i++) {
    const next = floorToken();
    await inFlight;
    inFlight = next;
  }
  await inFlight;
  const floorMs = (now() - f0) / maxTokens;
  one.dispose();
  console.log(
    `decode: pipelined ${perToken.toFixed(3)} ms/token (${perTokenStop.toFixed(3)} with a stop token: state snapshot per token), ` +
      `waiting for each token ${serialMs.toFixed(3)} → pipelining ${(serialMs / perToken).toFixed(2)}× faster; ` +
      `${K} steps back to back (token fed back on the GPU, no readback) ${batchedMs.toFixed(3)} ms/step, of which host encoding + submit ${encodeMs.toFixed(3)} ms; ` +
      `dispatch floor (${stepDispatches} tiny dispatches + 4-byte read, pipelined) ${floorMs.toFixed(3)} ms/token; ` +
      `bound ${boundMs.toFixed(3)} ms → ${(perToken / (boundMs + floorMs)).toFixed(2)}× (bound + floor)`,
  );
  console.log(`decode step GPU time (sum of per-dispatch passes): ${(gpuNs / 1e6).toFixed(3)} ms over ${timings.length} dispatches; top: ${top.join(', ')}`);
  results['decode'] = {
    layers: cfg.numLayers,
    hidden: cfg.hiddenSize,
    weightBytes,
    msPerToken: perToken,
    tokensPerS: 1000 / perToken,
    boundMs,
    ratioToBound: perToken / boundMs,
    msPerTokenWithStop: perTokenStop,
    msPerTokenSerial: serialMs,
    batchedMsPerStep: batchedMs,
    encodeMsPerStep: encodeMs,
    floorMsPerToken: floorMs,
    ratioToBoundPlusFloor: perToken / (boundMs + floorMs),
    dispatchesPerToken: stepDispatches,
    dispatchesPerLayer: perLayer,
    gpuMsPerStep: gpuNs / 1e6,
    gpuByOpUs: Object.fromEntries([...byOp].map(([k, v]) => [k, v / 1e3])),
    totalDispatches: ctx.dispatchCount - before,
  };
  console.log(
    `decode ${cfg.numLayers}L hidden ${cfg.hiddenSize}: ${perToken.toFixed(3)} ms/token (${(1000 / perToken).toFixed(0)} tok/s), ` +
      `weights ${(weightBytes / 1e6).toFixed(1)} MB → bandwidth bound ${boundMs.toFixed(3)} ms (ratio ${(perToken / boundMs).toFixed(2)}×), ` +
      `${stepDispatches} dispatches/token = ${perLayer.toFixed(2)} per layer + 2 (embedding, LM head)`,
  );
  session.dispose();
}

/**
 * Tuning candidates measured in the same run, so the engine's defaults can follow the device: every
 * valid matmul tile at the matmul section's size, and the GLA chunk sizes at fla's shape.
 */
async function benchTune(ctx: GpuContext): Promise<void> {
  const rng = new Rng(6);
  const n = full ? 4096 : 128;
  const a = randTensor(ctx, rng, [n, n], 1, 0, 'a');
  const b = randTensor(ctx, rng, [n, n], 1, 0, 'b');
  const tiles: unknown[] = [];
  const tileName = (t: MatmulTile): string => `${t.bm}x${t.bn}x${t.bk}${t.tm === 16 ? ' tm16' : ''}${t.groupM ? ` groupM ${t.groupM}` : ''}`;
  const candidates: MatmulTile[] = [];
  for (const bm of [64, 128, 256]) {
    for (const bn of [64, 128, 256]) {
      for (const bk of [4, 8, 16, 32]) {
        for (const tm of [8, 16] as const) {
          const tile: MatmulTile = { bm, bn, bk, tm };
          try {
            checkTile(ctx, tile);
          } catch {
            continue; // not a valid tile on this device
          }
          candidates.push(tile);
        }
      }
    }
  }
  try {
    for (const tile of candidates) {
      const ms = await timeBatch(ctx, () => matmulNN(ctx, { a, b, tile }).dispose(), full ? 10 : 1, full ? 5 : 1);
      const tflops = (2 * n * n * n) / ms / 1e9;
      tiles.push({ ...tile, ms, tflops });
      console.log(`matmul ${n}³ tile ${tileName(tile)}: ${ms.toFixed(3)} ms (${tflops.toFixed(1)} TFLOP/s)`);
    }
  } finally {
    a.dispose();
    b.dispose();
  }
  // The 12-layer / hidden-768 model's prefill products at T = 2048 (Linear layout, x·wᵀ): every tile
  // against the engine's own pick, so that the pick can follow the device.
  const modelShapes: unknown[] = [];
  const shapes: Array<{ op: string; M: number; N: number; K: number; glu?: boolean }> = full
    ? [
        { op: 'in_proj', M: 2048, N: 3072, K: 768 },
        { op: 'o_proj', M: 2048, N: 768, K: 768 },
        { op: 'gate_up_proj', M: 2048, N: 4096, K: 768 },
        { op: 'down_proj', M: 2048, N: 768, K: 2048, glu: true },
        { op: 'o_proj T=512', M: 512, N: 768, K: 768 },
      ]
    : [{ op: 'o_proj', M: 64, N: 64, K: 64 }];
  for (const sh of shapes) {
    const x = randTensor(ctx, rng, [sh.M, sh.glu ? 2 * sh.K : sh.K], 1, 0, 'x');
    const w = randTensor(ctx, rng, [sh.N, sh.K], 0.05, 0, 'w');
    try {
      const flops = 2 * sh.M * sh.N * sh.K;
      const timeTile = (tile?: MatmulTile): Promise<number> =>
        timeBatch(ctx, () => matmul(ctx, { x, w, path: 'tiled', ...(sh.glu ? { glu: true } : {}), ...(tile ? { tile } : {}) }).dispose(), full ? 20 : 1, full ? 5 : 1);
      const pick = await timeTile();
      const byTile: Array<{ tile: string; ms: number }> = [];
      for (const tile of candidates.filter((t) => t.bk >= 8 && t.bk <= 16)) byTile.push({ tile: tileName(tile), ms: await timeTile(tile) });
      byTile.sort((p, q) => p.ms - q.ms);
      const best = byTile[0];
      modelShapes.push({ ...sh, pickMs: pick, byTile });
      console.log(
        `matmul ${sh.op} ${sh.M}x${sh.K}x${sh.N}${sh.glu ? ' (glu)' : ''}: engine's pick ${pick.toFixed(3)} ms (${(flops / pick / 1e9).toFixed(1)} TFLOP/s); ` +
          `best ${best?.tile} ${best?.ms.toFixed(3)} ms (${(flops / (best?.ms ?? NaN) / 1e9).toFixed(1)}); next ${byTile.slice(1, 5).map((t) => `${t.tile} ${t.ms.toFixed(3)}`).join(', ')}`,
      );
    } finally {
      x.dispose();
      w.dispose();
    }
  }
  const chunks: unknown[] = [];
  const [B, T, H, D] = full ? [8, 8192, 32, 128] : [1, 128, 2, 32];
  const inputs = glaInputs(ctx, rng, B, T, H, D);
  try {
    for (const C of [16, 32, 64, 128]) {
      const ms = await timeIt(ctx, () => glaChunk(ctx, { ...inputs.args, chunkSize: C }).dispose(), full ? 5 : 1);
      chunks.push({ B, T, H, D, chunk: C, ms });
      console.log(`GLA chunked B=${B} H=${H} D=${D} T=${T} chunk ${C}: ${ms.toFixed(3)} ms`);
    }
  } finally {
    inputs.dispose();
  }
  results['tune'] = { matmulN: n, tiles, modelShapes, glaChunks: chunks, fusions: await benchFusions(ctx, rng) };
}

/**
 * The prefill fusions against what they replaced, in one run (hidden 768, T = 2048; ReGLA's
 * projections): the segmented input projection vs one matmul per segment, and the down projection
 * with the SwiGLU activation formed on load vs a swiglu pass and a plain matmul.
 */
async function benchFusions(ctx: GpuContext, rng: Rng): Promise<Record<string, number>> {
  const [T, H, I] = full ? [2048, 768, 2048] : [64, 64, 128];
  const widths = [H / 2, H / 2, H, H / 2, H / 2]; // q, k, v, gk, gr of a regla layer (expand_k 0.5)
  // Stacked as the model stacks them: each segment starts at a multiple of 64 rows.
  const segments = widths.map((rows, i) => ({ row: widths.slice(0, i).reduce((a, b) => a + Math.ceil(b / 64) * 64, 0), rows }));
  const N = (segments.at(-1)?.row ?? 0) + (widths.at(-1) ?? 0);
  const x = randTensor(ctx, rng, [T, H], 1, 0, 'x');
  const w = randTensor(ctx, rng, [N, H], 0.05, 0, 'w_in');
  const gu = randTensor(ctx, rng, [T, 2 * I], 1, 0, 'gu');
  const down = randTensor(ctx, rng, [H, I], 0.05, 0, 'w_down');
  const inner = full ? 10 : 1;
  try {
    const fused = await timeBatch(ctx, () => matmulSegments(ctx, { x, w, segments }).out.dispose(), inner);
    const separate = await timeBatch(ctx, () => segments.forEach((g) => matmul(ctx, { x, w: w.rows(g.row, g.rows) }).dispose()), inner);
    const glu = await timeBatch(ctx, () => matmul(ctx, { x: gu, glu: true, w: down }).dispose(), inner);
    const plain = await timeBatch(ctx, () => {
      const act = swiglu(ctx, gu);
      matmul(ctx, { x: act, w: down }).dispose();
      act.dispose();
    }, inner);
    console.log(
      `input projections T=${T} H=${H} N=${N}: one segmented matmul ${fused.toFixed(3)} ms, ${segments.length} matmuls ${separate.toFixed(3)} ms (${(separate / fused).toFixed(2)}×); ` +
        `down projection I=${I}: SwiGLU on load ${glu.toFixed(3)} ms, swiglu + matmul ${plain.toFixed(3)} ms (${(plain / glu).toFixed(2)}×)`,
    );
    return { T, H, I, N, segmentedMs: fused, separateMs: separate, gluMs: glu, swigluThenMatmulMs: plain };
  } finally {
    [x, w, gu, down].forEach((t) => t.dispose());
  }
}

/**
 * Issue #4's targets, as ratios measured here: default capture vs none and the per-op profiler vs
 * none (prefill at T = 2048), ReGLA vs GLA (prefill time and peak memory), and the prefill/decode
 * crossover and 16K speedup of ReGLA vs the same model with every layer softmax attention.
 */
async function benchTargets(ctx: GpuContext): Promise<void> {
  const base = full
    ? { hidden_size: 768, num_hidden_layers: 12, num_heads: 12, vocab_size: 32000 }
    : { hidden_size: 64, num_hidden_layers: 2, num_heads: 2, vocab_size: 256 };
  const regla = parseConfig({ model_type: 'regla', ...base });
  const gla = parseConfig({ model_type: 'gla', ...base });
  const T = full ? 2048 : 64;
  const repeat = full ? 7 : 2;
  const prompt = (c: ModelConfig, n: number): number[] => Array.from({ length: n }, (_, i) => (i * 7) % c.vocabSize);

  /** Prefills for 1.5 s (full sizes): the GPU idled while the weights were built and clocks back up (see sweep's warmupMs). */
  async function warmGpu(s: Session, ids: number[]): Promise<void> {
    for (const until = now() + (full ? 1500 : 0); now() < until; ) {
      await s.reset();
      await s.prefill(ids);
      await ctx.sync();
    }
  }

  /** Median wall time of reset + prefill (+ `after`) with `before` run first each time; peak bytes of the last. */
  async function prefillMs(s: Session, ids: number[], around: { before?: () => void; after?: () => Promise<unknown> } = {}, runs = repeat + 1): Promise<{ ms: number; peakBytes: number }> {
    const times: number[] = [];
    let peakBytes = 0;
    for (let r = 0; r < runs; r++) {
      await s.reset();
      await ctx.sync();
      ctx.resetPeak();
      around.before?.();
      const t0 = now();
      await s.prefill(ids);
      await around.after?.();
      await ctx.sync();
      if (r > 0 || runs === 1) times.push(now() - t0); // the first of several runs compiles and is discarded
      peakBytes = ctx.memory.peakBytes;
    }
    return { ms: median(times), peakBytes };
  }

  const out: Record<string, unknown> = { T, config: base };
  const sR = await Session.create(ctx, regla, randomWeights(regla, { seed: 1 }));
  try {
    const ids = prompt(regla, T);
    await warmGpu(sR, ids);
    const plainRun = await prefillMs(sR, ids);
    // The forward's per-layer submits against one submit at the end (ForwardOptions.submitPerLayer):
    // the same model and tokens through forward() directly, alternating pairs, last-token logits read.
    {
      const st = new ModelState(ctx, regla);
      const idsT = ctx.upload(new Uint32Array(ids), [T], 'bench.ids');
      const once = async (perLayer: boolean): Promise<number> => {
        st.reset();
        await ctx.sync();
        const t0 = now();
        const lg = forward(sR.model, st, idsT, { logits: 'last', submitPerLayer: perLayer });
        await ctx.read(lg);
        lg.dispose();
        return now() - t0;
      };
      await once(true);
      await once(false);
      const pairs: number[] = [];
      const one: number[] = [];
      const per: number[] = [];
      for (let i = 0; i < repeat; i++) {
        const a = await once(false);
        const b = await once(true);
        one.push(a);
        per.push(b);
        pairs.push(a / b);
      }
      idsT.dispose();
      st.dispose();
      out['prefillOneSubmitMs'] = median(one);
      out['prefillPerLayerMs'] = median(per);
      out['perLayerSpeedup'] = median(pairs);
      console.log(`T=${T}: prefill with one submit at the end ${median(one).toFixed(3)} ms, a submit per layer ${median(per).toFixed(3)} ms → ${median(pairs).toFixed(2)}× (median of ${repeat} alternating pairs)`);
    }
    const withCapture = (readback: Readback): { before: () => void; after: () => Promise<void> } => {
      let cap: Capture | null = null;
      return {
        before: () => {
          cap = new Capture(ctx, { quantities: DEFAULT_QUANTITIES, readback });
          sR.tap = cap.tap;
        },
        after: async () => {
          await cap?.collect();
          cap?.dispose();
          sR.tap = null;
        },
      };
    };
    const captured = await prefillMs(sR, ids, withCapture('submit'));
    // Each read-back mode against the plain prefill, from alternating plain / captured runs (drift hits
    // both alike): the median of the pairs' ratios. 'submit' is the default.
    const modes: Readback[] = ['submit', 'logits', 'collect'];
    const capPairs: Record<string, number[]> = {};
    for (const m of modes) capPairs[m] = [];
    for (let i = 0; i < repeat; i++) {
      for (const m of modes) capPairs[m]?.push((await prefillMs(sR, ids, withCapture(m), 1)).ms / (await prefillMs(sR, ids, {}, 1)).ms);
    }
    const captureRatio = median([...(capPairs['submit'] ?? [])]);
    // Where the time goes per mode: prefill() (the session's logits read included), then collect().
    const split = async (readback: Readback): Promise<{ prefillMs: number; collectMs: number; totalMs: number }> => {
      const p: number[] = [];
      const c: number[] = [];
      const total: number[] = [];
      for (let r = 0; r < repeat + 1; r++) {
        await sR.reset();
        await ctx.sync();
        const capture = new Capture(ctx, { quantities: DEFAULT_QUANTITIES, readback });
        sR.tap = capture.tap;
        try {
          const t0 = now();
          await sR.prefill(ids);
          const t1 = now();
          await capture.collect();
          const t2 = now();
          if (r > 0) {
            p.push(t1 - t0);
            c.push(t2 - t1);
            total.push(t2 - t0);
          }
        } finally {
          capture.dispose();
          sR.tap = null;
        }
      }
      return { prefillMs: median(p), collectMs: median(c), totalMs: median(total) };
    };
    const splits: Record<string, { prefillMs: number; collectMs: number; totalMs: number }> = {};
    for (const m of modes) splits[m] = await split(m);
    out['captureModes'] = Object.fromEntries(modes.map((m) => [m, { ratio: median([...(capPairs[m] ?? [])]), pairs: capPairs[m], ...splits[m] }]));
    for (const m of modes) {
      const sp = splits[m] as { prefillMs: number; collectMs: number; totalMs: number };
      console.log(
        `T=${T}: capture readback '${m}'${m === 'submit' ? ' (default)' : ''}: ${median([...(capPairs[m] ?? [])]).toFixed(2)}× plain (median of ${repeat} alternating pairs); ` +
          `prefill ${sp.prefillMs.toFixed(3)} ms + collect() ${sp.collectMs.toFixed(3)} ms = ${sp.totalMs.toFixed(3)} ms`,
      );
    }
    // Where capture's time goes: the same run without the readback, and its kernels by GPU time.
    let capNoRead: Capture | null = null;
    const capturedGpu = await prefillMs(sR, ids, {
      before: () => {
        capNoRead?.dispose();
        capNoRead = new Capture(ctx, { quantities: DEFAULT_QUANTITIES, readback: 'collect' });
        sR.tap = capNoRead.tap;
      },
    });
    sR.tap = null;
    (capNoRead as Capture | null)?.dispose();
    const capProf = new TimestampProfiler(ctx);
    const capTimed = new Capture(ctx, { quantities: DEFAULT_QUANTITIES });
    await sR.reset();
    ctx.setObserver(capProf);
    sR.tap = capTimed.tap;
    await sR.prefill(ids);
    const timings = await capProf.collect();
    ctx.setObserver(null);
    sR.tap = null;
    await capTimed.collect();
    capTimed.dispose();
    const byKernel = new Map<string, number>();
    const byCaptureOp = new Map<string, number>();
    for (const t of timings) {
      const ms = (t.endNs - t.startNs) / 1e6;
      byKernel.set(t.info.kernel, (byKernel.get(t.info.kernel) ?? 0) + ms);
      if (t.info.op.startsWith('capture')) byCaptureOp.set(t.info.op, (byCaptureOp.get(t.info.op) ?? 0) + ms);
    }
    const top = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12);
    const capOps = [...byCaptureOp].sort((a, b) => b[1] - a[1]);
    out['captureOpsMs'] = Object.fromEntries(capOps);
    console.log(`T=${T}: capture GPU ms by dispatch op (all layers; one dispatch runs a layer's tap points): ` + capOps.map(([k, ms]) => `${k} ${ms.toFixed(2)}`).join(', '));
    out['captureNoReadbackMs'] = capturedGpu.ms;
    out['captureKernelsMs'] = Object.fromEntries(top);
    console.log(
      `T=${T}: capture without readback ${capturedGpu.ms.toFixed(3)} ms; GPU ms by kernel with capture: ` +
        top.map(([k, ms]) => `${k} ${ms.toFixed(2)}`).join(', '),
    );
    const prof = new TimestampProfiler(ctx);
    const perOp = await prefillMs(sR, ids, {
      before: () => ctx.setObserver(prof),
      after: async () => {
        await prof.collect();
        ctx.setObserver(null);
      },
    });
    Object.assign(out, {
      reglaPrefillMs: plainRun.ms,
      captureMs: captured.ms,
      captureRatio,
      captureRatioPairs: capPairs['submit'],
      perOpMs: perOp.ms,
      perOpRatio: perOp.ms / plainRun.ms,
      reglaPeakBytes: plainRun.peakBytes,
    });
    console.log(
      `T=${T}: prefill ${plainRun.ms.toFixed(3)} ms; with default capture ${captured.ms.toFixed(3)} ms (${captureRatio.toFixed(2)}×, median of ${repeat} alternating pairs; target ≤ 1.15×); ` +
        `per-op profiler ${perOp.ms.toFixed(3)} ms (${(perOp.ms / plainRun.ms).toFixed(2)}×)`,
    );
  } catch (e) {
    sR.dispose();
    throw e;
  }
  const sG = await Session.create(ctx, gla, randomWeights(gla, { seed: 2 }));
  try {
    // Time: ReGLA and GLA prefills alternate (R G R G …), so clock and thermal drift hit both alike;
    // the ratio is the median of the per-pair ratios.
    const pairs: number[] = [];
    const idsR = prompt(regla, T);
    const idsG = prompt(gla, T);
    for (let i = 0; i < repeat + 1; i++) {
      const r1 = await prefillMs(sR, idsR, {}, 1);
      const g1 = await prefillMs(sG, idsG, {}, 1);
      if (i > 0) pairs.push(r1.ms / g1.ms);
    }
    const timeRatio = median(pairs); // sorts pairs: [0] and at(-1) below are the extremes
    sR.dispose();
    // Peak memory: GLA alone (ReGLA's was taken above with only ReGLA loaded).
    const g = await prefillMs(sG, idsG);
    const r = out as { reglaPrefillMs: number; reglaPeakBytes: number };
    Object.assign(out, {
      glaPrefillMs: g.ms,
      glaPeakBytes: g.peakBytes,
      reglaVsGlaTime: timeRatio,
      reglaVsGlaTimePairs: pairs,
      reglaVsGlaMemory: r.reglaPeakBytes / g.peakBytes,
    });
    console.log(
      `ReGLA vs GLA at T=${T}: time ${timeRatio.toFixed(3)}× (median of ${pairs.length} alternating pairs, ${(pairs[0] as number).toFixed(3)}…${(pairs.at(-1) as number).toFixed(3)}; target ≤ 1.10), ` +
        `peak memory ${(r.reglaPeakBytes / g.peakBytes).toFixed(3)}× (${(r.reglaPeakBytes / 1e6).toFixed(1)} vs ${(g.peakBytes / 1e6).toFixed(1)} MB; target ≤ 1.05)`,
    );
  } finally {
    sR.dispose(); // idempotent
    sG.dispose();
  }
  // Crossover and long-context speedup against the same model with every layer softmax attention,
  // three ways. (1) Whole model, wall time: both sessions open, runs alternating at each length after
  // a warm-up per length (sweep's interleave: the variant-major order let the first lengths of the
  // first model absorb the machine's start-up, e.g. ReGLA at T=256 slower than at T=2048 in calls
  // E–R). (2) GPU time from the per-op profiler, split into the attention layer (norm, projections,
  // the token mixer, the output norm and o_proj: what differs between the two models) and its core
  // (the mixer's own kernels: feature maps, gates, the chunked recurrence and output norm, against
  // RoPE, the KV-cache append and the flash-style attention). (3) The whole model again at the
  // bundled sample models' shape (4 layers, hidden 128), where attention is a larger share.
  const softmax = softmaxBaselineConfig(regla);
  const seqLens = full ? [256, 512, 1024, 2048, 4096, 8192, 16384] : [16, 64];
  /** A model against its all-softmax version: both open, alternating at each length, after a GPU warm-up. */
  const versusSoftmax = (c: ModelConfig, sm: ModelConfig): Promise<SweepRow[]> =>
    sweep(ctx, {
      configs: [
        { name: 'regla', config: c, weights: randomWeights(c, { seed: 1 }) },
        { name: 'softmax', config: sm, weights: randomWeights(sm, { seed: 3 }) },
      ],
      seqLens,
      chunkSizes: [64],
      decodeTokens: full ? 16 : 2,
      repeat: full ? 5 : 1,
      interleave: true,
      warmupMs: full ? 1500 : 0,
    });
  const rows = await versusSoftmax(regla, softmax);
  const longest = seqLens.at(-1) as number;
  const at = (rs: readonly SweepRow[], v: string): number => rs.find((r) => r.variant === v && r.T === longest)?.prefillMs ?? NaN;
  Object.assign(out, {
    sweep: rows,
    crossoverPrefill: crossover(rows, 'regla', 'softmax', 'prefill'),
    crossoverDecode: crossover(rows, 'regla', 'softmax', 'decode'),
    longest,
    speedupLongest: at(rows, 'softmax') / at(rows, 'regla'),
  });
  const o = out as { crossoverPrefill: number | null; crossoverDecode: number | null; speedupLongest: number };
  const tokens = (x: number | null): string => (x === null ? 'none' : x.toFixed(0));
  console.log(
    `ReGLA vs softmax attention, whole model (wall, interleaved): ${rows.map((r) => `${r.variant[0]}${r.T} ${r.prefillMs.toFixed(1)}`).join(', ')} ms`,
  );
  console.log(
    `ReGLA vs softmax attention, whole model: crossover prefill ${tokens(o.crossoverPrefill)} tokens, decode ${tokens(o.crossoverDecode)} tokens (target ≤ 2048); ` +
      `prefill at T=${longest} ${o.speedupLongest.toFixed(2)}× faster (target ≥ 5× at 16K)`,
  );

  // (2) GPU time by part, per-op profiler, median of `reps` prefills per (model, T).
  const parts = async (s: Session, T: number, reps: number): Promise<{ total: number; layer: number; core: number }> => {
    const MLP = new Set(['mlp_norm', 'gate_up_proj', 'down_proj']);
    const totals: number[] = [];
    const layers: number[] = [];
    const cores: number[] = [];
    const ids = Array.from({ length: T }, (_, i) => i % s.config.vocabSize);
    for (let r = 0; r < reps + 1; r++) {
      await s.reset();
      const prof = new TimestampProfiler(ctx);
      ctx.setObserver(prof);
      await s.prefill(ids);
      const recs = await prof.collect();
      ctx.setObserver(null);
      let total = 0;
      let layer = 0;
      let core = 0;
      for (const t of recs) {
        const ms = (t.endNs - t.startNs) / 1e6;
        total += ms;
        if (t.info.layer === undefined || MLP.has(t.info.op)) continue;
        layer += ms;
        if (t.info.kernel !== 'matmul' && t.info.kernel !== 'gemv' && t.info.op !== 'attn_norm') core += ms;
      }
      if (r === 0) continue; // compiles
      totals.push(total);
      layers.push(layer);
      cores.push(core);
    }
    await s.reset();
    return { total: median(totals), layer: median(layers), core: median(cores) };
  };
  const byPart: Array<{ variant: string; T: number; totalMs: number; layerMs: number; coreMs: number }> = [];
  {
    const sRg = await Session.create(ctx, regla, randomWeights(regla, { seed: 1 }));
    const sSm = await Session.create(ctx, softmax, randomWeights(softmax, { seed: 3 }));
    try {
      await warmGpu(sRg, prompt(regla, T));
      for (const T of seqLens) {
        for (const [variant, s] of [['regla', sRg], ['softmax', sSm]] as const) {
          const p = await parts(s, T, full ? 3 : 1);
          byPart.push({ variant, T, totalMs: p.total, layerMs: p.layer, coreMs: p.core });
        }
      }
    } finally {
      sRg.dispose();
      sSm.dispose();
    }
  }
  const asRows = (key: 'totalMs' | 'layerMs' | 'coreMs'): SweepRow[] =>
    byPart.map((b) => ({ variant: b.variant, T: b.T, chunk: 64, prefillMs: b[key], decodeMsPerToken: NaN, stateBytes: 0, kvCacheBytes: 0, kvUsedBytes: 0 }));
  const gpuParts = Object.fromEntries(
    (['totalMs', 'layerMs', 'coreMs'] as const).map((key) => {
      const rs = asRows(key);
      return [key, { crossoverPrefill: crossover(rs, 'regla', 'softmax', 'prefill'), speedupLongest: at(rs, 'softmax') / at(rs, 'regla') }];
    }),
  ) as Record<'totalMs' | 'layerMs' | 'coreMs', { crossoverPrefill: number | null; speedupLongest: number }>;
  // What the mixer can do at most for the whole model: the softmax model's GPU time over ReGLA's
  // without its mixer core (projections, MLP, norms, embedding, head: the work both models share,
  // plus ReGLA's own projections) — the whole-model speedup if ReGLA's token mixer cost nothing.
  const softmaxTotal = at(asRows('totalMs'), 'softmax');
  const reglaWithoutCore = at(asRows('totalMs'), 'regla') - at(asRows('coreMs'), 'regla');
  const freeMixerCeiling = softmaxTotal / reglaWithoutCore;
  Object.assign(out, { gpuParts: { rows: byPart, ...gpuParts, freeMixerCeiling } });
  console.log(
    `GPU ms by part (per-op profiler; model total / attention layers / mixer core): ` +
      byPart.map((b) => `${b.variant[0]}${b.T} ${b.totalMs.toFixed(2)}/${b.layerMs.toFixed(2)}/${b.coreMs.toFixed(2)}`).join(', '),
  );
  for (const [key, what] of [['totalMs', 'whole model'], ['layerMs', 'attention layers (norm, projections, mixer, o_proj)'], ['coreMs', 'mixer core (no matmul)']] as const) {
    const g = gpuParts[key];
    console.log(`ReGLA vs softmax attention, GPU time of the ${what}: crossover ${tokens(g.crossoverPrefill)} tokens; at T=${longest} ${g.speedupLongest.toFixed(2)}× faster`);
  }
  console.log(
    `ReGLA vs softmax attention at T=${longest}, whole model, if ReGLA's mixer core cost nothing: ${freeMixerCeiling.toFixed(2)}× ` +
      `(softmax model ${softmaxTotal.toFixed(1)} ms / ReGLA without its core ${reglaWithoutCore.toFixed(1)} ms of GPU time)`,
  );

  // (3) Other widths, where attention is a larger share of the model: the bundled sample models'
  // shape (4 layers, hidden 128, 2 heads, vocab 4096) and a 12-layer model of hidden 512. At 16K
  // the whole-model speedup is about 1 + (softmax attention) / (ReGLA forward), and the projections
  // and MLP that both models share grow with the width squared, attention with the width.
  const shapes = [
    { key: 'sampleShape', label: '4L/128 (the samples)', config: { hidden_size: 128, num_hidden_layers: 4, num_heads: 2, vocab_size: 4096 } },
    { key: 'shape12L512', label: '12L/512', config: { hidden_size: 512, num_hidden_layers: 12, num_heads: 8, vocab_size: 32000 } },
  ];
  for (const shape of full ? shapes : shapes.slice(0, 1)) {
    const rc = parseConfig({ model_type: 'regla', ...shape.config });
    const rs = await versusSoftmax(rc, softmaxBaselineConfig(rc));
    const r = {
      config: shape.config,
      sweep: rs,
      crossoverPrefill: crossover(rs, 'regla', 'softmax', 'prefill'),
      crossoverDecode: crossover(rs, 'regla', 'softmax', 'decode'),
      speedupLongest: at(rs, 'softmax') / at(rs, 'regla'),
    };
    Object.assign(out, { [shape.key]: r });
    console.log(`shape ${shape.label} (wall, interleaved): ${rs.map((x) => `${x.variant[0]}${x.T} ${x.prefillMs.toFixed(1)}`).join(', ')} ms`);
    console.log(
      `ReGLA vs softmax attention at ${shape.label}, whole model: crossover prefill ${tokens(r.crossoverPrefill)} tokens, decode ${tokens(r.crossoverDecode)}; ` +
        `prefill at T=${longest} ${r.speedupLongest.toFixed(2)}× faster`,
    );
  }
  results['targets'] = out;
}

const ctx = await GpuContext.create(gpu, { label: 'bench' });
const adapterFeatures = [...ctx.features].join(', ');
results['device'] = { features: adapterFeatures, full, gpuKeepAlive: typeof gpu };
console.log(`ReGLA Studio bench (${full ? 'full sizes' : 'small sizes: run with --full on a real GPU'}); features: ${adapterFeatures}`);
const sections: Array<[string, (c: GpuContext) => Promise<void>]> = [
  ['matmul', benchMatmul],
  ['bandwidth', benchBandwidth],
  ['gla', benchGla],
  ['softmax', benchSoftmax],
  ['decode', benchDecode],
  ['targets', benchTargets],
  ['tune', benchTune],
];
if (full) {
  // The card idles at a low clock (345 MHz seen on the H200) and ramps under load: keep it busy for
  // ~2 s first, or the first section is measured at a lower clock than the rest.
  const rng = new Rng(9);
  const a = randTensor(ctx, rng, [2048, 2048], 1, 0, 'warm');
  const t0 = now();
  while (now() - t0 < 2000) {
    for (let i = 0; i < 20; i++) matmulNN(ctx, { a, b: a }).dispose();
    await ctx.sync();
  }
  a.dispose();
}
for (const [name, fn] of sections) {
  if (!want(name)) continue;
  try {
    await fn(ctx);
  } catch (e) {
    // A section that does not fit this device (or fails) is reported, and the others still run.
    results[`${name}_error`] = String(e);
    console.log(`${name}: FAILED: ${String(e)}`);
    await ctx.sync().catch(() => undefined);
  }
  // Written after every section, so a run stopped by a time limit still leaves its figures.
  if (jsonOut && args.includes('--json')) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
}
ctx.destroy();
