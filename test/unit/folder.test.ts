// The engine's model-folder reader through in-memory FolderReaders (single file, shards, fla's
// fused forms, every named error), and the renderer's browser readers run in Node: fileListFolder
// over File objects, httpFolder over a fake fetch (206 ranges, 200 full answers, 404).

import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ModelFolderError,
  checkTokenizerVocab,
  openModelFolder,
  parseConfig,
  randomWeights,
  writeSafetensors,
  type FolderReader,
  type StDtype,
  type WeightData,
} from '../../shaders/index.js';
import { fileListFolder, httpFolder, loadTokenizerFromFolder } from '../../renderer/host/folder.js';
import { tokenizerJson } from '../cli/helpers.js';

const RAW_CONFIG = { model_type: 'regla', hidden_size: 32, num_hidden_layers: 2, num_heads: 2, vocab_size: 272, intermediate_size: 64 };
const config = parseConfig(RAW_CONFIG);
const weights = randomWeights(config, { seed: 7 });

type Content = Uint8Array | string | Record<string, unknown>;
const bytesOf = (c: Content): Uint8Array =>
  c instanceof Uint8Array ? c : new TextEncoder().encode(typeof c === 'string' ? c : JSON.stringify(c));

interface MemReader extends FolderReader {
  /** Every read: file, offset (undefined = whole file), length. */
  reads: Array<[string, number | undefined, number | undefined]>;
  closed: number;
}

/** A FolderReader over a Map of file → bytes, recording its reads. */
function memFolder(files: Record<string, Content>, name = 'mem'): MemReader {
  const map = new Map(Object.entries(files).map(([k, v]) => [k, bytesOf(v)]));
  const reader: MemReader = {
    name,
    reads: [],
    closed: 0,
    size: async (file) => map.get(file)?.length ?? null,
    async read(file, offset, length) {
      reader.reads.push([file, offset, length]);
      const b = map.get(file);
      if (!b) throw new Error(`ENOENT ${file}`);
      if (offset === undefined) return b.slice();
      return b.slice(offset, length === undefined ? undefined : offset + length);
    },
    async close() {
      reader.closed++;
    },
  };
  return reader;
}

function shards(w: ReadonlyMap<string, WeightData>, n: number): Record<string, Content> {
  const entries = [...w];
  const per = Math.ceil(entries.length / n);
  const out: Record<string, Content> = {};
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const file = `model-0000${i + 1}-of-0000${n}.safetensors`;
    const part = entries.slice(i * per, (i + 1) * per);
    out[file] = writeSafetensors(part);
    for (const [name] of part) weightMap[name] = file;
  }
  out['model.safetensors.index.json'] = { metadata: {}, weight_map: weightMap };
  return out;
}

async function expectFolderError(p: Promise<unknown>, path: string, ...parts: (string | RegExp)[]): Promise<ModelFolderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelFolderError);
  const e = err as ModelFolderError;
  expect(e.name).toBe('ModelFolderError');
  expect(e.path).toBe(path);
  expect(e.message.startsWith(`${path}: `)).toBe(true);
  for (const part of parts) expect(e.message).toMatch(part);
  return e;
}

async function expectWeights(reader: FolderReader, w: ReadonlyMap<string, WeightData>): Promise<void> {
  const folder = await openModelFolder(reader);
  try {
    expect(new Set(folder.source.names())).toEqual(new Set(w.keys()));
    for (const [name, t] of w) {
      expect(folder.source.shape(name), name).toEqual(t.shape);
      expect(await folder.source.read(name), name).toEqual(t.data);
    }
  } finally {
    await folder.close();
  }
}

