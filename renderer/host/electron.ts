// The Electron host: the same renderer as the web host, with the preload's `window.api` behind
// Host. Bundled samples come over app://regla/samples/ exactly as over HTTP (passed in from the
// web host); folders the user picks, drops or reopens are read through main (folder:size /
// folder:read, which only serve folders main has allowed); exports go through a save dialog and
// an atomic write (file:save); menu commands arrive through onCommand. Opening a folder never
// sends main a path: a drop hands the File to the preload (openDropped), Open Recent an index.

import type { Api, FileFilter, MenuCommand, PickedFolder, Result, Settings, SettingsPatch } from '../../main/ipc/contract.js';
import type { FolderReader } from '../../shaders/index.js';
import { fileListFolder } from './folder.js';
import type { Host } from './host.js';

/**
 * Bytes asked of main per folder:read; must not exceed the contract's MAX_READ_BYTES (a test
 * checks). Larger reads (a big embedding) are split and joined here.
 */
export const READ_CHUNK = 64 * 1024 * 1024;

/** A failure reported by main, under the name it gave (ForbiddenFolder, NotAModelFolder, ...). */
export class HostError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new HostError(r.error.name, r.error.message);
}

function joinPath(dir: string, file: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return `${dir.replace(/[\\/]+$/, '')}${sep}${file}`;
}

/** The last component of a path ('' for none). */
export function baseName(path: string): string {
  return path.split(/[\\/]+/).filter((p) => p !== '').pop() ?? '';
}

/** A folder main has allowed (picked or opened), read over IPC in chunks of at most `chunk` bytes. */
export function ipcFolder(api: Api, folder: PickedFolder, chunk = READ_CHUNK): FolderReader {
  const size = async (file: string): Promise<number | null> => unwrap(await api.folderSize(folder.path, file));
  return {
    name: folder.name,
    path: (file) => joinPath(folder.path, file),
    size,
    async read(file, offset, length) {
      const start = offset ?? 0;
      let total = length;
      if (total === undefined) {
        const s = await size(file);
        if (s === null) throw new HostError('NoSuchFile', `${joinPath(folder.path, file)} does not exist`);
        total = Math.max(0, s - start);
      }
      if (total <= chunk) return unwrap(await api.readFile(folder.path, file, start, total));
      const out = new Uint8Array(total);
      let got = 0;
      while (got < total) {
        const part = unwrap(await api.readFile(folder.path, file, start + got, Math.min(chunk, total - got)));
        out.set(part, got);
        got += part.length;
        if (part.length === 0) break; // the file ended first: the engine reports it as truncated
      }
      return got === total ? out : out.subarray(0, got);
    },
  };
}

/**
 * A dropped folder whose opening (openDropped → folder:drop) is under way: `name` is known at
 * once (from the File's path, shown only), every read waits for main's answer and fails with its
 * error (e.g. NotAModelFolder).
 */
function openingFolder(api: Api, file: File, path: string, chunk: number): FolderReader {
  const opened = api.openDropped(file).then((r) => ipcFolder(api, unwrap(r), chunk));
  opened.catch(() => undefined); // reported by the first read, not as an unhandled rejection
  const last = baseName(path);
  // A dropped file (config.json, a shard) opens its folder: name the folder.
  const name = /\.(json|safetensors)$/i.test(last) ? baseName(path.slice(0, path.length - last.length)) || last : last || path;
  return {
    name,
    path: (file) => joinPath(path, file),
    size: async (file) => (await opened).size(file),
    read: async (file, offset, length) => (await opened).read(file, offset, length),
  };
}

/** A save dialog filter from a file name's extension ('trace.json' → JSON). */
export function filtersFor(name: string): FileFilter[] {
  const ext = /\.([A-Za-z0-9]{1,16})$/.exec(name)?.[1];
  return ext ? [{ name: `${ext.toUpperCase()} file`, extensions: [ext.toLowerCase()] }] : [];
}

/**
 * The Electron host over the preload's api. `samples` lists and opens the bundled samples (the
 * web host's, which app:// serves at the same relative URLs).
 */
export function electronHost(api: Api, samples: Pick<Host, 'listSamples' | 'sampleFolder'>, options: { chunk?: number } = {}): Host {
  const chunk = options.chunk ?? READ_CHUNK;
  return {
    kind: 'electron',
    listSamples: () => samples.listSamples(),
    sampleFolder: (entry) => samples.sampleFolder(entry),
    pickFolder: async () => {
      const picked = unwrap(await api.pickFolder());
      return picked ? ipcFolder(api, picked, chunk) : null;
    },
    droppedFolder: (files) => {
      const first = files[0];
      const path = first ? api.pathForFile(first) : '';
      // Files not on disk (dragged from another app) are read in the page, as in a browser.
      return first && path ? openingFolder(api, first, path, chunk) : fileListFolder(files);
    },
    save: async (name, data) => {
      unwrap(await api.saveFile(name, new Uint8Array(await data.arrayBuffer()), filtersFor(name)));
    },
    openFile: async (type) => unwrap(await api.openFile([{ name: type.name, extensions: type.extensions }])),
    openRecent: async (index) => ipcFolder(api, unwrap(await api.openRecent(index)), chunk),
    onCommand: (listener: (command: MenuCommand) => void) => api.onCommand(listener),
    getSettings: async (): Promise<Settings> => unwrap(await api.getSettings()),
    setSettings: async (patch: SettingsPatch): Promise<Settings> => unwrap(await api.setSettings(patch)),
  };
}
