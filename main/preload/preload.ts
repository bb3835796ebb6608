// The preload (sandboxed, CommonJS once bundled): exposes `window.api`, one function per channel of
// the IPC contract, and nothing else — never ipcRenderer itself.

import { contextBridge, ipcRenderer } from 'electron';
import { CHANNEL } from '../ipc/channels.js';
import type { Api, Result, VersionInfo } from '../ipc/contract.js';

const api: Api = {
  version: () => ipcRenderer.invoke(CHANNEL.version) as Promise<Result<VersionInfo>>,
};

contextBridge.exposeInMainWorld('api', api);
