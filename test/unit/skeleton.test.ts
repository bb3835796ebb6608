// The desktop skeleton, checked in Node without Electron: the IPC contract and its handler wrapper,
// the app:// path resolution, the static Electron config (and that index.html's CSP matches it),
// the build's output layout, and npm start's fallback to the web host when Electron's binary is missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  CSP,
  PRELOAD_FILE,
  RENDERER_DIR,
  SCHEME,
  START_URL,
  SWITCHES,
  WINDOW,
  switchesFor,
} from '../../electron.config.js';
import { resolveAppUrl } from '../../main/app/serve.js';
import { CHANNEL, VersionInfo, contract, resultSchema } from '../../main/ipc/contract.js';
import { isFromOrigin, makeHandler } from '../../main/ipc/handle.js';

const ROOT = resolve(import.meta.dirname, '../..');

const VERSION: VersionInfo = { app: '0.1.0', electron: '45.5.0', chrome: '142.0', node: '22.20.0', platform: 'linux', arch: 'x64' };
const fromApp = { senderFrame: { url: `${APP_ORIGIN}/index.html` } };

describe('IPC contract', () => {
  it('VersionInfo accepts a full record and rejects missing, empty or extra fields', () => {
    expect(VersionInfo.parse(VERSION)).toEqual(VERSION);
    expect(VersionInfo.safeParse({ ...VERSION, app: '' }).success).toBe(false);
    expect(VersionInfo.safeParse({ ...VERSION, extra: 1 }).success).toBe(false);
    const { node: _node, ...missing } = VERSION;
    expect(VersionInfo.safeParse(missing).success).toBe(false);
  });

  it('app:version takes no arguments', () => {
    const req = contract[CHANNEL.version].request;
    expect(req.safeParse([]).success).toBe(true);
    expect(req.safeParse(['x']).success).toBe(false);
  });

  it('the result envelope has exactly two shapes', () => {
    const s = resultSchema(CHANNEL.version);
    expect(s.safeParse({ ok: true, value: VERSION }).success).toBe(true);
    expect(s.safeParse({ ok: false, error: { name: 'E', message: 'm' } }).success).toBe(true);
    expect(s.safeParse({ ok: true, error: { name: 'E', message: 'm' } }).success).toBe(false);
    expect(s.safeParse({ ok: false, value: VERSION }).success).toBe(false);
    expect(s.safeParse({ ok: true, value: { ...VERSION, chrome: 3 } }).success).toBe(false);
  });
});

describe('IPC handler wrapper', () => {
  const handler = makeHandler(CHANNEL.version, () => VERSION, APP_ORIGIN);

  it('answers the app origin with a validated value', async () => {
    await expect(handler(fromApp)).resolves.toEqual({ ok: true, value: VERSION });
  });

  it('refuses frames from other origins, and destroyed frames', async () => {
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'app://regla.evil/index.html', 'app://other/index.html', 'not a url', '']) {
      const r = await handler({ senderFrame: { url } });
      expect(r, url).toMatchObject({ ok: false, error: { name: 'ForbiddenSender' } });
    }
    await expect(handler({ senderFrame: null })).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenSender' } });
  });

  it('rejects extra arguments without calling the implementation', async () => {
    let calls = 0;
    const h = makeHandler(CHANNEL.version, () => (calls++, VERSION), APP_ORIGIN);
    await expect(h(fromApp, 'surprise')).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    expect(calls).toBe(0);
  });

  it('turns a thrown error or an invalid response into a Result instead of throwing', async () => {
    class DiskError extends Error {
      override name = 'DiskError';
    }
    const throwing = makeHandler(
      CHANNEL.version,
      () => {
        throw new DiskError('no disk');
      },
      APP_ORIGIN,
    );
    await expect(throwing(fromApp)).resolves.toEqual({ ok: false, error: { name: 'DiskError', message: 'app:version: no disk' } });
    const bad = makeHandler(CHANNEL.version, () => ({ ...VERSION, electron: '' }), APP_ORIGIN);
    await expect(bad(fromApp)).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } });
  });

  it('compares scheme and host, because URL.origin is "null" for app:', () => {
    expect(isFromOrigin('app://regla/a/b.html?x#y', 'app://regla')).toBe(true);
    expect(isFromOrigin('app://regla.evil/', 'app://regla')).toBe(false);
    expect(isFromOrigin('http://regla/', 'app://regla')).toBe(false);
    expect(isFromOrigin('app://x/', 'not an origin')).toBe(false);
  });
});

