// Browser cases for the instrument panel's engine half: capture taps and the per-dispatch GPU
// profiler on Chromium's WebGPU, checked by invariants that hold on any adapter: capture leaves the
// logits bitwise unchanged, histogram counts add up, two independent kernels agree on the final
// state norm, top-k agrees with the logits, and every dispatch gets an ordered timestamp pair.

import { Capture, DEFAULT_QUANTITIES, type CaptureRecord } from '../../../shaders/capture/capture.js';
import { TimestampProfiler } from '../../../shaders/gpu/timestamps.js';
import { parseConfig } from '../../../shaders/model/config.js';
import { randomWeights } from '../../../shaders/model/weights.js';
import { Session } from '../../../shaders/model/session.js';
import type { Case } from '../harness.js';

const tiny = { model_type: 'regla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 61, intermediate_size: 48 };
const prompt = Array.from({ length: 19 }, (_, i) => (i * 11 + 5) % 61);

function fail(message: string): never {
  throw new Error(message);
}

export const captureCase: Case = {
  name: 'capture: logits bitwise unchanged, histograms add up, ‖S_T‖ and top-k agree',
  async run(ctx) {
    const c = parseConfig(tiny);
    const s = await Session.create(ctx, c, randomWeights(c, { seed: 9, gateBias: 1 }));
    const cap = new Capture(ctx, { quantities: [...DEFAULT_QUANTITIES, 'tokenState'], bins: 32 });
    try {
      const plain = Float32Array.from(await s.prefill(prompt, { logits: 'last' }));
      await s.reset();
      s.tap = cap.tap;
      const tapped = await s.prefill(prompt, { logits: 'last' });
      s.tap = null;
      for (let j = 0; j < plain.length; j++) {
        if (!Object.is(plain[j], tapped[j])) fail(`logit ${j}: ${plain[j]} without capture, ${tapped[j]} with`);
      }
      const records = await cap.collect();
      const find = (layer: number, point: CaptureRecord['point']): CaptureRecord =>
        records.find((r) => r.layer === layer && r.point === point) ?? fail(`no ${point} record for layer ${layer}`);
      let worstNorm = 0;
      for (let layer = 0; layer < c.numLayers; layer++) {
        const h = find(layer, 'gate.logA').histogram ?? fail('gate.logA has no histogram');
        const perHead = find(layer, 'gate.logA').means?.count ?? fail('gate.logA has no means');
        h.counts.forEach((row, head) => {
          const total = row.reduce((a, b) => a + b, 0) + (h.under[head] ?? 0) + (h.over[head] ?? 0) + (h.nan[head] ?? 0);
          if (total !== perHead) fail(`layer ${layer} head ${head}: histogram holds ${total} of ${perHead} values`);
        });
        const final = find(layer, 'state').stateNorm ?? fail('state has no norm');
        const perToken = find(layer, 'state.in').tokenStateNorm ?? fail('state.in has no per-token norms');
        if (perToken.rows === 0) fail('no per-token rows');
        const last = perToken.row(perToken.rows - 1);
        final.forEach((n, head) => {
          worstNorm = Math.max(worstNorm, Math.abs((last[head] as number) - n) / Math.max(1e-6, n));
        });
      }
      if (worstNorm > 1e-4) fail(`token-serial ‖S_T‖ differs from the chunked state's norm by ${worstNorm.toExponential(2)} relative`);
      const topk = find(c.numLayers, 'logits').topk ?? fail('logits have no top-k');
      let best = 0;
      for (let j = 1; j < plain.length; j++) if ((plain[j] as number) > (plain[best] as number)) best = j;
      if (topk.ids.at(0, 0) !== best) fail(`top-1 id ${topk.ids.at(0, 0)}, argmax of the logits ${best}`);
      return { worstRel: worstNorm };
    } finally {
      cap.dispose();
      s.dispose();
    }
  },
};

export const profilerCase: Case = {
  name: 'timestamp profiler: one ordered timing per dispatch',
  async run(ctx) {
    const c = parseConfig(tiny);
    const s = await Session.create(ctx, c, randomWeights(c, { seed: 4 }));
    const prof = new TimestampProfiler(ctx);
    try {
      await s.prefill(prompt.slice(0, 4)); // compile outside the profiled run
      await s.reset();
      const before = ctx.dispatchCount;
      ctx.setObserver(prof);
      await s.prefill(prompt);
      await s.step(7);
      const timings = await prof.collect();
      ctx.setObserver(null);
      const dispatches = ctx.dispatchCount - before;
      if (timings.length !== dispatches) fail(`${timings.length} timings for ${dispatches} dispatches`);
      if (!prof.supported) return; // CPU-time fallback: no GPU timestamps to check
      for (const t of timings) {
        if (!(t.endNs >= t.startNs)) fail(`${t.info.kernel}: end ${t.endNs} before start ${t.startNs}`);
      }
    } finally {
      ctx.setObserver(null);
      s.dispose();
    }
  },
};
