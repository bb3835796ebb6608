// Gate fields per analysis, computed once: a field of one layer and quantity costs an exp/log per
// entry ([T, H, C]), so every (layer, quantity) is kept beside its analysis object until the
// analysis itself is dropped (WeakMap), and switching quantities back and forth costs nothing.

import type { ModelConfig } from '../../../shaders/index.js';
import { gateField, type GateField } from '../../session/metrics.js';
import type { GateQuantity } from '../../state/store.js';
import type { Analysis } from '../../state/types.js';

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
