// Node reader for a Hugging Face style model folder (spec §4): config.json, model.safetensors or
// shards + model.safetensors.index.json, tokenizer.json. Weights stream one tensor at a time by byte
// range from open file handles (never a whole file in memory); fla's fused MLP is exposed split.

import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  ConfigError,
  ReglaError,
  decodeTensor,
  parseConfig,
  parseHeader,
  readHeaderLength,
  type ModelConfig,
  type StTensorInfo,
  type WeightSource,
} from '../../shaders/index.js';

/** The folder or one of its files is missing or malformed; `path` is the file concerned. */
export class ModelFolderError extends ReglaError {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

export interface ModelFolder {
  dir: string;
  config: ModelConfig;
  /** config.json as read (before normalization). */
  rawConfig: Record<string, unknown>;
  source: WeightSource;
  /** Parsed tokenizer.json, or null when the folder has none. */
  tokenizerJson: unknown;
  /** Every file read or held open. */
  files: string[];
  /** Bytes of the weight files on disk. */
  weightBytes: number;
  close(): Promise<void>;
}

interface Located {
  file: string;
  handle: FileHandle;
  info: StTensorInfo;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ModelFolderError(path, `cannot read ${what}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelFolderError(path, `${what} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

async function readExactly(h: FileHandle, begin: number, length: number, path: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await h.read(buf, done, length - done, begin + done);
    if (bytesRead === 0) throw new ModelFolderError(path, `file ended at byte ${begin + done}, expected ${begin + length}`);
    done += bytesRead;
  }
  return buf;
}

async function openShard(path: string): Promise<{ handle: FileHandle; tensors: StTensorInfo[]; size: number }> {
  const handle = await open(path, 'r').catch((e: unknown) => {
    throw new ModelFolderError(path, `cannot open weights file: ${(e as Error).message}`, { cause: e });
  });
  try {
    const size = (await handle.stat()).size;
    const first8 = await readExactly(handle, 0, Math.min(8, size), path);
    const n = readHeaderLength(first8, size, path);
    const header = parseHeader(await readExactly(handle, 8, n, path), size, path);
    return { handle, tensors: header.tensors, size };
  } catch (e) {
    await handle.close();
    throw e;
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

function makeSource(tensors: Map<string, Located>): WeightSource {
  return {
    names: () => tensors.keys(),
    shape: (name) => tensors.get(name)?.info.shape,
    read: async (name) => {
      const t = tensors.get(name);
      if (!t) throw new ModelFolderError('(weights)', `no tensor named ${name}`);
      const bytes = await readExactly(t.handle, t.info.begin, t.info.end - t.info.begin, t.file);
      return decodeTensor(t.info, bytes, t.file);
    },
  };
}

export async function openModelFolder(dir: string): Promise<ModelFolder> {
  let dirStat;
  try {
    dirStat = await stat(dir);
  } catch {
    throw new ModelFolderError(dir, 'model folder does not exist');
  }
  if (!dirStat.isDirectory()) throw new ModelFolderError(dir, 'is not a folder (expected a model folder with config.json)');

  const configPath = join(dir, 'config.json');
  if (!(await exists(configPath))) throw new ModelFolderError(configPath, 'no config.json in the model folder');
  const rawConfig = await readJson(configPath, 'config.json');
  if (!isRecord(rawConfig)) throw new ModelFolderError(configPath, 'config.json must be a JSON object');
  let config: ModelConfig;
  try {
    config = parseConfig(rawConfig);
  } catch (e) {
    if (e instanceof ConfigError) {
      const detail = e.message.startsWith(`config.${e.field}: `) ? e.message.slice(`config.${e.field}: `.length) : e.message;
      throw new ConfigError(e.field, `${detail} (in ${configPath})`);
    }
    throw e;
  }

  const files = [configPath];
  const handles: FileHandle[] = [];
  const closeAll = async (): Promise<void> => {
    const hs = handles.splice(0);
    await Promise.all(hs.map((h) => h.close()));
  };
  const tensors = new Map<string, Located>();
  let weightBytes = 0;
  try {
    const single = join(dir, 'model.safetensors');
    const indexPath = join(dir, 'model.safetensors.index.json');
    if (await exists(single)) {
      const { handle, tensors: list, size } = await openShard(single);
      handles.push(handle);
      files.push(single);
      weightBytes += size;
      for (const info of list) tensors.set(info.name, { file: single, handle, info });
    } else if (await exists(indexPath)) {
      files.push(indexPath);
      const index = await readJson(indexPath, 'the safetensors index');
      const weightMap = isRecord(index) ? index['weight_map'] : undefined;
      if (!isRecord(weightMap)) throw new ModelFolderError(indexPath, 'must be an object with a "weight_map" of tensor name → shard file');
      const byFile = new Map<string, string[]>();
      for (const [name, file] of Object.entries(weightMap)) {
        if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) {
          throw new ModelFolderError(indexPath, `weight_map["${name}"] must be a file name in the folder, got ${JSON.stringify(file)}`);
        }
        const names = byFile.get(file) ?? [];
        names.push(name);
        byFile.set(file, names);
      }
      for (const [file, names] of byFile) {
        const path = join(dir, file);
        if (!(await exists(path))) throw new ModelFolderError(path, `shard listed in ${indexPath} is missing`);
        const { handle, tensors: list, size } = await openShard(path);
        handles.push(handle);
        files.push(path);
        weightBytes += size;
        const inShard = new Map(list.map((i) => [i.name, i]));
        for (const name of names) {
          const info = inShard.get(name);
          if (!info) throw new ModelFolderError(path, `tensor ${name} is listed in ${indexPath} but not in this shard`);
          tensors.set(name, { file: path, handle, info });
        }
      }
    } else {
      throw new ModelFolderError(dir, 'no weights: expected model.safetensors or model.safetensors.index.json');
    }
  } catch (e) {
    await closeAll();
    throw e;
  }

  const located = config.modelType === 'gla' ? flaAliases(tensors) : tensors;
  const tokenizerPath = join(dir, 'tokenizer.json');
  let tokenizerJson: unknown = null;
  if (await exists(tokenizerPath)) {
    try {
      tokenizerJson = await readJson(tokenizerPath, 'tokenizer.json');
    } catch (e) {
      await closeAll();
      throw e;
    }
    files.push(tokenizerPath);
  }
  return { dir, config, rawConfig, source: makeSource(located), tokenizerJson, files, weightBytes, close: closeAll };
}

/** Builds the folder's tokenizer; every id it can produce must fit the model's vocabulary. */
export async function loadTokenizer(folder: ModelFolder): Promise<Tokenizer> {
  const path = join(folder.dir, 'tokenizer.json');
  if (folder.tokenizerJson === null) throw new ModelFolderError(path, 'no tokenizer.json in the model folder (needed to encode text)');
  if (!isRecord(folder.tokenizerJson)) throw new ModelFolderError(path, 'tokenizer.json must be a JSON object');
  const configPath = join(folder.dir, 'tokenizer_config.json');
  const tokConfig = (await exists(configPath)) ? await readJson(configPath, 'tokenizer_config.json') : {};
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(folder.tokenizerJson, isRecord(tokConfig) ? tokConfig : {});
  } catch (e) {
    throw new ModelFolderError(path, `cannot build the tokenizer: ${(e as Error).message}`, { cause: e });
  }
  let size = 0;
  for (const id of tok.get_vocab(true).values()) size = Math.max(size, id + 1);
  if (size > folder.config.vocabSize) {
    throw new ModelFolderError(
      path,
      `tokenizer has ${size} ids but config.json vocab_size is ${folder.config.vocabSize}; the tokenizer does not belong to this model`,
    );
  }
  return tok;
}
