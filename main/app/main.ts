// Electron's main process: Chromium switches before `ready`, the app:// protocol serving the built
// renderer, the single-instance lock, the IPC handlers from the contract, and the one function
// that creates a hardened window. Everything static lives in electron.config.ts.

import { app, BrowserWindow, ipcMain, net, protocol } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  CSP,
  PRELOAD_FILE,
  RENDERER_DIR,
  SCHEME,
  START_URL,
  WINDOW,
  switchesFor,
} from '../../electron.config.js';
import { CHANNEL, type VersionInfo } from '../ipc/contract.js';
import { makeHandler } from '../ipc/handle.js';
import { resolveAppUrl } from './serve.js';

// Both must happen before `ready`.
for (const [name, value] of switchesFor(process.platform)) {
  if (value === undefined) app.commandLine.appendSwitch(name);
  else app.commandLine.appendSwitch(name, value);
}
protocol.registerSchemesAsPrivileged([SCHEME]);

let mainWindow: BrowserWindow | null = null;

/** The one place a window is made: sandboxed, isolated, no Node, no navigation, no popups. */
function createWindow(root: string): BrowserWindow {
  const win = new BrowserWindow({
    ...WINDOW,
    webPreferences: { ...WINDOW.webPreferences, preload: join(root, PRELOAD_FILE) },
  });
  const contents = win.webContents;
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // No page of ours needs camera, notifications, USB...: refuse every permission.
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(START_URL);
  return win;
}

/** app://regla/... → files under dist/renderer, each with the CSP header. */
function serveRenderer(root: string): void {
  const dir = join(root, RENDERER_DIR);
  protocol.handle(APP_SCHEME, async (request) => {
    const hit = request.method === 'GET' || request.method === 'HEAD' ? resolveAppUrl(request.url, dir, APP_SCHEME, APP_HOST) : null;
    if (!hit) return new Response('not found', { status: 404 });
    try {
      const file = await net.fetch(pathToFileURL(hit.file).toString());
      if (!file.ok) return new Response('not found', { status: 404 });
      return new Response(file.body, {
        status: 200,
        headers: { 'content-type': hit.type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

function versionInfo(): VersionInfo {
  return {
    app: app.getVersion(),
    electron: process.versions.electron,
    chrome: process.versions.chrome,
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
  };
}

function start(): void {
  const root = app.getAppPath();
  serveRenderer(root);
  ipcMain.handle(CHANNEL.version, makeHandler(CHANNEL.version, versionInfo, APP_ORIGIN));
  mainWindow = createWindow(root);
  app.on('activate', () => {
    mainWindow ??= createWindow(root);
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => {
      console.error('ReGLA Studio failed to start:', e);
      app.exit(1);
    });
}