describe('app:// protocol → dist/renderer', () => {
  const root = '/srv/app/dist/renderer';
  const at = (url: string) => resolveAppUrl(url, root, APP_SCHEME, APP_HOST);

  it('serves files under the renderer folder with their content type', () => {
    expect(at(START_URL)).toEqual({ file: `${root}/index.html`, type: 'text/html; charset=utf-8' });
    expect(at(`${APP_ORIGIN}/`)).toEqual({ file: `${root}/index.html`, type: 'text/html; charset=utf-8' });
    expect(at(`${APP_ORIGIN}/assets/main.js?v=1`)).toMatchObject({ file: `${root}/assets/main.js`, type: 'text/javascript; charset=utf-8' });
  });

  it('never leaves the renderer folder', () => {
    for (const url of [
      `${APP_ORIGIN}/..%2f..%2fpackage.json`,
      `${APP_ORIGIN}/%2e%2e/%2e%2e/package.json`,
      `${APP_ORIGIN}/a/..%2F..%2F..%2Fetc%2Fpasswd.json`,
      `${APP_ORIGIN}/..%5c..%5cx.js`,
    ]) {
      const hit = at(url);
      if (hit) expect(hit.file.startsWith(`${root}/`), url).toBe(true);
    }
    expect(at(`${APP_ORIGIN}/..%2f..%2fpackage.json`)).toBeNull();
  });

  it('refuses other schemes, other hosts, odd names and unknown types', () => {
    expect(at('file:///srv/app/dist/renderer/index.html')).toBeNull();
    expect(at('app://other/index.html')).toBeNull();
    expect(at(`${APP_ORIGIN}/index.html%00.js`)).toBeNull();
    expect(at(`${APP_ORIGIN}/%E0%A4%A`)).toBeNull();
    expect(at(`${APP_ORIGIN}/secrets.env`)).toBeNull();
    expect(at('::')).toBeNull();
  });
});

describe('electron.config.ts', () => {
  it('hardens every window', () => {
    const p = WINDOW.webPreferences;
    expect(p.sandbox).toBe(true);
    expect(p.contextIsolation).toBe(true);
    expect(p.nodeIntegration).toBe(false);
    expect(p.nodeIntegrationInWorker).toBe(false);
    expect(p.webSecurity).toBe(true);
    expect(p.webviewTag).toBe(false);
    expect('preload' in p).toBe(false); // added by main.ts from the app root
  });

  it('serves a secure, standard scheme (WebGPU needs a secure context)', () => {
    expect(SCHEME.scheme).toBe(APP_SCHEME);
    expect(SCHEME.privileges).toMatchObject({ standard: true, secure: true });
    expect(SCHEME.privileges?.bypassCSP).toBeFalsy();
    expect(START_URL.startsWith(`${APP_ORIGIN}/`)).toBe(true);
  });

  it('turns WebGPU on and timestamp quantization off', () => {
    const names = SWITCHES.map(([n]) => n);
    expect(names).toContain('enable-unsafe-webgpu');
    expect(names).toContain('enable-webgpu-developer-features');
    expect(SWITCHES).toContainEqual(['disable-dawn-features', 'timestamp_quantization']);
    // Vulkan (WebGPU's only path to a real GPU in Chromium on Linux) only where it applies.
    expect(switchesFor('linux')).toContainEqual(['enable-features', 'Vulkan']);
    expect(switchesFor('win32')).toEqual(SWITCHES);
    expect(switchesFor('darwin')).toEqual(SWITCHES);
  });

  it('has a strict CSP, the same one index.html carries', () => {
    expect(CSP).toMatch(/default-src 'none'/);
    expect(CSP).toMatch(/script-src 'self'(;|$)/);
    expect(CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const html = readFileSync(join(ROOT, 'renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    // frame-ancestors is ignored in a meta tag, so the header alone carries it.
    const fromHeader = CSP.split('; ').filter((d) => !d.startsWith('frame-ancestors'));
    expect(meta?.split('; ')).toEqual(fromHeader);
  });
});

describe('build and start', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'regla-build-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('builds main, a CommonJS preload that requires only electron, and the renderer where the config expects them', () => {
    const r = spawnSync(process.execPath, ['scripts/build.mjs', 'app', '--out', join(tmp, 'dist')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(existsSync(join(tmp, pkg.main)), pkg.main).toBe(true);
    expect(existsSync(join(tmp, RENDERER_DIR, 'index.html'))).toBe(true);
    expect(existsSync(join(tmp, RENDERER_DIR, 'main.js'))).toBe(true);
    const preload = readFileSync(join(tmp, PRELOAD_FILE), 'utf8');
    const required = [...preload.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('npm start without an Electron binary says so in one line, serves the web host, and stops on Ctrl+C', async () => {
    const child = spawn(process.execPath, ['scripts/start.mjs', '--no-build', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(tmp, 'no-electron-here') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    try {
      const url = await vi.waitFor(
        () => {
          const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
          if (!m?.[1]) throw new Error(`no URL yet: ${stdout}${stderr}`);
          return m[1];
        },
        { timeout: 15_000, interval: 50 },
      );
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/Electron's binary is not installed.*node node_modules\/electron\/install\.js.*serving the same UI through the web host/);
      expect(stdout.trim().split('\n')).toHaveLength(1);
      // The same UI: the web host's samples listing answers.
      const r = await fetch(`${url}/samples/index.json`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { models: unknown[] }).models.length).toBeGreaterThan(0);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
