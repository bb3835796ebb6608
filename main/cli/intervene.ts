// `--intervene <spec>` of `regla run`: one intervention (shaders/model/interventions.ts) per spec,
//   kind[:key=value]...
// e.g. clamp_g:layers=0-3:min=0:max=0.9 · force_r:value=0 · scale_head:layer=1:head=0:scale=0 ·
// feature_map:map=relu · no_output_norm:layers=all. `layers` is all (the default), or indices and
// ranges separated by commas (0-3,5). Parsing checks the spec's own form; whether it fits the model
// (layer and head ranges, gate kind) is validateInterventions' job once the model is known.

import { FEATURE_MAPS, InterventionError, type FeatureMapKind, type Intervention, type LayerScope } from '../../shaders/index.js';

export const INTERVENE_HELP = `  --intervene SPEC     edit the forward (repeatable, applied in order): kind[:key=value]...
                         clamp_g:layers=L:min=0:max=0.9   g = σ(a) clamped into [min, max]
                         force_r:layers=L:value=0|1       refining gate r forced ('refined' gates)
                         scale_head:layer=N:head=H:scale=S  one head's attention output × S (default 0)
                         feature_map:layers=L:map=M       M = identity, relu, elu1, exp_norm
                         no_output_norm:layers=L          skip the output norm (g_norm)
                       L = all (default) or indices/ranges, e.g. 0-3,5`;

const KEYS: Record<Intervention['kind'], { allowed: readonly string[]; required: readonly string[] }> = {
  clamp_g: { allowed: ['layers', 'min', 'max'], required: [] },
  force_r: { allowed: ['layers', 'value'], required: ['value'] },
  scale_head: { allowed: ['layer', 'head', 'scale'], required: ['layer', 'head'] },
  feature_map: { allowed: ['layers', 'map'], required: ['map'] },
  no_output_norm: { allowed: ['layers'], required: [] },
};

/** "all", or comma-separated indices and inclusive ranges a-b (sorted, deduplicated). */
export function parseLayerScope(v: string, fail: (m: string) => never): LayerScope {
  if (v === 'all') return 'all';
  const out = new Set<number>();
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return fail(`layers "${v}" must be all or indices/ranges like 0-3,5`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return fail(`layer range ${part} runs backwards`);
    if (b - a > 100_000) return fail(`layer range ${part} is too long`);
    for (let l = a; l <= b; l++) out.add(l);
  }
  return [...out].sort((x, y) => x - y);
}

/** Parses one --intervene spec; throws an InterventionError naming the spec and what is wrong. */
export function parseIntervention(spec: string): Intervention {
  const fail = (m: string): never => {
    throw new InterventionError(`--intervene "${spec}"`, m);
  };
  const [kind = '', ...pairs] = spec.split(':');
  if (!(kind in KEYS)) fail(`unknown kind "${kind}"; expected one of ${Object.keys(KEYS).join(', ')}`);
  const k = kind as Intervention['kind'];
  const keys = KEYS[k];
  const kv = new Map<string, string>();
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) fail(`"${p}" must be key=value`);
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    if (!keys.allowed.includes(key)) fail(`unknown key "${key}" for ${k} (keys: ${keys.allowed.join(', ')})`);
    if (kv.has(key)) fail(`${key} given twice`);
    if (value === '') fail(`${key} has no value`);
    kv.set(key, value);
  }
  for (const r of keys.required) if (!kv.has(r)) fail(`${k} needs ${r}=…`);
  const num = (key: string, fallback: number): number => {
    const v = kv.get(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) fail(`${key} must be a number, got "${v}"`);
    return n;
  };
  const int = (key: string): number => {
    const n = num(key, Number.NaN);
    if (!Number.isInteger(n) || n < 0) fail(`${key} must be an integer ≥ 0, got "${kv.get(key) ?? ''}"`);
    return n;
  };
  const layers = (): LayerScope => parseLayerScope(kv.get('layers') ?? 'all', fail);
  switch (k) {
    case 'clamp_g': {
      if (!kv.has('min') && !kv.has('max')) fail('clamp_g needs min=… and/or max=…');
      const min = num('min', 0);
      const max = num('max', 1);
      if (!(min >= 0 && min <= max && max <= 1)) fail(`[${min}, ${max}] must satisfy 0 ≤ min ≤ max ≤ 1`);
      return { kind: k, layers: layers(), min, max };
    }
    case 'force_r': {
      const v = kv.get('value');
      if (v !== '0' && v !== '1') return fail(`value must be 0 or 1, got "${v ?? ''}"`);
      return { kind: k, layers: layers(), value: v === '1' ? 1 : 0 };
    }
    case 'scale_head':
      return { kind: k, layer: int('layer'), head: int('head'), scale: num('scale', 0) };
    case 'feature_map': {
      const map = kv.get('map') ?? '';
      if (!(FEATURE_MAPS as readonly string[]).includes(map)) fail(`map "${map}" is not one of ${FEATURE_MAPS.join(', ')}`);
      return { kind: k, layers: layers(), map: map as FeatureMapKind };
    }
    case 'no_output_norm':
      return { kind: k, layers: layers() };
  }
}
