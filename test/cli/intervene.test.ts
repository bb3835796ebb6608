// `regla run --intervene`: the built bundle on lavapipe against Session in-process with the same
// interventions; the clamp shows in the reported gate saturation; malformed specs and specs that do
// not fit the model exit 2 with one line naming the spec.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import { Session } from '../../shaders/model/session.js';
import { writeSafetensors } from '../../shaders/model/safetensors.js';
import type { Intervention } from '../../shaders/model/interventions.js';
import { checkLeaks, getContext } from '../gpu/gpu.js';
import { regla, tokenizerJson, writeModelFolder } from './helpers.js';

checkLeaks();

const RAW_CONFIG = { model_type: 'regla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 272, intermediate_size: 64 };
const config = parseConfig(RAW_CONFIG);
const weights = randomWeights(config, { seed: 5, gateBias: 3 });
const PROMPT = 'hello the world';
const tokenizer = new Tokenizer(tokenizerJson(), {});

let tmp = '';
let dir = '';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'regla-intervene-'));
  dir = await writeModelFolder(join(tmp, 'model'), RAW_CONFIG, (d) => writeFile(join(d, 'model.safetensors'), writeSafetensors(weights)));
});

afterAll(async () => {
  if (tmp && !process.env['REGLA_TEST_KEEP']) await rm(tmp, { recursive: true, force: true });
});

interface RunJson {
  tokens: number[];
  interventions: Intervention[];
  gateSaturation: Array<{ layer: number; high: number }>;
}

async function greedy(list: Intervention[]): Promise<number[]> {
  const ctx = await getContext();
  const s = await Session.create(ctx, config, weights);
  try {
    s.interventions = list;
    return (await s.generate(tokenizer.encode(PROMPT).ids, { temperature: 0 }, { maxTokens: 6 })).tokens;
  } finally {
    s.dispose();
  }
}

describe('regla run --intervene', () => {
  it('greedy tokens equal Session.generate with the same interventions; the clamp shows in the saturation', async () => {
    const args = ['run', '--model', dir, '--prompt', PROMPT, '--temperature', '0', '--max-tokens', '6', '--json'];
    const plain = await regla(...args);
    expect(plain.stderr).toBe('');
    const p = JSON.parse(plain.stdout) as RunJson;
    expect(p.interventions).toEqual([]);
    // gateBias 3 puts g near 1: some log α above log 0.99 without the clamp.
    expect(p.gateSaturation.some((s) => s.high > 0)).toBe(true);

    const r = await regla(...args, '--intervene', 'clamp_g:max=0.5', '--intervene', 'scale_head:layer=1:head=0:scale=0', '--intervene=feature_map:layers=0:map=relu');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as RunJson;
    const list: Intervention[] = [
      { kind: 'clamp_g', layers: 'all', min: 0, max: 0.5 },
      { kind: 'scale_head', layer: 1, head: 0, scale: 0 },
      { kind: 'feature_map', layers: [0], map: 'relu' },
    ];
    expect(j.interventions).toEqual(list);
    expect(j.tokens).toEqual(await greedy(list));
    // g ≤ 0.5 bounds the refined gate F = g(g + 2r(1 − g)) by 0.75: nothing above 0.99.
    expect(j.gateSaturation.every((s) => s.high === 0)).toBe(true);

    const text = await regla('run', '--model', dir, '--prompt', PROMPT, '--temperature', '0', '--max-tokens', '3', '--intervene', 'force_r:value=1');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('interventions: force r = 1 · all layers');
  });

  it('bad specs exit 2 with one line naming the spec', async () => {
    for (const [spec, part] of [
      ['clamp_g:min=0.9:max=0.1', '0 ≤ min ≤ max ≤ 1'],
      ['bogus', 'unknown kind "bogus"'],
      ['scale_head:layer=0:head=5', 'head 5 is out of range 0..1'],
      ['no_output_norm:layers=7', 'layer 7 is out of range 0..1'],
    ] as const) {
      const r = await regla('run', '--model', dir, '--prompt', 'x', '--intervene', spec);
      expect(r.code, spec).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(part);
      expect(r.stderr).toContain(`--intervene "${spec}"`);
    }
  });
});
