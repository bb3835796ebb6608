import { describe, expect, it } from 'vitest';
import { ConfigError, WeightsFormatError } from '../../shaders/errors.js';
import { configToJson, defaultIntermediate, parseConfig, readoutScale } from '../../shaders/model/config.js';
import { expectedWeights, randomWeights, validateWeights } from '../../shaders/model/weights.js';

const base = { model_type: 'regla', hidden_size: 64, num_hidden_layers: 2, num_heads: 2, vocab_size: 100 };

describe('config', () => {
  it('applies the regla defaults of spec §4', () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({
      featureMap: 'exp_norm', scale: 'variance', gate: 'refined', gateLowRankDim: null, gateLogitNormalizer: 1,
      attnNorm: 'layernorm', useOutputGate: false, denominator: false, numKvHeads: 2, headDimK: 16, headDimV: 32,
      intermediateSize: 256, normEps: 1e-6, convSize: 4, ropeTheta: 10000,
    });
  });

  it('applies fla GLA defaults and the eps fallback', () => {
    const c = parseConfig({ ...base, model_type: 'gla', rms_norm_eps: 1e-5, attn_mode: 'fused_chunk', use_gk: true, fuse_norm: true });
    expect(c).toMatchObject({ gate: 'gla', gateLowRankDim: 16, gateLogitNormalizer: 16, attnNorm: 'rmsnorm', useOutputGate: true, featureMap: 'identity', scale: 'inv_sqrt_dk', normEps: 1e-5 });
    expect(parseConfig({ ...base, model_type: 'gla', feature_map: 'elu' }).featureMap).toBe('elu1');
  });

  it('computes the fla-hub gla-340M shapes', () => {
    const c = parseConfig({ model_type: 'gla', hidden_size: 1024, num_hidden_layers: 24, num_heads: 4, expand_k: 0.5, expand_v: 1, vocab_size: 32000, tie_word_embeddings: true });
    expect([c.headDimK, c.headDimV, c.intermediateSize]).toEqual([128, 256, 2816]);
    const params = expectedWeights(c).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    expect(params / 1e6).toBeCloseTo(341.7, 0);
  });

  it('rounds the SwiGLU width up to a multiple of 256', () => {
    expect(defaultIntermediate(768, 4)).toBe(2048);
    expect(defaultIntermediate(1024, 4)).toBe(2816);
  });

  it('names the field and the allowed values for unknown options', () => {
    expect(() => parseConfig({ ...base, gate: 'lstm' })).toThrowError(/config\.gate: "lstm" is not one of "none", "gla", "sigmoid", "refined", "fast_decay"/);
    expect(() => parseConfig({ ...base, feature_map: 'cos' })).toThrowError(/config\.feature_map: .*"exp_norm"/);
    expect(() => parseConfig({ ...base, model_type: 'llama' })).toThrowError(ConfigError);
    expect(() => parseConfig({ ...base, num_kv_heads: 3 })).toThrowError(/num_kv_heads: 3 must divide num_heads/);
    expect(() => parseConfig({ ...base, hidden_size: 65 })).toThrowError(/expand_k/);
    expect(() => parseConfig({ ...base, hybrid_softmax_layers: [5] })).toThrowError(/hybrid_softmax_layers: layer 5 is out of range/);
    expect(() => parseConfig(null)).toThrowError(ConfigError);
  });

  it('variance scale matches the spec values', () => {
    expect(readoutScale(parseConfig({ ...base, hidden_size: 256 }))).toBeCloseTo(0.01819, 5); // dk = 64
    expect(readoutScale(parseConfig({ ...base, hidden_size: 512 }))).toBeCloseTo(0.01286, 5); // dk = 128
  });

  it('round-trips through config.json', () => {
    const c = parseConfig({ ...base, gate: 'fast_decay', hybrid_softmax_layers: [1], gate_low_rank_dim: 8, clamp_min: -5 });
    expect(parseConfig(configToJson(c))).toEqual(c);
  });
});

describe('weights', () => {
  it('validates names and shapes with named errors', () => {
    const c = parseConfig({ ...base, gate: 'fast_decay', use_short_conv: true, feature_map: 'hedgehog', use_output_gate: true });
    const w = randomWeights(c, { seed: 3 });
    expect(() => validateWeights(c, w)).not.toThrow();
    const bad = new Map(w);
    bad.set('model.layers.1.attn.k_proj.weight', { shape: [3, 64], data: new Float32Array(192) });
    expect(() => validateWeights(c, bad)).toThrowError(/model\.layers\.1\.attn\.k_proj\.weight: expected shape \[32, 64\], got \[3, 64\]/);
    const missing = new Map(w);
    missing.delete('model.norm.weight');
    expect(() => validateWeights(c, missing)).toThrowError(WeightsFormatError);
    const extra = new Map(w);
    extra.set('model.layers.0.attn.gr_proj.weight', { shape: [1], data: new Float32Array(1) });
    expect(() => validateWeights(c, extra)).toThrowError(/unexpected tensor model\.layers\.0\.attn\.gr_proj\.weight/);
  });

  it('lists gate projections per gate kind, low and full rank', () => {
    const names = (o: Record<string, unknown>) => expectedWeights(parseConfig({ ...base, ...o })).map((s) => s.name).filter((n) => n.includes('layers.0.attn.g'));
    expect(names({ gate: 'refined' })).toEqual(['model.layers.0.attn.gk_proj.weight', 'model.layers.0.attn.gk_proj.bias', 'model.layers.0.attn.gr_proj.weight', 'model.layers.0.attn.gr_proj.bias', 'model.layers.0.attn.g_norm.weight', 'model.layers.0.attn.g_norm.bias']);
    expect(names({ gate: 'gla', gate_low_rank_dim: 16, attn_norm: 'rmsnorm' })).toEqual(['model.layers.0.attn.gk_proj.0.weight', 'model.layers.0.attn.gk_proj.1.weight', 'model.layers.0.attn.gk_proj.1.bias', 'model.layers.0.attn.g_norm.weight']);
  });
});
