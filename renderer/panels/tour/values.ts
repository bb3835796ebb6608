// The tour's numbers: for one run's analysis and a (layer, head, token, channel), the values each
// step shows — slices of the captured tensors (gate.a, gate.c, gate.logA, phi.q, phi.k, attn.o),
// values of the capture records (‖S_t‖, ‖o_t‖, ‖y_t‖, means, memory lengths) and what follows from
// them in float64 (g, r, F, dF/dg, the exp_norm fold, one effective-attention row, the chunked
// form's exponents). Every value says where it comes from; what the analysis does not keep is named,
// never filled in. Pure functions of plain data: unit-tested in Node (test/unit/tour.test.ts).

import { featureDim, isSoftmaxLayer, readoutScale, sigmoid64, type ModelConfig, type TapPoint } from '../../../shaders/index.js';
import { logAlpha, stateNormSeries } from '../../session/metrics.js';
import { dumpKey, type Analysis, type DumpTensor, type TokenView } from '../../state/types.js';

/** Where a number comes from: a captured tensor or record, computed from captured ones, or a formula. */
export type Provenance = 'captured' | 'derived' | 'analytic' | 'measured';

/** A row of numbers drawn as coloured cells (channels of a head, or tokens). */
export interface Strip {
  id: string;
  label: string;
  values: readonly number[];
  prov: Provenance;
  /** What the values are read or computed from, e.g. 'phi.q@1 [#5, head 0]'. */
  source: string;
  /** The captured tensor the values are a slice of (prov 'captured' only). */
  point?: TapPoint;
  axis: 'channel' | 'token';
  /** Index label of the first cell (a token strip's first position). */
  x0: number;
  /** Cell to ring (the selected channel or token), or null. */
  mark: number | null;
  /** Values of both signs: a diverging colour map centred on 0. */
  signed: boolean;
}

export interface Scalar {
  id: string;
  label: string;
  value: number;
  prov: Provenance;
  source: string;
  /** Shown after the number (e.g. '≤ 0 ✓'). */
  note?: string;
  /** 'int' prints without decimals; 'bytes' / 'flops' with a unit prefix. */
  kind?: 'int' | 'bytes' | 'flops' | 'ms';
}

/** One row of the cost table: per layer, the model's own sizes (analytic) at sequence length T. */
export interface CostRow {
  T: number;
  linearPrefillFlops: number;
  softmaxPrefillFlops: number;
  linearDecodeFlops: number;
  softmaxDecodeFlops: number;
  stateBytes: number;
  kvCacheBytes: number;
}

export interface StepValues {
  strips: Strip[];
  scalars: Scalar[];
  /** What this step would show but the analysis does not keep (or the variant does not have). */
  missing: string[];
  notes: string[];
  cost?: CostRow[];
}

/** What the tour looks at. token is an absolute position; channel indexes the kv head's key channels. */
export interface Focus {
  layer: number;
  head: number;
  token: number;
  channel: number;
}

export interface RunView {
  analysis: Analysis;
  config: ModelConfig;
  tokens: readonly TokenView[];
  /** The run's kernel profile, when one was measured (Kernels panel). */
  profile: { promptTokens: number; prefillMs: number; decodeMsPerToken: number; source: 'gpu' | 'cpu' } | null;
}

/** The chunk size the analysis prefill ran with (Session's default; the runner does not change it). */
export const ANALYSIS_CHUNK = 64;
/** ln of the largest f32: exp(x) overflows f32 beyond this. */
export const F32_LN_MAX = Math.log(3.4028234663852886e38);
/** Token strips show at most this many positions (ending at the selected token). */
export const TOKEN_WINDOW = 96;

export const kvHeadOf = (c: ModelConfig, head: number): number => Math.floor(head / Math.max(1, c.numHeads / c.numKvHeads));

/** The [dim] row of one token and head of a dump, or null when the dump or the position is absent. */
export function headRow(d: DumpTensor | undefined, pos: number, head: number): Float32Array | null {
  if (!d) return null;
  const r = pos - d.pos0;
  const [H = 1, C = 1] = d.rowShape.length >= 2 ? d.rowShape : [1, d.rowShape[0] ?? 1];
  if (r < 0 || r >= d.rows || head < 0 || head >= H) return null;
  const o = (r * H + head) * C;
  return d.data.subarray(o, o + C);
}

const dump = (a: Analysis, point: TapPoint, layer: number): DumpTensor | undefined => a.dumps.get(dumpKey(point, layer));
const rec = (a: Analysis, point: TapPoint, layer: number) => a.records.find((r) => r.layer === layer && r.point === point);
const arr = (v: ArrayLike<number>): number[] => Array.from(v, (x) => x);

function strip(id: string, label: string, values: readonly number[], prov: Provenance, source: string, o: Partial<Pick<Strip, 'point' | 'axis' | 'x0' | 'mark' | 'signed'>> = {}): Strip {
  let signed = o.signed;
  if (signed === undefined) {
    let neg = false;
    let pos = false;
    for (const v of values) {
      if (v < 0) neg = true;
      else if (v > 0) pos = true;
    }
    signed = neg && pos;
  }
  return { id, label, values, prov, source, axis: o.axis ?? 'channel', x0: o.x0 ?? 0, mark: o.mark ?? null, signed, ...(o.point ? { point: o.point } : {}) };
}

