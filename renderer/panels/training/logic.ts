// The Training panel's data logic, pure and DOM-free (unit-tested in test/unit/viz-training.test.ts):
// loss series from a training log (raw, smoothed, held-out), the gate histograms of one layer over
// snapshots (for the ridgeline), and the first-vs-last snapshot table per layer.

import type { GateSnapshotLayer, TrainingLog } from '../../state/types.js';
import { smoothEma, type XY } from '../../viz/training.js';

export interface LossData {
  train: XY[];
  smooth: XY[];
  held: XY[];
}

/** Train loss per step, its debiased EMA (weight in [0, 1)), and held-out loss points. */
export function lossData(log: TrainingLog, smoothing: number): LossData {
  const steps = [...log.steps].sort((a, b) => a.step - b.step);
  const sm = smoothEma(
    steps.map((s) => s.loss),
    smoothing,
  );
  return {
    train: steps.map((s) => ({ x: s.step, y: s.loss })),
    smooth: steps.map((s, i) => ({ x: s.step, y: sm[i] as number })),
    held: [...log.evals].sort((a, b) => a.step - b.step).map((e) => ({ x: e.step, y: e.val_loss })),
  };
}

export type HistKind = 'alpha' | 'g';

/** The layers that have gate snapshots (in order). */
export function snapshotLayers(log: TrainingLog): number[] {
  const set = new Set<number>();
  for (const s of log.gates?.snapshots ?? []) for (const l of s.layers) set.add(l.layer);
  return [...set].sort((a, b) => a - b);
}

/** One histogram per snapshot step of a layer (α or g), steps ascending; snapshots lacking it skip. */
export function layerHistograms(log: TrainingLog, layer: number, kind: HistKind): Array<{ step: number; hist: number[]; stats: GateSnapshotLayer }> {
  const out: Array<{ step: number; hist: number[]; stats: GateSnapshotLayer }> = [];
  for (const s of log.gates?.snapshots ?? []) {
    const l = s.layers.find((x) => x.layer === layer);
    if (!l) continue;
    out.push({ step: s.step, hist: kind === 'alpha' ? l.alpha_hist : l.g_hist, stats: l });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Share of α within eps of 0 or 1 (high + low), or of g within eps of 0 or 1; NaN when not logged. */
export function saturatedShare(l: GateSnapshotLayer, kind: HistKind, eps: string): number {
  if (kind === 'g') return l.g_saturated[eps] ?? NaN;
  const hi = l.alpha_saturated_high[eps];
  const lo = l.alpha_saturated_low[eps];
  return hi === undefined || lo === undefined ? NaN : hi + lo;
}

export interface LayerRow {
  layer: number;
  first: GateSnapshotLayer | null;
  last: GateSnapshotLayer | null;
}

/** Per layer, the layer's stats at the first and last snapshot (and those steps). */
export function firstLast(log: TrainingLog): { firstStep: number | null; lastStep: number | null; rows: LayerRow[] } {
  const snaps = [...(log.gates?.snapshots ?? [])].filter((s) => s.layers.length > 0).sort((a, b) => a.step - b.step);
  const first = snaps[0];
  const last = snaps[snaps.length - 1];
  const rows = snapshotLayers(log).map((layer) => ({
    layer,
    first: first?.layers.find((l) => l.layer === layer) ?? null,
    last: last?.layers.find((l) => l.layer === layer) ?? null,
  }));
  return { firstStep: first?.step ?? null, lastStep: last?.step ?? null, rows };
}

/** The final train loss (mean of the last `n` steps) and the last held-out loss. */
export function finalLoss(log: TrainingLog, n = 20): { train: number; held: number; heldPpl: number } {
  const steps = [...log.steps].sort((a, b) => a.step - b.step).slice(-n);
  const train = steps.length > 0 ? steps.reduce((s, x) => s + x.loss, 0) / steps.length : NaN;
  const ev = [...log.evals].sort((a, b) => a.step - b.step).at(-1);
  return { train, held: ev?.val_loss ?? NaN, heldPpl: ev?.val_ppl ?? NaN };
}
