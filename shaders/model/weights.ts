// Weight naming (fla-compatible, spec §4): the list of tensors a config needs with their shapes,
// validation of a weight map against it, and seeded random weights for tests and benchmarks.

import { WeightsFormatError } from '../errors.js';
import { Rng } from '../cpu/random.js';
import { isSoftmaxLayer, softmaxHeadDim, type ModelConfig } from './config.js';

export interface WeightData {
  shape: readonly number[];
  data: Float32Array;
}
export type WeightMap = ReadonlyMap<string, WeightData>;

/**
 * Where weights come from: names and shapes up front, data one tensor at a time (a file reader
 * streams byte ranges; `mapSource` serves an in-memory map). `read` returns f32 whatever the stored dtype.
 */
export interface WeightSource {
  names(): Iterable<string>;
  /** undefined when the tensor is absent. */
  shape(name: string): readonly number[] | undefined;
  read(name: string): Promise<Float32Array>;
}

export function mapSource(w: WeightMap): WeightSource {
  return {
    names: () => w.keys(),
    shape: (name) => w.get(name)?.shape,
    read: async (name) => {
      const t = w.get(name);
      if (!t) throw new WeightsFormatError(`missing tensor ${name}`);
      return t.data;
    },
  };
}

export interface WeightSpec {
  name: string;
  shape: readonly number[];
  /** How random init fills it. */
  init: 'normal' | 'ones' | 'zeros' | 'identity' | 'gate_bias' | 'conv';
}

/** Projections of a gate: full rank `.weight`/`.bias`, or low rank `.0.weight`, `.1.weight`, `.1.bias`. */
function gateProj(prefix: string, out: number, hidden: number, rank: number | null): WeightSpec[] {
  if (rank === null) {
    return [
      { name: `${prefix}.weight`, shape: [out, hidden], init: 'normal' },
      { name: `${prefix}.bias`, shape: [out], init: 'gate_bias' },
    ];
  }
  return [
    { name: `${prefix}.0.weight`, shape: [rank, hidden], init: 'normal' },
    { name: `${prefix}.1.weight`, shape: [out, rank], init: 'normal' },
    { name: `${prefix}.1.bias`, shape: [out], init: 'gate_bias' },
  ];
}

export function expectedWeights(c: ModelConfig): WeightSpec[] {
  const H = c.hiddenSize;
  const groups = c.numHeads / c.numKvHeads;
  const kvKeyDim = c.keyDim / groups;
  const kvValueDim = c.valueDim / groups;
  const specs: WeightSpec[] = [{ name: 'model.embeddings.weight', shape: [c.vocabSize, H], init: 'normal' }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    specs.push({ name: `${p}attn_norm.weight`, shape: [H], init: 'ones' });
    if (isSoftmaxLayer(c, i)) {
      const d = softmaxHeadDim(c) * c.numHeads;
      const dkv = softmaxHeadDim(c) * c.numKvHeads;
      specs.push(
        { name: `${p}attn.q_proj.weight`, shape: [d, H], init: 'normal' },
        { name: `${p}attn.k_proj.weight`, shape: [dkv, H], init: 'normal' },
        { name: `${p}attn.v_proj.weight`, shape: [dkv, H], init: 'normal' },
        { name: `${p}attn.o_proj.weight`, shape: [H, d], init: 'normal' },
      );
    } else {
      specs.push(
        { name: `${p}attn.q_proj.weight`, shape: [c.keyDim, H], init: 'normal' },
        { name: `${p}attn.k_proj.weight`, shape: [kvKeyDim, H], init: 'normal' },
        { name: `${p}attn.v_proj.weight`, shape: [kvValueDim, H], init: 'normal' },
      );
      if (c.useShortConv) {
        specs.push(
          { name: `${p}attn.q_conv1d.weight`, shape: [c.keyDim, 1, c.convSize], init: 'conv' },
          { name: `${p}attn.k_conv1d.weight`, shape: [kvKeyDim, 1, c.convSize], init: 'conv' },
          { name: `${p}attn.v_conv1d.weight`, shape: [kvValueDim, 1, c.convSize], init: 'conv' },
        );
      }
      if (c.gate !== 'none') specs.push(...gateProj(`${p}attn.gk_proj`, kvKeyDim, H, c.gateLowRankDim));
      if (c.gate === 'refined') specs.push(...gateProj(`${p}attn.gr_proj`, kvKeyDim, H, c.gateLowRankDim));
      if (c.gate === 'fast_decay') specs.push(...gateProj(`${p}attn.gv_proj`, kvValueDim, H, c.gateLowRankDim));
      if (c.featureMap === 'hedgehog') {
        for (const qk of ['q', 'k']) {
          specs.push(
            { name: `${p}attn.fmap_${qk}.weight`, shape: [c.headDimK, c.headDimK], init: 'identity' },
            { name: `${p}attn.fmap_${qk}.bias`, shape: [c.headDimK], init: 'zeros' },
          );
        }
      }
      if (c.useOutputGate) specs.push({ name: `${p}attn.g_proj.weight`, shape: [c.valueDim, H], init: 'normal' });
      if (c.attnNorm !== 'none') {
        specs.push({ name: `${p}attn.g_norm.weight`, shape: [c.headDimV], init: 'ones' });
        if (c.attnNorm === 'layernorm') specs.push({ name: `${p}attn.g_norm.bias`, shape: [c.headDimV], init: 'zeros' });
      }
      specs.push({ name: `${p}attn.o_proj.weight`, shape: [H, c.valueDim], init: 'normal' });
    }
    specs.push(
      { name: `${p}mlp_norm.weight`, shape: [H], init: 'ones' },
      { name: `${p}mlp.gate_proj.weight`, shape: [c.intermediateSize, H], init: 'normal' },
      { name: `${p}mlp.up_proj.weight`, shape: [c.intermediateSize, H], init: 'normal' },
      { name: `${p}mlp.down_proj.weight`, shape: [H, c.intermediateSize], init: 'normal' },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [H], init: 'ones' });
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, H], init: 'normal' });
  return specs;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Checks names and shapes (no data is read); throws WeightsFormatError naming the tensor, expected and actual shape. */
