// The main process's file access for the renderer, without Electron (Node tests cover it): an
// allowlist of folders the user picked, dropped or reopened; plain file names only inside them;
// reads capped per call; and atomic writes (temp file in the same folder, fsync, rename) for
// exports and settings.

import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { MAX_OPEN_BYTES, MAX_READ_BYTES, type PickedFolder } from '../ipc/contract.js';

/** An error whose `name` crosses IPC (the Result envelope keeps name and message). */
export class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Windows device names a file may not be called (with any extension). */
const DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * Throws BadFileName unless `file` is one plain name: no separators ('/' or '\'), not '.' or
 * '..', no NUL or control characters, not a drive ('C:') or device name.
 */
export function checkFileName(file: string): string {
  const bad = (why: string): never => {
    throw new NamedError('BadFileName', `${JSON.stringify(file)} is not a plain file name (${why})`);
  };
  if (file === '' || file.length > 255) bad('empty or too long');
  if (file.includes('/') || file.includes('\\')) bad('contains a path separator');
  if (file === '.' || file === '..') bad('names a directory');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(file)) bad('contains a control character');
  if (file.includes(':')) bad('contains a colon');
  if (isAbsolute(file)) bad('is absolute');
  if (DEVICE.test(file)) bad('is a device name');
  return file;
}

/** Throws BadPath unless `path` is absolute and has no NUL. */
export function checkAbsolute(path: string): string {
  if (path.includes('\0') || !isAbsolute(path)) throw new NamedError('BadPath', `${JSON.stringify(path)} is not an absolute path`);
  return path;
}

const CONFIG = 'config.json';

/**
 * The model folder `path` names (a directory, or a file in one: a dropped config.json opens its
 * folder), canonical (symlinks resolved). Throws BadPath, NoSuchFolder or NotAModelFolder.
 */
export async function modelDir(path: string): Promise<PickedFolder> {
  checkAbsolute(path);
  const st = await stat(path).catch(() => null);
  if (!st) throw new NamedError('NoSuchFolder', `${path} does not exist (moved or deleted?)`);
  const dir = await realpath(st.isDirectory() ? path : dirname(path));
  const config = await stat(join(dir, CONFIG)).catch(() => null);
  if (!config?.isFile()) throw new NamedError('NotAModelFolder', `${dir} is not a model folder: it has no ${CONFIG}`);
  return { path: dir, name: basename(dir) || dir };
}

/** The folders the renderer may read, by canonical path; nothing else is reachable. */
export class FolderAllowlist {
  readonly #dirs = new Set<string>();

  add(dir: string): void {
    this.#dirs.add(checkAbsolute(dir));
  }

  has(dir: string): boolean {
    return this.#dirs.has(dir);
  }

  /** `folder/file` for an allowed folder and a plain name; throws ForbiddenFolder or BadFileName. */
  resolve(folder: string, file: string): string {
    if (!this.#dirs.has(folder)) throw new NamedError('ForbiddenFolder', `${folder} was not opened in this session (pick or drop it first)`);
    return join(folder, checkFileName(file));
  }

  /** The file's size; null when the folder has no such regular file. */
  async size(folder: string, file: string): Promise<number | null> {
    const st = await stat(this.resolve(folder, file)).catch(() => null);
    return st?.isFile() ? st.size : null;
  }

  /** `length` bytes from `offset` (to the end when absent); fewer only where the file ends first. */
  async read(folder: string, file: string, offset = 0, length?: number): Promise<Uint8Array> {
    return readSlice(this.resolve(folder, file), offset, length);
  }
}

/** Bytes [offset, offset + length) of a regular file, at most `cap`; ReadTooLarge beyond it. */
export async function readSlice(path: string, offset: number, length?: number, cap = MAX_READ_BYTES): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NamedError('NotAFile', `${path} is not a regular file`);
    const n = Math.max(0, Math.min(length ?? st.size - offset, st.size - offset));
    if (n > cap || (length ?? 0) > cap) {
      throw new NamedError('ReadTooLarge', `${path}: ${length ?? n} bytes asked in one read, at most ${cap} (read it in parts)`);
    }
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await fh.read(buf, got, n - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === n ? buf : buf.slice(0, got);
  } finally {
    await fh.close();
  }
}

/**
 * The whole of a regular file the user chose (file:open), at most `cap` bytes: FileTooLarge above
 * it (checked before anything is read), NoSuchFile, NotAFile.
 */
export async function readWholeFile(path: string, cap = MAX_OPEN_BYTES): Promise<Uint8Array> {
  checkAbsolute(path);
  const st = await stat(path).catch(() => null);
  if (!st) throw new NamedError('NoSuchFile', `${path} does not exist`);
  if (!st.isFile()) throw new NamedError('NotAFile', `${path} is not a regular file`);
  if (st.size > cap) throw new NamedError('FileTooLarge', `${path} is ${st.size} bytes; at most ${cap} can be opened`);
  const bytes = await readSlice(path, 0, st.size, cap);
  if (bytes.length !== st.size) throw new NamedError('FileChanged', `${path} changed while it was read (${bytes.length} of ${st.size} bytes)`);
  return bytes;
}

/** Test seam: runs after the data is written and synced, before the rename. */
export interface AtomicHooks {
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/**
 * Writes `data` to `target` so that readers see the old file or the new one, never a part: a
 * temp file beside it (same folder, same file system), fsync, rename over the target, then fsync
 * of the folder where the platform allows. On any failure the temp file is removed and the target
 * is untouched.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string, hooks: AtomicHooks = {}): Promise<void> {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const fh = await open(temp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await hooks.beforeRename?.(temp);
    await rename(temp, target);
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
  // The rename itself is durable once the folder's entry is on disk (not possible on Windows).
  if (process.platform !== 'win32') {
    const d = await open(dir, 'r').catch(() => null);
    if (d) await d.sync().catch(() => undefined).finally(() => d.close());
  }
}

/** A suggested file name made safe for a save dialog: a plain name, no reserved characters. */
export function safeFileName(name: string, fallback = 'export'): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f<>:"|?*/]/g, '_').replace(/^[.\s]+|[.\s]+$/g, '');
  return cleaned === '' || DEVICE.test(cleaned) ? fallback : cleaned.slice(0, 200);
}
