// The `regla` CLI end to end: a tiny model folder written in a temp dir (single file, two shards, F16),
// the built bundle spawned on lavapipe, its answers checked against Session in-process and the float64
// model; bad folders, configs and arguments give one line on stderr and a non-zero exit.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ModelConfig } from '../../shaders/model/config.js';
import { randomWeights, type WeightData } from '../../shaders/model/weights.js';
import { Session } from '../../shaders/model/session.js';
import { writeSafetensors } from '../../shaders/model/safetensors.js';
import { forward64, cpuState } from '../../shaders/cpu/model.js';
import { validateSource } from '../../shaders/model/weights.js';
import { openModelFolder } from '../../main/cli/model-folder.js';
import { checkLeaks, getContext } from '../gpu/gpu.js';
import { regla, tokenizerJson, writeModelFolder, type Result } from './helpers.js';

checkLeaks();


const RAW_CONFIG = { model_type: 'regla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 272, intermediate_size: 64 };
const config: ModelConfig = parseConfig(RAW_CONFIG);
const weights = randomWeights(config, { seed: 3 });
const PROMPT = 'hello the world';
const EVAL_TEXT = 'the hell of hello, the world of the well: he held the shell. ';


const tokenizer = new Tokenizer(tokenizerJson(), {});


let tmp = '';
const dirs = { single: '', shards: '', f16: '' };


beforeAll(async () => {
  // dist/cli/regla.mjs is built once by test/global-setup.ts.
  tmp = await mkdtemp(join(tmpdir(), 'regla-cli-'));
  dirs.single = await writeModelFolder(join(tmp, 'single'), RAW_CONFIG, (d) => writeFile(join(d, 'model.safetensors'), writeSafetensors(weights)));
  dirs.f16 = await writeModelFolder(join(tmp, 'f16'), RAW_CONFIG, (d) => writeFile(join(d, 'model.safetensors'), writeSafetensors(weights, { dtype: 'F16' })));
  dirs.shards = await writeModelFolder(join(tmp, 'shards'), RAW_CONFIG, async (d) => {
    const entries = [...weights];
    const half = Math.ceil(entries.length / 2);
    const parts: Array<[string, Array<[string, WeightData]>]> = [
      ['model-00001-of-00002.safetensors', entries.slice(0, half)],
      ['model-00002-of-00002.safetensors', entries.slice(half)],
    ];
    const weightMap: Record<string, string> = {};
    for (const [file, list] of parts) {
      await writeFile(join(d, file), writeSafetensors(list));
      for (const [name] of list) weightMap[name] = file;
    }
    await writeFile(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  });
});

afterAll(async () => {
  if (tmp && !process.env['REGLA_TEST_KEEP']) await rm(tmp, { recursive: true, force: true });
});

const paramCount = [...weights.values()].reduce((a, w) => a + w.data.length, 0);

function nllFromLogits(logits: ArrayLike<number>, ids: readonly number[], V: number): number {
  let nll = 0;
  for (let t = 0; t + 1 < ids.length; t++) {
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[t * V + j]!);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(logits[t * V + j]! - max);
    nll += max + Math.log(sum) - logits[t * V + ids[t + 1]!]!;
  }
  return nll / (ids.length - 1);
}

describe('regla info', () => {
  it('prints the parameter count for single, sharded and F16 folders', async () => {
    for (const dir of [dirs.single, dirs.shards, dirs.f16]) {
      const r = await regla('info', '--model', dir);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`parameters  ${paramCount} `);
      expect(r.stdout).toContain('maxStorageBufferBindingSize');
    }
    const j = await regla('info', '--model', dirs.shards, '--json');
    const info = JSON.parse(j.stdout) as { parameters: number; weightBytes: number; files: string[] };
    expect(info.parameters).toBe(paramCount);
    expect(info.weightBytes).toBe(paramCount * 4);
    expect(info.files.filter((f) => f.endsWith('.safetensors'))).toHaveLength(2);
  });
});

