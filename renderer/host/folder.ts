// Model folders in the browser: FolderReaders over a URL (fetch with HTTP Range requests) and over
// File objects (<input webkitdirectory>, drag-and-drop), for the engine's openModelFolder, which
// owns the format (config.json, safetensors or shards + index, tokenizer.json) and its errors.

import { Tokenizer } from '@huggingface/tokenizers';
import { buildTokenizer, type FolderReader, type ModelFolder } from '../../shaders/index.js';

/**
 * A folder served over HTTP(S): `${baseUrl}/config.json`, … Sizes come from HEAD (404 → absent),
 * byte ranges from `Range: bytes=a-b` (a server that answers 200 with the whole file is sliced).
 * `init.fetch` replaces the global fetch (tests, auth headers).
 */
export function httpFolder(baseUrl: string, init: { fetch?: typeof fetch } = {}): FolderReader {
  const doFetch = init.fetch ?? ((input: RequestInfo | URL, req?: RequestInit) => fetch(input, req));
  const base = baseUrl.replace(/\/+$/, '');
  const url = (file: string): string => `${base}/${file.split('/').map(encodeURIComponent).join('/')}`;
  const failed = (file: string, r: Response): Error => new Error(`HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''} for ${url(file)}`);
  return {
    name: base,
    path: url,
    async size(file) {
      const r = await doFetch(url(file), { method: 'HEAD' });
      if (r.status === 404 || r.status === 410) return null;
      if (!r.ok) throw failed(file, r);
      const length = r.headers.get('content-length');
      // A length describes the bytes on the wire: ignore it when the server compresses them.
      if (length !== null && !r.headers.get('content-encoding')) return Number(length);
      // No usable length: ask for the first byte and read the total from Content-Range.
      const g = await doFetch(url(file), { headers: { Range: 'bytes=0-0' } });
      const total = /\/(\d+)$/.exec(g.headers.get('content-range') ?? '');
      if (g.status === 206 && total) {
        await g.body?.cancel();
        return Number(total[1]);
      }
      if (g.status === 416) return 0;
      if (!g.ok) throw failed(file, g);
      return (await g.arrayBuffer()).byteLength;
    },
    async read(file, offset, length) {
      if (offset === undefined) {
        const r = await doFetch(url(file));
        if (!r.ok) throw failed(file, r);
        return new Uint8Array(await r.arrayBuffer());
      }
      if (length === 0) return new Uint8Array(0);
      const range = length === undefined ? `bytes=${offset}-` : `bytes=${offset}-${offset + length - 1}`;
      const r = await doFetch(url(file), { headers: { Range: range } });
      if (r.status === 416) return new Uint8Array(0); // the range starts past the end: the engine names the file truncated
      if (!r.ok) throw failed(file, r);
      const bytes = new Uint8Array(await r.arrayBuffer());
      if (r.status === 206) return bytes;
      // 200: the server ignored Range and sent the whole file.
      return bytes.subarray(offset, length === undefined ? undefined : offset + length);
    },
  };
}

/**
 * A folder picked with <input webkitdirectory> or dropped: files are named by webkitRelativePath
 * without its top folder ('regla/config.json' → 'config.json'), or by their name where that is
 * empty. `name` defaults to the top folder.
 */
export function fileListFolder(files: Iterable<File>, name?: string): FolderReader {
  const byPath = new Map<string, File>();
  let top: string | undefined;
  for (const f of files) {
    const rel = (f.webkitRelativePath || '').split('/').filter((p) => p !== '');
    if (rel.length > 1) {
      top ??= rel[0];
      byPath.set(rel.slice(1).join('/'), f);
    } else byPath.set(f.name, f);
  }
  return {
    name: name ?? top ?? 'model folder',
    size: async (file) => byPath.get(file)?.size ?? null,
    async read(file, offset, length) {
      const f = byPath.get(file);
      if (!f) throw new Error(`no file ${file} among the files given`);
      const blob = offset === undefined ? f : f.slice(offset, length === undefined ? undefined : offset + length);
      return new Uint8Array(await blob.arrayBuffer());
    },
  };
}

