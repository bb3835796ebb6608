// `regla profile` end to end: the built CLI on a tiny model folder on lavapipe writes a Chrome
// trace that passes the shared validator and a CSV kernel table with a header and rows; bad
// options exit 2 with one line on stderr. Never asserts timings.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import { writeSafetensors } from '../../shaders/model/safetensors.js';
import { CSV_HEADER } from '../../shaders/profile/trace.js';
import { parseCsv, validateTrace } from '../unit/trace-validate.js';
import { regla, writeModelFolder } from './helpers.js';

const RAW_CONFIG = { model_type: 'regla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 61, intermediate_size: 48 };


/** How many lines of a printed table match a row pattern. */
const tableRows = (stdout: string, row: RegExp): number => stdout.split('\n').filter((l) => row.test(l)).length;

let tmp = '';
let model = '';

beforeAll(async () => {
  // dist/cli/regla.mjs is built once by test/global-setup.ts.
  tmp = await mkdtemp(join(tmpdir(), 'regla-profile-'));
  model = join(tmp, 'model');
  await writeModelFolder(model, RAW_CONFIG, (d) => writeFile(join(d, 'model.safetensors'), writeSafetensors(randomWeights(parseConfig(RAW_CONFIG), { seed: 2 }))), { tokenizer: false });
});

afterAll(async () => {
  if (tmp && !process.env['REGLA_TEST_KEEP']) await rm(tmp, { recursive: true, force: true });
});

describe('regla profile', () => {
  for (const mode of ['per-op', 'fused'] as const) {
    it(`${mode}: writes a valid trace and a CSV table for every seq × chunk`, async () => {
      const trace = join(tmp, `${mode}.json`);
      const csv = join(tmp, `${mode}.csv`);
      const r = await regla('profile', '--model', model, '--seq', '20,40', '--chunk', '16,32', '--repeat', '2', '--decode', '3', '--mode', mode, '--out', trace, '--csv', csv);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/seq=20 chunk=16/);
      expect(r.stdout).toMatch(/seq=40 chunk=32/);
      // The printed table lists the 8 heaviest kernels, which depends on timing; the CSV has them all.
      expect(tableRows(r.stdout, /^ {2}(prefill|decode) +\S+ +\S+ +\d+ +[\d.-]+ +[\d.-]+ +[\d.-]+$/)).toBe(4 * 8);
      const t = JSON.parse(await readFile(trace, 'utf8')) as { traceEvents: Array<{ ph: string; name: string; pid: number; args?: Record<string, unknown> }>; otherData: Record<string, unknown> };
      expect(validateTrace(t)).toEqual([]);
      expect(t.otherData['quantization']).toBe('disabled');
      expect((t.otherData['features'] as string[]).includes('timestamp-query')).toBe(true);
      const variants = new Set(t.traceEvents.filter((e) => e.ph === 'X').map((e) => e.args?.['variant']));
      expect(variants.size).toBe(4);
      expect(t.traceEvents.filter((e) => e.ph === 'C' && e.name === 'tokens/s')).toHaveLength(4);
      // One decode-speed sample per decode step of each report's first measured repeat.
      expect(t.traceEvents.filter((e) => e.ph === 'C' && e.name === 'decode tokens/s')).toHaveLength(4 * 3);
      // per-op: one event per dispatch; fused: one per submit (lavapipe has timestamp-query).
      const gpuEvents = t.traceEvents.filter((e) => e.ph === 'X' && e.pid === 1) as Array<{ cat?: string }>;
      expect(gpuEvents.length).toBeGreaterThan(0);
      expect(gpuEvents.every((e) => e.cat === 'submit')).toBe(mode === 'fused');
      const rows = parseCsv(await readFile(csv, 'utf8'));
      expect(rows[0]).toEqual([...CSV_HEADER]);
      expect(rows.length).toBeGreaterThan(4);
      for (const row of rows) expect(row).toHaveLength(CSV_HEADER.length);
      expect(rows.some((row) => row[2] === 'decode' && row[3] === 'gla_step')).toBe(true);
    });
  }

  it('--roofline measures the device peaks and places the heaviest kernels on the roofline', async () => {
    const trace = join(tmp, 'roof.json');
    const r = await regla('profile', '--model', model, '--seq', '20', '--chunk', '16', '--repeat', '1', '--decode', '2', '--roofline', '--out', trace);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/roof: [\d.]+ GFLOP\/s f32 FMA, [\d.]+ GB\/s read/);
    // Which kernels are heaviest depends on timing; every printed row has an intensity, a roof and a bound.
    expect(tableRows(r.stdout, /^ {2}(prefill|decode) +\S+ +[\d.-]+ +[\d.-]+ +[\d.-]+ +([\d.]+%|-) {2}(memory|compute)$/)).toBe(8);
    expect(validateTrace(JSON.parse(await readFile(trace, 'utf8')))).toEqual([]);
  });

  it('--capture adds per-layer saturation counter tracks (prefill + each decode step)', async () => {
    const trace = join(tmp, 'capture.json');
    const r = await regla('profile', '--model', model, '--seq', '20', '--chunk', '16', '--repeat', '1', '--decode', '2', '--mode', 'fused', '--capture', '--out', trace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/, 6 saturation samples\)/);
    const t = JSON.parse(await readFile(trace, 'utf8')) as { traceEvents: Array<{ name: string; ph: string; pid: number; ts: number; args?: Record<string, unknown> }> };
    expect(validateTrace(t)).toEqual([]);
    const sat = t.traceEvents.filter((e) => e.ph === 'C' && e.name.startsWith('saturation'));
    // 2 layers × (prefill + 2 decode steps), each with the α thresholds and the gate-logit ones.
    expect(sat.map((e) => e.name).sort()).toEqual(['saturation L0', 'saturation L0', 'saturation L0', 'saturation L1', 'saturation L1', 'saturation L1']);
    for (const e of sat) {
      expect(Object.keys(e.args ?? {}).sort()).toEqual(['a |x|>6', 'c |x|>6', 'α ε=0.001', 'α ε=0.01']); // ReGLA: base and refining gate logits, log α
      for (const v of Object.values(e.args ?? {})) expect(v as number).toBeGreaterThanOrEqual(0);
    }
    expect(t.traceEvents.some((e) => e.ph === 'M' && e.name === 'process_name' && e.args?.['name'] === 'Capture')).toBe(true);
    expect(t.traceEvents.filter((e) => e.name === 'tokens/s')).toHaveLength(1);
  });

  it('rejects bad options with exit 2 and one line', async () => {
    for (const args of [
      ['--model', model],
      ['--model', model, '--out', join(tmp, 'x.json'), '--chunk', '20'],
      ['--model', model, '--out', join(tmp, 'x.json'), '--seq', '1,,2'],
      ['--model', model, '--out', join(tmp, 'x.json'), '--mode', 'slow'],
      ['--model', model, '--out', join(tmp, 'x.json'), '--repeat', '0'],
    ]) {
      const r = await regla('profile', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^regla: profile: /);
    }
    const help = await regla('profile', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: regla profile/);
  });
});