export function validateSource(c: ModelConfig, w: WeightSource): void {
  const specs = expectedWeights(c);
  const names = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const shape = w.shape(s.name);
    if (!shape) throw new WeightsFormatError(`missing tensor ${s.name} (expected shape [${s.shape.join(', ')}])`);
    if (!sameShape(shape, s.shape)) {
      throw new WeightsFormatError(`${s.name}: expected shape [${s.shape.join(', ')}], got [${shape.join(', ')}]`);
    }
  }
  for (const k of w.names()) {
    if (!names.has(k)) throw new WeightsFormatError(`unexpected tensor ${k} for this config`);
  }
}

/** validateSource for an in-memory map, plus each tensor's element count. */
export function validateWeights(c: ModelConfig, w: WeightMap): void {
  validateSource(c, mapSource(w));
  for (const [name, t] of w) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new WeightsFormatError(`${name}: ${t.data.length} values for shape [${t.shape.join(', ')}] (${n})`);
  }
}

export interface RandomWeightOptions {
  seed?: number;
  /** Std of normal inits (default 0.02·sqrt(768/hidden)-ish scaled so activations stay O(1)). */
  std?: number;
  /** Bias for gate logits (default 0; extreme values reproduce the saturation study). */
  gateBias?: number;
  gateBiasStd?: number;
}

/** Seeded random weights for every tensor the config needs. */
export function randomWeights(c: ModelConfig, o: RandomWeightOptions = {}): Map<string, WeightData> {
  const rng = new Rng(o.seed ?? 1);
  const std = o.std ?? 1 / Math.sqrt(c.hiddenSize);
  const out = new Map<string, WeightData>();
  for (const s of expectedWeights(c)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    switch (s.init) {
      case 'normal': {
        const fanIn = s.shape.at(-1) ?? 1;
        data = rng.normals(n, s.name.endsWith('embeddings.weight') ? 1 : Math.min(std * Math.sqrt(c.hiddenSize / fanIn), 1 / Math.sqrt(fanIn)) * 1.0);
        break;
      }
      case 'ones':
        data = rng.normals(n, 0.1, 1);
        break;
      case 'zeros':
        data = rng.normals(n, 0.05);
        break;
      case 'identity': {
        const d = s.shape[0] ?? 1;
        data = rng.normals(n, 0.05);
        for (let i = 0; i < d; i++) data[i * d + i] = (data[i * d + i] ?? 0) + 1;
        break;
      }
      case 'gate_bias':
        data = rng.normals(n, o.gateBiasStd ?? 1, o.gateBias ?? 0);
        break;
      case 'conv':
        data = rng.normals(n, 0.5);
        break;
    }
    out.set(s.name, { shape: s.shape, data });
  }
  return out;
}