// ---------------------------------------------------------------- per-step quantities

/** σ′ of a plain gate, g(1 − g), and the refined gate's dF/dg = 2(1 − r)g + 2r(1 − g) (spec §1.3). */
export const plainGrad = (g: number): number => g * (1 - g);
export const refinedGrad = (g: number, r: number): number => 2 * (1 - r) * g + 2 * r * (1 - g);

/** Gate values of one token and kv head: logits, g, r, α and log α per channel (before any exp_norm fold). */
export interface GateRow {
  a: Float32Array;
  c: Float32Array | null;
  g: number[];
  r: number[] | null;
  logA: number[];
  alpha: number[];
}

export function gateRow(v: RunView, layer: number, kvh: number, pos: number): GateRow | null {
  const a = headRow(dump(v.analysis, 'gate.a', layer), pos, kvh);
  if (!a) return null;
  const c = v.config.gate === 'refined' ? headRow(dump(v.analysis, 'gate.c', layer), pos, kvh) : null;
  const g = arr(a).map(sigmoid64);
  const r = c ? arr(c).map(sigmoid64) : null;
  const logA = arr(a).map((ai, i) => logAlpha(v.config, ai, c ? (c[i] as number) : 0));
  return { a, c, g, r, logA, alpha: logA.map(Math.exp) };
}

/**
 * The exp_norm fold per key channel: the captured log α (after the fold) minus the gate's own log α
 * = M_{t−1} − M_t (spec §1.1), the same for every channel of the head up to f32 rounding.
 */
export function foldTerm(v: RunView, layer: number, kvh: number, pos: number): number[] | null {
  const la = headRow(dump(v.analysis, 'gate.logA', layer), pos, kvh);
  if (!la) return null;
  const gr = gateRow(v, layer, kvh, pos);
  if (!gr && v.config.gate !== 'none') return null;
  return arr(la).map((x, i) => x - (gr ? (gr.logA[i] as number) : 0));
}

/**
 * Row t of the effective attention of one query head (spec §3.5), in float64 from the captured
 * φ(q), φ(k) and log α: A[t,u] = s·Σ_i φ(q_t)_i exp(Σ_{w=u+1..t} log α_{w,i}) φ(k_u)_i for u ≤ t
 * (with the denominator: divided by the unscaled row sum + 1e-6). Positions from the dump's start.
 * null when a tensor is missing or the variant has a value-side gate (the row then depends on the
 * value channel).
 */
export function attentionRow(v: RunView, layer: number, head: number, pos: number): Float64Array | null {
  const { analysis: an, config: c } = v;
  const q = dump(an, 'phi.q', layer);
  const k = dump(an, 'phi.k', layer);
  if (!q || !k || dump(an, 'gate.logD', layer)) return null;
  const A = dump(an, 'gate.logA', layer);
  const d = featureDim(c);
  const kvh = kvHeadOf(c, head);
  const t = pos - q.pos0;
  const qt = headRow(q, pos, head);
  if (!qt || t < 0) return null;
  const Hkv = k.rowShape[0] ?? 1;
  const out = new Float64Array(t + 1);
  // Cumulative log α from u+1 to t, walked backwards: acc_i = Σ_{w=u+1..t} log α_{w,i}.
  const acc = new Float64Array(d);
  let sum = 0;
  for (let u = t; u >= 0; u--) {
    const ko = (u * Hkv + kvh) * d;
    let s = 0;
    for (let i = 0; i < d; i++) s += (qt[i] as number) * Math.exp(acc[i] as number) * (k.data[ko + i] as number);
    out[u] = s;
    sum += s;
    if (A) for (let i = 0; i < d; i++) acc[i] = (acc[i] as number) + (A.data[ko + i] as number);
  }
  if (c.denominator) for (let u = 0; u <= t; u++) out[u] = (out[u] as number) / (sum + 1e-6);
  else {
    const s = readoutScale(c);
    for (let u = 0; u <= t; u++) out[u] = (out[u] as number) * s;
  }
  return out;
}

/** The output norm without its learned weight: (o − mean)/√(var + eps) (LayerNorm), o/√(mean o² + eps) (RMSNorm), o (none). */
export function standardize(o: ArrayLike<number>, kind: ModelConfig['attnNorm'], eps: number): number[] {
  const n = o.length;
  if (kind === 'none' || n === 0) return arr(o);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += o[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const x = (o[i] as number) - (kind === 'layernorm' ? mean : 0);
    ss += x * x;
  }
  const inv = 1 / Math.sqrt(ss / n + eps);
  return arr(o).map((x) => (x - (kind === 'layernorm' ? mean : 0)) * inv);
}

export const l2 = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
};

/**
 * The chunked form around position pos (spec §3.2) for one kv head: the chunk [start, end) holding
 * pos, the inclusive cumulative log α G restarted at the chunk start for `channel`, and over every
 * channel the largest off-diagonal anchored exponent G_t − G_u (u < t ≤ pos in the chunk; the
 * diagonal is exactly 0), which must be ≤ 0 (−∞ when pos starts its chunk), and the most negative G
 * (the chunk's deepest decay).
 */
