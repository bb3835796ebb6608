// Gate fields per analysis, computed once (the saturation panel's own copy: panels share no
// modules). A field costs an exp/log per entry ([T, H, C]), so every (layer, quantity) is kept
// beside its analysis object (WeakMap) until the analysis is dropped; histograms beside their field.

import type { ModelConfig } from '../../../shaders/index.js';
import { gateField, type GateField } from '../../session/metrics.js';
import type { GateQuantity } from '../../state/store.js';
import type { Analysis } from '../../state/types.js';
import { binValues, type BinSpec, type Histogram } from '../../viz/histogram.js';

const cache = new WeakMap<Analysis, Map<string, GateField | null>>();

export function cachedGateField(analysis: Analysis, config: ModelConfig, layer: number, q: GateQuantity): GateField | null {
  let m = cache.get(analysis);
  if (!m) {
    m = new Map();
    cache.set(analysis, m);
  }
  const key = `${q}@${layer}`;
  if (!m.has(key)) m.set(key, gateField(analysis, config, layer, q));
  return m.get(key) ?? null;
}

const hists = new WeakMap<GateField, Map<string, Histogram>>();

/** The field's histogram for a bin spec, kept beside the field. */
export function cachedHistogram(f: GateField, spec: BinSpec): Histogram {
  let m = hists.get(f);
  if (!m) {
    m = new Map();
    hists.set(f, m);
  }
  const key = `${spec.mapping}:${spec.bins}:${spec.range ?? ''}`;
  let h = m.get(key);
  if (!h) {
    h = binValues(f.values, spec);
    m.set(key, h);
  }
  return h;
}
