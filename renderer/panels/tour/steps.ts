// The tour's steps through one layer (spec §1, §3.2): per step a title, the equation as KaTeX
// source for the run's own variant (ReGLA's exp_norm / refined gate / variance scale, or GLA's, …),
// the text in short chunks, and the panel that shows the same quantity ("Open in …"). Pure data of
// a config: the values come from values.ts, the drawing from TourPanel.tsx.

import { featureDim, readoutScale, type ModelConfig } from '../../../shaders/index.js';
import type { GateQuantity } from '../../state/store.js';
import { ANALYSIS_CHUNK, fmt, type StepId } from './values.js';

export interface StepLink {
  panel: string;
  /** Button text: 'Open in Gates'. */
  title: string;
  /** The element to ring, a CSS selector (the panels' data-testid hooks). */
  selector: string;
  quantity?: GateQuantity;
}

export interface StepDef {
  id: StepId;
  title: string;
  /** Display equations (KaTeX source), one per line. */
  tex: (c: ModelConfig) => string[];
  /** Short chunks of prose; inline maths as plain Unicode. */
  text: (c: ModelConfig) => string[];
  link: StepLink;
}

const gateTex = (c: ModelConfig): string[] => {
  const tau = c.gate === 'sigmoid' ? 1 : c.gateLogitNormalizer;
  const pow = tau !== 1 ? `^{1/${tau}}` : '';
  switch (c.gate) {
    case 'refined':
      return [
        String.raw`g_t = \sigma(a_t),\quad r_t = \sigma(c_t),\quad \alpha_t = F_t${pow} = \big((1-r_t)\,g_t^2 + r_t\,(1-(1-g_t)^2)\big)${pow}`,
        String.raw`\frac{\partial F}{\partial g} = 2(1-r)\,g + 2r\,(1-g) \quad\text{vs}\quad \sigma'(a) = g\,(1-g)`,
      ];
    case 'none':
      return [String.raw`\alpha_t = 1 \quad\text{(no gate)}`];
    case 'fast_decay':
      return [String.raw`G_t = \sigma(W_z x_t + b_z)\,\sigma(W_f x_t + b_f)^{\top},\quad \log\alpha_t = \log\sigma(a_t)/${tau}`, String.raw`\sigma'(a) = g\,(1-g)`];
    default:
      return [String.raw`g_t = \sigma(a_t),\quad \alpha_t = g_t${pow},\quad \log\alpha_t = \log\sigma(a_t)/${tau}`, String.raw`\sigma'(a) = g\,(1-g) \to 0 \text{ as } g \to 0 \text{ or } 1`];
  }
};

const featureTex = (c: ModelConfig): string[] => {
  const d = featureDim(c);
  const s =
    typeof c.scale === 'number'
      ? String.raw`s = ${c.scale}`
      : c.scale === 'variance'
        ? String.raw`s = \frac{1}{e\sqrt{d_k\,(e^2-1)}} = \frac{1}{e\sqrt{${d}\,(e^2-1)}} = ${fmt(readoutScale(c))}`
        : String.raw`s = d_k^{-1/2} = ${fmt(readoutScale(c))}`;
  switch (c.featureMap) {
    case 'exp_norm':
      return [String.raw`\phi(q_t)_i = e^{\,q_{t,i} - \max_j q_{t,j}},\qquad \phi(k_t)_i = e^{\,k_{t,i} - M_t},\quad M_t = \max\big(M_{t-1}, \max_i k_{t,i}\big)`, s];
    case 'identity':
      return [String.raw`\phi(x) = x`, s];
    case 'relu':
      return [String.raw`\phi(x) = \max(x, 0)`, s];
    case 'elu1':
      return [String.raw`\phi(x) = 1 + \operatorname{elu}(x)`, s];
    case 'hedgehog':
      return [String.raw`\phi(x) = \operatorname{softmax}\big([\,2(Wx+b),\; -2(Wx+b)\,]\big) \in \mathbb{R}^{2 d_k}`, s];
  }
};

