// A Hugging Face style model folder (spec §4), for every host: config.json, model.safetensors or
// shards + model.safetensors.index.json, tokenizer.json and tokenizer_config.json. The folder is
// reached through a FolderReader (Node file handles in the CLI, fetch or File objects in the
// renderer, a Map in tests). Weights stream one tensor at a time by byte range (never a whole
// weights file in memory); fla's fused MLP and g_norm_swish_gate are exposed under the engine's
// names; every name and shape is checked against the config before anything is read; errors name
// the file, and the tensor where there is one.

import { ConfigError, ReglaError } from '../errors.js';
import { parseConfig, type ModelConfig } from './config.js';
import { decodeTensor, parseHeader, readHeaderLength, type StTensorInfo } from './safetensors.js';
import { utf8Decode } from './utf8.js';
import { expectedWeights, type WeightSource } from './weights.js';

/** The folder or one of its files is missing or malformed; `path` is the file concerned. */
export class ModelFolderError extends ReglaError {
  override readonly name: string = 'ModelFolderError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

/** How a host reaches the files of one folder. `file` is relative to the folder, '/'-separated. */
export interface FolderReader {
  /** The folder as the user knows it (a directory, a URL, a dropped folder's name). */
  readonly name: string;
  /** The file's size in bytes; null when the folder has no such file. */
  size(file: string): Promise<number | null>;
  /**
   * The whole file, or `length` bytes from `offset`. May return fewer bytes only where the file
   * ends first (openModelFolder reports that as a truncated file).
   */
  read(file: string, offset?: number, length?: number): Promise<Uint8Array>;
  /** How errors and `files` name a file; `${name}/${file}` when absent. */
  path?(file: string): string;
  /** Releases what the reader holds open (file handles); called by ModelFolder.close(). */
  close?(): Promise<void>;
}

export interface ModelFolder {
  /** The reader's name. */
  readonly name: string;
  config: ModelConfig;
  /** config.json as read (before normalization). */
  rawConfig: Record<string, unknown>;
  /** Every tensor the config expects, under the engine's names; read(name) fetches just its bytes. */
  source: WeightSource;
  /** Parsed tokenizer.json, or null when the folder has none. */
  tokenizerJson: unknown;
  /** Parsed tokenizer_config.json, or null when the folder has none. */
  tokenizerConfigJson: unknown;
  /** Every file read or held open, as `path(file)` names them. */
  files: string[];
  /** Bytes of the weight files. */
  weightBytes: number;
  /** How this folder's errors name one of its files. */
  path(file: string): string;
  /** Closes the reader. */
  close(): Promise<void>;
}

const CONFIG = 'config.json';
const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';
const TOKENIZER = 'tokenizer.json';
const TOKENIZER_CONFIG = 'tokenizer_config.json';

interface Located {
  file: string;
  info: StTensorInfo;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Reads through a FolderReader, turning its failures into ModelFolderErrors that name the file. */
class Files {
  constructor(
    readonly reader: FolderReader,
    readonly path: (file: string) => string,
  ) {}

  async size(file: string): Promise<number | null> {
    try {
      return await this.reader.size(file);
    } catch (e) {
      if (e instanceof ModelFolderError) throw e;
      throw new ModelFolderError(this.path(file), `cannot read: ${messageOf(e)}`, { cause: e });
    }
  }

  async bytes(file: string, what: string, offset?: number, length?: number): Promise<Uint8Array> {
    let b: Uint8Array;
    try {
      b = offset === undefined ? await this.reader.read(file) : await this.reader.read(file, offset, length);
    } catch (e) {
      if (e instanceof ModelFolderError) throw e;
      throw new ModelFolderError(this.path(file), `cannot read ${what}: ${messageOf(e)}`, { cause: e });
    }
    if (offset !== undefined && length !== undefined && b.length !== length) {
      if (b.length > length) b = b.subarray(0, length);
      else throw new ModelFolderError(this.path(file), `file ended at byte ${offset + b.length}, expected ${offset + length}`);
    }
    return b;
  }

  async json(file: string, what: string): Promise<unknown> {
    const b = await this.bytes(file, what);
    const text = utf8Decode(b, (i) => {
      throw new ModelFolderError(this.path(file), `${what} is not valid UTF-8 (byte ${i})`);
    });
    try {
      return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as unknown;
    } catch (e) {
      throw new ModelFolderError(this.path(file), `${what} is not valid JSON (${messageOf(e)})`, { cause: e });
    }
  }