export function chunkView(
  v: RunView,
  layer: number,
  kvh: number,
  pos: number,
  channel: number,
  C = ANALYSIS_CHUNK,
): { start: number; end: number; G: number[]; maxExponent: number; minG: number } | null {
  const A = dump(v.analysis, 'gate.logA', layer);
  if (!A) return null;
  const d = A.rowShape[1] ?? 1;
  const Hkv = A.rowShape[0] ?? 1;
  const t = pos - A.pos0;
  if (t < 0 || t >= A.rows) return null;
  const start = Math.floor(t / C) * C;
  const end = Math.min(A.rows, start + C);
  const ch = Math.min(Math.max(0, channel), d - 1);
  const G: number[] = [];
  let maxExponent = -Infinity;
  let minG = 0;
  for (let i = 0; i < d; i++) {
    let acc = 0;
    let prefixMin = Infinity; // min G_u over start ≤ u < t'
    for (let u = start; u < end; u++) {
      acc += A.data[(u * Hkv + kvh) * d + i] as number;
      if (i === ch) G.push(acc);
      if (u <= t) {
        // Row t' = u against every earlier column u' < t': the largest exponent is G_t' − min G_u'.
        // It is ≤ 0 when every log α ≤ 0 (G non-increasing); computed, not assumed.
        if (prefixMin !== Infinity) maxExponent = Math.max(maxExponent, acc - prefixMin);
        prefixMin = Math.min(prefixMin, acc);
      }
      if (acc < minG) minG = acc;
    }
  }
  return { start: start + A.pos0, end: end + A.pos0, G, maxExponent, minG };
}

/** The worst single-step log α of a head over the run (the most negative), or null without a gate dump. */
export function minLogAlpha(v: RunView, layer: number, kvh: number): number | null {
  const A = dump(v.analysis, 'gate.logA', layer);
  if (!A) return null;
  const [Hkv = 1, d = 1] = A.rowShape;
  let m = 0;
  for (let r = 0; r < A.rows; r++) for (let i = 0; i < d; i++) m = Math.min(m, A.data[(r * Hkv + kvh) * d + i] as number);
  return m;
}

/**
 * Analytic cost per layer (all heads) of the attention part only, from the config's sizes: the
 * chunked linear form per token 2C(d_k + d_v) (intra-chunk QKᵀ and PV) + 4·d_k·d_v (inter-chunk
 * read-out and state update) FLOPs per head; causal softmax T(T+1)/2 pairs × 2(d + d) FLOPs per head
 * with d the softmax head dim (hidden / heads, the engine's softmax baseline). Decode at position T:
 * 4·d_k·d_v per head (linear) vs 4·d·T (softmax). Memory: the f32 state d_k·d_v per kv head vs the
 * f32 KV cache 2·d·T per head.
 */
export function costRows(c: ModelConfig, Ts: readonly number[], C = ANALYSIS_CHUNK): CostRow[] {
  const dk = featureDim(c);
  const dv = c.headDimV;
  const d = c.hiddenSize / c.numHeads;
  const H = c.numHeads;
  return Ts.map((T) => ({
    T,
    linearPrefillFlops: H * T * (2 * Math.min(C, T) * (dk + dv) + 4 * dk * dv),
    softmaxPrefillFlops: H * ((T * (T + 1)) / 2) * 2 * (2 * d),
    linearDecodeFlops: H * 4 * dk * dv,
    softmaxDecodeFlops: H * 4 * d * T,
    stateBytes: c.numKvHeads * dk * dv * 4,
    kvCacheBytes: H * 2 * d * T * 4,
  }));
}

/** The smallest power-of-two T where softmax prefill FLOPs exceed the linear form's (analytic), or null up to 2^20. */
export function costCrossover(c: ModelConfig, C = ANALYSIS_CHUNK): number | null {
  for (let e = 0; e <= 20; e++) {
    const [r] = costRows(c, [2 ** e], C);
    if (r && r.softmaxPrefillFlops > r.linearPrefillFlops) return 2 ** e;
  }
  return null;
}

// ---------------------------------------------------------------- the steps' values

export type StepId = 'projections' | 'features' | 'gate' | 'state' | 'readout' | 'norm' | 'output' | 'chunked' | 'cost';

const src = (point: TapPoint, f: Focus, head: number, what = 'head'): string => `${point}@${f.layer} [#${f.token}, ${what} ${head}]`;

