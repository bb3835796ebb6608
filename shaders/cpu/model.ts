// The float64 twin of the whole model: the same forward as model/model.ts, composed from the kernel
// twins, with the token-serial recurrence as the GLA core (so it also checks the chunked GPU path).
// Keeps per-sequence state so that prefill followed by steps can be compared with one prefill.

import { featureDim, isSoftmaxLayer, readoutScale, softmaxHeadDim, type ModelConfig } from '../model/config.js';
import type { WeightMap } from '../model/weights.js';
import { rowNorm64 } from './norm.js';
import { matmul64 } from './matmul.js';
import { embedding64 } from './embedding.js';
import { swiglu64 } from './elementwise.js';
import { shortConv64 } from './short_conv.js';
import { logGate64 } from './gate.js';
import { expNormKeys64, featureMap64 } from './feature_map.js';
import { glaRecurrent64 } from './gla.js';
import { attnOutput64 } from './attn_out.js';
import { rope64 } from './rope.js';
import { softmaxAttention64 } from './softmax_attn.js';
import { layerEffect, validateInterventions, type Intervention, type LayerEffect, type LogitRange } from '../model/interventions.js';
import { clamp64, scaleColumns64 } from './interventions.js';

type Vec = ArrayLike<number>;

export interface CpuState {
  position: number;
  gla: Array<Float64Array | null>;
  z: Array<Float64Array | null>;
  keyMax: Array<Float64Array | null>;
  conv: Array<{ q: Float64Array; k: Float64Array; v: Float64Array } | null>;
  kCache: number[][];
  vCache: number[][];
}

export function cpuState(c: ModelConfig): CpuState {
  const dkf = featureDim(c);
  const n = c.numLayers;
  return {
    position: 0,
    gla: Array.from({ length: n }, (_, i) => (isSoftmaxLayer(c, i) ? null : new Float64Array(c.numKvHeads * dkf * c.headDimV))),
    z: Array.from({ length: n }, (_, i) => (!isSoftmaxLayer(c, i) && c.denominator ? new Float64Array(c.numKvHeads * dkf) : null)),
    keyMax: Array.from({ length: n }, () => null),
    conv: Array.from({ length: n }, () => null),
    kCache: Array.from({ length: n }, () => []),
    vCache: Array.from({ length: n }, () => []),
  };
}

function get(w: WeightMap, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new Error(`cpu twin: missing weight ${name}`);
  return t.data;
}

function gateProj64(w: WeightMap, p: string, x: Vec, T: number, H: number): Float64Array {
  if (w.has(`${p}.weight`)) {
    const wt = get(w, `${p}.weight`);
    return matmul64(x, wt, T, wt.length / H, H, get(w, `${p}.bias`));
  }
  const w0 = get(w, `${p}.0.weight`);
  const r = w0.length / H;
  const z = matmul64(x, w0, T, r, H);
  const w1 = get(w, `${p}.1.weight`);
  return matmul64(z, w1, T, w1.length / r, r, get(w, `${p}.1.bias`));
}

/** clamp_g / force_r on logits, in place, with the bounds rounded to f32 as the GPU's uniforms are. */
function clampLogits64(x: Float64Array, r: LogitRange | null): void {
  if (r) clamp64(x, Math.fround(r.lo), Math.fround(r.hi));
}

/** scale_head on y [T, Hq · headDim], in place. */
function scaleHeads64(y: Float64Array, eff: LayerEffect, Hq: number, headDim: number): void {
  for (const [head, s] of eff.headScales ?? []) scaleColumns64(y, Hq * headDim, head * headDim, headDim, Math.fround(s));
}

/**
 * Forward of `tokens` from `state` (advanced in place) with optional interventions (validated first,
 * InterventionError); returns logits [T, vocab] for every token.
 */