  /** The tensor table of one safetensors file (8 + header bytes read, no tensor data). */
  async shard(file: string, size: number): Promise<StTensorInfo[]> {
    const where = this.path(file);
    const first8 = await this.bytes(file, 'weights file', 0, Math.min(8, size));
    const n = readHeaderLength(first8, size, where);
    return parseHeader(await this.bytes(file, 'weights file', 8, n), size, where).tensors;
  }
}

/** Engine names for fla's fused forms: [2I, hidden] gate_proj → gate_proj + up_proj; g_norm_swish_gate → g_norm. */
function flaAliases(tensors: Map<string, Located>): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const [name, loc] of tensors) {
    const fused = /^(model\.layers\.\d+\.mlp\.)gate_proj\.weight$/.exec(name);
    if (fused && !tensors.has(`${fused[1]}up_proj.weight`) && loc.info.shape.length === 2) {
      const [rows, cols] = loc.info.shape as [number, number];
      if (rows % 2 === 0) {
        const half = (loc.info.end - loc.info.begin) / 2;
        const gate = { ...loc.info, shape: [rows / 2, cols], end: loc.info.begin + half };
        const up = { ...loc.info, name: `${fused[1]}up_proj.weight`, shape: [rows / 2, cols], begin: loc.info.begin + half };
        out.set(name, { ...loc, info: gate });
        out.set(up.name, { ...loc, info: up });
        continue;
      }
    }
    const swish = /^(model\.layers\.\d+\.attn\.)g_norm_swish_gate\.weight$/.exec(name);
    if (swish && !tensors.has(`${swish[1]}g_norm.weight`)) {
      const alias = `${swish[1]}g_norm.weight`;
      out.set(alias, { ...loc, info: { ...loc.info, name: alias } });
      continue;
    }
    out.set(name, loc);
  }
  return out;
}

/** Every expected tensor present with its shape, nothing else; errors name the file holding the tensor. */
function checkTensors(config: ModelConfig, tensors: Map<string, Located>, files: Files, weightsFile: string): void {
  const specs = expectedWeights(config);
  const expected = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const t = tensors.get(s.name);
    if (!t) throw new ModelFolderError(files.path(weightsFile), `missing tensor ${s.name} (expected shape ${shapeText(s.shape)})`);
    const got = t.info.shape;
    if (got.length !== s.shape.length || got.some((d, i) => d !== s.shape[i])) {
      throw new ModelFolderError(files.path(t.file), `tensor ${s.name}: expected shape ${shapeText(s.shape)}, got ${shapeText(got)}`);
    }
  }
  for (const [name, t] of tensors) {
    if (!expected.has(name)) throw new ModelFolderError(files.path(t.file), `unexpected tensor ${name} for this config`);
  }
}

function makeSource(tensors: Map<string, Located>, files: Files): WeightSource {
  return {
    names: () => tensors.keys(),
    shape: (name) => tensors.get(name)?.info.shape,
    read: async (name) => {
      const t = tensors.get(name);
      if (!t) throw new ModelFolderError(files.reader.name, `no tensor named ${name}`);
      const bytes = await files.bytes(t.file, `tensor ${name}`, t.info.begin, t.info.end - t.info.begin);
      return decodeTensor(t.info, bytes, files.path(t.file));
    },
  };
}

async function readConfig(files: Files): Promise<{ config: ModelConfig; rawConfig: Record<string, unknown> }> {
  const where = files.path(CONFIG);
  if ((await files.size(CONFIG)) === null) throw new ModelFolderError(where, 'no config.json in the model folder');
  const rawConfig = await files.json(CONFIG, 'config.json');
  if (!isRecord(rawConfig)) throw new ModelFolderError(where, 'config.json must be a JSON object');
  try {
    return { config: parseConfig(rawConfig), rawConfig };
  } catch (e) {
    if (e instanceof ConfigError) {
      const prefix = `config.${e.field}: `;
      const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
      throw new ConfigError(e.field, `${detail} (in ${where})`);
    }
    throw e;
  }
}

