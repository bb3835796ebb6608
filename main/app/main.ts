// Electron's main process: Chromium switches before `ready`, the app:// protocol serving the built
// renderer and the bundled samples, the single-instance lock, the IPC handlers of the contract,
// the application menu, persisted settings and window state, and the one function that creates a
// hardened window. Static configuration lives in electron.config.ts; everything testable without
// Electron in files.ts, settings.ts, menu.ts, window-state.ts, serve.ts and handlers.ts.

import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, screen } from 'electron';
import { join } from 'node:path';
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  CSP,
  PRELOAD_FILE,
  RENDERER_DIR,
  SAMPLES_DIR,
  SAMPLES_PREFIX,
  SCHEME,
  SETTINGS_FILE,
  START_URL,
  WINDOW,
  switchesFor,
} from '../../electron.config.js';
import { isMenuCommand } from '../ipc/channels.js';
import { CHANNEL, EVENT, type Channel, type CommandId, type VersionInfo } from '../ipc/contract.js';
import { makeHandler } from '../ipc/handle.js';
import { FolderAllowlist } from './files.js';
import { implementations, type Implementations } from './handlers.js';
import { menuTemplate } from './menu.js';
import { fileResponse, resolveAppUrl, type Mount } from './serve.js';
import { SettingsStore } from './settings.js';
import { restoreBounds } from './window-state.js';

// Both must happen before `ready`.
for (const [name, value] of switchesFor(process.platform)) {
  if (value === undefined) app.commandLine.appendSwitch(name);
  else app.commandLine.appendSwitch(name, value);
}
protocol.registerSchemesAsPrivileged([SCHEME]);

let mainWindow: BrowserWindow | null = null;
let settings: SettingsStore | null = null;

/** Work areas of all displays, the primary first. */
function workAreas(): Electron.Rectangle[] {
  const primary = screen.getPrimaryDisplay();
  return [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map((d) => d.workArea);
}

/** Saves the window's normal bounds and maximized state (on close). */
function rememberBounds(win: BrowserWindow): void {
  if (!settings) return;
  const b = win.getNormalBounds();
  const window = { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height), maximized: win.isMaximized() };
  try {
    void settings.update((s) => ({ ...s, window })).catch(() => undefined);
  } catch (e) {
    console.warn('window state not saved:', e);
  }
}

/** The one place a window is made: sandboxed, isolated, no Node, no navigation, no popups. */
function createWindow(root: string): BrowserWindow {
  const b = restoreBounds(settings?.current.window ?? null, workAreas(), WINDOW);
  const win = new BrowserWindow({
    ...WINDOW,
    ...(b.x !== undefined && b.y !== undefined ? { x: b.x, y: b.y } : {}),
    width: b.width,
    height: b.height,
    webPreferences: { ...WINDOW.webPreferences, preload: join(root, PRELOAD_FILE) },
  });
  if (b.maximized) win.maximize();
  const contents = win.webContents;
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // No page of ours needs camera, notifications, USB...: refuse every permission.
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
  win.once('ready-to-show', () => win.show());
  win.on('close', () => rememberBounds(win));
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(START_URL);
  return win;
}

/** app://regla/... → dist/renderer, app://regla/samples/... → samples/models; CSP on every response. */
function serveApp(root: string): void {
  const dir = join(root, RENDERER_DIR);
  const mounts: Mount[] = [[SAMPLES_PREFIX, join(root, SAMPLES_DIR)]];
  protocol.handle(APP_SCHEME, async (request) => {
    const hit = request.method === 'GET' || request.method === 'HEAD' ? resolveAppUrl(request.url, dir, APP_SCHEME, APP_HOST, mounts) : null;
    if (!hit) return new Response('not found', { status: 404 });
    try {
      return await fileResponse(hit, request.method, request.headers.get('range'), { 'content-security-policy': CSP });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

/** menu:command to the focused window (or the main one); never a path (recent.<i> is an index). */
function sendCommand(id: CommandId): void {
  const payload = { id };
  if (!isMenuCommand(payload)) return;
  const target = BrowserWindow.getFocusedWindow() ?? mainWindow;
  target?.webContents.send(EVENT.command, payload);
}

function buildMenu(recent: readonly string[]): void {
  const template = menuTemplate(
    recent,
    process.platform,
    {
      command: sendCommand,
      clearRecent: () => {
        void settings
          ?.update((s) => ({ ...s, recent: [] }))
          .then((s) => buildMenu(s.recent))
          .catch((e: unknown) => console.warn('recent folders not cleared:', e));
      },
    },
    { dev: !app.isPackaged, appName: app.name },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
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

function registerHandlers(impl: Implementations): void {
  const register = <C extends Channel>(channel: C): void => {
    ipcMain.handle(channel, makeHandler(channel, impl[channel], APP_ORIGIN));
  };
  for (const channel of Object.values(CHANNEL)) register(channel);
}

async function start(): Promise<void> {
  const root = app.getAppPath();
  const store = new SettingsStore(join(app.getPath('userData'), SETTINGS_FILE));
  await store.load();
  settings = store;
  serveApp(root);
  registerHandlers(
    implementations({
      folders: new FolderAllowlist(),
      settings: store,
      version: versionInfo,
      defaultSaveDir: app.getPath('downloads'),
      recentChanged: buildMenu,
      chooseDirectory: async () => {
        const options: Electron.OpenDialogOptions = { title: 'Open Model Folder', properties: ['openDirectory'] };
        const r = await (mainWindow ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options));
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
      chooseOpenPath: async (filters) => {
        const options: Electron.OpenDialogOptions = { title: 'Open Session', properties: ['openFile'], filters };
        const r = await (mainWindow ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options));
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
      chooseSavePath: async (defaultPath, filters) => {
        const options: Electron.SaveDialogOptions = { defaultPath, filters, properties: ['createDirectory', 'showOverwriteConfirmation'] };
        const r = await (mainWindow ? dialog.showSaveDialog(mainWindow, options) : dialog.showSaveDialog(options));
        return r.canceled || !r.filePath ? null : r.filePath;
      },
    }),
  );
  buildMenu(store.current.recent);
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
  // Pending settings writes finish before the process goes.
  app.on('window-all-closed', () => {
    void (settings?.flush() ?? Promise.resolve()).finally(() => app.quit());
  });
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => {
      console.error('ReGLA Studio failed to start:', e);
      app.exit(1);
    });
}
