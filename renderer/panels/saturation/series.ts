// The saturation panel's data, as pure functions: which runs are drawn (the compared runs with
// analyses, else the current run), their labels and colours, the log-spaced threshold slider, and
// the values of one token (for the rug marks at the focused token). No DOM, no React.

import type { ModelConfig } from '../../../shaders/index.js';
import { gateQuantities, type GateField } from '../../session/metrics.js';
import type { Analysis, LoadedModel, Run } from '../../state/types.js';
import { seriesColor } from '../../viz/histogram.js';

export interface SeriesRun {
  id: string;
  label: string;
  color: string;
  analysis: Analysis;
  config: ModelConfig;
}

/** Why a model has no gate to show (softmax in every layer, or a gate of kind 'none'), or null. */
export function gatelessReason(config: ModelConfig): string | null {
  const softmax = new Set(config.hybridSoftmaxLayers.filter((l) => l >= 0 && l < config.numLayers));
  if (softmax.size >= config.numLayers) return 'softmax attention in every layer';
  if (gateQuantities(config).length === 0) return `linear attention without a forget gate (gate “${config.gate}”)`;
  return null;
}

/**
 * The runs to draw: the compared ones that have an analysis and a gated, loaded model when there
 * are at least two, else the current run (if it has an analysis and its model is loaded).
 */
export function seriesRuns(
  s: {
    compare: readonly string[];
    currentRun: string | null;
    runs: Readonly<Record<string, Run>>;
    loaded: Readonly<Record<string, LoadedModel>>;
    /** Configs a session bundle recorded, for runs whose model is not open. */
    recorded?: Readonly<Record<string, { config: ModelConfig }>>;
  },
): { runs: SeriesRun[]; comparing: boolean } {
  const usable = (id: string): { run: Run; config: ModelConfig; analysis: Analysis } | null => {
    const run = s.runs[id];
    const config = run ? (s.loaded[run.model.key]?.config ?? s.recorded?.[run.model.key]?.config) : undefined;
    if (!run || !run.analysis || !config) return null;
    return { run, config, analysis: run.analysis };
  };
  const compared = s.compare.map(usable).filter((x): x is NonNullable<typeof x> => x !== null && gatelessReason(x.config) === null);
  const picked = compared.length >= 2 ? compared : s.currentRun ? [usable(s.currentRun)].filter((x): x is NonNullable<typeof x> => x !== null) : [];
  const names = picked.map((p) => p.run.model.name);
  const runs = picked.map((p, i) => {
    const dup = names.filter((n) => n === p.run.model.name).length > 1;
    return {
      id: p.run.id,
      label: dup ? `${p.run.model.name} (${p.run.id})` : p.run.model.name,
      color: seriesColor(i),
      analysis: p.analysis,
      config: p.config,
    };
  });
  return { runs, comparing: compared.length >= 2 };
}

export const EPS_MIN = 0.001;
export const EPS_MAX = 0.2;
/** Slider positions 0…SLIDER_STEPS map log-uniformly onto [EPS_MIN, EPS_MAX]. */
export const SLIDER_STEPS = 200;

/** Slider position → eps, log-spaced, rounded to 2 significant digits. */
export function epsFromSlider(pos: number): number {
  const t = Math.min(1, Math.max(0, pos / SLIDER_STEPS));
  const v = Math.exp(Math.log(EPS_MIN) + t * (Math.log(EPS_MAX) - Math.log(EPS_MIN)));
  return Number(v.toPrecision(2));
}

/** eps → the nearest slider position. */
export function sliderFromEps(eps: number): number {
  const e = Math.min(EPS_MAX, Math.max(EPS_MIN, eps));
  return Math.round(((Math.log(e) - Math.log(EPS_MIN)) / (Math.log(EPS_MAX) - Math.log(EPS_MIN))) * SLIDER_STEPS);
}

/** The channels of one token (absolute position) and kv head of a field; empty outside its range. */
export function tokenValues(f: GateField, pos: number, head: number): Float64Array {
  const t = pos - f.pos0;
  if (t < 0 || t >= f.T) return new Float64Array(0);
  const h = Math.min(Math.max(0, head), f.H - 1);
  const start = (t * f.H + h) * f.C;
  return f.values.slice(start, start + f.C);
}

/** The kv head (gate head) that query head `head` reads, of H gate heads in a model of numHeads heads. */
export function kvHead(numHeads: number, head: number, H: number): number {
  if (H <= 1) return 0;
  const groups = Math.max(1, Math.round(numHeads / H));
  return Math.min(H - 1, Math.max(0, Math.floor(head / groups)));
}
