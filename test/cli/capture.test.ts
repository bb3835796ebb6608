// `regla capture` end to end: the built CLI on a tiny model folder (with a byte-level tokenizer) on
// lavapipe writes capture.json (records, config, prompt tokens and strings, the dump's counts) and a
// safetensors file whose gate log α, φ (and v) tensors, read back through the TensorDump's staging
// pool, have one row per token of the --tokens range; the per-token quantities are on by default
// except tokenState; --heads and --topk reach the records; bad options exit 2.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUANTITIES } from '../../shaders/capture/capture.js';
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

interface CaptureRecordJson {
  layer: number;
  point: string;
  T: number;
  tokens?: { lo: number; hi: number };
  heads?: number[];
  histogram?: { counts: number[][]; under: number[]; over: number[]; nan: number[] };
  stateNorm?: number[];
  tokenStateNorm?: number[][];
  tokenNorm?: number[][];
  phiSparsity?: number[];
  phiEntropy?: number[];
  tokenEntropy?: number[][];
  topk?: { k: number; ids: number[][]; values: number[][] };
  channelMemoryLength?: number[][];
}

interface CaptureJson {
  model: { modelType: string; numLayers: number; config: Record<string, unknown> };
  prompt: { text: string; tokens: number[]; strings: string[] };
  options: { layers: number[]; quantities: string[]; bins: number; tokens: { lo: number; hi: number }; heads?: number[]; topk: number };
  tensors: Array<{ name: string; shape: number[]; tokens: { lo: number; hi: number } }>;
  dump: { chunks: number; bytes: number; dropped: number; droppedBytes: number; failed: number };
  records: CaptureRecordJson[];
}

const promptIds = (text: string): number[] => new Tokenizer(tokenizerJson(), {}).encode(text).ids;

/** The whole prompt, layer 1, default quantities, 32 bins: run once, shared by the tests that need it. */
let fullRun: ReturnType<typeof regla> | null = null;
const fullCapture = (): ReturnType<typeof regla> =>
  (fullRun ??= regla('capture', '--model', model, '--prompt', PROMPT, '--layers', '1', '--bins', '32', '--out', join(tmp, 'cap1')));

