// `regla capture` end to end: the built CLI on a tiny model folder (with a byte-level tokenizer) on
// lavapipe writes capture.json (records, config, prompt tokens and strings) and a safetensors file
// whose gate log α and φ tensors read back with the right shapes; bad options exit 2.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureDim, parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import { readSafetensors, writeSafetensors } from '../../shaders/model/safetensors.js';
import { regla, tokenizerJson, writeModelFolder } from './helpers.js';

const RAW_CONFIG = { model_type: 'regla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 272, intermediate_size: 48 };
const config = parseConfig(RAW_CONFIG);
const PROMPT = 'hello the world';



let tmp = '';
let model = '';

beforeAll(async () => {
  // dist/cli/regla.mjs is built once by test/global-setup.ts.
  tmp = await mkdtemp(join(tmpdir(), 'regla-capture-'));
  model = join(tmp, 'model');
  await writeModelFolder(model, RAW_CONFIG, (d) => writeFile(join(d, 'model.safetensors'), writeSafetensors(randomWeights(config, { seed: 2 }))));
});

afterAll(async () => {
  if (tmp && !process.env['REGLA_TEST_KEEP']) await rm(tmp, { recursive: true, force: true });
});

interface CaptureJson {
  model: { modelType: string; numLayers: number; config: Record<string, unknown> };
  prompt: { text: string; tokens: number[]; strings: string[] };
  options: { layers: number[]; quantities: string[]; bins: number };
  tensors: Array<{ name: string; shape: number[] }>;
  records: Array<{ layer: number; point: string; T: number; histogram?: { counts: number[][]; under: number[]; over: number[]; nan: number[] }; stateNorm?: number[] }>;
}

describe('regla capture', () => {
  it('writes capture.json and the gate / φ tensors of the selected layer', async () => {
    const out = join(tmp, 'cap1');
    const r = await regla('capture', '--model', model, '--prompt', PROMPT, '--layers', '1', '--bins', '32', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(await readFile(join(out, 'capture.json'), 'utf8')) as CaptureJson;
    const tok = new Tokenizer(tokenizerJson(), {});
    const ids = tok.encode(PROMPT).ids;
    const T = ids.length;
    expect(j.prompt.tokens).toEqual(ids);
    expect(j.prompt.strings.join('')).toBe(PROMPT);
    expect(j.model.numLayers).toBe(2);
    expect(j.model.config['hidden_size']).toBe(32);
    expect(j.options).toEqual({ layers: [1], quantities: ['gate', 'phi', 'state', 'output', 'logits'], bins: 32 });
    // Layer 1 only, plus the logits.
    expect(new Set(j.records.map((x) => x.layer))).toEqual(new Set([1, config.numLayers]));
    const points = new Set(j.records.map((x) => x.point));
    for (const p of ['gate.a', 'gate.c', 'gate.logA', 'phi.q', 'phi.k', 'attn.o', 'attn.y', 'state', 'logits']) expect(points.has(p), p).toBe(true);
    const logA = j.records.find((x) => x.point === 'gate.logA');
    expect(logA?.T).toBe(T);
    const h = logA?.histogram;
    expect(h?.counts.length).toBe(config.numKvHeads);
    const dkf = featureDim(config);
    // Every α of a head lands in a bin or in under/over/NaN.
    for (let k = 0; k < config.numKvHeads; k++) {
      const total = (h?.counts[k] ?? []).reduce((s, x) => s + x, 0) + (h?.under[k] ?? 0) + (h?.over[k] ?? 0) + (h?.nan[k] ?? 0);
      expect(h?.counts[k]?.length).toBe(32);
      expect(total).toBe(T * dkf);
    }
    expect(j.records.find((x) => x.point === 'state')?.stateNorm?.length).toBe(config.numKvHeads);

    const st = readSafetensors(new Uint8Array(await readFile(join(out, 'tensors.safetensors'))), 'tensors.safetensors');
    expect([...st.tensors.keys()].sort()).toEqual(['layer.1.gate.logA', 'layer.1.phi.k', 'layer.1.phi.q']);
    expect(st.tensors.get('layer.1.gate.logA')?.shape).toEqual([1, T, config.numKvHeads, dkf]);
    expect(st.tensors.get('layer.1.phi.q')?.shape).toEqual([1, T, config.numHeads, dkf]);
    expect(st.tensors.get('layer.1.phi.k')?.shape).toEqual([1, T, config.numKvHeads, dkf]);
    const la = st.tensors.get('layer.1.gate.logA')?.data ?? new Float32Array(0);
    expect(la.every((x) => Number.isFinite(x) && x <= 0)).toBe(true);
    expect(j.tensors.map((t) => t.name).sort()).toEqual([...st.tensors.keys()].sort());
  }, 60_000);

  it('only the chosen quantities: --quantities state writes no tensors', async () => {
    const out = join(tmp, 'cap2');
    const r = await regla('capture', '--model', model, '--prompt', 'he', '--quantities', 'state', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(await readFile(join(out, 'capture.json'), 'utf8')) as CaptureJson;
    expect(new Set(j.records.map((x) => x.point))).toEqual(new Set(['state']));
    expect(j.records.length).toBe(config.numLayers);
    const st = readSafetensors(new Uint8Array(await readFile(join(out, 'tensors.safetensors'))));
    expect(st.tensors.size).toBe(0);
  }, 60_000);

  it('bad options exit 2 with one line on stderr', async () => {
    for (const args of [
      ['--prompt', 'hi', '--out', join(tmp, 'x')],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--quantities', 'gate,nope'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--bins', '0'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--layers', '5'],
    ]) {
      const r = await regla('capture', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^regla: capture: /);
    }
  }, 60_000);
});
