// A bundled sample model loaded the way the app's web host will: index.json, then the model folder's
// files over HTTP, into the engine on Chromium's WebGPU; its logits for the first 64 golden tokens
// must match PyTorch's golden rows (causal: rows < 64 of window 0 are the same) within 1e-3.

import { parseConfig } from '../../../shaders/model/config.js';
import { readSafetensors } from '../../../shaders/model/safetensors.js';
import { Session } from '../../../shaders/model/session.js';
import type { Case } from '../harness.js';

/** Where chromium.test.ts serves samples/models. */
const BASE = '/samples';
const T = 64;
const TOL = 1e-3;

async function get(path: string): Promise<Response> {
  const r = await fetch(`${BASE}/${path}`);
  if (!r.ok) throw new Error(`GET ${BASE}/${path}: HTTP ${r.status}`);
  return r;
}

export function sampleCase(name: string): Case {
  return {
    name: `bundled sample ${name} over HTTP: logits match its PyTorch golden`,
    async run(ctx) {
      const index = (await (await get('index.json')).json()) as { models: Array<{ name: string; path: string }> };
      const entry = index.models.find((m) => m.name === name);
      if (!entry) throw new Error(`index.json does not list ${name}`);
      const config = parseConfig((await (await get(`${entry.path}/config.json`)).json()) as Record<string, unknown>);
      const weights = readSafetensors(new Uint8Array(await (await get(`${entry.path}/model.safetensors`)).arrayBuffer()), `${name}/model.safetensors`).tensors;
      const golden = (await (await get(`${entry.path}/golden.json`)).json()) as { rows: number[] };
      const ref = readSafetensors(new Uint8Array(await (await get(`${entry.path}/golden.safetensors`)).arrayBuffer()), `${name}/golden.safetensors`).tensors.get('logits');
      const tokens = (await (await get('golden_tokens.json')).json()) as { ids: number[] };
      if (!ref) throw new Error(`${name}/golden.safetensors has no logits`);
      const s = await Session.create(ctx, config, weights);
      try {
        const logits = await s.prefill(tokens.ids.slice(0, T), { logits: 'all' });
        const V = config.vocabSize;
        let worst = 0;
        let rows = 0;
        golden.rows.forEach((row, i) => {
          if (row >= T) return;
          rows++;
          for (let j = 0; j < V; j++) worst = Math.max(worst, Math.abs((logits[row * V + j] as number) - (ref.data[i * V + j] as number)));
        });
        if (rows === 0) throw new Error(`no golden row below ${T}`);
        if (!(worst <= TOL)) throw new Error(`max |engine − torch| = ${worst} over ${rows} rows (limit ${TOL})`);
        return { worstAbs: worst };
      } finally {
        s.dispose();
      }
    },
  };
}
