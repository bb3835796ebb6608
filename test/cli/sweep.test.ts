// `regla sweep` end to end: the built CLI on tiny model folders on lavapipe (a ReGLA model, a hybrid
// one through --variants, and the engine's own softmax version through --softmax) prints the scaling,
// crossover and memory tables and writes JSON and CSV with every (variant, chunk, T) row and exact
// memory figures; bad options exit 2 with one line on stderr. Never asserts timings.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureDim, parseConfig, softmaxHeadDim } from '../../shaders/model/config.js';
import { randomWeights } from '../../shaders/model/weights.js';
import { writeSafetensors } from '../../shaders/model/safetensors.js';
import { SWEEP_CSV_HEADER } from '../../shaders/index.js';
import { parseCsv } from '../unit/trace-validate.js';
import { regla, writeModelFolder } from './helpers.js';

const tiny = { hidden_size: 32, num_heads: 2, vocab_size: 61, intermediate_size: 48 };
const REGLA = { model_type: 'regla', ...tiny, num_hidden_layers: 2 };
const HYBRID = { model_type: 'regla', ...tiny, num_hidden_layers: 3, hybrid_softmax_layers: [1], num_kv_heads: 1 };
const SEQ = [16, 40];
const CHUNKS = [16, 32];
const DECODE = 2;

interface SweepJson {
  variants: Array<{ name: string; dir: string | null; baseline: boolean; softmaxLayers: number[] }>;
  seq: number[];
  chunk: number[];
  rows: Array<{ variant: string; T: number; chunk: number; prefillMs: number; decodeMsPerToken: number | null; stateBytes: number; kvCacheBytes: number; kvUsedBytes: number }>;
  crossover: Array<{ linear: string; softmax: string; prefill: number | null; decode: number | null }>;
  memory: Array<{ variant: string; T: number; stateBytes: number; kvCacheBytes: number; kvUsedBytes: number; totalBytes: number }>;
}

let tmp = '';
let model = '';
let hybrid = '';

const writeModel = (dir: string, raw: Record<string, unknown>, seed: number): Promise<string> =>
  writeModelFolder(dir, raw, (d) => writeFile(join(d, 'model.safetensors'), writeSafetensors(randomWeights(parseConfig(raw), { seed }))), { tokenizer: false });

beforeAll(async () => {
  // dist/cli/regla.mjs is built once by test/global-setup.ts.
  tmp = await mkdtemp(join(tmpdir(), 'regla-sweep-'));
  model = await writeModel(join(tmp, 'tiny-regla'), REGLA, 2);
  hybrid = await writeModel(join(tmp, 'tiny-hybrid'), HYBRID, 3);
});

afterAll(async () => {
  if (tmp && !process.env['REGLA_TEST_KEEP']) await rm(tmp, { recursive: true, force: true });
});

