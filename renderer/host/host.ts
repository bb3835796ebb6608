// The renderer's only door to its host: navigator.gpu (→ the engine's GpuContext) and, inside
// Electron, the preload's `window.api`. A plain browser has no `api`; callers handle both.

import type { Api } from '../../main/ipc/contract.js';
import { GpuContext } from '../../shaders/index.js';

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