describe('regla capture', () => {
  it('writes capture.json and the gate / φ tensors of the selected layer (default quantities)', async () => {
    const out = join(tmp, 'cap1');
    const r = await fullCapture();
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
    // The default is the engine's DEFAULT_QUANTITIES: everything but the token-serial ‖S_t‖ replay.
    expect(DEFAULT_QUANTITIES).not.toContain('tokenState');
    expect(j.options).toEqual({ layers: [1], quantities: [...DEFAULT_QUANTITIES], bins: 32, tokens: { lo: 0, hi: T }, topk: 5 });
    expect(j.dump).toMatchObject({ dropped: 0, failed: 0, chunks: 3 });
    expect(r.stdout).toContain(`${j.records.length} records, 3 tensors over ${T} tokens`);
    expect(r.stdout).not.toContain('dropped');
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
    // The per-token quantities are on by default; tokenState (and its 'state.in' record) is not.
    expect(j.records.find((x) => x.point === 'attn.o')?.tokenNorm?.length).toBe(T);
    expect(j.records.find((x) => x.point === 'attn.y')?.tokenNorm?.length).toBe(T);
    expect(j.records.find((x) => x.point === 'phi.q')?.phiSparsity?.length).toBe(config.numHeads);
    expect(j.records.find((x) => x.point === 'phi.k')?.phiEntropy?.length).toBe(config.numKvHeads);
    expect(j.records.find((x) => x.point === 'logits')?.topk?.ids).toHaveLength(1);
    expect(j.records.find((x) => x.point === 'logits')?.topk?.k).toBe(5);
    expect(j.records.find((x) => x.point === 'gate.logA')?.channelMemoryLength?.map((row) => row.length)).toEqual(Array(config.numKvHeads).fill(dkf));
    expect(points.has('state.in')).toBe(false);
    expect(j.records.some((x) => x.tokenStateNorm !== undefined)).toBe(false);

    const st = readSafetensors(new Uint8Array(await readFile(join(out, 'tensors.safetensors'))), 'tensors.safetensors');
    expect([...st.tensors.keys()].sort()).toEqual(['layer.1.gate.logA', 'layer.1.phi.k', 'layer.1.phi.q']);
    expect(st.tensors.get('layer.1.gate.logA')?.shape).toEqual([T, config.numKvHeads, dkf]);
    expect(st.tensors.get('layer.1.phi.q')?.shape).toEqual([T, config.numHeads, dkf]);
    expect(st.tensors.get('layer.1.phi.k')?.shape).toEqual([T, config.numKvHeads, dkf]);
    const la = st.tensors.get('layer.1.gate.logA')?.data ?? new Float32Array(0);
    expect(la.every((x) => Number.isFinite(x) && x <= 0)).toBe(true);
    expect(j.tensors.map((t) => t.name).sort()).toEqual([...st.tensors.keys()].sort());
    for (const t of j.tensors) expect(t.tokens, t.name).toEqual({ lo: 0, hi: T });
  }, 60_000);

  it('--tokens, --heads, --topk and --quantities all: tensors cover the range, records the new fields', async () => {
    const out = join(tmp, 'cap3');
    const T = promptIds(PROMPT).length;
    const lo = 2;
    const rows = T - lo;
    const r = await regla('capture', '--model', model, '--prompt', PROMPT, '--layers', '0', '--quantities', 'all', '--tokens', `${lo}:`, '--heads', '1', '--topk', '3', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`tensors over tokens ${lo}..${T - 1} of ${T}`);
    const j = JSON.parse(await readFile(join(out, 'capture.json'), 'utf8')) as CaptureJson;
    expect(j.options.quantities).toEqual(['gate', 'phi', 'state', 'output', 'logits', 'tokenState', 'tokenNorm', 'phiStats', 'topk', 'channels']);
    expect(j.options).toMatchObject({ layers: [0], tokens: { lo, hi: T }, heads: [1], topk: 3 });
    expect(j.dump).toMatchObject({ dropped: 0, failed: 0, chunks: 4 });
    const dkf = featureDim(config);
    const rec = (point: string): CaptureRecordJson => {
      const x = j.records.find((y) => y.point === point);
      expect(x, point).toBeDefined();
      return x as CaptureRecordJson;
    };
    for (const x of j.records.filter((y) => y.point !== 'logits')) {
      expect(x.layer).toBe(0);
      expect(x.tokens, x.point).toEqual({ lo, hi: T });
    }
    // Per-token rows cover the range; per-head arrays keep head 1 only.
    const sIn = rec('state.in');
    expect(sIn.heads).toEqual([1]);
    expect(sIn.tokenStateNorm).toHaveLength(rows);
    for (const row of sIn.tokenStateNorm ?? []) {
      expect(row).toHaveLength(1);
      expect(Number.isFinite(row[0]) && (row[0] as number) >= 0).toBe(true);
    }
    const o = rec('attn.o');
    expect(o.tokenNorm).toHaveLength(rows);
    expect(o.tokenNorm?.every((row) => row.length === 1)).toBe(true);
    const phiQ = rec('phi.q');
    expect(phiQ.phiSparsity).toHaveLength(1);
    expect(phiQ.phiSparsity?.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(phiQ.tokenEntropy).toHaveLength(rows);
    expect(rec('gate.logA').channelMemoryLength).toHaveLength(1);
    expect(rec('gate.logA').channelMemoryLength?.[0]).toHaveLength(dkf);
    expect(rec('gate.logA').histogram?.counts).toHaveLength(1);
    // The logits are the last prompt token's: inside the range, so top-3 of one row.
    const topk = rec('logits').topk;
    expect(topk?.k).toBe(3);
    expect(topk?.ids).toHaveLength(1);
    expect(topk?.ids[0]).toHaveLength(3);
    expect(topk?.values[0]?.every((v, i, a) => i === 0 || v <= (a[i - 1] as number))).toBe(true);

    // Full tensors (whole rows, all heads) over the token range only; v comes with tokenState.
    const st = readSafetensors(new Uint8Array(await readFile(join(out, 'tensors.safetensors'))));
    expect([...st.tensors.keys()].sort()).toEqual(['layer.0.gate.logA', 'layer.0.phi.k', 'layer.0.phi.q', 'layer.0.v']);
    expect(st.tensors.get('layer.0.gate.logA')?.shape).toEqual([rows, config.numKvHeads, dkf]);
    expect(st.tensors.get('layer.0.phi.q')?.shape).toEqual([rows, config.numHeads, dkf]);
    expect(st.tensors.get('layer.0.phi.k')?.shape).toEqual([rows, config.numKvHeads, dkf]);
    expect(st.tensors.get('layer.0.v')?.shape).toEqual([rows, config.numKvHeads, config.headDimV]);
    for (const t of j.tensors) expect(t.tokens, t.name).toEqual({ lo, hi: T });
    expect(st.header.metadata).toMatchObject({ lo: String(lo), hi: String(T), tokens: String(T) });
  }, 60_000);

  it('a token range inside the prompt: the logits (last token) are outside it and not reduced', async () => {
    const out = join(tmp, 'cap4');
    const r = await regla('capture', '--model', model, '--prompt', PROMPT, '--quantities', 'phi,topk,tokenState', '--tokens', '1:3', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(await readFile(join(out, 'capture.json'), 'utf8')) as CaptureJson;
    expect(j.options.quantities).toEqual(['phi', 'tokenState', 'topk']);
    expect(j.records.some((x) => x.point === 'logits')).toBe(false);
    expect(j.records.filter((x) => x.point === 'state.in').map((x) => x.tokenStateNorm?.length)).toEqual(Array(config.numLayers).fill(2));
    const st = readSafetensors(new Uint8Array(await readFile(join(out, 'tensors.safetensors'))));
    for (const [name, t] of st.tensors) expect(t.shape[0], name).toBe(2);
    expect([...st.tensors.keys()].sort()).toEqual(['layer.0.phi.k', 'layer.0.phi.q', 'layer.0.v', 'layer.1.phi.k', 'layer.1.phi.q', 'layer.1.v']);
    // The rows are the same positions' rows of the whole-prompt run (same model, same prompt).
    expect((await fullCapture()).code).toBe(0);
    const whole = readSafetensors(new Uint8Array(await readFile(join(tmp, 'cap1', 'tensors.safetensors'))));
    for (const name of ['layer.1.phi.q', 'layer.1.phi.k']) {
      const w = whole.tensors.get(name);
      const part = st.tensors.get(name);
      const row = (w?.shape.slice(1) ?? []).reduce((a, b) => a * b, 1);
      expect(row).toBeGreaterThan(0);
      expect(part?.data).toEqual(w?.data.subarray(1 * row, 3 * row));
    }
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
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--quantities', 'all,toString'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--tokens', '2'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--tokens', '1:1'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--tokens', '0:99'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--heads', '1,x'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--heads', '2'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--topk', '0'],
      ['--model', model, '--prompt', 'hi', '--out', join(tmp, 'x'), '--topk', '33'],
    ]) {
      const r = await regla('capture', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^regla: capture: /);
    }
  }, 60_000);
});