/**
 * The folder's tokenizer; every id it can produce must fit the model's vocab_size (errors name
 * tokenizer.json). openModelFolder has already read tokenizer.json and tokenizer_config.json, so
 * the folder's reader is not needed; `_reader` is accepted only for callers that pass it.
 */
export async function loadTokenizerFromFolder(folder: ModelFolder, _reader?: FolderReader): Promise<Tokenizer> {
  return buildTokenizer(
    folder,
    (json, config) => new Tokenizer(json, config),
    (tok) => tok.get_vocab(true).values(),
  );
}

// ------------------------------------------------------------------------------ content hash

/** One file of a model folder as hashed. */
export interface FileHash {
  file: string;
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

/**
 * What identifies a model's content (session bundles record it and check it on open): SHA-256 of
 * config.json, the weight files (model.safetensors, or the index and every shard it lists), and
 * tokenizer.json / tokenizer_config.json where present, as this host reads them. A file over
 * `chunkBytes` is hashed by parts (SHA-256 over the concatenated SHA-256s of its chunks), so a
 * large model never has to sit in memory whole; files up to that size hash exactly as sha256sum.
 */
export interface ModelHash {
  algorithm: 'sha256';
  chunkBytes: number;
  files: FileHash[];
  /** SHA-256 of the lines `file\tbytes\tsha256\n`, in the order of `files`: the model's identity. */
  digest: string;
}

/** Files up to this size are hashed in one piece. */
export const HASH_CHUNK_BYTES = 64 * 1024 * 1024;

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(bytes: Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
}

async function hashFile(reader: FolderReader, file: string, size: number, chunk: number): Promise<FileHash> {
  if (size <= chunk) {
    const bytes = await reader.read(file);
    if (bytes.length !== size) throw new Error(`${file}: read ${bytes.length} bytes, expected ${size}`);
    return { file, bytes: size, sha256: hex(await sha256(bytes)) };
  }
  const parts = new Uint8Array(32 * Math.ceil(size / chunk));
  for (let off = 0, i = 0; off < size; off += chunk, i++) {
    const n = Math.min(chunk, size - off);
    const bytes = await reader.read(file, off, n);
    if (bytes.length !== n) throw new Error(`${file}: file ended at byte ${off + bytes.length}, expected ${size}`);
    parts.set(new Uint8Array(await sha256(bytes)), 32 * i);
  }
  return { file, bytes: size, sha256: hex(await sha256(parts)) };
}

/** The weight files a folder's index lists (sorted), or [] when it has none that parses. */
async function shardsOf(reader: FolderReader): Promise<string[]> {
  try {
    const index = JSON.parse(new TextDecoder().decode(await reader.read('model.safetensors.index.json'))) as { weight_map?: Record<string, unknown> };
    const files = Object.values(index.weight_map ?? {}).filter((f): f is string => typeof f === 'string');
    return [...new Set(files)].sort();
  } catch {
    return [];
  }
}

/** The model folder's ModelHash (reads every file it names once, `chunk` bytes at a time). */
export async function hashModelFolder(reader: FolderReader, chunk = HASH_CHUNK_BYTES): Promise<ModelHash> {
  const names = ['config.json'];
  if ((await reader.size('model.safetensors')) !== null) names.push('model.safetensors');
  else names.push('model.safetensors.index.json', ...(await shardsOf(reader)));
  names.push('tokenizer.json', 'tokenizer_config.json');
  const files: FileHash[] = [];
  for (const file of names) {
    const size = await reader.size(file);
    if (size === null) {
      if (file.startsWith('tokenizer')) continue;
      throw new Error(`cannot hash ${reader.name}: no ${file}`);
    }
    files.push(await hashFile(reader, file, size, chunk));
  }
  const lines = files.map((f) => `${f.file}\t${f.bytes}\t${f.sha256}\n`).join('');
  return { algorithm: 'sha256', chunkBytes: chunk, files, digest: hex(await sha256(new TextEncoder().encode(lines))) };
}