const normTex = (c: ModelConfig): string => {
  const norm =
    c.attnNorm === 'layernorm'
      ? String.raw`\operatorname{LN}(o) = \frac{o - \mu}{\sqrt{\sigma^2 + \varepsilon}}\odot w + b`
      : c.attnNorm === 'rmsnorm'
        ? String.raw`\operatorname{RMS}(o) = \frac{o}{\sqrt{\overline{o^2} + \varepsilon}}\odot w`
        : String.raw`\text{no output norm}`;
  return c.useOutputGate ? String.raw`${norm},\qquad y_t = \operatorname{Norm}(o_t) \odot \operatorname{swish}(x_t W_g^{\top})` : String.raw`${norm},\qquad y_t = \operatorname{Norm}(o_t)`;
};

export const STEPS: readonly StepDef[] = [
  {
    id: 'projections',
    title: 'Projections',
    tex: (c) => [
      String.raw`q_t = x_t W_q^{\top},\quad k_t = x_t W_k^{\top},\quad v_t = x_t W_v^{\top}`,
      c.gate === 'refined' ? String.raw`a_t = x_t W_g^{\top} + b_g,\qquad c_t = x_t W_r^{\top} + b_r` : c.gate === 'none' ? String.raw`\text{(no gate logits)}` : String.raw`a_t = \big(x_t W_1^{\top}\big) W_2^{\top} + b`,
    ],
    text: (c) => [
      'Each token’s normalized hidden state x_t is projected, per head, into a query, a key and a value.',
      c.gate === 'refined'
        ? 'Two more projections give the gate logits: a_t for the base gate and c_t for the refining gate, one per key channel.'
        : c.gate === 'none'
          ? 'This variant has no gate: nothing else is projected.'
          : 'A low-rank projection gives the gate logits a_t, one per key channel.',
      'Below: the logits as captured, and q, k as far as the analysis keeps them.',
    ],
    link: { panel: 'gates', title: 'Open in Gates (g)', selector: '[data-testid=gates-channels]', quantity: 'g' },
  },
  {
    id: 'features',
    title: 'Feature maps',
    tex: featureTex,
    text: (c) =>
      c.featureMap === 'exp_norm'
        ? [
            'ReGLA maps q and k through a normalized exponential.',
            'The exponent x − max is ≤ 0, so every feature lies in (0, 1]: bounded and non-negative, whatever the logits do.',
            'Keys use a running max M_t over the past: a shared offset, so it cannot reweight tokens, and it never looks ahead.',
            'exp(x)·exp(y) of two unit Gaussians has variance e²(e² − 1): the scale s brings the sum over d_k features back to unit variance.',
          ]
        : [
            `This variant uses φ = ${c.featureMap}.`,
            c.featureMap === 'identity' ? 'φ(x) = x is unbounded and signed: the read-out can grow with the state.' : 'Non-negative features keep every attention weight ≥ 0.',
            `The read-out scale is s = ${fmt(readoutScale(c))}.`,
          ],
    link: { panel: 'features', title: 'Open in Feature maps', selector: '[data-testid=features-panel]' },
  },
  {
    id: 'gate',
    title: 'The gate',
    tex: gateTex,
    text: (c) =>
      c.gate === 'refined'
        ? [
            'g is the base gate, r the refining gate; F moves g towards g² (r = 0) or 1 − (1 − g)² (r = 1).',
            'A plain gate learns through σ′(a) = g(1 − g), which vanishes as g saturates at 0 or 1.',
            'dF/dg equals 2r at g = 0 and 2(1 − r) at g = 1: it does not vanish, and F reaches a given α with a less saturated g.',
          ]
        : c.gate === 'none'
          ? ['This variant has no gate: the state never forgets (α = 1).']
          : ['α = σ(a) (to the power 1/τ) decides per key channel how much of the state survives a step.', 'Its gradient σ′(a) = g(1 − g) vanishes when g saturates near 0 or 1.'],
    link: { panel: 'gates', title: 'Open in Gates (α)', selector: '[data-testid=gates-channels]', quantity: 'F' },
  },
  {
    id: 'state',
    title: 'State update',
    tex: () => [String.raw`S_t = \operatorname{diag}(\alpha_t)\, S_{t-1} + \phi(k_t)^{\top} v_t \;\in\; \mathbb{R}^{d_k \times d_v}`],
    text: (c) => [
      'The state is a d_k × d_v matrix per head: key rows, value columns.',
      'Every step decays row i by α_t,i, then adds the outer product of the new key features and the value.',
      c.featureMap === 'exp_norm' ? 'With exp_norm the running-max step M_{t−1} − M_t ≤ 0 is folded into log α: the captured α_t below includes it.' : 'Memory per channel: about 1/(1 − mean α) tokens.',
    ],
    link: { panel: 'state', title: 'Open in State', selector: '[data-testid=state-panel]' },
  },
  {
    id: 'readout',
    title: 'Read-out',
    tex: (c) =>
      c.denominator
        ? [String.raw`o_t = \frac{\phi(q_t)\, S_t}{\phi(q_t)\, z_t^{\top} + 10^{-6}},\qquad z_t = \alpha_t \odot z_{t-1} + \phi(k_t)`]
        : [String.raw`o_t = s\; \phi(q_t)\, S_t = \sum_{u \le t} A_{t,u}\, v_u`, String.raw`A_{t,u} = s \sum_i \phi(q_t)_i \Big(\prod_{w=u+1}^{t} \alpha_{w,i}\Big) \phi(k_u)_i`],
    text: () => [
      'The query features read the state: one vector–matrix product per token, whatever the sequence length.',
      'Unrolled, o_t is a weighted sum of past values; the weights A[t, u] are this layer’s effective attention.',
      'The row below is computed from the captured φ(q), φ(k) and log α.',
    ],
    link: { panel: 'attention', title: 'Open in Effective attention', selector: '[data-testid=attention-canvas]' },
  },
  {
    id: 'norm',
    title: 'Norm and gate',
    tex: (c) => [normTex(c)],
    text: (c) => [
      c.attnNorm === 'none' ? 'This variant has no output norm.' : `A per-head ${c.attnNorm === 'layernorm' ? 'LayerNorm' : 'RMSNorm'} rescales o_t: any common factor (a shared key offset, the scale s) cancels here.`,
      c.useOutputGate ? 'Then a swish output gate multiplies it channel by channel.' : 'This variant has no output gate.',
    ],
    link: { panel: 'state', title: 'Open in State (‖o‖)', selector: '[data-testid=state-panel]' },
  },
  {
    id: 'output',
    title: 'Output',
    tex: () => [String.raw`h_t = x_t + \operatorname{concat}_{\text{heads}}(y_t)\, W_o^{\top}`],
    text: (c) => [
      'The heads are concatenated and projected back to the hidden size, then added to the residual stream.',
      `After ${c.numLayers} layers the final norm and the LM head give the next-token distribution shown below.`,
    ],
    link: { panel: 'prompt', title: 'Show in the token details', selector: '[data-testid=token-details]' },
  },
  {
    id: 'chunked',
    title: 'Chunked form',
    tex: () => [
      String.raw`G_t = \sum_{u=\text{start}}^{t} \log\alpha_u \le 0 \quad(\text{non-increasing})`,
      String.raw`O = s\,(Q \odot e^{G})\, S_n + \operatorname{tril}(P)\, V,\qquad P_{t,u} = s \sum_k Q_{t,k} K_{u,k}\, e^{\,G_{t,k} - G_{u,k}}`,
    ],
    text: () => [
      `Prefill runs in chunks of C = ${ANALYSIS_CHUNK} tokens: matmuls inside a chunk, the state passed between chunks.`,
      'Every exponent is anchored so it is ≤ 0: G_t − G_u for u ≤ t, and G itself restarts at each chunk.',
      'The naive form divides by ∏α = e^G, i.e. multiplies by e^−G, which overflows f32 once −G > 88.7.',
    ],
    link: { panel: 'gates', title: 'Open in Gates (log α)', selector: '[data-testid=gates-channels]', quantity: 'logA' },
  },
  {
    id: 'cost',
    title: 'Cost as T grows',
    tex: () => [String.raw`\text{linear: } \mathcal{O}\big(T\,(C\,(d_k + d_v) + d_k d_v)\big),\ \text{state } d_k d_v \qquad \text{softmax: } \mathcal{O}(T^2 d),\ \text{KV cache } 2\,T\,d`],
    text: () => [
      'Linear attention costs the same per token at any length and keeps a fixed-size state.',
      'Softmax attention compares every pair of tokens and keeps every past key and value.',
      'The table is analytic, from this model’s sizes; measured times come from a profile or a sweep.',
    ],
    link: { panel: 'sweeps', title: 'Open in Sweeps', selector: '[data-testid=sweeps-panel]' },
  },
];
