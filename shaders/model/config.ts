// Model configuration: parses a Hugging Face style config.json of `model_type` "regla" (ours) or
// "gla" (flash-linear-attention's GLAForCausalLM) into one normalized ModelConfig, applying the
// defaulting rules of spec §4 and rejecting unknown values with a ConfigError naming the field.

import { ConfigError } from '../errors.js';

export const FEATURE_MAPS = ['identity', 'relu', 'elu1', 'hedgehog', 'exp_norm'] as const;
export const GATES = ['none', 'gla', 'sigmoid', 'refined', 'fast_decay'] as const;
export const ATTN_NORMS = ['rmsnorm', 'layernorm', 'none'] as const;
export const SCALES = ['inv_sqrt_dk', 'variance'] as const;
export const MODEL_TYPES = ['regla', 'gla'] as const;

export type FeatureMapKind = (typeof FEATURE_MAPS)[number];
export type GateKind = (typeof GATES)[number];
export type AttnNormKind = (typeof ATTN_NORMS)[number];
export type ScaleKind = (typeof SCALES)[number] | number;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface ModelConfig {
  modelType: ModelType;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** Key and value dims per head (before any feature map). */
  headDimK: number;
  headDimV: number;
  /** q_proj / g_proj output widths: numHeads·headDim. */
  keyDim: number;
  valueDim: number;
  intermediateSize: number;
  vocabSize: number;
  normEps: number;
  tieWordEmbeddings: boolean;
  useShortConv: boolean;
  convSize: number;
  featureMap: FeatureMapKind;
  scale: ScaleKind;
  gate: GateKind;
  /** null = full-rank gate projections. */
  gateLowRankDim: number | null;
  gateLogitNormalizer: number;
  clampMin: number | null;
  attnNorm: AttnNormKind;
  useOutputGate: boolean;
  denominator: boolean;
  hybridSoftmaxLayers: readonly number[];
  ropeTheta: number;
}

type Json = Record<string, unknown>;

