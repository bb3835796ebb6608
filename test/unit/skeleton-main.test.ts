// Runs Electron's main process (main/app/main.ts) in Node against a recording fake of the
// `electron` module: switches and the app:// scheme before `ready`, the single-instance lock, one
// hardened window restored from saved (clamped) bounds, the protocol serving the built renderer and
// the bundled samples (with ranges) with its CSP, every IPC channel, the menu and its commands,
// settings in userData, and the window state saved on close.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN, CSP, PRELOAD_FILE, SCHEME, START_URL, WINDOW, switchesFor } from '../../electron.config.js';
import type { MenuItem as MenuItemConstructorOptions } from '../../main/app/menu.js';
import { CHANNEL, EVENT, Settings, VersionInfo } from '../../main/ipc/contract.js';

type Listener = (...args: unknown[]) => unknown;
interface FakeWindow {
  options: Record<string, unknown>;
  loaded: string[];
  contentsListeners: Map<string, Listener>;
  windowListeners: Map<string, Listener>;
  openHandler: ((details: { url: string }) => { action: string }) | null;
  permissionRequest: Listener | null;
  sent: Array<[string, unknown]>;
  maximized: boolean;
  normalBounds: { x: number; y: number; width: number; height: number };
}

const rec = vi.hoisted(() => ({
  appPath: '',
  userData: '',
  dialogs: { dir: null as string | null, save: null as string | null },
  menus: [] as MenuItemConstructorOptions[][],
  ready: false,
  events: [] as string[],
  switches: [] as Array<[string, string | undefined]>,
  schemes: [] as unknown[],
  appListeners: new Map<string, (...args: unknown[]) => unknown>(),
  protocolHandlers: new Map<string, (req: Request) => Promise<Response>>(),
  ipc: new Map<string, (...args: unknown[]) => unknown>(),
  windows: [] as FakeWindow[],
}));

vi.mock('electron', () => {
  class BrowserWindow {
    readonly rec: FakeWindow;
    readonly webContents: unknown;
    constructor(options: Record<string, unknown>) {
      const w: FakeWindow = {
        options,
        loaded: [],
        contentsListeners: new Map(),
        windowListeners: new Map(),
        openHandler: null,
        permissionRequest: null,
        sent: [],
        maximized: false,
        normalBounds: { x: Number(options['x'] ?? 0), y: Number(options['y'] ?? 0), width: Number(options['width']), height: Number(options['height']) },
      };
      this.rec = w;
      rec.windows.push(w);
      rec.events.push('window');
      this.webContents = {
        setWindowOpenHandler: (h: FakeWindow['openHandler']) => (w.openHandler = h),
        on: (name: string, fn: Listener) => w.contentsListeners.set(name, fn),
        send: (channel: string, payload: unknown) => w.sent.push([channel, payload]),
        session: {
          setPermissionRequestHandler: (fn: Listener) => (w.permissionRequest = fn),
          setPermissionCheckHandler: () => undefined,
        },
      };
    }
    static getFocusedWindow(): null {
      return null;
    }
    loadURL(url: string): Promise<void> {
      this.rec.loaded.push(url);
      return Promise.resolve();
    }
    once(): void {}
    on(name: string, fn: Listener): void {
      this.rec.windowListeners.set(name, fn);
    }
    maximize(): void {
      this.rec.maximized = true;
    }
    isMaximized(): boolean {
      return this.rec.maximized;
    }
    getNormalBounds(): FakeWindow['normalBounds'] {
      return this.rec.normalBounds;
    }
    show(): void {}
    focus(): void {}
    restore(): void {}
    isMinimized(): boolean {
      return false;
    }
  }
  return {
    app: {
      commandLine: {
        appendSwitch: (name: string, value?: string) => {
          rec.switches.push([name, value]);
          rec.events.push(`switch:${name}`);
        },
      },
      requestSingleInstanceLock: () => (rec.events.push('lock'), true),
      on: (name: string, fn: Listener) => rec.appListeners.set(name, fn),
      whenReady: () =>
        Promise.resolve().then(() => {
          rec.ready = true;
          rec.events.push('ready');
        }),
      getAppPath: () => rec.appPath,
      getPath: (name: string) => (name === 'userData' ? rec.userData : join(rec.userData, name)),
      getVersion: () => '0.1.0',
      isPackaged: false,
      name: 'ReGLA Studio',
      quit: () => rec.events.push('quit'),
      exit: (code: number) => rec.events.push(`exit:${code}`),
    },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown[]) => {
        rec.schemes.push(...s);
        rec.events.push('schemes');
      },
      handle: (scheme: string, fn: (req: Request) => Promise<Response>) => rec.protocolHandlers.set(scheme, fn),
    },
    ipcMain: { handle: (channel: string, fn: Listener) => rec.ipc.set(channel, fn) },
    dialog: {
      showOpenDialog: async () => (rec.dialogs.dir ? { canceled: false, filePaths: [rec.dialogs.dir] } : { canceled: true, filePaths: [] }),
      showSaveDialog: async () => (rec.dialogs.save ? { canceled: false, filePath: rec.dialogs.save } : { canceled: true, filePath: '' }),
    },
    Menu: {
      buildFromTemplate: (t: MenuItemConstructorOptions[]) => (rec.menus.push(t), t),
      setApplicationMenu: () => undefined,
    },
    screen: {
      getPrimaryDisplay: () => ({ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1040 } }),
      getAllDisplays: () => [
        { id: 2, workArea: { x: -1280, y: 0, width: 1280, height: 1000 } },
        { id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1040 } },
      ],
    },
    net: {
      fetch: async (url: string) => {
        const body = await readFile(fileURLToPath(url)).catch(() => null);
        return body ? new Response(body) : new Response(null, { status: 404 });
      },
    },
    BrowserWindow,
  };
});