/** Reads the weight files' tensor tables: the one model.safetensors, else the index and its shards. */
async function readWeights(files: Files, used: string[]): Promise<{ tensors: Map<string, Located>; weightBytes: number; weightsFile: string }> {
  const tensors = new Map<string, Located>();
  const singleSize = await files.size(SINGLE);
  if (singleSize !== null) {
    const list = await files.shard(SINGLE, singleSize);
    used.push(SINGLE);
    for (const info of list) tensors.set(info.name, { file: SINGLE, info });
    return { tensors, weightBytes: singleSize, weightsFile: SINGLE };
  }
  if ((await files.size(INDEX)) === null) {
    throw new ModelFolderError(files.reader.name, `no weights: expected ${SINGLE} or ${INDEX}`);
  }
  used.push(INDEX);
  const indexPath = files.path(INDEX);
  const index = await files.json(INDEX, 'the safetensors index');
  const weightMap = isRecord(index) ? index['weight_map'] : undefined;
  if (!isRecord(weightMap)) throw new ModelFolderError(indexPath, 'must be an object with a "weight_map" of tensor name → shard file');
  const byFile = new Map<string, string[]>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== 'string' || file === '' || file.includes('/') || file.includes('\\')) {
      throw new ModelFolderError(indexPath, `weight_map["${name}"] must be a file name in the folder, got ${JSON.stringify(file)}`);
    }
    const names = byFile.get(file) ?? [];
    names.push(name);
    byFile.set(file, names);
  }
  let weightBytes = 0;
  for (const [file, names] of byFile) {
    const size = await files.size(file);
    if (size === null) throw new ModelFolderError(files.path(file), `shard listed in ${indexPath} is missing`);
    const inShard = new Map((await files.shard(file, size)).map((i) => [i.name, i]));
    used.push(file);
    weightBytes += size;
    for (const name of names) {
      const info = inShard.get(name);
      if (!info) throw new ModelFolderError(files.path(file), `tensor ${name} is listed in ${indexPath} but not in this shard`);
      tensors.set(name, { file, info });
    }
  }
  return { tensors, weightBytes, weightsFile: INDEX };
}

/**
 * Opens a model folder: config.json (normalized by parseConfig), the weight files' headers (every
 * tensor checked against the config), tokenizer.json and tokenizer_config.json when present. The
 * folder owns the reader from here on: close() closes it, and so does a failure to open.
 */
export async function openModelFolder(reader: FolderReader): Promise<ModelFolder> {
  const path = (file: string): string => (reader.path ? reader.path(file) : `${reader.name.replace(/\/+$/, '')}/${file}`);
  const files = new Files(reader, path);
  const close = async (): Promise<void> => {
    await reader.close?.();
  };
  try {
    const { config, rawConfig } = await readConfig(files);
    const used = [CONFIG];
    const { tensors, weightBytes, weightsFile } = await readWeights(files, used);
    const located = config.modelType === 'gla' ? flaAliases(tensors) : tensors;
    checkTensors(config, located, files, weightsFile);
    const optionalJson = async (file: string): Promise<unknown> => {
      if ((await files.size(file)) === null) return null;
      const json = await files.json(file, file);
      used.push(file);
      return json;
    };
    const tokenizerJson = await optionalJson(TOKENIZER);
    const tokenizerConfigJson = await optionalJson(TOKENIZER_CONFIG);
    return {
      name: reader.name,
      config,
      rawConfig,
      source: makeSource(located, files),
      tokenizerJson,
      tokenizerConfigJson,
      files: used.map(path),
      weightBytes,
      path,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Every id a tokenizer can produce must index the model's embedding: vocab_size must cover them. */
export function checkTokenizerVocab(vocabSize: number, tokenizerIds: Iterable<number>, path: string): void {
  let size = 0;
  for (const id of tokenizerIds) size = Math.max(size, id + 1);
  if (size > vocabSize) {
    throw new ModelFolderError(path, `tokenizer has ${size} ids but config.json vocab_size is ${vocabSize}; the tokenizer does not belong to this model`);
  }
}

/**
 * The folder's tokenizer, built by the host's tokenizer library (which stays out of the engine):
 * `build(tokenizer.json, tokenizer_config.json or {})`, then every id it knows (`ids`) is checked
 * against the config's vocab_size. Errors name tokenizer.json.
 */
export function buildTokenizer<T>(
  folder: ModelFolder,
  build: (tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>) => T,
  ids: (tokenizer: T) => Iterable<number>,
): T {
  const where = folder.path(TOKENIZER);
  if (folder.tokenizerJson === null) throw new ModelFolderError(where, 'no tokenizer.json in the model folder (needed to encode text)');
  if (!isRecord(folder.tokenizerJson)) throw new ModelFolderError(where, 'tokenizer.json must be a JSON object');
  const tokConfig = isRecord(folder.tokenizerConfigJson) ? folder.tokenizerConfigJson : {};
  let tok: T;
  try {
    tok = build(folder.tokenizerJson, tokConfig);
  } catch (e) {
    throw new ModelFolderError(where, `cannot build the tokenizer: ${messageOf(e)}`, { cause: e });
  }
  checkTokenizerVocab(folder.config.vocabSize, ids(tok), where);
  return tok;
}
