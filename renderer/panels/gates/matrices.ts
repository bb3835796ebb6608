// The gates panel's data, as pure functions: the layer × token matrix (per gated layer, the mean over
// channels of one kv head or of all heads), which kv head a query head reads, the quantity and colour
// mapping actually shown, colour domains and token-axis ticks. No DOM, no React.

import type { ModelConfig } from '../../../shaders/index.js';
import { gateQuantities, tokenMeans, type GateField } from '../../session/metrics.js';
import type { GateQuantity, ValueScale as ScaleKind } from '../../state/store.js';
import type { Matrix } from '../../viz/heatmap.js';
import { finiteExtent, linear, type Mapping, type ValueScale } from '../../viz/scales.js';

export const QUANTITY_LABELS: Record<GateQuantity, string> = {
  g: 'g = σ(a)',
  r: 'r (refining)',
  F: 'α = F',
  logA: 'log α',
};

/** Why a model has no gate to show (softmax in every layer, or a gate of kind 'none'), or null. */
export function gatelessReason(config: ModelConfig): string | null {
  const softmax = new Set(config.hybridSoftmaxLayers.filter((l) => l >= 0 && l < config.numLayers));
  if (softmax.size >= config.numLayers) return 'softmax attention in every layer';
  if (gateQuantities(config).length === 0) return `linear attention without a forget gate (gate “${config.gate}”)`;
  return null;
}

/** The quantity shown: the selected one when the gate has it, else α (F), else the first available. */
export function effectiveQuantity(selected: GateQuantity, available: readonly GateQuantity[]): GateQuantity | null {
  if (available.includes(selected)) return selected;
  if (available.includes('F')) return 'F';
  return available[0] ?? null;
}

/** Logit mapping only for values in (0, 1): log α is always drawn linear. */
export function effectiveMapping(q: GateQuantity, scale: ScaleKind): Mapping {
  return q === 'logA' ? 'linear' : scale;
}

/** The kv head (gate head) that query head `head` reads, of H gate heads in a model of numHeads heads. */
export function kvHead(config: Pick<ModelConfig, 'numHeads'>, head: number, H: number): number {
  if (H <= 1) return 0;
  const groups = Math.max(1, Math.round(config.numHeads / H));
  return Math.min(H - 1, Math.max(0, Math.floor(head / groups)));
}

export interface LayerTokenMatrix extends Matrix {
  values: Float32Array;
  /** Model layer index of each row. */
  layers: number[];
  /** Absolute position of column 0. */
  pos0: number;
}

/**
 * Rows = the given fields' layers (in order), columns = tokens; cell = mean over channels of kv head
 * `head` (head < 0: of all heads). Fields of fewer tokens leave NaN (grey) in their missing columns.
 */
export function layerTokenMatrix(fields: readonly GateField[], head: number): LayerTokenMatrix {
  const cols = fields.reduce((m, f) => Math.max(m, f.T), 0);
  const rows = fields.length;
  const values = new Float32Array(rows * cols).fill(NaN);
  fields.forEach((f, r) => {
    const means = tokenMeans(f, head < 0 ? -1 : Math.min(head, f.H - 1));
    values.set(means, r * cols);
  });
  return { rows, cols, values, layers: fields.map((f) => f.layer), pos0: fields[0]?.pos0 ?? 0 };
}

/** Colour domain of a matrix: its finite extent, kept inside (0, 1) for a logit mapping. */
export function heatDomain(values: ArrayLike<number>, mapping: Mapping): [number, number] {
  const [lo, hi] = finiteExtent(values);
  if (mapping !== 'logit') return [lo, hi];
  const a = Math.min(Math.max(lo, 1e-6), 1 - 2e-6);
  const b = Math.max(Math.min(hi, 1 - 1e-6), a + 1e-6);
  return [a, b];
}

/** Value at (row, col) of a row-major matrix, NaN outside it. */
export function cellValue(m: Matrix, row: number, col: number): number {
  if (row < 0 || col < 0 || row >= m.rows || col >= m.cols) return NaN;
  return m.values[row * m.cols + col] as number;
}

/** Integer token positions for x tick labels over columns [0, cols) starting at pos0 (about n of them). */
export function tokenTicks(pos0: number, cols: number, n: number): number[] {
  if (cols <= 0) return [];
  if (cols === 1) return [pos0];
  const t = linear([pos0, pos0 + cols - 1], [0, 1])
    .ticks(Math.max(1, n))
    .filter((v) => Number.isInteger(v) && v >= pos0 && v < pos0 + cols);
  return t.length > 0 ? t : [pos0];
}

/** A value for the readout: 4 significant digits, exponent form for tiny or huge magnitudes. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return '—';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(3);
  return v.toPrecision(4);
}

/**
 * The scale with its legend ticks thinned so that neighbours sit at least minGap px apart on a
 * legend of `width` px (logit ticks crowd near 0 and 1: 0.9, 0.95, 0.99 within a few pixels).
 */
export function spacedTicks(scale: ValueScale, width: number, minGap = 30): ValueScale {
  return {
    ...scale,
    ticks: (n?: number) => {
      const out: number[] = [];
      let last = -Infinity;
      for (const v of scale.ticks(n)) {
        const x = scale.position(v) * width;
        if (x - last >= minGap) {
          out.push(v);
          last = x;
        }
      }
      return out;
    },
  };
}
