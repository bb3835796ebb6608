// Derived per-token quantities the panels share, computed in float64 from an analysis' full
// tensors and capture records: the gate field g / r / F / log α of a layer ([T, kv heads, dk], the
// spec §1.3 formulas in stable log form, with τ and clamp_min), its mean per token, saturation
// shares at any threshold, and ‖S_t‖ per token.

import { logRefined64, logSigmoid64, sigmoid64, type ModelConfig } from '../../shaders/index.js';
import type { GateQuantity } from '../state/store.js';
import { dumpKey, type Analysis } from '../state/types.js';

/**
 * log α of one channel from its gate logits (spec §1.3/§1.5 step 4; c only for 'refined'): the
 * engine's float64 gate twin (shaders/cpu/gate.ts), whose refined form does not cancel as g, r → 1.
 */
export function logAlpha(config: ModelConfig, a: number, c: number): number {
  const tau = config.gate === 'sigmoid' ? 1 : config.gateLogitNormalizer;
  const la = (config.gate === 'refined' ? logRefined64(a, c) : logSigmoid64(a)) / tau;
  return config.clampMin !== null ? Math.max(la, config.clampMin) : la;
}

export interface GateField {
  layer: number;
  /** Tokens, kv heads, channels per head. */
  T: number;
  H: number;
  C: number;
  pos0: number;
  values: Float64Array;
}

/** Which quantities a config's gate has (F / log α are α's linear and log forms). */
export function gateQuantities(config: ModelConfig): GateQuantity[] {
  switch (config.gate) {
    case 'none':
      return [];
    case 'refined':
      return ['g', 'r', 'F', 'logA'];
    default:
      return ['g', 'F', 'logA'];
  }
}

/** The gate field of one layer for a quantity, or null (no gate, softmax layer, or not dumped). */
export function gateField(analysis: Analysis, config: ModelConfig, layer: number, q: GateQuantity): GateField | null {
  if (!gateQuantities(config).includes(q)) return null;
  const a = analysis.dumps.get(dumpKey('gate.a', layer));
  if (!a) return null;
  const c = analysis.dumps.get(dumpKey('gate.c', layer));
  if (q === 'r' && !c) return null;
  const [H = 1, C = 1] = a.rowShape;
  const n = a.rows * H * C;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ai = a.data[i] as number;
    const ci = c ? (c.data[i] as number) : 0;
    switch (q) {
      case 'g':
        out[i] = sigmoid64(ai);
        break;
      case 'r':
        out[i] = sigmoid64(ci);
        break;
      case 'F':
        out[i] = Math.exp(logAlpha(config, ai, ci));
        break;
      case 'logA':
        out[i] = logAlpha(config, ai, ci);
        break;
    }
  }
  return { layer, T: a.rows, H, C, pos0: a.pos0, values: out };
}

/** [T] mean over channels of one head (head < 0: over all heads). */
export function tokenMeans(f: GateField, head: number): Float64Array {
  const out = new Float64Array(f.T);
  const h0 = head < 0 ? 0 : Math.min(head, f.H - 1);
  const h1 = head < 0 ? f.H : h0 + 1;
  for (let t = 0; t < f.T; t++) {
    let s = 0;
    for (let h = h0; h < h1; h++) for (let ch = 0; ch < f.C; ch++) s += f.values[(t * f.H + h) * f.C + ch] as number;
    out[t] = s / ((h1 - h0) * f.C);
  }
  return out;
}

/** [C, T] channel × token matrix of one head (rows are channels), as float32 for drawing. */
export function channelByToken(f: GateField, head: number): Float32Array {
  const h = Math.min(Math.max(0, head), f.H - 1);
  const out = new Float32Array(f.C * f.T);
  for (let t = 0; t < f.T; t++) for (let ch = 0; ch < f.C; ch++) out[ch * f.T + t] = f.values[(t * f.H + h) * f.C + ch] as number;
  return out;
}

/** Share of entries within eps of 0 or of 1 (values in [0, 1]); of the given head or all (< 0). */
export function saturationShare(f: GateField, eps: number, head = -1): { low: number; high: number; total: number } {
  let low = 0;
  let high = 0;
  let n = 0;
  for (let t = 0; t < f.T; t++) {
    for (let h = 0; h < f.H; h++) {
      if (head >= 0 && h !== head) continue;
      for (let ch = 0; ch < f.C; ch++) {
        const v = f.values[(t * f.H + h) * f.C + ch] as number;
        if (v < eps) low++;
        else if (v > 1 - eps) high++;
        n++;
      }
    }
  }
  return n === 0 ? { low: 0, high: 0, total: 0 } : { low: low / n, high: high / n, total: (low + high) / n };
}

/** ‖S_t‖ per token of one layer and kv head from the 'state.in' tokenState record, or null. */
export function stateNormSeries(analysis: Analysis, layer: number, head: number): Float64Array | null {
  const rec = analysis.records.find((r) => r.layer === layer && r.tokenStateNorm);
  const m = rec?.tokenStateNorm;
  if (!m) return null;
  const h = Math.min(Math.max(0, head), m.cols - 1);
  const out = new Float64Array(m.rows);
  for (let t = 0; t < m.rows; t++) out[t] = m.at(t, h);
  return out;
}

/** Layers that have a gate dump (the gated, non-softmax ones that were dumped). */
export function gatedLayers(analysis: Analysis, config: ModelConfig): number[] {
  const out: number[] = [];
  for (let l = 0; l < config.numLayers; l++) if (analysis.dumps.has(dumpKey('gate.a', l))) out.push(l);
  return out;
}

const fieldCache = new WeakMap<Analysis, Map<string, GateField | null>>();

/**
 * gateField, computed once per analysis, layer and quantity (an exp/log per entry of [T, H, C]):
 * kept beside its analysis object until the analysis is dropped, so panels switching quantities
 * back and forth, or two panels showing the same field, pay once.
 */
export function cachedGateField(analysis: Analysis, config: ModelConfig, layer: number, q: GateQuantity): GateField | null {
  let m = fieldCache.get(analysis);
  if (!m) {
    m = new Map();
    fieldCache.set(analysis, m);
  }
  const key = `${q}@${layer}`;
  if (!m.has(key)) m.set(key, gateField(analysis, config, layer, q));
  return m.get(key) ?? null;
}
