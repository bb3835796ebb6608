// The Interventions editor's state, pure and DOM-free (unit-tested in test/unit/intervention-editor.test.ts):
// rows as typed (InterventionRow, kept in the store) → Interventions, each row checked against the
// model by the engine's own validateInterventions so the message shown inline before a re-run is the
// one the engine would throw; layer lists typed as "0-3, 5"; sensible defaults per kind; list edits.

import { FEATURE_MAPS, InterventionError, validateInterventions, type FeatureMapKind, type Intervention, type InterventionKind, type ModelConfig } from '../../../shaders/index.js';
import type { InterventionRow } from '../../state/store.js';

export const KIND_LABEL: Readonly<Record<InterventionKind, string>> = {
  clamp_g: 'clamp g',
  force_r: 'force r',
  scale_head: 'scale / zero a head',
  feature_map: 'swap the feature map',
  no_output_norm: 'disable the output norm',
};

/** Why `kind` cannot apply to this model at all (null: it can), for the kind picker. */
export function kindUnavailable(c: ModelConfig, kind: InterventionKind): string | null {
  switch (kind) {
    case 'clamp_g':
      return c.gate === 'none' ? 'the model has no gate' : null;
    case 'force_r':
      return c.gate !== 'refined' ? `needs ReGLA's refined gate (this model's gate is '${c.gate}')` : null;
    case 'no_output_norm':
      return c.attnNorm === 'none' ? 'the model has no output norm' : null;
    case 'feature_map':
      return c.featureMap === 'hedgehog' ? "hedgehog's learned map can only be 'swapped' for itself" : null;
    case 'scale_head':
      return null;
  }
}

/** A weight-free map other than the model's own (the natural thing to swap in). */
export function otherMap(c: ModelConfig): FeatureMapKind {
  if (c.featureMap === 'hedgehog') return 'hedgehog';
  return FEATURE_MAPS.find((m) => m !== 'hedgehog' && m !== c.featureMap) ?? 'relu';
}

/** A new row of `kind` with defaults: every layer; clamp g to [0, 0.9]; r = 0; zero the selected head. */
export function newRow(id: number, kind: InterventionKind, c: ModelConfig | undefined, sel: { layer: number; head: number } = { layer: 0, head: 0 }): InterventionRow {
  return {
    id,
    kind,
    scope: 'all',
    layers: String(sel.layer),
    layer: sel.layer,
    head: sel.head,
    min: 0,
    max: 0.9,
    value: 0,
    scale: 0,
    map: c ? otherMap(c) : 'relu',
  };
}

/** One more than the largest row id. */
export function nextRowId(rows: readonly InterventionRow[]): number {
  return rows.reduce((m, r) => Math.max(m, r.id), 0) + 1;
}

export function addRow(rows: readonly InterventionRow[], row: InterventionRow): InterventionRow[] {
  return [...rows, row];
}

export function removeRow(rows: readonly InterventionRow[], id: number): InterventionRow[] {
  return rows.filter((r) => r.id !== id);
}

export function updateRow(rows: readonly InterventionRow[], id: number, patch: Partial<Omit<InterventionRow, 'id'>>): InterventionRow[] {
  return rows.map((r) => (r.id === id ? { ...r, ...patch } : r));
}

/** Moves a row one place up (−1) or down (+1); order matters (clamps compose in list order). */
export function moveRow(rows: readonly InterventionRow[], id: number, by: -1 | 1): InterventionRow[] {
  const i = rows.findIndex((r) => r.id === id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= rows.length) return [...rows];
  const out = [...rows];
  [out[i], out[j]] = [out[j] as InterventionRow, out[i] as InterventionRow];
  return out;
}

/**
 * "0-3, 5" (also "0–3", "0..3", spaces as separators) → sorted unique layer indices; an error
 * message for anything else. Whether the indices exist in the model is validateInterventions' job.
 */