export function forward64(c: ModelConfig, w: WeightMap, state: CpuState, tokens: readonly number[], interventions: readonly Intervention[] = []): Float64Array {
  validateInterventions(c, interventions);
  const T = tokens.length;
  const H = c.hiddenSize;
  const Hq = c.numHeads;
  const Hkv = c.numKvHeads;
  const dk = c.headDimK;
  const dv = c.headDimV;
  const dkf = featureDim(c);
  const pos0 = state.position;
  let h = embedding64(tokens, get(w, 'model.embeddings.weight'), c.vocabSize, H);
  for (let li = 0; li < c.numLayers; li++) {
    const p = `model.layers.${li}.`;
    const eff = layerEffect(c, interventions, li);
    const xn = rowNorm64(h, H, get(w, `${p}attn_norm.weight`), undefined, c.normEps, 'rmsnorm');
    let y: Float64Array;
    let yWidth: number;
    if (isSoftmaxLayer(c, li)) {
      const hd = softmaxHeadDim(c);
      const q = matmul64(xn, get(w, `${p}attn.q_proj.weight`), T, Hq * hd, H);
      const k = matmul64(xn, get(w, `${p}attn.k_proj.weight`), T, Hkv * hd, H);
      const v = matmul64(xn, get(w, `${p}attn.v_proj.weight`), T, Hkv * hd, H);
      const qr = rope64(q, T, Hq, hd, pos0, c.ropeTheta, { angles: 'f32' });
      const kr = rope64(k, T, Hkv, hd, pos0, c.ropeTheta, { angles: 'f32' });
      const kc = state.kCache[li] as number[];
      const vc = state.vCache[li] as number[];
      for (const x of kr) kc.push(x);
      for (const x of v) vc.push(x);
      y = softmaxAttention64({ q: qr, kCache: kc, vCache: vc, T, Hq, Hkv, hd, pos0 });
      yWidth = Hq * hd;
      scaleHeads64(y, eff, Hq, hd);
    } else {
      let q = matmul64(xn, get(w, `${p}attn.q_proj.weight`), T, Hq * dk, H);
      let k = matmul64(xn, get(w, `${p}attn.k_proj.weight`), T, Hkv * dk, H);
      let v = matmul64(xn, get(w, `${p}attn.v_proj.weight`), T, Hkv * dv, H);
      if (c.useShortConv) {
        const K = c.convSize;
        const hist = state.conv[li];
        const rq = shortConv64(q, T, Hq * dk, get(w, `${p}attn.q_conv1d.weight`), K, hist?.q);
        const rk = shortConv64(k, T, Hkv * dk, get(w, `${p}attn.k_conv1d.weight`), K, hist?.k);
        const rv = shortConv64(v, T, Hkv * dv, get(w, `${p}attn.v_conv1d.weight`), K, hist?.v);
        state.conv[li] = { q: rq.history, k: rk.history, v: rv.history };
        q = rq.y;
        k = rk.y;
        v = rv.y;
      }
      let A: Float64Array | undefined;
      let D: Float64Array | undefined;
      if (c.gate !== 'none') {
        const a = gateProj64(w, `${p}attn.gk_proj`, xn, T, H);
        const cl = c.gate === 'refined' ? gateProj64(w, `${p}attn.gr_proj`, xn, T, H) : undefined;
        const b = c.gate === 'fast_decay' ? gateProj64(w, `${p}attn.gv_proj`, xn, T, H) : undefined;
        clampLogits64(a, eff.clampA);
        if (cl) clampLogits64(cl, eff.clampC);
        if (b) clampLogits64(b, eff.clampB);
        const g = logGate64({
          kind: c.gate,
          a,
          ...(cl ? { c: cl } : {}),
          ...(b ? { b } : {}),
          width: dk,
          normalizer: c.gate === 'sigmoid' ? 1 : c.gateLogitNormalizer,
          clampMin: c.clampMin,
          repeat: c.featureMap === 'hedgehog' ? 2 : 1,
        });
        A = g.A;
        D = g.D;
      }
      const fmap = eff.featureMap;
      const fq = fmap === 'hedgehog' ? [get(w, `${p}attn.fmap_q.weight`), get(w, `${p}attn.fmap_q.bias`)] : [];
      const phiQ = featureMap64(fmap, q, dk, fq[0], fq[1]);
      let phiK: Float64Array;
      if (fmap === 'exp_norm') {
        // Like the GPU: the running key max continues after position 0 (zeros if this layer never ran
        // exp_norm before, i.e. a feature_map swap that starts mid-sequence).
        const mPrev = pos0 > 0 ? (state.keyMax[li] ?? new Float64Array(Hkv)) : undefined;
        const r = expNormKeys64(k, { B: 1, T, H: Hkv, dk }, A, mPrev);
        state.keyMax[li] = r.mOut;
        A = r.A;
        phiK = r.phiK;
      } else {
        const fk = fmap === 'hedgehog' ? [get(w, `${p}attn.fmap_k.weight`), get(w, `${p}attn.fmap_k.bias`)] : [];
        phiK = featureMap64(fmap, k, dk, fk[0], fk[1]);
      }
      const r = glaRecurrent64(
        { B: 1, T, Hq, Hkv, dk: dkf, dv },
        {
          q: phiQ,
          k: phiK,
          v,
          A,
          D,
          scale: readoutScale(c),
          denominator: c.denominator,
          state: state.gla[li] ?? undefined,
          zState: state.z[li] ?? undefined,
        },
      );
      state.gla[li] = r.state;
      if (c.denominator) state.z[li] = r.zState;
      const gate = c.useOutputGate ? matmul64(xn, get(w, `${p}attn.g_proj.weight`), T, Hq * dv, H) : undefined;
      const norm = eff.attnNorm;
      y = attnOutput64(
        r.o,
        dv,
        norm,
        norm !== 'none' ? get(w, `${p}attn.g_norm.weight`) : undefined,
        norm === 'layernorm' ? get(w, `${p}attn.g_norm.bias`) : undefined,
        c.normEps,
        gate,
      );
      yWidth = Hq * dv;
      scaleHeads64(y, eff, Hq, dv);
    }
    const h2 = matmul64(y, get(w, `${p}attn.o_proj.weight`), T, H, yWidth, undefined, h);
    const xm = rowNorm64(h2, H, get(w, `${p}mlp_norm.weight`), undefined, c.normEps, 'rmsnorm');
    const I = c.intermediateSize;
    const gu = new Float64Array(T * 2 * I);
    const g = matmul64(xm, get(w, `${p}mlp.gate_proj.weight`), T, I, H);
    const u = matmul64(xm, get(w, `${p}mlp.up_proj.weight`), T, I, H);
    for (let t = 0; t < T; t++) {
      gu.set(g.subarray(t * I, (t + 1) * I), t * 2 * I);
      gu.set(u.subarray(t * I, (t + 1) * I), t * 2 * I + I);
    }
    h = matmul64(swiglu64(gu, T, I), get(w, `${p}mlp.down_proj.weight`), T, H, I, undefined, h2);
  }
  const xf = rowNorm64(h, H, get(w, 'model.norm.weight'), undefined, c.normEps, 'rmsnorm');
  const head = c.tieWordEmbeddings ? get(w, 'model.embeddings.weight') : get(w, 'lm_head.weight');
  state.position += T;
  return matmul64(xf, head, T, c.vocabSize, H);
}
