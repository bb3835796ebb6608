// What each IPC channel does, without Electron: main.ts passes the dialogs, the settings store and
// the allowlist in, makeHandler (main/ipc/handle.ts) wraps each one with the origin check, zod
// validation and the Result envelope. Node tests drive these with fake dialogs.

import { basename, dirname, join } from 'node:path';
import type { Channel, FileFilter, VersionInfo } from '../ipc/contract.js';
import type { Implementation } from '../ipc/handle.js';
import { modelDir, NamedError, readWholeFile, safeFileName, writeFileAtomic, type FolderAllowlist } from './files.js';
import { addRecent, type SettingsStore } from './settings.js';

export interface HandlerDeps {
  folders: FolderAllowlist;
  settings: SettingsStore;
  version(): VersionInfo;
  /** The native open-directory dialog: the chosen folder, or null when cancelled. */
  chooseDirectory(): Promise<string | null>;
  /** The native save dialog, starting at `defaultPath`: the chosen file, or null when cancelled. */
  chooseSavePath(defaultPath: string, filters: FileFilter[]): Promise<string | null>;
  /** The native open dialog for one file: the chosen file, or null when cancelled. */
  chooseOpenPath(filters: FileFilter[]): Promise<string | null>;
  /** Where the first save dialog starts (the user's Downloads folder). */
  defaultSaveDir: string;
  /** Called after the recent list changed (main rebuilds the menu). */
  recentChanged(recent: readonly string[]): void;
}

export type Implementations = { [C in Channel]: Implementation<C> };

export function implementations(deps: HandlerDeps): Implementations {
  let saveDir = deps.defaultSaveDir;

  /** Validates a model folder, allows it for reading and puts it first in the recent list. */
  const open = async (path: string) => {
    const folder = await modelDir(path);
    deps.folders.add(folder.path);
    const s = await deps.settings.update((s) => ({ ...s, recent: addRecent(s.recent, folder.path) }));
    deps.recentChanged(s.recent);
    return folder;
  };

  return {
    'app:version': () => deps.version(),
    'folder:pick': async () => {
      const dir = await deps.chooseDirectory();
      return dir === null ? null : open(dir);
    },
    // Called by the preload only, with the path it derived from a dropped File (see preload.ts).
    'folder:drop': (path) => open(path),
    // Resolved against main's own list: the renderer names an entry, never a path.
    'folder:recent': (index) => {
      const recent = deps.settings.current.recent;
      const path = recent[index];
      if (path === undefined) throw new NamedError('NoSuchRecent', `no recent folder ${index + 1} (there are ${recent.length})`);
      return open(path);
    },
    'folder:size': (folder, file) => deps.folders.size(folder, file),
    'folder:read': (folder, file, offset, length) => deps.folders.read(folder, file, offset, length),
    'file:save': async (suggestedName, bytes, filters) => {
      const path = await deps.chooseSavePath(join(saveDir, safeFileName(suggestedName)), filters);
      if (path === null) return null;
      await writeFileAtomic(path, bytes);
      saveDir = dirname(path);
      return path;
    },
    // The renderer learns the file's name, never its path; the size cap is checked before reading.
    'file:open': async (filters) => {
      const path = await deps.chooseOpenPath(filters);
      if (path === null) return null;
      return { name: basename(path), bytes: await readWholeFile(path) };
    },
    'settings:get': () => deps.settings.current,
    'settings:set': (patch) => deps.settings.patch(patch),
  };
}
