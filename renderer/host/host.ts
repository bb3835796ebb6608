// The renderer's only door to its host (Netron's idea): navigator.gpu (→ the engine's GpuContext),
// model folders (bundled samples over HTTP, folders the user picks or drops), saving exports, and,
// inside Electron, the preload's `window.api`. Two implementations of Host: web and Electron; the
// rest of the renderer never touches either directly.

import type { Api, MenuCommand, Settings, SettingsPatch } from '../../main/ipc/contract.js';
import { GpuContext, type FolderReader } from '../../shaders/index.js';
import { electronHost } from './electron.js';
import { fileListFolder, httpFolder } from './folder.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a plain browser. */
    readonly api?: Api;
  }
}

export function electronApi(): Api | undefined {
  return window.api;
}

export class NoWebGpuError extends Error {
  override readonly name = 'NoWebGpuError';
}

/** Opens the engine on this page's WebGPU adapter. */
export async function openGpu(): Promise<GpuContext> {
  if (!('gpu' in navigator)) {
    throw new NoWebGpuError('this browser has no WebGPU (navigator.gpu is missing); Chromium needs --enable-unsafe-webgpu on Linux');
  }
  return GpuContext.create(navigator.gpu, { label: 'renderer' });
}

/** One entry of samples/models/index.json (written by samples/train/report.py --index). */
export interface SampleEntry {
  name: string;
  path: string;
  about: string;
  model_type: string;
  parameters: number;
  train_tokens: number;
  golden_perplexity: number;
}

export interface Host {
  readonly kind: 'web' | 'electron';
  /** The bundled samples (empty when the host has none). */
  listSamples(): Promise<SampleEntry[]>;
  /** A bundled sample's folder. */
  sampleFolder(entry: SampleEntry): FolderReader;
  /** Asks the user for a model folder; null when cancelled. */
  pickFolder(): Promise<FolderReader | null>;
  /** A folder dropped on the window. */
  droppedFolder(files: File[]): FolderReader;
  /** Saves an export (a download in the browser, a save dialog in Electron). */
  save(name: string, data: Blob): Promise<void>;
  /**
   * Asks the user for one file of the given type (a session bundle): its name and bytes, or null
   * when cancelled (<input type=file> in the browser, an open dialog in Electron).
   */
  openFile(type: FileType): Promise<OpenedFile | null>;
  // Electron only (undefined in the browser):
  /** Reopens entry `index` of main's recent list (File → Open Recent sends 'recent.<index>'). */
  openRecent?(index: number): Promise<FolderReader>;
  /** Menu commands ('model.open', 'recent.<i>', 'export.trace', 'palette', 'help', ...); returns the unsubscribe. */
  onCommand?(listener: (command: MenuCommand) => void): () => void;
  /** Persisted settings (recent folders, window state, last model, panel). */
  getSettings?(): Promise<Settings>;
  /** Persists the renderer's fields (last model, panel). */
  setSettings?(patch: SettingsPatch): Promise<Settings>;
}

/** A file type to offer in an open dialog: 'ReGLA session', ['reglasession']. */
export interface FileType {
  name: string;
  extensions: string[];
}

export interface OpenedFile {
  name: string;
  bytes: Uint8Array;
}

/** One file chosen with <input type=file>, or null when cancelled. */
function chooseFile(type: FileType): Promise<File | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = type.extensions.map((e) => `.${e}`).join(',');
    input.addEventListener('change', () => resolve(input.files?.[0] ?? null), { once: true });
    input.addEventListener('cancel', () => resolve(null), { once: true });
    input.click();
  });
}

/** Where the page finds the bundled samples: beside it (web host and app:// both serve them there). */
const SAMPLES = './samples';

async function listSamplesOver(base: string): Promise<SampleEntry[]> {
  const r = await fetch(`${base}/index.json`);
  if (!r.ok) return [];
  const j = (await r.json()) as { models?: SampleEntry[] };
  return Array.isArray(j.models) ? j.models : [];
}

/** Files chosen with a directory picker (<input webkitdirectory>), or null when cancelled. */
function chooseDirectory(): Promise<File[] | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.webkitdirectory = true;
    input.multiple = true;
    input.addEventListener('change', () => resolve(input.files && input.files.length > 0 ? Array.from(input.files) : null), { once: true });
    input.addEventListener('cancel', () => resolve(null), { once: true });
    input.click();
  });
}

function download(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The plain-browser host (npm run web, and npm start where Electron is missing). */
export function webHost(base = SAMPLES): Host {
  return {
    kind: 'web',
    listSamples: () => listSamplesOver(base),
    sampleFolder: (entry) => httpFolder(`${base}/${entry.path}/`),
    pickFolder: async () => {
      const files = await chooseDirectory();
      return files ? fileListFolder(files) : null;
    },
    droppedFolder: (files) => fileListFolder(files),
    save: async (name, data) => download(name, data),
    openFile: async (type) => {
      const file = await chooseFile(type);
      return file ? { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) } : null;
    },
  };
}

/** The host this page runs in. */
export function currentHost(): Host {
  const api = electronApi();
  return api ? electronHost(api, webHost()) : webHost();
}