describe('openModelFolder (shaders)', () => {
  it.each<StDtype>(['F32', 'F16', 'BF16'])('reads a single-file %s model tensor by tensor, by byte range', async (dtype) => {
    const file = writeSafetensors(weights, { dtype });
    const reader = memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': file, 'tokenizer.json': tokenizerJson() });
    const folder = await openModelFolder(reader);
    expect(folder.name).toBe('mem');
    expect(folder.config).toEqual(config);
    expect(folder.rawConfig).toEqual(RAW_CONFIG);
    expect(folder.files).toEqual(['mem/config.json', 'mem/model.safetensors', 'mem/tokenizer.json']);
    expect(folder.weightBytes).toBe(file.length);
    expect(folder.tokenizerJson).toEqual(tokenizerJson());
    expect(folder.tokenizerConfigJson).toBeNull();
    // Opening reads the 8-byte length and the header, no tensor data.
    const weightReads = (): Array<[string, number | undefined, number | undefined]> => reader.reads.filter(([f]) => f === 'model.safetensors');
    expect(weightReads().map(([, o]) => o)).toEqual([0, 8]);
    for (const [name, t] of weights) {
      const got = await folder.source.read(name);
      expect(got.length).toBe(t.data.length);
      if (dtype === 'F32') expect(got, name).toEqual(t.data);
    }
    // Never the whole weights file: one ranged read per tensor, each exactly the tensor's bytes.
    const reads = weightReads().slice(2);
    expect(reads).toHaveLength(weights.size);
    let total = 0;
    for (const [, offset, length] of reads) {
      expect(offset).toBeTypeOf('number');
      expect(length).toBeLessThan(file.length);
      total += length!;
    }
    const dataStart = 8 + new DataView(file.buffer).getUint32(0, true);
    expect(total).toBe(file.length - dataStart);
    await folder.close();
    expect(reader.closed).toBe(1);
  });

  it('reads a sharded model through its index', async () => {
    const files = shards(weights, 3);
    const reader = memFolder({ 'config.json': RAW_CONFIG, ...files });
    const folder = await openModelFolder(reader);
    try {
      expect(folder.files).toEqual([
        'mem/config.json',
        'mem/model.safetensors.index.json',
        ...Object.keys(files).filter((f) => f.endsWith('.safetensors')).map((f) => `mem/${f}`),
      ]);
      const shardBytes = Object.values(files).filter((v): v is Uint8Array => v instanceof Uint8Array);
      expect(folder.weightBytes).toBe(shardBytes.reduce((a, b) => a + b.length, 0));
      expect(folder.tokenizerJson).toBeNull();
    } finally {
      await folder.close();
    }
    await expectWeights(memFolder({ 'config.json': RAW_CONFIG, ...files }), weights);
  });

  it("exposes fla's fused MLP and g_norm_swish_gate under the engine's names", async () => {
    const raw = { ...RAW_CONFIG, model_type: 'gla' };
    const w = randomWeights(parseConfig(raw), { seed: 5 });
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
    await expectWeights(memFolder({ 'config.json': raw, 'model.safetensors': writeSafetensors(fla) }), w);
  });

  it('reads tokenizer_config.json and builds the tokenizer (renderer)', async () => {
    const folder = await openModelFolder(
      memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': writeSafetensors(weights), 'tokenizer.json': tokenizerJson(), 'tokenizer_config.json': { model_max_length: 512 } }),
    );
    try {
      expect(folder.tokenizerConfigJson).toEqual({ model_max_length: 512 });
      expect(folder.files.at(-1)).toBe('mem/tokenizer_config.json');
      const tok = await loadTokenizerFromFolder(folder);
      expect(tok.decode(tok.encode('hello the world').ids)).toBe('hello the world');
    } finally {
      await folder.close();
    }
  });
});