export function parseLayerList(text: string): { layers: number[] } | { error: string } {
  const parts = text.split(/[,\s]+/).filter((p) => p !== '');
  if (parts.length === 0) return { error: 'type layer indices, e.g. 0-3, 5' };
  const out = new Set<number>();
  for (const p of parts) {
    const m = /^(\d+)(?:\s*(?:-|–|\.\.)\s*(\d+))?$/.exec(p);
    if (!m) return { error: `'${p}' is not a layer index or a range like 0-3` };
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return { error: `range ${p} runs backwards` };
    if (b - a > 4096) return { error: `range ${p} is too long` };
    for (let l = a; l <= b; l++) out.add(l);
  }
  return { layers: [...out].sort((x, y) => x - y) };
}

/** A row as the Intervention it stands for, or why it cannot be one (a malformed layer list). */
export function rowToIntervention(row: InterventionRow): { intervention: Intervention } | { error: string } {
  let layers: 'all' | number[] = 'all';
  if (row.kind !== 'scale_head' && row.scope === 'list') {
    const p = parseLayerList(row.layers);
    if ('error' in p) return p;
    layers = p.layers;
  }
  switch (row.kind) {
    case 'clamp_g':
      return { intervention: { kind: 'clamp_g', layers, min: row.min, max: row.max } };
    case 'force_r':
      return { intervention: { kind: 'force_r', layers, value: row.value } };
    case 'scale_head':
      return { intervention: { kind: 'scale_head', layer: row.layer, head: row.head, scale: row.scale } };
    case 'feature_map':
      return { intervention: { kind: 'feature_map', layers, map: row.map } };
    case 'no_output_norm':
      return { intervention: { kind: 'no_output_norm', layers } };
  }
}

/** Rows for an existing list (e.g. a run's interventions, to edit and re-run), ids from `firstId`. */
export function rowsFromInterventions(list: readonly Intervention[], c: ModelConfig | undefined, firstId = 1): InterventionRow[] {
  return list.map((i, k) => {
    const base = newRow(firstId + k, i.kind, c);
    if (i.kind === 'scale_head') return { ...base, layer: i.layer, head: i.head, scale: i.scale, layers: String(i.layer) };
    const scoped = { ...base, scope: i.layers === 'all' ? ('all' as const) : ('list' as const), layers: i.layers === 'all' ? base.layers : i.layers.join(', ') };
    switch (i.kind) {
      case 'clamp_g':
        return { ...scoped, min: i.min, max: i.max };
      case 'force_r':
        return { ...scoped, value: i.value };
      case 'feature_map':
        return { ...scoped, map: i.map };
      case 'no_output_norm':
        return scoped;
    }
  });
}

export interface RowCheck {
  intervention: Intervention | null;
  /** What is wrong with this row (shown inline under it), or null. */
  error: string | null;
}

export interface EditorCheck {
  rows: RowCheck[];
  /** The list to run, when every row is valid for the model (and there is a model); else null. */
  list: Intervention[] | null;
}

/** The message of an InterventionError without its "interventions[i] (kind): " prefix. */
function bare(e: unknown): string {
  if (e instanceof InterventionError) return e.message.startsWith(`${e.intervention}: `) ? e.message.slice(e.intervention.length + 2) : e.message;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Checks every row against the model: the layer list parses, and validateInterventions accepts the
 * intervention (layer and head ranges, kinds the model has, 0 ≤ min ≤ max ≤ 1, …). Without a model
 * nothing can run. The whole list is validated once more as the engine will see it.
 */
export function checkRows(c: ModelConfig | undefined, rows: readonly InterventionRow[]): EditorCheck {
  const checks: RowCheck[] = rows.map((row) => {
    const r = rowToIntervention(row);
    if ('error' in r) return { intervention: null, error: r.error };
    if (!c) return { intervention: r.intervention, error: null };
    try {
      validateInterventions(c, [r.intervention]);
      return { intervention: r.intervention, error: null };
    } catch (e) {
      return { intervention: r.intervention, error: bare(e) };
    }
  });
  if (!c || checks.some((x) => x.error !== null)) return { rows: checks, list: null };
  const list = checks.map((x) => x.intervention as Intervention);
  try {
    validateInterventions(c, list);
  } catch {
    return { rows: checks, list: null };
  }
  return { rows: checks, list };
}