/** The values of one step for one run. Never throws on absent data: it says what is missing. */
export function stepValues(step: StepId, v: RunView, f: Focus): StepValues {
  const out: StepValues = { strips: [], scalars: [], missing: [], notes: [] };
  const c = v.config;
  const an = v.analysis;
  if (step !== 'cost' && isSoftmaxLayer(c, f.layer)) {
    out.missing.push(`Layer ${f.layer} of this model is softmax attention: it has no feature map, gate or recurrent state. Pick a linear layer.`);
    return out;
  }
  if (step !== 'cost' && (f.token < 0 || f.token >= an.T)) {
    out.missing.push(`Token #${f.token} is outside this run's analysis (${an.T} tokens).`);
    return out;
  }
  const kvh = kvHeadOf(c, f.head);
  const d = featureDim(c);
  const ch = Math.min(Math.max(0, f.channel), d - 1);
  const phiQ = headRow(dump(an, 'phi.q', f.layer), f.token, f.head);
  const phiK = headRow(dump(an, 'phi.k', f.layer), f.token, kvh);
  const gr = c.gate === 'none' ? null : gateRow(v, f.layer, kvh, f.token);
  const capturedLogA = headRow(dump(an, 'gate.logA', f.layer), f.token, kvh);

  switch (step) {
    case 'projections': {
      if (gr) {
        out.strips.push(strip('a', c.gate === 'refined' ? 'a_t: base gate logits' : 'a_t: gate logits', arr(gr.a), 'captured', src('gate.a', f, kvh, 'kv head'), { point: 'gate.a', mark: ch }));
        if (gr.c) out.strips.push(strip('c', 'c_t: refining gate logits', arr(gr.c), 'captured', src('gate.c', f, kvh, 'kv head'), { point: 'gate.c', mark: ch }));
      } else if (c.gate === 'none') out.notes.push('This variant has no gate (α = 1): no gate logits.');
      else out.missing.push('The gate logits of this layer were not kept (the dump budget keeps one layer on long runs).');
      const inv = inverseFeature(c.featureMap);
      if (phiQ && inv) out.strips.push(strip('q', inv.qLabel, arr(phiQ).map(inv.f), 'derived', `${inv.how} φ(q) = phi.q@${f.layer} [#${f.token}, head ${f.head}]`, { mark: ch }));
      if (phiK && inv) out.strips.push(strip('k', inv.kLabel, arr(phiK).map(inv.f), 'derived', `${inv.how} φ(k) = phi.k@${f.layer} [#${f.token}, kv head ${kvh}]`, { mark: ch }));
      if (!inv) out.missing.push(`q_t and k_t themselves: the analysis keeps φ(q), φ(k) only, and the ${c.featureMap} map cannot be inverted.`);
      else if (c.featureMap === 'exp_norm') out.notes.push('q_t and k_t are not kept; log φ gives them up to one shift per token: q_t − max_j q_t,j and k_t − M_t.');
      out.missing.push('v_t (and the hidden state x_t) are not kept by the analysis.');
      if (gr) {
        out.scalars.push({ id: 'a_ch', label: `a_t[c${ch}]`, value: gr.a[ch] as number, prov: 'captured', source: src('gate.a', f, kvh, 'kv head') });
        if (gr.c) out.scalars.push({ id: 'c_ch', label: `c_t[c${ch}]`, value: gr.c[ch] as number, prov: 'captured', source: src('gate.c', f, kvh, 'kv head') });
      }
      out.scalars.push({ id: 'dk', label: 'key dim d_k (after φ)', value: d, prov: 'analytic', source: 'config', kind: 'int' }, { id: 'dv', label: 'value dim d_v', value: c.headDimV, prov: 'analytic', source: 'config', kind: 'int' });
      break;
    }
    case 'features': {
      if (phiQ) out.strips.push(strip('phiq', 'φ(q_t)', arr(phiQ), 'captured', src('phi.q', f, f.head), { point: 'phi.q', mark: ch }));
      if (phiK) out.strips.push(strip('phik', 'φ(k_t)', arr(phiK), 'captured', src('phi.k', f, kvh, 'kv head'), { point: 'phi.k', mark: ch }));
      if (!phiQ || !phiK) out.missing.push('φ(q) / φ(k) of this layer were not kept.');
      if (phiQ) {
        let am = 0;
        for (let i = 1; i < phiQ.length; i++) if ((phiQ[i] as number) > (phiQ[am] as number)) am = i;
        out.scalars.push(
          { id: 'phiq_max', label: 'max φ(q_t)', value: Math.max(...phiQ), prov: 'captured', source: src('phi.q', f, f.head), ...(c.featureMap === 'exp_norm' ? { note: '= exp(0) at the argmax' } : {}) },
          { id: 'phiq_argmax', label: 'argmax φ(q_t) (channel)', value: am, prov: 'derived', source: src('phi.q', f, f.head), kind: 'int' },
          { id: 'phiq_min', label: 'min φ(q_t)', value: Math.min(...phiQ), prov: 'captured', source: src('phi.q', f, f.head), ...(c.featureMap === 'exp_norm' ? { note: '> 0' } : {}) },
        );
      }
      if (phiK) out.scalars.push({ id: 'phik_max', label: 'max φ(k_t)', value: Math.max(...phiK), prov: 'captured', source: src('phi.k', f, kvh, 'kv head'), ...(c.featureMap === 'exp_norm' ? { note: '1 ⇔ k_t raised the running max' } : {}) });
      if (c.featureMap === 'exp_norm') {
        const fold = foldTerm(v, f.layer, kvh, f.token);
        if (fold) {
          // f32 log α against the float64 gate: a token that left M unchanged shows rounding, not 0.
          const m = mean(fold);
          out.scalars.push({ id: 'fold', label: 'M[t−1] − M[t], folded into log α', value: m, prov: 'derived', source: `gate.logA − log α(a, c) @${f.layer} [#${f.token}, kv head ${kvh}], mean over channels`, note: Math.abs(m) < 1e-5 ? '0 up to f32 rounding: M unchanged' : m < 0 ? '< 0: k_t raised the max' : '> 0 ✗' });
        }
      }
      const ent = rec(an, 'phi.q', f.layer)?.tokenEntropy;
      const row = f.token - (rec(an, 'phi.q', f.layer)?.pos0 ?? 0);
      if (ent && row >= 0 && row < ent.rows && f.head < ent.cols) out.scalars.push({ id: 'phiq_entropy', label: 'entropy of φ(q_t)/Σφ, nats', value: ent.at(row, f.head), prov: 'captured', source: `capture record phi.q@${f.layer} tokenEntropy` });
      out.scalars.push({ id: 'scale', label: `read-out scale s = ${scaleName(c)}`, value: readoutScale(c), prov: 'analytic', source: `config, d_k = ${d}` });
      break;
    }
    case 'gate': {
      if (!gr) {
        if (c.gate === 'none') out.notes.push('This variant has no gate: α = 1, nothing decays (the state only grows).');
        else out.missing.push('The gate logits of this layer were not kept.');
        break;
      }
      out.strips.push(strip('g', 'g = σ(a)', gr.g, 'derived', `σ(gate.a@${f.layer}) [#${f.token}, kv head ${kvh}]`, { mark: ch }));
      if (gr.r) out.strips.push(strip('r', 'r = σ(c)', gr.r, 'derived', `σ(gate.c@${f.layer}) [#${f.token}, kv head ${kvh}]`, { mark: ch }));
      out.strips.push(strip('alpha', c.gate === 'refined' ? 'α = F' : 'α', gr.alpha, 'derived', `from gate.a${gr.c ? ', gate.c' : ''}@${f.layer} (spec §1.3, τ = ${c.gate === 'sigmoid' ? 1 : c.gateLogitNormalizer})`, { mark: ch }));
      const g = gr.g[ch] as number;
      const r = gr.r ? (gr.r[ch] as number) : null;
      const alpha = gr.alpha[ch] as number;
      const s = (id: string, label: string, value: number, source: string, note?: string): Scalar => ({ id, label, value, prov: 'derived', source, ...(note ? { note } : {}) });
      out.scalars.push(s('g_ch', `g [c${ch}]`, g, 'σ(a)'));
      if (r !== null) out.scalars.push(s('r_ch', `r [c${ch}]`, r, 'σ(c)'));
      out.scalars.push(s('alpha_ch', `α [c${ch}]`, alpha, c.gate === 'refined' ? 'exp(log F / τ)' : 'exp(logσ(a) / τ)'), s('gg_ch', `g(1 − g) [c${ch}]`, plainGrad(g), 'plain gate: dσ/da'));
      if (r !== null) {
        out.scalars.push(s('dfdg_ch', `dF/dg [c${ch}]`, refinedGrad(g, r), '2(1 − r)g + 2r(1 − g)', 'stays ≥ 2·min(r, 1 − r)'));
        out.scalars.push(s('dfda_ch', `dF/da = dF/dg · g(1 − g) [c${ch}]`, refinedGrad(g, r) * plainGrad(g), 'chain rule'));
        out.scalars.push(s('plain_same', `α(1 − α): a plain gate at this α [c${ch}]`, alpha * (1 - alpha), 'σ′ at σ = α'));
        out.scalars.push(s('dfdg_mean', 'mean dF/dg over the head, this token', mean(gr.g.map((gi, i) => refinedGrad(gi, gr.r?.[i] as number))), 'derived from gate.a, gate.c'));
      }
      out.scalars.push(s('gg_mean', 'mean g(1 − g) over the head, this token', mean(gr.g.map(plainGrad)), 'derived from gate.a'));
      const m = rec(an, 'gate.a', f.layer)?.means;
      if (m) {
        const hi = headIndex(rec(an, 'gate.a', f.layer)?.heads, kvh);
        if (hi !== null && m.gOneMinusG?.[hi] !== undefined) out.scalars.push({ id: 'gg_run', label: 'mean g(1 − g), whole run (GPU capture)', value: m.gOneMinusG[hi], prov: 'captured', source: `capture record gate.a@${f.layer} means` });
        if (hi !== null && m.dFdg?.[hi] !== undefined) out.scalars.push({ id: 'dfdg_run', label: 'mean dF/dg, whole run (GPU capture)', value: m.dFdg[hi], prov: 'captured', source: `capture record gate.a@${f.layer} means` });
      }
      break;
    }
    case 'state': {
      if (capturedLogA) out.strips.push(strip('decay', 'α_t applied to S (exp of captured log α)', arr(capturedLogA).map(Math.exp), 'derived', `exp(gate.logA@${f.layer}) [#${f.token}, kv head ${kvh}]`, { mark: ch }));
      else if (c.gate === 'none' && c.featureMap !== 'exp_norm') out.notes.push('No gate: α_t = 1, S_t = S_{t−1} + φ(k_t)ᵀv_t.');
      else out.missing.push('log α of this layer was not kept.');
      const mem = rec(an, 'gate.logA', f.layer);
      const hi = headIndex(mem?.heads, kvh);
      const ml = hi !== null ? mem?.channelMemoryLength?.[hi] : undefined;
      if (ml) out.strips.push(strip('memory', 'memory length 1/(1 − mean α) per channel, whole run', ml, 'captured', `capture record gate.logA@${f.layer} channelMemoryLength [kv head ${kvh}]`, { mark: ch }));
      const norms = stateNormSeries(an, f.layer, kvh);
      if (norms) {
        const t = f.token - (an.records.find((r) => r.layer === f.layer && r.tokenStateNorm)?.pos0 ?? 0);
        const lo = Math.max(0, t - TOKEN_WINDOW + 1);
        out.strips.push(strip('snorm', '‖S_u‖_F over tokens', arr(norms.subarray(lo, t + 1)), 'captured', `capture record state.in@${f.layer} tokenStateNorm [kv head ${kvh}]`, { axis: 'token', x0: lo, mark: t - lo }));
        out.scalars.push({ id: 'snorm_t', label: '‖S_t‖_F', value: norms[t] as number, prov: 'captured', source: `state.in@${f.layer} tokenStateNorm [#${f.token}, kv head ${kvh}]` });
        if (t > 0) out.scalars.push({ id: 'snorm_prev', label: '‖S_(t−1)‖_F', value: norms[t - 1] as number, prov: 'captured', source: `state.in@${f.layer} tokenStateNorm [#${f.token - 1}, kv head ${kvh}]` });
      } else out.missing.push('‖S_t‖ per token was not captured for this layer.');
      if (phiK) out.scalars.push({ id: 'phik_norm', label: '‖φ(k_t)‖ (the new row scale)', value: l2(phiK), prov: 'derived', source: src('phi.k', f, kvh, 'kv head') });
      if (capturedLogA) out.scalars.push({ id: 'decay_mean', label: 'mean α_t over channels', value: mean(arr(capturedLogA).map(Math.exp)), prov: 'derived', source: `exp(gate.logA@${f.layer})` });
      out.scalars.push({ id: 'state_size', label: 'state size d_k × d_v per kv head', value: d * c.headDimV, prov: 'analytic', source: 'config', kind: 'int' });
      out.missing.push(`S_t itself (${d} × ${c.headDimV} per kv head and token) and v_t are not kept: only ‖S_t‖ is captured.`);
      break;
    }
    case 'readout': {
      const o = headRow(dump(an, 'attn.o', f.layer), f.token, f.head);
      if (o) out.strips.push(strip('o', 'o_t (before the norm)', arr(o), 'captured', src('attn.o', f, f.head), { point: 'attn.o' }));
      else out.missing.push('o_t of this layer was not kept.');
      if (o) out.scalars.push({ id: 'o_norm', label: '‖o_t‖ from the dump', value: l2(o), prov: 'derived', source: src('attn.o', f, f.head) });
      const tn = rec(an, 'attn.o', f.layer);
      const row = f.token - (tn?.pos0 ?? 0);
      if (tn?.tokenNorm && row >= 0 && row < tn.tokenNorm.rows && f.head < tn.tokenNorm.cols) out.scalars.push({ id: 'o_norm_gpu', label: '‖o_t‖ (GPU capture)', value: tn.tokenNorm.at(row, f.head), prov: 'captured', source: `capture record attn.o@${f.layer} tokenNorm` });
      out.scalars.push({ id: 'scale', label: c.denominator ? 'scale (cancels: the denominator normalizes)' : 's', value: c.denominator ? 1 : readoutScale(c), prov: 'analytic', source: `config (${scaleName(c)})` });
      const A = attentionRow(v, f.layer, f.head, f.token);
      if (A) {
        const pos0 = dump(an, 'phi.q', f.layer)?.pos0 ?? 0;
        const t = f.token - pos0;
        const lo = Math.max(0, t - TOKEN_WINDOW + 1);
        out.strips.push(strip('attn_row', 'A[t, u]: weight of v_u in o_t', arr(A.subarray(lo)), 'derived', `φ(q), φ(k), log α @${f.layer} (float64)`, { axis: 'token', x0: pos0 + lo, mark: t - lo }));
        let best = 0;
        for (let u = 1; u < A.length; u++) if (Math.abs(A[u] as number) > Math.abs(A[best] as number)) best = u; // signed φ: signed weights
        out.scalars.push({ id: 'attn_self', label: 'A[t, t] (own token)', value: A[t] as number, prov: 'derived', source: 'effective attention row' });
        out.scalars.push({ id: 'attn_argmax', label: 'most-read position u (largest |A|)', value: pos0 + best, prov: 'derived', source: 'effective attention row', kind: 'int', note: tokenLabel(v.tokens, pos0 + best) });
        out.scalars.push({ id: 'attn_sum', label: 'Σ_u A[t, u]', value: sumOf(A), prov: 'derived', source: 'effective attention row' });
      } else if (dump(an, 'gate.logD', f.layer)) out.missing.push('With a value-side gate the weights depend on the value channel: the row is not shown here (the Attention panel has it per channel).');
      out.missing.push('v_u is not kept, so o_t = Σ_u A[t,u] v_u cannot be re-summed here; o_t itself is captured.');
      break;
    }
    case 'norm': {
      const o = headRow(dump(an, 'attn.o', f.layer), f.token, f.head);
      if (!o) {
        out.missing.push('o_t of this layer was not kept.');
        break;
      }
      const z = standardize(o, c.attnNorm, c.normEps);
      out.strips.push(strip('o', 'o_t', arr(o), 'captured', src('attn.o', f, f.head), { point: 'attn.o' }));
      if (c.attnNorm !== 'none') out.strips.push(strip('z', c.attnNorm === 'layernorm' ? '(o_t − μ)/√(σ² + ε)' : 'o_t/√(mean o² + ε)', z, 'derived', `attn.o@${f.layer}, ε = ${c.normEps}`));
      let mu = 0;
      for (const x of o) mu += x;
      mu /= o.length;
      let v2 = 0;
      for (const x of o) v2 += (x - mu) ** 2;
      out.scalars.push({ id: 'o_mean', label: 'μ = mean o_t', value: mu, prov: 'derived', source: src('attn.o', f, f.head) }, { id: 'o_std', label: 'σ = std o_t', value: Math.sqrt(v2 / o.length), prov: 'derived', source: src('attn.o', f, f.head) });
      const y = rec(an, 'attn.y', f.layer);
      const row = f.token - (y?.pos0 ?? 0);
      if (y?.tokenNorm && row >= 0 && row < y.tokenNorm.rows) out.scalars.push({ id: 'y_norm', label: '‖y_t‖, all heads (GPU capture)', value: y.tokenNorm.at(row, 0), prov: 'captured', source: `capture record attn.y@${f.layer} tokenNorm` });
      if (c.attnNorm !== 'none') out.missing.push(`The norm's learned weight${c.attnNorm === 'layernorm' ? ' and bias' : ''} are not in the analysis: the strip stops before them.`);
      if (c.useOutputGate) out.missing.push('The output gate swish(x W_g) is not captured.');
      break;
    }
    case 'output': {
      const y = rec(an, 'attn.y', f.layer);
      const row = f.token - (y?.pos0 ?? 0);
      if (y?.tokenNorm && row >= 0 && row < y.tokenNorm.rows) out.scalars.push({ id: 'y_norm', label: '‖y_t‖ entering o_proj', value: y.tokenNorm.at(row, 0), prov: 'captured', source: `capture record attn.y@${f.layer} tokenNorm` });
      const next = v.tokens[f.token + 1];
      if (next && next.top.length > 0) {
        out.strips.push(strip('next', `next-token p after all ${c.numLayers} layers`, next.top.map((x) => x.p), 'captured', `logits at #${f.token} (analysis prefill)`, { signed: false }));
        next.top.forEach((x, i) => out.scalars.push({ id: `next_${i}`, label: `p(${JSON.stringify(x.text)})`, value: x.p, prov: 'captured', source: `logits at #${f.token}` }));
        if (next.logprob !== null) out.scalars.push({ id: 'next_logp', label: `log p of the actual next token ${JSON.stringify(next.text)}`, value: next.logprob, prov: 'captured', source: `logits at #${f.token}` });
      } else out.notes.push('The last token has no next token in this run: its prediction was not scored.');
      out.missing.push('The layer output o_proj(y_t) and the residual stream are not kept.');
      break;
    }
    case 'chunked': {
      const cv = chunkView(v, f.layer, kvh, f.token, ch);
      if (!cv) {
        out.notes.push(c.gate === 'none' && c.featureMap !== 'exp_norm' ? 'No gate: G = 0 and every exponent is 0.' : 'log α of this layer was not kept.');
        break;
      }
      out.strips.push(strip('G', `G_u, channel ${ch}, chunk #${Math.floor((f.token - (dump(an, 'gate.logA', f.layer)?.pos0 ?? 0)) / ANALYSIS_CHUNK)}`, cv.G, 'derived', `cumulative gate.logA@${f.layer} from #${cv.start} [kv head ${kvh}]`, { axis: 'token', x0: cv.start, mark: f.token - cv.start }));
      out.scalars.push(
        { id: 'chunk', label: 'chunk [start, end)', value: cv.start, prov: 'analytic', source: `C = ${ANALYSIS_CHUNK}`, kind: 'int', note: `… ${cv.end}` },
        { id: 'G_t', label: `G_t, channel ${ch}`, value: cv.G[f.token - cv.start] as number, prov: 'derived', source: 'cumulative captured log α' },
        { id: 'max_exp', label: 'max G_t′ − G_u over u < t′ ≤ t, all channels', value: cv.maxExponent, prov: 'derived', source: 'cumulative captured log α', note: cv.maxExponent <= 0 ? '≤ 0 ✓' : '> 0 ✗' },
        { id: 'min_G', label: 'deepest G in this chunk', value: cv.minG, prov: 'derived', source: 'cumulative captured log α' },
        { id: 'naive', label: 'ln of 1/∏α the unanchored form needs', value: -cv.minG, prov: 'derived', source: '−G', note: -cv.minG > F32_LN_MAX ? 'overflows f32 (> 88.7)' : 'fits f32 here (≤ 88.7)' },
      );
      const worst = minLogAlpha(v, f.layer, kvh);
      if (worst !== null) out.scalars.push({ id: 'worst_step', label: 'most negative log α in the run', value: worst, prov: 'derived', source: `gate.logA@${f.layer}`, note: `× ${ANALYSIS_CHUNK} steps = ${fmt(worst * ANALYSIS_CHUNK)}` });
      break;
    }
    case 'cost': {
      const Ts = [64, 256, 1024, 4096, 16384];
      out.cost = costRows(c, Ts);
      const x = costCrossover(c);
      if (x !== null) out.scalars.push({ id: 'crossover', label: 'softmax prefill FLOPs exceed linear from T =', value: x, prov: 'analytic', source: 'costRows (this config)', kind: 'int' });
      const [here] = costRows(c, [an.T]);
      if (here) {
        out.scalars.push({ id: 'state_bytes', label: 'recurrent state per layer (f32)', value: here.stateBytes, prov: 'analytic', source: 'config', kind: 'bytes', note: 'constant in T' });
        out.scalars.push({ id: 'kv_bytes', label: `KV cache per layer at this run's T = ${an.T}`, value: here.kvCacheBytes, prov: 'analytic', source: 'softmax head dim', kind: 'bytes' });
      }
      if (v.profile) {
        out.scalars.push({ id: 'prof_prefill', label: `prefill, whole model, T = ${v.profile.promptTokens}`, value: v.profile.prefillMs, prov: 'measured', source: `this run's profile (${v.profile.source === 'gpu' ? 'GPU timestamps' : 'CPU wall time'})`, kind: 'ms' });
        out.scalars.push({ id: 'prof_decode', label: 'decode, per token', value: v.profile.decodeMsPerToken, prov: 'measured', source: `this run's profile (${v.profile.source === 'gpu' ? 'GPU timestamps' : 'CPU wall time'})`, kind: 'ms' });
      } else out.notes.push('No measured times for this run: the Kernels panel\'s Profile (or the Sweeps panel) measures them; the table is analytic.');
      break;
    }
  }
  return out;
}

