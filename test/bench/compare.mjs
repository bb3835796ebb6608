// Prints the ratios between our bench (bench.ts --json) and the PyTorch/fla reference
// (reference.py) measured in the same command on the same GPU.
//   node test/bench/compare.mjs ours.json ref.json
import { readFileSync } from 'node:fs';

const [oursFile, refFile, ieeeFile] = process.argv.slice(2);
const ours = JSON.parse(readFileSync(oursFile, 'utf8'));
const ref = JSON.parse(readFileSync(refFile, 'utf8'));
// Optional: fla timed again with TRITON_F32_DEFAULT=ieee (exact f32 dots, as ours).
const ieee = ieeeFile ? JSON.parse(readFileSync(ieeeFile, 'utf8')) : null;
const f = (x, d = 2) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const lines = [`reference: ${ref.device}, torch ${ref.torch}${ref.fla_error ? ` (fla: ${ref.fla_error})` : ''}`];
if (ours.matmul && ref.matmul) {
  lines.push(`matmul ${ours.matmul.n}³ f32: ours ${f(ours.matmul.tiledTflops, 1)} TFLOP/s, cuBLAS (TF32 off) ${f(ref.matmul.tflops, 1)} TFLOP/s → ${f(ours.matmul.tiledTflops / ref.matmul.tflops)}× cuBLAS; naive WGSL ${f(ours.matmul.naiveTflops, 1)} TFLOP/s`);
}
if (ours.bandwidth && ref.bandwidth) {
  lines.push(`streaming add: ours ${f(ours.bandwidth.tbPerS)} TB/s (${f(ours.bandwidth.fractionOf443 * 100, 0)}% of 4.43), PyTorch ${f(ref.bandwidth.tbPerS)} TB/s`);
}
for (const row of ours.gla_chunk_fla_shape ?? []) {
  const r = (ref.gla ?? []).find((x) => x.T === row.T && x.B === row.B);
  if (!r) continue;
  const ri = (ieee?.gla ?? []).find((x) => x.T === row.T && x.B === row.B);
  lines.push(
    `chunked GLA B=${row.B} H=${row.H} D=${row.D} T=${row.T}: ours ${f(row.chunkMs, 3)} ms` +
      (r.flaChunkMs ? `, fla chunk_gla ${f(r.flaChunkMs, 3)} ms → ${f(row.chunkMs / r.flaChunkMs)}× fla (TF32 dots)` : '') +
      (ri?.flaChunkMs ? `, fla ieee ${f(ri.flaChunkMs, 3)} ms → ${f(row.chunkMs / ri.flaChunkMs)}× fla (f32 dots)` : '') +
      (r.torchChunkMs ? `, PyTorch chunked ${f(r.torchChunkMs, 3)} ms → ${f(row.chunkMs / r.torchChunkMs)}×` : '') +
      (r.sdpaMs ? `; PyTorch SDPA f32 ${f(r.sdpaMs, 3)} ms` : ''),
  );
}
for (const row of ours.gla_chunk_vs_recurrent ?? []) lines.push(`GLA T=${row.T} (B=${row.B} H=${row.H} D=${row.D}): chunked ${f(row.speedup, 1)}× faster than token-serial recurrent`);
for (const row of ours.softmax_attention ?? []) {
  const g = (ours.gla_chunk_vs_recurrent ?? []).find((x) => x.T === row.T);
  lines.push(`softmax attention (ours) T=${row.T} H=${row.H} D=${row.D}: ${f(row.ms, 3)} ms`);
  void g;
}
if (ours.decode) {
  const d = ours.decode;
  lines.push(`decode ${d.layers}L/${d.hidden}: ${f(d.msPerToken, 3)} ms/token, bound ${f(d.boundMs, 3)} ms → ${f(d.ratioToBound)}× the weight-bandwidth bound; ${d.dispatchesPerToken} dispatches/token (${f(d.dispatchesPerLayer)} per layer); GPU time ${f(d.gpuMsPerStep, 3)} ms/step`);
}
if (ours.tune) {
  const best = [...(ours.tune.tiles ?? [])].sort((a, b) => a.ms - b.ms)[0];
  if (best) {
    const cu = ref.matmul && ours.tune.matmulN === ref.matmul.n ? ` → ${f(best.tflops / ref.matmul.tflops)}× cuBLAS` : '';
    lines.push(`best matmul tile ${best.bm}x${best.bn}x${best.bk}${best.groupM ? ` groupM ${best.groupM}` : ''}: ${f(best.tflops, 1)} TFLOP/s${cu} (of ${ours.tune.tiles.length} tiles)`);
  }
  const c = [...(ours.tune.glaChunks ?? [])].sort((a, b) => a.ms - b.ms)[0];
  const r = c && (ref.gla ?? []).find((x) => x.T === c.T && x.B === c.B);
  if (c) lines.push(`best GLA chunk size at B=${c.B} T=${c.T}: ${c.chunk} (${f(c.ms, 3)} ms${r?.flaChunkMs ? ` → ${f(c.ms / r.flaChunkMs)}× fla` : ''})`);
}
if (ours.targets) {
  const t = ours.targets;
  lines.push(
    `capture at T=${t.T}: default capture ${f(t.captureRatio)}× prefill time (target ≤ 1.15), per-op profiler ${f(t.perOpRatio)}×; ` +
      `ReGLA vs GLA: ${f(t.reglaVsGlaTime, 3)}× time (≤ 1.10), ${f(t.reglaVsGlaMemory, 3)}× peak memory (≤ 1.05); ` +
      `vs softmax attention: crossover prefill ${t.crossoverPrefill == null ? 'none' : f(t.crossoverPrefill, 0)} / decode ${t.crossoverDecode == null ? 'none' : f(t.crossoverDecode, 0)} tokens (≤ 2048), ` +
      `${f(t.speedupLongest)}× faster prefill at T=${t.longest} (≥ 5 at 16K)` +
      (t.gpuParts
        ? `; GPU time at T=${t.longest}: attention layers ${f(t.gpuParts.layerMs.speedupLongest)}×, mixer core ${f(t.gpuParts.coreMs.speedupLongest)}×, ` +
          `whole model with a free mixer core ${f(t.gpuParts.freeMixerCeiling)}×`
        : ''),
  );
}
console.log(lines.join('\n'));
