// The preload (sandboxed, CommonJS once bundled): exposes `window.api`, one function per invoke
// channel of the IPC contract, onCommand for menu:command events and pathForFile for drops — and
// nothing else, never ipcRenderer itself. Types only from contract.ts, so zod is not bundled here;
// main validates every argument.

import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { CHANNEL, EVENT, isMenuCommand, type Channel } from '../ipc/channels.js';
import type { Api, MenuCommand, Response, Result } from '../ipc/contract.js';

function invoke<C extends Channel>(channel: C, ...args: unknown[]): Promise<Result<Response<C>>> {
  // Trailing undefined arguments (optional offset/length) are left off.
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return ipcRenderer.invoke(channel, ...args) as Promise<Result<Response<C>>>;
}

export const api: Api = {
  version: () => invoke(CHANNEL.version),
  pickFolder: () => invoke(CHANNEL.pickFolder),
  openFolder: (path) => invoke(CHANNEL.openFolder, path),
  folderSize: (folder, file) => invoke(CHANNEL.folderSize, folder, file),
  readFile: (folder, file, offset, length) => invoke(CHANNEL.readFile, folder, file, offset, length),
  saveFile: (suggestedName, bytes, filters) => invoke(CHANNEL.saveFile, suggestedName, bytes, filters),
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
  pathForFile: (file) => {
    try {
      return webUtils.getPathForFile(file);
    } catch {
      return '';
    }
  },
};

contextBridge.exposeInMainWorld('api', api);
