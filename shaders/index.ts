// The engine's one entry point: imported by the renderer, the CLI, benches and tests.

export * from './errors.js';
export * from './gpu/context.js';
export * from './gpu/tensor.js';
export * from './gpu/preprocess.js';
export * from './gpu/timestamps.js';
export * from './cpu/random.js';
export * from './model/config.js';
export * from './model/weights.js';
export * from './model/model.js';
export * from './model/session.js';
export * from './model/interventions.js';
export { forward64, cpuState, type CpuState } from './cpu/model.js';
export { rowNll64 } from './cpu/sampling.js';
export { logSigmoid64, logRefined64, sigmoid64 } from './cpu/gate.js';
export * from './model/safetensors.js';
export * from './model/folder.js';

// Ops, for tools that compose kernels directly (benchmarks, the profiler, custom experiments).
export { rowNorm, type NormArgs } from './ops/norm.js';
export { matmul, matmulNN, matmulNaive, gemvNorm, mlpPartial, type MatmulArgs } from './ops/matmul.js';
export { embedding } from './ops/embedding.js';
export { add, scale, silu, swiglu } from './ops/elementwise.js';
export { shortConv } from './ops/short_conv.js';
export { logGate, type LogGateArgs, type LogGates } from './ops/gate.js';
export { featureMap, expNormKeys, type FeatureMapArgs, type ExpNormKeysArgs, type ExpNormKeys } from './ops/feature_map.js';
export { glaRecurrent, glaChunk, type GlaArgs, type GlaChunkArgs, type GlaChunkTiles } from './ops/gla.js';
export { glaStep, glaStepSupported, type GlaStepArgs } from './ops/gla_step.js';
export { attnOutput, type AttnOutputArgs } from './ops/attn_out.js';
export { rope } from './ops/rope.js';
export { softmaxAttention, kvAppend } from './ops/softmax_attn.js';
export { sample, type SampleArgs } from './ops/sampling.js';
export { clampInPlace, scaleColumns, type ClampArgs, type ScaleColumnsArgs } from './ops/interventions.js';

// Capture: GPU reductions of tapped tensors (histograms, saturation, means, state norms).
export { Capture, DEFAULT_QUANTITIES, TokenMatrix, type Quantity, type CaptureOptions, type CaptureRecord, type HistogramRecord, type SaturationRecord, type MeansRecord, type Range, type Readback } from './capture/capture.js';
export { histogram, saturation, headMoments, gateProxies, stateNorm, fusedReduce, finishSums, blockSums64, stateLayout, type FusedArgs, type FusedLayout, type HeadLayout, type HistogramArgs, type SaturationArgs, type MomentsArgs, type ProxyArgs, type StateNormArgs } from './capture/reduce.js';
export { effectiveAttention, effectiveAttentionRow, MAX_ATTENTION_WINDOW, type EffectiveAttentionInputs, type EffectiveAttentionArgs, type EffectiveAttentionRowArgs } from './capture/attention.js';
export { MAX_BINS, MAX_THRESHOLDS, f32Key, histogramEdges, histogramEdgeKeys, alphaThreshold, logitThreshold, valueThreshold, type HistogramSpec, type ThresholdPair } from './capture/edges.js';
export type { TopKRecord } from './capture/capture.js';
export { logitsTopK, tokenStateNorms, MAX_TOP_K, type RowRange, type TopKArgs, type TokenStateNormArgs } from './capture/reduce.js';

// Profiler: per-dispatch or per-submit GPU timing, Chrome trace and CSV export.
export * from './profile/profile.js';
export * from './profile/trace.js';
export { measureDevicePeaks, placeOnRoofline, rooflineTable, fmaBench, streamBench, streamWorkgroups, FMA_FLOPS_PER_ITERATION, type PeakOptions, type DevicePeaks, type MicrobenchKernel, type FmaArgs, type RooflinePoint, type RooflineRow } from './profile/roofline.js';
export { sweep, sweepRun, sweepRow, crossover, memoryTable, kvBytesPerPosition, sweepCsv, tokensPerSecond, SWEEP_CSV_HEADER, type SweepVariant, type OpenVariant, type SweepOptions, type SweepRow, type MemoryRow } from './profile/sweep.js';

// Sweeps against the engine's own softmax attention; effective attention with fast_decay's value gate.
export { hasSoftmaxLayers, softmaxBaselineConfig } from './profile/sweep.js';
export type { ValueGate, EffectiveAttentionTensor } from './capture/attention.js';

// Full tensors through a pool of staging buffers (never stalls generation), and tap composition.
export { TensorDump, combineTaps, joinChunks, type DumpChunk, type DumpStats, type JoinedTensor, type TensorDumpOptions } from './capture/dump.js';
export { StagingPool, type StagingBuffer, type StagingPoolOptions, type StagingStats } from './gpu/staging.js';
