// The preload (sandboxed, CommonJS once bundled): exposes `window.api`, one function per invoke
// channel of the IPC contract, onCommand for menu:command events and pathForFile for drops — and
// nothing else, never ipcRenderer itself. Types only from contract.ts, so zod is not bundled here;
// main validates every argument.
//
// No function here passes a renderer-supplied path to a channel that opens a folder: openDropped
// takes a File and sends only the path webUtils.getPathForFile derives from it (which is '' for a
// File page script built), and openRecent sends an index into main's own recent list.

import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { CHANNEL, EVENT, isMenuCommand, type Channel } from '../ipc/channels.js';
import type { Api, MenuCommand, PickedFolder, Response, Result } from '../ipc/contract.js';

function invoke<C extends Channel>(channel: C, ...args: unknown[]): Promise<Result<Response<C>>> {
  // Trailing undefined arguments (optional offset/length) are left off.
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return ipcRenderer.invoke(channel, ...args) as Promise<Result<Response<C>>>;
}

/** The on-disk path of a File the user dropped or picked; '' for anything else (not a File, not on disk). */
function diskPath(file: unknown): string {
  try {
    const path = webUtils.getPathForFile(file as File);
    return typeof path === 'string' ? path : '';
  } catch {
    return '';
  }
}

/** folder:drop with the path derived here from `file`, never with a string from the page. */
function openDropped(file: File): Promise<Result<PickedFolder>> {
  const path = diskPath(file);
  if (path === '') {
    return Promise.resolve({ ok: false, error: { name: 'NotOnDisk', message: `${CHANNEL.openDropped}: not a dropped file or folder on disk` } });
  }
  return invoke(CHANNEL.openDropped, path);
}

export const api: Api = {
  version: () => invoke(CHANNEL.version),
  pickFolder: () => invoke(CHANNEL.pickFolder),
  openDropped: (file) => openDropped(file),
  openRecent: (index) => invoke(CHANNEL.openRecent, index),
  folderSize: (folder, file) => invoke(CHANNEL.folderSize, folder, file),
  readFile: (folder, file, offset, length) => invoke(CHANNEL.readFile, folder, file, offset, length),
  saveFile: (suggestedName, bytes, filters) => invoke(CHANNEL.saveFile, suggestedName, bytes, filters),
  openFile: (filters) => invoke(CHANNEL.openFile, filters),
  getSettings: () => invoke(CHANNEL.getSettings),
  setSettings: (patch) => invoke(CHANNEL.setSettings, patch),
  onCommand: (listener) => {
    const wrapped = (_event: IpcRendererEvent, payload: unknown): void => {
      if (isMenuCommand(payload)) listener(payload as MenuCommand);
    };
    ipcRenderer.on(EVENT.command, wrapped);
    return () => {
      ipcRenderer.removeListener(EVENT.command, wrapped);
    };
  },
  pathForFile: (file) => diskPath(file),
};

contextBridge.exposeInMainWorld('api', api);
