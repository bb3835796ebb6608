// Tiny configs of every variant in the spec, shared by the model and session tests.
const tiny = { hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 61, intermediate_size: 48 };
export const VARIANTS: Record<string, Record<string, unknown>> = {
  regla: { model_type: 'regla', ...tiny },
  regla_lowrank_rms_gate: { model_type: 'regla', ...tiny, gate_low_rank_dim: 4, attn_norm: 'rmsnorm', use_output_gate: true, gate_logit_normalizer: 2 },
  gla: { model_type: 'gla', ...tiny, gate_low_rank_dim: 4 },
  gla_conv_gqa_tied: { model_type: 'gla', ...tiny, num_heads: 4, num_kv_heads: 2, use_short_conv: true, conv_size: 3, clamp_min: -3, tie_word_embeddings: true, feature_map: 'relu', gate_low_rank_dim: 4 },
  sigmoid: { model_type: 'regla', ...tiny, gate: 'sigmoid', feature_map: 'identity', scale: 'inv_sqrt_dk' },
  la_relu: { model_type: 'regla', ...tiny, gate: 'none', feature_map: 'relu', attn_norm: 'rmsnorm', scale: 'inv_sqrt_dk' },
  la_elu_denominator: { model_type: 'regla', ...tiny, gate: 'none', feature_map: 'elu1', attn_norm: 'none', denominator: true },
  hedgehog: { model_type: 'regla', ...tiny, gate: 'none', feature_map: 'hedgehog', attn_norm: 'none', denominator: true },
  fast_decay: { model_type: 'regla', ...tiny, gate: 'fast_decay', feature_map: 'identity', attn_norm: 'rmsnorm', scale: 'inv_sqrt_dk' },
  hybrid_regla: { model_type: 'regla', ...tiny, num_hidden_layers: 3, hybrid_softmax_layers: [1], num_kv_heads: 1 },
  softmax: { model_type: 'regla', ...tiny, hybrid_softmax_layers: [0, 1] },
};

export const tokens = (n: number, V: number, seed = 1): number[] => Array.from({ length: n }, (_, i) => (i * 17 + seed * 5 + ((i * i) % 7)) % V);
