// The renderer's data model: what a run produced, as plain typed records the panels read. No
// zustand here (types only), so viz/ and panels/ can import it freely.

import type { CaptureRecord, Intervention, ModelConfig, ProfileReport, SamplingOptions, TapPoint } from '../../shaders/index.js';

/** A model the app can open: a bundled sample or a folder the user chose. */
export interface ModelRef {
  /** Stable key: 'sample:<name>' or 'folder:<name>' (+ a counter when names repeat). */
  key: string;
  name: string;
  kind: 'sample' | 'folder';
  /** Variant label from the sample index or the config (e.g. 'regla', 'gla'). */
  variant: string;
  about?: string;
  parameters?: number;
}

/** A model opened on the GPU. */
export interface LoadedModel {
  ref: ModelRef;
  config: ModelConfig;
  weightBytes: number;
  /** The bundled sample's training_log.json, when it has one. */
  trainingLog: TrainingLog | null;
}

export interface TokenView {
  /** Absolute position in the sequence. */
  pos: number;
  id: number;
  /** The token's text as decoded in context (may be '' for partial UTF-8). */
  text: string;
  prompt: boolean;
  /** log p(token | prefix) under the model (null for the first token). */
  logprob: number | null;
  /** Entropy (nats) of the model's next-token distribution at the previous position. */
  entropy: number | null;
  /** The most likely alternatives at the previous position. */
  top: ReadonlyArray<{ id: number; text: string; p: number }>;
}

/** A full tensor of one tap point and layer over the run's tokens: [T, ...rowShape]. */
export interface DumpTensor {
  layer: number;
  point: TapPoint;
  pos0: number;
  rows: number;
  rowShape: readonly number[];
  data: Float32Array;
}

/** What one analysis prefill over the whole sequence captured. */
export interface Analysis {
  T: number;
  records: CaptureRecord[];
  /** Keyed by dumpKey(point, layer). */
  dumps: ReadonlyMap<string, DumpTensor>;
  /** Wall time of the analysis prefill, readback included. */
  ms: number;
}

export interface EffectiveAttention {
  layer: number;
  head: number;
  /** Absolute positions [lo, hi) of the window. */
  lo: number;
  hi: number;
  /** (hi − lo)² row-major: row t = query position lo + t, column u = key position lo + u. */
  matrix: Float32Array;
}

export type RunStatus = 'loading' | 'generating' | 'analyzing' | 'done' | 'cancelled' | 'error';

export interface Run {
  id: string;
  model: ModelRef;
  prompt: string;
  sampling: SamplingOptions;
  /** Edits applied to every forward pass of this run (empty: the model as trained). */
  interventions: readonly Intervention[];
  maxTokens: number;
  status: RunStatus;
  error: string | null;
  tokens: TokenView[];
  promptLength: number;
  stats: { prefillMs: number; decodeMs: number; generated: number; stopReason: string | null };
  analysis: Analysis | null;
  attention: EffectiveAttention | null;
  profile: ProfileReport | null;
}

export function dumpKey(point: TapPoint, layer: number): string {
  return `${point}@${layer}`;
}

// ---------------------------------------------------------------- training logs (samples/README.md)

export interface TrainingLogStep {
  step: number;
  loss: number;
  lr?: number;
  grad_norm?: number;
  time_s?: number;
}

/** Gate statistics of one gated layer at one training step (samples/train/train.py gate_stats). */
export interface GateSnapshotLayer {
  layer: number;
  /** Histograms over [0, 1] (bins of TrainingLog.gates.bins): g = σ(a) and α. */
  g_hist: number[];
  alpha_hist: number[];
  /** Shares keyed by eps ('0.01', '0.05'). */
  g_saturated: Record<string, number>;
  alpha_saturated_high: Record<string, number>;
  alpha_saturated_low: Record<string, number>;
  logit_saturated: number;
  mean_g: number;
  mean_alpha: number;
  memory_length: number;
  mean_g_one_minus_g: number;
  /** Refined gate only. */
  mean_r?: number;
  mean_dF_dg?: number;
}

export interface TrainingLog {
  name: string;
  parameters?: number;
  tokens_per_step?: number;
  steps: TrainingLogStep[];
  evals: Array<{ step: number; val_loss: number; val_ppl: number }>;
  gates?: {
    bins: number;
    eps: number[];
    logit_threshold: number;
    snapshots: Array<{ step: number; layers: GateSnapshotLayer[] }>;
  };
}