const ROOT = resolve(import.meta.dirname, '../..');

/** Every item of a menu template, depth first. */
function flat(items: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flat(i.submenu as MenuItemConstructorOptions[]) : [])]);
}
const menuItem = (id: string) => flat(rec.menus.at(-1) ?? []).find((i) => i.id === id);
const from = { senderFrame: { url: START_URL } };

describe('Electron main process (against a fake electron module)', () => {
  const work = mkdtempSync(join(tmpdir(), 'regla-main-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    const r = spawnSync(process.execPath, ['scripts/build.mjs', 'renderer', '--out', join(work, 'dist/renderer')], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    rec.appPath = work;
    // The bundled samples beside the build, as in the app folder.
    mkdirSync(join(work, 'samples'));
    symlinkSync(join(ROOT, 'samples/models'), join(work, 'samples/models'));
    // Saved state from a previous run: a window on a display that is gone, a recent folder.
    rec.userData = join(work, 'userData');
    mkdirSync(rec.userData);
    writeFileSync(
      join(rec.userData, 'settings.json'),
      JSON.stringify({ version: 1, recent: ['/models/old'], window: { x: 4000, y: 100, width: 1000, height: 600, maximized: true }, lastModel: 'sample:gla', panel: 'state' }),
    );
    Object.assign(process.versions, { electron: '45.5.0', chrome: '142.0.0.0' });
    await import('../../main/app/main.js');
    await vi.waitFor(() => expect(rec.windows).toHaveLength(1));
  });

  it('sets the WebGPU switches and registers app:// before ready, behind the single-instance lock', () => {
    const switches = switchesFor(process.platform);
    expect(rec.switches).toEqual(switches.map(([n, v]) => [n, v]));
    const ready = rec.events.indexOf('ready');
    expect(ready).toBeGreaterThan(0);
    for (const [name] of switches) expect(rec.events.indexOf(`switch:${name}`)).toBeLessThan(ready);
    expect(rec.events.indexOf('schemes')).toBeLessThan(ready);
    expect(rec.events.indexOf('lock')).toBeLessThan(ready);
    expect(rec.schemes).toEqual([SCHEME]);
    expect(rec.events).not.toContain('quit');
  });

  it('opens one hardened window on app://, with the preload, no popups and no navigation', () => {
    const w = rec.windows[0];
    if (!w) throw new Error('no window');
    const { width: _w, height: _h, ...rest } = WINDOW;
    expect(w.options).toMatchObject({ ...rest, webPreferences: { ...WINDOW.webPreferences, preload: join(work, PRELOAD_FILE) } });
    expect(w.loaded).toEqual([START_URL]);
    expect(w.openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const prevent = vi.fn();
      const listener = w.contentsListeners.get(name);
      expect(listener, name).toBeDefined();
      listener?.({ preventDefault: prevent, url: 'https://example.com' });
      expect(prevent, name).toHaveBeenCalledOnce();
    }
    const answer = vi.fn();
    w.permissionRequest?.(null, 'media', answer);
    expect(answer).toHaveBeenCalledWith(false);
  });

  it('serves the built renderer over app:// with the CSP header, and nothing outside it', async () => {
    const handler = rec.protocolHandlers.get(SCHEME.scheme);
    if (!handler) throw new Error('app:// has no handler');
    const index = await handler(new Request(START_URL));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CSP);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toBe(readFileSync(join(work, 'dist/renderer/index.html'), 'utf8'));
    const js = await handler(new Request(`${APP_ORIGIN}/main.js`));
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const url of [`${APP_ORIGIN}/..%2f..%2fpackage.json`, `${APP_ORIGIN}/missing.js`, 'app://elsewhere/index.html']) {
      expect((await handler(new Request(url))).status, url).toBe(404);
    }
    expect((await handler(new Request(START_URL, { method: 'POST', body: 'x' }))).status).toBe(404);
  });

  it('serves the bundled samples at app://regla/samples/ (what the renderer fetches), with ranges', async () => {
    const handler = rec.protocolHandlers.get(SCHEME.scheme);
    if (!handler) throw new Error('app:// has no handler');
    // The renderer fetches './samples/index.json' relative to app://regla/index.html.
    const index = await handler(new Request(new URL('./samples/index.json', START_URL)));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CSP);
    const list = (await index.json()) as { models: Array<{ path: string }> };
    expect(list.models.map((m) => m.path)).toContain('regla');
    const weights = readFileSync(join(ROOT, 'samples/models/regla/model.safetensors'));
    const head = await handler(new Request(`${APP_ORIGIN}/samples/regla/model.safetensors`, { method: 'HEAD' }));
    expect(head.headers.get('content-length')).toBe(String(weights.length));
    const part = await handler(new Request(`${APP_ORIGIN}/samples/regla/model.safetensors`, { headers: { Range: 'bytes=0-7' } }));
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-7/${weights.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(weights.subarray(0, 8))).toBe(true);
    for (const url of [`${APP_ORIGIN}/samples/..%2f..%2fpackage.json`, `${APP_ORIGIN}/samples/regla/..%2f..%2f..%2fpackage.json`, `${APP_ORIGIN}/samples/missing.json`]) {
      expect((await handler(new Request(url))).status, url).toBe(404);
    }
  });

  it('restores the saved window clamped to a display that exists, maximized as it was', () => {
    const w = rec.windows[0];
    // Saved at x=4000 (no display there): centred on the primary display at the saved size.
    expect(w?.options).toMatchObject({ x: 460, y: 220, width: 1000, height: 600 });
    expect(w?.maximized).toBe(true);
  });

  it('registers every channel of the contract, each checking the sender', async () => {
    expect([...rec.ipc.keys()].sort()).toEqual(Object.values(CHANNEL).sort());
    for (const channel of Object.values(CHANNEL)) {
      const h = rec.ipc.get(channel);
      await expect(h?.({ senderFrame: { url: 'https://evil.example/' } }), channel).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenSender' } });
    }
  });

  it('loads settings from userData; settings:set persists the renderer fields atomically', async () => {
    const get = rec.ipc.get(CHANNEL.getSettings);
    const s = (await get?.(from)) as { ok: true; value: Settings };
    expect(s.value).toMatchObject({ recent: ['/models/old'], lastModel: 'sample:gla', panel: 'state' });
    await rec.ipc.get(CHANNEL.setSettings)?.(from, { panel: 'kernels' });
    const onDisk = Settings.parse(JSON.parse(readFileSync(join(rec.userData, 'settings.json'), 'utf8')));
    expect(onDisk).toMatchObject({ panel: 'kernels', lastModel: 'sample:gla', recent: ['/models/old'] });
  });

  it('builds the menu with the recent folders; items send menu:command to the window', () => {
    const w = rec.windows[0];
    if (!w) throw new Error('no window');
    expect(menuItem('recent.0')).toMatchObject({ label: '/models/old', accelerator: 'CmdOrCtrl+1' });
    expect(flat(rec.menus.at(-1) ?? []).some((i) => i.role === 'toggleDevTools')).toBe(true); // not packaged
    w.sent.length = 0;
    (menuItem('export.trace')?.click as () => void)();
    (menuItem('recent.0')?.click as () => void)();
    // recent.<i> carries its index only: the renderer asks main for entry i (folder:recent).
    expect(w.sent).toEqual([
      [EVENT.command, { id: 'export.trace' }],
      [EVENT.command, { id: 'recent.0' }],
    ]);
  });

  it('folder:pick → folder:read through the dialog, the allowlist and the menu; Clear Recent empties it', async () => {
    const sample = join(ROOT, 'samples/models/regla');
    rec.dialogs.dir = sample;
    const picked = (await rec.ipc.get(CHANNEL.pickFolder)?.(from)) as { ok: boolean; value: { path: string } };
    expect(picked).toEqual({ ok: true, value: { path: sample, name: 'regla' } });
    const bytes = (await rec.ipc.get(CHANNEL.readFile)?.(from, sample, 'config.json')) as { ok: boolean; value: Uint8Array };
    expect(Buffer.from(bytes.value).toString('utf8')).toBe(readFileSync(join(sample, 'config.json'), 'utf8'));
    await expect(rec.ipc.get(CHANNEL.readFile)?.(from, join(ROOT, 'samples/models/gla'), 'config.json')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    expect(menuItem('recent.0')?.label).toBe(sample);
    expect(menuItem('recent.1')?.label).toBe('/models/old');
    // Open Recent by index against main's list: entry 0 reopens the sample, entry 1 has vanished.
    await expect(rec.ipc.get(CHANNEL.openRecent)?.(from, 0)).resolves.toEqual({ ok: true, value: { path: sample, name: 'regla' } });
    await expect(rec.ipc.get(CHANNEL.openRecent)?.(from, 1)).resolves.toMatchObject({ ok: false, error: { name: 'NoSuchFolder' } });
    await expect(rec.ipc.get(CHANNEL.openRecent)?.(from, 2)).resolves.toMatchObject({ ok: false, error: { name: 'NoSuchRecent' } });
    await expect(rec.ipc.get(CHANNEL.openRecent)?.(from, '/models/old')).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    (menuItem('recent.clear')?.click as () => void)();
    await vi.waitFor(() => expect(menuItem('recent.none')).toBeDefined());
    expect(Settings.parse(JSON.parse(readFileSync(join(rec.userData, 'settings.json'), 'utf8'))).recent).toEqual([]);
    await expect(rec.ipc.get(CHANNEL.openRecent)?.(from, 0)).resolves.toMatchObject({ ok: false, error: { name: 'NoSuchRecent' } });
  });

  it('file:save writes where the save dialog says', async () => {
    rec.dialogs.save = join(work, 'trace.json');
    const r = await rec.ipc.get(CHANNEL.saveFile)?.(from, 'trace.json', new TextEncoder().encode('{"traceEvents":[]}'), [{ name: 'JSON', extensions: ['json'] }]);
    expect(r).toEqual({ ok: true, value: join(work, 'trace.json') });
    expect(readFileSync(join(work, 'trace.json'), 'utf8')).toBe('{"traceEvents":[]}');
  });

  it('saves the window bounds and maximized state on close; quits after pending writes', async () => {
    const w = rec.windows[0];
    if (!w) throw new Error('no window');
    w.maximized = false;
    w.normalBounds = { x: 120.4, y: 80, width: 1300, height: 850 };
    w.windowListeners.get('close')?.({});
    rec.appListeners.get('window-all-closed')?.();
    await vi.waitFor(() => expect(rec.events).toContain('quit'));
    const onDisk = Settings.parse(JSON.parse(readFileSync(join(rec.userData, 'settings.json'), 'utf8')));
    expect(onDisk.window).toEqual({ x: 120, y: 80, width: 1300, height: 850, maximized: false });
  });

  it('answers app:version to the app origin only', async () => {
    const h = rec.ipc.get('app:version');
    if (!h) throw new Error('app:version has no handler');
    const ok = (await h({ senderFrame: { url: START_URL } })) as { ok: boolean; value: unknown };
    expect(ok.ok).toBe(true);
    expect(VersionInfo.parse(ok.value)).toMatchObject({ app: '0.1.0', electron: '45.5.0', node: process.versions.node });
    await expect(h({ senderFrame: { url: 'https://example.com/' } })).resolves.toMatchObject({ ok: false });
  });
});
