// Pure intervention logic: the CLI's --intervene spec parser, and layerEffect (what a list does to
// one layer: clamp composition, softmax layers, per-head scales, the default when nothing applies).
import { describe, expect, it } from 'vitest';
import { parseIntervention, parseLayerScope } from '../../main/cli/intervene.js';
import { InterventionError } from '../../shaders/errors.js';
import { parseConfig } from '../../shaders/model/config.js';
import { F32_MAX, LOGIT_BOUND, gateLogitRange, hasEffect, layerEffect, validateInterventions } from '../../shaders/model/interventions.js';

describe('--intervene spec', () => {
  it('parses every kind, with layer lists and ranges', () => {
    expect(parseIntervention('clamp_g:layers=0-3:min=0:max=0.9')).toEqual({ kind: 'clamp_g', layers: [0, 1, 2, 3], min: 0, max: 0.9 });
    expect(parseIntervention('clamp_g:max=0.5')).toEqual({ kind: 'clamp_g', layers: 'all', min: 0, max: 0.5 });
    expect(parseIntervention('clamp_g:min=0.2')).toEqual({ kind: 'clamp_g', layers: 'all', min: 0.2, max: 1 });
    expect(parseIntervention('force_r:value=0')).toEqual({ kind: 'force_r', layers: 'all', value: 0 });
    expect(parseIntervention('force_r:layers=5,1,1-2:value=1')).toEqual({ kind: 'force_r', layers: [1, 2, 5], value: 1 });
    expect(parseIntervention('scale_head:layer=1:head=0:scale=0')).toEqual({ kind: 'scale_head', layer: 1, head: 0, scale: 0 });
    expect(parseIntervention('scale_head:layer=2:head=3')).toEqual({ kind: 'scale_head', layer: 2, head: 3, scale: 0 });
    expect(parseIntervention('scale_head:layer=0:head=1:scale=-1.5e0')).toEqual({ kind: 'scale_head', layer: 0, head: 1, scale: -1.5 });
    expect(parseIntervention('feature_map:map=relu')).toEqual({ kind: 'feature_map', layers: 'all', map: 'relu' });
    expect(parseIntervention('no_output_norm:layers=all')).toEqual({ kind: 'no_output_norm', layers: 'all' });
    expect(parseIntervention('no_output_norm')).toEqual({ kind: 'no_output_norm', layers: 'all' });
  });

  it('rejects malformed specs with an InterventionError naming the spec and the problem', () => {
    const bad: Array<[string, RegExp]> = [
      ['steer:layers=0', /unknown kind "steer"/],
      ['', /unknown kind ""/],
      ['clamp_g', /needs min=… and\/or max=…/],
      ['clamp_g:min=0.6:max=0.4', /0 ≤ min ≤ max ≤ 1/],
      ['clamp_g:max=1.5', /0 ≤ min ≤ max ≤ 1/],
      ['clamp_g:max=abc', /max must be a number, got "abc"/],
      ['clamp_g:max', /"max" must be key=value/],
      ['clamp_g:max=', /max has no value/],
      ['clamp_g:max=0.5:max=0.6', /max given twice/],
      ['clamp_g:value=1', /unknown key "value" for clamp_g/],
      ['force_r', /force_r needs value=…/],
      ['force_r:value=0.5', /value must be 0 or 1/],
      ['scale_head:layer=1', /scale_head needs head=…/],
      ['scale_head:layer=1.5:head=0', /layer must be an integer ≥ 0/],
      ['scale_head:layer=-1:head=0', /layer must be an integer ≥ 0/],
      ['scale_head:layer=0:head=0:scale=inf', /scale must be a number/],
      ['feature_map:map=cosine', /map "cosine" is not one of/],
      ['feature_map', /feature_map needs map=…/],
      ['no_output_norm:layers=x', /layers "x" must be all or indices\/ranges/],
      ['no_output_norm:layers=3-1', /layer range 3-1 runs backwards/],
      ['no_output_norm:layers=0,,1', /must be all or indices/],
    ];
    for (const [spec, re] of bad) {
      let err: unknown;
      try {
        parseIntervention(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(InterventionError);
      expect((err as Error).message, spec).toContain(`--intervene "${spec}"`);
      expect((err as Error).message, spec).toMatch(re);
    }
    expect(parseLayerScope('all', () => {
      throw new Error('unreachable');
    })).toBe('all');
  });
});

describe('layerEffect', () => {
  const regla = parseConfig({ model_type: 'regla', hidden_size: 32, num_hidden_layers: 3, num_heads: 2, vocab_size: 10, hybrid_softmax_layers: [1] });
  const fast = parseConfig({ model_type: 'regla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 10, gate: 'fast_decay' });

  it('no interventions: the config itself, no effect', () => {
    const e = layerEffect(regla, [], 0);
    expect(e).toEqual({ clampA: null, clampB: null, clampC: null, featureMap: 'exp_norm', attnNorm: 'layernorm', headScales: null });
    expect(hasEffect(regla, e)).toBe(false);
  });

  it('clamps compose as clamps in list order; force_r is a point clamp; [0, 1] is nothing', () => {
    const r1 = gateLogitRange(0.1, 0.9);
    const r2 = gateLogitRange(0.5, 1);
    const e = layerEffect(regla, [{ kind: 'clamp_g', layers: 'all', min: 0.1, max: 0.9 }, { kind: 'clamp_g', layers: [0], min: 0.5, max: 1 }], 0);
    expect(e.clampA).toEqual({ lo: r2.lo, hi: r1.hi });
    // A later disjoint clamp wins: everything ends at its bound.
    const d = layerEffect(regla, [{ kind: 'clamp_g', layers: 'all', min: 0, max: 0.2 }, { kind: 'clamp_g', layers: 'all', min: 0.5, max: 0.7 }], 2);
    expect(d.clampA).toEqual({ lo: gateLogitRange(0.5, 1).lo, hi: gateLogitRange(0.5, 1).lo });
    expect(layerEffect(regla, [{ kind: 'clamp_g', layers: 'all', min: 0, max: 1 }], 0).clampA).toBeNull();
    expect(layerEffect(regla, [{ kind: 'force_r', layers: 'all', value: 0 }, { kind: 'force_r', layers: 'all', value: 1 }], 2).clampC).toEqual({ lo: LOGIT_BOUND, hi: LOGIT_BOUND });
    // fast_decay: the value side too; the other gates only the key side.
    expect(layerEffect(fast, [{ kind: 'clamp_g', layers: 'all', min: 0.1, max: 0.9 }], 1).clampB).toEqual(r1);
    expect(layerEffect(regla, [{ kind: 'clamp_g', layers: 'all', min: 0.1, max: 0.9 }], 0).clampB).toBeNull();
    expect(gateLogitRange(0, 0.5)).toEqual({ lo: -F32_MAX, hi: 0 });
  });

  it('softmax layers take only head scales; scales multiply; unselected layers stay default', () => {
    const list = [
      { kind: 'clamp_g', layers: 'all', min: 0.2, max: 0.8 },
      { kind: 'feature_map', layers: 'all', map: 'relu' },
      { kind: 'no_output_norm', layers: [0] },
      { kind: 'scale_head', layer: 1, head: 1, scale: 2 },
      { kind: 'scale_head', layer: 1, head: 1, scale: 0.25 },
    ] as const;
    validateInterventions(regla, list);
    const sm = layerEffect(regla, list, 1);
    expect(sm.clampA).toBeNull();
    expect(sm.featureMap).toBe('exp_norm');
    expect([...(sm.headScales ?? [])]).toEqual([[1, 0.5]]);
    const l0 = layerEffect(regla, list, 0);
    expect(l0.featureMap).toBe('relu');
    expect(l0.attnNorm).toBe('none');
    expect(l0.headScales).toBeNull();
    expect(layerEffect(regla, list, 2).attnNorm).toBe('layernorm');
  });
});
