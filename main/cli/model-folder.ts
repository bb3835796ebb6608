// The CLI's model folders: a Node FolderReader over a directory (file handles opened on first use,
// byte-range reads, closed with the folder) in front of the engine's openModelFolder, which owns
// everything else (spec §4: config.json, model.safetensors or shards + index, tokenizer.json).

import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  ModelFolderError,
  buildTokenizer,
  openModelFolder as openFolder,
  type FolderReader,
  type ModelFolder as EngineFolder,
} from '../../shaders/index.js';

export { ModelFolderError };

export interface ModelFolder extends EngineFolder {
  /** The directory as given. */
  dir: string;
}

const absent = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** A directory as a FolderReader; each file is opened once, on its first ranged read. */
export function nodeFolder(dir: string): FolderReader {
  const handles = new Map<string, Promise<FileHandle>>();
  const handle = (file: string): Promise<FileHandle> => {
    let h = handles.get(file);
    if (!h) {
      h = open(join(dir, file), 'r');
      handles.set(file, h);
      void h.catch(() => handles.delete(file));
    }
    return h;
  };
  return {
    name: dir,
    path: (file) => join(dir, file),
    async size(file) {
      try {
        const s = await stat(join(dir, file));
        return s.isFile() ? s.size : null;
      } catch (e) {
        if (absent(e)) return null;
        throw e;
      }
    },
    async read(file, offset, length) {
      if (offset === undefined) return readFile(join(dir, file));
      const h = await handle(file);
      const want = length ?? (await h.stat()).size - offset;
      const buf = new Uint8Array(Math.max(want, 0));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await h.read(buf, done, buf.length - done, offset + done);
        if (bytesRead === 0) return buf.subarray(0, done); // the file ended; the engine names it truncated
        done += bytesRead;
      }
      return buf;
    },
    async close() {
      const hs = [...handles.values()];
      handles.clear();
      await Promise.all(hs.map(async (h) => (await h.catch(() => null))?.close()));
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
  return { ...(await openFolder(nodeFolder(dir))), dir };
}

/** Builds the folder's tokenizer; every id it can produce must fit the model's vocabulary. */
export async function loadTokenizer(folder: ModelFolder): Promise<Tokenizer> {
  return buildTokenizer(
    folder,
    (json, config) => new Tokenizer(json, config),
    (tok) => tok.get_vocab(true).values(),
  );
}
