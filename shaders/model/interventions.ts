// Interventions (TransformerLens-style hooks, as data): edits to one forward pass that a run records
// and exports. Each is applied identically by the GPU forward (model/model.ts) and its float64 twin
// (cpu/model.ts), on every path (chunked and recurrent prefill, decode), and seen by capture taps.
//
//   clamp_g         g = σ(a) clamped into [min, max] (0 ≤ min ≤ max ≤ 1) on the selected layers
//   force_r         the refining gate r = σ(c) forced to 0 or 1 ('refined' gates only)
//   scale_head      one head's read-out (after output norm and gate, before o_proj) times `scale`
//                   (0 zeroes the head)
//   feature_map     the layers' feature map swapped for another weight-free one of the same width
//   no_output_norm  the output norm (g_norm) skipped on the selected layers

import type { FeatureMapKind } from './config.js';

/** 'all' or explicit layer indices. */
export type LayerScope = 'all' | readonly number[];

export type Intervention =
  | { kind: 'clamp_g'; layers: LayerScope; min: number; max: number }
  | { kind: 'force_r'; layers: LayerScope; value: 0 | 1 }
  | { kind: 'scale_head'; layer: number; head: number; scale: number }
  | { kind: 'feature_map'; layers: LayerScope; map: FeatureMapKind }
  | { kind: 'no_output_norm'; layers: LayerScope };

export type InterventionKind = Intervention['kind'];
