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