describe('regla sweep', () => {
  it('model × hybrid variant × softmax baseline: tables, JSON and CSV with every row', async () => {
    const out = join(tmp, 'sweep.json');
    const csv = join(tmp, 'sweep.csv');
    const r = await regla('sweep', '--model', model, '--variants', hybrid, '--softmax', '--seq', SEQ.join(','), '--chunk', CHUNKS.join(','), '--decode', String(DECODE), '--repeat', '1', '--out', out, '--csv', csv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const names = ['tiny-regla', 'tiny-hybrid', 'softmax'];
    // Scaling table: one line per (variant, chunk, T) with numbers (or '-') in every column.
    const scaling = r.stdout.split('\n').filter((l) => /^ {2}(tiny-regla|tiny-hybrid|softmax) +\d+ +\d+ +[\d.-]+ +[\d.-]+ +[\d.-]+ +[\d.-]+$/.test(l));
    expect(scaling).toHaveLength(names.length * CHUNKS.length * SEQ.length);
    // Crossover: the one linear variant against the hybrid and the all-softmax baseline.
    expect(r.stdout).toMatch(/linear vs softmax crossover/);
    for (const s of ['tiny-hybrid', 'softmax']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}tiny-regla vs ${s}: prefill (T ≈ \\d+|none in 16\\.\\.40), decode (T ≈ \\d+|none in 16\\.\\.40)$`, 'm'));
    }
    // Memory table: one line per (variant, T).
    const memLines = r.stdout.split('\n').filter((l) => /^ {2}(tiny-regla|tiny-hybrid|softmax) +\d+ +\d+ +\d+ +\d+ +\d+$/.test(l));
    expect(memLines).toHaveLength(names.length * SEQ.length);

    const j = JSON.parse(await readFile(out, 'utf8')) as SweepJson;
    expect(j.variants.map((v) => v.name)).toEqual(names);
    expect(j.variants.map((v) => v.baseline)).toEqual([false, false, true]);
    expect(j.variants[2]!.dir).toBeNull();
    expect(j.variants[2]!.softmaxLayers).toEqual([0, 1]);
    expect(j.variants[1]!.softmaxLayers).toEqual([1]);
    expect(j.rows.map((x) => `${x.variant}/${x.chunk}/${x.T}`)).toEqual(names.flatMap((v) => CHUNKS.flatMap((c) => SEQ.map((T) => `${v}/${c}/${T}`))));
    for (const row of j.rows) {
      expect(row.prefillMs).toBeGreaterThan(0);
      expect(row.decodeMsPerToken).toBeGreaterThan(0);
    }
    expect(j.crossover.map((c) => `${c.linear}:${c.softmax}`)).toEqual(['tiny-regla:tiny-hybrid', 'tiny-regla:softmax']);
    for (const c of j.crossover) for (const x of [c.prefill, c.decode]) expect(x === null || (x >= SEQ[0]! && x <= SEQ.at(-1)!)).toBe(true);

    // Exact memory: ReGLA state only; the all-softmax baseline a KV cache only; the hybrid both.
    const rc = parseConfig(REGLA);
    const glaLayerState = (c: ReturnType<typeof parseConfig>): number => c.numKvHeads * (featureDim(c) * c.headDimV + featureDim(c) + 1) * 4;
    const hc = parseConfig(HYBRID);
    const kvPerPos = (layers: number, c: ReturnType<typeof parseConfig>): number => layers * 2 * c.numKvHeads * softmaxHeadDim(c) * 4;
    const sc = parseConfig({ ...REGLA, hybrid_softmax_layers: [0, 1] });
    expect(j.memory.map((m) => `${m.variant}/${m.T}`)).toEqual(names.flatMap((v) => SEQ.map((T) => `${v}/${T}`)));
    for (const m of j.memory) {
      const pos = m.T + DECODE;
      const expected =
        m.variant === 'tiny-regla'
          ? { state: 2 * glaLayerState(rc), used: 0 }
          : m.variant === 'tiny-hybrid'
            ? { state: 2 * glaLayerState(hc), used: kvPerPos(1, hc) * pos }
            : { state: 0, used: kvPerPos(2, sc) * pos };
      expect(m.stateBytes, m.variant).toBe(expected.state);
      expect(m.kvUsedBytes, m.variant).toBe(expected.used);
      expect(m.kvCacheBytes).toBeGreaterThanOrEqual(m.kvUsedBytes);
      expect(m.totalBytes).toBe(m.stateBytes + m.kvCacheBytes);
    }

    const rows = parseCsv(await readFile(csv, 'utf8'));
    expect(rows[0]).toEqual([...SWEEP_CSV_HEADER]);
    expect(rows).toHaveLength(1 + j.rows.length);
    for (const row of rows) expect(row).toHaveLength(SWEEP_CSV_HEADER.length);
    expect(rows.slice(1).map((x) => `${x[0]}/${x[2]}/${x[1]}`)).toEqual(j.rows.map((x) => `${x.variant}/${x.chunk}/${x.T}`));
  });

  it('--interleave: every (variant, chunk, T) row, chunk by chunk and length by length, and the crossover', async () => {
    const out = join(tmp, 'inter.json');
    const r = await regla('sweep', '--model', model, '--softmax', '--interleave', '--seq', SEQ.join(','), '--chunk', '16', '--decode', '1', '--repeat', '2', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(await readFile(out, 'utf8')) as SweepJson;
    expect(j.rows.map((x) => `${x.chunk}/${x.T}/${x.variant}`)).toEqual(SEQ.flatMap((T) => ['tiny-regla', 'softmax'].map((v) => `16/${T}/${v}`)));
    for (const row of j.rows) expect(row.prefillMs).toBeGreaterThan(0);
    expect(j.crossover.map((c) => `${c.linear}:${c.softmax}`)).toEqual(['tiny-regla:softmax']);
    expect(r.stdout).toMatch(/^ {2}tiny-regla vs softmax: prefill /m);
  });

  it('without a softmax variant it says so; --decode 0 leaves decode times empty', async () => {
    const out = join(tmp, 'lin.json');
    const r = await regla('sweep', '--model', model, '--seq', '16', '--chunk', '16', '--decode', '0', '--repeat', '1', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/crossover: no softmax or hybrid variant/);
    const j = JSON.parse(await readFile(out, 'utf8')) as SweepJson;
    expect(j.rows).toHaveLength(1);
    expect(j.rows[0]!.decodeMsPerToken).toBeNull();
    expect(j.crossover).toEqual([]);
  });

  it('rejects bad options with exit 2 and one line', async () => {
    const o = join(tmp, 'x.json');
    for (const args of [
      ['--model', model],
      ['--out', o],
      ['--model', model, '--out', o, '--chunk', '20'],
      ['--model', model, '--out', o, '--seq', '1,,2'],
      ['--model', model, '--out', o, '--seq', '0'],
      ['--model', model, '--out', o, '--repeat', '0'],
      ['--model', model, '--out', o, '--decode', '-1'],
      ['--model', model, '--out', o, '--variants', `${hybrid},`],
      ['--model', model, '--out', o, '--mode', 'fused'],
    ]) {
      const r = await regla('sweep', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^regla: sweep: /);
    }
    const help = await regla('sweep', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: regla sweep/);
    const main = await regla('--help');
    expect(main.stdout).toMatch(/^ {2}sweep +/m);
  });
});