describe('regla run', () => {
  it('greedy tokens equal Session.generate in-process; shards and F16 load', async () => {
    const promptIds = tokenizer.encode(PROMPT).ids;
    const ctx = await getContext();
    const session = await Session.create(ctx, config, weights);
    let expected: number[];
    try {
      expected = (await session.generate(promptIds, { temperature: 0 }, { maxTokens: 5 })).tokens;
    } finally {
      session.dispose();
    }
    for (const dir of [dirs.single, dirs.shards]) {
      const r = await regla('run', '--model', dir, '--prompt', PROMPT, '--temperature', '0', '--max-tokens', '5', '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout) as {
        promptTokens: number[];
        tokens: number[];
        text: string;
        gateSaturation: Array<{ layer: number; entries: number; saturated: number }>;
        decode: { tokens: number };
      };
      expect(j.promptTokens).toEqual(promptIds);
      expect(j.tokens).toEqual(expected);
      expect(j.text).toBe(tokenizer.decode(expected));
      expect(j.decode.tokens).toBe(4);
      expect(j.gateSaturation.map((s) => s.layer)).toEqual([0, 1]);
      for (const s of j.gateSaturation) {
        expect(s.entries).toBe(promptIds.length * config.numKvHeads * config.headDimK);
        expect(s.saturated).toBeGreaterThanOrEqual(0);
        expect(s.saturated).toBeLessThanOrEqual(1);
      }
    }
    // F16 weights round differently; it must run and give 5 tokens. Text mode streams then reports.
    const r = await regla('run', '--model', dirs.f16, '--prompt', PROMPT, '--temperature', '0', '--max-tokens', '5');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/prefill {2}\d+ tokens in .* tokens\/s/);
    expect(r.stdout).toMatch(/decode {3}4 tokens in .* tokens\/s/);
    expect(r.stdout).toContain('gate saturation');
  });
});

