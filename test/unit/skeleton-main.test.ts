// Runs Electron's main process (main/app/main.ts) in Node against a recording fake of the
// `electron` module: switches and the app:// scheme before `ready`, the single-instance lock, one
// hardened window, the protocol serving the built renderer with its CSP, and the IPC handler.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN, CSP, PRELOAD_FILE, SCHEME, START_URL, WINDOW, switchesFor } from '../../electron.config.js';
import { VersionInfo } from '../../main/ipc/contract.js';

type Listener = (...args: unknown[]) => unknown;
interface FakeWindow {
  options: Record<string, unknown>;
  loaded: string[];
  contentsListeners: Map<string, Listener>;
  openHandler: ((details: { url: string }) => { action: string }) | null;
  permissionRequest: Listener | null;
}

const rec = vi.hoisted(() => ({
  appPath: '',
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
      const w: FakeWindow = { options, loaded: [], contentsListeners: new Map(), openHandler: null, permissionRequest: null };
      this.rec = w;
      rec.windows.push(w);
      rec.events.push('window');
      this.webContents = {
        setWindowOpenHandler: (h: FakeWindow['openHandler']) => (w.openHandler = h),
        on: (name: string, fn: Listener) => w.contentsListeners.set(name, fn),
        session: {
          setPermissionRequestHandler: (fn: Listener) => (w.permissionRequest = fn),
          setPermissionCheckHandler: () => undefined,
        },
      };
    }
    loadURL(url: string): Promise<void> {
      this.rec.loaded.push(url);
      return Promise.resolve();
    }
    once(): void {}
    on(): void {}
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
      getVersion: () => '0.1.0',
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

describe('Electron main process (against a fake electron module)', () => {
  const work = mkdtempSync(join(tmpdir(), 'regla-main-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    const r = spawnSync(process.execPath, ['scripts/build.mjs', 'renderer', '--out', join(work, 'dist/renderer')], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    rec.appPath = work;
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
    expect(w.options).toMatchObject({ ...WINDOW, webPreferences: { ...WINDOW.webPreferences, preload: join(work, PRELOAD_FILE) } });
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

  it('answers app:version to the app origin only', async () => {
    const h = rec.ipc.get('app:version');
    if (!h) throw new Error('app:version has no handler');
    const ok = (await h({ senderFrame: { url: START_URL } })) as { ok: boolean; value: unknown };
    expect(ok.ok).toBe(true);
    expect(VersionInfo.parse(ok.value)).toMatchObject({ app: '0.1.0', electron: '45.5.0', node: process.versions.node });
    await expect(h({ senderFrame: { url: 'https://example.com/' } })).resolves.toMatchObject({ ok: false });
  });
});