/** How the pre-feature-map q and k follow from φ, where they do. */
function inverseFeature(map: ModelConfig['featureMap']): { f: (x: number) => number; how: string; qLabel: string; kLabel: string } | null {
  switch (map) {
    case 'identity':
      return { f: (x) => x, how: 'φ is the identity:', qLabel: 'q_t', kLabel: 'k_t' };
    case 'exp_norm':
      return { f: (x) => Math.log(x), how: 'log of', qLabel: 'q_t − max_j q_t,j = log φ(q_t)', kLabel: 'k_t − M_t = log φ(k_t)' };
    case 'elu1':
      return { f: (x) => (x >= 1 ? x - 1 : Math.log(x)), how: 'inverse of 1 + elu on', qLabel: 'q_t', kLabel: 'k_t' };
    default:
      return null;
  }
}

function scaleName(c: ModelConfig): string {
  if (typeof c.scale === 'number') return 'fixed';
  return c.scale === 'variance' ? '1/(e√(d_k(e² − 1)))' : 'd_k^−½';
}

function headIndex(heads: readonly number[] | undefined, h: number): number | null {
  if (!heads) return h;
  const i = heads.indexOf(h);
  return i >= 0 ? i : null;
}

function mean(v: readonly number[]): number {
  return v.length === 0 ? NaN : v.reduce((s, x) => s + x, 0) / v.length;
}

function sumOf(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] as number;
  return s;
}

export function tokenLabel(tokens: readonly TokenView[], pos: number): string {
  const t = tokens[pos];
  return t ? `#${pos} ${JSON.stringify(t.text)}` : `#${pos}`;
}

// ---------------------------------------------------------------- formatting

/** A number for reading: 4 significant digits, exponent form outside [1e-3, 1e5), −∞/∞/NaN spelled. */
export function fmt(x: number, kind?: Scalar['kind']): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  if (kind === 'int') return String(Math.round(x));
  if (kind === 'bytes') return unit(x, ['B', 'KiB', 'MiB', 'GiB', 'TiB'], 1024);
  if (kind === 'flops') return unit(x, ['', 'k', 'M', 'G', 'T', 'P'], 1000) + 'FLOP';
  if (kind === 'ms') return `${fmt(x)} ms`;
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a >= 1e-3 && a < 1e5 ? Number(x.toPrecision(4)).toString() : x.toExponential(3).replace('e+', 'e');
  return x < 0 ? `−${s.slice(1)}` : s;
}

function unit(x: number, names: readonly string[], step: number): string {
  let i = 0;
  let v = x;
  while (Math.abs(v) >= step && i < names.length - 1) {
    v /= step;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${names[i]}`;
}