describe('regla eval', () => {
  it('perplexity matches the float64 model; --dump-logits writes a valid .npy', async () => {
    const textFile = join(tmp, 'eval.txt');
    await writeFile(textFile, EVAL_TEXT);
    const npyPath = join(tmp, 'logits.npy');
    const ids = tokenizer.encode(EVAL_TEXT).ids;
    expect(ids.length).toBeGreaterThan(20);
    const V = config.vocabSize;
    const ref = forward64(config, weights, cpuState(config), ids);
    const pplRef = Math.exp(nllFromLogits(ref, ids, V));

    // --block 16 crosses block boundaries (the state carries across prefill calls).
    const r = await regla('eval', '--model', dirs.single, '--text', textFile, '--block', '16', '--dump-logits', npyPath, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { tokens: number; predicted: number; perplexity: number };
    expect(j.tokens).toBe(ids.length);
    expect(j.predicted).toBe(ids.length - 1);
    expect(Math.abs(j.perplexity - pplRef) / pplRef).toBeLessThan(1e-3);

    const text = await regla('eval', '--model', dirs.single, '--text', textFile);
    expect(text.code).toBe(0);
    const m = /perplexity {2}([\d.e+-]+)/.exec(text.stdout);
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - pplRef) / pplRef).toBeLessThan(1e-3);

    const npy = new Uint8Array(await readFile(npyPath));
    expect([...npy.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = npy[8]! | (npy[9]! << 8);
    expect((10 + hlen) % 64).toBe(0);
    const header = new TextDecoder().decode(npy.subarray(10, 10 + hlen));
    expect(header).toMatch(new RegExp(`^\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(${ids.length}, ${V}\\), \\} *\\n$`));
    expect(npy.length).toBe(10 + hlen + ids.length * V * 4);
    const logits = new Float32Array(npy.slice(10 + hlen).buffer);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < ref.length; i++) {
      worst = Math.max(worst, Math.abs(logits[i]! - ref[i]!));
      scale = Math.max(scale, Math.abs(ref[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-3);
  });
});

describe('openModelFolder', () => {
  it("exposes fla's fused MLP and g_norm_swish_gate under the engine's names", async () => {
    const raw = { model_type: 'gla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 272, intermediate_size: 64 };
    const c = parseConfig(raw);
    const w = randomWeights(c, { seed: 5 });
    const fla = new Map<string, WeightData>();
    for (const [name, t] of w) {
      if (name.endsWith('mlp.up_proj.weight')) continue;
      if (name.endsWith('mlp.gate_proj.weight')) {
        const up = w.get(name.replace('gate_proj', 'up_proj'))!;
        const data = new Float32Array(t.data.length * 2);
        data.set(t.data);
        data.set(up.data, t.data.length);
        fla.set(name, { shape: [2 * t.shape[0]!, t.shape[1]!], data });
      } else fla.set(name.replace('attn.g_norm.weight', 'attn.g_norm_swish_gate.weight'), t);
    }
    const dir = join(tmp, 'fla');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify(raw));
    await writeFile(join(dir, 'model.safetensors'), writeSafetensors(fla));
    const folder = await openModelFolder(dir);
    try {
      expect(folder.tokenizerJson).toBeNull();
      validateSource(c, folder.source);
      expect(new Set(folder.source.names())).toEqual(new Set(w.keys()));
      for (const [name, t] of w) {
        expect(folder.source.shape(name), name).toEqual(t.shape);
        expect(await folder.source.read(name), name).toEqual(t.data);
      }
    } finally {
      await folder.close();
    }
  });
});

describe('regla errors', () => {
  const oneLine = (r: Result, code: number, ...parts: string[]): void => {
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.startsWith('regla: ')).toBe(true);
    for (const p of parts) expect(r.stderr).toContain(p);
  };

  it('bad arguments exit 2 with one line', async () => {
    oneLine(await regla('run', '--model', dirs.single, '--prompt', 'x', '--bogus', '1'), 2, '--bogus');
    oneLine(await regla('run', '--prompt', 'x'), 2, '--model');
    oneLine(await regla('eval', '--model', dirs.single), 2, '--text');
    oneLine(await regla('run', '--model', dirs.single, '--prompt', 'x', '--max-tokens', 'many'), 2, '--max-tokens');
    oneLine(await regla('frobnicate'), 2, 'frobnicate');
    oneLine(await regla(), 2, 'command');
  });

  it('bad folders and configs exit 1 with one line naming the file or field', async () => {
    const missing = join(tmp, 'nope');
    oneLine(await regla('info', '--model', missing), 1, missing);

    const badConfig = await writeModelFolder(join(tmp, 'bad-config'), RAW_CONFIG, async (d) => {
      await writeFile(join(d, 'config.json'), JSON.stringify({ ...RAW_CONFIG, feature_map: 'cosine' }));
    });
    oneLine(await regla('info', '--model', badConfig), 1, 'feature_map', 'cosine');

    const notJson = await writeModelFolder(join(tmp, 'not-json'), RAW_CONFIG, (d) => writeFile(join(d, 'config.json'), '{"model_type": '));
    oneLine(await regla('info', '--model', notJson), 1, join(notJson, 'config.json'), 'JSON');

    const noWeights = await writeModelFolder(join(tmp, 'no-weights'), RAW_CONFIG, async () => {});
    oneLine(await regla('info', '--model', noWeights), 1, 'model.safetensors');

    const index = JSON.parse(await readFile(join(dirs.shards, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const lostShard = await writeModelFolder(join(tmp, 'lost-shard'), RAW_CONFIG, async (d) => {
      await writeFile(join(d, 'model.safetensors.index.json'), JSON.stringify(index));
      await writeFile(join(d, 'model-00001-of-00002.safetensors'), await readFile(join(dirs.shards, 'model-00001-of-00002.safetensors')));
    });
    oneLine(await regla('info', '--model', lostShard), 1, 'model-00002-of-00002.safetensors', 'missing');

    const ghost = await writeModelFolder(join(tmp, 'ghost-tensor'), RAW_CONFIG, async (d) => {
      const wm = { ...index.weight_map, 'model.layers.9.ghost.weight': 'model-00001-of-00002.safetensors' };
      await writeFile(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: wm }));
      for (const f of new Set(Object.values(wm))) await writeFile(join(d, f), await readFile(join(dirs.shards, f)));
    });
    oneLine(await regla('info', '--model', ghost), 1, 'model.layers.9.ghost.weight', 'not in this shard');

    const bigVocab = await writeModelFolder(join(tmp, 'big-vocab'), RAW_CONFIG, async (d) => {
      await writeFile(join(d, 'config.json'), JSON.stringify({ ...RAW_CONFIG, vocab_size: 200 }));
      await writeFile(join(d, 'model.safetensors'), writeSafetensors(randomWeights(parseConfig({ ...RAW_CONFIG, vocab_size: 200 }))));
    });
    oneLine(await regla('run', '--model', bigVocab, '--prompt', 'hi'), 1, 'tokenizer', '263', '200');
  });
});
