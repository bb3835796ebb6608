// The desktop app's static configuration: window defaults, the app:// protocol, the Content
// Security Policy and the Chromium switches set before `ready`. Plain data (electron is only
// imported for types) so Node tests can check it without Electron.

import type { BrowserWindowConstructorOptions, CustomScheme } from 'electron';

/** The renderer is served from app://<host>/..., never file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'regla';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const START_URL = `${APP_ORIGIN}/index.html`;

/** Built renderer and preload, relative to the app root (package.json's folder). */
export const RENDERER_DIR = 'dist/renderer';
export const PRELOAD_FILE = 'dist/main/preload/preload.cjs';

/** The bundled sample models (relative to the app root), served at app://regla/samples/. */
export const SAMPLES_DIR = 'samples/models';
export const SAMPLES_PREFIX = '/samples/';

/** Settings file, in app.getPath('userData'). */
export const SETTINGS_FILE = 'settings.json';

/**
 * `standard` gives the scheme an origin (so 'self' in the CSP means app://regla) and `secure`
 * makes it a secure context, which WebGPU requires.
 */
export const SCHEME: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

/** Sent as a header on every app:// response and repeated in index.html's meta tag. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export type Switch = readonly [name: string, value?: string];

/**
 * Chromium switches, appended before `ready`. WebGPU is still behind a flag on Linux; the
 * developer-features switch and the Dawn toggle both turn off timestamp quantization (65,536 ns
 * buckets by default), which per-kernel timings need.
 */
export const SWITCHES: ReadonlyArray<Switch> = [
  ['enable-unsafe-webgpu'],
  ['enable-webgpu-developer-features'],
  ['disable-dawn-features', 'timestamp_quantization'],
];

/** Chromium on Linux reaches WebGPU on a real GPU only through its Vulkan feature. */
const PLATFORM_SWITCHES: Readonly<Record<string, ReadonlyArray<Switch>>> = {
  linux: [['enable-features', 'Vulkan']],
};

/** Every switch main.ts appends on `platform` (process.platform). */
export function switchesFor(platform: string): ReadonlyArray<Switch> {
  return [...SWITCHES, ...(PLATFORM_SWITCHES[platform] ?? [])];
}

/** Hardened defaults; main.ts adds the preload path, which is only known at run time. */
export const WINDOW = {
  width: 1440,
  height: 900,
  minWidth: 800,
  minHeight: 560,
  title: 'ReGLA Studio',
  backgroundColor: '#0f1115',
  show: false,
  webPreferences: {
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  },
} as const satisfies BrowserWindowConstructorOptions;
