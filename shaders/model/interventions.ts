// Interventions (TransformerLens-style hooks, as data): edits to one forward pass that a run records
// and exports. Each is applied identically by the GPU forward (model/model.ts) and its float64 twin
// (cpu/model.ts), on every path (chunked and recurrent prefill, unfused decode; the fused decode step
// is bypassed while any intervention is active), and capture taps see the intervened tensors.
//
//   clamp_g         g = σ(a) clamped into [min, max] (0 ≤ min ≤ max ≤ 1) on the selected layers.
//                   Done on the logits: the key-side gate logits a (and fast_decay's value-side b)
//                   are clamped in place into [lo, hi], lo = logit(min), hi = logit(max), each kept
//                   within ±LOGIT_BOUND (88); min = 0 / max = 1 put no bound on that side (±F32_MAX, a
//                   finite f32, so the clamp never changes a finite logit). Gate kinds that scale the
//                   log gate (gla's 1/τ, config clamp_min) still apply after: 'gla' gives α = g^(1/τ).
//                   Capture taps 'gate.a' / 'gate.b' see the clamped logits.
//   force_r         the refining gate r = σ(c) forced to 0 or 1 ('refined' gates only): c is set to
//                   ∓LOGIT_BOUND (a clamp into [v, v]). With |c| = 88, σ(±88) is 0 / 1 to f32 (and f64)
//                   precision, logσ(−88) = −88 stays finite, and the refined gate's log form gives
//                   F = g² (r = 0) or F = g(2 − g) (r = 1) to f32 accuracy. 'gate.c' taps see ±88.
//   scale_head      one head's slice of attn.y (after the output norm and gate, before o_proj) times
//                   `scale` (0 zeroes the head); softmax layers of hybrids too (their per-head
//                   attention output). The 'attn.y' tap sees the scaled values.
//   feature_map     the layers' feature map swapped for another weight-free one of the same width
//                   (identity, relu, elu1, exp_norm; hedgehog only on a hedgehog model, where it is a
//                   no-op). The read-out scale stays the config's (readoutScale(config)), and
//                   exp_norm's running key max lives in the model state of every GLA layer.
//   no_output_norm  the output norm (g_norm) skipped on the selected layers; the output gate still
//                   applies.
//
// Layers are 'all' or explicit indices. Softmax layers of hybrids ignore the gate, feature-map and
// norm interventions; one whose every selected layer is a softmax layer is an error, as is a layer or
// head out of range (validateInterventions). Several interventions on one layer compose in list
// order: clamps compose as clamps (a later clamp applied to the earlier one's output), head scales
// multiply, the last feature_map wins.

import { InterventionError } from '../errors.js';
import { FEATURE_MAPS, isSoftmaxLayer, type AttnNormKind, type FeatureMapKind, type ModelConfig } from './config.js';

/** 'all' or explicit layer indices. */
export type LayerScope = 'all' | readonly number[];

export type Intervention =
  | { kind: 'clamp_g'; layers: LayerScope; min: number; max: number }
  | { kind: 'force_r'; layers: LayerScope; value: 0 | 1 }
  | { kind: 'scale_head'; layer: number; head: number; scale: number }
  | { kind: 'feature_map'; layers: LayerScope; map: FeatureMapKind }
  | { kind: 'no_output_norm'; layers: LayerScope };

export type InterventionKind = Intervention['kind'];

export const INTERVENTION_KINDS: readonly InterventionKind[] = ['clamp_g', 'force_r', 'scale_head', 'feature_map', 'no_output_norm'];

/** Largest logit an intervention writes (|logσ(±88)| and σ(±88) are finite and saturated in f32). */
export const LOGIT_BOUND = 88;
/** "No bound" for a clamp side: the largest finite f32, which no finite f32 logit exceeds. */
export const F32_MAX = 3.4028234663852886e38;

/** A closed interval of logits. */
export interface LogitRange {
  lo: number;
  hi: number;
}

/** What the interventions do to one layer, derived once per layer (layerEffect). */
export interface LayerEffect {
  /** Key-side gate logits a clamped into this range (null: untouched). */
  clampA: LogitRange | null;
  /** Value-side logits b (fast_decay) clamped into this range. */
  clampB: LogitRange | null;
  /** Refining logits c clamped into this range (force_r: lo = hi = ±88). */
  clampC: LogitRange | null;
  /** The feature map this layer runs (the config's unless swapped). */
  featureMap: FeatureMapKind;
  /** The output norm this layer runs ('none' under no_output_norm). */
  attnNorm: AttnNormKind;
  /** Per-head factors on attn.y (null: none); heads absent from the map keep 1. */
  headScales: ReadonlyMap<number, number> | null;
}