describe('openModelFolder errors name the file (and tensor)', () => {
  const single = (): Record<string, Content> => ({ 'config.json': RAW_CONFIG, 'model.safetensors': writeSafetensors(weights) });

  it('missing or malformed config.json', async () => {
    const noConfig = memFolder({ 'model.safetensors': writeSafetensors(weights) });
    await expectFolderError(openModelFolder(noConfig), 'mem/config.json', 'no config.json');
    expect(noConfig.closed).toBe(1);
    await expectFolderError(openModelFolder(memFolder({ ...single(), 'config.json': '{"model_type": ' })), 'mem/config.json', 'not valid JSON');
    await expectFolderError(openModelFolder(memFolder({ ...single(), 'config.json': '[1]' })), 'mem/config.json', 'must be a JSON object');
    await expectFolderError(openModelFolder(memFolder({ ...single(), 'config.json': new Uint8Array([0x7b, 0xff, 0x7d]) })), 'mem/config.json', 'UTF-8 (byte 1)');
    const bad = await openModelFolder(memFolder({ ...single(), 'config.json': { ...RAW_CONFIG, feature_map: 'cosine' } })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toMatch(/feature_map.*cosine.*\(in mem\/config\.json\)/);
  });

  it('no weights, a missing shard, a tensor missing from its shard', async () => {
    await expectFolderError(openModelFolder(memFolder({ 'config.json': RAW_CONFIG })), 'mem', 'model.safetensors');
    const files = shards(weights, 2);
    const lost = { ...files };
    delete lost['model-00002-of-00002.safetensors'];
    const reader = memFolder({ 'config.json': RAW_CONFIG, ...lost });
    await expectFolderError(openModelFolder(reader), 'mem/model-00002-of-00002.safetensors', 'shard listed in mem/model.safetensors.index.json is missing');
    expect(reader.closed).toBe(1);

    const index = files['model.safetensors.index.json'] as { weight_map: Record<string, string> };
    const ghost = { weight_map: { ...index.weight_map, 'model.layers.9.ghost.weight': 'model-00001-of-00002.safetensors' } };
    await expectFolderError(
      openModelFolder(memFolder({ 'config.json': RAW_CONFIG, ...files, 'model.safetensors.index.json': ghost })),
      'mem/model-00001-of-00002.safetensors',
      'tensor model.layers.9.ghost.weight is listed in mem/model.safetensors.index.json but not in this shard',
    );
    await expectFolderError(
      openModelFolder(memFolder({ 'config.json': RAW_CONFIG, ...files, 'model.safetensors.index.json': { weight_map: { x: '../evil.safetensors' } } })),
      'mem/model.safetensors.index.json',
      'must be a file name',
    );
  });

  it('a tensor with the wrong shape, a missing one, an unexpected one', async () => {
    const name = 'model.layers.1.attn.k_proj.weight';
    const wrong = new Map(weights);
    wrong.set(name, { shape: [3, 32], data: new Float32Array(96) });
    await expectFolderError(
      openModelFolder(memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': writeSafetensors(wrong) })),
      'mem/model.safetensors',
      `tensor ${name}: expected shape [${weights.get(name)!.shape.join(', ')}], got [3, 32]`,
    );
    // In a sharded model the error names the shard holding the tensor.
    const files = shards(wrong, 2);
    const holder = Object.entries((files['model.safetensors.index.json'] as { weight_map: Record<string, string> }).weight_map).find(([n]) => n === name)![1];
    await expectFolderError(openModelFolder(memFolder({ 'config.json': RAW_CONFIG, ...files })), `mem/${holder}`, name, 'got [3, 32]');

    const missing = new Map(weights);
    missing.delete(name);
    await expectFolderError(
      openModelFolder(memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': writeSafetensors(missing) })),
      'mem/model.safetensors',
      `missing tensor ${name}`,
    );
    const extra = new Map(weights);
    extra.set('model.layers.0.attn.extra.weight', { shape: [2], data: new Float32Array(2) });
    await expectFolderError(
      openModelFolder(memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': writeSafetensors(extra) })),
      'mem/model.safetensors',
      'unexpected tensor model.layers.0.attn.extra.weight',
    );
  });

  it('a weights file that ends early, a reader that fails', async () => {
    const file = writeSafetensors(weights);
    const truncated = memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': file });
    // The size says the whole file is there; the bytes stop 100 short of it.
    const inner = truncated.read.bind(truncated);
    truncated.read = async (f, o, l) => {
      const b = await inner(f, o, l);
      return f === 'model.safetensors' && o !== undefined ? b.subarray(0, Math.max(0, Math.min(b.length, file.length - 100 - o))) : b;
    };
    const folder = await openModelFolder(truncated);
    const last = [...folder.source.names()].sort().at(-1)!; // writeSafetensors stores tensors in name order
    await expectFolderError(folder.source.read(last), 'mem/model.safetensors', `file ended at byte ${file.length - 100}, expected ${file.length}`);
    await folder.close();

    const failing = memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': file });
    failing.read = async () => {
      throw new Error('disk on fire');
    };
    await expectFolderError(openModelFolder(failing), 'mem/config.json', 'cannot read config.json: disk on fire');
  });

  it('a tokenizer larger than config.json vocab_size, or none', async () => {
    const small = { ...RAW_CONFIG, vocab_size: 200 };
    const folder = await openModelFolder(
      memFolder({ 'config.json': small, 'model.safetensors': writeSafetensors(randomWeights(parseConfig(small))), 'tokenizer.json': tokenizerJson() }),
    );
    await expectFolderError(loadTokenizerFromFolder(folder), 'mem/tokenizer.json', 'tokenizer has 263 ids but config.json vocab_size is 200');
    await folder.close();

    const none = await openModelFolder(memFolder({ 'config.json': RAW_CONFIG, 'model.safetensors': writeSafetensors(weights) }));
    await expectFolderError(loadTokenizerFromFolder(none), 'mem/tokenizer.json', 'no tokenizer.json');
    await none.close();

    expect(() => checkTokenizerVocab(10, [0, 9, 3], 'tok.json')).not.toThrow();
    expect(() => checkTokenizerVocab(10, [0, 10], 'tok.json')).toThrowError('tok.json: tokenizer has 11 ids but config.json vocab_size is 10');
  });
});

describe('renderer/host/folder readers (in Node)', () => {
  /** A File as <input webkitdirectory> gives it: webkitRelativePath includes the picked folder. */
  const picked = (rel: string, content: Content): File => {
    const f = new File([bytesOf(content).slice()], rel.split('/').at(-1)!);
    Object.defineProperty(f, 'webkitRelativePath', { value: rel });
    return f;
  };

  it('fileListFolder names files without the top folder and reads byte ranges', async () => {
    const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    const reader = fileListFolder([picked('regla/blob.bin', data), picked('regla/sub/x.txt', 'hi'), new File(['loose'], 'loose.txt')]);
    expect(reader.name).toBe('regla');
    expect(await reader.size('blob.bin')).toBe(1000);
    expect(await reader.size('sub/x.txt')).toBe(2);
    expect(await reader.size('loose.txt')).toBe(5);
    expect(await reader.size('regla/blob.bin')).toBeNull();
    expect(await reader.size('nope.json')).toBeNull();
    expect(await reader.read('blob.bin')).toEqual(data);
    expect(await reader.read('blob.bin', 123, 400)).toEqual(data.slice(123, 523));
    expect(await reader.read('blob.bin', 990, 50)).toEqual(data.slice(990)); // short at the end of the file
    expect(await reader.read('blob.bin', 900)).toEqual(data.slice(900));
    expect(fileListFolder([new File(['x'], 'config.json')], 'dropped').name).toBe('dropped');
  });

  it('fileListFolder opens a picked model folder end to end', async () => {
    const files = { 'config.json': RAW_CONFIG, ...shards(weights, 2), 'tokenizer.json': tokenizerJson() };
    const list = Object.entries(files).map(([name, c]) => picked(`my-model/${name}`, c));
    await expectWeights(fileListFolder(list), weights);
    const folder = await openModelFolder(fileListFolder(list));
    expect(folder.files[0]).toBe('my-model/config.json');
    expect((await loadTokenizerFromFolder(folder)).encode('the world').ids.length).toBeGreaterThan(0);
    await folder.close();
  });

  /** A static server: HEAD sizes, Range → 206 (or 200 with the whole file when ranges are off), 404. */
  function fakeServer(files: Record<string, Content>, o: { ranges: boolean }) {
    const map = new Map(Object.entries(files).map(([k, v]) => [`https://host/models/m/${k}`, bytesOf(v)]));
    const log: string[] = [];
    const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const url = String(input);
      const method = init?.method ?? 'GET';
      const range = new Headers(init?.headers).get('range');
      log.push(`${method} ${url.slice('https://host/models/m/'.length)}${range ? ` ${range}` : ''}`);
      const b = map.get(url);
      if (!b) return new Response(null, { status: 404 });
      if (method === 'HEAD') return new Response(null, { headers: { 'content-length': String(b.length) } });
      const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
      if (!m || !o.ranges) return new Response(b.slice(), { headers: { 'content-length': String(b.length) } });
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), b.length - 1) : b.length - 1;
      if (start >= b.length) return new Response(null, { status: 416 });
      return new Response(b.slice(start, end + 1), { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${b.length}` } });
    };
    return { fetch: fetchFn as typeof fetch, log };
  }

  it.each([true, false])('httpFolder reads a model (server ranges: %s)', async (ranges) => {
    const data = new Uint8Array(300).map((_, i) => i & 0xff);
    const files = { 'config.json': RAW_CONFIG, 'model.safetensors': writeSafetensors(weights), 'blob.bin': data };
    const server = fakeServer(files, { ranges });
    const reader = httpFolder('https://host/models/m/', { fetch: server.fetch });
    expect(reader.name).toBe('https://host/models/m');
    expect(await reader.size('blob.bin')).toBe(300);
    expect(await reader.size('tokenizer.json')).toBeNull();
    expect(await reader.read('blob.bin', 10, 20)).toEqual(data.slice(10, 30));
    expect(await reader.read('blob.bin', 290, 20)).toEqual(data.slice(290));
    expect(await reader.read('blob.bin', 500, 4)).toEqual(new Uint8Array(0));
    expect(server.log).toContain('GET blob.bin bytes=10-29');
    await expectWeights(reader, weights);
    const folder = await openModelFolder(reader);
    expect(folder.files).toEqual(['https://host/models/m/config.json', 'https://host/models/m/model.safetensors']);
    await folder.close();
  });
});