function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(field, `${JSON.stringify(v)} is not one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
}

function int(field: string, v: unknown, min = 1): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
  throw new ConfigError(field, `${JSON.stringify(v)} must be an integer ≥ ${min}`);
}

function num(field: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new ConfigError(field, `${JSON.stringify(v)} must be a finite number`);
}

function bool(field: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  throw new ConfigError(field, `${JSON.stringify(v)} must be true or false`);
}

const has = (j: Json, k: string): boolean => j[k] !== undefined && j[k] !== null;

/** SwiGLU width when `intermediate_size` is null: hidden·ratio·2/3 rounded up to a multiple of 256. */
export function defaultIntermediate(hidden: number, ratio: number): number {
  return 256 * Math.ceil((hidden * ratio * 2) / 3 / 256);
}

/** Maps fla's feature_map names (activation names) onto ours. */
function flaFeatureMap(v: unknown): FeatureMapKind {
  if (v === null || v === undefined || v === 'identity') return 'identity';
  if (v === 'relu') return 'relu';
  if (v === 'elu' || v === 'elu1') return 'elu1';
  if (v === 'hedgehog') return 'hedgehog';
  throw new ConfigError('feature_map', `${JSON.stringify(v)} is not one of null, "relu", "elu", "hedgehog"`);
}

export function parseConfig(input: unknown): ModelConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('(root)', 'config must be a JSON object');
  }
  const j = input as Json;
  const modelType = oneOf('model_type', j['model_type'], MODEL_TYPES);
  const isGla = modelType === 'gla';

  const hiddenSize = int('hidden_size', j['hidden_size']);
  const numLayers = int('num_hidden_layers', j['num_hidden_layers']);
  const numHeads = int('num_heads', j['num_heads']);
  const numKvHeads = has(j, 'num_kv_heads') ? int('num_kv_heads', j['num_kv_heads']) : numHeads;
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError('num_kv_heads', `${numKvHeads} must divide num_heads (${numHeads})`);
  }
  const expandK = has(j, 'expand_k') ? num('expand_k', j['expand_k']) : 0.5;
  const expandV = has(j, 'expand_v') ? num('expand_v', j['expand_v']) : 1;
  const keyDim = hiddenSize * expandK;
  const valueDim = hiddenSize * expandV;
  if (!Number.isInteger(keyDim) || keyDim % numHeads !== 0) {
    throw new ConfigError('expand_k', `hidden_size·expand_k = ${keyDim} must be an integer divisible by num_heads (${numHeads})`);
  }
  if (!Number.isInteger(valueDim) || valueDim % numHeads !== 0) {
    throw new ConfigError('expand_v', `hidden_size·expand_v = ${valueDim} must be an integer divisible by num_heads (${numHeads})`);
  }
  const hiddenRatio = has(j, 'hidden_ratio') ? num('hidden_ratio', j['hidden_ratio']) : 4;
  const intermediateSize = has(j, 'intermediate_size')
    ? int('intermediate_size', j['intermediate_size'])
    : defaultIntermediate(hiddenSize, hiddenRatio);
  const vocabSize = int('vocab_size', j['vocab_size']);
  const normEps = has(j, 'norm_eps') ? num('norm_eps', j['norm_eps']) : has(j, 'rms_norm_eps') ? num('rms_norm_eps', j['rms_norm_eps']) : 1e-6;
  if (normEps <= 0) throw new ConfigError('norm_eps', `${normEps} must be > 0`);
  const tieWordEmbeddings = has(j, 'tie_word_embeddings') ? bool('tie_word_embeddings', j['tie_word_embeddings']) : false;
  const useShortConv = has(j, 'use_short_conv') ? bool('use_short_conv', j['use_short_conv']) : false;
  const convSize = has(j, 'conv_size') ? int('conv_size', j['conv_size']) : 4;

  const featureMap = isGla
    ? flaFeatureMap(j['feature_map'])
    : has(j, 'feature_map')
      ? oneOf('feature_map', j['feature_map'], FEATURE_MAPS)
      : 'exp_norm';

  let scale: ScaleKind = isGla ? 'inv_sqrt_dk' : 'variance';
  if (!isGla && has(j, 'scale')) {
    const s = j['scale'];
    scale = typeof s === 'number' ? num('scale', s) : oneOf('scale', s, SCALES);
  }
  const gate: GateKind = isGla ? 'gla' : has(j, 'gate') ? oneOf('gate', j['gate'], GATES) : 'refined';
  const gateLowRankDim = isGla
    ? has(j, 'gate_low_rank_dim')
      ? int('gate_low_rank_dim', j['gate_low_rank_dim'])
      : 16
    : has(j, 'gate_low_rank_dim')
      ? int('gate_low_rank_dim', j['gate_low_rank_dim'])
      : null;
  const gateLogitNormalizer = has(j, 'gate_logit_normalizer')
    ? num('gate_logit_normalizer', j['gate_logit_normalizer'])
    : isGla
      ? 16
      : 1;
  if (gateLogitNormalizer <= 0) throw new ConfigError('gate_logit_normalizer', `${gateLogitNormalizer} must be > 0`);
  const clampMin = has(j, 'clamp_min') ? num('clamp_min', j['clamp_min']) : null;
  const attnNorm: AttnNormKind = isGla ? 'rmsnorm' : has(j, 'attn_norm') ? oneOf('attn_norm', j['attn_norm'], ATTN_NORMS) : 'layernorm';
  const useOutputGate = has(j, 'use_output_gate') ? bool('use_output_gate', j['use_output_gate']) : isGla;
  const denominator = !isGla && has(j, 'denominator') ? bool('denominator', j['denominator']) : false;
  let hybridSoftmaxLayers: number[] = [];
  if (!isGla && has(j, 'hybrid_softmax_layers')) {
    const h = j['hybrid_softmax_layers'];
    if (!Array.isArray(h)) throw new ConfigError('hybrid_softmax_layers', 'must be a list of layer indices');
    hybridSoftmaxLayers = h.map((v, i) => int(`hybrid_softmax_layers[${i}]`, v, 0));
    for (const l of hybridSoftmaxLayers) {
      if (l >= numLayers) throw new ConfigError('hybrid_softmax_layers', `layer ${l} is out of range 0..${numLayers - 1}`);
    }
    hybridSoftmaxLayers = [...new Set(hybridSoftmaxLayers)].sort((a, b) => a - b);
  }
  if (isGla && has(j, 'attn')) {
    throw new ConfigError('attn', 'fla hybrid attention layers (the "attn" block) are not supported; use model_type "regla" with hybrid_softmax_layers');
  }
  if (hybridSoftmaxLayers.length > 0 && hiddenSize % numHeads !== 0) {
    throw new ConfigError('hidden_size', `must be divisible by num_heads for softmax layers`);
  }
  const ropeTheta = has(j, 'rope_theta') ? num('rope_theta', j['rope_theta']) : 10000;

  return {
    modelType,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDimK: keyDim / numHeads,
    headDimV: valueDim / numHeads,
    keyDim,
    valueDim,
    intermediateSize,
    vocabSize,
    normEps,
    tieWordEmbeddings,
    useShortConv,
    convSize,
    featureMap,
    scale,
    gate,
    gateLowRankDim,
    gateLogitNormalizer,
    clampMin,
    attnNorm,
    useOutputGate,
    denominator,
    hybridSoftmaxLayers,
    ropeTheta,
  };
}

/** Feature dim after the map (hedgehog doubles it). */
export function featureDim(c: ModelConfig): number {
  return c.featureMap === 'hedgehog' ? 2 * c.headDimK : c.headDimK;
}

/** The read-out scale s of spec §1.2, from the feature dim after the map. */
export function readoutScale(c: ModelConfig): number {
  const d = featureDim(c);
  if (typeof c.scale === 'number') return c.scale;
  if (c.scale === 'inv_sqrt_dk') return 1 / Math.sqrt(d);
  return 1 / (Math.E * Math.sqrt(d * (Math.E * Math.E - 1)));
}

export function isSoftmaxLayer(c: ModelConfig, layer: number): boolean {
  return c.hybridSoftmaxLayers.includes(layer);
}

/** Head dim of softmax (hybrid) layers: hidden / num_heads. */
export function softmaxHeadDim(c: ModelConfig): number {
  return c.hiddenSize / c.numHeads;
}

/** A config.json object for a normalized config (round-trips through parseConfig). */
export function configToJson(c: ModelConfig): Record<string, unknown> {
  return {
    model_type: c.modelType,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_heads: c.numHeads,
    num_kv_heads: c.numKvHeads,
    expand_k: c.keyDim / c.hiddenSize,
    expand_v: c.valueDim / c.hiddenSize,
    intermediate_size: c.intermediateSize,
    vocab_size: c.vocabSize,
    norm_eps: c.normEps,
    tie_word_embeddings: c.tieWordEmbeddings,
    use_short_conv: c.useShortConv,
    conv_size: c.convSize,
    feature_map: c.featureMap,
    scale: c.scale,
    gate: c.gate,
    gate_low_rank_dim: c.gateLowRankDim,
    gate_logit_normalizer: c.gateLogitNormalizer,
    clamp_min: c.clampMin,
    attn_norm: c.attnNorm,
    use_output_gate: c.useOutputGate,
    denominator: c.denominator,
    hybrid_softmax_layers: [...c.hybridSoftmaxLayers],
    rope_theta: c.ropeTheta,
  };
}