/** The logit bounds of clamp_g's g range (see the header). */
export function gateLogitRange(min: number, max: number): LogitRange {
  const logit = (p: number): number => Math.log(p) - Math.log1p(-p);
  const bound = (x: number): number => Math.min(LOGIT_BOUND, Math.max(-LOGIT_BOUND, x));
  return { lo: min <= 0 ? -F32_MAX : bound(logit(min)), hi: max >= 1 ? F32_MAX : bound(logit(max)) };
}

/** clamp(clamp(x, first), then) as one clamp. */
function composeClamp(first: LogitRange | null, then: LogitRange): LogitRange {
  if (!first) return then;
  const cl = (x: number): number => Math.min(then.hi, Math.max(then.lo, x));
  return { lo: cl(first.lo), hi: cl(first.hi) };
}

const isUnbounded = (r: LogitRange | null): boolean => r !== null && r.lo <= -F32_MAX && r.hi >= F32_MAX;

function inScope(scope: LayerScope, layer: number): boolean {
  return scope === 'all' || scope.includes(layer);
}

/**
 * The effect of `list` on layer `layer` (assumes validateInterventions passed). Softmax layers only
 * take head scales. Unbounded clamps (clamp_g [0, 1]) come out as null: no dispatch at all.
 */
export function layerEffect(c: ModelConfig, list: readonly Intervention[], layer: number): LayerEffect {
  const e: LayerEffect = { clampA: null, clampB: null, clampC: null, featureMap: c.featureMap, attnNorm: c.attnNorm, headScales: null };
  const softmax = isSoftmaxLayer(c, layer);
  let scales: Map<number, number> | null = null;
  for (const i of list) {
    if (i.kind === 'scale_head') {
      if (i.layer !== layer) continue;
      scales ??= new Map();
      scales.set(i.head, (scales.get(i.head) ?? 1) * i.scale);
      continue;
    }
    if (softmax || !inScope(i.layers, layer)) continue;
    switch (i.kind) {
      case 'clamp_g': {
        const r = gateLogitRange(i.min, i.max);
        e.clampA = composeClamp(e.clampA, r);
        if (c.gate === 'fast_decay') e.clampB = composeClamp(e.clampB, r);
        break;
      }
      case 'force_r': {
        const v = i.value === 1 ? LOGIT_BOUND : -LOGIT_BOUND;
        e.clampC = composeClamp(e.clampC, { lo: v, hi: v });
        break;
      }
      case 'feature_map':
        e.featureMap = i.map;
        break;
      case 'no_output_norm':
        e.attnNorm = 'none';
        break;
    }
  }
  if (isUnbounded(e.clampA)) e.clampA = null;
  if (isUnbounded(e.clampB)) e.clampB = null;
  e.headScales = scales;
  return e;
}

/** Whether layerEffect changes anything on this layer. */
export function hasEffect(c: ModelConfig, e: LayerEffect): boolean {
  return e.clampA !== null || e.clampB !== null || e.clampC !== null || e.featureMap !== c.featureMap || e.attnNorm !== c.attnNorm || e.headScales !== null;
}

function layersOf(c: ModelConfig, scope: LayerScope): number[] {
  return scope === 'all' ? Array.from({ length: c.numLayers }, (_, i) => i) : [...scope];
}

/**
 * Checks every intervention against the model; throws an InterventionError naming the first bad one
 * ("interventions[i] (kind)") and what is wrong.
 */
export function validateInterventions(c: ModelConfig, list: readonly Intervention[]): void {
  if (!Array.isArray(list)) throw new InterventionError('interventions', 'must be a list');
  list.forEach((i, n) => validateOne(c, i, n));
}

