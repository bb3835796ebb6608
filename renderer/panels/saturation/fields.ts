// Histograms of gate fields, computed once per field and bin spec and kept beside the field (the
// fields themselves are cached per analysis by session/metrics.ts cachedGateField).

import type { GateField } from '../../session/metrics.js';
import { binValues, type BinSpec, type Histogram } from '../../viz/histogram.js';

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