function validateOne(c: ModelConfig, i: Intervention, n: number): void {
  const kind = (i as { kind?: unknown } | null)?.kind;
  const name = `interventions[${n}] (${typeof kind === 'string' ? kind : 'unknown'})`;
  const fail = (msg: string): never => {
    throw new InterventionError(name, msg);
  };
  if (typeof i !== 'object' || i === null) fail('must be an object');
  if (!(INTERVENTION_KINDS as readonly unknown[]).includes(kind)) fail(`unknown kind ${JSON.stringify(kind)}; expected one of ${INTERVENTION_KINDS.join(', ')}`);
  const layerIndex = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return fail(`${what} ${JSON.stringify(v)} must be an integer`);
    if (v < 0 || v >= c.numLayers) fail(`${what} ${v} is out of range 0..${c.numLayers - 1}`);
    return v;
  };
  if (i.kind === 'scale_head') {
    const layer = layerIndex(i.layer, 'layer');
    if (typeof i.head !== 'number' || !Number.isInteger(i.head) || i.head < 0 || i.head >= c.numHeads) {
      fail(`head ${JSON.stringify(i.head)} is out of range 0..${c.numHeads - 1} (layer ${layer} has ${c.numHeads} heads)`);
    }
    if (typeof i.scale !== 'number' || !Number.isFinite(i.scale)) fail(`scale ${JSON.stringify(i.scale)} must be a finite number`);
    return;
  }
  // The layer-scoped kinds: a non-empty scope of valid indices with at least one GLA layer.
  const scope = i.layers as unknown;
  if (scope !== 'all') {
    if (!Array.isArray(scope)) fail(`layers must be 'all' or a list of layer indices, got ${JSON.stringify(scope)}`);
    if ((scope as unknown[]).length === 0) fail('selects no layers');
    (scope as unknown[]).forEach((v) => layerIndex(v, 'layer'));
  }
  const gla = layersOf(c, i.layers).filter((l) => !isSoftmaxLayer(c, l));
  if (gla.length === 0) fail(`every selected layer is a softmax layer (${layersOf(c, i.layers).join(', ')}); ${i.kind} applies to gated linear attention layers only`);
  switch (i.kind) {
    case 'clamp_g':
      if (c.gate === 'none') fail("the model has no gate (gate 'none')");
      if (typeof i.min !== 'number' || typeof i.max !== 'number' || !Number.isFinite(i.min) || !Number.isFinite(i.max)) fail('min and max must be finite numbers');
      if (!(i.min >= 0 && i.min <= i.max && i.max <= 1)) fail(`[${i.min}, ${i.max}] must satisfy 0 ≤ min ≤ max ≤ 1`);
      return;
    case 'force_r':
      if (c.gate !== 'refined') fail(`needs gate 'refined' (the model's gate is '${c.gate}')`);
      if (i.value !== 0 && i.value !== 1) fail(`value ${JSON.stringify(i.value)} must be 0 or 1`);
      return;
    case 'feature_map':
      if (!(FEATURE_MAPS as readonly unknown[]).includes(i.map)) fail(`map ${JSON.stringify(i.map)} is not one of ${FEATURE_MAPS.join(', ')}`);
      if (c.featureMap === 'hedgehog' && i.map !== 'hedgehog') fail(`the model's hedgehog map has feature width 2·dk; '${i.map}' has dk`);
      if (c.featureMap !== 'hedgehog' && i.map === 'hedgehog') fail("hedgehog needs the layer's learned map weights (the model's map is '" + c.featureMap + "')");
      return;
    case 'no_output_norm':
      if (c.attnNorm === 'none') fail("the model has no output norm (attn_norm 'none')");
      return;
  }
}

/** "0–3, 5" from sorted unique indices. */
function ranges(xs: readonly number[]): string {
  const s = [...new Set(xs)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let k = 0; k < s.length; ) {
    let j = k;
    while (j + 1 < s.length && (s[j + 1] as number) === (s[j] as number) + 1) j++;
    out.push(j === k ? `${s[k]}` : `${s[k]}–${s[j]}`);
    k = j + 1;
  }
  return out.join(', ');
}

function scopeText(scope: LayerScope): string {
  if (scope === 'all') return 'all layers';
  return `${scope.length === 1 ? 'layer' : 'layers'} ${ranges(scope)}`;
}

/** Short human text, e.g. "clamp g to [0, 0.9] · layers 0–3". */
export function describeIntervention(i: Intervention): string {
  switch (i.kind) {
    case 'clamp_g':
      return `clamp g to [${i.min}, ${i.max}] · ${scopeText(i.layers)}`;
    case 'force_r':
      return `force r = ${i.value} · ${scopeText(i.layers)}`;
    case 'scale_head':
      return i.scale === 0 ? `zero head ${i.head} · layer ${i.layer}` : `scale head ${i.head} × ${i.scale} · layer ${i.layer}`;
    case 'feature_map':
      return `feature map → ${i.map} · ${scopeText(i.layers)}`;
    case 'no_output_norm':
      return `no output norm · ${scopeText(i.layers)}`;
  }
}
